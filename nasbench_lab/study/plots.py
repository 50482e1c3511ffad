"""Regret curves of a study's units and the regret plot (versus queries and versus simulated time).

Regret is defined in :mod:`nasbench_lab.study.report`: the table's best reported value minus the reported
metric of the incumbent. Curves are mean +- standard error over a strategy's seeds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.study.results import UnitResult, group_units


def regret_by_query(group: Sequence[UnitResult], best: float) -> np.ndarray:
    """Regret of each unit at queries ``1..max_queries``, shape ``(n_seeds, max_queries)``.

    A unit that stopped early (time budget) keeps its last incumbent, so its regret is carried forward.
    """
    n = max(u.n_queries for u in group)
    out = np.empty((len(group), n))
    for i, u in enumerate(group):
        regret = best - u.reported
        out[i, : u.n_queries] = regret
        out[i, u.n_queries:] = regret[-1]
    return out


def regret_by_time(group: Sequence[UnitResult], best: float, grid: np.ndarray) -> np.ndarray:
    """Regret of each unit at simulated times ``grid``, shape ``(n_seeds, len(grid))``.

    NaN before a unit's first result (nothing has been found yet); the incumbent's regret afterwards.
    """
    out = np.full((len(group), grid.size), math.nan)
    for i, u in enumerate(group):
        pos = np.searchsorted(u.simulated_time, grid, side="right") - 1
        seen = pos >= 0
        out[i, seen] = (best - u.reported)[pos[seen]]
    return out


def band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over axis 0, ignoring NaN; NaN where no unit has a value."""
    count = np.sum(~np.isnan(values), axis=0)
    total = np.where(np.isnan(values), 0.0, values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        dev = np.where(np.isnan(values), 0.0, values - mean) ** 2
        se = np.sqrt(dev.sum(axis=0) / np.maximum(count - 1, 1)) / np.sqrt(count)
    se[count < 2] = 0.0
    return mean, se


def plot_regret(units: Iterable[UnitResult], best: float, stem: Path, *, metric: str = "reported",
                order: Sequence[str] | None = None, n_grid: int = 256) -> list[Path]:
    """Regret versus queries and versus simulated time (mean +- s.e. over seeds) as PNG and PDF.

    The regret axis is symmetric-log (linear near 0, where regrets end); the time axis is logarithmic.

    Args:
        units: finished units.
        best: the table's best reported value.
        stem: output path without suffix; ``stem.png`` and ``stem.pdf`` are written.
        metric: name of the reported metric, for the axis label.
        order: strategy labels in legend order.
        n_grid: points of the simulated-time axis.

    Returns:
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grouped = group_units(units, order)
    timed = {k: [u for u in g if np.isfinite(u.simulated_time).all()] for k, g in grouped.items()}
    grid, t_min, t_max = _time_grid(timed, n_grid)
    top = 0.0
    fig, (ax_q, ax_t) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for label, group in grouped.items():
        top = max(top, _draw_strategy(ax_q, ax_t, label, group, timed[label], best, grid))
    _style_axes(ax_q, ax_t, metric, t_min, t_max, top)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    for p in paths:
        fig.savefig(p, dpi=120)
    plt.close(fig)
    return paths


def _time_grid(timed: dict[str, list[UnitResult]], n_grid: int) -> tuple[np.ndarray, float, float]:
    """The simulated-time axis (geometric from the first positive time when it can be) and its ends."""
    t_max = max((float(u.simulated_time[-1]) for g in timed.values() for u in g), default=0.0)
    t_min = min((float(u.simulated_time[u.simulated_time > 0][0]) for g in timed.values() for u in g
                 if (u.simulated_time > 0).any()), default=0.0)
    grid = np.geomspace(t_min, t_max, n_grid) if 0 < t_min < t_max else np.linspace(0.0, t_max, n_grid)
    return grid, t_min, t_max


def _draw_strategy(ax_q: Any, ax_t: Any, label: str, group: list[UnitResult], timed: list[UnitResult],
                   best: float, grid: np.ndarray) -> float:
    """One strategy's regret bands on both axes; returns the largest mean regret versus queries."""
    mean, se = band(regret_by_query(group, best))
    top = float(np.nanmax(mean))
    x = np.arange(1, mean.size + 1)
    (line,) = ax_q.plot(x, mean, label=f"{label} ({len(group)})")
    ax_q.fill_between(x, mean - se, mean + se, color=line.get_color(), alpha=0.2, linewidth=0)
    if timed:  # units without simulated time (tables without times) have no time curve
        mean, se = band(regret_by_time(timed, best, grid))
        ax_t.plot(grid, mean, color=line.get_color())
        ax_t.fill_between(grid, mean - se, mean + se, color=line.get_color(), alpha=0.2, linewidth=0)
    return top


def _style_axes(ax_q: Any, ax_t: Any, metric: str, t_min: float, t_max: float, top: float) -> None:
    """Labels, scales and legend of the two panels."""
    if t_max == 0.0:
        ax_t.text(0.5, 0.5, "simulated time unknown\n(the table holds no times)", ha="center", va="center",
                  transform=ax_t.transAxes)
    ax_q.set_xlabel("queries")
    ax_t.set_xlabel("simulated time (s)")
    if 0 < t_min < t_max:
        ax_t.set_xscale("log")
    for ax in (ax_q, ax_t):
        ax.set_ylabel(f"regret of {metric}")
        ax.grid(alpha=0.3)
        if top > 0:  # regrets span decades and reach 0: logarithmic above a small linear band
            ax.set_yscale("symlog", linthresh=10.0 ** math.floor(math.log10(top)) / 100)
            ax.set_ylim(bottom=0.0)
    ax_q.legend(title="strategy (seeds)", fontsize="small")
