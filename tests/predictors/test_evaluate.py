"""Tests of nasbench_lab/predictors/evaluate.py against a small in-memory benchmark."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors import evaluate as E
from nasbench_lab.predictors.base import Predictor
from nasbench_lab.predictors.curves import EarlyStop, LcSVR
from nasbench_lab.space import ops_matrix

N_FILLED = 400
N_POINTS = 12


class FakeBench:
    """The Benchmark methods the protocol reads, over ``N_FILLED`` archs with pow3 curves."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.filled = np.sort(rng.choice(15625, N_FILLED, replace=False))
        ops = ops_matrix(self.filled)
        top = 60 + 6 * (ops == 3).sum(1) + 3 * (ops == 2).sum(1) - 5 * (ops == 0).sum(1) + rng.normal(0, 1, N_FILLED)
        x = np.arange(1.0, N_POINTS + 1)
        a = rng.uniform(20, 40, N_FILLED)[:, None]
        self.acc = np.full((15625, N_POINTS), np.nan)
        self.acc[self.filled] = top[:, None] - a * x ** -0.7
        self.loss = np.full((15625, N_POINTS), np.nan)
        self.loss[self.filled] = (100 - self.acc[self.filled]) / 40
        self.epoch_time = np.full(15625, np.nan)
        self.epoch_time[self.filled] = 1.0 + (ops != 0).sum(1)

    def eval_points(self, dataset, recipe=None):
        return np.arange(1.0, N_POINTS + 1)

    def query_many(self, indices, dataset, metric, epoch=-1, seed="mean", recipe=None, rng=None, missing="raise"):
        assert metric == "valid_acc" and missing == "nan"
        return self.acc[np.asarray(indices), epoch]

    def curves_many(self, indices, dataset, metric, seed="mean", recipe=None, epochs=None, missing="raise"):
        table = {"valid_acc": self.acc, "train_loss": self.loss}[metric]
        return table[np.asarray(indices), :epochs]

    def cost_many(self, indices, dataset, epochs=None, recipe=None, missing="raise"):
        return self.epoch_time[np.asarray(indices)] * (epochs or N_POINTS)

    def proxy_names(self, dataset, recipe=None):
        return []


class Ridge(Predictor):
    """Test-local ridge regression on the ops (a trainable non-curve predictor)."""

    def __init__(self, alpha: float = 1.0, seed: int = 0) -> None:
        self.alpha = alpha
        self.seed = seed

    @staticmethod
    def _x(archs):
        return np.eye(5)[ops_matrix(archs).astype(int)].reshape(len(archs), 30)

    def fit(self, archs, y, **_):
        x = self._x(archs)
        self.mean_ = y.mean()
        self.coef_ = np.linalg.solve(x.T @ x + self.alpha * np.eye(30), x.T @ (y - self.mean_))
        self.seen_seed_ = self.seed
        return self

    def predict(self, archs, **_):
        return self._x(archs) @ self.coef_ + self.mean_


class Oracle(Predictor):
    """Knows the truth: a perfect predictor."""

    needs_training = False

    def __init__(self, table: dict[int, float]) -> None:
        self.table = table

    def fit(self, archs, y, **_):
        return self

    def predict(self, archs, **_):
        return np.array([self.table[int(a)] for a in archs])


class Flaky(Ridge):
    """Fails to fit on small training sets and predicts NaN on large ones."""

    def fit(self, archs, y, **_):
        if len(archs) < 10:
            raise RuntimeError("too few archs")
        return super().fit(archs, y)

    def predict(self, archs, **_):
        out = super().predict(archs)
        if len(self.coef_) and self.alpha < 0:
            return out
        out[0] = np.nan
        return out


@pytest.fixture(scope="module")
def bench():
    return FakeBench()


def small(**kw):
    args = dict(dataset="toy", train_sizes=(5, 20, 60), test_size=40, trials=3, seed=7, progress=False)
    return {**args, **kw}


