"""The fill journal: an append-only, fsync'd log of finished entries beside the benchmark file.

A finished training run counts only once its line is in the journal and ``os.fsync`` has returned.
Each line is ``CRC32 JSON\\n`` (the CRC, 8 hex digits, covers the JSON bytes), so a line that a crash
cut short is recognised: a last line without its newline or with a wrong checksum was never
acknowledged, and :meth:`Journal.read` drops it (and :meth:`Journal.open` truncates it away). A bad
line anywhere else is real corruption and raises :class:`JournalError`.

Entries are plain dicts (JSON objects):

* ``{"kind": "run", "dataset", "recipe", "seed", "arch_index", "record": {...}, "members": [...],
  "member_latency": [...]}``: a trained run; ``members`` are isomorphic archs its results are copied
  to (each with its own measured latency).
* ``{"kind": "failure", "dataset", "recipe", "seed", "arch_index", "attempt", "error"}``: one failed
  attempt.

Folding entries into the HDF5 file: :class:`BenchmarkTarget` (below, once the writer lands).
"""

from __future__ import annotations

import json
import math
import os
import zlib
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from nasbench_lab.benchmark.schema import RunRecord
from nasbench_lab.errors import NasbenchLabError

JOURNAL_VERSION = 1


class JournalError(NasbenchLabError):
    """The journal is corrupt somewhere other than its last line."""


def journal_path(bench_path: str | os.PathLike[str]) -> Path:
    """The journal of a benchmark file (``BENCH.journal`` beside ``BENCH``)."""
    path = Path(bench_path)
    return path.with_name(path.name + ".journal")


def _encode(entry: dict[str, Any]) -> bytes:
    body = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    return b"%08x " % zlib.crc32(body) + body + b"\n"


def _decode(line: bytes) -> dict[str, Any] | None:
    """The entry of one complete line, or ``None`` if it is damaged."""
    if len(line) < 10 or line[8:9] != b" " or not line.endswith(b"\n"):
        return None
    body = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        entry = json.loads(body)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def _scan(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Entries of the journal and the byte length of its intact prefix.

    Raises:
        JournalError: a line before the last one is damaged.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    entries: list[dict[str, Any]] = []
    offset = 0
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]  # the text after the last newline (empty unless torn)
    if not lines[-1]:
        lines.pop()
    for number, line in enumerate(lines, start=1):
        entry = _decode(line)
        if entry is None:
            if number == len(lines):  # a torn tail: never acknowledged, so drop it
                break
            raise JournalError(
                f"{path} line {number} is corrupt (not a torn last line); move the file aside and "
                "inspect it: the entries after that line would otherwise be lost"
            )
        entries.append(entry)
        offset += len(line)
    return entries, offset


class Journal:
    """Append-only journal file; one writer (the fill's main process) at a time.

    Args:
        path: the journal file (created on the first append).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: Any = None

    def read(self) -> list[dict[str, Any]]:
        """Every intact entry, in order; a torn last line is left out.

        Raises:
            JournalError: a line other than the last is damaged.
        """
        return _scan(self.path)[0]

    def open(self) -> None:
        """Open for appending, first cutting off a torn last line so new lines start clean."""
        if self._file is not None:
            return
        _, intact = _scan(self.path)
        self._file = open(self.path, "ab")
        if self._file.tell() != intact:
            self._file.truncate(intact)
            self._sync()

    def append(self, entry: dict[str, Any]) -> None:
        """Write one entry and return only once it is on disk (flush + fsync)."""
        self.open()
        self._file.write(_encode(entry))
        self._sync()

    def clear(self) -> None:
        """Empty the journal once its entries are folded into the benchmark file."""
        self.open()
        self._file.truncate(0)
        self._file.seek(0)
        self._sync()

    def close(self) -> None:
        """Close the file (entries stay on disk)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def remove(self) -> None:
        """Close and delete the journal file (after its last fold)."""
        self.close()
        self.path.unlink(missing_ok=True)

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def __enter__(self) -> Journal:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --------------------------------------------------------------------------- entry codecs
def _number(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def record_to_json(record: RunRecord) -> dict[str, Any]:
    """A run record as a JSON-safe dict (NaN written as ``null``)."""
    return {
        "arch_index": int(record.arch_index),
        "seed": int(record.seed),
        "curves": {k: [_number(v) for v in np.asarray(c, dtype=np.float64)] for k, c in record.curves.items()},
        "eval_time": _number(record.eval_time),
        "params": _number(record.params),
        "flops": _number(record.flops),
        "latency": _number(record.latency),
        "mapped_from": int(record.mapped_from),
    }


def record_from_json(data: dict[str, Any]) -> RunRecord:
    """Inverse of :func:`record_to_json`."""
    return RunRecord(
        arch_index=int(data["arch_index"]),
        seed=int(data["seed"]),
        curves={k: np.array([_float(v) for v in c], dtype=np.float64) for k, c in data["curves"].items()},
        eval_time=_float(data["eval_time"]),
        params=_float(data["params"]),
        flops=_float(data["flops"]),
        latency=_float(data["latency"]),
        mapped_from=int(data.get("mapped_from", -1)),
    )


def run_entry(
    dataset: str,
    recipe: str,
    record: RunRecord,
    members: Iterable[int] = (),
    member_latency: Iterable[float] = (),
) -> dict[str, Any]:
    """The journal entry of a finished run (see the module docstring)."""
    return {
        "v": JOURNAL_VERSION,
        "kind": "run",
        "dataset": dataset,
        "recipe": recipe,
        "seed": int(record.seed),
        "arch_index": int(record.arch_index),
        "record": record_to_json(record),
        "members": [int(m) for m in members],
        "member_latency": [_number(t) for t in member_latency],
    }


def failure_entry(dataset: str, recipe: str, arch_index: int, seed: int, attempt: int, error: str) -> dict[str, Any]:
    """The journal entry of one failed attempt."""
    return {
        "v": JOURNAL_VERSION,
        "kind": "failure",
        "dataset": dataset,
        "recipe": recipe,
        "seed": int(seed),
        "arch_index": int(arch_index),
        "attempt": int(attempt),
        "error": str(error),
    }
