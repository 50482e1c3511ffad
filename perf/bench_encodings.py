"""Time the vectorised encodings over all 15,625 NB201 archs against a naive per-arch Python loop.

Run: ``.venv/bin/python perf/bench_encodings.py`` (one core). Prints seconds per encoding of the whole
space and the speed-up over the loop, which builds the same arrays arch by arch from ``Arch`` objects
(the reference, measured in the same run; its outputs are checked equal to the vectorised ones).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from _timing import best_of

from nasbench_lab import encodings as E
from nasbench_lab.space import N_OPS, Arch, all_indices


def naive_onehot(indices: np.ndarray) -> np.ndarray:
    out = np.zeros((len(indices), 30), dtype=np.float32)
    for row, i in enumerate(indices):
        for edge, op in enumerate(Arch.from_index(int(i)).ops):
            out[row, N_OPS * edge + op] = 1.0
    return out


def naive_path(indices: np.ndarray) -> np.ndarray:
    out = np.zeros((len(indices), E.PATH_DIM), dtype=np.float32)
    for row, i in enumerate(indices):
        ops = Arch.from_index(int(i)).ops
        for route in E.PATHS:
            col = E.PATH_OFFSETS[len(route)]
            for position, edge in enumerate(route):
                col += ops[edge] * N_OPS ** (len(route) - 1 - position)
            out[row, col] = 1.0
    return out


def main() -> None:
    archs = all_indices()
    E.wl(archs[:1], h=3)  # build the cached WL label tables once (timed separately below)
    print(f"all {len(archs)} archs, best of 5, one core")
    for name, naive in (("onehot", naive_onehot), ("path", naive_path)):
        assert np.array_equal(E.encode(name, archs), naive(archs))
        fast = best_of(lambda: E.encode(name, archs))
        slow = best_of(lambda: naive(archs), repeats=1)
        print(f"{name:7s} vectorised {fast * 1e3:8.1f} ms   naive loop {slow * 1e3:8.1f} ms   speed-up x{slow / fast:.0f}")
    for name, func in (
        ("onehot pruned", lambda: E.onehot(archs, pruned=True)),
        ("path pruned", lambda: E.path(archs, pruned=True)),
        ("graph tensors", lambda: E.graph_tensors(archs)),
        ("graph pruned", lambda: E.graph_tensors(archs, pruned=True)),
        ("wl h=3 pruned", lambda: E.wl(archs, h=3)),
    ):
        print(f"{name:14s} {best_of(func) * 1e3:8.1f} ms")
    E._wl_label_table.cache_clear()
    E._wl_vocab.cache_clear()
    start = time.perf_counter()
    E.wl(archs[:1], h=4)
    print(f"WL label tables for the whole space, depths 0..4 (once per process): {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
