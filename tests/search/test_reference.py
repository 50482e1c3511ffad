"""Tests of nasbench_lab/search/reference.py: docs/search.md lists exactly the parameters the code declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasbench_lab.search.base import STRATEGIES
from nasbench_lab.search.reference import BEGIN, END, parameter_reference, replace_reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "search.md"


def test_docs_list_every_strategy_parameter_as_declared():
    text = DOC.read_text(encoding="utf-8")
    assert replace_reference(text) == text, "docs/search.md is stale: run python docs/scripts/search_params.py"


def test_reference_names_every_strategy_and_its_defaults():
    ref = parameter_reference()
    for name in STRATEGIES.names():
        assert f"#### `{name}`" in ref
    assert "| `population` | `10` | population size (NB201: 10) |" in ref
    assert "| `acquisition` | `'log_ei'` | acquisition function (ei / log_ei / ucb / thompson) |" in ref
    with pytest.raises(ValueError, match="markers"):
        replace_reference("no markers here")
    assert BEGIN in replace_reference(f"a\n{BEGIN}\nold\n{END}\nb") and "old" not in replace_reference(f"{BEGIN}\nold\n{END}")
