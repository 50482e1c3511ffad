"""Datasets held as tensors on the training device, with batch augmentation on the device.

Registered datasets (:data:`DATASETS`):

* ``digits``: scikit-learn's bundled 8x8 digits (1,797 images, 10 classes, values 0..16), split once,
  stratified by class with ``random_state=0``, into 1,000 train / 400 valid / 397 test images.
  Augmentation: random crop with 1 pixel of zero padding, no flip (digits are not mirror-symmetric).
* ``cifar10-valid``, ``cifar10``, ``cifar100``, ``ImageNet16-120``: NB201's datasets and splits, read
  from their files by :mod:`nasbench_lab.training.image_datasets` (which registers them; the registry
  imports it on its first lookup).

Images are stored as ``uint8`` (``float(x) / scale`` gives values in [0, 1]); a batch is padded, cropped
and flipped in [0, 1] (so padding is black, as in torchvision) and then normalised.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.registry import Registry

DATA_ROOT_ENV = "NASBENCH_LAB_DATA"
SPLIT_SEED = 0


class DatasetMissing(NasbenchLabError):
    """A dataset's files are not in the data directory."""


@dataclass(frozen=True)
class Splits:
    """A dataset's images and labels as numpy arrays, before they go to a device.

    Attributes:
        train_x, valid_x, test_x: ``uint8`` images, shape ``(n, channels, side, side)``.
        train_y, valid_y, test_y: int64 labels, shape ``(n,)``.
        num_classes: number of classes.
        scale: pixel value that maps to 1.0.
        mean, std: per-channel normalisation in [0, 1] units.
        pad: zero padding of the random crop (0: no crop).
        flip: whether to flip horizontally with probability 1/2.
        test_is_valid: the test split is the valid split (``cifar10``): evaluate it once.
    """

    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    num_classes: int
    scale: float
    mean: tuple[float, ...]
    std: tuple[float, ...]
    pad: int
    flip: bool
    test_is_valid: bool = False


DATASETS: Registry[Callable[[Path | None], Splits]] = Registry(
    "dataset", autoload=("nasbench_lab.training.image_datasets",)
)
register_dataset = DATASETS.register


