"""Tests of nasbench_lab/proxies/evaluate.py: the correlation plot says over how many archs each bar is, and the
top-k set follows the metric's direction."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nasbench_lab.proxies.evaluate import ProxyCorrelation, correlate, write_outputs


def test_plot_labels_give_arch_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    rows = [ProxyCorrelation("synflow", 15625, 0, 0.7, 0.5, 0.3, 0.2, 0.01),
            ProxyCorrelation("snip", 15000, 625, 0.6, 0.4, math.nan, math.nan, 0.01)]
    seen: dict[str, list[str]] = {}

    def savefig(fig: Any, path: Any, **kwargs: Any) -> None:
        ax = fig.axes[0]
        seen["ticks"] = [t.get_text() for t in ax.get_yticklabels()]
        seen["legend"] = [t.get_text() for t in ax.get_legend().get_texts()]

    monkeypatch.setattr(plt.Figure, "savefig", savefig)
    write_outputs(rows, tmp_path, top_fraction=0.2)
    assert seen["ticks"] == ["snip (n=15,000; top 3,000)", "synflow (n=15,625; top 3,125)"]
    assert seen["legend"] == ["all archs with a score (n)", "top 20% of them by accuracy"]


def test_top_fraction_takes_the_smallest_values_of_a_minimised_metric() -> None:
    loss = np.arange(20, dtype=float)  # small loss is good
    scores = np.concatenate([-loss[:10], loss[10:]])  # ranks the 10 best archs correctly, the rest backwards
    _n, _rho, _tau, rho_top, _ = correlate(scores, loss, top_fraction=0.5, maximise=False)
    assert rho_top == pytest.approx(-1.0)  # the top half by loss is the first 10, where score falls as loss rises
    _n, _rho, _tau, rho_top, _ = correlate(scores, loss, top_fraction=0.5, maximise=True)
    assert rho_top == pytest.approx(1.0)  # taken as an accuracy, the "top" would be the other half
