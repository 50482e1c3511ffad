"""Add metadata checksums to a benchmark file written before they existed (``data/nb201-digits.h5``).

Any write through :class:`~nasbench_lab.benchmark.writer.BenchmarkWriter` seals a file; this script
makes an empty write, so the data stay byte-for-byte the same and only the checksum attributes (and the
root's ``contents``) are added. It holds the file's lock like every writer. See ``docs/format.md``.

Run: ``.venv/bin/python docs/scripts/seal_benchmark.py [BENCH ...]`` (default: the embedded benchmark).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from nasbench_lab.benchmark.import_base import locked_writer
from nasbench_lab.benchmark.store import Benchmark

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    """Seal each file given (default ``data/nb201-digits.h5``) and report whether it now verifies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", nargs="*", type=Path, default=[ROOT / "data" / "nb201-digits.h5"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for path in args.bench:
        with locked_writer(path):
            pass
        with Benchmark.open(path) as bench:
            logging.info("%s: sealed=%s, datasets %s", path, bench.sealed, ", ".join(bench.datasets))


if __name__ == "__main__":
    main()
