"""Query speed of the tabular benchmark on a full-size synthetic file shaped like imported NB201.

The file: 15,625 archs x 3 seeds x 200 curve columns x 4 datasets (cifar10-valid, cifar10, cifar100,
ImageNet16-120), every run filled, all 7 curve metrics, made-up numbers from
``nasbench_lab.benchmark.synthetic`` (full_size=True). It is built once and cached under /tmp (its size
is printed); ``--rebuild`` builds it again.

Prints, each with a reference measured in the same run:

1. ``Benchmark.open`` + the first ``query`` (fresh object each time, file in the OS page cache),
   against loading every array of the file into memory first (what the official NB201 API does with
   its pickle, here with our own file so the comparison is like for like).
2. ``query_many`` of 1,000,000 random lookups (random archs, last column, seed "mean"), including the
   first read of the column, on one core; also with one seed value and with a random seed per lookup.
   References: a Python dict lookup table (arch -> value) answering the same lookups in a loop, and
   a naive per-lookup h5py read (timed on 1,000 lookups, scaled to 1,000,000).
3. ``query`` called once per arch (20,000 calls, column cached): the per-call overhead of argument
   checking, against the same two references per lookup.

With ``--compression`` it also stores one curve array with each candidate filter and times a column
read, a whole-array read and a write (the reason for gzip-1 + shuffle, see docs/format.md).

Run: ``.venv/bin/python perf/bench_query.py [--rebuild] [--compression] [--path FILE]``
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import h5py
import numpy as np
import torch

from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.synthetic import NB201_DATASETS, make_synthetic

DEFAULT_PATH = Path("/tmp/nasbench-lab-perf/nb201-synthetic-full.h5")
N_LOOKUPS = 1_000_000


def timed(func):  # type: ignore[no-untyped-def]
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def build(path: Path, rebuild: bool) -> None:
    """Create the full-size synthetic file unless a complete one is cached."""
    if path.exists() and not rebuild:
        try:
            with Benchmark.open(path) as bench:
                if bench.datasets == sorted(NB201_DATASETS):
                    return
        except Exception:
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    seconds, _ = timed(lambda: make_synthetic(path, full_size=True))
    print(f"built {path} in {seconds:.1f} s")


def open_and_first_query(path: Path, repeats: int = 5) -> tuple[float, float]:
    """Best-of-``repeats`` seconds of open + first query, and of loading every array (reference)."""
    ours = []
    for k in range(repeats):
        start = time.perf_counter()
        with Benchmark.open(path) as bench:
            bench.query(6111 + k, "cifar10-valid", "valid_acc")
        ours.append(time.perf_counter() - start)

    def load_all() -> int:
        n = 0
        with h5py.File(path, "r") as f:
            for dataset in f:
                for recipe in f[dataset].values():
                    for _name, dset in recipe.items():
                        if isinstance(dset, h5py.Dataset):
                            n += dset[...].size
        return n

    reference, _ = timed(load_all)
    return min(ours), reference


def many_lookups(path: Path, indices: np.ndarray) -> dict[str, float]:
    """Seconds of 1M-lookup query_many variants, each on a fresh Benchmark (includes the column read)."""
    out = {}
    variants = {
        'seed="mean"': {"seed": "mean"},
        "seed=777": {"seed": 777},
        "seed=None (random per lookup)": {"seed": None, "rng": np.random.default_rng(0)},
    }
    for label, kwargs in variants.items():
        with Benchmark.open(path) as bench:
            seconds, values = timed(lambda: bench.query_many(indices, "cifar10-valid", "valid_acc", **kwargs))
            assert values.shape == indices.shape and not np.isnan(values).any()
            warm, _ = timed(lambda: bench.query_many(indices, "cifar10-valid", "valid_acc", **kwargs))
        out[label] = seconds
        out[label + " (column cached)"] = warm
    return out


def scalar_queries(path: Path, indices: np.ndarray) -> float:
    """Seconds per ``query`` call (one arch at a time, column cached), over 20,000 calls."""
    sample = [int(i) for i in indices[:20_000]]
    with Benchmark.open(path) as bench:
        bench.query(0, "cifar10-valid", "valid_acc")
        seconds, _ = timed(lambda: [bench.query(i, "cifar10-valid", "valid_acc") for i in sample])
    return seconds / len(sample)


def references(path: Path, indices: np.ndarray) -> tuple[float, float]:
    """Seconds for the 1M lookups with a Python dict table, and (scaled) with per-lookup h5py reads."""
    with Benchmark.open(path) as bench:
        column = bench.query_many(np.arange(15625), "cifar10-valid", "valid_acc")
    table = {i: float(v) for i, v in enumerate(column)}
    as_list = indices.tolist()
    dict_seconds, _ = timed(lambda: [table[i] for i in as_list])
    with h5py.File(path, "r") as f:
        dset = f["cifar10-valid/synthetic/valid_acc"]
        sample = as_list[:1000]
        naive, _ = timed(lambda: [float(np.mean(dset[i, :, -1])) for i in sample])
    return dict_seconds, naive * len(as_list) / len(sample)


def compression_choice(path: Path, folder: Path, rounds: int = 9) -> None:
    """Reads and writes of one curve array stored with each candidate filter (why gzip-1 + shuffle).

    The candidates are timed in interleaved rounds (one read of each per round) so that the shared
    machine's load drifts over all of them alike; medians are printed.
    """
    with h5py.File(path, "r") as f:
        data = f["cifar10-valid/synthetic/valid_acc"][...]
    # every candidate also carries the Fletcher-32 checksum the format uses, so the comparison is like for like
    candidates = {"gzip-1+shuffle": ("gzip", 1, True), "lzf+shuffle": ("lzf", None, True),
                  "gzip-4+shuffle": ("gzip", 4, True), "gzip-4": ("gzip", 4, False), "none": (None, None, False)}
    targets = {label: folder / f"compression-{label}.h5" for label in candidates}
    times: dict[str, dict[str, list[float]]] = {label: {"write": [], "column": [], "whole": []} for label in candidates}
    for k in range(rounds):
        for label, (compression, level, shuffle) in candidates.items():
            start = time.perf_counter()
            with h5py.File(targets[label], "w") as f:
                f.create_dataset("a", data=data, chunks=(512, 3, 25), compression=compression,
                                 compression_opts=level, shuffle=shuffle, fletcher32=True)
            times[label]["write"].append(time.perf_counter() - start)
            with h5py.File(targets[label], "r") as f:
                times[label]["column"].append(timed(lambda: f["a"][:, :, (37 * k + 3) % 200])[0])
            with h5py.File(targets[label], "r") as f:
                times[label]["whole"].append(timed(lambda: f["a"][...])[0])
    for label, target in targets.items():
        med = {kind: float(np.median(values)) * 1e3 for kind, values in times[label].items()}
        print(f"  {label:15s} size {target.stat().st_size / 2**20:5.1f} MiB, column read {med['column']:5.1f} ms, "
              f"whole array {med['whole']:6.1f} ms, write {med['write']:6.1f} ms")
        target.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help=f"cached file (default {DEFAULT_PATH})")
    parser.add_argument("--rebuild", action="store_true", help="build the file again even if cached")
    parser.add_argument("--compression", action="store_true",
                        help="also compare filters on one curve array (15625 x 3 x 200 float32)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    build(args.path, args.rebuild)
    print(f"file: {args.path}, {args.path.stat().st_size / 2**20:.0f} MiB "
          "(15,625 archs x 3 seeds x 200 epochs x 4 datasets, 7 curve metrics, synthetic numbers)")

    first, load_all = open_and_first_query(args.path)
    print(f"open + first query: {first * 1e3:.1f} ms (target < 500 ms); "
          f"reference, load every array first: {load_all:.2f} s -> {load_all / first:.0f}x faster")

    indices = np.random.default_rng(0).integers(0, 15625, N_LOOKUPS)
    dict_seconds, naive_seconds = references(args.path, indices)
    for label, seconds in many_lookups(args.path, indices).items():
        print(f"query_many 1M lookups, {label}: {seconds * 1e3:.1f} ms"
              + ("" if "cached" in label else " (target < 500 ms)")
              + f"; vs Python dict table {dict_seconds * 1e3:.0f} ms -> {dict_seconds / seconds:.1f}x, "
              f"vs naive h5py per lookup {naive_seconds:.0f} s -> {naive_seconds / seconds:.0f}x")
    per_query = scalar_queries(args.path, indices)
    per_dict, per_naive = dict_seconds / N_LOOKUPS, naive_seconds / N_LOOKUPS
    print(f"query() one arch per call: {per_query * 1e6:.1f} us per call; vs dict lookup {per_dict * 1e6:.2f} us "
          f"({per_query / per_dict:.0f}x slower), vs naive h5py read {per_naive * 1e6:.0f} us "
          f"({per_naive / per_query:.1f}x faster)")
    if args.compression:
        print("compression of one curve array (cifar10-valid valid_acc), medians of 9 interleaved rounds:")
        compression_choice(args.path, args.path.parent)


if __name__ == "__main__":
    main()
