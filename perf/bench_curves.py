"""Fit and query time of the learning-curve predictors (lce, lcsvr, sotl, sotle, early_stop), one core.

Data: a synthetic benchmark (made-up numbers, ``nasbench_lab.benchmark.synthetic``), dataset
cifar10-valid, 1 seed, 200 curve columns, cached under /tmp. For n = 100 and 1,000 training archs and
200 test archs, each predictor sees the first ``k`` columns (default 20, i.e. 10 % of the run) and
is fitted on the training archs and queried on the test archs, as one cell of the evaluation
protocol. Wall-clock medians of ``--repeats`` runs.

References measured in the same run:

* lce: the same loop of ``scipy.optimize.curve_fit`` over the test archs with one family (pow3)
  only: the ratio is the price of the ten-family ensemble.
* lcsvr: one scikit-learn NuSVR fit with default hyperparameters on the same features: the ratio
  is the price of the cross-validated hyperparameter search.
* sotl / sotle / early_stop: a bare numpy reduction over the same array.

Run: ``.venv/bin/python perf/bench_curves.py [--k 20] [--repeats 3] [--rebuild]``
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import contextlib

import numpy as np
import torch

from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.synthetic import make_synthetic
from nasbench_lab.predictors import curve_families as F
from nasbench_lab.predictors import curves as C
from nasbench_lab.predictors.base import PREDICTORS

PATH = Path("/tmp/nasbench-lab-perf/curves-synthetic-200.h5")
DATASET = "cifar10-valid"
N_TEST = 200


def median_time(fn, repeats: int) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def load(rebuild: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Archs, targets, valid-acc curves and train-loss curves of 1,200 random archs."""
    if rebuild or not PATH.exists():
        PATH.parent.mkdir(parents=True, exist_ok=True)
        make_synthetic(PATH, datasets=(DATASET,), n_seeds=1, n_epochs=200)
    rng = np.random.default_rng(0)
    archs = np.sort(rng.choice(15625, 1000 + N_TEST, replace=False))
    archs = rng.permutation(archs)
    with Benchmark.open(PATH) as bench:
        curves = bench.curves_many(archs, DATASET, "valid_acc")
        losses = bench.curves_many(archs, DATASET, "train_loss")
        points = bench.eval_points(DATASET)
    return archs, curves, losses, points


def pow3_only(curves: np.ndarray, points: np.ndarray) -> None:
    """Reference for lce: one family fitted per arch."""
    family = F.FAMILIES["pow3"]
    x = points[: curves.shape[1]]
    for curve in curves:
        with contextlib.suppress(RuntimeError, ValueError, FloatingPointError):
            F.fit_family(family, x, curve / 100.0, float(points[-1]), 600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=20, help="evaluation points seen (default 20)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    archs, curves, losses, points = load(args.rebuild)
    y = curves[:, -1]
    k = args.k
    test = slice(1000, 1000 + N_TEST)
    print(f"synthetic {DATASET}, k = {k} of {len(points)} points, {N_TEST} test archs, one core")
    print(f"{'predictor':<11} {'n':>5} {'fit s':>8} {'query s/arch':>13} {'total s':>8}   reference")
    for n in (100, 1000):
        tr = slice(0, n)
        inputs_tr = dict(curves=curves[tr, :k], train_losses=losses[tr, :k])
        inputs_te = dict(curves=curves[test, :k], train_losses=losses[test, :k])
        for name in ("lce", "lcsvr", "sotl", "sotle", "early_stop"):
            params = {"eval_points": points} if name == "lce" else {}
            model = PREDICTORS.get(name)(**params)
            fit = median_time(lambda: model.fit(archs[tr], y[tr], **inputs_tr), args.repeats)
            query = median_time(lambda: model.predict(archs[test], **inputs_te), args.repeats)
            ref_name, ref = reference(name, n, archs, y, curves, losses, points, k, tr, test, args.repeats)
            total = fit + query
            print(f"{name:<11} {n:>5} {fit:>8.4f} {query / N_TEST:>13.2e} {total:>8.4f}   "
                  f"{ref_name} {ref:.4f} s -> ratio {total / ref:.1f}x")


def reference(name, n, archs, y, curves, losses, points, k, tr, test, repeats) -> tuple[str, float]:
    """The same-run reference timing for predictor ``name``."""
    if name == "lce":
        return "pow3-only curve_fit loop", median_time(lambda: pow3_only(curves[test, :k], points), repeats)
    if name == "lcsvr":
        from sklearn.svm import NuSVR

        from nasbench_lab.encodings import encode

        def plain():
            x = np.hstack([C.curve_features(curves[tr, :k]), encode("onehot", archs[tr])])
            model = NuSVR().fit(x, y[tr])
            model.predict(np.hstack([C.curve_features(curves[test, :k]), encode("onehot", archs[test])]))

        return "NuSVR defaults, no CV", median_time(plain, repeats)
    return "numpy sum", median_time(lambda: -losses[test, :k].sum(axis=1), repeats)


if __name__ == "__main__":
    main()
