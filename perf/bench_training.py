"""Training throughput (images/s) on CPU: nasbench-lab's trainer against a plain reference loop.

Two workloads, each measured in the same run against the reference:

* ``digits``: the embedded ``digits`` recipe (its network, batch size and augmentation), over a few
  archs; ours is :func:`nasbench_lab.training.trainer.train` (training time only: its ``train_time``
  curve, which excludes evaluation).
* ``cifar``: a CIFAR-sized input (3x32x32, random data, 10 classes) with the NB201 recipe's batch size,
  a reduced network (``--cifar-C``, ``--cifar-N``) and a few SGD steps.

The reference is what a plain PyTorch script does: a ``torch.utils.data.DataLoader`` (no workers) over
the same images with per-sample transforms (pad+random crop, flip, normalise) and the same model and
optimiser in the default (contiguous, float32) layout.

Usage::

    .venv/bin/python perf/bench_training.py [--threads 1] [--archs 3]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from nasbench_lab.training.data import DeviceData, load_dataset
from nasbench_lab.training.network import build_network
from nasbench_lab.training.recipes import get_recipe
from nasbench_lab.training.trainer import Runtime, _sgd, _sgd_step, train, train_indices

ARCHS = (6111, 100, 9930, 0, 3000)


class PerSampleDataset(Dataset):
    """Images with per-sample pad+crop, optional flip and normalisation, as torchvision would do."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, scale: float, mean: torch.Tensor, std: torch.Tensor, pad: int, flip: bool) -> None:
        self.images, self.labels = images, labels
        self.scale, self.mean, self.std, self.pad, self.flip = scale, mean.view(-1, 1, 1), std.view(-1, 1, 1), pad, flip

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[i].float() / self.scale
        if self.pad:
            h, w = x.shape[1:]
            x = F.pad(x, (self.pad,) * 4)
            r, c = np.random.randint(0, 2 * self.pad + 1, size=2)
            x = x[:, r : r + h, c : c + w]
        if self.flip and np.random.rand() < 0.5:
            x = x.flip(2)
        return (x - self.mean) / self.std, self.labels[i]


def reference_loop(arch: int, dataset: PerSampleDataset, cfg: dict, in_channels: int, steps: int) -> float:
    """Seconds for ``steps`` SGD steps of a plain DataLoader loop."""
    model = build_network(arch, C=cfg["C"], N=cfg["N"], in_channels=in_channels).train()
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"], nesterov=cfg["nesterov"], weight_decay=cfg["weight_decay"])
    done = 0
    start = time.perf_counter()
    while done < steps:
        for x, y in DataLoader(dataset, batch_size=cfg["batch_size"], shuffle=True, num_workers=0):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
            done += 1
            if done == steps:
                break
    return time.perf_counter() - start


def bench_digits(n_archs: int) -> tuple[float, float]:
    """(ours, reference) images/s over ``n_archs`` archs of the digits recipe."""
    recipe = get_recipe("digits")
    cfg = recipe.config
    data = load_dataset("digits")
    idx = train_indices(data, cfg)
    ref_set = PerSampleDataset(data.train_x[idx], data.train_y[idx], data.scale, data.mean.flatten(), data.std.flatten(), data.pad, data.flip)
    steps = cfg["epochs"] * -(-len(idx) // cfg["batch_size"])
    images = cfg["epochs"] * len(idx)
    ours = ref = 0.0
    train(ARCHS[0], "digits", recipe, seed=0)  # warm-up
    for arch in ARCHS[:n_archs]:
        ours += float(np.sum(train(arch, "digits", recipe, seed=0).curves["train_time"]))
        ref += reference_loop(arch, ref_set, cfg, 1, steps)
    return n_archs * images / ours, n_archs * images / ref


def bench_cifar(C: int, N: int, steps: int, n_images: int) -> tuple[float, float]:
    """(ours, reference) images/s for 3x32x32 inputs with the NB201 recipe's batch size."""
    cfg = {**get_recipe("nb201-200").config, "C": C, "N": N}
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n_images, 3, 32, 32), dtype=torch.uint8, generator=gen)
    y = torch.randint(0, 10, (n_images,), generator=gen)
    mean, std = torch.tensor([0.49, 0.48, 0.45]), torch.tensor([0.25, 0.24, 0.26])
    rt = Runtime.for_device("cpu", torch.get_num_threads())
    data = DeviceData("random", rt.device, x, y, x[:1], y[:1], x[:1], y[:1], 10, (3, 32, 32), 255.0, mean.view(1, 3, 1, 1), std.view(1, 3, 1, 1), 4, True)
    arch = ARCHS[0]
    torch.manual_seed(0)
    model = build_network(arch, C=C, N=N).to(memory_format=torch.channels_last)
    opt = _sgd(model, cfg)
    bgen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for step in range(steps):
        batch = torch.randint(0, n_images, (cfg["batch_size"],), generator=bgen)
        images, labels = data.train_batch(batch, bgen)
        _sgd_step(model, opt, rt.prepare(images), labels, rt)
    ours = time.perf_counter() - start
    ref = reference_loop(arch, PerSampleDataset(x, y, 255.0, mean, std, 4, True), cfg, 3, steps)
    images = steps * cfg["batch_size"]
    return images / ours, images / ref


def main() -> None:
    """Print images/s of both workloads and their ratio to the reference."""
    parser = argparse.ArgumentParser(description="training throughput on CPU against a DataLoader reference")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--archs", type=int, default=3, help="archs for the digits workload")
    parser.add_argument("--cifar-C", type=int, default=16)
    parser.add_argument("--cifar-N", type=int, default=1)
    parser.add_argument("--cifar-steps", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    np.random.seed(0)  # the reference dataset draws like torchvision, from numpy's global RNG
    ours, ref = bench_digits(args.archs)
    print(f"digits recipe ({args.archs} archs, {args.threads} thread): ours {ours:,.0f} img/s, "
          f"DataLoader reference {ref:,.0f} img/s, ratio {ours / ref:.2f}x")
    ours, ref = bench_cifar(args.cifar_C, args.cifar_N, args.cifar_steps, 2048)
    print(f"CIFAR-sized 3x32x32, batch 256, C={args.cifar_C} N={args.cifar_N} ({args.cifar_steps} steps): ours "
          f"{ours:,.0f} img/s, DataLoader reference {ref:,.0f} img/s, ratio {ours / ref:.2f}x")


if __name__ == "__main__":
    main()
