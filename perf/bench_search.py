"""Speed of the search strategies (figures for docs/performance.md, section "Search").

Run: ``.venv/bin/python perf/bench_search.py`` (one core: BLAS and torch are pinned to one thread).

1. Random search, regularised evolution and local search: 100 seeds x 200 queries each against a
   synthetic numpy objective table (target: < 2 s in total per strategy). Reference measured in the
   same run: the bare loop floor (draw a random index, look it up, keep the best) with no strategy.
2. GP-BO with the fast exact engine: 100 queries per seed, log-EI maximised exactly over every
   unevaluated arch (target: < 5 s per seed). Reference measured in the same run: the plain botorch
   loop (``SingleTaskGP`` + ``fit_gpytorch_mll`` + ``LogExpectedImprovement`` over all unevaluated
   one-hot archs) timed for a few steps at 25, 50 and 100 observations; its 100-query total is
   estimated from those steps (trapezoid over n = 10..100).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nasbench_lab import space  # noqa: E402
from nasbench_lab.encodings import space_table  # noqa: E402
from nasbench_lab.search.base import STRATEGIES, Observation  # noqa: E402

torch.set_num_threads(1)
RNG = np.random.default_rng(0)
TABLE = 85 + 3 * (space_table("onehot").astype(np.float64) @ RNG.normal(size=30)) + RNG.normal(0, 0.5, space.N_ARCHS)


def run_strategy(name: str, seed: int, n_queries: int, **params) -> float:
    """Best objective after ``n_queries`` ask/tell steps of ``name`` on :data:`TABLE`."""
    strategy = STRATEGIES.get(name)(np.random.default_rng(seed), max_epochs=1, **params)
    best = -np.inf
    for _ in range(n_queries):
        proposal = strategy.ask()
        value = float(TABLE[proposal.arch])
        strategy.tell(proposal, Observation(value, 1.0))
        best = max(best, value)
    return best


def floor_loop(seed: int, n_queries: int) -> float:
    """The reference floor: random indices looked up with no strategy object at all."""
    rng = np.random.default_rng(seed)
    best = -np.inf
    for _ in range(n_queries):
        best = max(best, float(TABLE[int(rng.integers(space.N_ARCHS))]))
    return best


def bench_simple(n_seeds: int = 100, n_queries: int = 200) -> None:
    start = time.perf_counter()
    for seed in range(n_seeds):
        floor_loop(seed, n_queries)
    ref = time.perf_counter() - start
    print(f"reference floor loop: {n_seeds} seeds x {n_queries} queries in {ref:.3f} s")
    for name in ("random", "evolution", "local_search"):
        start = time.perf_counter()
        for seed in range(n_seeds):
            run_strategy(name, seed, n_queries)
        took = time.perf_counter() - start
        print(f"{name:13s}: {n_seeds} seeds x {n_queries} queries in {took:.3f} s (target < 2 s; {took / ref:.1f}x the floor loop)")


def botorch_step_seconds(n_obs: int, n_steps: int = 2) -> float:
    """Mean seconds of one plain botorch BO step (fit + log-EI over all unevaluated archs) at ``n_obs``."""
    from botorch.acquisition import LogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from gpytorch.mlls import ExactMarginalLogLikelihood

    table = torch.tensor(space_table("onehot").astype(np.float64))
    rng = np.random.default_rng(n_obs)
    archs = list(rng.choice(space.N_ARCHS, n_obs, replace=False))
    took = []
    for _ in range(n_steps):
        start = time.perf_counter()
        y = torch.as_tensor(TABLE[archs])[:, None]
        model = SingleTaskGP(table[archs], y)
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        mask = np.ones(space.N_ARCHS, dtype=bool)
        mask[archs] = False
        cands = np.flatnonzero(mask)
        acq = LogExpectedImprovement(model, best_f=y.max())
        with torch.no_grad():
            values = acq(table[cands][:, None, :])
        archs.append(int(cands[int(values.argmax())]))
        took.append(time.perf_counter() - start)
    return float(np.mean(took))


def bench_bo(n_seeds: int = 3, n_queries: int = 100) -> None:
    times = []
    for seed in range(n_seeds):
        start = time.perf_counter()
        run_strategy("bo", seed, n_queries)
        times.append(time.perf_counter() - start)
    fast = float(np.mean(times))
    print(f"bo (fast exact GP, log_ei over all unevaluated archs): {fast:.2f} s per seed of {n_queries} queries (target < 5 s)")
    sizes = [10, 50, 100]
    steps = [botorch_step_seconds(n) for n in sizes]
    for n, s in zip(sizes, steps):
        print(f"  plain botorch loop: {s:.2f} s per step at {n} observations")
    grid = np.arange(10, n_queries)
    estimate = float(np.interp(grid, sizes, steps).sum())
    print(f"plain botorch loop, estimated {n_queries}-query total: {estimate:.0f} s; fast engine is {estimate / fast:.0f}x faster")


if __name__ == "__main__":
    bench_simple()
    bench_bo()
