"""Training throughput (images/s) on CPU: nasbench-lab's trainer against a plain reference loop.

Two workloads, each measured in the same run against the reference:

* ``digits``: the embedded ``digits`` recipe (its network, batch size, augmentation and step count),
  over a few archs; ours is the trainer's own loop (``DeviceData.train_batch`` + ``_sgd_step``,
  channels-last), without evaluation.
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

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from nasbench_lab.training.data import DeviceData, load_dataset
from nasbench_lab.training.network import build_network
from nasbench_lab.training.recipes import get_recipe
from nasbench_lab.training.trainer import Runtime, _sgd, _sgd_step, batches, train_indices

ARCHS = (6111, 100, 9930, 0, 3000)


class PerSampleDataset(Dataset):
    """Images with per-sample pad+crop, optional flip and normalisation, as torchvision would do."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, scale: float, mean: torch.Tensor, std: torch.Tensor,
                 pad: int, flip: bool) -> None:
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


class Clock:
    """Wall and CPU seconds of a block (CPU time is the fairer figure on a shared machine)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def reference_loop(arch: int, dataset: PerSampleDataset, cfg: dict, in_channels: int, steps: int) -> Clock:
    """Time ``steps`` SGD steps of a plain DataLoader loop (fresh network, default layout)."""
    torch.manual_seed(0)
    model = build_network(arch, C=cfg["C"], N=cfg["N"], in_channels=in_channels).train()
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"], nesterov=cfg["nesterov"],
                          weight_decay=cfg["weight_decay"])
    done = 0
    with Clock() as clock:
        while done < steps:
            for x, y in DataLoader(dataset, batch_size=cfg["batch_size"], shuffle=True, num_workers=0):
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
                done += 1
                if done == steps:
                    break
    return clock


def our_loop(arch: int, data: DeviceData, indices: torch.Tensor, cfg: dict, steps: int) -> Clock:
    """Time ``steps`` SGD steps of the trainer's own loop pieces (device batches, channels-last)."""
    rt = Runtime.for_device("cpu", torch.get_num_threads())
    torch.manual_seed(0)
    model = build_network(arch, C=cfg["C"], N=cfg["N"], in_channels=data.image_shape[0]).to(memory_format=torch.channels_last)
    opt = _sgd(model, cfg)
    gen = torch.Generator().manual_seed(0)
    done = 0
    with Clock() as clock:
        while done < steps:
            for batch in batches(indices, cfg["batch_size"], gen):
                images, labels = data.train_batch(batch, gen, augment=cfg["augment"])
                _sgd_step(model, opt, rt.prepare(images), labels, rt)
                done += 1
                if done == steps:
                    break
    return clock


def compare(arch_list: tuple[int, ...], data: DeviceData, indices: torch.Tensor, cfg: dict, steps: int) -> dict[str, float]:
    """Images/s (wall and CPU) of ours and the reference over ``arch_list``, interleaved."""
    ref_set = PerSampleDataset(data.train_x[indices], data.train_y[indices], data.scale, data.mean.flatten(),
                               data.std.flatten(), data.pad if cfg["augment"] else 0, data.flip and cfg["augment"])
    totals = dict.fromkeys(("ours_wall", "ours_cpu", "ref_wall", "ref_cpu"), 0.0)
    our_loop(arch_list[0], data, indices, cfg, 2)  # warm-up
    for arch in arch_list:
        ours = our_loop(arch, data, indices, cfg, steps)
        ref = reference_loop(arch, ref_set, cfg, data.image_shape[0], steps)
        for name, clock in (("ours", ours), ("ref", ref)):
            totals[f"{name}_wall"] += clock.wall
            totals[f"{name}_cpu"] += clock.cpu
    images = len(arch_list) * steps * cfg["batch_size"]
    return {k: images / v for k, v in totals.items()}


def bench_digits(n_archs: int) -> dict[str, float]:
    """The digits recipe: its network, batch size, augmentation and a full run's step count."""
    cfg = get_recipe("digits").config
    data = load_dataset("digits")
    idx = train_indices(data, cfg)
    steps = cfg["epochs"] * (len(idx) // cfg["batch_size"])  # full batches only, same images per step
    return compare(ARCHS[:n_archs], data, idx, cfg, steps)


def bench_cifar(C: int, N: int, steps: int, n_images: int) -> dict[str, float]:
    """3x32x32 random images, NB201's batch size 256 and augmentation, a reduced network."""
    cfg = {**get_recipe("nb201-200").config, "C": C, "N": N}
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n_images, 3, 32, 32), dtype=torch.uint8, generator=gen)
    y = torch.randint(0, 10, (n_images,), generator=gen)
    mean, std = torch.tensor([0.49, 0.48, 0.45]).view(1, 3, 1, 1), torch.tensor([0.25, 0.24, 0.26]).view(1, 3, 1, 1)
    data = DeviceData("random", torch.device("cpu"), x, y, x[:1], y[:1], x[:1], y[:1], 10, (3, 32, 32), 255.0, mean, std, 4, True)
    return compare(ARCHS[:1], data, torch.arange(n_images), cfg, steps)


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
    report(f"digits recipe ({args.archs} archs, {args.threads} thread)", bench_digits(args.archs))
    report(f"CIFAR-sized 3x32x32, batch 256, C={args.cifar_C} N={args.cifar_N} ({args.cifar_steps} steps, {args.threads} thread)",
           bench_cifar(args.cifar_C, args.cifar_N, args.cifar_steps, 2048))


def report(what: str, fig: dict[str, float]) -> None:
    """Print one workload's figures."""
    print(f"{what}: ours {fig['ours_wall']:,.0f} img/s wall ({fig['ours_cpu']:,.0f} per CPU-s); DataLoader reference "
          f"{fig['ref_wall']:,.0f} img/s wall ({fig['ref_cpu']:,.0f} per CPU-s); ratio {fig['ours_wall'] / fig['ref_wall']:.2f}x wall, "
          f"{fig['ours_cpu'] / fig['ref_cpu']:.2f}x CPU", flush=True)


if __name__ == "__main__":
    main()
