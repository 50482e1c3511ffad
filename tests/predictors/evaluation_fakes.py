"""A small in-memory benchmark and test-local predictors for the evaluation-protocol tests."""

from __future__ import annotations

import numpy as np

from nasbench_lab.predictors.base import Predictor
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


def small(**kw):
    args = dict(dataset="toy", train_sizes=(5, 20, 60), test_size=40, trials=3, seed=7, progress=False)
    return {**args, **kw}
