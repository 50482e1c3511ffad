"""Tests of nasbench_lab/study/frame.py: study results as one tidy DataFrame."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.study import RESULT_COLUMNS, load_results
from nasbench_lab.study.results import LEGACY_TRAJECTORY_COLUMNS, read_trajectory

REPO = Path(__file__).resolve().parents[2]


def test_one_row_per_query_with_study_columns(finished_study: Path) -> None:
    df = load_results(finished_study)
    assert list(df.columns) == list(RESULT_COLUMNS) and len(df) == 4 * 12
    assert set(df["study"]) == {"t"} and set(df["dataset"]) == {"digits"}
    assert set(df["objective_metric"]) == {"valid_acc"} and set(df["reported_metric"]) == {"test_acc"}
    assert list(df.groupby("strategy", sort=False).size().index) == ["random", "REA"]
    assert df["step"].tolist()[:12] == list(range(1, 13)) and df["incumbent"].dtype == "Int64"
    best = json.loads((finished_study / "manifest.json").read_text())["reported_best"]["value"]
    np.testing.assert_array_equal(df["regret"], best - df["reported"])
    assert (df["regret"] >= 0).all()


def test_frame_matches_the_trajectory_file(finished_study: Path) -> None:
    df = load_results(finished_study)
    csv = pd.read_csv(finished_study / "trajectory.csv")
    for column in ("strategy", "seed", "step", "arch", "epochs", "objective", "incumbent", "reported", "regret",
                   "simulated_time"):
        np.testing.assert_array_equal(df[column].to_numpy(), csv[column].to_numpy(), err_msg=column)


def test_incumbent_is_the_best_objective_so_far(finished_study: Path) -> None:
    for (_, _), unit in load_results(finished_study).groupby(["strategy", "seed"]):
        objective, arch = unit["objective"].to_numpy(), unit["arch"].to_numpy()
        expected = [arch[: t + 1][np.argmax(objective[: t + 1])] for t in range(len(unit))]
        np.testing.assert_array_equal(unit["incumbent"].to_numpy(dtype=np.int64), expected)


def test_several_studies_and_legacy_files(finished_study: Path, tmp_path: Path) -> None:
    """A study saved before the incumbent column existed loads with <NA> incumbents and computed regret."""
    old = tmp_path / "old"
    shutil.copytree(finished_study, old)
    shutil.rmtree(old / "units")
    units = read_trajectory(old / "trajectory.csv")
    rows = [",".join(LEGACY_TRAJECTORY_COLUMNS)]
    rows += [f"{u.strategy},{u.seed},{i + 1},{u.arch[i]},{u.epochs[i]},{float(u.objective[i])!r},"
             f"{float(u.reported[i])!r},{float(u.simulated_time[i])!r}" for u in units for i in range(u.n_queries)]
    (old / "trajectory.csv").write_text("\n".join(rows) + "\n")
    df = load_results(finished_study, old)
    assert len(df) == 2 * 48 and set(df["study"]) == {str(finished_study), str(old)}  # same name: folders
    legacy = df[df["study"] == str(old)]
    assert legacy["incumbent"].isna().all()
    np.testing.assert_array_equal(legacy["regret"].to_numpy(), df[df["study"] == str(finished_study)]["regret"])


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least one"):
        load_results()
    with pytest.raises(ConfigError, match="manifest.json"):
        load_results(tmp_path)


def test_importing_the_package_loads_neither_pandas_nor_matplotlib() -> None:
    code = "import sys, nasbench_lab.study; print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "[]"
