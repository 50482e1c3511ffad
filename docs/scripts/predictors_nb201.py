"""Real-data table of docs/predictors.md: Kendall tau of every model-based predictor on NB201.

Needs ../shared/nb201/nwot_arch_score_acc.csv beside the repository (the NB201 data are not shipped).
Target ``valid_top1`` (cifar10-valid, x-valid, 200 epochs, seed mean). Per trial ``t`` a generator
``default_rng([seed, t])`` permutes the pool: the first 200 archs are the test set, the next ``n`` the
training set (nested across sizes). Every predictor gets the same splits and its spec's seed + t.

Pools: ``all`` (all 15,625 archs) for predictors that need only the arch; ``zc`` predictors (needing
proxies: the NASWOT score of the same file, NaN for 341 archs) run on the 15,284 archs with a score,
and are reported against the arch-only predictors re-run on that pool. GP calibration: fraction of
test archs inside mean +- 1.645 std (central 90 % interval of a Gaussian with that mean and std).

Run: ``.venv/bin/python docs/scripts/predictors_nb201.py [--trials 10] [--sizes 20,100,1000]
[--names gp,gp_wl,...] [--pool all|zc]`` (one core; prints a markdown table).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import numpy as np
import torch
from scipy.stats import kendalltau

from nasbench_lab.predictors import load_predictor

ROOT = Path(__file__).resolve().parents[2]
CSV = ROOT / ".." / "shared" / "nb201" / "nwot_arch_score_acc.csv"
DEFAULT_NAMES = "gp,gp_wl,xgb,gcn,gin,bananas,random"


def load() -> tuple[np.ndarray, np.ndarray]:
    """``valid_top1`` and NASWOT ``score`` of every arch (row i = NB201 index i)."""
    data = np.genfromtxt(CSV, delimiter=",", names=True, usecols=(0, 3, 4))
    assert np.array_equal(data["arch"], np.arange(15625))
    return data["valid_top1"], data["score"]


def run(name: str, pool: np.ndarray, y: np.ndarray, score: np.ndarray, sizes: list[int], trials: int) -> list[str]:
    lines = []
    for n in sizes:
        taus, cover, fits, queries = [], [], [], []
        for t in range(trials):
            perm = np.random.default_rng([0, t]).permutation(pool)
            test, train = perm[:200], perm[200 : 200 + n]
            p = load_predictor(ROOT / "predictors" / f"{name}.toml")
            if hasattr(p, "seed"):
                p.seed = int(p.seed) + t
            side = (lambda a: {"proxies": score[a][:, None]}) if p.needs_proxies else (lambda a: {})
            start = time.perf_counter()
            p.fit(train, y[train], **side(train))
            fits.append(time.perf_counter() - start)
            start = time.perf_counter()
            pred = p.predict(test, **side(test))
            queries.append(time.perf_counter() - start)
            taus.append(kendalltau(pred, y[test])[0])
            if p.probabilistic:
                mean, std = p.predict_dist(test, **side(test))
                cover.append(float(np.mean(np.abs(y[test] - mean) <= 1.645 * std)))
        cov = f"{np.mean(cover):.3f}" if cover else "-"
        lines.append(
            f"| {name} | {n} | {np.mean(taus):.3f} ± {np.std(taus, ddof=1):.3f} | {cov} | "
            f"{np.mean(fits):.2f} | {trials} |"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--sizes", default="20,100,1000")
    parser.add_argument("--names", default=DEFAULT_NAMES)
    parser.add_argument("--pool", choices=("all", "zc"), default="all")
    args = parser.parse_args()
    torch.set_num_threads(1)
    y, score = load()
    pool = np.arange(15625) if args.pool == "all" else np.flatnonzero(np.isfinite(score))
    print(f"pool {args.pool}: {len(pool)} archs, {args.trials} trials, test size 200")
    print("| predictor | train archs | Kendall tau (mean ± std) | 90 % interval coverage | fit s | trials |")
    print("|---|---|---|---|---|---|")
    for name in args.names.split(","):
        run(name, pool, y, score, [int(s) for s in args.sizes.split(",")], args.trials)


if __name__ == "__main__":
    main()
