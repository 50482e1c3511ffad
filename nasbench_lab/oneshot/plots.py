"""Figures of a oneshot search: alpha heat maps per epoch and the op share over epochs.

Figures are built on :class:`matplotlib.figure.Figure` (no pyplot state) and saved as PNG and PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nasbench_lab.oneshot.engine import SeedRun, probs_array
from nasbench_lab.space import EDGES, N_OPS, OPS, ops_matrix
from nasbench_lab.study.plots import save_figure

MAX_PANELS = 10
_COLOURS = ("#7f7f7f", "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e")  # one per op, in OPS order


def panel_epochs(n_epochs: int, most: int = MAX_PANELS) -> list[int]:
    """0-based epochs to draw: evenly spaced, first and last included, at most ``most``."""
    return sorted({int(round(x)) for x in np.linspace(0, n_epochs - 1, min(most, n_epochs))})


def plot_alpha(run: SeedRun, stem: Path, title: str) -> list[Path]:
    """Heat maps of the run's op distribution ``(6 edges x 5 ops)`` at up to :data:`MAX_PANELS` epochs."""
    from matplotlib.figure import Figure

    probs = probs_array(run)
    epochs = panel_epochs(len(probs))
    fig = Figure(figsize=(2.1 * len(epochs) + 1.0, 3.2))
    axes = fig.subplots(1, len(epochs), squeeze=False)[0]
    image = None
    top = max(float(probs.max()), 0.25)  # the colour range follows the run: alphas often stay near uniform
    for ax, e in zip(axes, epochs):
        image = ax.imshow(probs[e], vmin=0.0, vmax=top, cmap="viridis", aspect="auto")
        ax.set_title(f"epoch {e + 1}", fontsize=9)
        ax.set_xticks(range(N_OPS), [op.replace("nor_", "").replace("_connect", "") for op in OPS], rotation=90, fontsize=7)
        ax.set_yticks(range(len(EDGES)), [f"{s}→{d}" for s, d in EDGES] if ax is axes[0] else [], fontsize=7)
        for edge, op in enumerate(ops_matrix([run.epochs[e].arch_index])[0]):
            ax.text(op, edge, "•", ha="center", va="center", color="white", fontsize=9)
    assert image is not None  # epochs is never empty
    fig.colorbar(image, ax=list(axes), fraction=0.02, label="probability")
    fig.suptitle(f"{title}: op distribution per edge (dot: the pick)", fontsize=10)
    return save_figure(fig, stem, bbox_inches="tight")


def op_share(runs: Sequence[SeedRun]) -> tuple[np.ndarray, np.ndarray]:
    """Mean over seeds of ``(probability mass, share of the pick's edges)`` per op, each ``(n_epochs, 5)``."""
    n = min(len(r.epochs) for r in runs)
    mass = np.mean([probs_array(r)[:n].mean(axis=1) for r in runs], axis=0)
    picks = np.stack([ops_matrix([e.arch_index for e in r.epochs[:n]]) for r in runs])  # (seeds, epochs, 6)
    share = np.stack([(picks == op).mean(axis=(0, 2)) for op in range(N_OPS)], axis=1)
    return mass, share


def plot_op_share(runs: Sequence[SeedRun], stem: Path, title: str) -> list[Path]:
    """Two stacked-area panels over epochs: alpha's mass per op and the ops of the picks (skip-connect collapse shows)."""
    from matplotlib.figure import Figure

    mass, share = op_share(runs)
    epochs = np.arange(1, len(mass) + 1)
    fig = Figure(figsize=(9.0, 3.4))
    axes = fig.subplots(1, 2)
    for ax, values, what in ((axes[0], mass, "probability mass per op (mean over edges)"),
                             (axes[1], share, "ops of the picked arch (share of the 6 edges)")):
        ax.stackplot(epochs, values.T, labels=OPS, colors=_COLOURS, alpha=0.9)
        ax.set_xlim(epochs[0], max(epochs[-1], epochs[0] + 1))
        ax.set_ylim(0, 1)
        ax.set_xlabel("search epoch")
        ax.set_title(what, fontsize=9)
    axes[1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle(f"{title} ({len(runs)} seeds)", fontsize=10)
    return save_figure(fig, stem, bbox_inches="tight")


def plot_trajectory(runs: Sequence[SeedRun], valid_acc: np.ndarray, test_acc: np.ndarray, stem: Path, title: str,
                    optimum: float) -> list[Path]:
    """The picks' table accuracy over search epochs (mean ± s.e. over seeds), beside their one-shot accuracy.

    Args:
        runs: the seeds' runs.
        valid_acc, test_acc: the table's accuracy of every arch, ``(15625,)`` (NaN: missing, left out).
        stem: path without suffix.
        title: plot title.
        optimum: the table's best test accuracy of the best-valid arch, drawn as a line.
    """
    from matplotlib.figure import Figure

    from nasbench_lab.study.plots import band

    n = min(len(r.epochs) for r in runs)
    picks = np.array([[e.arch_index for e in r.epochs[:n]] for r in runs])
    oneshot = np.array([[e.oneshot_valid_acc for e in r.epochs[:n]] for r in runs])
    epochs = np.arange(1, n + 1)
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for values, label in ((test_acc[picks], "table test acc of the pick"), (valid_acc[picks], "table valid acc of the pick"),
                          (oneshot, "one-shot valid acc of the pick")):
        mean, se = band(values)
        ax.plot(epochs, mean, label=label)
        ax.fill_between(epochs, mean - se, mean + se, alpha=0.25)
    ax.axhline(optimum, color="black", linestyle=":", label="table optimum (test acc of best valid)")
    ax.set_xlabel("search epoch")
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"{title} ({len(runs)} seeds, mean ± s.e.)", fontsize=10)
    return save_figure(fig, stem, bbox_inches="tight")
