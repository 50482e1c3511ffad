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

:class:`BenchmarkTarget` folds entries into the HDF5 benchmark file (through the atomic
:class:`~nasbench_lab.benchmark.writer.BenchmarkWriter`) and answers what the file already holds.
Entries that failed and have not succeeded since are kept, per recipe, in the JSON attribute
``fill_failures`` of the recipe's group (read it with :meth:`Benchmark.fill_failures`).
"""

from __future__ import annotations

import json
import math
import os
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.benchmark.schema import FILL_FAILURES_ATTR, Recipe, RunRecord
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.writer import BenchmarkWriter
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.space import N_ARCHS as N_ARCHS_

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
        self._file = open(self.path, "ab")  # noqa: SIM115 -- held open across appends, closed by close()
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


# --------------------------------------------------------------------------- folding into the HDF5 file


def records_of(entry: dict[str, Any]) -> list[RunRecord]:
    """The records a run entry stores: the trained run, then a mapped copy per member."""
    record = record_from_json(entry["record"])
    records = [record]
    for member, latency in zip(entry["members"], entry["member_latency"]):
        copy = record.remapped(int(member))
        copy.latency = _float(latency)
        records.append(copy)
    return records


def merge_failures(stored: list[dict[str, Any]], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Update the unresolved-failure list with new journal entries.

    A failure entry adds an attempt (and its error) to its ``(arch_index, seed)``; a run entry for the
    same pair resolves it. Returns the list sorted by ``(seed, arch_index)``.
    """
    table = {(int(f["arch_index"]), int(f["seed"])): dict(f) for f in stored}
    for entry in entries:
        key = (int(entry["arch_index"]), int(entry["seed"]))
        if entry["kind"] == "run":
            table.pop(key, None)
        else:
            old = table.get(key, {"arch_index": key[0], "seed": key[1], "attempts": 0})
            table[key] = {**old, "attempts": int(old["attempts"]) + 1, "error": entry["error"]}
    return [table[k] for k in sorted(table, key=lambda k: (k[1], k[0]))]


class BenchmarkTarget:
    """The HDF5 benchmark file as the fill engine sees it.

    Args:
        path: the benchmark file (created on :meth:`prepare` if absent).
        provenance: provenance of new recipes (``source`` required; see ``BenchmarkWriter.add_recipe``).
    """

    def __init__(self, path: str | os.PathLike[str], provenance: dict[str, str]) -> None:
        self.path = Path(path)
        self.provenance = dict(provenance)

    def _stored(self, dataset: str, recipe: str) -> tuple[list[int] | None, np.ndarray | None]:
        """Seeds and per-arch params of the recipe in the file (``None, None`` if it has no such recipe)."""
        if not self.path.exists():
            return None, None
        with Benchmark.open(self.path) as bench:
            if dataset not in bench.datasets or recipe not in bench.recipes(dataset):
                return None, None
            params = bench.query_many(np.arange(N_ARCHS_), dataset, "params", recipe=recipe, missing="nan")
            return bench.seeds(dataset, recipe), params

    def prepare(
        self,
        dataset: str,
        recipe: Recipe,
        seeds: Sequence[int],
        arch_metrics: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Add the recipe and any new seeds, and per-arch ``arch_metrics`` (all 15,625 archs) if absent.

        Raises:
            ConfigError: the file holds a recipe of that name with other eval points or config.
        """
        stored_seeds, params = self._stored(dataset, recipe.name)
        new_seeds = [int(s) for s in seeds if stored_seeds is None or int(s) not in stored_seeds]
        need_figures = arch_metrics is not None and (params is None or bool(np.isnan(params).any()))
        if stored_seeds is not None and not new_seeds and not need_figures:
            self._check_recipe(dataset, recipe)
            return
        with BenchmarkWriter(self.path) as writer:
            if stored_seeds is None:
                writer.add_recipe(dataset, recipe, seeds=[int(s) for s in seeds], provenance=self.provenance)
            else:
                self._check_recipe(dataset, recipe)
                writer.add_seeds(dataset, recipe.name, new_seeds)
            if need_figures and arch_metrics is not None:  # need_figures implies arch_metrics; the test narrows it for mypy
                writer.write_arch_metrics(dataset, recipe.name, np.arange(N_ARCHS_), **arch_metrics)

    def _check_recipe(self, dataset: str, recipe: Recipe) -> None:
        with Benchmark.open(self.path) as bench:
            stored = bench.recipe(dataset, recipe.name)
        if stored.eval_points != recipe.eval_points or stored.config != json.loads(json.dumps(recipe.config)):
            raise ConfigError(
                f"{self.path} already holds a recipe {recipe.name!r} for {dataset} with other eval points or "
                "config; fill another file, or register the changed protocol under a new recipe name"
            )

    def filled(self, dataset: str, recipe: str) -> tuple[np.ndarray, list[int]]:
        """The file's filled mask ``(15625, n_seeds)`` and its seed values."""
        with Benchmark.open(self.path) as bench:
            return bench.filled(dataset, recipe), bench.seeds(dataset, recipe)

    def fold(self, entries: list[dict[str, Any]]) -> None:
        """Write journal entries into the file with one atomic replace (idempotent: refolding is harmless)."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for entry in entries:
            groups.setdefault((entry["dataset"], entry["recipe"]), []).append(entry)
        with BenchmarkWriter(self.path) as writer:
            for (dataset, recipe), group in groups.items():
                records = [r for e in group if e["kind"] == "run" for r in records_of(e)]
                if records:
                    writer.write_runs(dataset, recipe, records)
                stored = writer.recipe_json_attr(dataset, recipe, FILL_FAILURES_ATTR, [])
                merged = merge_failures(stored, group)
                if merged != stored:
                    writer.set_recipe_json_attr(dataset, recipe, FILL_FAILURES_ATTR, merged)

    def failures(self, dataset: str, recipe: str) -> list[dict[str, Any]]:
        """Unresolved failures stored for the recipe (``[]`` if none)."""
        with Benchmark.open(self.path) as bench:
            return bench.fill_failures(dataset, recipe)
