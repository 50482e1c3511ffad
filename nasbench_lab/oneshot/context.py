"""What every searcher shares: the supernet on its device, the data, the weight optimiser and one-shot scoring.

:class:`SearchContext` owns everything a searcher does not decide: the supernet's weights and their SGD
(cosine schedule per epoch, gradient clipping, as NB201's searchers), the shuffled train and valid batches
(weights learn on the train split, architecture choices on the valid split), and the one-shot accuracy of
an arch with the shared weights. A searcher (:mod:`nasbench_lab.oneshot.base`) only chooses what to run.

It reuses the trainer's device handling (:class:`~nasbench_lab.training.trainer.Runtime`: autocast bf16
on CUDA, float32 on CPU, channels-last), its device-resident data
(:func:`~nasbench_lab.training.data.load_dataset`) and its batch and schedule functions, so the code
path is the same on CPU and CUDA. Randomness: the supernet's initial weights come from
``torch.manual_seed(seed)`` in a forked RNG state; batches and augmentation from a CPU ``torch.Generator``
seeded with ``seed``; searchers draw from :attr:`SearchContext.generator` and :attr:`SearchContext.rng`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nasbench_lab.oneshot.supernet import Supernet, one_hot
from nasbench_lab.space import Arch
from nasbench_lab.training.data import DeviceData
from nasbench_lab.training.trainer import Runtime, batches, learning_rate, train_indices


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy computed in at least float32 (bf16 logits under autocast are promoted; float64 stays)."""
    return F.cross_entropy(logits.to(torch.promote_types(logits.dtype, torch.float32)), labels)


@dataclass(frozen=True)
class Batch:
    """Images and labels of one batch, ready for the supernet (normalised, on the device, memory format set)."""

    images: torch.Tensor
    labels: torch.Tensor


class SearchContext:
    """The supernet, its weight optimiser and the train/valid batch streams of one search run.

    Args:
        data: the dataset on the runtime's device.
        rt: the device runtime.
        cfg: the weight-training settings, as a dict with the keys of
            :class:`~nasbench_lab.oneshot.spec.SearchSettings` (``epochs``, ``batch_size``, ``lr``, ...).
        seed: seeds the initial weights, the batches and the searcher's generators.

    Attributes:
        net: the supernet.
        generator: CPU torch generator for the searcher's torch sampling (Gumbel noise, controller).
        rng: numpy generator for the searcher's other choices (random archs).
        steps_per_epoch: weight steps in one epoch.
    """

    def __init__(self, data: DeviceData, rt: Runtime, cfg: dict[str, Any], seed: int) -> None:
        self.data, self.rt, self.cfg = data, rt, cfg
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = Supernet(cfg["C"], cfg["N"], data.image_shape[0], data.num_classes)
        net = net.to(rt.device)
        if rt.channels_last:  # torch's stubs omit Module.to(memory_format=), which torch accepts
            net = net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.net = net
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=cfg["lr"], momentum=cfg["momentum"],
                                         nesterov=cfg["nesterov"], weight_decay=cfg["weight_decay"])
        self._batch_gen = torch.Generator().manual_seed(int(seed))
        self.generator = torch.Generator().manual_seed(int(seed) + 1)
        self.rng = np.random.default_rng(seed)
        self._train_idx = train_indices(data, {"train_subset": cfg["train_subset"], "subset_seed": 0})
        self.steps_per_epoch = math.ceil(len(self._train_idx) / cfg["batch_size"])
        self._valid_stream = self._valid_batches()
        self.step = 0

    # ------------------------------------------------------------------ data
    def train_batches(self) -> Iterator[Batch]:
        """One epoch of augmented train batches; sets the learning rate of each step (cosine per epoch)."""
        for idx in batches(self._train_idx, self.cfg["batch_size"], self._batch_gen):
            lr = learning_rate(self.cfg, self.step, self.steps_per_epoch)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            images, labels = self.data.train_batch(idx, self._batch_gen, augment=self.cfg["augment"])
            self.step += 1
            yield Batch(self.rt.prepare(images), labels)

    def _valid_batches(self) -> Iterator[Batch]:
        images, labels = self.data.eval_split("valid")
        while True:  # reshuffled every pass, endlessly: one valid batch per weight step
            for idx in batches(torch.arange(len(labels)), self.cfg["batch_size"], self._batch_gen):
                idx = idx.to(labels.device)
                yield Batch(self.rt.prepare(images.index_select(0, idx)), labels.index_select(0, idx))

    def valid_batch(self) -> Batch:
        """The next batch of the valid split (reshuffled each pass)."""
        return next(self._valid_stream)

    @property
    def lr(self) -> float:
        """The weights' current learning rate (DARTS' unrolled step uses it as xi)."""
        return float(self.optimizer.param_groups[0]["lr"])

    # ------------------------------------------------------------------ training
    def loss(self, batch: Batch, weights: torch.Tensor, active: Sequence[int] | None = None) -> torch.Tensor:
        """Mean cross-entropy of the supernet on ``batch`` (autocast on CUDA; loss in float32)."""
        self.net.train()
        with self.rt.autocast():
            logits = self.net(batch.images, weights, active)
        return cross_entropy(logits, batch.labels)

    def weight_step(self, batch: Batch, weights: torch.Tensor, active: Sequence[int] | None = None) -> float:
        """One SGD step of the supernet's weights on ``batch`` (``weights`` are not trained here).

        Returns:
            The batch's loss before the step.
        """
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(batch, weights.detach(), active)
        loss.backward()
        nn.utils.clip_grad_norm_(self.net.parameters(), self.cfg["grad_clip"])
        self.optimizer.step()
        return float(loss.detach())

    def path_step(self, batch: Batch, arch: Arch) -> float:
        """One SGD step of the weights of ``arch``'s path alone (single-path training); returns the loss."""
        return self.weight_step(batch, one_hot(arch.ops, like=self._weights_like()), arch.ops)

    # ------------------------------------------------------------------ one-shot scoring
    @torch.no_grad()
    def path_correct(self, images: torch.Tensor, labels: torch.Tensor, arch: Arch) -> int:
        """How many of ``images`` (normalised, on the device) ``arch``'s path classifies right.

        BN normalises with the batch's statistics (the supernet keeps none), as the paths were trained.
        """
        self.net.train()
        with self.rt.autocast():
            logits = self.net(self.rt.prepare(images), one_hot(arch.ops, like=self._weights_like()), arch.ops)
        return int((logits.argmax(1) == labels).sum())

    def oneshot_accuracy(self, archs: Sequence[Arch], n_images: int | None = None) -> np.ndarray:
        """Accuracy (percent) of each arch's path through the shared weights on the valid split.

        Every arch sees the same images: the first ``n_images`` of the split (all if ``None``), in batches
        of at least 256.

        Returns:
            float64 array ``(len(archs),)``.
        """
        images, labels = self.data.eval_split("valid")
        if n_images is not None:
            images, labels = images[:n_images], labels[:n_images]
        size = max(self.cfg["batch_size"], 256)
        out = np.empty(len(archs))
        for i, arch in enumerate(archs):
            correct = sum(self.path_correct(x, y, arch) for x, y in zip(images.split(size), labels.split(size)))
            out[i] = 100.0 * correct / len(labels)
        return out

    def _weights_like(self) -> torch.Tensor:
        return self.net.classifier.weight
