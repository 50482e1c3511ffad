"""The multi-objective outputs of a study: per-unit Pareto fronts, hypervolume curves and front plots.

Written next to the single-objective files (which then report the hypervolume as the ``reported``
metric) when the manifest has a ``pareto`` entry:

* ``fronts.csv``: every unit's final front (its feasible, non-dominated queried archs, seed-mean values
  in metric units) and the table's true front (strategy ``true front``, seed -1);
* ``hypervolume.csv``: hypervolume mean and s.e. over seeds after every query, per strategy;
* ``hypervolume.{png,pdf}``: hypervolume versus queries and versus simulated time (mean +- s.e.) with
  the true front's hypervolume;
* ``pareto_front.{png,pdf}``: the first two objectives of every arch in the table, the true front and
  each strategy's front on its first seed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab import pareto, space
from nasbench_lab.study.mo_table import ObjectiveColumns, objective_columns
from nasbench_lab.study.plots import band, band_note, save_figure
from nasbench_lab.study.results import UnitResult, group_units, write_atomic
from nasbench_lab.study.spec import StudySpec, spec_from_dict
from nasbench_lab.study.table import study_table

# The files above (``study run --overwrite`` removes them with the single-objective ones).
PARETO_FILES: tuple[str, ...] = (
    "fronts.csv", "hypervolume.csv", "hypervolume.png", "hypervolume.pdf", "pareto_front.png", "pareto_front.pdf",
)


def spec_from_manifest(manifest: dict[str, Any]) -> StudySpec:
    """Rebuild the study spec recorded in a manifest (``spec`` is :meth:`StudySpec.to_dict`)."""
    data = manifest["spec"]
    doc: dict[str, Any] = {k: data[k] for k in ("name", "dataset", "recipe", "seeds", "seed") if data.get(k) is not None}
    doc["seeds"] = list(data["seeds"])
    doc["budget"] = {k: v for k, v in data["budget"].items() if v is not None}
    doc["objective"] = {"seed": data["objective"]["seed"]}
    doc["reported"] = {k: v for k, v in data["reported"].items() if v is not None}
    if data.get("proxy"):
        doc["proxy"] = data["proxy"]
    multi = data["multi"]
    doc["objectives"] = [{k: v for k, v in o.items() if v is not None} for o in multi["objectives"]]
    if multi["constraints"]:
        doc["constraints"] = [{k: v for k, v in c.items() if v is not None} for c in multi["constraints"]]
    if multi["weights"] is not None:
        doc["scalarise"] = {"weights": list(multi["weights"])}
    if multi["reference_point"] is not None:
        doc["reference_point"] = list(multi["reference_point"])
    doc["strategies"] = [{"name": s["name"], "label": s["label"], **s["params"]} for s in data["strategies"]]
    return spec_from_dict(doc).with_benchmark(manifest["benchmark"]["path"])


def unit_front(columns: ObjectiveColumns, archs: np.ndarray) -> np.ndarray:
    """The distinct feasible Pareto-optimal archs among ``archs`` (seed means), sorted, shape ``(k,)``."""
    archs = np.unique(archs)
    points, ok = columns.mean_points(archs)
    archs, points = archs[ok], points[ok]
    return archs[pareto.non_dominated(points)] if len(archs) else archs


def fronts_csv(columns: ObjectiveColumns, units: Sequence[UnitResult], true_front: np.ndarray) -> str:
    """Every unit's final front and the true front as CSV text (objective values in metric units)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["strategy", "seed", "arch", *(o.label for o in columns.multi.objectives)])
    rows = [(u.strategy, u.seed, unit_front(columns, u.arch)) for u in units] + [("true front", -1, true_front)]
    for label, seed, front in rows:
        points, _ = columns.mean_points(front)
        for arch, point in zip(front, points * columns.signs):
            writer.writerow([label, seed, int(arch), *(repr(float(v)) for v in point)])
    return buf.getvalue()


