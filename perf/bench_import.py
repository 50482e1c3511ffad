"""Speed of the NATS-Bench importer, on the real NATS records in ../shared/nb201 (not shipped).

Prints:
1. the restricted unpickler's time per arch file against plain ``pickle.loads`` (the unsafe
   reference) on the same decompressed bytes, and bz2 decompression time per file;
2. end-to-end import throughput (unpickle + convert + HDF5 write) for N archs whose states are the
   real records of the sample re-labelled to other indices, and the projected time for all 15,625;
3. the CSV importer on the NWOT table (15,625 rows, 2 datasets) against just reading the same file
   with the ``csv`` module.

Run: ``.venv/bin/python perf/bench_import.py [N]`` (default N = 512).
"""

from __future__ import annotations

import bz2
import copy
import csv
import pickle
import sys
import tempfile
import time
from pathlib import Path

import torch
from _timing import best_of

from nasbench_lab.benchmark import importers, safe_pickle
from nasbench_lab.space import Arch

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "nb201"
SAMPLE = SHARED / "nats-tss-simple-sample"
NWOT_MAPS = ("valid_top1=valid_acc", "valid_test_top1=test_acc", "params=params", "cifar10:test_top1=test_acc",
             "cifar10:params=params")


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
    t_plain = best_of(lambda: [pickle.loads(d) for d in data], 15) / len(data)
    t_safe = best_of(lambda: [safe_pickle.loads(d) for d in data], 15) / len(data)
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
    bench_csv()


def bench_csv() -> None:
    """The NWOT table through :func:`importers.import_table` vs a bare ``csv`` read of it."""
    table = SHARED / "nwot_arch_score_acc.csv"
    if not table.is_file():
        print(f"NWOT table not found at {table}; CSV figure skipped")
        return

    def read() -> None:
        with open(table, newline="") as fh:
            list(csv.reader(fh))

    maps = [importers.ColumnMap.parse(text, "cifar10-valid") for text in NWOT_MAPS]
    t_read = best_of(read)
    with tempfile.TemporaryDirectory() as tmp:
        t_import = best_of(lambda: importers.import_table(
            table, Path(tmp) / f"nwot-{time.perf_counter_ns()}.h5", maps, recipe="nb201-200", epoch=200, seed=0), 3)
    print(f"CSV import of the NWOT table (15,625 rows, 2 datasets, 200-column recipe): {t_import:.2f} s; "
          f"reference csv.reader of the file {t_read * 1e3:.0f} ms (ratio {t_import / t_read:.0f}x)")


if __name__ == "__main__":
    main()
