"""Fit and query time of every non-curve predictor at 100 and 1,000 training archs, on one core.

Run: ``.venv/bin/python perf/bench_predictors.py [--sizes 100,1000] [--names gp,xgb,...]``.
Targets are NB201 cifar10-valid ``valid_top1`` when ../shared/nb201 is present, otherwise a synthetic
function of the ops (said in the output). Each predictor is fitted once per size with its spec in
``predictors/``; the query is a prediction for all 15,625 archs. Reference, measured in the same run:
scikit-learn's ``GaussianProcessRegressor`` (ARD RBF + white noise on one-hot, 1 optimizer start),
and the printed ratio is its fit time over ours. Learning-curve predictors are timed by
``perf/bench_curves.py``.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import numpy as np
import torch

from nasbench_lab.encodings import onehot
from nasbench_lab.predictors import PREDICTORS, load_predictor
from nasbench_lab.space import all_indices, ops_matrix

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / ".." / "shared" / "nb201" / "nwot_arch_score_acc.csv"


def targets() -> tuple[np.ndarray, str]:
    if CSV.exists():
        return np.genfromtxt(CSV, delimiter=",", names=True, usecols=(4,))["valid_top1"], "NB201 cifar10-valid"
    ops = ops_matrix(all_indices())
    y = 70 + 3 * (ops == 3).sum(1) + 2 * (ops == 2).sum(1) - 4 * (ops == 0).sum(1)
    return y + np.random.default_rng(0).normal(0, 1, len(y)), "synthetic (NB201 data absent)"


def sklearn_gp_fit(archs: np.ndarray, y: np.ndarray) -> float:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    warnings.filterwarnings("ignore", module="sklearn")  # bound warnings of the reference fit
    kernel = ConstantKernel() * RBF(length_scale=np.ones(30)) + WhiteKernel()
    model = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=0, random_state=0)
    start = time.perf_counter()
    model.fit(onehot(archs), y)
    return time.perf_counter() - start


def time_one(name: str, archs: np.ndarray, y: np.ndarray, proxies: np.ndarray) -> tuple[float, float]:
    predictor = load_predictor(ROOT / "predictors" / f"{name}.toml")
    side = (lambda a: {"proxies": proxies[a]}) if predictor.needs_proxies else (lambda a: {})
    start = time.perf_counter()
    predictor.fit(archs, y[archs], **side(archs))
    fit = time.perf_counter() - start
    everything = all_indices()
    start = time.perf_counter()
    out = predictor.predict(everything, **side(everything))
    query = time.perf_counter() - start
    assert out.shape == (len(everything),) and np.isfinite(out).all()
    return fit, query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    names = [n for n in PREDICTORS.names() if not PREDICTORS.get(n).needs_curves]
    parser.add_argument("--names", default=",".join(names))
    args = parser.parse_args()
    torch.set_num_threads(1)
    y, source = targets()
    proxies = np.column_stack([y + np.random.default_rng(1).normal(0, 5, len(y))])  # a synthetic proxy score
    print(f"targets: {source}; one core (torch threads 1, OMP/BLAS 1); query = all 15,625 archs")
    print("| predictor | train archs | fit s | query all s |")
    print("|---|---|---|---|")
    warm = np.random.default_rng(99).choice(15625, 30, replace=False)
    for name in args.names.split(","):
        time_one(name, warm, y, proxies)  # first call pays lazy imports and cached tables
        for n in (int(s) for s in args.sizes.split(",")):
            archs = np.random.default_rng(n).choice(15625, n, replace=False)
            fit, query = time_one(name, archs, y, proxies)
            print(f"| {name} | {n} | {fit:.3f} | {query:.3f} |", flush=True)
            if name == "gp":
                ref = sklearn_gp_fit(archs, y[archs])
                print(f"| sklearn GaussianProcessRegressor (reference) | {n} | {ref:.3f} | - |")
                print(f"|   ratio sklearn fit / gp fit | {n} | x{ref / fit:.1f} | |", flush=True)


if __name__ == "__main__":
    main()
