"""Synthetic NB201 / NATS-Bench records shaped like the real ones, for the importer tests."""

from __future__ import annotations

import collections

import numpy as np

from nasbench_lab.space import Arch

SETS = {"cifar10-valid": ["x-valid", "ori-test"], "cifar10": ["ori-test"],
        "cifar100": ["x-valid", "x-test", "ori-test"], "ImageNet16-120": ["x-valid", "x-test", "ori-test"]}


def results_state(index: int, dataset: str, seed: int, epochs: int, *, last_only: tuple[str, ...] = ()) -> dict:
    """A ResultsCount state shaped like the real NATS records (numpy scalars, OrderedDict, '0777' seeds)."""
    rng = np.random.default_rng([index, seed, epochs, len(dataset)])
    evals: dict[str, dict[str, float]] = {"acc": {}, "loss": {}, "time": {}}
    for name in SETS[dataset]:
        for e in range(epochs):
            evals["time"][f"{name}@{e}"] = 1.5 if name == "ori-test" else 0.75
            if name in last_only and e != epochs - 1:
                continue
            evals["acc"][f"{name}@{e}"] = float(rng.uniform(10, 95))
            evals["loss"][f"{name}@{e}"] = float(rng.uniform(0.1, 2))
    return {
        "name": dataset,
        "train_acc1es": {e: float(rng.uniform(10, 99)) for e in range(epochs)},
        "train_acc5es": None,
        "train_losses": {e: float(rng.uniform(0.01, 2)) for e in range(epochs)},
        "train_times": collections.OrderedDict((e, 12.25) for e in range(epochs)),
        "arch_config": {"channel": 16, "num_cells": 5, "arch_str": str(Arch.from_index(index)), "class_num": 10},
        "params": np.float64(0.5 + index / 1e5),
        "flop": 70.0 + index / 1e3,
        "seed": f"{seed:04d}",
        "epochs": epochs,
        "latency": [np.float64(0.012), np.float64(0.014)],
        "eval_names": list(SETS[dataset]),
        "eval_acc1es": evals["acc"],
        "eval_times": evals["time"],
        "eval_losses": evals["loss"],
        "net_state_dict": None,
    }


def arch_state(index: int, hp: str, dataset_seeds: dict[str, list[int]]) -> dict:
    """An ArchResults state: arch_index, arch_str, all_results keyed by (dataset, seed), dataset_seed."""
    epochs = int(hp)
    last_only = ("x-valid", "x-test") if hp == "200" else ()
    return {
        "arch_index": index,
        "arch_str": str(Arch.from_index(index)),
        "all_results": {(d, s): results_state(index, d, s, epochs, last_only=last_only if d != "cifar10-valid" else ())
                        for d, seeds in dataset_seeds.items() for s in seeds},
        "dataset_seed": dataset_seeds,
        "clear_net_done": True,
    }
