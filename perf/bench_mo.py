"""Speed of the multi-objective strategies (figures for docs/performance.md and docs/multiobjective.md).

Run: ``.venv/bin/python perf/bench_mo.py [SEEDS]`` (one core: BLAS and torch are pinned to one thread).

Each strategy runs 100-query units against a synthetic two-objective numpy table (a linear "accuracy"
against a conflicting positive "cost", no benchmark I/O) and the mean seconds per unit are printed, with
the ratio to MO random search measured in the same run (the ask/tell floor of the loop).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nasbench_lab.search.base import STRATEGIES  # noqa: E402
from nasbench_lab.search.common import onehot_table  # noqa: E402
from nasbench_lab.search.multiobjective.base import VectorObservation  # noqa: E402

torch.set_num_threads(1)
RNG = np.random.default_rng(0)
POINTS = np.stack([onehot_table() @ RNG.normal(size=30), -(onehot_table() @ np.abs(RNG.normal(size=30)))], axis=1)
NAMES = ("mo_random", "nsga2", "mo_local_search", "parego", "ehvi")


def unit_seconds(name: str, seed: int, n_queries: int = 100) -> float:
    """Wall seconds of one ``n_queries`` ask/tell unit of ``name`` on :data:`POINTS`."""
    strategy = STRATEGIES.get(name)(np.random.default_rng(seed))
    start = time.perf_counter()
    for _ in range(n_queries):
        proposal = strategy.ask()
        strategy.tell(proposal, VectorObservation.of(POINTS[proposal.arch], 1.0))
    return time.perf_counter() - start


def main(seeds: int) -> None:
    times = {name: float(np.mean([unit_seconds(name, s) for s in range(seeds)])) for name in NAMES}
    ref = times["mo_random"]
    print(f"{'strategy':<16} {'s / 100-query unit':>20} {'x mo_random':>12}")
    for name, t in times.items():
        print(f"{name:<16} {t:>20.3f} {t / ref:>12.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
