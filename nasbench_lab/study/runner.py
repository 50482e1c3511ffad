"""Study runner: runs every (strategy, seed) unit of a study spec and writes its output folder.

Units run on an executor of :mod:`nasbench_lab.execution` (:func:`run_units`); each finished unit is saved
at once under ``OUT/units/`` so that an interrupted study resumes. The spec lives in
:mod:`nasbench_lab.study.spec`, one unit's simulation in :mod:`nasbench_lab.study.simulator`, the
summary, tables and plots in :mod:`nasbench_lab.study.report`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from tqdm import tqdm

from nasbench_lab.errors import ConfigError
from nasbench_lab.execution import Executor, make_executor, run_all
from nasbench_lab.provenance import sha256_file
from nasbench_lab.study.manifest import start_manifest, write_manifest
from nasbench_lab.study.report import StudyOutcome, report_study, write_outputs
from nasbench_lab.study.rerun import Rerun, RerunPlan, plan_rerun, remove_study_files, rerun_note
from nasbench_lab.study.results import UnitResult, load_units, unit_path, write_atomic
from nasbench_lab.study.simulator import build_strategy, refuse_missing_fidelities, run_unit
from nasbench_lab.study.spec import StudySpec, strategy_class
from nasbench_lab.study.table import StudyTable, study_table

log = logging.getLogger(__name__)


def _check_strategies(spec: StudySpec, table: StudyTable) -> None:
    """Build every strategy once so that bad parameters fail before any work starts."""
    refuse_missing_fidelities(spec, table)
    for i, entry in enumerate(spec.strategies):
        if getattr(strategy_class(entry.name), "uses_proxies", False) and spec.proxy is None:
            raise ConfigError(f"strategies[{i}] ({entry.name}) uses a zero-cost proxy: add a [proxy] table naming one")
        build_strategy(spec, entry.label, np.random.default_rng(0), table.n_epochs, lambda idx: np.zeros(len(idx)))


def run_study(spec: StudySpec, out: str | Path, *, workers: int = 1, executor: str = "local",
              address: str | None = None, resume: bool = False, overwrite: bool = False,
              spec_text: str | None = None, progress: bool = True) -> StudyOutcome:
    """Run every (strategy, seed) unit of ``spec`` and write the output folder.

    Each unit is saved to ``out/units/`` (atomically) as soon as it finishes. A folder that already holds
    this study (same spec fingerprint and benchmark SHA-256) is resumed: only its missing units run, and a
    complete one is only re-reported; the outcome's ``note`` says which. A folder holding another study is
    refused unless ``overwrite`` (see :mod:`nasbench_lab.study.rerun`). On Ctrl-C the outputs of the finished
    units are written (marked partial in the manifest) before ``KeyboardInterrupt`` propagates.

    Args:
        spec: the study.
        out: output folder (created).
        workers: parallel workers; results do not depend on it.
        executor: an executor name (``local``, ``ray``, ``inline``; see :mod:`nasbench_lab.execution`);
            ``local`` with one worker runs in this process.
        address: Ray cluster address (``ray`` only; default: a local Ray instance).
        resume: continue the results already in ``out`` (the default for a matching folder; kept for
            the ``--resume`` flag).
        overwrite: replace the study files already in ``out`` (of any spec) and run every unit afresh.
        spec_text: the spec's TOML text, kept in the manifest.
        progress: show a progress bar over units (on a terminal).

    Raises:
        ConfigError: invalid spec, or ``out`` holds another study and ``overwrite`` is false.
        NasbenchLabError: a unit failed (message names it).
    """
    runner = study_executor(workers, executor, address)
    out = Path(out)
    table = study_table(spec)
    _check_strategies(spec, table)
    plan = _plan(spec, out, table, resume=resume, overwrite=overwrite)
    total = len(spec.labels) * len(spec.seeds)
    if plan.action is Rerun.REPORT:
        return dataclasses.replace(report_study(out), note=rerun_note(plan, out, total))
    if plan.action is Rerun.REPLACE:
        log.info("removed %d study files from %s", len(remove_study_files(out)), out)
    manifest = start_manifest(spec, out, table, resume=plan.action is Rerun.RESUME, executor=executor,
                              workers=workers, spec_text=spec_text)
    units_dir = out / "units"
    units_dir.mkdir(parents=True, exist_ok=True)
    todo = [(label, seed) for label in spec.labels for seed in spec.seeds
            if not unit_path(units_dir, label, seed).exists()]
    log.info("study %s: %d units, %d to run (%s executor, %d workers)", spec.name, total, len(todo), executor, workers)
    write_manifest(out / "manifest.json", dict(manifest, units_total=total, complete=False))
    bar = tqdm(total=total, initial=total - len(todo), desc=f"{spec.name}: units (strategy x seed)", unit="unit",
               disable=None if progress else True)
    try:
        for unit in run_units(spec, todo, runner):
            assert isinstance(unit, UnitResult)
            write_atomic(unit_path(units_dir, unit.strategy, unit.seed), json.dumps(unit.to_json()))
            bar.update(1)
    except KeyboardInterrupt:
        bar.close()
        write_outputs(out, manifest, load_units(units_dir, spec.labels, spec.seeds), total)
        raise
    bar.close()
    outcome = write_outputs(out, manifest, load_units(units_dir, spec.labels, spec.seeds), total)
    return dataclasses.replace(outcome, note=rerun_note(plan, out, total))


def _plan(spec: StudySpec, out: Path, table: StudyTable, *, resume: bool, overwrite: bool) -> RerunPlan:
    """What this run does with the results already in ``out`` (:func:`~nasbench_lab.study.rerun.plan_rerun`)."""
    done = sum(unit_path(out / "units", label, seed).exists() for label in spec.labels for seed in spec.seeds)
    return plan_rerun(out, spec.fingerprint(), sha256_file(Path(table.bench.path)), done,
                      len(spec.labels) * len(spec.seeds), overwrite=overwrite, resume=resume)


# --------------------------------------------------------------------------- executors
Unit = tuple[str, int]  # (strategy label, seed value)


@dataclass(frozen=True)
class UnitWork:
    """The work an executor runs for each unit: :func:`run_unit` of ``spec``.

    Attributes:
        spec: the study spec (its benchmark path must be readable by every worker).
    """

    spec: StudySpec

    # Modules local workers import once, before their first unit (see nasbench_lab.execution).
    preload: ClassVar[tuple[str, ...]] = ("nasbench_lab.study.simulator",)

    def __call__(self, unit: Unit) -> UnitResult:
        """Run one (label, seed) unit to the end of its budget."""
        label, seed = unit
        return run_unit(self.spec, label, seed)


def study_executor(workers: int = 1, executor: str = "local", address: str | None = None) -> Executor[Unit, UnitResult]:
    """The executor of a study run (``local`` with one worker runs in this process).

    Raises:
        ConfigError: unknown executor, ``workers`` not a positive integer, or ``address`` without ray.
    """
    return make_executor(executor, workers=workers, address=address, isolate=False)


def run_units(spec: StudySpec, units: list[Unit], executor: Executor[Unit, UnitResult]) -> Iterator[UnitResult]:
    """Run ``units`` on ``executor`` and yield their results as they finish (in completion order).

    Stopping the iteration (Ctrl-C, SIGTERM, an error) stops every worker.

    Raises:
        NasbenchLabError: a unit failed; the message names it.
    """
    with closing(run_all(executor, UnitWork(spec), units)) as outcomes:
        for outcome in outcomes:
            label, seed = outcome.item
            yield outcome.unwrap(f"strategy {label!r}, seed {seed}")
