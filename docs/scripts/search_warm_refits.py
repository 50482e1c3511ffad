"""Warm-started ensemble refits on real NB201: the "Warm-started refits" table of docs/search.md.

For each named strategy and ``warm_epochs`` in 0 (from scratch), 50 and 20: the mean final reported
test accuracy over ``SEEDS`` seeds x 100 queries on four tasks (the 200-epoch cifar10-valid objective of
``nwot_arch_score_acc.csv``, and the 12-epoch objectives of ``search_nb201_12ep.py``), and CPU seconds
per unit. Needs ``../shared/nb201/``.

Run: ``python docs/scripts/search_warm_refits.py SEEDS name ...`` (e.g. ``20 bananas npenas pnas``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import search_nb201_12ep as twelve

from nasbench_lab.search.base import STRATEGIES
from nasbench_lab.search.common import run_on_table


def main(seeds: int, names: list[str]) -> None:
    data = np.genfromtxt(twelve.SHARED / "nwot_arch_score_acc.csv", delimiter=",", skip_header=1, usecols=(4, 6))
    tasks = {"c10-200": (data[:, 0], data[:, 1])}
    for dataset in twelve.DATASETS:
        tasks[f"{dataset}-12"] = twelve.load(twelve.SHARED, dataset)
    for name in names:
        for warm in (0, 50, 20):
            cells, start = [], time.process_time()
            for task, (valid, test) in tasks.items():
                finals = []
                for seed in range(seeds):
                    strategy = STRATEGIES.get(name)(np.random.default_rng(seed), max_epochs=1, warm_epochs=warm)
                    archs = np.asarray(run_on_table(strategy, valid, 100))
                    finals.append(test[archs[np.argmax(valid[archs])]])
                cells.append(f"{task} {np.mean(finals):.2f}")
            per_unit = (time.process_time() - start) / (len(tasks) * seeds)
            print(name, warm, " | ".join(cells), f"| CPU s/unit {per_unit:.2f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
