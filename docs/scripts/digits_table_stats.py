"""Calibration figures of docs/calibration.md measured on the whole embedded table, not on a sample.

For a benchmark filled with two seeds (``data/nb201-digits.h5`` by default) prints, for the final
valid accuracy and a few other final metrics: Kendall tau-b and Spearman between seed 0 and seed 1

* over all archs with both seeds (mapped members included, i.e. weighted like uniformly random archs;
  members of one class carry identical values, so their pairs are ties and tau-b leaves them out),
* over the trained class representatives only (one entry per isomorphism class),
* over connected representatives (the cell's output depends on its input),
* over 200 random draws of 100 uniformly random archs (the issue's sample size): mean, 5th and 95th
  percentile of tau, to show how far a single 100-arch sample can stray,

and the 10th-90th percentile spread of the seed-mean final valid accuracy over all 15,625 archs.

Run: ``.venv/bin/python docs/scripts/digits_table_stats.py [--bench data/nb201-digits.h5]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, spearmanr

from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.space import N_ARCHS, valid_mask

ROOT = Path(__file__).resolve().parents[2]
METRICS = ("valid_acc", "valid_loss", "test_acc", "train_acc")


def pair_stats(a: np.ndarray, b: np.ndarray) -> str:
    return f"tau {kendalltau(a, b).statistic:.3f}, Spearman {spearmanr(a, b).statistic:.3f}, n={len(a)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=str(ROOT / "data" / "nb201-digits.h5"))
    parser.add_argument("--dataset", default="digits")
    args = parser.parse_args()
    idx = np.arange(N_ARCHS)
    with Benchmark.open(args.bench) as bench:
        seeds = bench.seeds(args.dataset)[:2]
        mapped = bench.mapped_from(args.dataset)
        values = {
            m: [bench.query_many(idx, args.dataset, m, seed=s, missing="nan") for s in seeds] for m in METRICS
        }
    both = np.isfinite(values["valid_acc"][0]) & np.isfinite(values["valid_acc"][1])
    trained = both & (mapped[:, 0] < 0) & (mapped[:, 1] < 0)
    live = trained & valid_mask(idx)
    print(f"seeds {seeds}; archs with both seeds {both.sum()}; trained representatives {trained.sum()}")
    for metric in METRICS:
        a, b = values[metric]
        print(f"\n{metric}")
        print(f"  all archs:             {pair_stats(a[both], b[both])}")
        print(f"  representatives:       {pair_stats(a[trained], b[trained])}")
        print(f"  connected reps:        {pair_stats(a[live], b[live])}")
    a, b = values["valid_acc"]
    rng = np.random.default_rng(0)
    pool = np.flatnonzero(both)
    taus = np.array([kendalltau(a[s], b[s]).statistic for s in (rng.choice(pool, 100, replace=False)
                                                               for _ in range(200))])
    print(f"\nvalid_acc, 200 samples of 100 random archs: tau mean {taus.mean():.3f}, "
          f"p5 {np.percentile(taus, 5):.3f}, p95 {np.percentile(taus, 95):.3f}")
    mean = (a[both] + b[both]) / 2
    p10, p50, p90 = np.percentile(mean, [10, 50, 90])
    print(f"seed-mean final valid_acc p10/p50/p90 {p10:.2f}/{p50:.2f}/{p90:.2f}: spread {p90 - p10:.2f} points")


if __name__ == "__main__":
    main()
