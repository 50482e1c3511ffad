"""What a fill's workers do, and the glue to nasbench-lab's own trainer.

:class:`Task` is one entry to train and :class:`TaskResult` what a worker sends back for it;
:class:`TrainJob` is the picklable work (train one entry, measure its class members' latency) that an
executor of :mod:`nasbench_lab.execution` runs on each task; :func:`default_job` builds the one a real
fill uses, from :func:`arch_latency` and :func:`network_figures`; :func:`fill_provenance` is stored with the recipes a fill creates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import space
from nasbench_lab.benchmark.schema import Recipe, RunRecord
from nasbench_lab.space import Arch

TrainFn = Callable[..., RunRecord]
LatencyFn = Callable[[int, str, Recipe], float]
FiguresFn = Callable[[str, Recipe], dict[str, np.ndarray]]


# --------------------------------------------------------------------------- the work done by a worker
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


@dataclass(frozen=True)
class TaskResult:
    """What a worker sends back for a task it trained (a failure comes back as the executor's outcome error).

    Attributes:
        task: the task.
        record: the run's record.
        member_latency: measured latency of each of ``task.members`` (seconds per batch).
    """

    task: Task
    record: RunRecord
    member_latency: tuple[float, ...] = ()


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

    # Modules local workers import once, before their first task (see nasbench_lab.execution).
    preload: ClassVar[tuple[str, ...]] = ("torch", "nasbench_lab.training.trainer", "sklearn.datasets", "sklearn.model_selection")

    def __call__(self, task: Task) -> TaskResult:
        """Train ``task`` and check that the record is the entry that was asked for."""
        train_fn: TrainFn
        if self.train_fn is None:
            from nasbench_lab.training.trainer import train as train_fn
        else:
            train_fn = self.train_fn
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

        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # torch's stub omits it
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
