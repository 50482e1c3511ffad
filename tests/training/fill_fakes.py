"""Fakes for the fill engine's tests: a deterministic trainer and an in-memory benchmark target.

Importable by worker processes (forkserver/spawn children inherit the parent's ``sys.path``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab import space
from nasbench_lab.benchmark.schema import CURVE_METRICS, Recipe, RunRecord
from nasbench_lab.training.journal import record_from_json


def fake_curves(arch_index: int, seed: int, n_epochs: int) -> dict[str, np.ndarray]:
    """Curves that depend only on (arch, seed): any mix-up or duplication shows."""
    rng = np.random.default_rng([arch_index, seed])
    return {name: rng.uniform(0, 100, n_epochs) for name in CURVE_METRICS}


def fake_train(
    arch: space.Arch,
    dataset: str,
    recipe: Recipe,
    seed: int,
    *,
    sleep: float = 0.0,
    fail_always: Sequence[int] = (),
    fail_once_dir: str | None = None,
    **_trainer_options: Any,
) -> RunRecord:
    """A trainer stand-in: sleeps, then returns :func:`fake_curves`.

    Args:
        fail_always: arch indices that always raise.
        fail_once_dir: if given, every entry fails on its first attempt (a marker file remembers it).
    """
    if sleep:
        time.sleep(sleep)
    if arch.index in fail_always:
        raise FloatingPointError(f"loss is NaN for arch {arch.index}")
    if fail_once_dir is not None:
        marker = Path(fail_once_dir) / f"{arch.index}-{seed}"
        if not marker.exists():
            marker.touch()
            raise RuntimeError("transient failure")
    return RunRecord(
        arch_index=arch.index,
        seed=seed,
        curves=fake_curves(arch.index, seed, recipe.n_epochs),
        eval_time=0.01,
        params=1.0,
        flops=2.0,
        latency=0.003,
    )


def fake_latency(arch_index: int, dataset: str, recipe: Recipe) -> float:
    """A latency stand-in that identifies the arch."""
    return 1e-6 * arch_index


class MemoryTarget:
    """The engine's view of a benchmark file, in memory; counts how often each entry is written."""

    def __init__(self) -> None:
        self.seeds: list[int] = []
        self.recipe: Recipe | None = None
        self.records: dict[tuple[int, int], Any] = {}
        self.writes: dict[tuple[int, int], int] = {}
        self.failures: list[dict[str, Any]] = []
        self.latency: dict[int, float] = {}
        self.folds = 0
        self.prefilled: np.ndarray | None = None  # (15625, n_seeds) mask of entries filled before

    def prepare(self, dataset: str, recipe: Recipe, seeds: Sequence[int], arch_metrics: Any = None) -> None:
        self.recipe = recipe
        self.arch_metrics = arch_metrics
        self.seeds += [int(s) for s in seeds if int(s) not in self.seeds]

    def filled(self, dataset: str, recipe: str) -> tuple[np.ndarray, list[int]]:
        mask = np.zeros((space.N_ARCHS, len(self.seeds)), dtype=bool)
        for arch, seed in self.records:
            mask[arch, self.seeds.index(seed)] = True
        if self.prefilled is not None:
            mask |= self.prefilled
        return mask, list(self.seeds)

    def fold(self, entries: list[dict[str, Any]]) -> None:
        self.folds += 1
        for entry in entries:
            if entry["kind"] == "failure":
                self.failures.append(entry)
                continue
            record = record_from_json(entry["record"])
            self._put(record)
            for member, latency in zip(entry["members"], entry["member_latency"]):
                copy = record.remapped(member)
                copy.latency = math.nan if latency is None else latency
                self._put(copy)

    def _put(self, record: RunRecord) -> None:
        key = (record.arch_index, record.seed)
        self.records[key] = record
        self.writes[key] = self.writes.get(key, 0) + 1


def dying_train(arch: space.Arch, dataset: str, recipe: Recipe, seed: int, *, die_for: Sequence[int] = ()) -> RunRecord:
    """Like :func:`fake_train`, but the worker process exits abruptly for archs in ``die_for``."""
    if arch.index in die_for:
        import os

        os._exit(3)
    return fake_train(arch, dataset, recipe, seed)


def sleepy_train(arch: space.Arch, dataset: str, recipe: Recipe, seed: int, **options: Any) -> RunRecord:
    """:func:`fake_train` taking 0.1 s per entry (for kill-and-resume tests through the CLI)."""
    return fake_train(arch, dataset, recipe, seed, sleep=0.1, **options)


def arch3_fails_train(arch: space.Arch, dataset: str, recipe: Recipe, seed: int, **options: Any) -> RunRecord:
    """:func:`fake_train` that always fails for arch 3."""
    return fake_train(arch, dataset, recipe, seed, fail_always=(3,), **options)
