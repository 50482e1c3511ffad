"""Figures of a predictor evaluation: a score vs training-set size and vs simulated time, and scatter.

Every plot reads :meth:`EvaluationResult.summary` rows (mean and std over trials) and draws the mean
with a band of ± one standard deviation over trials. A series is one predictor at one fidelity.
Training-free predictors (``train_size`` 0) do not depend on the training set: against train size they
are horizontal dashed lines; against simulated time they run over their fidelities. Figures are built
with :class:`matplotlib.figure.Figure` (no pyplot state) and saved as PNG and PDF.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from nasbench_lab.predictors.results import EvaluationResult

SCORE_TITLES = {
    "kendall_tau": "Kendall tau", "spearman": "Spearman rho", "pearson": "Pearson r", "mae": "MAE",
    "rmse": "RMSE", "precision_at_10": "precision@10", "precision_at_20": "precision@20",
}


def _series(summary: Iterable[dict[str, Any]], by: str) -> dict[tuple[str, Any], list[dict[str, Any]]]:
    """Summary rows grouped into plot series, each sorted by ``by`` ("train_size" or "train_time")."""
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for row in summary:
        free = row["train_size"] == 0
        key = (row["predictor"], None if (free and by == "train_time") else row["fidelity"])
        groups.setdefault(key, []).append(row)
    x_of = (lambda r: r["train_size"]) if by == "train_size" else (lambda r: r["train_time"]["mean"])
    return {k: sorted(v, key=lambda r: (x_of(r), r["fidelity"] or 0)) for k, v in groups.items()}


def _label(predictor: str, fidelity: Any) -> str:
    return predictor if fidelity is None else f"{predictor} (k={fidelity})"


def _colours(summary: list[dict[str, Any]]) -> dict[tuple[str, Any], Any]:
    """A colour per predictor (tab10), lightened for each further fidelity: same series, same colour."""
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    predictors = list(dict.fromkeys(r["predictor"] for r in summary))
    out: dict[tuple[str, Any], Any] = {}
    for i, predictor in enumerate(predictors):
        base = np.array(to_rgb(colormaps["tab10"](i % 10)))
        fids = sorted({r["fidelity"] for r in summary if r["predictor"] == predictor}, key=lambda f: f or 0)
        out[(predictor, None)] = tuple(base)
        for j, fidelity in enumerate(fids):
            out[(predictor, fidelity)] = tuple(base + (1 - base) * 0.6 * j / max(len(fids), 1))
    return out


def _band(ax: Axes, x: np.ndarray, mean: np.ndarray, std: np.ndarray, label: str, colour: Any, dashed: bool = False) -> None:
    ax.plot(x, mean, "--" if dashed else "-o", markersize=3, label=label, color=colour)
    if np.isfinite(std).any():
        ax.fill_between(x, mean - std, mean + std, color=colour, alpha=0.15, linewidth=0)


def plot_vs_train_size(ax: Axes, summary: list[dict[str, Any]], score: str = "kendall_tau") -> None:
    """Draw ``score`` against training-set size (log x) on ``ax``."""
    sizes = [r["train_size"] for r in summary if r["train_size"] > 0] or [1, 2]
    span = np.array([min(sizes), max(sizes)], dtype=np.float64)
    colours = _colours(summary)
    for (predictor, fidelity), rows in _series(summary, "train_size").items():
        mean = np.array([r[score]["mean"] for r in rows], dtype=np.float64)
        std = np.array([r[score]["std"] for r in rows], dtype=np.float64)
        if rows[0]["train_size"] == 0:  # training-free: one value, drawn across the axis
            _band(ax, span, np.repeat(mean[:1], 2), np.repeat(std[:1], 2), _label(predictor, fidelity),
                  colours[(predictor, fidelity)], dashed=True)
        else:
            x = np.array([r["train_size"] for r in rows], dtype=np.float64)
            _band(ax, x, mean, std, _label(predictor, fidelity), colours[(predictor, fidelity)])
    ax.set_xscale("log")
    ax.set_xlabel("training archs")
    ax.set_ylabel(SCORE_TITLES.get(score, score))
    ax.grid(alpha=0.3)


def plot_vs_train_time(ax: Axes, summary: list[dict[str, Any]], score: str = "kendall_tau") -> None:
    """Draw ``score`` against the simulated training time of the predictor's inputs (log x).

    Points with no positive finite time (unrecorded times, or free inputs) are left out of this plot.
    """
    colours = _colours(summary)
    drawn = 0
    for (predictor, fidelity), rows in _series(summary, "train_time").items():
        x = np.array([r["train_time"]["mean"] for r in rows], dtype=np.float64)
        keep = np.isfinite(x) & (x > 0)
        if not keep.any():
            continue
        mean = np.array([r[score]["mean"] for r in rows], dtype=np.float64)[keep]
        std = np.array([r[score]["std"] for r in rows], dtype=np.float64)[keep]
        label = _label(predictor, fidelity) if fidelity is not None or rows[0]["train_size"] > 0 else (
            f"{predictor} (k={rows[0]['fidelity']}..{rows[-1]['fidelity']})"
        )
        _band(ax, x[keep], mean, std, label, colours[(predictor, fidelity)])
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no simulated training times\n(the benchmark records none for these archs)",
                transform=ax.transAxes, ha="center", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_xlabel("simulated training time of the inputs (s)")
    ax.set_ylabel(SCORE_TITLES.get(score, score))
    ax.grid(alpha=0.3)


def scatter_keys(result: EvaluationResult, labels: Iterable[str] | None = None) -> list[tuple]:
    """Per predictor, the trial-0 prediction with the largest train size, then the largest fidelity."""
    keys = []
    for label in labels if labels is not None else result.labels:
        mine = [k for k in result.predictions if k[0] == label]
        if mine:
            keys.append(max(mine, key=lambda k: (k[1], k[2] or 0)))
    return keys


def plot_scatter(ax: Axes, y_true: np.ndarray, y_pred: np.ndarray, title: str) -> None:
    """Predicted against true values of one test set, with the identity line."""
    ax.scatter(y_true, y_pred, s=6, alpha=0.6)
    lo = float(min(np.min(y_true), np.min(y_pred)))
    hi = float(max(np.max(y_true), np.max(y_pred)))
    ax.plot([lo, hi], [lo, hi], "k:", linewidth=0.8)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")


def save(fig: Figure, stem: str | Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.pdf``; returns both paths."""
    paths = [Path(f"{stem}.png"), Path(f"{stem}.pdf")]
    for path in paths:
        fig.savefig(path, dpi=120)
    return paths


