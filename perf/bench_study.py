"""Speed of the study runner: a quickstart-like study, and the runner's overhead over a bare loop.

Run by hand (not by pytest)::

    .venv/bin/python perf/bench_study.py                 # synthetic digits table built in a temp dir
    .venv/bin/python perf/bench_study.py --bench data/nb201-digits.h5 --seeds 10 --queries 100

Prints:

1. the wall time of a whole study (strategies x seeds x queries, one worker, outputs and plots
   included), as ``nasbench-lab study run`` does it;
2. for the same units, the time of the runner's units (:func:`nasbench_lab.study.simulator.run_unit`:
   budget, cost, cache, seed draws, incumbent, reported metric) against a bare ask/tell loop that
   answers each proposal by indexing one pre-loaded numpy array (the least any runner must do), and
   their ratio. Both loops drive the same strategies with the same generators.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.synthetic import make_synthetic
from nasbench_lab.search.base import Observation
from nasbench_lab.study import simulator
from nasbench_lab.study.runner import run_study
from nasbench_lab.study.spec import BudgetSpec, StrategySpec, StudySpec

STRATEGIES = (("random", "random", {}), ("evolution", "REA", {"population": 10, "sample_size": 3}),
              ("local_search", "local_search", {}))


def bare_loop(spec: StudySpec, label: str, seed: int, valid: np.ndarray, queries: int) -> None:
    """The least a runner does: ask, look the objective up in an array, tell."""
    strategy_rng, _ = simulator.unit_generators(spec, label, seed)
    strategy = simulator.build_strategy(spec, label, strategy_rng, valid.shape[1], None)
    for _ in range(queries):
        proposal = strategy.ask()
        curve = valid[proposal.arch]
        strategy.tell(proposal, Observation(value=float(curve[-1]), cost=0.0, curve=curve))


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", type=Path, default=None, help="benchmark file (default: a synthetic digits table)")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the unit timing; the best is kept")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        bench_path = args.bench or make_synthetic(Path(tmp) / "digits.h5", datasets=(args.dataset,))
        spec = StudySpec(
            name="bench-study", dataset=args.dataset, benchmark=str(Path(bench_path).resolve()),
            budget=BudgetSpec(queries=args.queries), seeds=tuple(range(args.seeds)),
            strategies=tuple(StrategySpec(n, label, p) for n, label, p in STRATEGIES),
        )
        n_units = len(spec.strategies) * args.seeds
        n_queries = n_units * args.queries

        start = time.perf_counter()
        run_study(spec, Path(tmp) / "out", progress=False)
        study_s = time.perf_counter() - start
        print(f"study: {len(spec.strategies)} strategies x {args.seeds} seeds x {args.queries} queries "
              f"({n_queries} queries) in {study_s:.2f} s wall, outputs and plots included")

        bench = Benchmark.open(bench_path)
        valid = bench.curves_many(np.arange(15625), args.dataset, "valid_acc", seed=bench.seeds(args.dataset)[0])
        runner_s, bare_s = np.inf, np.inf
        for _ in range(args.repeats):
            start = time.perf_counter()
            for s in spec.strategies:
                for seed in spec.seeds:
                    simulator.run_unit(spec, s.label, seed)
            runner_s = min(runner_s, time.perf_counter() - start)
            start = time.perf_counter()
            for s in spec.strategies:
                for seed in spec.seeds:
                    bare_loop(spec, s.label, seed, valid, args.queries)
            bare_s = min(bare_s, time.perf_counter() - start)
        overhead_us = (runner_s - bare_s) / n_queries * 1e6
        print(f"units through the runner: {runner_s:.3f} s; bare ask/tell loop over an array: {bare_s:.3f} s")
        print(f"runner / bare = {runner_s / bare_s:.2f}x; overhead {overhead_us:.1f} us per query "
              f"({n_queries} queries, best of {args.repeats})")


if __name__ == "__main__":
    main()
