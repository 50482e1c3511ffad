"""Tests of nasbench_lab/study/report.py: summary, wins, the study's files and their re-rendering."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.study.report import (
    plot_title,
    report_study,
    summarize,
    summary_markdown,
    wins_matrix,
    write_study_files,
)
from nasbench_lab.study.results import LEGACY_TRAJECTORY_COLUMNS
from study.report_fakes import UNITS, unit


def test_summary_mean_se_regret_and_aurc() -> None:
    rows = summarize(UNITS, best=95.0, order=["B", "A"])
    assert [r.strategy for r in rows] == ["B", "A"]
    a = rows[1]
    assert a.n_seeds == 2 and a.final_mean == pytest.approx(93.5)
    assert a.final_se == pytest.approx(np.std([94.0, 93.0], ddof=1) / math.sqrt(2))
    assert a.regret_mean == pytest.approx(1.5) and a.regret_se == pytest.approx(a.final_se)
    # AURC: mean regret over steps, per unit: (5+3+1)/3 = 3 and (4+4+2)/3 = 10/3
    assert a.aurc_mean == pytest.approx((3.0 + 10.0 / 3.0) / 2)
    assert a.queries_mean == 3 and a.simulated_time_mean == pytest.approx(30.0)


def test_single_seed_has_no_standard_error() -> None:
    (row,) = summarize([unit("A", 0, [1.0, 2.0])], best=2.0)
    assert math.isnan(row.final_se) and row.regret_mean == 0.0


def test_empty_unit_is_an_error() -> None:
    with pytest.raises(NasbenchLabError, match="without queries"):
        summarize([unit("A", 0, [])], best=1.0)


def test_wins_count_strict_beats_on_common_seeds() -> None:
    labels, wins = wins_matrix(UNITS + [unit("C", 7, [99.0])], order=["A", "B", "C"])
    assert labels == ["A", "B", "C"]
    # seed 0: A 94 > B 93; seed 1: B 95 > A 93; C shares no seed with anyone
    np.testing.assert_array_equal(wins, [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    _, ties = wins_matrix([unit("A", 0, [1.0]), unit("B", 0, [1.0])])
    assert ties.sum() == 0


def test_markdown_holds_rows_and_wins() -> None:
    rows = summarize(UNITS, best=95.0)
    labels, wins = wins_matrix(UNITS)
    text = summary_markdown(rows, labels, wins, metric="test_acc", partial=True)
    assert text.startswith("(partial")
    assert "| A | 2 | 93.500 ± 0.500 | 1.500 ± 0.500 |" in text
    assert "| A | - | 1 |" in text and "final test_acc" in text


def test_study_files(tmp_path: Path) -> None:
    text = write_study_files(tmp_path / "o", UNITS, 95.0, ["A", "B"], metric="test_acc")
    assert (tmp_path / "o" / "summary.md").read_text() == text
    assert (tmp_path / "o" / "wins.csv").read_text().splitlines() == ["strategy,A,B", "A,0,1", "B,1,0"]
    assert (tmp_path / "o" / "wall_time.csv").read_text().splitlines()[0] == "strategy,seed,step,wall_time"
    summary = (tmp_path / "o" / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("strategy,n_seeds,final_mean,final_se") and summary[1].startswith("A,2,93.5,")


def test_no_finished_unit_writes_a_note(tmp_path: Path) -> None:
    assert "no unit" in write_study_files(tmp_path, [], 95.0, ["A"])
    assert (tmp_path / "trajectory.csv").read_text().count("\n") == 1


def test_report_reads_a_legacy_trajectory_without_unit_files(finished_study: Path, tmp_path: Path) -> None:
    """A folder written before the incumbent/regret columns, its unit files gone, still re-renders."""
    out = tmp_path / "old"
    shutil.copytree(finished_study, out)
    shutil.rmtree(out / "units")
    expected = report_study(out).summary
    lines = (out / "trajectory.csv").read_text().splitlines()
    keep = [lines[0].split(",").index(c) for c in LEGACY_TRAJECTORY_COLUMNS]
    legacy = [",".join(row[i] for i in keep) for row in (line.split(",") for line in lines)]
    (out / "trajectory.csv").write_text("\n".join(legacy) + "\n")
    (out / "summary.md").unlink()
    assert report_study(out).summary == expected == (out / "summary.md").read_text()


def test_plot_title_names_study_metric_and_dataset(finished_study: Path) -> None:
    manifest = json.loads((finished_study / "manifest.json").read_text())
    title = plot_title(manifest)
    assert title.startswith("t: regret of test_acc on digits (table best ")
