"""Study runner: runs every (strategy, seed) unit of a study spec and writes its output folder.

The spec (typed dataclasses read from TOML) lives in :mod:`nasbench_lab.study_spec`; its public names
are re-exported here, so ``from nasbench_lab.study import load_spec, run_study`` works. One unit is
simulated by :mod:`nasbench_lab.simulator`; tables and plots come from :mod:`nasbench_lab.report`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nasbench_lab.errors import ConfigError
from nasbench_lab.study_spec import (
    SEED_MODES,
    BudgetSpec,
    ObjectiveSpec,
    ProxySpec,
    ReportedSpec,
    StrategySpec,
    StudySpec,
    load_spec,
    spec_from_dict,
    strategy_class,
)

__all__ = [
    "MANIFEST_FORMAT", "MANIFEST_VERSION", "SEED_MODES", "BudgetSpec", "ObjectiveSpec", "ProxySpec", "ReportedSpec",
    "StrategySpec", "StudyOutcome", "StudySpec", "load_spec", "report_study", "run_study", "spec_from_dict",
    "strategy_class", "write_outputs",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- running a study
MANIFEST_FORMAT = "nasbench-lab-study"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class StudyOutcome:
    """What :func:`run_study` and :func:`report_study` leave behind.

    Attributes:
        out: the output folder.
        summary: the summary and wins tables as Markdown (what the CLI prints).
        units_done: finished units.
        units_total: units of the whole study.
    """

    out: Path
    summary: str
    units_done: int
    units_total: int

    @property
    def complete(self) -> bool:
        """Whether every unit has finished."""
        return self.units_done == self.units_total


def _unit_path(units_dir: Path, label: str, seed: int) -> Path:
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)[:40]
    return units_dir / f"{slug}_{hashlib.sha256(label.encode()).hexdigest()[:8]}_seed{seed}.json"


def _load_units(units_dir: Path, spec: StudySpec) -> list[Any]:
    """Finished units of ``spec`` found in ``units_dir``, in spec order (labels, then seeds)."""
    from nasbench_lab.report import UnitResult

    units = []
    for label in spec.labels:
        for seed in spec.seeds:
            path = _unit_path(units_dir, label, seed)
            if path.exists():
                unit = UnitResult.from_json(json.loads(path.read_text(encoding="utf-8")))
                if (unit.strategy, unit.seed) != (label, seed):
                    raise ConfigError(f"{path} does not hold unit ({label!r}, {seed}); delete it and resume")
                units.append(unit)
    return units


def _start_manifest(spec: StudySpec, out: Path, table: Any, *, resume: bool, executor: str, workers: int,
                    spec_text: str | None) -> dict[str, Any]:
    """The manifest of a starting (or resumed) study; refuses to mix results of different studies."""
    from nasbench_lab.report import manifest_environment, sha256_file

    bench_path = Path(getattr(table.bench, "path", spec.benchmark or ""))
    manifest = {
        "format": MANIFEST_FORMAT, "format_version": MANIFEST_VERSION, "name": spec.name,
        "spec": spec.to_dict(), "spec_fingerprint": spec.fingerprint(), "spec_toml": spec_text,
        "benchmark": {"path": str(bench_path), "sha256": sha256_file(bench_path)},
        "reported_best": dict(zip(("arch", "value"), table.best_reported())) | {
            "metric": spec.reported.metric, "dataset": table.reported_dataset, "recipe": table.reported_recipe.name},
        "executor": executor, "workers": workers, **manifest_environment(),
    }
    old_path = out / "manifest.json"
    has_units = any((out / "units").glob("*.json"))
    if has_units and not resume:
        raise ConfigError(f"{out} already holds study results: pass --resume to continue them, or choose another --out")
    if has_units:
        old = json.loads(old_path.read_text(encoding="utf-8")) if old_path.exists() else {}
        if old.get("spec_fingerprint") != manifest["spec_fingerprint"]:
            raise ConfigError(f"{out} holds results of a different spec; resume with the same spec or use another --out")
        if old.get("benchmark", {}).get("sha256") != manifest["benchmark"]["sha256"]:
            raise ConfigError(f"{out} was run on a different benchmark file; resume with the same file or use another --out")
        manifest["started"] = old.get("started", manifest["started"])
        if (old.get("git_commit"), old.get("git_dirty")) != (manifest["git_commit"], manifest["git_dirty"]):
            log.warning("resuming %s with other code (commit %s, was %s): resumed units may differ from a fresh run",
                        out, manifest["git_commit"], old.get("git_commit"))
    return manifest


def _check_strategies(spec: StudySpec, table: Any) -> None:
    """Build every strategy once so that bad parameters fail before any work starts."""
    import numpy as np

    from nasbench_lab.simulator import build_strategy

    for i, entry in enumerate(spec.strategies):
        if getattr(strategy_class(entry.name), "uses_proxies", False) and spec.proxy is None:
            raise ConfigError(f"strategies[{i}] ({entry.name}) uses a zero-cost proxy: add a [proxy] table naming one")
        build_strategy(spec, entry.label, np.random.default_rng(0), table.n_epochs, lambda idx: np.zeros(len(idx)))


def run_study(spec: StudySpec, out: str | Path, *, workers: int = 1, executor: str = "local",
              address: str | None = None, resume: bool = False, spec_text: str | None = None,
              progress: bool = True) -> StudyOutcome:
    """Run every (strategy, seed) unit of ``spec`` and write the output folder.

    Each unit is saved to ``out/units/`` (atomically) as soon as it finishes, so an interrupted study
    resumes from there (``resume=True``). On Ctrl-C the outputs of the finished units are written
    (marked partial in the manifest) before ``KeyboardInterrupt`` propagates.

    Args:
        spec: the study.
        out: output folder (created).
        workers: parallel workers; results do not depend on it.
        executor: ``"local"`` or ``"ray"``.
        address: Ray cluster address (``ray`` only; default: a local Ray instance).
        resume: continue the results already in ``out``.
        spec_text: the spec's TOML text, kept in the manifest.
        progress: show a progress bar over units (on a terminal).

    Raises:
        ConfigError: invalid spec, or ``out`` holds other results.
        NasbenchLabError: a unit failed (message names it).
    """
    from tqdm import tqdm

    from nasbench_lab import report
    from nasbench_lab.report import UnitResult, write_atomic
    from nasbench_lab.simulator import check_executor, run_units, study_table

    check_executor(workers, executor, address)
    out = Path(out)
    table = study_table(spec)
    _check_strategies(spec, table)
    manifest = _start_manifest(spec, out, table, resume=resume, executor=executor, workers=workers, spec_text=spec_text)
    units_dir = out / "units"
    units_dir.mkdir(parents=True, exist_ok=True)
    todo = [(label, seed) for label in spec.labels for seed in spec.seeds
            if not _unit_path(units_dir, label, seed).exists()]
    total = len(spec.labels) * len(spec.seeds)
    log.info("study %s: %d units, %d to run (%s executor, %d workers)", spec.name, total, len(todo), executor, workers)
    report.write_manifest(out / "manifest.json", dict(manifest, units_total=total, complete=False))
    bar = tqdm(total=total, initial=total - len(todo), desc=spec.name, unit="unit", disable=None if progress else True)
    try:
        for unit in run_units(spec, todo, workers=workers, executor=executor, address=address):
            assert isinstance(unit, UnitResult)
            write_atomic(_unit_path(units_dir, unit.strategy, unit.seed), json.dumps(unit.to_json()))
            bar.update(1)
    except KeyboardInterrupt:
        bar.close()
        write_outputs(out, manifest, _load_units(units_dir, spec), total)
        raise
    bar.close()
    return write_outputs(out, manifest, _load_units(units_dir, spec), total)


def write_outputs(out: Path, manifest: dict[str, Any], units: list[Any], total: int, *,
                  trajectories: bool = True) -> StudyOutcome:
    """Write the summary, wins, plots and manifest of the finished ``units`` (and, if ``trajectories``,
    trajectory.csv and wall_time.csv)."""
    from nasbench_lab import report

    manifest = dict(manifest, units_done=len(units), units_total=total, complete=len(units) == total)
    if trajectories:
        manifest["finished"] = report.utc_now()
    labels = [s["label"] for s in manifest["spec"]["strategies"]]
    text = report.write_study_files(out, units, manifest["reported_best"]["value"], labels,
                                    metric=manifest["reported_best"]["metric"], partial=len(units) < total,
                                    trajectories=trajectories)
    report.write_manifest(out / "manifest.json", manifest)
    return StudyOutcome(out=out, summary=text, units_done=len(units), units_total=total)


def report_study(out: str | Path) -> StudyOutcome:
    """Rewrite the summary, tables and plots of an output folder from its saved units (or, if the unit
    files are gone, from its trajectory.csv). The trajectory files themselves are left as they are.

    Raises:
        NasbenchLabError: ``out`` is not a study output folder.
    """
    out = Path(out)
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        raise ConfigError(f"{out} has no readable manifest.json: is it a study output folder?") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ConfigError(f"{out}/manifest.json is not a study manifest")
    spec_data = dict(manifest["spec"])
    spec = StudySpec(
        name=spec_data["name"], dataset=spec_data["dataset"], budget=BudgetSpec(**spec_data["budget"]),
        strategies=tuple(StrategySpec(**s) for s in spec_data["strategies"]), seeds=tuple(spec_data["seeds"]),
    )
    units = _load_units(out / "units", spec)
    if not units and (out / "trajectory.csv").exists():  # unit files deleted: the trajectory still has them
        from nasbench_lab.report import read_trajectory

        units = read_trajectory(out / "trajectory.csv")
    return write_outputs(out, manifest, units, manifest["units_total"], trajectories=False)