@dataclass
class DeviceData:
    """A dataset resident on one device, with on-device augmentation and normalisation.

    Attributes:
        name: registered dataset name.
        device: where every tensor lives.
        train_x, valid_x, test_x: ``uint8`` image tensors ``(n, channels, side, side)``.
        train_y, valid_y, test_y: int64 label tensors ``(n,)``.
        num_classes: number of classes.
        image_shape: ``(channels, side, side)``.
        pad, flip: augmentation settings (see :class:`Splits`).
        test_is_valid: the test split is the valid split.
    """

    name: str
    device: torch.device
    train_x: torch.Tensor
    train_y: torch.Tensor
    valid_x: torch.Tensor
    valid_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    image_shape: tuple[int, int, int]
    scale: float
    mean: torch.Tensor
    std: torch.Tensor
    pad: int
    flip: bool
    test_is_valid: bool = False
    _normalised: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)

    @property
    def n_train(self) -> int:
        """Number of training images."""
        return int(self.train_x.shape[0])

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """``uint8`` images -> float32 normalised with the dataset's mean and std."""
        return (images.float() / self.scale - self.mean) / self.std

    def train_batch(
        self, indices: torch.Tensor, generator: torch.Generator, *, augment: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """An augmented, normalised training batch.

        The crop offsets and flips are drawn on the CPU from ``generator`` (so a seed gives the same
        batch on every device) and applied on the device in one gather.

        Args:
            indices: training-image indices, shape ``(batch,)`` (CPU int64).
            generator: CPU generator that drives the augmentation.
            augment: apply crop and flip (else only normalise).

        Returns:
            ``(images, labels)``: float32 ``(batch, channels, side, side)`` and int64 ``(batch,)``.
        """
        idx = indices.to(self.device)
        images = self.train_x.index_select(0, idx).float() / self.scale
        if augment and self.pad > 0:
            images = random_crop(images, self.pad, generator)
        if augment and self.flip:
            flips = (torch.rand(images.shape[0], generator=generator) < 0.5).to(self.device)
            images = torch.where(flips[:, None, None, None], images.flip(3), images)
        return (images - self.mean) / self.std, self.train_y.index_select(0, idx)

    def eval_split(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised images and labels of ``"valid"`` or ``"test"`` (computed once, then cached)."""
        if split not in ("valid", "test"):
            raise ValueError(f"split must be 'valid' or 'test', got {split!r}")
        if split not in self._normalised:
            self._normalised[split] = self.normalise(getattr(self, f"{split}_x"))
        return self._normalised[split], getattr(self, f"{split}_y")


def random_crop(images: torch.Tensor, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Zero-pad by ``pad`` and crop each image back to its size at a random offset.

    Args:
        images: float tensor ``(batch, channels, H, W)``.
        pad: padding on every side; offsets are uniform in ``0..2*pad``.
        generator: CPU generator for the offsets.

    Returns:
        Tensor of the input's shape.
    """
    b, _, h, w = images.shape
    offsets = torch.randint(0, 2 * pad + 1, (2, b), generator=generator).to(images.device)
    padded = F.pad(images, (pad, pad, pad, pad))
    rows = (offsets[0][:, None] + torch.arange(h, device=images.device))[:, None, :, None]
    cols = (offsets[1][:, None] + torch.arange(w, device=images.device))[:, None, None, :]
    batch = torch.arange(b, device=images.device)[:, None, None, None]
    chans = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return padded[batch, chans, rows, cols]


def data_root(root: Path | str | None = None) -> Path:
    """The data directory: ``root``, else ``$NASBENCH_LAB_DATA``, else ``~/.cache/nasbench-lab/data``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(DATA_ROOT_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "nasbench-lab" / "data"


def load_dataset(name: str, root: Path | str | None = None, device: str | torch.device = "cpu") -> DeviceData:
    """Load dataset ``name`` onto ``device`` (cached per process for the same arguments).

    Args:
        name: a registered dataset name (:data:`DATASETS`).
        root: data directory for file-based datasets (see :func:`data_root`); unused by ``digits``.
        device: torch device for every tensor.

    Returns:
        The dataset as a :class:`DeviceData`.

    Raises:
        ConfigError: unknown dataset name.
        DatasetMissing: its files are not under the data directory (the message says where to put them).
    """
    DATASETS.get(name)  # fail early with the list of names
    resolved = None if name == "digits" else str(data_root(root))
    return _load_cached(name, resolved, str(torch.device(device)))


@lru_cache(maxsize=2)
def _load_cached(name: str, root: str | None, device: str) -> DeviceData:
    splits = DATASETS.get(name)(Path(root) if root else None)
    dev = torch.device(device)

    def put(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a)).to(dev)

    channels = splits.train_x.shape[1]
    stats = [torch.tensor(v, dtype=torch.float32, device=dev).view(1, channels, 1, 1) for v in (splits.mean, splits.std)]
    return DeviceData(
        name=name,
        device=dev,
        train_x=put(splits.train_x),
        train_y=put(splits.train_y),
        valid_x=put(splits.valid_x),
        valid_y=put(splits.valid_y),
        test_x=put(splits.test_x),
        test_y=put(splits.test_y),
        num_classes=splits.num_classes,
        image_shape=tuple(int(s) for s in splits.train_x.shape[1:]),  # type: ignore[arg-type]
        scale=splits.scale,
        mean=stats[0],
        std=stats[1],
        pad=splits.pad,
        flip=splits.flip,
        test_is_valid=splits.test_is_valid,
    )


# --------------------------------------------------------------------------- digits
DIGITS_SIZES = (1000, 400, 397)  # train, valid, test


@register_dataset("digits")
def digits_splits(root: Path | None = None) -> Splits:
    """scikit-learn's digits, split 1,000 / 400 / 397, stratified, ``random_state=0`` (no files needed)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = bunch.images.astype(np.uint8)[:, None, :, :]  # values 0..16
    y = bunch.target.astype(np.int64)
    n_train, n_valid, _n_test = DIGITS_SIZES
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=n_train, stratify=y, random_state=SPLIT_SEED)
    x_valid, x_test, y_valid, y_test = train_test_split(
        x_rest, y_rest, train_size=n_valid, stratify=y_rest, random_state=SPLIT_SEED
    )
    pixels = x_train.astype(np.float64) / 16.0
    return Splits(
        x_train, y_train, x_valid, y_valid, x_test, y_test, num_classes=10, scale=16.0,
        mean=(float(pixels.mean()),), std=(float(pixels.std()),), pad=1, flip=False,
    )
