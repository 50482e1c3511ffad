"""Tests of nasbench_lab/predictors/evaluate.py against a small in-memory benchmark."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors import evaluate as E
from nasbench_lab.predictors import protocol as P
from nasbench_lab.predictors.base import Predictor
from nasbench_lab.predictors.curves import EarlyStop, LcSVR
from predictors.evaluation_fakes import N_POINTS, FakeBench, Flaky, Ridge, small


class Oracle(Predictor):
    """Knows the truth: a perfect predictor."""

    needs_training = False

    def __init__(self, table: dict[int, float]) -> None:
        self.table = table

    def fit(self, archs, y, **_):
        return self

    def predict(self, archs, **_):
        return np.array([self.table[int(a)] for a in archs])


@pytest.fixture(scope="module")
def bench():
    return FakeBench()


def test_grid_rows_per_kind_of_predictor(bench):
    res = E.evaluate({"ridge": Ridge(), "es": EarlyStop(), "svr": LcSVR(cv_iterations=2)}, bench,
                     **small(fidelities=(2, 4)))
    kinds = {}
    for r in res.rows:
        kinds.setdefault(r["predictor"], set()).add((r["trial"], r["train_size"], r["fidelity"]))
    assert kinds["ridge"] == {(t, n, None) for t in range(3) for n in (5, 20, 60)}
    assert kinds["es"] == {(t, 0, k) for t in range(3) for k in (2, 4)}
    assert kinds["svr"] == {(t, n, k) for t in range(3) for n in (5, 20, 60) for k in (2, 4)}
    assert all(r["status"] == "ok" for r in res.rows)
    assert [r["predictor"] for r in res.rows] == sorted((r["predictor"] for r in res.rows), key=["ridge", "es", "svr"].index)


def test_simulated_train_time_charges_full_train_and_partial_test(bench):
    res = E.evaluate({"ridge": Ridge(), "es": EarlyStop(), "svr": LcSVR(cv_iterations=2)}, bench,
                     **small(trials=1, train_sizes=(20,), fidelities=(3,)))
    protocol = res.protocol
    data = P.load_data(bench, protocol, need_curves=True, need_proxies=False)
    test, pool = P.split(data, protocol, 0)
    full = bench.epoch_time[data.archs[pool[:20]]].sum() * N_POINTS
    partial = bench.epoch_time[data.archs[test]].sum() * 3
    by = {r["predictor"]: r["train_time"] for r in res.rows}
    assert by["ridge"] == pytest.approx(full)
    assert by["es"] == pytest.approx(partial)
    assert by["svr"] == pytest.approx(full + partial)


def test_perfect_predictor_scores_perfectly(bench):
    oracle = Oracle({int(i): float(bench.acc[i, -1]) for i in bench.filled})
    res = E.evaluate({"oracle": oracle}, bench, **small())
    for row in res.rows:
        assert row["kendall_tau"] == pytest.approx(1.0) and row["precision_at_10"] == 1.0
        assert row["mae"] == 0.0 and row["train_size"] == 0 and row["train_time"] == 0.0


def test_learning_predictors_improve_with_data(bench):
    res = E.evaluate({"ridge": Ridge()}, bench, **small(trials=4))
    tau = {s["train_size"]: s["kendall_tau"]["mean"] for s in res.summary()}
    assert tau[60] > tau[5] and tau[60] > 0.7


def test_failures_are_recorded_with_their_error(bench):
    res = E.evaluate({"flaky": Flaky(), "ridge": Ridge()}, bench, **small())
    flaky = [r for r in res.rows if r["predictor"] == "flaky"]
    assert len(flaky) == 9 and all(r["status"] == "failed" for r in flaky)
    assert {r["error"] for r in flaky if r["train_size"] == 5} == {"RuntimeError: too few archs"}
    assert all("non-finite" in r["error"] for r in flaky if r["train_size"] > 5)
    assert all(math.isnan(r["kendall_tau"]) for r in flaky)
    summary = {(s["predictor"], s["train_size"]): s for s in res.summary()}
    assert summary[("flaky", 20)]["failed"] == 3 and summary[("flaky", 20)]["trials"] == 3
    assert math.isnan(summary[("flaky", 20)]["kendall_tau"]["mean"])
    assert summary[("ridge", 20)]["failed"] == 0


def test_seeds_do_not_depend_on_order_or_on_the_other_predictors(bench):
    def strip(rows):
        return [{k: v for k, v in r.items() if k not in ("fit_time", "query_time")} for r in rows]

    both = E.evaluate({"ridge": Ridge(), "svr": LcSVR(cv_iterations=2)}, bench, **small(fidelities=(3,)))
    alone = E.evaluate({"svr": LcSVR(cv_iterations=2)}, bench, **small(trials=2, fidelities=(3,)))
    svr_both = [r for r in strip(both.rows) if r["predictor"] == "svr" and r["trial"] < 2]
    assert svr_both == strip(alone.rows)


def test_predictor_seed_is_derived_per_trial(bench, monkeypatch):
    seen = []
    monkeypatch.setattr(Ridge, "fit", lambda self, archs, y, **_: seen.append(self.seed) or self)
    monkeypatch.setattr(Ridge, "predict", lambda self, archs, **_: np.arange(len(archs), dtype=float))
    E.evaluate({"ridge": Ridge(seed=123)}, bench, **small())
    assert len(set(seen)) == len(seen) == 9


def test_parallel_workers_give_identical_results(bench):
    specs = {"es": "early_stop", "svr": LcSVR(cv_iterations=2)}
    kw = small(trials=2, train_sizes=(10, 30), fidelities=(2, 5))
    serial = E.evaluate(specs, bench, **kw)
    parallel = E.evaluate(specs, bench, workers=2, **kw)
    drop = ("fit_time", "query_time")
    assert [{k: v for k, v in r.items() if k not in drop} for r in serial.rows] == [
        {k: v for k, v in r.items() if k not in drop} for r in parallel.rows
    ]
    assert serial.predictions.keys() == parallel.predictions.keys()


def test_trial0_predictions_kept_for_scatter(bench):
    res = E.evaluate({"ridge": Ridge(), "es": EarlyStop()}, bench, **small(fidelities=(4,)))
    assert set(res.predictions) == {("ridge", n, None) for n in (5, 20, 60)} | {("es", 0, 4)}
    y_true, y_pred = res.predictions[("es", 0, 4)]
    assert y_true.shape == y_pred.shape == (40,)


def test_settings_are_validated(bench):
    with pytest.raises(ConfigError, match="test_size"):
        E.evaluate({"r": Ridge()}, bench, **small(test_size=10))
    with pytest.raises(ConfigError, match="train_sizes"):
        E.evaluate({"r": Ridge()}, bench, **small(train_sizes=(20, 5)))
    with pytest.raises(ConfigError, match="only 400 archs"):
        E.evaluate({"r": Ridge()}, bench, **small(train_sizes=(5, 1000)))
    with pytest.raises(ConfigError, match="fidelity 13 exceeds"):
        E.evaluate({"es": EarlyStop()}, bench, **small(fidelities=(13,)))
    with pytest.raises(ConfigError, match="unknown predictor"):
        E.evaluate({"x": "no_such_predictor"}, bench, **small())
    with pytest.raises(ConfigError, match="no such predictor spec"):
        E.evaluate({"x": "predictors/missing.toml"}, bench, **small())


def test_lce_gets_the_recipe_schedule_and_extrapolates_the_known_family(bench):
    from nasbench_lab.predictors.curves import LCE

    res = E.evaluate({"lce": LCE(families=["pow3", "ilog2"]), "es": EarlyStop()}, bench,
                     **small(trials=1, fidelities=(5,)))
    by = {r["predictor"]: r for r in res.rows}
    assert by["lce"]["status"] == "ok" and by["lce"]["mae"] < 0.05 < 1.0 < by["es"]["mae"]
    assert "n_fallback_archs=0" in by["lce"]["diagnostics"]


EMBEDDED = Path(__file__).resolve().parents[2] / "data" / "nb201-digits.h5"


@pytest.mark.skipif(not EMBEDDED.is_file(), reason=f"embedded benchmark {EMBEDDED} not generated yet")
def test_curve_predictors_on_the_embedded_benchmark():
    from nasbench_lab.benchmark.store import Benchmark

    with Benchmark.open(EMBEDDED) as real:
        dataset = real.datasets[0] if real.datasets else pytest.skip("the embedded benchmark holds no dataset yet")
        n_filled = int(real.filled(dataset).all(axis=1).sum())
        if n_filled < 100:
            pytest.skip(f"the embedded benchmark's fill has only {n_filled} fully filled archs so far (needs 100)")
        n_points = len(real.eval_points(dataset))
        res = E.evaluate({n: n for n in ("lce", "sotl", "early_stop", "lcsvr")}, real, dataset,
                         train_sizes=(20,), test_size=50, trials=2, fidelities=(max(1, n_points // 2),),
                         progress=False)
    assert all(r["status"] == "ok" for r in res.rows)
    tau = {s["predictor"]: s["kendall_tau"]["mean"] for s in res.summary()}
    assert tau["early_stop"] > 0.3 and tau["lcsvr"] > 0.3


class FirstProxy(Predictor):
    """Training-free: ranks by the first stored proxy, NaN scores last."""

    needs_proxies = True
    needs_training = False
    predicts_scores = True

    def fit(self, archs, y, **_):
        return self

    def predict(self, archs, *, proxies=None, **_):
        assert proxies.shape == (len(archs), 2)
        return np.nan_to_num(proxies[:, 1], nan=-1e9)


def test_proxies_reach_proxy_predictors_on_a_real_benchmark_file(synthetic_bench_path):
    from nasbench_lab.benchmark.store import Benchmark

    with Benchmark.open(synthetic_bench_path) as real:
        names = real.proxy_names("digits")
        res = E.evaluate({"zc": FirstProxy()}, real, "digits", train_sizes=(10,), test_size=60, trials=2,
                         progress=False)
        data = P.load_data(real, res.protocol, need_curves=False, need_proxies=True)
        expected = real.proxy(data.archs, "digits", names[1], missing="nan")
        test, _ = P.split(data, res.protocol, 0)  # training-free: pays the proxies of the test archs
        proxy_seconds = sum(real.proxy_time(data.archs[test], "digits", name).sum() for name in names)
    assert data.proxies.shape == (data.archs.size, len(names)) == (data.archs.size, 2)
    np.testing.assert_array_equal(data.proxies[:, 1], expected)
    assert [r["status"] for r in res.rows] == ["ok", "ok"] and math.isnan(res.rows[0]["mae"])
    assert res.rows[0]["kendall_tau"] > 0.2
    assert proxy_seconds > 0 and res.rows[0]["train_time"] == pytest.approx(proxy_seconds)


class NanProxyBench(FakeBench):
    """FakeBench with one proxy: the final accuracy plus noise, undefined (NaN) for every arch index % 4 == 0."""

    def proxy_names(self, dataset, recipe=None):
        return ["noisy_acc"]

    def proxy(self, indices, dataset, name, recipe=None, missing="raise"):
        indices = np.asarray(indices)
        score = self.acc[indices, -1] + np.random.default_rng(indices).normal(0, 1, indices.size)
        return np.where(indices % 4 == 0, np.nan, score)

    def proxy_time(self, indices, dataset, name, recipe=None, missing="raise"):
        return np.full(len(indices), 0.5)


def test_zc_drops_archs_with_nan_proxy_scores_and_counts_them():
    bench = NanProxyBench()
    res = E.evaluate({"zc": "zc"}, bench, **small())
    assert [r["status"] for r in res.rows] == ["ok"] * 3, [r["error"] for r in res.rows]
    data = P.load_data(bench, res.protocol, need_curves=False, need_proxies=True)
    for row in res.rows:
        test, _ = P.split(data, res.protocol, row["trial"])
        nan_test = int(np.count_nonzero(data.archs[test] % 4 == 0))
        assert nan_test > 0 and row["n_dropped"] == nan_test  # training-free: only test archs are used
        assert row["n_test"] == test.size - nan_test
        assert row["kendall_tau"] > 0.5
    y_true, y_pred = res.predictions[("zc", 0, None)]
    assert np.isfinite(y_pred).all() and y_true.size == res.rows[0]["n_test"]
    assert res.summary()[0]["dropped"] == sum(r["n_dropped"] for r in res.rows)
    assert "dropped" in res.format_table().splitlines()[0]
