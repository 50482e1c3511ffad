"""Search quality on real NB201 with NB201's short-run objective: every strategy against random search.

Objective (what a strategy observes): the validation accuracy of NB201's 12-epoch runs
(``../shared/nb201/minibench_12ep_arch_cell_accs.csv``: cifar10-val, cifar100-val, imagenet-val).
Reported: the 200-epoch test accuracy of the incumbent (the first arch of the best objective), from
``../shared/nb201/freerea_nats_tss_zc_metrics.csv.gz`` (cifar10 ori-test, cifar100 and ImageNet16-120
x-test). 100 queries per seed, a plain ask/tell loop (``run_on_table``), one thread.

Run: ``python docs/scripts/search_nb201_12ep.py [--seeds N] [--datasets cifar10,cifar100,imagenet]
[label ...]``; prints one Markdown row per (dataset, strategy): mean, s.e., quartiles of the final
reported accuracy, and the share of seeds on which the strategy beats random search with the same seed
index (ties count half).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import numpy as np

from nasbench_lab.search.base import STRATEGIES
from nasbench_lab.search.common import run_on_table

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "nb201"
DATASETS = {"cifar10": ("cifar10-val", "cifar10"), "cifar100": ("cifar100-val", "cifar100"),
            "imagenet": ("imagenet-val", "ImageNet16-120")}
RUNS: dict[str, tuple[str, dict]] = {
    "random": ("random", {}),
    "evolution": ("evolution", {}),
    "bo": ("bo", {}),
    "bananas": ("bananas", {}),
    "npenas": ("npenas", {}),
    "pnas": ("pnas", {}),
    "reinforce": ("reinforce", {}),
    "reinforce_lr0.001": ("reinforce", {"lr": 0.001}),
    "reinforce_lr0.1": ("reinforce", {"lr": 0.1}),
}


def load(shared: Path, dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """(12-epoch valid, 200-epoch test) accuracy of every arch, each of shape ``(15625,)``."""
    import csv
    import gzip

    val_col, test_ds = DATASETS[dataset]
    with open(shared / "minibench_12ep_arch_cell_accs.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    valid = np.array([float(r[val_col]) for r in rows])
    with gzip.open(shared / "freerea_nats_tss_zc_metrics.csv.gz", "rt", newline="") as fh:
        rows = list(csv.DictReader(fh))
    test = np.array([float(r[f"{test_ds}:accuracy"]) for r in rows])
    return valid, test


def finals(name: str, params: dict, valid: np.ndarray, test: np.ndarray, seeds: int) -> tuple[np.ndarray, np.ndarray]:
    """Final objective and reported accuracy of the incumbent for each seed, each of shape ``(seeds,)``."""
    objective, reported = [], []
    for seed in range(seeds):
        strategy = STRATEGIES.get(name)(np.random.default_rng(seed), max_epochs=1, **params)
        archs = np.asarray(run_on_table(strategy, valid, 100))
        best = archs[int(np.argmax(valid[archs]))]
        objective.append(valid[best])
        reported.append(test[best])
    return np.asarray(objective), np.asarray(reported)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--datasets", default="cifar10,cifar100,imagenet")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("labels", nargs="*", default=list(RUNS))
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    print("| dataset | strategy | objective (12-ep valid) | reported mean | s.e. | q25 | q50 | q75 | beats random | wall s/seed |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets.split(","):
        valid, test = load(args.shared, dataset)
        base_objective, base = finals("random", {}, valid, test, args.seeds)
        for label in args.labels:
            name, params = RUNS[label]
            start = time.perf_counter()
            obj, f = (base_objective, base) if label == "random" else finals(name, params, valid, test, args.seeds)
            took = (time.perf_counter() - start) / args.seeds
            q25, q50, q75 = np.quantile(f, [0.25, 0.5, 0.75])
            wins = float(np.mean((f > base) + 0.5 * (f == base)))
            se = f.std(ddof=1) / np.sqrt(len(f))
            cells = [dataset, label, *(f"{v:.2f}" for v in (obj.mean(), f.mean(), se, q25, q50, q75, wins, took))]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
