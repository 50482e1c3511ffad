"""The file-based datasets: CIFAR-10 (two splits), CIFAR-100 and ImageNet16-120, read from their
original batch files in the data directory (:func:`~nasbench_lab.training.data.data_root`), and
:func:`download` of the CIFAR archives.

Registered datasets (into :data:`~nasbench_lab.training.data.DATASETS`, which imports this module on
its first lookup):

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
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.training.data import DATA_ROOT_ENV, SPLIT_SEED, DatasetMissing, Splits, data_root, register_dataset
from nasbench_lab.training.safe_batches import batch_arrays

log = logging.getLogger(__name__)


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
        f"(nasbench_lab.training.image_datasets.download({'cifar100' if hundred else 'cifar10'!r}) in Python)"
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
