"""Tiny files in the CIFAR python and NB201 ImageNet16 batch formats, for tests (random pixels)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np


def _batch(path: Path, n: int, side: int, label_key: str, labels: np.ndarray, rng: np.random.Generator) -> None:
    data = rng.integers(0, 256, size=(n, 3 * side * side), dtype=np.uint8)
    with path.open("wb") as fh:  # writing test fixtures; the library reads them without pickle.load
        pickle.dump({b"data": data, label_key.encode(): labels.tolist(), b"batch_label": b"fake"}, fh, protocol=2)


def make_cifar10(root: Path, per_batch: int = 8, n_test: int = 10) -> Path:
    """A tiny CIFAR-10 python tree: 5 train batches of ``per_batch`` images and a test batch."""
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for i in range(1, 6):
        _batch(folder / f"data_batch_{i}", per_batch, 32, "labels", rng.integers(0, 10, per_batch), rng)
    _batch(folder / "test_batch", n_test, 32, "labels", rng.integers(0, 10, n_test), rng)
    return folder


def make_cifar100(root: Path) -> Path:
    """A tiny CIFAR-100 python tree: 20 training and 12 test images."""
    rng = np.random.default_rng(1)
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    _batch(folder / "train", 20, 32, "fine_labels", rng.integers(0, 100, 20), rng)
    _batch(folder / "test", 12, 32, "fine_labels", rng.integers(0, 100, 12), rng)
    return folder


def make_imagenet16(root: Path) -> None:
    """NB201 ImageNet16 batches whose labels include classes above 120 (to be dropped)."""
    rng = np.random.default_rng(2)
    folder = root / "ImageNet16"
    folder.mkdir(parents=True)
    for i in range(1, 11):
        _batch(folder / f"train_data_batch_{i}", 6, 16, "labels", np.array([1, 120, 121, 500, 7, 1000]), rng)
    _batch(folder / "val_data", 8, 16, "labels", np.array([1, 2, 3, 4, 200, 300, 119, 120]), rng)
