"""Tests of nasbench_lab/benchmark/synthetic.py (synthetic benchmark files)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from scipy.stats import spearmanr

from nasbench_lab.benchmark import synthetic
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import CONV3, NONE, all_indices, ops_matrix, valid_mask


def test_marked_as_synthetic(bench: Benchmark) -> None:
    prov = bench.provenance("digits")
    assert prov["source"].startswith("synthetic") and "synthetic" in prov["device"]
    assert bench.recipe("digits").config["synthetic"] is True
    assert bench.seeds("digits") == [777, 888]
    np.testing.assert_array_equal(bench.eval_points("digits"), np.arange(1, 13))
    assert bench.coverage("digits") == 1.0


def test_deterministic(make_bench) -> None:  # type: ignore[no-untyped-def]
    first, again = make_bench("a.h5", seed=3), make_bench("b.h5", seed=3)
    other = make_bench("c.h5", seed=4)
    with h5py.File(first) as a, h5py.File(again) as b, h5py.File(other) as c:
        for name in ("valid_acc", "train_time", "filled", "params"):
            np.testing.assert_array_equal(a[f"digits/synthetic/{name}"][...], b[f"digits/synthetic/{name}"][...])
        assert not np.array_equal(a["digits/synthetic/valid_acc"][...], c["digits/synthetic/valid_acc"][...])


def test_fill_fraction_is_exact(partial_bench_path: Path, make_bench) -> None:  # type: ignore[no-untyped-def]
    with Benchmark.open(partial_bench_path) as bench:
        filled = bench.filled("digits")
        assert filled.sum() == 15625  # half of 15625 x 2
        assert 0 < (filled.sum(axis=1) == 1).sum() < 15625  # placed per run, not per arch
        arch, pos = np.argwhere(~filled)[0]
        seed = bench.seeds("digits")[pos]
        assert np.isnan(bench.query_many([arch], "digits", "valid_acc", seed=seed, missing="nan")[0])
    with Benchmark.open(make_bench(fill_fraction=0.0)) as empty:
        assert empty.coverage("digits") == 0.0


def test_accuracy_has_signal(bench: Benchmark) -> None:
    idx = all_indices()
    final = bench.query_many(idx, "digits", "valid_acc")
    live = valid_mask()
    assert np.all(np.abs(final[~live] - 10.0) < 2.0)  # output cut from the input: chance level
    assert final[live].min() > 20 and final.max() <= 100
    ops = ops_matrix(idx)
    convs = (ops[live] == CONV3).sum(axis=1)
    assert spearmanr(convs, final[live]).statistic > 0.3
    p10, p90 = np.percentile(final[live], [10, 90])
    assert p90 - p10 > 3
    seeds = bench.query_many(idx[live], "digits", "valid_acc", seed=777), bench.query_many(idx[live], "digits", "valid_acc", seed=888)
    tau = spearmanr(*seeds).statistic
    assert 0.5 < tau < 0.999  # seeds agree, but not exactly


def test_curves_rise_and_costs_grow(bench: Benchmark) -> None:
    idx = np.flatnonzero(valid_mask())[:500]
    curves = bench.curves_many(idx, "digits", "valid_acc")
    assert (curves[:, -1] > curves[:, 0]).mean() > 0.95
    train = bench.curves_many(idx, "digits", "train_acc")
    assert (train[:, -1] >= curves[:, -1]).mean() > 0.95
    loss = bench.curves_many(idx, "digits", "valid_loss")
    assert (loss[:, -1] < loss[:, 0]).mean() > 0.95
    assert np.all(bench.curves_many(idx, "digits", "train_time") > 0)
    costs = bench.cost_many(idx, "digits")
    assert np.all(bench.cost_many(idx, "digits", epochs=6) < costs)
    flops = bench.query_many(idx, "digits", "flops")
    assert spearmanr(flops, costs).statistic > 0.8


def test_params_follow_the_ops() -> None:
    figures = synthetic.arch_figures()
    ops = ops_matrix(all_indices())
    no_conv = ~np.isin(ops, [2, 3]).any(axis=1)
    assert np.ptp(figures["params"][no_conv]) == 0  # only convolutions carry weights
    all_conv3 = np.flatnonzero((ops == CONV3).all(axis=1))[0]
    assert figures["params"].argmax() == all_conv3
    assert 1.0 < figures["params"].max() < 2.0  # NB201's largest net has ~1.5 M params
    assert figures["params"][np.flatnonzero((ops == NONE).all(axis=1))[0]] < 0.1


def test_proxies(bench: Benchmark) -> None:
    dead = np.flatnonzero(~valid_mask())
    assert np.isnan(bench.proxy(dead, "digits", "syn_quality")).all()
    live = np.flatnonzero(valid_mask())[:300]
    score = bench.proxy(live, "digits", "syn_quality")
    assert np.isfinite(score).all()
    assert spearmanr(score, bench.query_many(live, "digits", "valid_acc")).statistic > 0.3
    assert np.isfinite(bench.proxy(dead, "digits", "syn_params")).all()


def test_datasets_and_full_size_shape(make_bench, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = make_bench(datasets=("cifar100", "mine"), n_seeds=1, n_epochs=3)
    with Benchmark.open(path) as bench:
        assert bench.datasets == ["cifar100", "mine"]
        assert bench.best("cifar100", "valid_acc")[1] < 80  # CIFAR-100 accuracy range, not CIFAR-10's
    calls = []
    monkeypatch.setattr(synthetic, "_write_dataset", lambda w, d, seeds, points, *a: calls.append((d, seeds, len(points))))
    synthetic.make_synthetic(path, full_size=True)
    assert calls == [(d, [777, 888, 999], 200) for d in synthetic.NB201_DATASETS]


@pytest.mark.parametrize("kwargs", [{"fill_fraction": 1.5}, {"n_seeds": 0}, {"n_epochs": 0}])
def test_bad_arguments(make_bench, kwargs: dict) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError):
        make_bench(**kwargs)
