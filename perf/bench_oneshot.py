"""Supernet step throughput of every searcher against training one sampled arch, measured in the same run.

For the digits recipe's network (C=8, N=1, batch 64, 1,000 training images) on one CPU thread, each
row times one search epoch of a searcher (its weight steps plus its alpha/controller updates; the
per-epoch pick is not included) and reports images per second of training data consumed. The
reference is the trainer's own SGD step (``DeviceData.train_batch`` + ``_sgd_step``) on the NB201
network of sampled archs, the work one table entry costs. Ratios are searcher / reference.

Usage::

    python perf/bench_oneshot.py [--threads 1] [--repeats 3] [--archs 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from nasbench_lab.oneshot.base import searcher_class
from nasbench_lab.oneshot.context import SearchContext
from nasbench_lab.oneshot.spec import SearchSettings
from nasbench_lab.space import sample
from nasbench_lab.training.data import load_dataset
from nasbench_lab.training.network import build_network
from nasbench_lab.training.recipes import get_recipe
from nasbench_lab.training.trainer import Runtime, _sgd, _sgd_step, batches, train_indices

SEARCHERS = (("darts-v1", "darts", {"order": 1}), ("darts-v2", "darts", {"order": 2}), ("gdas", "gdas", {}),
             ("setn", "setn", {}), ("enas", "enas", {"controller_steps": 20}), ("rsps", "rsps", {}))


def reference_images_per_second(rt: Runtime, n_archs: int, repeats: int) -> float:
    """Images/s of the trainer's SGD step on ``n_archs`` sampled archs' networks (one epoch each, best of ``repeats``)."""
    recipe = get_recipe("digits")
    cfg = recipe.config
    data = load_dataset("digits", device=rt.device)
    idx = train_indices(data, cfg)
    rng = np.random.default_rng(0)
    rates = []
    for _ in range(n_archs):
        model = build_network(sample(rng), C=cfg["C"], N=cfg["N"], in_channels=1, num_classes=10)
        model = model.to(memory_format=torch.channels_last)
        optimizer = _sgd(model, cfg)
        gen = torch.Generator().manual_seed(0)
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            for batch in batches(idx, cfg["batch_size"], gen):
                images, labels = data.train_batch(batch, gen, augment=True)
                _sgd_step(model, optimizer, rt.prepare(images), labels, rt)
            best = min(best, time.perf_counter() - start)
        rates.append(len(idx) / best)
    return float(np.mean(rates))


def searcher_images_per_second(rt: Runtime, name: str, params: dict, repeats: int) -> float:
    """Images/s of one search epoch of ``name`` (best of ``repeats`` epochs after one warm-up epoch)."""
    cfg = SearchSettings(epochs=repeats + 1).training_config(get_recipe("digits").config)
    ctx = SearchContext(load_dataset("digits", device=rt.device), rt, cfg, seed=0)
    cls = searcher_class(name)
    searcher = cls(ctx, cls.Params(**params))
    searcher.search_epoch(0)
    best = np.inf
    for epoch in range(1, repeats + 1):
        start = time.perf_counter()
        searcher.search_epoch(epoch)
        best = min(best, time.perf_counter() - start)
    return 1000 / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--archs", type=int, default=5)
    args = parser.parse_args()
    rt = Runtime.for_device("cpu", args.threads)
    reference = reference_images_per_second(rt, args.archs, args.repeats)
    print(f"digits recipe network (C=8, N=1, batch 64), {args.threads} thread(s)")
    print(f"{'reference: one sampled arch (trainer step)':<46} {reference:9.0f} img/s   1.00x")
    for label, name, params in SEARCHERS:
        rate = searcher_images_per_second(rt, name, params, args.repeats)
        print(f"{'supernet: ' + label:<46} {rate:9.0f} img/s   {rate / reference:.2f}x")


if __name__ == "__main__":
    main()
