"""Fill a benchmark's missing entries by training them: the crash-safe engine and the trainer's glue.

How a fill runs (:func:`fill`):

1. Take ``BENCH.lock`` (a second fill of the same file is refused).
2. Fold whatever a killed earlier run left in ``BENCH.journal`` into the benchmark file.
3. Make sure the file holds the recipe, the seeds asked for, and every arch's params and FLOPs.
4. Plan the missing ``(arch, seed)`` entries (:func:`~.planning.plan_tasks`) and run them through an executor;
   every finished (or failed) entry is appended to the journal and fsync'd before it counts.
5. Every ``fold_every`` finished entries, and at the end, fold the journal into the file with an
   atomic replace, then empty the journal.

Only the main process writes the journal and the benchmark file; workers only train. Which entries
are missing is decided in :mod:`.planning` (``ArchSelection`` and ``plan_tasks`` stay importable from
here).
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections import deque
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from nasbench_lab import space
from nasbench_lab.benchmark.schema import Recipe, RunRecord
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.space import Arch
from nasbench_lab.training.executors import Executor, Task, TaskResult
from nasbench_lab.training.filelock import FileLock, lock_path
from nasbench_lab.training.journal import Journal, failure_entry, journal_path, run_entry
from nasbench_lab.training.planning import ArchSelection, plan_tasks

__all__ = [
    "ArchSelection", "FillError", "FillReport", "FillTarget", "OnDemandFiller", "TrainJob", "arch_latency",
    "default_job", "fill", "fill_provenance", "network_figures", "plan_tasks", "recover",
]

log = logging.getLogger(__name__)

TrainFn = Callable[..., RunRecord]
LatencyFn = Callable[[int, str, Recipe], float]
FiguresFn = Callable[[str, Recipe], dict[str, np.ndarray]]


# --------------------------------------------------------------------------- the work done by a worker
@dataclass(frozen=True)
class TrainJob:
    """What a worker does with a task: train the arch and measure its class members' latency.

    Picklable as long as ``train_fn`` and ``latency_fn`` are module-level functions.

    Attributes:
        train_fn: ``train(arch, dataset, recipe, seed, **train_kwargs) -> RunRecord``; ``None`` means
            nasbench-lab's trainer (imported in the worker, so the main process need not load torch).
        train_kwargs: extra keyword arguments (device, threads, data_root, ...).
        latency_fn: ``latency(arch_index, dataset, recipe) -> seconds`` for mapped members, or
            ``None`` to leave their latency NaN.
        figures_fn: ``figures(dataset, recipe) -> {"params": (15625,), "flops": (15625,)}``, run once
            in the main process so every arch gets its own exact figures, or ``None``.
    """

    train_fn: TrainFn | None = None
    train_kwargs: dict[str, Any] = field(default_factory=dict)
    latency_fn: LatencyFn | None = None
    figures_fn: FiguresFn | None = None

    def __call__(self, task: Task) -> TaskResult:
        """Train ``task`` and check that the record is the entry that was asked for."""
        train_fn = self.train_fn
        if train_fn is None:
            from nasbench_lab.training.trainer import train as train_fn
        record = train_fn(Arch.from_index(task.arch_index), task.dataset, task.recipe, task.seed, **self.train_kwargs)
        if (record.arch_index, record.seed) != (task.arch_index, task.seed):
            raise ValueError(
                f"trainer returned arch {record.arch_index} seed {record.seed} for arch {task.arch_index} "
                f"seed {task.seed}"
            )
        record.check(task.recipe)
        if self.latency_fn is None or not task.measure_members:
            latency = tuple(math.nan for _ in task.members)
        else:
            latency = tuple(float(self.latency_fn(m, task.dataset, task.recipe)) for m in task.members)
        return TaskResult(task=task, record=record, member_latency=latency)


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
    executor: Executor,
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
        executor: where tasks run.
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
        _remove_stale_temporaries(bench_path)
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


def _remove_stale_temporaries(bench_path: str) -> None:
    """Delete temporary copies that writers killed mid-fold left beside the file (their pid is gone)."""
    import os
    from pathlib import Path

    path = Path(bench_path)
    for tmp in path.parent.glob(f"{path.name}.*-*.tmp.h5"):
        pid = tmp.name[len(path.name) + 1 :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            log.info("removing %s, left by a writer that was killed", tmp)
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class _Drive:
    """The engine's loop: keeps the executor busy, journals results, retries, folds."""

    def __init__(
        self,
        executor: Executor,
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

        queue = deque(tasks)
        start = time.perf_counter()
        self.executor.start(self.job)
        try:
            interval = 0.1 if sys.stderr.isatty() else 30.0  # a log file gets a line every 30 s
            with tqdm(total=len(tasks), unit="entry", disable=not progress, smoothing=0.05, mininterval=interval) as bar:
                while queue or self.executor.in_flight():
                    while queue and self.executor.in_flight() < self.executor.capacity:
                        self.executor.submit(queue.popleft())
                    result = self.executor.next_result()
                    if math.isnan(self.report.startup_seconds):
                        self.report.startup_seconds = time.perf_counter() - start
                    retry = self._take(result)
                    if retry is None:
                        bar.update(1)
                        bar.set_postfix(failed=len(self.report.failed), refresh=False)
                    else:
                        queue.append(retry)
                    if self.pending_runs >= self.fold_every:
                        self._fold()
        finally:
            self.executor.shutdown()
            self.report.seconds = time.perf_counter() - start
            self._fold()  # also on Ctrl-C: everything journalled so far lands in the file

    def _take(self, result: TaskResult) -> Task | None:
        """Journal one result; returns the task to retry, if any."""
        task = result.task
        if result.ok:
            assert result.record is not None
            entry = run_entry(task.dataset, task.recipe.name, result.record, task.members, result.member_latency)
            self.journal.append(entry)
            self.pending.append(entry)
            self.pending_runs += 1
            self.report.trained += 1
            self.report.mapped += len(task.members)
            return None
        error = result.error or "no record returned"
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


# --------------------------------------------------------------------------- the real trainer's glue
def network_figures(dataset: str, recipe: Recipe, *, data_root: str | None = None) -> dict[str, np.ndarray]:
    """Exact params and FLOPs (millions) of all 15,625 archs' networks under ``recipe`` on ``dataset``.

    Returns:
        ``{"params": (15625,), "flops": (15625,)}``.
    """
    from nasbench_lab.training.data import load_dataset
    from nasbench_lab.training.network import flops_many, params_many

    data = load_dataset(dataset, root=data_root)
    sizes = dict(C=recipe.config["C"], N=recipe.config["N"], in_channels=data.image_shape[0], num_classes=data.num_classes)
    indices = space.all_indices()
    return {
        "params": params_many(indices, **sizes),
        "flops": flops_many(indices, **sizes, image_size=data.image_shape[-1]),
    }


def arch_latency(
    arch_index: int, dataset: str, recipe: Recipe, *, device: str = "cpu", threads: int = 1, data_root: str | None = None
) -> float:
    """Seconds per forward pass of one test batch through ``arch_index``'s network, as the trainer measures it."""
    from nasbench_lab.training.data import load_dataset
    from nasbench_lab.training.network import build_network
    from nasbench_lab.training.trainer import Runtime, measure_latency

    runtime = Runtime.for_device(device, threads)
    data = load_dataset(dataset, root=data_root, device=runtime.device)
    cfg = recipe.config
    model = build_network(arch_index, C=cfg["C"], N=cfg["N"], in_channels=data.image_shape[0], num_classes=data.num_classes)
    model = model.to(runtime.device)
    if runtime.channels_last:
        import torch

        model = model.to(memory_format=torch.channels_last)
    return measure_latency(model, data.eval_split("test")[0][: cfg["batch_size"]], runtime)


def default_job(
    *, device: str = "cpu", threads: int = 1, data_root: str | None = None, compile: bool = False,
    train_fn: TrainFn | None = None,
) -> TrainJob:
    """The job of a real fill: nasbench-lab's trainer, member latency and exact figures.

    Args:
        device, threads, data_root, compile: passed to the trainer.
        train_fn: another trainer with the same signature (tests, custom trainers).
    """
    return TrainJob(
        train_fn=train_fn,
        train_kwargs={"device": device, "threads": threads, "data_root": data_root, "compile": compile},
        latency_fn=partial(arch_latency, device=device, threads=threads, data_root=data_root),
        figures_fn=partial(network_figures, data_root=data_root),
    )


def fill_provenance(device: str) -> dict[str, str]:
    """Provenance of recipes a fill creates."""
    import platform

    from nasbench_lab import __version__

    return {"source": f"nasbench-lab fill (nasbench-lab {__version__} trainer)", "device": f"{device} on {platform.machine()}"}


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
        from nasbench_lab.training.executors import InlineExecutor
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
