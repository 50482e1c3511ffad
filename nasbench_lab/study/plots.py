"""Regret curves of a study's units and the regret plot (versus queries and versus simulated time).

Regret is :func:`nasbench_lab.study.results.regret`: the table's best reported value minus the reported
metric of the incumbent. Curves are mean +- one standard error over a strategy's seeds; the plot says so in
its legend, names the study, dataset and metric in its title, and labels its logarithmic axes with plain
numbers (1, 2, 5, 10, ...).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.objectives import reported_sign
from nasbench_lab.study.results import UnitResult, group_units, regret


def regret_by_query(group: Sequence[UnitResult], best: float, sign: float = 1.0) -> np.ndarray:
    """Regret of each unit at queries ``1..max_queries``, shape ``(n_seeds, max_queries)``.

    ``sign`` is ``-1`` for a minimised reported metric (regret ``reported - best``).

    A unit that stopped early (time budget) keeps its last incumbent, so its regret is carried forward.
    """
    n = max(u.n_queries for u in group)
    out = np.empty((len(group), n))
    for i, u in enumerate(group):
        gap = regret(u.reported, best, sign)
        out[i, : u.n_queries] = gap
        out[i, u.n_queries:] = gap[-1]
    return out


def regret_by_time(group: Sequence[UnitResult], best: float, grid: np.ndarray, sign: float = 1.0) -> np.ndarray:
    """Regret of each unit at simulated times ``grid``, shape ``(n_seeds, len(grid))``.

    NaN before a unit's first result (nothing has been found yet); the incumbent's regret afterwards.
    """
    out = np.full((len(group), grid.size), math.nan)
    for i, u in enumerate(group):
        pos = np.searchsorted(u.simulated_time, grid, side="right") - 1
        seen = pos >= 0
        out[i, seen] = regret(u.reported, best, sign)[pos[seen]]
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
                order: Sequence[str] | None = None, title: str = "", n_grid: int = 256) -> list[Path]:
    """Regret versus queries and versus simulated time (mean +- 1 s.e. over seeds) of one study, as PNG and PDF.

    Args:
        units: finished units.
        best: the table's best reported value.
        stem: output path without suffix; ``stem.png`` and ``stem.pdf`` are written.
        metric: name of the reported metric, for the axis label.
        order: strategy labels in legend order.
        title: the figure's title (e.g. the study, dataset and metric).
        n_grid: points of the simulated-time axis.

    Returns:
        The files written.
    """
    grouped = group_units(units, order)
    return plot_regret_groups(grouped, dict.fromkeys(grouped, best), stem, ylabel=f"regret of {metric}", title=title,
                              n_grid=n_grid, sign=reported_sign(metric))


def plot_regret_groups(grouped: Mapping[str, Sequence[UnitResult]], best: Mapping[str, float], stem: Path, *,
                       ylabel: str, title: str = "", n_grid: int = 256,
                       sign: float | Mapping[str, float] = 1.0) -> list[Path]:
    """Regret curves of labelled groups of units, each against its own best value, as PNG and PDF.

    The regret axis is logarithmic (symmetric-log, linear near 0, when a curve reaches 0); the time axis
    is logarithmic when times are positive. Ticks are plain numbers at 1, 2 and 5 times powers of ten.

    Args:
        grouped: units per legend label, in legend order (each group non-empty).
        best: per label, the best reported value its regret is measured against.
        stem: output path without suffix; ``stem.png`` and ``stem.pdf`` are written.
        ylabel: label of the regret axes.
        title: the figure's title.
        n_grid: points of the simulated-time axis.
        sign: ``-1`` when the reported metric is minimised (see :func:`~nasbench_lab.study.results.regret`);
            a mapping gives it per label (groups of studies reporting different metrics).

    Returns:
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = {k: [u for u in g if np.isfinite(u.simulated_time).all()] for k, g in grouped.items()}
    grid, t_min, t_max = _time_grid(timed, n_grid)
    n_seeds = {label: len(group) for label, group in grouped.items()}
    same = len(set(n_seeds.values())) == 1
    fig, (ax_q, ax_t) = plt.subplots(1, 2, figsize=(11, 4.4), constrained_layout=True)
    curves: list[np.ndarray] = []
    for label, group in grouped.items():
        name = label if same else f"{label} ({n_seeds[label]} seed{'' if n_seeds[label] == 1 else 's'})"
        curves += _draw_strategy(ax_q, ax_t, name, list(group), timed[label], best[label], grid,
                                 sign[label] if isinstance(sign, Mapping) else sign)
    _style_axes(ax_q, ax_t, ylabel, t_min, t_max, curves)
    note = band_note(set(n_seeds.values()))
    if len(grouped) > 6:  # many curves: the legend goes beside the panels, where it hides none
        fig.legend(loc="outside right upper", title=note, fontsize="small", title_fontsize="small")
    else:
        ax_q.legend(title=note, fontsize="small", title_fontsize="small")
    if title:
        fig.suptitle(title)
    return save_figure(fig, stem)


