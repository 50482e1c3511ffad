"""The report of a search study: the summary table, the wins matrix, the plots and the output folder.

From the units of a study (:mod:`nasbench_lab.study.results`) this module computes the summary a paper
reports (final reported metric mean +- s.e., regret to the table's best, area under the regret curve, wins
per pair of strategies), writes the tables, and has :mod:`nasbench_lab.study.plots` draw regret versus
queries and versus simulated time. :func:`report_study` re-renders an output folder.

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
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.objectives import reported_sign
from nasbench_lab.provenance import utc_now
from nasbench_lab.study.folder import read_study
from nasbench_lab.study.manifest import write_manifest
from nasbench_lab.study.pareto_report import PARETO_FILES, write_pareto_files
from nasbench_lab.study.plots import plot_regret
from nasbench_lab.study.results import (
    UnitResult,
    group_units,
    regret,
    trajectory_csv,
    wall_time_csv,
    write_atomic,
)

# The files a study writes in its output folder besides ``units/`` (``study run --overwrite`` removes these
# and nothing else; a test checks that a study writes no other file).
OUTPUT_FILES: tuple[str, ...] = (
    "trajectory.csv", "wall_time.csv", "summary.csv", "summary.md", "wins.csv", "regret.png", "regret.pdf",
    "manifest.json", *PARETO_FILES,
)


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


def mean_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard error (NaN s.e. for a single value)."""
    mean = float(values.mean())
    se = float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan
    return mean, se


def summarize(units: Iterable[UnitResult], best: float, order: Sequence[str] | None = None,
              sign: float = 1.0) -> list[StrategySummary]:
    """One :class:`StrategySummary` per strategy.

    Args:
        units: finished units (any subset of the study).
        best: the best reported value in the table (regret zero).
        order: labels in display order (default: sorted).
        sign: ``-1`` for a minimised reported metric (regret is ``reported - best``).

    Raises:
        NasbenchLabError: a unit has no queries.
    """
    out = []
    for label, group in group_units(units, order).items():
        if any(u.n_queries == 0 for u in group):
            raise NasbenchLabError(f"strategy {label!r} has a unit without queries; rerun the study")
        final = np.array([u.reported[-1] for u in group])
        aurc = np.array([float(np.mean(regret(u.reported, best, sign))) for u in group])
        out.append(StrategySummary(
            label, len(group), *mean_se(final), *mean_se(regret(final, best, sign)), *mean_se(aurc),
            float(np.mean([u.n_queries for u in group])),
            float(np.mean([u.simulated_time[-1] for u in group])),
        ))
    return out


def wins_matrix(units: Iterable[UnitResult], order: Sequence[str] | None = None,
                sign: float = 1.0) -> tuple[list[str], np.ndarray]:
    """Pairwise wins: ``wins[a, b]`` = seeds (run by both) where ``a``'s final reported value beats ``b``'s
    (is larger, or smaller with ``sign = -1`` for a minimised metric).

    Returns:
        The labels and an int matrix of shape ``(n_strategies, n_strategies)`` (zero diagonal).
    """
    grouped = group_units(units, order)
    labels = list(grouped)
    finals = [{u.seed: sign * u.reported[-1] for u in grouped[s]} for s in labels]
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


def plus_minus(mean: float, se: float, digits: int) -> str:
    """``"mean ± se"`` with ``digits`` decimals (the mean alone when the s.e. is NaN)."""
    return f"{mean:.{digits}f}" + ("" if math.isnan(se) else f" ± {se:.{digits}f}")


SUMMARY_HEADER = ("seeds", "final {metric}", "regret", "AURC", "queries", "simulated time (s)")


def summary_cells(r: StrategySummary) -> list[str]:
    """The Markdown cells of one summary row after the strategy's label (columns of ``SUMMARY_HEADER``)."""
    return [str(r.n_seeds), plus_minus(r.final_mean, r.final_se, 3), plus_minus(r.regret_mean, r.regret_se, 3),
            plus_minus(r.aurc_mean, r.aurc_se, 3), f"{r.queries_mean:.1f}", f"{r.simulated_time_mean:.1f}"]


