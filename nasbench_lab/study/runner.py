"""Study runner: runs every (strategy, seed) unit of a study spec and writes its output folder.

Units run in this process, in a process pool or on Ray (:func:`run_units`); each finished unit is saved
at once under ``OUT/units/`` so that an interrupted study resumes. The spec lives in
:mod:`nasbench_lab.study.spec`, one unit's simulation in :mod:`nasbench_lab.study.simulator`, the
summary, tables and plots in :mod:`nasbench_lab.study.report`.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import json
import logging
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.study.manifest import start_manifest, write_manifest
from nasbench_lab.study.report import StudyOutcome, write_outputs
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
    check_executor(workers, executor, address)
    out = Path(out)
    table = study_table(spec)
    _check_strategies(spec, table)
    manifest = start_manifest(spec, out, table, resume=resume, executor=executor, workers=workers, spec_text=spec_text)
    units_dir = out / "units"
    units_dir.mkdir(parents=True, exist_ok=True)
    todo = [(label, seed) for label in spec.labels for seed in spec.seeds
            if not unit_path(units_dir, label, seed).exists()]
    total = len(spec.labels) * len(spec.seeds)
    log.info("study %s: %d units, %d to run (%s executor, %d workers)", spec.name, total, len(todo), executor, workers)
    write_manifest(out / "manifest.json", dict(manifest, units_total=total, complete=False))
    bar = tqdm(total=total, initial=total - len(todo), desc=spec.name, unit="unit", disable=None if progress else True)
    try:
        for unit in run_units(spec, todo, workers=workers, executor=executor, address=address):
            assert isinstance(unit, UnitResult)
            write_atomic(unit_path(units_dir, unit.strategy, unit.seed), json.dumps(unit.to_json()))
            bar.update(1)
    except KeyboardInterrupt:
        bar.close()
        write_outputs(out, manifest, load_units(units_dir, spec.labels, spec.seeds), total)
        raise
    bar.close()
    return write_outputs(out, manifest, load_units(units_dir, spec.labels, spec.seeds), total)


# --------------------------------------------------------------------------- executors
Unit = tuple[str, int]  # (strategy label, seed value)


def run_units(spec: StudySpec, units: list[Unit], *, workers: int = 1, executor: str = "local",
              address: str | None = None) -> Iterator[UnitResult]:
    """Run ``units`` and yield their results as they finish (in completion order).

    Args:
        spec: the study spec (its benchmark path must be readable by every worker).
        units: the (label, seed) units to run.
        workers: processes (``local``) or CPUs of a local Ray instance (``ray`` without ``address``).
        executor: ``"local"`` (in this process for one worker, else a process pool) or ``"ray"``.
        address: address of an existing Ray cluster (``ray`` only).

    Raises:
        ConfigError: unknown executor, bad ``workers``, or ray asked for but not installed.
    """
    check_executor(workers, executor, address)
    if executor == "local":
        yield from (_run_in_process(spec, units) if workers == 1 else _run_in_pool(spec, units, workers))
    else:
        yield from _run_on_ray(spec, units, workers, address)


def check_executor(workers: int, executor: str, address: str | None) -> None:
    """Check the executor arguments of :func:`run_units`.

    Raises:
        ConfigError: unknown executor, ``workers`` not a positive integer, or ``address`` without ray.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers must be a positive integer, got {workers!r}")
    if executor not in ("local", "ray"):
        raise ConfigError(f"unknown executor {executor!r}; choose local or ray")
    if executor == "local" and address is not None:
        raise ConfigError("--address is for the ray executor; add --executor ray")


def run_unit_task(spec: StudySpec, label: str, seed: int) -> UnitResult:
    """:func:`run_unit` for worker processes: errors come back as a plain, picklable
    :class:`NasbenchLabError` naming the unit (some library errors cannot be rebuilt from their message)."""
    try:
        return run_unit(spec, label, seed)
    except NasbenchLabError as exc:
        raise NasbenchLabError(f"strategy {label!r}, seed {seed}: {exc}") from None


def _run_in_process(spec: StudySpec, units: list[Unit]) -> Iterator[UnitResult]:
    for label, seed in units:
        yield run_unit_task(spec, label, seed)


def _run_in_pool(spec: StudySpec, units: list[Unit], workers: int) -> Iterator[UnitResult]:
    # "spawn": the parent may hold torch threads, which fork does not copy safely.
    context = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        futures = [pool.submit(run_unit_task, spec, label, seed) for label, seed in units]
        for future in concurrent.futures.as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_on_ray(spec: StudySpec, units: list[Unit], workers: int, address: str | None) -> Iterator[UnitResult]:
    try:
        ray = importlib.import_module("ray")
    except ModuleNotFoundError:
        raise ConfigError("the ray executor needs ray: pip install 'nasbench-lab[ray]'") from None
    started = not ray.is_initialized()
    if started:
        if address is None:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_unit_task)
        pending = [remote.remote(spec, label, seed) for label, seed in units]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                result = ray.get(done[0])
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if isinstance(cause, NasbenchLabError):
                    raise NasbenchLabError(str(cause)) from None
                raise
            yield result
    finally:
        if started:
            ray.shutdown()
