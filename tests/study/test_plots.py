"""Tests of nasbench_lab/study/plots.py: regret curves, their bands and the regret plot."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nasbench_lab.study.plots import band, nice_floor, plot_regret, regret_by_query, regret_by_time, regret_limits
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


def _figure_texts(monkeypatch: pytest.MonkeyPatch, draw: Callable[[], object]) -> dict[str, object]:
    """Draw with ``draw`` and return what the saved figure shows: title, legend title, tick labels, scales."""
    import matplotlib.pyplot as plt

    seen: dict[str, object] = {}

    def savefig(fig: Any, path: Any, **kwargs: Any) -> None:
        fig.canvas.draw()
        ax_q, ax_t = fig.axes[:2]
        seen["title"] = fig._suptitle.get_text() if fig._suptitle else ""
        legend = ax_q.get_legend()
        seen["legend_title"] = legend.get_title().get_text()
        seen["legend"] = [t.get_text() for t in legend.get_texts()]
        seen["yscale"] = ax_q.get_yscale()
        seen["yticks"] = [t.get_text() for t in ax_q.get_yticklabels() if t.get_text()]
        seen["xticks_time"] = [t.get_text() for t in ax_t.get_xticklabels() if t.get_text()]

    monkeypatch.setattr(plt.Figure, "savefig", savefig)
    draw()
    return seen


def test_plot_names_study_band_and_plain_log_ticks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    units = [unit("A", s, [50.0, 80.0, 93.0], times=[0.5, 20.0, 300.0]) for s in (0, 1, 2)]
    units += [unit("B", s, [60.0, 70.0, 90.0], times=[1.0, 10.0, 100.0]) for s in (0, 1, 2)]
    seen = _figure_texts(monkeypatch, lambda: plot_regret(units, 95.0, tmp_path / "r", metric="test_acc",
                                                          title="qs: regret of test_acc on digits"))
    assert seen["title"] == "qs: regret of test_acc on digits"
    assert seen["legend_title"] == "line: mean, band: ± 1 s.e. over 3 seeds" and seen["legend"] == ["A", "B"]
    assert seen["yscale"] == "log"  # no curve reaches 0: a plain log axis from just below the smallest regret
    assert {"2", "5", "10", "20"} <= set(seen["yticks"]) and not any("^" in t for t in seen["yticks"])
    assert {"1", "10", "100"} <= set(seen["xticks_time"]) and not any("^" in t for t in seen["xticks_time"])


def test_plot_with_zero_regret_and_unequal_seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    units = [unit("A", 0, [90.0, 95.0]), unit("A", 1, [91.0, 95.0]), unit("B", 0, [80.0, 94.5])]
    seen = _figure_texts(monkeypatch, lambda: plot_regret(units, 95.0, tmp_path / "r"))
    assert seen["yscale"] == "symlog" and "0" in seen["yticks"]
    assert seen["legend"] == ["A (2 seeds)", "B (1 seed)"] and "each strategy's seeds" in str(seen["legend_title"])


@pytest.mark.parametrize(("value", "floor"), [(0.37, 0.2), (1.0, 1.0), (4.99, 2.0), (5.0, 5.0), (730.0, 500.0)])
def test_nice_floor(value: float, floor: float) -> None:
    assert nice_floor(value) == pytest.approx(floor)


def test_regret_limits() -> None:
    assert regret_limits([np.array([3.0, 0.5]), np.array([np.nan, 7.0])]) == (0.5, 7.0, False)
    assert regret_limits([np.array([0.0, 2.0])]) == (2.0, 2.0, True)
    low, top, zero = regret_limits([np.zeros(3)])
    assert math.isnan(low) and top == 0.0 and zero


def test_many_curves_put_the_legend_beside_the_panels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    legends: list[int] = []
    monkeypatch.setattr(plt.Figure, "savefig", lambda fig, *a, **k: legends.append(len(fig.legends)))
    plot_regret([unit(f"S{i}", 0, [90.0, 91.0]) for i in range(7)], 95.0, tmp_path / "r")
    plot_regret([unit(f"S{i}", 0, [90.0, 91.0]) for i in range(6)], 95.0, tmp_path / "r")
    assert legends == [1, 1, 0, 0]  # png and pdf of each
