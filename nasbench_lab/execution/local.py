"""The ``local`` executor: a pool of worker processes on this machine.

Workers start from a forkserver (so torch already loaded in the main process is safe) that imports
the heavy modules once; the work callable is sent to each worker once, when it starts, and only the
items travel with each submission; each worker pins its threads, ignores Ctrl-C and exits when the main process
dies (:mod:`.workers`). A worker that dies (killed, out of memory) fails the items it held and the
pool is rebuilt for the items that follow. :meth:`LocalExecutor.shutdown` stops the workers at once,
running items included.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from typing import Any

from nasbench_lab.execution.base import (
    Executor,
    ExecutorOptions,
    Item,
    Outcome,
    Value,
    describe_error,
    register_executor,
    run_item,
)
from nasbench_lab.execution.workers import init_worker

log = logging.getLogger(__name__)

# Imported by the forkserver before any worker forks; the first one sets the thread variables.
BASE_PRELOAD: tuple[str, ...] = ("nasbench_lab.execution._worker_env", "numpy")
STOP_TIMEOUT = 5.0  # seconds a worker gets to exit after SIGTERM before SIGKILL

_WORK: list[Callable[[Any], Any]] = []  # in a worker: the work it runs, sent once when it starts


def _start_worker(main_pid: int, work: Callable[[Any], Any]) -> None:
    init_worker(main_pid)
    _WORK[:] = [work]


def _run_stored(item: Any) -> Outcome[Any, Any]:
    return run_item(_WORK[0], item)


def _context(preload: tuple[str, ...]) -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Effective only if this process's forkserver is not running yet (it is started once).
        context.set_forkserver_preload(list(dict.fromkeys(BASE_PRELOAD + preload)))
        return context
    return multiprocessing.get_context("spawn")


def stop_processes(processes: list[multiprocessing.process.BaseProcess], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM ``processes``, then SIGKILL those still alive after ``timeout`` seconds; reap them all."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError, ValueError):  # already gone or already closed
            process.terminate()
    for process in processes:
        with contextlib.suppress(ValueError):
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(timeout)


@register_executor("local")
class LocalExecutor(Executor[Item, Value]):
    """``workers`` local processes.

    Args:
        workers: number of processes; default one per core.
        preload: modules the workers import once before their first item (e.g. ``("torch",)``).
    """

    def __init__(self, workers: int | None = None, preload: tuple[str, ...] = ()) -> None:
        options = ExecutorOptions(workers=workers, preload=tuple(preload))  # validates workers
        self.workers = options.workers or os.cpu_count() or 1
        self.preload = options.preload
        self._preload = self.preload
        self.capacity = 2 * self.workers  # one queued behind each running item keeps workers busy
        self._pool: cf.ProcessPoolExecutor | None = None
        self._work: Callable[[Item], Value] | None = None
        self._futures: dict[cf.Future[Outcome[Item, Value]], Item] = {}
        self._done: deque[Outcome[Item, Value]] = deque()

    @classmethod
    def from_options(cls, options: ExecutorOptions) -> LocalExecutor[Item, Value]:
        """Local processes; refuses a Ray address or GPU reservations."""
        if options.address is not None or options.gpus_per_task:
            from nasbench_lab.errors import ConfigError

            raise ConfigError("--address and --gpus-per-task are for the ray executor; add --executor ray")
        return cls(options.workers, options.preload)

    def start(self, work: Callable[[Item], Value]) -> None:
        self._work = work
        self._preload = self.preload + tuple(getattr(work, "preload", ()))
        self._new_pool()

    def _new_pool(self) -> None:
        if self._work is None:
            raise RuntimeError("start() the executor before submitting items")
        work: Callable[[Any], Any] = self._work
        self._pool = cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=_context(self._preload), initializer=_start_worker,
            initargs=(os.getpid(), work),  # the work crosses once per worker, not once per item
        )

    def submit(self, item: Item) -> None:
        if self._pool is None or self._work is None:
            raise RuntimeError("start() the executor before submitting items")
        try:
            future = self._pool.submit(_run_stored, item)
        except cf.BrokenExecutor:  # a worker died earlier: the pool refuses work, start a fresh one
            self._stop_pool()
            self._new_pool()
            assert self._pool is not None
            future = self._pool.submit(_run_stored, item)
        self._futures[future] = item

    def next_outcome(self) -> Outcome[Item, Value]:
        while not self._done:
            if not self._futures:
                raise RuntimeError("next_outcome() with no item in flight")
            finished, _ = cf.wait(list(self._futures), return_when=cf.FIRST_COMPLETED)
            for future in finished:
                item = self._futures.pop(future)
                self._done.append(self._collect(future, item))
        return self._done.popleft()

    @staticmethod
    def _collect(future: cf.Future[Outcome[Item, Value]], item: Item) -> Outcome[Item, Value]:
        try:
            return future.result()
        except cf.BrokenExecutor as exc:
            return Outcome(item, error=f"worker process died ({describe_error(exc)})")
        except Exception as exc:  # e.g. a value that could not be pickled back
            return Outcome(item, error=describe_error(exc))

    def in_flight(self) -> int:
        return len(self._futures) + len(self._done)

    def _stop_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # ProcessPoolExecutor cannot stop running work before Python 3.14 (terminate_workers); its
        # process table is the only handle on the workers.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        stop_processes(processes)

    def shutdown(self) -> None:
        if self._futures:
            log.info("stopping %d unfinished item(s) and the worker processes", len(self._futures))
        self._stop_pool()
        self._futures.clear()
        self._done.clear()

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for monitoring and tests)."""
        table: dict[Any, Any] = getattr(self._pool, "_processes", None) or {}
        return [int(p.pid) for p in table.values() if p.pid is not None]