def save_figure(fig: Any, stem: Path, *, bbox_inches: str | None = None) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.pdf`` (120 dpi) and close it; returns the two paths."""
    import matplotlib.pyplot as plt

    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    for path in paths:
        fig.savefig(path, dpi=120, bbox_inches=bbox_inches)
    plt.close(fig)
    return paths


def band_note(counts: set[int]) -> str:
    """The legend's title: what the line and the band are (over how many seeds)."""
    if counts == {1}:
        return "one seed each: no s.e. band"
    over = f"over {counts.pop()} seeds" if len(counts) == 1 else "over each strategy's seeds"
    return f"line: mean, band: ± 1 s.e. {over}"


def _time_grid(timed: Mapping[str, list[UnitResult]], n_grid: int) -> tuple[np.ndarray, float, float]:
    """The simulated-time axis (geometric from the first positive time when it can be) and its ends."""
    t_max = max((float(u.simulated_time[-1]) for g in timed.values() for u in g), default=0.0)
    t_min = min((float(u.simulated_time[u.simulated_time > 0][0]) for g in timed.values() for u in g
                 if (u.simulated_time > 0).any()), default=0.0)
    grid = np.geomspace(t_min, t_max, n_grid) if 0 < t_min < t_max else np.linspace(0.0, t_max, n_grid)
    return grid, t_min, t_max


def _draw_strategy(ax_q: Any, ax_t: Any, label: str, group: list[UnitResult], timed: list[UnitResult],
                   best: float, grid: np.ndarray, sign: float) -> list[np.ndarray]:
    """One strategy's regret bands on both axes; returns the lower and upper band edges it drew."""
    mean, se = band(regret_by_query(group, best, sign))
    x = np.arange(1, mean.size + 1)
    (line,) = ax_q.plot(x, mean, label=label)
    ax_q.fill_between(x, mean - se, mean + se, color=line.get_color(), alpha=0.2, linewidth=0)
    edges = [mean, mean + se]
    if timed:  # units without simulated time (tables without times) have no time curve
        mean, se = band(regret_by_time(timed, best, grid, sign))
        ax_t.plot(grid, mean, color=line.get_color())
        ax_t.fill_between(grid, mean - se, mean + se, color=line.get_color(), alpha=0.2, linewidth=0)
        edges += [mean, mean + se]
    return edges


def regret_limits(curves: Sequence[np.ndarray]) -> tuple[float, float, bool]:
    """The regret axis' range from the curves drawn: (smallest positive mean, largest value, whether a mean
    reaches 0); ``(nan, 0.0, True)`` when nothing is positive."""
    values = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in curves]) if curves else np.zeros(0)
    values = values[np.isfinite(values)]
    positive = values[values > 0]
    if positive.size == 0:
        return math.nan, 0.0, True
    return float(positive.min()), float(values.max()), bool((values <= 0).any())


def nice_floor(value: float) -> float:
    """The largest of 1, 2, 5 times a power of ten that is <= ``value`` (> 0)."""
    decade = 10.0 ** math.floor(math.log10(value))
    return max(m * decade for m in (1.0, 2.0, 5.0) if m * decade <= value * (1 + 1e-12))


def _style_axes(ax_q: Any, ax_t: Any, ylabel: str, t_min: float, t_max: float, curves: Sequence[np.ndarray]) -> None:
    """Labels, scales and ticks of the two panels."""
    from matplotlib import ticker

    plain = ticker.FuncFormatter(lambda v, _pos: f"{v:g}")
    if t_max == 0.0:
        ax_t.text(0.5, 0.5, "simulated time unknown\n(the table holds no times)", ha="center", va="center",
                  transform=ax_t.transAxes)
    ax_q.set_xlabel("queries")
    ax_t.set_xlabel("simulated time (s)")
    if 0 < t_min < t_max:
        ax_t.set_xscale("log")
        ax_t.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=30))
        ax_t.xaxis.set_major_formatter(plain)
        ax_t.xaxis.set_minor_formatter(ticker.NullFormatter())
    low, top, reaches_zero = regret_limits(curves)
    for ax in (ax_q, ax_t):
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if top <= 0:
            continue
        if reaches_zero:  # logarithmic above a linear band that holds 0
            linthresh = nice_floor(low)
            ax.set_yscale("symlog", linthresh=linthresh, linscale=0.5)
            ax.yaxis.set_major_locator(ticker.SymmetricalLogLocator(base=10, linthresh=linthresh, subs=(1.0, 2.0, 5.0)))
            ax.set_ylim(0.0, top * 1.3)
        else:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=30))
            ax.set_ylim(nice_floor(low) * 0.9, top * 1.3)
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
