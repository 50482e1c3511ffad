"""Tests of nasbench_lab/study/plots.py: regret curves, their bands and the regret plot."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from nasbench_lab.study.plots import band, plot_regret, regret_by_query, regret_by_time
from study.report_fakes import UNITS, unit


def test_regret_curves_carry_forward_and_wait_for_first_result() -> None:
    short = unit("A", 0, [90.0, 94.0])
    long = unit("A", 1, [91.0, 92.0, 93.0])
    np.testing.assert_allclose(regret_by_query([short, long], 95.0), [[5, 1, 1], [4, 3, 2]])
    by_time = regret_by_time([short], 95.0, np.array([0.0, 9.9, 10.0, 25.0, 100.0]))
    np.testing.assert_allclose(by_time, [[np.nan, np.nan, 5.0, 1.0, 1.0]])


def test_band_ignores_nan_and_needs_two_values_for_se() -> None:
    mean, se = band(np.array([[1.0, np.nan, np.nan], [3.0, 2.0, np.nan]]))
    np.testing.assert_allclose(mean, [2.0, 2.0, np.nan])
    np.testing.assert_allclose(se[:2], [1.0, 0.0])


def test_plot_regret_writes_png_and_pdf(tmp_path: Path) -> None:
    paths = plot_regret(UNITS, 95.0, tmp_path / "r", metric="test_acc")
    assert [p.name for p in paths] == ["r.png", "r.pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].read_bytes()[:5] == b"%PDF-"


def test_plot_without_simulated_time(tmp_path: Path) -> None:
    untimed = [unit("A", 0, [90.0, 91.0], times=[math.nan, math.nan])]
    assert plot_regret(untimed, 95.0, tmp_path / "r")[0].exists()
