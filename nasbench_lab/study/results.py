"""Results of a study's units: :class:`UnitResult`, the trajectory files and the unit files.

A *unit* is one (strategy, seed) search. Its :class:`UnitResult` holds one row per query. Finished units
are saved one JSON file each under ``OUT/units/`` (so an interrupted study resumes) and, together, as
``trajectory.csv`` (byte-identical for the same spec and benchmark) and ``wall_time.csv``.

Regret, everywhere in the study outputs, is :func:`regret`: the table's best reported value minus the
reported value of the incumbent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError, NasbenchLabError

# Columns of trajectory.csv, in order; the file is byte-identical for the same spec and benchmark.
TRAJECTORY_COLUMNS: tuple[str, ...] = (
    "strategy", "seed", "step", "arch", "epochs", "objective", "incumbent", "reported", "regret", "simulated_time",
)
# The columns of trajectory files written before the incumbent and regret columns existed (still read).
LEGACY_TRAJECTORY_COLUMNS: tuple[str, ...] = (
    "strategy", "seed", "step", "arch", "epochs", "objective", "reported", "simulated_time",
)
UNKNOWN_INCUMBENT = -1  # the incumbent of a step read from a file written before it was recorded
WALL_TIME_COLUMNS: tuple[str, ...] = ("strategy", "seed", "step", "wall_time")


@dataclass
class UnitResult:
    """The trajectory of one (strategy, seed) unit; every array has shape ``(n_queries,)``.

    Attributes:
        strategy: the strategy's label in the spec.
        seed: the seed value of the unit.
        arch: NB201 index of the arch queried at each step.
        epochs: curve columns (fidelity) asked at each step.
        objective: the objective observed for that query.
        reported: reported metric of the incumbent after that query.
        incumbent: NB201 index of the incumbent after that query (the arch with the best objective so
            far); ``UNKNOWN_INCUMBENT`` (-1) in results saved before it was recorded.
        simulated_time: simulated seconds spent after that query (cumulative).
        wall_time: wall-clock seconds since the unit started (not reproducible; kept apart).
    """

    strategy: str
    seed: int
    arch: np.ndarray
    epochs: np.ndarray
    objective: np.ndarray
    reported: np.ndarray
    simulated_time: np.ndarray
    wall_time: np.ndarray
    incumbent: np.ndarray

    @property
    def n_queries(self) -> int:
        """Number of queries (steps) of the unit."""
        return int(self.arch.shape[0])

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict; floats keep full precision (``repr`` round trip)."""
        return {
            "strategy": self.strategy,
            "seed": self.seed,
            "arch": [int(v) for v in self.arch],
            "epochs": [int(v) for v in self.epochs],
            "objective": [float(v) for v in self.objective],
            "reported": [float(v) for v in self.reported],
            "simulated_time": [float(v) for v in self.simulated_time],
            "wall_time": [float(v) for v in self.wall_time],
            "incumbent": [int(v) for v in self.incumbent],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnitResult:
        """Inverse of :meth:`to_json` (unit files written before the incumbent was recorded have none)."""
        n = len(data["arch"])
        return cls(
            strategy=str(data["strategy"]),
            seed=int(data["seed"]),
            arch=np.asarray(data["arch"], dtype=np.int64),
            epochs=np.asarray(data["epochs"], dtype=np.int64),
            objective=np.asarray(data["objective"], dtype=np.float64),
            reported=np.asarray(data["reported"], dtype=np.float64),
            simulated_time=np.asarray(data["simulated_time"], dtype=np.float64),
            wall_time=np.asarray(data["wall_time"], dtype=np.float64),
            incumbent=np.asarray(data.get("incumbent", [UNKNOWN_INCUMBENT] * n), dtype=np.int64),
        )


def regret(reported: np.ndarray, best: float, sign: float = 1.0) -> np.ndarray:
    """Regret of reported values: ``sign * (best - reported)`` (``best``: the table's best reported value).

    Args:
        reported: reported metric of incumbents, any shape.
        best: the best reported value in the table.
        sign: ``-1`` for a minimised reported metric (``objectives.reported_sign``), so regret is never negative.

    Returns:
        An array of the shape of ``reported`` (zero where the table's best was found).
    """
    return sign * (best - np.asarray(reported, dtype=np.float64))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def trajectory_csv(units: Iterable[UnitResult], best: float, sign: float = 1.0) -> str:
    """The trajectory table as CSV text (one row per query; floats as ``repr``, so exact).

    Args:
        units: finished units, in the order their rows are written.
        best: the table's best reported value (for the regret column).
        sign: ``-1`` for a minimised reported metric (see :func:`regret`).
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TRAJECTORY_COLUMNS)
    for u in units:
        gap = regret(u.reported, best, sign)
        for i in range(u.n_queries):
            writer.writerow([
                u.strategy, u.seed, i + 1, int(u.arch[i]), int(u.epochs[i]), repr(float(u.objective[i])),
                int(u.incumbent[i]), repr(float(u.reported[i])), repr(float(gap[i])), repr(float(u.simulated_time[i])),
            ])
    return buf.getvalue()


def wall_time_csv(units: Iterable[UnitResult]) -> str:
    """Wall-clock seconds per query as CSV text (kept out of the reproducible trajectory file)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(WALL_TIME_COLUMNS)
    for u in units:
        for i in range(u.n_queries):
            writer.writerow([u.strategy, u.seed, i + 1, f"{float(u.wall_time[i]):.6f}"])
    return buf.getvalue()


def read_trajectory(path: Path) -> list[UnitResult]:
    """Units from a ``trajectory.csv`` (wall times are NaN: they live in ``wall_time.csv``).

    Files written before the ``incumbent`` and ``regret`` columns existed are read too (their incumbent is
    ``UNKNOWN_INCUMBENT``); the regret column is not read back, it follows from ``reported``.

    Raises:
        NasbenchLabError: the file is missing or its header is not a trajectory header.
    """
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise NasbenchLabError(f"{path} not found: is this a study output folder?") from None
    header = tuple(rows[0]) if rows else ()
    if header not in (TRAJECTORY_COLUMNS, LEGACY_TRAJECTORY_COLUMNS):
        raise NasbenchLabError(f"{path} is not a trajectory file (header must be {','.join(TRAJECTORY_COLUMNS)})")
    col = {name: i for i, name in enumerate(header)}
    grouped: dict[tuple[str, int], list[list[str]]] = {}
    for row in rows[1:]:
        grouped.setdefault((row[0], int(row[1])), []).append(row)
    units = []
    for (strategy, seed), group in grouped.items():
        cols = list(zip(*group))
        incumbent = cols[col["incumbent"]] if "incumbent" in col else [UNKNOWN_INCUMBENT] * len(group)
        units.append(UnitResult(
            strategy=strategy,
            seed=seed,
            arch=np.asarray(cols[col["arch"]], dtype=np.int64),
            epochs=np.asarray(cols[col["epochs"]], dtype=np.int64),
            objective=np.asarray(cols[col["objective"]], dtype=np.float64),
            reported=np.asarray(cols[col["reported"]], dtype=np.float64),
            simulated_time=np.asarray(cols[col["simulated_time"]], dtype=np.float64),
            wall_time=np.full(len(group), math.nan),
            incumbent=np.asarray(incumbent, dtype=np.int64),
        ))
    return units


def group_units(units: Iterable[UnitResult], order: Sequence[str] | None = None) -> dict[str, list[UnitResult]]:
    """Units grouped by strategy label, in ``order`` (labels absent from ``units`` are left out), seeds sorted."""
    grouped: dict[str, list[UnitResult]] = {}
    for u in units:
        grouped.setdefault(u.strategy, []).append(u)
    labels = [s for s in (order or sorted(grouped)) if s in grouped]
    labels += [s for s in grouped if s not in labels]
    return {s: sorted(grouped[s], key=lambda u: u.seed) for s in labels}


def unit_path(units_dir: Path, label: str, seed: int) -> Path:
    """The file of unit (``label``, ``seed``) in ``units_dir`` (a slug of the label plus its hash)."""
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)[:40]
    return units_dir / f"{slug}_{hashlib.sha256(label.encode()).hexdigest()[:8]}_seed{seed}.json"


def load_units(units_dir: Path, labels: Sequence[str], seeds: Sequence[int]) -> list[UnitResult]:
    """Finished units found in ``units_dir``, in spec order (labels, then seeds).

    Raises:
        ConfigError: a unit file holds another unit than its name says.
    """
    units = []
    for label in labels:
        for seed in seeds:
            path = unit_path(units_dir, label, seed)
            if path.exists():
                unit = UnitResult.from_json(json.loads(path.read_text(encoding="utf-8")))
                if (unit.strategy, unit.seed) != (label, seed):
                    raise ConfigError(f"{path} does not hold unit ({label!r}, {seed}); delete it and resume")
                units.append(unit)
    return units