def scatter_figure(result: EvaluationResult, labels: Iterable[str] | None = None) -> Figure:
    """One scatter panel per predictor (see :func:`scatter_keys`)."""
    from matplotlib.figure import Figure

    keys = scatter_keys(result, labels)
    cols = min(4, max(1, len(keys)))
    rows = max(1, math.ceil(len(keys) / cols))
    fig = Figure(figsize=(3.2 * cols, 3.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, key in zip(axes, keys):
        label, size, fidelity = key
        y_true, y_pred = result.predictions[key]
        plot_scatter(ax, y_true, y_pred, f"{_label(label, fidelity)}, n={size}, trial 0")
    for ax in axes[len(keys):]:
        ax.set_axis_off()
    return fig


def curves_figure(summary: list[dict[str, Any]], score: str = "kendall_tau", title: str = "") -> Figure:
    """Two panels: ``score`` vs training archs and vs simulated time, one legend."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_vs_train_size(left, summary, score)
    plot_vs_train_time(right, summary, score)
    for ax in (left, right):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def write_evaluation_plots(result: EvaluationResult, out_dir: str | Path, score: str = "kendall_tau") -> list[Path]:
    """Per predictor: ``<label>/<score>.png|pdf`` (both panels) and ``<label>/scatter.png|pdf``."""
    summary = result.summary()
    written = []
    for label in result.labels:
        folder = Path(out_dir) / _safe(label)
        folder.mkdir(parents=True, exist_ok=True)
        mine = [r for r in summary if r["predictor"] == label]
        written += save(curves_figure(mine, score, title=label), folder / score)
        written += save(scatter_figure(result, [label]), folder / "scatter")
    return written


def write_comparison_plots(result: EvaluationResult, out_dir: str | Path, score: str = "kendall_tau") -> list[Path]:
    """All predictors in one figure ``comparison.png|pdf`` plus ``scatter.png|pdf``."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    title = f"{result.protocol.dataset} {result.protocol.metric}: {SCORE_TITLES.get(score, score)}"
    written = save(curves_figure(result.summary(), score, title=title), Path(out_dir) / "comparison")
    return written + save(scatter_figure(result), Path(out_dir) / "scatter")


def _safe(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label) or "predictor"
