"""Flip random bits of a benchmark file and count what a reader makes of it (docs/format.md, checksums).

For each trial one random bit in the first ``--span`` bytes (where HDF5 keeps the object headers and
small attributes; the default 4 KiB) is flipped in a copy, and the copy is read the way ``info`` and
``query`` read it: every recipe's description, configs, a column of valid_acc, curves and proxies.
Outcomes: ``error`` (a NasbenchLabError: reported as damage, one line in the CLI), ``same`` (identical
answers: the bit was unused), ``DIFFERENT`` (a silently different table: the failure checksums exist to
prevent) and ``crash`` (any other exception: a traceback in the CLI).

Run: ``.venv/bin/python docs/scripts/metadata_sweep.py [--trials 80] [--span 4096]`` (builds a synthetic
file in a temporary folder; slow-ish: HDF5 re-reads damaged headers many times before it gives up).
"""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.benchmark.commands import describe
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.synthetic import make_synthetic
from nasbench_lab.errors import NasbenchLabError

PICK = np.arange(0, 15625, 7)


def snapshot(path: Path) -> tuple[Any, ...]:
    """What a reader sees: the info lines (without the file line), configs, values, curves, proxies."""
    with Benchmark.open(path) as bench:
        lines = [line for line in describe(bench) if not line.startswith("benchmark ")]
        dataset = bench.datasets[0]
        configs = [bench.recipe(dataset, r).config for r in bench.recipes(dataset)]
        values = bench.query_many(PICK, dataset, "valid_acc", missing="nan")
        curves = bench.curves_many(PICK[::10], dataset, "train_loss", missing="nan")
        proxies = [bench.proxy(PICK, dataset, p, missing="nan") for p in bench.proxy_names(dataset)]
    return lines, configs, values, curves, proxies


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two snapshots are identical (NaN equal to NaN)."""
    arrays_a, arrays_b = [a[2], a[3], *a[4]], [b[2], b[3], *b[4]]
    return a[:2] == b[:2] and len(arrays_a) == len(arrays_b) and all(
        np.array_equal(x, y, equal_nan=True) for x, y in zip(arrays_a, arrays_b))


def main() -> None:
    """Run the trials and log the counts of each outcome."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=80)
    parser.add_argument("--span", type=int, default=4096, help="flip bits in the first SPAN bytes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        original = make_synthetic(Path(tmp) / "bench.h5", with_proxies=True)
        raw, reference = original.read_bytes(), snapshot(original)
        rng, counts, copy = random.Random(args.seed), Counter(), Path(tmp) / "damaged.h5"
        for _ in range(args.trials):
            data = bytearray(raw)
            data[rng.randrange(min(args.span, len(raw)))] ^= 1 << rng.randrange(8)
            copy.write_bytes(bytes(data))
            try:
                outcome = "same" if same(reference, snapshot(copy)) else "DIFFERENT"
            except NasbenchLabError:
                outcome = "error"
            except Exception:
                outcome = "crash"
            counts[outcome] += 1
    logging.info("%d trials: %s", args.trials, ", ".join(f"{k} {counts[k]}" for k in
                                                          ("error", "same", "DIFFERENT", "crash")))


if __name__ == "__main__":
    main()
