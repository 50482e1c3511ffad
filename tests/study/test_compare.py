"""Tests of nasbench_lab/study/compare.py: several studies in one table and one plot."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.study.compare import COMPARISON_FILES, compare_studies
from nasbench_lab.study.report import summarize
from nasbench_lab.study.results import read_trajectory


def _renamed(finished_study: Path, tmp_path: Path, name: str, **reported: object) -> Path:
    """A copy of the finished study under another study name (and reported fields, and table best)."""
    out = tmp_path / name
    shutil.copytree(finished_study, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["name"] = name
    manifest["reported_best"].update(reported)
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_comparison_table_labels_and_own_best(finished_study: Path, tmp_path: Path) -> None:
    best = json.loads((finished_study / "manifest.json").read_text())["reported_best"]["value"]
    other = _renamed(finished_study, tmp_path, "other", value=best + 1.0)  # regret to its own best: +1
    text = compare_studies([finished_study, other], tmp_path / "cmp")
    assert {p.name for p in (tmp_path / "cmp").iterdir()} == set(COMPARISON_FILES)
    assert "own table" in text and "| t/random | digits test_acc |" in text and "| other/REA |" in text
    rows = list(csv.DictReader((tmp_path / "cmp" / "comparison.csv").open()))
    assert [(r["study"], r["strategy"]) for r in rows] == [("t", "random"), ("t", "REA"), ("other", "random"),
                                                          ("other", "REA")]
    expected = summarize(read_trajectory(finished_study / "trajectory.csv"), best, ["random", "REA"])
    for row, summary in zip(rows, expected + expected):
        shift = 1.0 if row["study"] == "other" else 0.0
        assert float(row["regret_mean"]) == pytest.approx(summary.regret_mean + shift)
        assert float(row["final_mean"]) == summary.final_mean and float(row["table_best"]) == best + shift


def test_mixed_metrics_need_allow_mixed(finished_study: Path, tmp_path: Path) -> None:
    other = _renamed(finished_study, tmp_path, "loss", metric="test_loss")
    with pytest.raises(ConfigError, match="--allow-mixed"):
        compare_studies([finished_study, other], tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists()
    text = compare_studies([finished_study, other], tmp_path / "cmp", allow_mixed=True)
    assert "| loss/random | digits test_loss |" in text and "final reported" in text


def test_nothing_to_compare(finished_study: Path, tmp_path: Path) -> None:
    empty = _renamed(finished_study, tmp_path, "empty")
    shutil.rmtree(empty / "units")
    (empty / "trajectory.csv").unlink()
    with pytest.raises(NasbenchLabError, match="nothing to compare"):
        compare_studies([empty], tmp_path / "cmp")
    with pytest.raises(ConfigError, match="twice"):
        compare_studies([finished_study, finished_study], tmp_path / "cmp")