def summary_markdown(rows: Sequence[StrategySummary], labels: Sequence[str], wins: np.ndarray,
                     metric: str = "reported", partial: bool = False) -> str:
    """The summary and the wins matrix as Markdown tables (what ``study run`` prints)."""
    lines = ["(partial: only finished units)", ""] if partial else []
    header = [h.format(metric=metric) for h in SUMMARY_HEADER]
    lines += ["| strategy | " + " | ".join(header) + " |", "|---|" + "---:|" * len(header)]
    lines += [f"| {r.strategy} | " + " | ".join(summary_cells(r)) + " |" for r in rows]
    lines += ["", "Wins (row beats column on that many seeds):", "", "| | " + " | ".join(labels) + " |",
              "|---|" + "---:|" * len(labels)]
    for a, (label, row) in enumerate(zip(labels, wins)):
        lines.append(f"| {label} | " + " | ".join("-" if a == b else str(int(v)) for b, v in enumerate(row)) + " |")
    return "\n".join(lines) + "\n"


def write_study_files(out: Path, units: Sequence[UnitResult], best: float, order: Sequence[str], *,
                      metric: str = "reported", partial: bool = False, trajectories: bool = True,
                      title: str = "") -> str:
    """Write summary.csv, wins.csv, summary.md, regret.{png,pdf} (and trajectory.csv, wall_time.csv).

    Args:
        out: the output folder.
        units: finished units in spec order (the trajectory keeps this order).
        best: the table's best reported value.
        order: strategy labels in spec order.
        metric: name of the reported metric.
        partial: whether some units have not finished (noted in summary.md).
        trajectories: also write trajectory.csv and wall_time.csv.
        title: the regret plot's title (see :func:`plot_title`).

    Returns:
        The summary Markdown (empty note if no unit has finished).
    """
    out.mkdir(parents=True, exist_ok=True)
    sign = reported_sign(metric)
    if trajectories:
        write_atomic(out / "trajectory.csv", trajectory_csv(units, best, sign))
        write_atomic(out / "wall_time.csv", wall_time_csv(units))
    if not units:
        text = "(no unit has finished yet)\n"
        write_atomic(out / "summary.md", text)
        return text
    rows = summarize(units, best, order, sign)
    labels, wins = wins_matrix(units, order, sign)
    text = summary_markdown(rows, labels, wins, metric=metric, partial=partial)
    write_atomic(out / "summary.csv", summary_csv(rows))
    write_atomic(out / "wins.csv", wins_csv(labels, wins))
    write_atomic(out / "summary.md", text)
    plot_regret(units, best, out / "regret", metric=metric, order=order, title=title)
    return text


def plot_title(manifest: dict[str, Any]) -> str:
    """The regret plot's title: the study, the reported metric and its dataset, and the table's best."""
    best = manifest["reported_best"]
    return f"{manifest['name']}: regret of {best['metric']} on {best['dataset']} (table best {best['value']:.4g})"


@dataclass(frozen=True)
class StudyOutcome:
    """What :func:`run_study` and :func:`report_study` leave behind.

    Attributes:
        out: the output folder.
        summary: the summary and wins tables as Markdown (what the CLI prints).
        units_done: finished units.
        units_total: units of the whole study.
        note: what a rerun did with the results already in ``out`` (resumed, re-reported, replaced), for
            the user; empty for a fresh folder and for reports.
    """

    out: Path
    summary: str
    units_done: int
    units_total: int
    note: str = ""

    @property
    def complete(self) -> bool:
        """Whether every unit has finished."""
        return self.units_done == self.units_total


def write_outputs(out: Path, manifest: dict[str, Any], units: list[UnitResult], total: int, *,
                  trajectories: bool = True) -> StudyOutcome:
    """Write the summary, wins, plots and manifest of the finished ``units`` (and, if ``trajectories``,
    trajectory.csv and wall_time.csv)."""
    manifest = dict(manifest, units_done=len(units), units_total=total, complete=len(units) == total)
    if trajectories:
        manifest["finished"] = utc_now()
    labels = [s["label"] for s in manifest["spec"]["strategies"]]
    text = write_study_files(out, units, manifest["reported_best"]["value"], labels,
                             metric=manifest["reported_best"]["metric"], partial=len(units) < total,
                             trajectories=trajectories, title=plot_title(manifest))
    if "pareto" in manifest:  # multi-objective: fronts, hypervolume curves, front plot
        write_pareto_files(out, units, manifest)
    write_manifest(out / "manifest.json", manifest)
    return StudyOutcome(out=out, summary=text, units_done=len(units), units_total=total)


def report_study(out: str | Path) -> StudyOutcome:
    """Rewrite the summary, tables and plots of an output folder from its saved units (or, if the unit
    files are gone, from its trajectory.csv). The trajectory files themselves are left as they are.

    Raises:
        ConfigError: ``out`` is not a study output folder.
    """
    study = read_study(out)
    return write_outputs(study.path, study.manifest, study.units, study.units_total, trajectories=False)
