"""Where fill tasks run: in this process, in local worker processes, or on a Ray cluster.

An executor runs :class:`Task` objects through a *work* callable (``work(task) -> TaskResult``, made by
the fill engine and pickled to the workers) and hands back results one at a time, in the order they
finish. The engine keeps at most :attr:`Executor.capacity` tasks in flight, so a crash loses at most
the runs in progress, and it alone writes the journal and the benchmark file.

A task that raises, or whose worker dies, comes back as a failed :class:`TaskResult` (with the error
text): executors never raise for a task's own failure.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import time
import traceback
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nasbench_lab.benchmark.schema import Recipe, RunRecord
from nasbench_lab.errors import ConfigError, NasbenchLabError

EXECUTORS: tuple[str, ...] = ("local", "ray")


@dataclass(frozen=True)
class Task:
    """One entry to train.

    Attributes:
        arch_index: NB201 index of the arch to train.
        dataset: dataset key.
        recipe: the training protocol.
        seed: seed value.
        attempt: 0 for the first try, then 1, 2, ... for retries.
        members: isomorphic archs that will receive a mapped copy of the results.
        measure_members: whether the worker measures each member's own latency (once per fill is
            enough: latency belongs to the network, not to the seed).
    """

    arch_index: int
    dataset: str
    recipe: Recipe
    seed: int
    attempt: int = 0
    members: tuple[int, ...] = ()
    measure_members: bool = True

    @property
    def key(self) -> tuple[str, str, int, int]:
        """``(dataset, recipe name, arch_index, seed)``: what the entry is, whatever the attempt."""
        return (self.dataset, self.recipe.name, self.arch_index, self.seed)


@dataclass
class TaskResult:
    """What came back for one task: a record, or an error.

    Attributes:
        task: the task.
        record: the run's record (``None`` on failure).
        member_latency: measured latency of each of ``task.members`` (seconds per batch).
        error: ``None`` on success, else a description of the failure.
        elapsed: seconds the worker spent on the task.
    """

    task: Task
    record: RunRecord | None = None
    member_latency: tuple[float, ...] = field(default_factory=tuple)
    error: str | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the task produced a record."""
        return self.error is None and self.record is not None


Work = Callable[[Task], TaskResult]


def describe_error(exc: BaseException) -> str:
    """``Type: message`` plus the innermost traceback line, for journals and reports."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def run_task(work: Work, task: Task) -> TaskResult:
    """Run ``work(task)``, turning any exception into a failed result."""
    start = time.perf_counter()
    try:
        result = work(task)
    except Exception as exc:  # any failure of one task is data, not a crash of the fill
        return TaskResult(task=task, error=describe_error(exc), elapsed=time.perf_counter() - start)
    result.elapsed = result.elapsed or time.perf_counter() - start
    return result


class Executor(ABC):
    """Runs tasks and yields their results as they finish.

    Use: ``start(work)``, then ``submit`` up to :attr:`capacity` tasks, ``next_result()`` to take the
    next finished one, and ``shutdown()`` at the end.
    """

    capacity: int = 1

    @abstractmethod
    def start(self, work: Work) -> None:
        """Prepare the workers; ``work`` runs every task."""

    @abstractmethod
    def submit(self, task: Task) -> None:
        """Queue ``task``; the caller keeps at most :attr:`capacity` in flight."""

    @abstractmethod
    def next_result(self) -> TaskResult:
        """Block until a submitted task finishes and return its result."""

    @abstractmethod
    def in_flight(self) -> int:
        """Number of submitted tasks whose result has not been taken yet."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop the workers (tasks still running are abandoned)."""


class InlineExecutor(Executor):
    """Runs each task in this process when its result is asked for (on-demand fills, tests)."""

    capacity = 1

    def __init__(self) -> None:
        self._work: Work | None = None
        self._queue: deque[Task] = deque()

    def start(self, work: Work) -> None:
        self._work = work

    def submit(self, task: Task) -> None:
        self._queue.append(task)

    def next_result(self) -> TaskResult:
        assert self._work is not None, "start() first"
        return run_task(self._work, self._queue.popleft())

    def in_flight(self) -> int:
        return len(self._queue)

    def shutdown(self) -> None:
        self._queue.clear()


WORKER_PRELOAD: tuple[str, ...] = ("torch", "nasbench_lab.training.trainer", "sklearn.datasets", "sklearn.model_selection")


def _init_local_worker() -> None:
    # One thread per worker: N workers on N cores, no oversubscription.
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


