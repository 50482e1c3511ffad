"""The execution layer's interface: run a *work* callable over many items, somewhere, and collect outcomes.

An :class:`Executor` runs ``work(item)`` for every item it is given (in this process, in local worker
processes, on a Ray cluster) and hands back :class:`Outcome` objects one at a time, in the order the
items finish. A failing item is data, not a crash: its exception comes back as ``Outcome.error``. The
caller keeps at most :attr:`Executor.capacity` items in flight, so an interrupted run loses at most the
items in progress; :func:`run_all` is that loop for a fixed list of items.

Executors are registered by name (``@register_executor("local")``); :data:`EXECUTORS` is the one list
of names that the fill, proxy and study commands offer.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import traceback
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any, Generic, TypeVar, cast

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.registry import Registry

Item = TypeVar("Item")
Value = TypeVar("Value")

EXECUTORS: Registry[type[Executor[Any, Any]]] = Registry(
    "executor", autoload=("nasbench_lab.execution.local", "nasbench_lab.execution.ray_cluster")
)
register_executor = EXECUTORS.register


@dataclass
class Outcome(Generic[Item, Value]):
    """What came back for one item: the work's return value, or a description of its failure.

    Attributes:
        item: the item, as submitted.
        value: what ``work(item)`` returned (``None`` on failure).
        error: ``None`` on success; else the message of a user error, or ``"Type: message (at file:line)"``.
        user_error: the failure was a :class:`~nasbench_lab.errors.NasbenchLabError` (its message is
            meant for the user), not a crash.
        elapsed: seconds the worker spent on the item.
    """

    item: Item
    value: Value | None = None
    error: str | None = None
    user_error: bool = False
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the work returned normally."""
        return self.error is None

    def unwrap(self, what: str) -> Value:
        """The work's return value, or its failure raised as a :class:`NasbenchLabError` naming ``what``.

        Raises:
            NasbenchLabError: the work failed; ``what: message`` for a user error, else a crash report.
        """
        if self.error is not None:
            if self.user_error:
                raise NasbenchLabError(f"{what}: {self.error}")
            raise NasbenchLabError(f"{what} crashed: {self.error} (a bug: please report it)")
        return cast(Value, self.value)


def describe_error(exc: BaseException) -> str:
    """``Type: message`` plus the innermost traceback line, for journals and reports."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def run_item(work: Callable[[Item], Value], item: Item) -> Outcome[Item, Value]:
    """Run ``work(item)``, turning any exception into a failed :class:`Outcome`."""
    start = time.perf_counter()
    try:
        value = work(item)
    except Exception as exc:  # one item's failure is data, not a crash of the run
        user = isinstance(exc, NasbenchLabError)
        error = f"{exc}" if user else describe_error(exc)
        return Outcome(item, error=error, user_error=user, elapsed=time.perf_counter() - start)
    return Outcome(item, value=value, elapsed=time.perf_counter() - start)


@dataclass(frozen=True)
class ExecutorOptions:
    """What a user can say about where work runs (the ``--workers``/``--address``/... flags).

    Attributes:
        workers: local processes, or CPUs of a local Ray instance; ``None``: one per core.
        address: Ray cluster address (``ray`` only).
        gpus_per_task: GPUs each Ray task reserves (fractions allowed).
        preload: modules local worker processes import once, before the first item.
    """

    workers: int | None = None
    address: str | None = None
    gpus_per_task: float = 0.0
    preload: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        workers = self.workers
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ConfigError(f"--workers must be a positive integer, got {workers!r}")
        if self.gpus_per_task < 0:
            raise ConfigError(f"--gpus-per-task must be >= 0, got {self.gpus_per_task}")


class Executor(ABC, Generic[Item, Value]):
    """Runs items through a work callable and yields their outcomes as they finish.

    Use: ``start(work)``, then ``submit`` up to :attr:`capacity` items, ``next_outcome()`` to take the
    next finished one, and ``shutdown()`` at the end (it stops work still running: an interrupted run
    does not leave workers behind).
    """

    capacity: int = 1

    @classmethod
    @abstractmethod
    def from_options(cls, options: ExecutorOptions) -> Executor[Item, Value]:
        """The executor configured by the user's ``options``.

        Raises:
            ConfigError: an option this executor does not take.
        """

    @abstractmethod
    def start(self, work: Callable[[Item], Value]) -> None:
        """Prepare the workers; ``work`` (picklable for out-of-process executors) runs every item.

        ``work`` may name modules worker processes should import once, before their first item, in a
        ``preload`` attribute (a tuple of module names).
        """

    @abstractmethod
    def submit(self, item: Item) -> None:
        """Queue ``item``; the caller keeps at most :attr:`capacity` in flight."""

    @abstractmethod
    def next_outcome(self) -> Outcome[Item, Value]:
        """Block until a submitted item finishes and return its outcome."""

    @abstractmethod
    def in_flight(self) -> int:
        """Number of submitted items whose outcome has not been taken yet."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop the workers; items still running are abandoned and their processes stopped."""


