"""Fill a benchmark's missing entries by training them: the crash-safe engine.

How a fill runs (:func:`fill`):

1. Take ``BENCH.lock`` (a second fill of the same file is refused).
2. Fold whatever a killed earlier run left in ``BENCH.journal`` into the benchmark file.
3. Make sure the file holds the recipe, the seeds asked for, and every arch's params and FLOPs.
4. Plan the missing ``(arch, seed)`` entries (:func:`~.planning.plan_tasks`) and run them through an executor;
   every finished (or failed) entry is appended to the journal and fsync'd before it counts.
5. Every ``fold_every`` finished entries, and at the end, fold the journal into the file with an
   atomic replace, then empty the journal.

Only the main process writes the journal and the benchmark file; workers only train. Which entries
are missing is decided in :mod:`.planning`, what a worker does in :mod:`.jobs` (their public names
stay importable from here).
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections import deque
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from nasbench_lab.benchmark.atomic import remove_stale_copies
from nasbench_lab.benchmark.lock import FileLock, lock_path
from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.execution import Executor, InlineExecutor, Outcome, run_all
from nasbench_lab.training.jobs import (
    Task,
    TaskResult,
    TrainJob,
    arch_latency,
    default_job,
    fill_provenance,
    network_figures,
)
from nasbench_lab.training.journal import Journal, failure_entry, journal_path, run_entry
from nasbench_lab.training.planning import ArchSelection, plan_tasks

__all__ = [
    "ArchSelection", "FillError", "FillReport", "FillTarget", "OnDemandFiller", "Task", "TaskResult", "TrainJob",
    "arch_latency",
    "default_job", "fill", "fill_provenance", "network_figures", "plan_tasks", "recover",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the engine
class FillTarget(Protocol):
    """The benchmark file as the engine sees it (the HDF5 one is :class:`~.journal.BenchmarkTarget`)."""

    def prepare(
        self, dataset: str, recipe: Recipe, seeds: Sequence[int], arch_metrics: dict[str, np.ndarray] | None
    ) -> None:
        """Add the recipe, the seeds and the per-arch figures (shape ``(15625,)`` each) if absent."""

    def filled(self, dataset: str, recipe: str) -> tuple[np.ndarray, list[int]]:
        """The filled mask ``(15625, n_seeds)`` and the seed value of each column."""

    def fold(self, entries: list[dict[str, Any]]) -> None:
        """Write journal entries into the file, all or nothing."""


@dataclass
class FillReport:
    """What a fill did.

    Attributes:
        planned: tasks planned (entries to train).
        trained: entries trained and stored.
        mapped: mapped copies stored (``classes`` fills).
        failed: ``(arch_index, seed, error)`` of entries that failed every attempt.
        recovered: journal entries of an earlier, interrupted run folded at start.
        seconds: wall time of the training phase.
        startup_seconds: wall time until the first result came back (worker start-up included).
    """

    planned: int = 0
    trained: int = 0
    mapped: int = 0
    failed: list[tuple[int, int, str]] = field(default_factory=list)
    recovered: int = 0
    seconds: float = 0.0
    startup_seconds: float = math.nan

    @property
    def entries_per_hour(self) -> float:
        """Trained entries per hour of wall time (NaN before anything ran)."""
        return 3600.0 * self.trained / self.seconds if self.seconds > 0 else math.nan


def recover(journal: Journal, target: FillTarget) -> int:
    """Fold what an interrupted run left in the journal; returns the number of entries folded."""
    entries = journal.read()
    if entries:
        log.info("folding %d entries left in %s by an interrupted fill", len(entries), journal.path)
        target.fold(entries)
    journal.remove()
    return len(entries)


def fill(
    bench_path: str,
    dataset: str,
    recipe: Recipe,
    seeds: Sequence[int],
    selection: ArchSelection,
    *,
    executor: Executor[Task, TaskResult],
    job: TrainJob,
    target: FillTarget,
    retries: int = 2,
    fold_every: int = 100,
    progress: bool = True,
) -> FillReport:
    """Train the missing entries of ``bench_path`` and store them crash-safely (see the module doc).

    Args:
        bench_path: the benchmark file (its lock and journal live beside it).
        dataset: dataset key.
        recipe: the recipe to train with.
        seeds: seed values to fill.
        selection: which archs.
        executor: where tasks run (any :mod:`nasbench_lab.execution` executor). Ctrl-C or SIGTERM stops
            its workers and folds every entry finished so far before the interrupt propagates.
        job: the work each task does.
        target: the benchmark file's reader/writer.
        retries: extra attempts for a failed entry.
        fold_every: fold the journal into the file after this many finished entries.
        progress: show a progress bar.

    Returns:
        A :class:`FillReport`; entries that failed every attempt are in ``report.failed`` (and in the
        file's failure records).

    Raises:
        FillLockedError: another fill holds the file.
        ConfigError: bad ``retries`` or ``fold_every``.
    """
    if retries < 0 or fold_every < 1:
        raise ConfigError(f"--retries must be >= 0 and --fold-every >= 1 (got {retries}, {fold_every})")
    with FileLock(lock_path(bench_path), what=str(bench_path)):
        for tmp in remove_stale_copies(Path(bench_path)):
            log.info("removed %s, left by a writer that was killed", tmp)
        journal = Journal(journal_path(bench_path))
        report = FillReport(recovered=recover(journal, target))
        tasks = _prepare_and_plan(target, job, dataset, recipe, seeds, selection)
        report.planned = len(tasks)
        if tasks:
            _Drive(executor, job, journal, target, retries, fold_every, report).run(tasks, progress)
        journal.remove()
    for arch, seed, error in report.failed:
        log.error("arch %d seed %d failed %d times; last error: %s", arch, seed, retries + 1, error)
    return report


def _prepare_and_plan(
    target: FillTarget, job: TrainJob, dataset: str, recipe: Recipe, seeds: Sequence[int], selection: ArchSelection
) -> list[Task]:
    """Give the file the recipe, seeds and per-arch figures it lacks, then plan its missing entries."""
    figures = job.figures_fn(dataset, recipe) if job.figures_fn is not None else None
    target.prepare(dataset, recipe, seeds, figures)
    filled, file_seeds = target.filled(dataset, recipe.name)
    tasks = plan_tasks(filled, file_seeds, seeds, selection, dataset, recipe)
    log.info("%d entries to train (%s, recipe %s, seeds %s)", len(tasks), dataset, recipe.name, list(seeds))
    return tasks


class _Drive:
    """The engine's loop: keeps the executor busy, journals results, retries, folds."""

    def __init__(
        self,
        executor: Executor[Task, TaskResult],
        job: TrainJob,
        journal: Journal,
        target: FillTarget,
        retries: int,
        fold_every: int,
        report: FillReport,
    ) -> None:
        self.executor, self.job, self.journal, self.target = executor, job, journal, target
        self.retries, self.fold_every, self.report = retries, fold_every, report
        self.pending: list[dict[str, Any]] = []
        self.pending_runs = 0

    def run(self, tasks: list[Task], progress: bool) -> None:
        from tqdm import tqdm

        queue = deque(tasks)  # retries are appended while the run goes on
        start = time.perf_counter()
        interval = 0.1 if sys.stderr.isatty() else 30.0  # a log file gets a line every 30 s
        bar = tqdm(total=len(tasks), unit="entry", disable=not progress, smoothing=0.05, mininterval=interval)
        try:
            with closing(run_all(self.executor, self.job, queue)) as outcomes:
                for outcome in outcomes:
                    if math.isnan(self.report.startup_seconds):
                        self.report.startup_seconds = time.perf_counter() - start
                    retry = self._take(outcome)
                    if retry is None:
                        bar.update(1)
                        bar.set_postfix(failed=len(self.report.failed), refresh=False)
                    else:
                        queue.append(retry)
                    if self.pending_runs >= self.fold_every:
                        self._fold()
        finally:  # the workers are stopped by now, also on Ctrl-C and SIGTERM
            bar.close()
            self.report.seconds = time.perf_counter() - start
            self._fold()  # everything journalled so far lands in the file

    def _take(self, outcome: Outcome[Task, TaskResult]) -> Task | None:
        """Journal one outcome; returns the task to retry, if any."""
        task, result = outcome.item, outcome.value
        if outcome.ok and result is not None:
            entry = run_entry(task.dataset, task.recipe.name, result.record, task.members, result.member_latency)
            self.journal.append(entry)
            self.pending.append(entry)
            self.pending_runs += 1
            self.report.trained += 1
            self.report.mapped += len(task.members)
            return None
        error = outcome.error or "no record returned"
        entry = failure_entry(task.dataset, task.recipe.name, task.arch_index, task.seed, task.attempt, error)
        self.journal.append(entry)
        self.pending.append(entry)
        log.warning("arch %d seed %d attempt %d failed: %s", task.arch_index, task.seed, task.attempt + 1, error)
        if task.attempt < self.retries:
            return replace(task, attempt=task.attempt + 1)
        self.report.failed.append((task.arch_index, task.seed, error))
        return None

    def _fold(self) -> None:
        if self.pending:
            self.target.fold(self.pending)
            self.journal.clear()
            log.info("folded %d journal entries (%d trained so far)", len(self.pending), self.report.trained)
        self.pending, self.pending_runs = [], 0


class OnDemandFiller:
    """``fill_missing`` for :meth:`Benchmark.open`: trains one missing entry and stores it.

    The entry goes through the same lock, journal and atomic fold as ``nasbench-lab fill`` (so it is
    refused while a fill holds the file).

    Args:
        bench_path: the benchmark file.
        job: what to run (default: :func:`default_job`).
        retries: extra attempts before giving up.
    """

    def __init__(self, bench_path: str, job: TrainJob | None = None, retries: int = 0) -> None:
        self.bench_path = str(bench_path)
        self.job = job or default_job()
        self.retries = retries

    def __call__(self, arch_index: int, dataset: str, recipe: str, seed: int) -> None:
        """Train ``arch_index`` with ``seed`` under the file's ``recipe`` for ``dataset`` and store it.

        Raises:
            FillError: the training failed on every attempt.
            FillLockedError: a fill is running on the file.
        """
        from nasbench_lab.benchmark.store import Benchmark
        from nasbench_lab.training.journal import BenchmarkTarget

        with Benchmark.open(self.bench_path) as bench:
            stored = bench.recipe(dataset, recipe)
        device = str(self.job.train_kwargs.get("device", "cpu"))
        report = fill(
            self.bench_path, dataset, stored, [int(seed)], ArchSelection("list", (int(arch_index),)),
            executor=InlineExecutor(), job=self.job, target=BenchmarkTarget(self.bench_path, fill_provenance(device)),
            retries=self.retries, fold_every=1, progress=False,
        )
        if report.failed:
            raise FillError(f"training arch {arch_index} ({dataset}/{recipe}, seed {seed}) failed: {report.failed[0][2]}")


class FillError(NasbenchLabError):
    """An entry could not be trained."""
