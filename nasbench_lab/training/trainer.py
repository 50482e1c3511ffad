"""Train one NB201 architecture with one seed under a named recipe and record what NB201 records.

:func:`train` is the single training loop for every device. What differs between CPU and CUDA is
gathered in :class:`Runtime` (device, autocast dtype, thread count); the loop, the batches, the
schedule and the metrics are the same functions either way.

Determinism: the network's initial weights come from ``torch.manual_seed(seed)`` inside a forked RNG
state (the caller's global RNG is untouched); batch order and augmentation come from a CPU
``torch.Generator`` seeded with ``seed``. On CPU the same arch, seed and recipe give identical curves
(times aside). On CUDA, cuDNN autotuning and bf16 make runs close but not bit-identical.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nasbench_lab.benchmark.schema import CURVE_METRICS, Recipe, RunRecord
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.space import Arch
from nasbench_lab.training.data import DeviceData, load_dataset
from nasbench_lab.training.network import build_network, count_flops, count_params
from nasbench_lab.training.recipes import check_config

LATENCY_REPEATS = 3


class TrainingFailed(NasbenchLabError):
    """A run diverged (NaN or infinite loss); the fill records it as a failure, not as numbers."""


@dataclass(frozen=True)
class Runtime:
    """Everything device-specific about a run.

    Attributes:
        device: torch device.
        autocast_dtype: ``torch.bfloat16`` on CUDA, ``None`` (float32) on CPU.
        channels_last: use the channels-last memory format (both devices: on CPU it measured 25-40 %
            faster for the digits network, see ``perf/bench_training.py``).
    """

    device: torch.device
    autocast_dtype: torch.dtype | None
    channels_last: bool

    @classmethod
    def for_device(cls, device: str | torch.device, threads: int) -> Runtime:
        """Set up torch for ``device`` (threads on CPU, cuDNN autotuning on CUDA) and describe it."""
        dev = torch.device(device)
        if dev.type == "cuda":
            torch.backends.cudnn.benchmark = True
            return cls(dev, torch.bfloat16, True)
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"threads must be an integer >= 1, got {threads!r}")
        torch.set_num_threads(threads)
        return cls(dev, None, True)

    def autocast(self) -> Any:
        """Autocast context (disabled on CPU, so float32 there)."""
        return torch.autocast(self.device.type, dtype=self.autocast_dtype or torch.float32, enabled=self.autocast_dtype is not None)

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """Put an input batch in the runtime's memory format."""
        return images.contiguous(memory_format=torch.channels_last) if self.channels_last else images

    def sync(self) -> None:
        """Wait for queued device work (so wall times are real)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


def eval_steps(eval_points: tuple[float, ...], steps_per_epoch: int) -> list[int]:
    """SGD step count at each evaluation point (each point rounded to the nearest step).

    Raises:
        ConfigError: two points fall on the same step, or a point falls before the first step.
    """
    steps = [int(round(p * steps_per_epoch)) for p in eval_points]
    if steps[0] < 1 or any(b <= a for a, b in zip(steps, steps[1:])):
        raise ConfigError(
            f"eval points {eval_points} do not fall on distinct SGD steps with {steps_per_epoch} steps per "
            "epoch; use fewer evaluation points or a smaller batch size"
        )
    return steps


def learning_rate(cfg: dict[str, Any], step: int, steps_per_epoch: int) -> float:
    """Learning rate for SGD step ``step`` (0-based) under the recipe's schedule."""
    if cfg["lr_schedule"] == "constant":
        return float(cfg["lr"])
    total = cfg["epochs"] * steps_per_epoch
    if cfg["schedule_step"] == "epoch":  # NB201: cosine over epochs, fixed within an epoch
        progress = (step // steps_per_epoch) / cfg["epochs"]
    else:
        progress = step / total
    return cfg["lr_min"] + (cfg["lr"] - cfg["lr_min"]) * 0.5 * (1.0 + math.cos(math.pi * progress))


def train_indices(data: DeviceData, cfg: dict[str, Any]) -> torch.Tensor:
    """Training-image indices the recipe uses (a fixed, seed-independent subset), CPU int64."""
    n = data.n_train
    subset = cfg["train_subset"]
    if subset is None or subset >= n:
        return torch.arange(n)
    perm = np.random.default_rng(cfg["subset_seed"]).permutation(n)[:subset]
    return torch.from_numpy(np.sort(perm))


def batches(indices: torch.Tensor, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """One epoch of shuffled index batches (the last may be smaller)."""
    perm = indices[torch.randperm(len(indices), generator=generator)]
    yield from perm.split(batch_size)


def _sgd(model: nn.Module, cfg: dict[str, Any]) -> torch.optim.SGD:
    return torch.optim.SGD(
        model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"],
        nesterov=cfg["nesterov"], weight_decay=cfg["weight_decay"],
    )


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, rt: Runtime, batch_size: int = 2048) -> tuple[float, float]:
    """Accuracy (percent) and mean cross-entropy of ``model`` on a whole split."""
    model.eval()
    loss_sum = torch.zeros((), device=rt.device)
    correct = torch.zeros((), device=rt.device, dtype=torch.long)
    for x, y in zip(images.split(batch_size), labels.split(batch_size)):
        with rt.autocast():
            logits = model(rt.prepare(x)).float()
        loss_sum += F.cross_entropy(logits, y, reduction="sum")
        correct += (logits.argmax(1) == y).sum()
    n = len(labels)
    return 100.0 * correct.item() / n, loss_sum.item() / n


@torch.no_grad()
def measure_latency(model: nn.Module, images: torch.Tensor, rt: Runtime) -> float:
    """Seconds per forward pass of one batch ``images`` in eval mode (median of a few, after a warm-up)."""
    model.eval()
    x = rt.prepare(images)
    times = []
    for _ in range(LATENCY_REPEATS + 1):
        rt.sync()
        start = time.perf_counter()
        with rt.autocast():
            model(x)
        rt.sync()
        times.append(time.perf_counter() - start)
    return float(np.median(times[1:]))


def _build(arch: Arch, cfg: dict[str, Any], data: DeviceData, seed: int, rt: Runtime) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_network(arch, C=cfg["C"], N=cfg["N"], in_channels=data.image_shape[0], num_classes=data.num_classes)
    model = model.to(rt.device)
    if rt.channels_last:  # torch's stubs omit Module.to(memory_format=), which torch accepts
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return model


def _compiled(model: nn.Module) -> nn.Module:
    """``torch.compile(model)``: an ``OptimizedModule`` wrapping ``model`` (torch types it as a plain callable)."""
    compiled = torch.compile(model)
    assert isinstance(compiled, nn.Module)  # compiling a Module gives a Module
    return compiled


def _schedule(data: DeviceData, cfg: dict[str, Any], recipe: Recipe) -> tuple[torch.Tensor, int, list[int]]:
    """The training-image indices, the SGD steps per epoch and the step of each evaluation point."""
    indices = train_indices(data, cfg)
    steps_per_epoch = math.ceil(len(indices) / cfg["batch_size"])
    return indices, steps_per_epoch, eval_steps(recipe.eval_points, steps_per_epoch)


def train(
    arch: Arch | int | str,
    dataset: str,
    recipe: Recipe,
    seed: int,
    *,
    device: str | torch.device = "cpu",
    threads: int = 1,
    data_root: str | None = None,
    compile: bool = False,
) -> RunRecord:
    """Train ``arch`` on ``dataset`` under ``recipe`` with ``seed`` and return its record.

    Args:
        arch: an Arch, NB201 index or arch string.
        dataset: a registered dataset name (see :mod:`nasbench_lab.training.data`).
        recipe: the training protocol (see :mod:`nasbench_lab.training.recipes`).
        seed: seeds the initial weights, batch order and augmentation.
        device: ``"cpu"`` or a CUDA device.
        threads: CPU threads (ignored on CUDA).
        data_root: data directory for file-based datasets.
        compile: wrap the network in ``torch.compile`` (for long CUDA runs).

    Returns:
        A :class:`~nasbench_lab.benchmark.schema.RunRecord` with every curve of
        :data:`~nasbench_lab.benchmark.schema.CURVE_METRICS` at each eval point, eval time, params,
        FLOPs and latency.

    Raises:
        TrainingFailed: the training loss became NaN or infinite.
        ConfigError: invalid recipe, device settings or dataset name.
        DatasetMissing: the dataset's files are absent.
    """
    arch = Arch.coerce(arch)
    cfg = check_config(recipe)
    rt = Runtime.for_device(device, threads)
    data = load_dataset(dataset, root=data_root, device=rt.device)
    indices, steps_per_epoch, checkpoints = _schedule(data, cfg, recipe)
    model = _build(arch, cfg, data, seed, rt)
    step_model = _compiled(model) if compile else model
    optimizer = _sgd(model, cfg)
    generator = torch.Generator().manual_seed(int(seed))
    curves = {name: np.full(recipe.n_epochs, np.nan) for name in CURVE_METRICS}
    eval_times: list[float] = []
    interval = _Interval(rt)
    step, point = 0, 0
    for _epoch in range(cfg["epochs"]):
        for batch in batches(indices, cfg["batch_size"], generator):
            if point == len(checkpoints):
                break
            _set_lr(optimizer, learning_rate(cfg, step, steps_per_epoch))
            images, labels = data.train_batch(batch, generator, augment=cfg["augment"])
            loss, n_correct = _sgd_step(step_model, optimizer, rt.prepare(images), labels, rt)
            interval.add(loss, n_correct, len(labels))
            step += 1
            if step == checkpoints[point]:
                eval_times.append(_checkpoint(curves, point, interval, step_model, data, rt, arch, seed, recipe))
                point += 1
                model.train()
    return _run_record(arch, seed, cfg, data, model, rt, curves, eval_times)


class _Interval:
    """Training loss, correct predictions and images seen since the last evaluation point, and its start.

    The sums stay on the device (no sync per step); :meth:`seconds` syncs before reading the clock.
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.loss_sum = torch.zeros((), device=rt.device)
        self.correct = torch.zeros((), device=rt.device, dtype=torch.long)
        self.seen = 0
        self._start_clock()

    def add(self, loss: torch.Tensor, n_correct: torch.Tensor, n: int) -> None:
        """Count one batch of ``n`` images with mean loss ``loss``."""
        self.loss_sum += loss * n
        self.correct += n_correct
        self.seen += n

    def seconds(self) -> float:
        """Wall-clock seconds since the interval started, once queued device work is done."""
        self.rt.sync()
        return time.perf_counter() - self.start

    def restart(self) -> None:
        """Zero the sums and start the clock again (after an evaluation, which is not training time)."""
        self.loss_sum.zero_(), self.correct.zero_()
        self.seen = 0
        self._start_clock()

    def _start_clock(self) -> None:
        self.rt.sync()
        self.start = time.perf_counter()


def _run_record(
    arch: Arch, seed: int, cfg: dict[str, Any], data: DeviceData, model: nn.Module, rt: Runtime,
    curves: dict[str, np.ndarray], eval_times: list[float],
) -> RunRecord:
    """The finished run's record: its curves, mean eval time, exact params/FLOPs and measured latency."""
    sizes = dict(C=cfg["C"], N=cfg["N"], in_channels=data.image_shape[0], num_classes=data.num_classes)
    test_images = data.eval_split("test")[0][: cfg["batch_size"]]
    return RunRecord(
        arch_index=arch.index,
        seed=int(seed),
        curves=curves,
        eval_time=float(np.mean(eval_times)),
        params=count_params(arch, **sizes),
        flops=count_flops(arch, **sizes, image_size=data.image_shape[-1]),
        latency=measure_latency(model, test_images, rt),
    )


def _set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def _checkpoint(curves: dict[str, np.ndarray], point: int, interval: _Interval, model: nn.Module, data: DeviceData,
                rt: Runtime, arch: Arch, seed: int, recipe: Recipe) -> float:
    """Record evaluation point ``point``: the interval's training time and figures, an evaluation; restart the interval.

    Returns:
        The evaluation's wall-clock seconds.

    Raises:
        TrainingFailed: a training, validation or test loss is NaN or infinite.
    """
    curves["train_time"][point] = interval.seconds()
    _record_train(curves, point, interval.loss_sum.item(), int(interval.correct.item()), interval.seen, arch, seed, recipe)
    seconds = _record_eval(curves, point, model, data, rt)
    _check_eval(curves, point, arch, seed, recipe)
    interval.restart()
    return seconds


def _sgd_step(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor, labels: torch.Tensor,
              rt: Runtime) -> tuple[torch.Tensor, torch.Tensor]:
    model.train()
    optimizer.zero_grad(set_to_none=True)
    with rt.autocast():
        logits = model(images)
    logits = logits.float()
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    optimizer.step()
    return loss.detach(), (logits.detach().argmax(1) == labels).sum()


def _record_train(curves: dict[str, np.ndarray], point: int, loss_sum: float, correct: int, seen: int, arch: Arch,
                  seed: int, recipe: Recipe) -> None:
    if not math.isfinite(loss_sum):
        raise TrainingFailed(
            f"arch {arch.index} seed {seed} recipe {recipe.name!r}: training loss became {loss_sum} before "
            f"epoch {recipe.eval_points[point]}; the run is recorded as failed (lower the learning rate to avoid it)"
        )
    curves["train_loss"][point] = loss_sum / seen
    curves["train_acc"][point] = 100.0 * correct / seen


def _check_eval(curves: dict[str, np.ndarray], point: int, arch: Arch, seed: int, recipe: Recipe) -> None:
    bad = [m for m in ("valid_loss", "test_loss") if not math.isfinite(curves[m][point])]
    if bad:
        raise TrainingFailed(
            f"arch {arch.index} seed {seed} recipe {recipe.name!r}: {', '.join(bad)} became non-finite at "
            f"epoch {recipe.eval_points[point]}; the run is recorded as failed (lower the learning rate to avoid it)"
        )


def _record_eval(curves: dict[str, np.ndarray], point: int, model: nn.Module, data: DeviceData, rt: Runtime) -> float:
    rt.sync()
    start = time.perf_counter()
    curves["valid_acc"][point], curves["valid_loss"][point] = evaluate(model, *data.eval_split("valid"), rt)
    if data.test_is_valid:
        curves["test_acc"][point], curves["test_loss"][point] = curves["valid_acc"][point], curves["valid_loss"][point]
    else:
        curves["test_acc"][point], curves["test_loss"][point] = evaluate(model, *data.eval_split("test"), rt)
    rt.sync()
    return time.perf_counter() - start