def test_splits_are_disjoint_seeded_and_differ_by_trial(bench):
    protocol = E.Protocol("toy", train_sizes=(5, 60), test_size=40, trials=3, seed=7)
    data = E.load_data(bench, protocol, need_curves=False, need_proxies=False)
    assert set(data.archs) == set(bench.filled)
    test0, pool0 = E.split(data, protocol, 0)
    assert test0.size == 40 and pool0.size == 60 and not set(test0) & set(pool0)
    assert np.array_equal(test0, E.split(data, protocol, 0)[0])
    assert not np.array_equal(test0, E.split(data, protocol, 1)[0])


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
    data = E.load_data(bench, protocol, need_curves=True, need_proxies=False)
    test, pool = E.split(data, protocol, 0)
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
    parallel = E.evaluate(specs, bench, workers=2, mp_context="fork", **kw)  # spawn: same, slower start
    drop = ("fit_time", "query_time")
    assert [{k: v for k, v in r.items() if k not in drop} for r in serial.rows] == [
        {k: v for k, v in r.items() if k not in drop} for r in parallel.rows
    ]
    assert serial.predictions.keys() == parallel.predictions.keys()


def test_outputs_csv_and_json_summary(bench, tmp_path):
    res = E.evaluate({"ridge": Ridge(), "flaky": Flaky()}, bench, **small())
    res.write_csv(tmp_path / "results.csv")
    res.write_summary(tmp_path / "summary.json")
    with open(tmp_path / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 18 and tuple(rows[0]) == E.COLUMNS
    assert rows[0]["fidelity"] == "" and rows[-1]["status"] == "failed"
    doc = json.loads((tmp_path / "summary.json").read_text())
    entry = next(s for s in doc["summary"] if s["predictor"] == "ridge" and s["train_size"] == 60)
    taus = [float(r["kendall_tau"]) for r in rows if r["predictor"] == "ridge" and r["train_size"] == "60"]
    assert entry["kendall_tau"]["mean"] == pytest.approx(np.mean(taus))
    assert entry["kendall_tau"]["se"] == pytest.approx(np.std(taus, ddof=1) / math.sqrt(3))
    flaky = next(s for s in doc["summary"] if s["predictor"] == "flaky" and s["train_size"] == 60)
    assert flaky["kendall_tau"]["mean"] is None and flaky["failed"] == 3
    assert doc["protocol"]["test_size"] == 40


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


def test_default_fidelities():
    assert E.default_fidelities(200) == (10, 20, 50, 100)
    assert E.default_fidelities(4) == (1, 2)


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
        data = E.load_data(real, res.protocol, need_curves=False, need_proxies=True)
        expected = real.proxy(data.archs, "digits", names[1], missing="nan")
        test, _ = E.split(data, res.protocol, 0)  # training-free: pays the proxies of the test archs
        proxy_seconds = sum(real.proxy_time(data.archs[test], "digits", name).sum() for name in names)
    assert data.proxies.shape == (data.archs.size, len(names)) == (data.archs.size, 2)
    np.testing.assert_array_equal(data.proxies[:, 1], expected)
    assert [r["status"] for r in res.rows] == ["ok", "ok"] and math.isnan(res.rows[0]["mae"])
    assert res.rows[0]["kendall_tau"] > 0.2
    assert proxy_seconds > 0 and res.rows[0]["train_time"] == pytest.approx(proxy_seconds)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 50), st.integers(20, 60), st.integers(1, 40))
def test_split_property(seed, trial, test_size, largest):
    archs = np.arange(0, 15625, 97)  # 162 eligible archs
    data = E.EvaluationData(archs=archs, y=np.zeros(archs.size), maximise=True, eval_points=(1.0,),
                            full_cost=np.zeros(archs.size))
    protocol = E.Protocol("toy", train_sizes=(largest,), test_size=test_size, trials=trial + 1, seed=seed)
    test, pool = E.split(data, protocol, trial)
    assert test.size == test_size and pool.size == largest
    assert np.unique(np.concatenate([test, pool])).size == test_size + largest
    assert np.array_equal(pool, E.split(data, protocol, trial)[1])
