"""Tests of nasbench_lab/study/report.py and results.py: unit results, summary, wins and the study's files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.study.report import (
    UnitResult,
    read_trajectory,
    summarize,
    summary_markdown,
    trajectory_csv,
    wins_matrix,
    write_atomic,
    write_study_files,
)
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


def test_trajectory_csv_round_trip_and_order() -> None:
    text = trajectory_csv(UNITS)
    lines = text.splitlines()
    assert lines[0] == "strategy,seed,step,arch,epochs,objective,reported,simulated_time"
    assert lines[1].startswith("A,0,1,0,12,50.0,90.0,10.0") and len(lines) == 1 + 12


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=8))
def test_trajectory_round_trips_floats_exactly(values: list[float]) -> None:
    u = unit("x,y", 3, values, times=values)  # a comma in the label is quoted
    back = read_trajectory_from_text(trajectory_csv([u]))
    (b,) = back
    assert b.strategy == "x,y" and b.seed == 3
    np.testing.assert_array_equal(b.reported, u.reported)
    np.testing.assert_array_equal(b.simulated_time, u.simulated_time)
    np.testing.assert_array_equal(b.arch, u.arch)


def read_trajectory_from_text(text: str) -> list[UnitResult]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trajectory.csv"
        path.write_text(text)
        return read_trajectory(path)


def test_read_trajectory_refuses_other_files(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(NasbenchLabError, match="not a trajectory"):
        read_trajectory(tmp_path / "t.csv")
    with pytest.raises(NasbenchLabError, match="not found"):
        read_trajectory(tmp_path / "absent.csv")


def test_unit_json_round_trip() -> None:
    u = UNITS[3]
    back = UnitResult.from_json(json.loads(json.dumps(u.to_json())))
    for name in ("arch", "epochs", "objective", "reported", "simulated_time", "wall_time"):
        np.testing.assert_array_equal(getattr(back, name), getattr(u, name))
    assert (back.strategy, back.seed) == ("B", 1)


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


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    write_atomic(path, "old")
    write_atomic(path, "new")
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]
