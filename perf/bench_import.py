"""Speed of the NATS-Bench importer, on the real NATS records in ../shared/nb201 (not shipped).

Prints:
1. the restricted unpickler's time per arch file against plain ``pickle.loads`` (the unsafe
   reference) on the same decompressed bytes, and bz2 decompression time per file;
2. end-to-end import throughput (unpickle + convert + HDF5 write) for N archs whose states are the
   real records of the sample re-labelled to other indices, and the projected time for all 15,625.

Run: ``.venv/bin/python perf/bench_import.py [N]`` (default N = 512).
"""

from __future__ import annotations

import bz2
import copy
import pickle
import sys
import tempfile
import time
from pathlib import Path

import torch

from nasbench_lab.benchmark import importers, safe_pickle
from nasbench_lab.space import Arch

SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "nb201" / "nats-tss-simple-sample"


def best_of(func, repeats: int = 5) -> float:
    """Smallest wall time of ``repeats`` calls, seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def relabel(state: dict, index: int) -> dict:
    """A copy of an arch's ``{hp: ArchResults state}`` claiming to be arch ``index``."""
    out = copy.deepcopy(state)
    for arch_state in out.values():
        arch_state["arch_index"] = index
        arch_state["arch_str"] = str(Arch.from_index(index))
    return out


def main() -> None:
    torch.set_num_threads(1)
    if not SAMPLE.is_dir():
        sys.exit(f"real NATS sample not found at {SAMPLE}; nothing to measure")
    n_archs = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    files = sorted(SAMPLE.glob("[0-9]*.pickle.pbz2"))
    raw = [f.read_bytes() for f in files]
    data = [bz2.decompress(r) for r in raw]

    t_bz2 = best_of(lambda: [bz2.decompress(r) for r in raw]) / len(raw)
    t_plain = best_of(lambda: [pickle.loads(d) for d in data]) / len(data)
    t_safe = best_of(lambda: [safe_pickle.loads(d) for d in data]) / len(data)
    print(f"per arch file ({len(data)} real files, {sum(map(len, data)) / len(data) / 1e3:.0f} kB unpickled):")
    print(f"  bz2 decompress          {t_bz2 * 1e3:7.2f} ms")
    print(f"  pickle.loads (unsafe)   {t_plain * 1e3:7.2f} ms   reference")
    print(f"  safe_pickle.loads       {t_safe * 1e3:7.2f} ms   ratio {t_safe / t_plain:.2f}x the reference")

    states = [safe_pickle.loads(d) for d in data]
    batch = [(i, relabel(states[i % len(states)], i)) for i in range(n_archs)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.h5"
        start = time.perf_counter()
        importers.import_arch_results(iter(batch), n_archs, out, {"source": "perf"}, progress=False)
        t_write = time.perf_counter() - start
        size = out.stat().st_size
    per_arch = t_write / n_archs + t_bz2 + t_safe
    print(f"import of {n_archs} archs (convert + HDF5 write, 2 recipes x 4 datasets): {t_write:.2f} s, "
          f"file {size / 1e6:.1f} MB")
    print(f"  per arch incl. decompress + unpickle: {per_arch * 1e3:.1f} ms -> "
          f"projected full NATS topology import (15,625 archs): {per_arch * 15625 / 60:.1f} min")


if __name__ == "__main__":
    main()