@register_executor("inline")
class InlineExecutor(Executor[Item, Value]):
    """Runs each item in this process when its outcome is asked for (one worker, on-demand fills, tests)."""

    capacity = 1

    def __init__(self) -> None:
        self._work: Callable[[Item], Value] | None = None
        self._queue: deque[Item] = deque()

    @classmethod
    def from_options(cls, options: ExecutorOptions) -> InlineExecutor[Item, Value]:
        """An inline executor; refuses more than one worker and a Ray address."""
        if (options.workers or 1) > 1 or options.address is not None:
            raise ConfigError("the inline executor runs in this process: drop --workers/--address or use local/ray")
        return cls()

    def start(self, work: Callable[[Item], Value]) -> None:
        self._work = work

    def submit(self, item: Item) -> None:
        self._queue.append(item)

    def next_outcome(self) -> Outcome[Item, Value]:
        if self._work is None:
            raise RuntimeError("start() the executor before asking for outcomes")
        return run_item(self._work, self._queue.popleft())

    def in_flight(self) -> int:
        return len(self._queue)

    def shutdown(self) -> None:
        self._queue.clear()


def make_executor(
    name: str,
    *,
    workers: int | None = None,
    address: str | None = None,
    gpus_per_task: float = 0.0,
    preload: tuple[str, ...] = (),
    isolate: bool = True,
) -> Executor[Any, Any]:
    """The executor registered as ``name``, configured by the user's options (see :class:`ExecutorOptions`).

    Args:
        name: one of ``EXECUTORS.names()`` (``inline``, ``local``, ``ray``).
        workers, address, gpus_per_task, preload: the :class:`ExecutorOptions`.
        isolate: if False, ``local`` with one worker runs inline (no process to start); work that
            must survive its own crash (training) keeps the default.

    Raises:
        ConfigError: unknown name or an option the executor does not take.
    """
    options = ExecutorOptions(workers=workers, address=address, gpus_per_task=gpus_per_task, preload=preload)
    if not isolate and name == "local" and workers == 1:
        name = "inline"
    return EXECUTORS.get(name).from_options(options)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the run's cleanup (stop workers, keep results) happens."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` in the main thread (elsewhere: no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise _Terminated("terminated (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_all(
    executor: Executor[Item, Value], work: Callable[[Item], Value], items: Iterable[Item]
) -> Generator[Outcome[Item, Value], None, None]:
    """Run ``work`` over ``items`` on ``executor``; yield outcomes in completion order.

    A ``deque`` given as ``items`` is used as the queue itself, so the caller may append to it while
    iterating (retries). The executor is shut down when the iteration ends, fails or is abandoned
    (Ctrl-C, SIGTERM, an exception in the caller's loop: iterate inside ``contextlib.closing`` so that
    this happens at once), which stops every worker; outcomes already yielded are the caller's to keep.
    """
    queue: deque[Item] = items if isinstance(items, deque) else deque(items)
    with sigterm_as_interrupt():
        executor.start(work)
        try:
            while queue or executor.in_flight():
                while queue and executor.in_flight() < executor.capacity:
                    executor.submit(queue.popleft())
                yield executor.next_outcome()
        finally:
            executor.shutdown()

