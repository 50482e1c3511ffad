"""Tests of nasbench_lab/predictors/plots.py on a hand-built evaluation result."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from nasbench_lab.predictors import plots
from nasbench_lab.predictors.evaluate import COLUMNS, EvaluationResult, Protocol


def _row(predictor, trial, size, fidelity, tau, time):
    row = dict.fromkeys(COLUMNS, 0.0)
    row.update(predictor=predictor, name=predictor, trial=trial, train_size=size, fidelity=fidelity,
               status="ok", error="", kendall_tau=tau, train_time=time, diagnostics="")
    return row


@pytest.fixture
def result():
    rows = []
    for t in range(3):
        for n in (10, 100):
            rows.append(_row("xgb", t, n, None, 0.3 + n / 200 + 0.01 * t, 50.0 * n))
            for k in (2, 5):
                rows.append(_row("lcsvr", t, n, k, 0.5 + k / 20, 50.0 * n + 4 * k))
        for k in (2, 5):
            rows.append(_row("sotl", t, 0, k, 0.6 + 0.01 * k, 4.0 * k))
        rows.append(_row("zc", t, 0, None, 0.4, 0.0))
    y = np.linspace(50, 90, 20)
    predictions = {("xgb", 100, None): (y, y + 1), ("lcsvr", 100, 5): (y, y), ("lcsvr", 10, 5): (y, y - 3),
                   ("sotl", 0, 5): (y, -y / 10)}
    protocol = Protocol("toy", train_sizes=(10, 100), test_size=20, trials=3)
    return EvaluationResult(rows, predictions, protocol, ["xgb", "lcsvr", "sotl", "zc"])


def test_vs_train_size_draws_one_series_per_predictor_and_fidelity(result):
    ax = Figure().subplots()
    plots.plot_vs_train_size(ax, result.summary())
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["xgb", "lcsvr (k=2)", "lcsvr (k=5)", "sotl (k=2)", "sotl (k=5)", "zc"]
    xgb = ax.get_lines()[0]
    np.testing.assert_allclose(xgb.get_xdata(), [10, 100])
    np.testing.assert_allclose(xgb.get_ydata(), [0.3 + 10 / 200 + 0.01, 0.3 + 100 / 200 + 0.01])
    sotl = ax.get_lines()[3]  # training-free: horizontal across the train sizes
    np.testing.assert_allclose(sotl.get_xdata(), [10, 100])
    assert sotl.get_linestyle() == "--" and np.ptp(sotl.get_ydata()) == 0
    assert len(ax.collections) == 6  # a std band for every series


def test_vs_train_time_groups_training_free_fidelities_and_skips_free_inputs(result):
    ax = Figure().subplots()
    plots.plot_vs_train_time(ax, result.summary())
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"xgb", "lcsvr (k=2)", "lcsvr (k=5)", "sotl (k=2..5)"}  # zc costs 0 s: no point
    np.testing.assert_allclose(lines["sotl (k=2..5)"].get_xdata(), [8.0, 20.0])
    assert lines["lcsvr (k=5)"].get_color() != lines["lcsvr (k=2)"].get_color()


def test_same_series_same_colour_in_both_panels(result):
    left, right = Figure().subplots(1, 2)
    plots.plot_vs_train_size(left, result.summary())
    plots.plot_vs_train_time(right, result.summary())
    colour = lambda ax, label: next(line.get_color() for line in ax.get_lines() if line.get_label() == label)
    assert colour(left, "xgb") == colour(right, "xgb")
    assert colour(left, "lcsvr (k=5)") == colour(right, "lcsvr (k=5)")


def test_scatter_takes_largest_train_size_then_fidelity(result):
    assert plots.scatter_keys(result) == [("xgb", 100, None), ("lcsvr", 100, 5), ("sotl", 0, 5)]
    fig = plots.scatter_figure(result)
    drawn = [ax for ax in fig.axes if ax.collections]
    assert len(drawn) == 3
    np.testing.assert_allclose(drawn[0].collections[0].get_offsets()[:, 1], np.linspace(50, 90, 20) + 1)


def test_written_files(result, tmp_path):
    keep = ("xgb", "zc")  # two predictors keep the test fast
    small = EvaluationResult([r for r in result.rows if r["predictor"] in keep],
                             {k: v for k, v in result.predictions.items() if k[0] in keep}, result.protocol, list(keep))
    written = plots.write_comparison_plots(small, tmp_path)
    written += plots.write_evaluation_plots(small, tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {"comparison.png", "comparison.pdf", "scatter.png", "xgb/kendall_tau.png", "zc/scatter.pdf"} <= names
    for path in written:
        head = path.read_bytes()[:8]
        assert head.startswith(b"\x89PNG") if path.suffix == ".png" else head.startswith(b"%PDF")


def test_vs_train_time_says_when_the_benchmark_has_no_times(result):
    for row in result.rows:
        row["train_time"] = float("nan")
    ax = Figure().subplots()
    plots.plot_vs_train_time(ax, result.summary())
    assert not ax.get_lines() and "no simulated training times" in ax.texts[0].get_text()
