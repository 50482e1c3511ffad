"""Real-data table of docs/search.md: every strategy on NB201 cifar10-valid, 100 queries, 20 seeds.

Needs ../shared/nb201/nwot_arch_score_acc.csv beside the repository (the NB201 data are not shipped).
Objective ``valid_top1`` (cifar10-valid); reported ``test_top1`` (cifar10) of the incumbent by objective.
The zero-cost warm start uses the NASWOT score of the same file as its proxy (NaN for 341 archs).

Run: ``.venv/bin/python docs/scripts/search_nb201.py [--seeds N] [name ...]`` (default: 20 seeds,
every strategy below).
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import numpy as np
import torch

from nasbench_lab.search.base import STRATEGIES
from nasbench_lab.search.common import run_on_table

CSV = Path(__file__).resolve().parents[2] / ".." / "shared" / "nb201" / "nwot_arch_score_acc.csv"
RUNS = {
    "random": ("random", {}),
    "evolution": ("evolution", {}),
    "local_search": ("local_search", {}),
    "bo": ("bo", {}),
    "bo_thompson": ("bo", {"acquisition": "thompson"}),
    "bo_ucb": ("bo", {"acquisition": "ucb"}),
    "bo_mutation_pool": ("bo", {"candidates": "mutation"}),
    "bananas": ("bananas", {}),
    "npenas": ("npenas", {}),
    "pnas": ("pnas", {}),
    "zc_warmstart_naswot": ("zc_warmstart", {}),
    "reinforce": ("reinforce", {}),
}


def run(name: str, params: dict, valid: np.ndarray, test: np.ndarray, score: np.ndarray, seeds: int, queries: int) -> np.ndarray:
    """Final reported test accuracy of the incumbent for each seed, shape ``(seeds,)``."""
    finals = []
    for seed in range(seeds):
        strategy = STRATEGIES.get(name)(np.random.default_rng(seed), max_epochs=1, proxy_oracle=lambda idx: score[idx], **params)
        archs = run_on_table(strategy, valid, queries)
        finals.append(test[archs[int(np.argmax(valid[archs]))]])  # the first arch of the best objective
    return np.asarray(finals)


def main(names: list[str], seeds: int = 20) -> None:
    torch.set_num_threads(1)
    data = np.genfromtxt(CSV, delimiter=",", skip_header=1, usecols=(3, 4, 6))
    score, valid, test = data[:, 0], data[:, 1], data[:, 2]
    print(f"{seeds} seeds x 100 queries")
    print("| strategy | params | mean final test (%) | std | s.e. | wall s/seed |")
    print("|---|---|---|---|---|---|")
    for label in names:
        name, params = RUNS[label]
        start = time.perf_counter()
        finals = run(name, params, valid, test, score, seeds=seeds, queries=100)
        took = (time.perf_counter() - start) / seeds
        se = finals.std(ddof=1) / np.sqrt(seeds)
        print(f"| {name} | {params or 'defaults'} | {finals.mean():.2f} | {finals.std(ddof=1):.2f} | {se:.2f} | {took:.1f} |", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    n_seeds = 20
    if args[:1] == ["--seeds"]:
        n_seeds, args = int(args[1]), args[2:]
    main(args or list(RUNS), n_seeds)
