"""Results of a search study: per-unit trajectories, the summary table and the study's output files.

A *unit* is one (strategy, seed) search. Its :class:`UnitResult` holds one row per query. From the
units of a study this module computes the summary a paper reports (final reported metric mean +- s.e.,
regret to the table's best, area under the regret curve, wins per pair of strategies), writes the
trajectory CSV and the tables, and has :mod:`nasbench_lab.report_plots` draw regret versus queries and
versus simulated time.

Definitions (all from the *reported* metric of the *incumbent*, i.e. the arch with the best observed
objective so far):

* regret at step ``t``: ``best - reported[t]``, where ``best`` is the best reported value in the table;
* final: the value at the unit's last query;
* AURC (area under the regret curve): the area under regret versus queries divided by the number of
  queries, i.e. the mean regret over the unit's steps (same units as the metric; lower is better);
* wins: for each ordered pair (A, B), the number of seeds on which A's final reported value is
  strictly larger than B's.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import importlib.metadata
import io
import json
import math
import os
import platform
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.errors import NasbenchLabError

# Columns of trajectory.csv, in order; the file is byte-identical for the same spec and benchmark.
TRAJECTORY_COLUMNS: tuple[str, ...] = (
    "strategy", "seed", "step", "arch", "epochs", "objective", "reported", "simulated_time",
)
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
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnitResult:
        """Inverse of :meth:`to_json`."""
        return cls(
            strategy=str(data["strategy"]),
            seed=int(data["seed"]),
            arch=np.asarray(data["arch"], dtype=np.int64),
            epochs=np.asarray(data["epochs"], dtype=np.int64),
            objective=np.asarray(data["objective"], dtype=np.float64),
            reported=np.asarray(data["reported"], dtype=np.float64),
            simulated_time=np.asarray(data["simulated_time"], dtype=np.float64),
            wall_time=np.asarray(data["wall_time"], dtype=np.float64),
        )


# --------------------------------------------------------------------------- files
def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def trajectory_csv(units: Iterable[UnitResult]) -> str:
    """The trajectory table as CSV text (one row per query; floats as ``repr``, so exact)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TRAJECTORY_COLUMNS)
    for u in units:
        for i in range(u.n_queries):
            writer.writerow([
                u.strategy, u.seed, i + 1, int(u.arch[i]), int(u.epochs[i]), repr(float(u.objective[i])),
                repr(float(u.reported[i])), repr(float(u.simulated_time[i])),
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

    Raises:
        NasbenchLabError: the file is missing or its header is not a trajectory header.
    """
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise NasbenchLabError(f"{path} not found: is this a study output folder?") from None
    if not rows or tuple(rows[0]) != TRAJECTORY_COLUMNS:
        raise NasbenchLabError(f"{path} is not a trajectory file (header must be {','.join(TRAJECTORY_COLUMNS)})")
    grouped: dict[tuple[str, int], list[list[str]]] = {}
    for row in rows[1:]:
        grouped.setdefault((row[0], int(row[1])), []).append(row)
    units = []
    for (strategy, seed), group in grouped.items():
        cols = list(zip(*group))
        units.append(UnitResult(
            strategy=strategy,
            seed=seed,
            arch=np.asarray(cols[3], dtype=np.int64),
            epochs=np.asarray(cols[4], dtype=np.int64),
            objective=np.asarray(cols[5], dtype=np.float64),
            reported=np.asarray(cols[6], dtype=np.float64),
            simulated_time=np.asarray(cols[7], dtype=np.float64),
            wall_time=np.full(len(group), math.nan),
        ))
    return units


# --------------------------------------------------------------------------- summary
@dataclass(frozen=True)
class StrategySummary:
    """Summary of one strategy over its seeds (mean and standard error over seeds).

    Attributes:
        strategy: label.
        n_seeds: number of finished units.
        final_mean, final_se: final reported metric of the incumbent.
        regret_mean, regret_se: final regret to the table's best.
        aurc_mean, aurc_se: area under the regret-versus-queries curve per query.
        queries_mean: mean number of queries.
        simulated_time_mean: mean simulated seconds spent.
    """

    strategy: str
    n_seeds: int
    final_mean: float
    final_se: float
    regret_mean: float
    regret_se: float
    aurc_mean: float
    aurc_se: float
    queries_mean: float
    simulated_time_mean: float


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard error (NaN s.e. for a single value)."""
    mean = float(values.mean())
    se = float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan
    return mean, se


def group_units(units: Iterable[UnitResult], order: Sequence[str] | None = None) -> dict[str, list[UnitResult]]:
    """Units grouped by strategy label, in ``order`` (labels absent from ``units`` are left out), seeds sorted."""
    grouped: dict[str, list[UnitResult]] = {}
    for u in units:
        grouped.setdefault(u.strategy, []).append(u)
    labels = [s for s in (order or sorted(grouped)) if s in grouped]
    labels += [s for s in grouped if s not in labels]
    return {s: sorted(grouped[s], key=lambda u: u.seed) for s in labels}


def summarize(units: Iterable[UnitResult], best: float, order: Sequence[str] | None = None) -> list[StrategySummary]:
    """One :class:`StrategySummary` per strategy.

    Args:
        units: finished units (any subset of the study).
        best: the best reported value in the table (regret zero).
        order: labels in display order (default: sorted).

    Raises:
        NasbenchLabError: a unit has no queries.
    """
    out = []
    for label, group in group_units(units, order).items():
        if any(u.n_queries == 0 for u in group):
            raise NasbenchLabError(f"strategy {label!r} has a unit without queries; rerun the study")
        final = np.array([u.reported[-1] for u in group])
        aurc = np.array([float(np.mean(best - u.reported)) for u in group])
        out.append(StrategySummary(
            label, len(group), *_mean_se(final), *_mean_se(best - final), *_mean_se(aurc),
            float(np.mean([u.n_queries for u in group])),
            float(np.mean([u.simulated_time[-1] for u in group])),
        ))
    return out


def wins_matrix(units: Iterable[UnitResult], order: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Pairwise wins: ``wins[a, b]`` = seeds (run by both) where ``a``'s final reported value beats ``b``'s.

    Returns:
        The labels and an int matrix of shape ``(n_strategies, n_strategies)`` (zero diagonal).
    """
    grouped = group_units(units, order)
    labels = list(grouped)
    finals = [{u.seed: u.reported[-1] for u in grouped[s]} for s in labels]
    wins = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for a in range(len(labels)):
        for b in range(len(labels)):
            common = finals[a].keys() & finals[b].keys()
            wins[a, b] = sum(finals[a][s] > finals[b][s] for s in common)
    return labels, wins


def summary_csv(rows: Sequence[StrategySummary]) -> str:
    """The summary table as CSV text."""
    fields = list(StrategySummary.__dataclass_fields__)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    for r in rows:
        writer.writerow([getattr(r, f) if isinstance(getattr(r, f), str | int) else repr(getattr(r, f)) for f in fields])
    return buf.getvalue()


def wins_csv(labels: Sequence[str], wins: np.ndarray) -> str:
    """The wins matrix as CSV text (row beats column on that many seeds)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["strategy", *labels])
    for label, row in zip(labels, wins):
        writer.writerow([label, *(int(v) for v in row)])
    return buf.getvalue()


def _pm(mean: float, se: float, digits: int) -> str:
    return f"{mean:.{digits}f}" + ("" if math.isnan(se) else f" ± {se:.{digits}f}")


def summary_markdown(rows: Sequence[StrategySummary], labels: Sequence[str], wins: np.ndarray,
                     metric: str = "reported", partial: bool = False) -> str:
    """The summary and the wins matrix as Markdown tables (what ``study run`` prints)."""
    lines = ["(partial: only finished units)", ""] if partial else []
    lines += [
        f"| strategy | seeds | final {metric} | regret | AURC | queries | simulated time (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.strategy} | {r.n_seeds} | {_pm(r.final_mean, r.final_se, 3)} | {_pm(r.regret_mean, r.regret_se, 3)} "
            f"| {_pm(r.aurc_mean, r.aurc_se, 3)} | {r.queries_mean:.1f} | {r.simulated_time_mean:.1f} |"
        )
    lines += ["", "Wins (row beats column on that many seeds):", "", "| | " + " | ".join(labels) + " |",
              "|---|" + "---:|" * len(labels)]
    for a, (label, row) in enumerate(zip(labels, wins)):
        lines.append(f"| {label} | " + " | ".join("-" if a == b else str(int(v)) for b, v in enumerate(row)) + " |")
    return "\n".join(lines) + "\n"


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically (sorted keys, indented)."""
    write_atomic(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def utc_now() -> str:
    """The current UTC time in ISO 8601, to the second."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git_commit() -> tuple[str | None, bool | None]:
    """Commit of the git checkout holding this package and whether tracked files differ from it."""
    where = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(dirty)


def manifest_environment() -> dict[str, Any]:
    """Package version, git commit, Python/numpy/torch versions, platform and start time, for a manifest."""
    from nasbench_lab import __version__

    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    commit, dirty = _git_commit()
    return {
        "package_version": __version__, "git_commit": commit, "git_dirty": dirty,
        "versions": {"python": platform.python_version(), "numpy": version("numpy"), "torch": version("torch")},
        "platform": platform.platform(), "started": utc_now(),
    }


def write_study_files(out: Path, units: Sequence[UnitResult], best: float, order: Sequence[str], *,
                      metric: str = "reported", partial: bool = False, trajectories: bool = True) -> str:
    """Write summary.csv, wins.csv, summary.md, regret.{png,pdf} (and trajectory.csv, wall_time.csv).

    Args:
        out: the output folder.
        units: finished units in spec order (the trajectory keeps this order).
        best: the table's best reported value.
        order: strategy labels in spec order.
        metric: name of the reported metric.
        partial: whether some units have not finished (noted in summary.md).
        trajectories: also write trajectory.csv and wall_time.csv.

    Returns:
        The summary Markdown (empty note if no unit has finished).
    """
    out.mkdir(parents=True, exist_ok=True)
    if trajectories:
        write_atomic(out / "trajectory.csv", trajectory_csv(units))
        write_atomic(out / "wall_time.csv", wall_time_csv(units))
    if not units:
        text = "(no unit has finished yet)\n"
        write_atomic(out / "summary.md", text)
        return text
    from nasbench_lab.report_plots import plot_regret  # imports this module: not at the top

    rows = summarize(units, best, order)
    labels, wins = wins_matrix(units, order)
    text = summary_markdown(rows, labels, wins, metric=metric, partial=partial)
    write_atomic(out / "summary.csv", summary_csv(rows))
    write_atomic(out / "wins.csv", wins_csv(labels, wins))
    write_atomic(out / "summary.md", text)
    plot_regret(units, best, out / "regret", metric=metric, order=order)
    return text
