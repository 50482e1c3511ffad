"""The ``ray`` executor: one Ray task per item, on an existing cluster or a local Ray instance.

Each task pins its threads (:func:`~.workers.pin_threads`) like a local worker. :meth:`RayExecutor.shutdown`
cancels the tasks still running and stops a Ray instance this executor started.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

from nasbench_lab.errors import ConfigError
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
from nasbench_lab.execution.workers import THREAD_ENV, pin_threads


def import_ray() -> Any:
    """Import ``ray`` or explain how to install it.

    Raises:
        ConfigError: ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "the ray executor needs Ray: pip install 'nasbench-lab[ray]' (or use --executor local)"
        ) from None
    return ray


def _ray_item(work: Callable[[Any], Any], item: Any) -> Outcome[Any, Any]:
    pin_threads()
    return run_item(work, item)


@register_executor("ray")
class RayExecutor(Executor[Item, Value]):
    """One Ray task per item.

    Args:
        address: cluster address (``ray://host:10001`` or ``auto``); ``None`` uses the Ray instance
            this process already initialised, else starts a local one with ``workers`` CPUs.
        workers: CPUs of a local instance; also bounds items in flight (default: cluster CPUs).
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
        ExecutorOptions(workers=workers, gpus_per_task=gpus_per_task)  # validates them
        if cpus_per_task <= 0:
            raise ConfigError(f"CPUs per task must be > 0, got {cpus_per_task}")
        self.address = address
        self.workers = workers
        self.gpus_per_task = gpus_per_task
        self.cpus_per_task = cpus_per_task
        self._ray: Any = None
        self._owns = False
        self._refs: dict[Any, Item] = {}

    @classmethod
    def from_options(cls, options: ExecutorOptions) -> RayExecutor[Item, Value]:
        """A Ray executor from the user's options (``preload`` does not apply to Ray workers)."""
        return cls(address=options.address, workers=options.workers, gpus_per_task=options.gpus_per_task)

    def start(self, work: Callable[[Item], Value]) -> None:
        ray = self._ray = import_ray()
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False)
            self._owns = True
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        self.capacity = max(1, 2 * int(self.workers or cpus / self.cpus_per_task))
        self._remote = ray.remote(
            num_cpus=self.cpus_per_task, num_gpus=self.gpus_per_task, max_retries=0,
            runtime_env={"env_vars": dict(THREAD_ENV)},
        )(_ray_item)
        self._work_ref = ray.put(work)

    def submit(self, item: Item) -> None:
        if self._ray is None:
            raise RuntimeError("start() the executor before submitting items")
        self._refs[self._remote.remote(self._work_ref, item)] = item

    def next_outcome(self) -> Outcome[Item, Value]:
        if not self._refs:
            raise RuntimeError("next_outcome() with no item in flight")
        (ref,), _ = self._ray.wait(list(self._refs), num_returns=1)
        item = self._refs.pop(ref)
        try:
            outcome: Outcome[Item, Value] = self._ray.get(ref)
        except Exception as exc:  # worker crash, node loss: the item failed
            return Outcome(item, error=f"ray task failed ({describe_error(exc)})")
        return outcome

    def in_flight(self) -> int:
        return len(self._refs)

    def shutdown(self) -> None:
        if self._ray is not None:
            for ref in self._refs:
                with contextlib.suppress(Exception):  # already finished or gone: nothing to cancel
                    self._ray.cancel(ref, force=True)
            self._refs.clear()
            if self._owns:
                self._ray.shutdown()
        self._ray = None