class LocalExecutor(Executor):
    """``workers`` local processes (forkserver context, so torch in the parent is safe).

    Args:
        workers: number of processes; default one per core.

    A worker that dies (killed, out of memory) fails the tasks it held; the pool is rebuilt for the
    tasks that follow.
    """

    def __init__(self, workers: int | None = None) -> None:
        workers = workers or os.cpu_count() or 1
        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        self.workers = workers
        self.capacity = 2 * workers  # one queued behind each running task keeps workers busy
        self._pool: cf.ProcessPoolExecutor | None = None
        self._work: Work | None = None
        self._futures: dict[cf.Future[TaskResult], Task] = {}
        self._done: deque[TaskResult] = deque()

    def start(self, work: Work) -> None:
        self._work = work
        self._new_pool()

    def _new_pool(self) -> None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("forkserver")
            # The server imports the heavy modules once; workers fork from it already loaded (no
            # thread pool has started in it yet, so forking it is safe).
            context.set_forkserver_preload(list(WORKER_PRELOAD))
        else:
            context = multiprocessing.get_context("spawn")
        self._pool = cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_init_local_worker
        )

    def submit(self, task: Task) -> None:
        assert self._pool is not None and self._work is not None, "start() first"
        try:
            future = self._pool.submit(run_task, self._work, task)
        except cf.BrokenExecutor:
            self._new_pool()
            future = self._pool.submit(run_task, self._work, task)
        self._futures[future] = task

    def next_result(self) -> TaskResult:
        while not self._done:
            if not self._futures:
                raise RuntimeError("next_result() with no task in flight")
            finished, _ = cf.wait(list(self._futures), return_when=cf.FIRST_COMPLETED)
            for future in finished:
                task = self._futures.pop(future)
                self._done.append(self._collect(future, task))
        return self._done.popleft()

    def _collect(self, future: cf.Future[TaskResult], task: Task) -> TaskResult:
        try:
            return future.result()
        except cf.BrokenExecutor as exc:
            return TaskResult(task=task, error=f"worker process died ({describe_error(exc)})")
        except Exception as exc:  # e.g. a result that could not be pickled back
            return TaskResult(task=task, error=describe_error(exc))

    def in_flight(self) -> int:
        return len(self._futures) + len(self._done)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._futures.clear()


def _ray_task(work: Work, task: Task) -> TaskResult:
    return run_task(work, task)


def import_ray() -> Any:
    """Import ``ray`` or explain how to install it.

    Raises:
        NasbenchLabError: ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise NasbenchLabError(
            "the ray executor needs Ray: pip install 'nasbench-lab[ray]' (or use --executor local)"
        ) from None
    return ray


class RayExecutor(Executor):
    """One Ray task per entry, on an existing cluster or a local Ray instance.

    Args:
        address: cluster address (``ray://host:10001`` or ``auto``); ``None`` uses the Ray instance
            this process already initialised, else starts a local one with ``workers`` CPUs.
        workers: CPUs of a local instance; also bounds tasks in flight (default: cluster CPUs).
        gpus_per_task: GPUs each task reserves (fractions allowed).
        cpus_per_task: CPUs each task reserves.
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        gpus_per_task: float = 0.0,
        cpus_per_task: float = 1.0,
    ) -> None:
        if gpus_per_task < 0 or cpus_per_task <= 0:
            raise ConfigError("--gpus-per-task must be >= 0 and CPUs per task > 0")
        self.address = address
        self.workers = workers
        self.gpus_per_task = gpus_per_task
        self.cpus_per_task = cpus_per_task
        self._ray: Any = None
        self._owns = False
        self._refs: dict[Any, Task] = {}

    def start(self, work: Work) -> None:
        ray = self._ray = import_ray()
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address)
            else:
                ray.init(num_cpus=self.workers or os.cpu_count() or 1, include_dashboard=False)
            self._owns = True
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        self.capacity = max(1, 2 * int(self.workers or cpus / self.cpus_per_task))
        self._remote = ray.remote(num_cpus=self.cpus_per_task, num_gpus=self.gpus_per_task, max_retries=0)(
            _ray_task
        )
        self._work_ref = ray.put(work)

    def submit(self, task: Task) -> None:
        self._refs[self._remote.remote(self._work_ref, task)] = task

    def next_result(self) -> TaskResult:
        if not self._refs:
            raise RuntimeError("next_result() with no task in flight")
        (ref,), _ = self._ray.wait(list(self._refs), num_returns=1)
        task = self._refs.pop(ref)
        try:
            return self._ray.get(ref)
        except Exception as exc:  # worker crash, node loss: the entry is retried by the engine
            return TaskResult(task=task, error=f"ray task failed ({describe_error(exc)})")

    def in_flight(self) -> int:
        return len(self._refs)

    def shutdown(self) -> None:
        if self._ray is not None:
            for ref in self._refs:
                with contextlib.suppress(Exception):  # already finished or gone: nothing to cancel
                    self._ray.cancel(ref, force=True)
                    pass
            self._refs.clear()
            if self._owns:
                self._ray.shutdown()
        self._ray = None


def make_executor(
    name: str,
    *,
    workers: int | None = None,
    address: str | None = None,
    gpus_per_task: float = 0.0,
) -> Executor:
    """The executor called ``name`` (one of :data:`EXECUTORS`).

    Raises:
        ConfigError: unknown name.
    """
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(address=address, workers=workers, gpus_per_task=gpus_per_task)
    raise ConfigError(f"unknown executor {name!r}; use one of {', '.join(EXECUTORS)}")