def hypervolume_csv(units: Sequence[UnitResult], order: Sequence[str]) -> str:
    """Hypervolume mean and s.e. over seeds after every query, per strategy, as CSV text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["strategy", "step", "n_seeds", "hypervolume_mean", "hypervolume_se"])
    for label, group in group_units(units, order).items():
        mean, se = band(_by_query(group))
        for step, (m, s) in enumerate(zip(mean, se), start=1):
            writer.writerow([label, step, len(group), repr(float(m)), repr(float(s))])
    return buf.getvalue()


def _by_query(group: Sequence[UnitResult]) -> np.ndarray:
    """Hypervolume (the units' ``reported``) per query, carried forward past a unit's end, ``(n_seeds, n)``."""
    n = max(u.n_queries for u in group)
    out = np.empty((len(group), n))
    for i, u in enumerate(group):
        out[i, : u.n_queries], out[i, u.n_queries :] = u.reported, u.reported[-1]
    return out


def write_pareto_files(out: Path, units: Sequence[UnitResult], manifest: dict[str, Any]) -> list[Path]:
    """Write the files of the module docstring for the finished ``units``; returns their paths."""
    if not units:
        return []
    spec = spec_from_manifest(manifest)
    columns = objective_columns(study_table(spec), spec.multi)
    true_front = np.asarray(manifest["pareto"]["true_front"], dtype=np.int64)
    order = [s.label for s in spec.strategies]
    what = ", ".join(o.label for o in columns.multi.objectives)
    true_hv = float(manifest["reported_best"]["value"])
    where = f"{manifest['name']}, {spec.dataset}"
    write_atomic(out / "fronts.csv", fronts_csv(columns, units, true_front))
    write_atomic(out / "hypervolume.csv", hypervolume_csv(units, order))
    paths = [out / "fronts.csv", out / "hypervolume.csv"]
    paths += plot_hypervolume(units, order, true_hv, out / "hypervolume",
                              title=f"{where}: hypervolume of ({what}), true front {true_hv:.4g}")
    paths += plot_fronts(columns, units, order, true_front, out / "pareto_front", title=f"{where}: Pareto fronts")
    return paths


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_hypervolume(units: Sequence[UnitResult], order: Sequence[str], true_hv: float, stem: Path,
                     title: str = "") -> list[Path]:
    """Hypervolume versus queries and versus simulated time (mean +- s.e. over seeds), PNG and PDF."""
    plt = _pyplot()
    fig, (ax_q, ax_t) = plt.subplots(1, 2, figsize=(11, 4.4))
    grouped = group_units(units, order)
    for label, group in grouped.items():
        mean, se = band(_by_query(group))
        x = np.arange(1, mean.size + 1)
        (line,) = ax_q.plot(x, mean, label=f"{label} ({len(group)})")
        ax_q.fill_between(x, mean - se, mean + se, color=line.get_color(), alpha=0.2, linewidth=0)
        timed = [u for u in group if np.isfinite(u.simulated_time).all()]
        if timed:
            grid = np.linspace(0.0, max(u.simulated_time[-1] for u in timed), 256)
            by_time = np.full((len(timed), grid.size), np.nan)
            for i, u in enumerate(timed):
                pos = np.searchsorted(u.simulated_time, grid, side="right") - 1
                by_time[i, pos >= 0] = u.reported[pos[pos >= 0]]
            mean, se = band(by_time)
            ax_t.plot(grid, mean, color=line.get_color())
            ax_t.fill_between(grid, mean - se, mean + se, color=line.get_color(), alpha=0.2, linewidth=0)
    for ax, xlabel in ((ax_q, "queries"), (ax_t, "simulated time (s)")):
        ax.axhline(true_hv, color="black", linestyle="--", linewidth=1, label="true front" if ax is ax_q else None)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("hypervolume")
        ax.grid(alpha=0.3)
    ax_q.legend(fontsize=8, title=band_note({len(g) for g in grouped.values()}), title_fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, stem)


def plot_fronts(columns: ObjectiveColumns, units: Sequence[UnitResult], order: Sequence[str],
                true_front: np.ndarray, stem: Path, title: str = "") -> list[Path]:
    """The first two objectives of every arch, the true front and each strategy's first-seed front."""
    plt = _pyplot()
    labels = [o.label for o in columns.multi.objectives]
    every, _ = columns.mean_points(np.arange(space.N_ARCHS))
    every = every * columns.signs
    fig, ax = plt.subplots(figsize=(6.5, 5))
    ax.scatter(every[:, 1], every[:, 0], s=2, color="0.8", label="all archs", rasterized=True)
    for label, group in group_units(units, order).items():
        front = unit_front(columns, group[0].arch)
        pts = columns.mean_points(front)[0] * columns.signs
        ax.scatter(pts[:, 1], pts[:, 0], s=18, label=f"{label} (seed {group[0].seed})")
    pts = columns.mean_points(true_front)[0] * columns.signs
    step = np.argsort(pts[:, 1])
    ax.plot(pts[step, 1], pts[step, 0], color="black", drawstyle="steps-post", linewidth=1, label="true front")
    ax.set_xlabel(labels[1])
    ax.set_ylabel(labels[0])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, stem)
