"""Datasets held as tensors on the training device, with batch augmentation on the device.

Registered datasets (:data:`DATASETS`):

* ``digits``: scikit-learn's bundled 8x8 digits (1,797 images, 10 classes, values 0..16), split once,
  stratified by class with ``random_state=0``, into 1,000 train / 400 valid / 397 test images.
  Augmentation: random crop with 1 pixel of zero padding, no flip (digits are not mirror-symmetric).
* ``cifar10-valid``: NB201's split: train on 25,000 of the CIFAR-10 training images, validate on the
  other 25,000, test on the 10,000 test images.
* ``cifar10``: train on all 50,000 training images; valid and test are both the test set (NB201
  reports only ``ori-test`` for it).
* ``cifar100``: train on all 50,000; the test set's two halves are valid (``x-valid``) and test
  (``x-test``).
* ``ImageNet16-120``: NB201's 16x16 ImageNet restricted to classes 1..120; train on its training
  batches, the validation batch's two halves are valid and test.

CIFAR and ImageNet16 use crop with 4 (ImageNet16: 2) pixels of zero padding and horizontal flips, as
NB201. NB201's exact split files (``cifar-split.txt``, ``cifar100-test-split.txt``,
``imagenet-16-120-test-split.txt`` from its ``configs/nas-benchmark``) are used when found in the data
directory; otherwise a fixed seeded split of the same sizes is used and a warning says so.

Images are stored as ``uint8`` (``float(x) / scale`` gives values in [0, 1]); a batch is padded, cropped
and flipped in [0, 1] (so padding is black, as in torchvision) and then normalised.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.registry import Registry
from nasbench_lab.training.safe_batches import batch_arrays

log = logging.getLogger(__name__)

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


DATASETS: Registry[Callable[[Path | None], Splits]] = Registry("dataset")
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


# --------------------------------------------------------------------------- NB201 split files
def seeded_halves(n: int, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random split of ``range(n)`` into two sorted halves."""
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[: n // 2]), np.sort(perm[n // 2 :])


def nb201_split(root: Path, filename: str, keys: tuple[str, str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two index lists from NB201's split file ``root/filename`` if present, else :func:`seeded_halves`.

    NB201's files are JSON objects mapping each key to ``["int", [indices...]]``.
    """
    path = root / filename
    if not path.is_file():
        log.warning("%s not found: using a fixed seeded split (seed %d) of the same sizes instead of NB201's", path, SPLIT_SEED)
        return seeded_halves(n)
    try:
        content = json.loads(path.read_text())
        parts = tuple(np.asarray(content[k][1] if isinstance(content[k][0], str) else content[k], dtype=np.int64) for k in keys)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ConfigError(f"{path}: cannot read NB201 split keys {keys} ({exc}); delete or replace the file") from None
    return parts  # type: ignore[return-value]


# --------------------------------------------------------------------------- CIFAR and ImageNet16
CIFAR10_DIR, CIFAR100_DIR, IMAGENET16_DIR = "cifar-10-batches-py", "cifar-100-python", "ImageNet16"
_CIFAR10_STATS = ((125.3 / 255, 123.0 / 255, 113.9 / 255), (63.0 / 255, 62.1 / 255, 66.7 / 255))
_CIFAR100_STATS = ((129.3 / 255, 124.1 / 255, 112.4 / 255), (68.2 / 255, 65.4 / 255, 70.4 / 255))
_IMAGENET16_STATS = ((122.68 / 255, 116.66 / 255, 104.01 / 255), (63.22 / 255, 61.26 / 255, 65.09 / 255))
DOWNLOADS: dict[str, tuple[str, str]] = {  # dataset folder -> (url, md5 of the archive)
    CIFAR10_DIR: ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),
    CIFAR100_DIR: ("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85"),
}


def _read(root: Path | None, folder: str, files: list[str], label_key: str, hint: str) -> tuple[np.ndarray, np.ndarray]:
    base = data_root(root) / folder
    missing = [f for f in files if not (base / f).is_file()]
    if missing:
        raise DatasetMissing(f"missing {', '.join(missing)} in {base}: {hint}")
    parts = [batch_arrays(base / f, label_key) for f in files]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _cifar(root: Path | None, hundred: bool) -> tuple[np.ndarray, ...]:
    folder = CIFAR100_DIR if hundred else CIFAR10_DIR
    hint = (
        f"unpack {DOWNLOADS[folder][0].rsplit('/', 1)[1]} there (or set ${DATA_ROOT_ENV} to its parent), "
        "or add --download to `nasbench-lab train/fill` "
        f"(nasbench_lab.training.data.download({'cifar100' if hundred else 'cifar10'!r}) in Python)"
    )
    train = ["train"] if hundred else [f"data_batch_{i}" for i in range(1, 6)]
    test = ["test"] if hundred else ["test_batch"]
    key = "fine_labels" if hundred else "labels"
    return (*_read(root, folder, train, key, hint), *_read(root, folder, test, key, hint))


@register_dataset("cifar10-valid")
def cifar10_valid_splits(root: Path | None = None) -> Splits:
    """CIFAR-10 with NB201's 25k/25k train/valid split of the training set; test is the test set."""
    train_x, train_y, test_x, test_y = _cifar(root, hundred=False)
    tr, va = nb201_split(data_root(root), "cifar-split.txt", ("train", "valid"), len(train_y))
    return Splits(train_x[tr], train_y[tr], train_x[va], train_y[va], test_x, test_y, 10, 255.0, *_CIFAR10_STATS, pad=4, flip=True)


@register_dataset("cifar10")
def cifar10_splits(root: Path | None = None) -> Splits:
    """CIFAR-10 trained on all 50k training images; valid and test are both the test set."""
    train_x, train_y, test_x, test_y = _cifar(root, hundred=False)
    return Splits(train_x, train_y, test_x, test_y, test_x, test_y, 10, 255.0, *_CIFAR10_STATS, pad=4, flip=True, test_is_valid=True)


@register_dataset("cifar100")
def cifar100_splits(root: Path | None = None) -> Splits:
    """CIFAR-100 trained on all 50k; the test set's halves are valid and test (NB201's x-valid/x-test)."""
    train_x, train_y, test_x, test_y = _cifar(root, hundred=True)
    va, te = nb201_split(data_root(root), "cifar100-test-split.txt", ("xvalid", "xtest"), len(test_y))
    return Splits(train_x, train_y, test_x[va], test_y[va], test_x[te], test_y[te], 100, 255.0, *_CIFAR100_STATS, pad=4, flip=True)


@register_dataset("ImageNet16-120")
def imagenet16_splits(root: Path | None = None) -> Splits:
    """NB201's ImageNet16-120: labels 1..120 of the 16x16 batches; the val batch's halves are valid/test."""
    hint = "put NB201's downsampled ImageNet16 batches (train_data_batch_1..10, val_data) there"
    train_x, train_y = _read(root, IMAGENET16_DIR, [f"train_data_batch_{i}" for i in range(1, 11)], "labels", hint)
    test_x, test_y = _read(root, IMAGENET16_DIR, ["val_data"], "labels", hint)
    keep, keep_test = train_y <= 120, test_y <= 120
    train_x, train_y, test_x, test_y = train_x[keep], train_y[keep] - 1, test_x[keep_test], test_y[keep_test] - 1
    va, te = nb201_split(data_root(root), "imagenet-16-120-test-split.txt", ("xvalid", "xtest"), len(test_y))
    return Splits(train_x, train_y, test_x[va], test_y[va], test_x[te], test_y[te], 120, 255.0, *_IMAGENET16_STATS, pad=2, flip=True)


def download(name: str, root: Path | str | None = None, *, url: str | None = None, md5: str | None = None) -> Path:
    """Fetch and unpack a CIFAR archive into the data directory.

    Args:
        name: ``"cifar10"``, ``"cifar10-valid"`` or ``"cifar100"``.
        root: data directory (see :func:`data_root`).
        url: archive location (``http(s)://`` or ``file://``); default: the official one.
        md5: expected checksum of the archive; default: the official archive's when ``url`` is
            the official one, else not checked.

    Returns:
        The folder the batches were unpacked into.

    Raises:
        ConfigError: ``name`` has no download.
        NasbenchLabError: the fetch failed or the checksum does not match.
    """
    import hashlib
    import tarfile
    import tempfile
    import urllib.error
    import urllib.request

    folder = {"cifar10": CIFAR10_DIR, "cifar10-valid": CIFAR10_DIR, "cifar100": CIFAR100_DIR}.get(name)
    if folder is None:
        raise ConfigError(f"no download for {name!r}; downloadable: cifar10, cifar10-valid, cifar100")
    official_url, official_md5 = DOWNLOADS[folder]
    expected = md5 if md5 is not None else (official_md5 if url is None else None)
    base = data_root(root)
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        archive = Path(tmp) / "archive.tar.gz"
        try:
            with urllib.request.urlopen(url or official_url, timeout=60) as response, archive.open("wb") as out:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
        except (urllib.error.URLError, OSError) as exc:
            raise NasbenchLabError(f"could not fetch {url or official_url} ({exc}); check the network or unpack "
                                   f"the archive by hand into {base}") from None
        if expected is not None and hashlib.md5(archive.read_bytes()).hexdigest() != expected:
            raise NasbenchLabError(f"{url or official_url}: checksum mismatch (expected md5 {expected}); try again")
        with tarfile.open(archive) as tar:
            tar.extractall(base, filter="data")
    if not (base / folder).is_dir():
        raise NasbenchLabError(f"{url or official_url} did not contain a {folder}/ folder; is it the right archive?")
    return base / folder
