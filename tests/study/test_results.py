"""Tests of nasbench_lab/study/results.py: unit results, trajectory files, unit files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.study.results import (
    LEGACY_TRAJECTORY_COLUMNS,
    UNKNOWN_INCUMBENT,
    UnitResult,
    read_trajectory,
    regret,
    trajectory_csv,
    write_atomic,
)
from study.report_fakes import UNITS, unit


def test_trajectory_csv_has_incumbent_and_regret_columns() -> None:
    lines = trajectory_csv(UNITS, best=95.0).splitlines()
    assert lines[0] == "strategy,seed,step,arch,epochs,objective,incumbent,reported,regret,simulated_time"
    assert lines[1] == "A,0,1,0,12,50.0,0,90.0,5.0,10.0" and len(lines) == 1 + 12
    assert lines[-1] == "B,1,3,3,12,60.0,3,95.0,0.0,30.0"  # B seed 1 reaches the table's best


def test_regret_is_best_minus_reported() -> None:
    np.testing.assert_array_equal(regret(np.array([90.0, 95.0]), 95.0), [5.0, 0.0])


def test_legacy_trajectory_without_incumbent_is_read(tmp_path: Path) -> None:
    path = tmp_path / "trajectory.csv"
    path.write_text(",".join(LEGACY_TRAJECTORY_COLUMNS) + "\nA,0,1,7,12,50.0,90.0,10.0\nA,0,2,8,12,51.0,91.0,20.0\n")
    (u,) = read_trajectory(path)
    np.testing.assert_array_equal(u.arch, [7, 8])
    np.testing.assert_array_equal(u.reported, [90.0, 91.0])
    np.testing.assert_array_equal(u.simulated_time, [10.0, 20.0])
    np.testing.assert_array_equal(u.incumbent, [UNKNOWN_INCUMBENT] * 2)


def test_unit_file_without_incumbent_is_read() -> None:
    data = UNITS[0].to_json()
    del data["incumbent"]
    np.testing.assert_array_equal(UnitResult.from_json(data).incumbent, [UNKNOWN_INCUMBENT] * 3)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=8))
def test_trajectory_round_trips_floats_exactly(values: list[float]) -> None:
    u = unit("x,y", 3, values, times=values)  # a comma in the label is quoted
    back = read_trajectory_from_text(trajectory_csv([u], best=1.0))
    (b,) = back
    assert b.strategy == "x,y" and b.seed == 3
    np.testing.assert_array_equal(b.reported, u.reported)
    np.testing.assert_array_equal(b.simulated_time, u.simulated_time)
    np.testing.assert_array_equal(b.arch, u.arch)
    np.testing.assert_array_equal(b.incumbent, u.incumbent)


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
    for name in ("arch", "epochs", "objective", "reported", "simulated_time", "wall_time", "incumbent"):
        np.testing.assert_array_equal(getattr(back, name), getattr(u, name))
    assert (back.strategy, back.seed) == ("B", 1)


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    write_atomic(path, "old")
    write_atomic(path, "new")
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]
