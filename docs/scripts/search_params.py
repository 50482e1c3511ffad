"""Rewrite the strategy parameter tables of docs/search.md from the strategies' ``Params`` dataclasses.

Run: ``python docs/scripts/search_params.py`` (from the repository root).
"""

from __future__ import annotations

from pathlib import Path

from nasbench_lab.search.reference import replace_reference

DOC = Path(__file__).resolve().parents[1] / "search.md"

if __name__ == "__main__":
    DOC.write_text(replace_reference(DOC.read_text(encoding="utf-8")), encoding="utf-8")
