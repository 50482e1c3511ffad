"""Tests of nasbench_lab/training/data.py and image_datasets.py: dataset registry, splits, device batches, download."""

from __future__ import annotations

import hashlib
import http.server
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.training import data as data_mod
from nasbench_lab.training import image_datasets
from nasbench_lab.training.data import (
    DATASETS,
    DIGITS_SIZES,
    DatasetMissing,
    load_dataset,
    random_crop,
)
from nasbench_lab.training.image_datasets import download
from training.cifar_fakes import make_cifar10, make_cifar100, make_imagenet16


# --------------------------------------------------------------------------- digits
def test_registry_lists_the_nb201_datasets_and_digits() -> None:
    assert set(DATASETS.names()) == {"digits", "cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}
    with pytest.raises(ConfigError, match="known: "):
        load_dataset("mnist")


def test_digits_split_sizes_disjoint_and_stratified() -> None:
    d = load_dataset("digits")
    assert (d.n_train, len(d.valid_y), len(d.test_y)) == DIGITS_SIZES
    assert sum(DIGITS_SIZES) == 1797 and d.num_classes == 10 and d.image_shape == (1, 8, 8)
    flat = torch.cat([d.train_x, d.valid_x, d.test_x]).flatten(1).numpy()
    from sklearn.datasets import load_digits

    assert sorted(map(bytes, flat)) == sorted(map(bytes, load_digits().images.astype(np.uint8).reshape(-1, 64)))
    for split in (d.train_y, d.valid_y):
        counts = np.bincount(split.numpy(), minlength=10)
        assert counts.min() >= 0.9 * len(split) / 10 and counts.max() <= 1.1 * len(split) / 10 + 1


def test_digits_normalisation_uses_training_statistics() -> None:
    d = load_dataset("digits")
    images, _ = d.eval_split("valid")
    train = d.normalise(d.train_x)
    assert abs(float(train.mean())) < 1e-5 and abs(float(train.std()) - 1) < 1e-3
    assert images.dtype == torch.float32 and images.shape == (400, 1, 8, 8)
    assert d.pad == 1 and d.flip is False


def test_train_batch_is_deterministic_per_generator_seed() -> None:
    d = load_dataset("digits")
    idx = torch.arange(0, 64)
    a = d.train_batch(idx, torch.Generator().manual_seed(3))
    b = d.train_batch(idx, torch.Generator().manual_seed(3))
    c = d.train_batch(idx, torch.Generator().manual_seed(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0]) and torch.equal(a[1], c[1])
    plain, _ = d.train_batch(idx, torch.Generator().manual_seed(3), augment=False)
    torch.testing.assert_close(plain, d.normalise(d.train_x[:64]))


def test_random_crop_matches_naive_window() -> None:
    gen = torch.Generator().manual_seed(0)
    images = torch.arange(4 * 2 * 5 * 6, dtype=torch.float32).reshape(4, 2, 5, 6)
    out = random_crop(images, 2, gen)
    offsets = torch.randint(0, 5, (2, 4), generator=torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    for i in range(4):
        r, c = int(offsets[0, i]), int(offsets[1, i])
        assert torch.equal(out[i], padded[i, :, r : r + 5, c : c + 6])


# --------------------------------------------------------------------------- CIFAR / ImageNet16 files
def test_cifar10_valid_halves_the_training_set(tmp_path: Path) -> None:
    make_cifar10(tmp_path)
    d = load_dataset("cifar10-valid", root=tmp_path)
    assert d.n_train == 20 and len(d.valid_y) == 20 and len(d.test_y) == 10
    assert d.image_shape == (3, 32, 32) and d.pad == 4 and d.flip and not d.test_is_valid
    both = torch.cat([d.train_x, d.valid_x]).flatten(1)
    assert len({bytes(row.numpy()) for row in both}) == 40  # disjoint halves of the 40 training images


def test_cifar10_uses_nb201_split_file_when_present(tmp_path: Path) -> None:
    make_cifar10(tmp_path)
    train, valid = list(range(0, 40, 2)), list(range(1, 40, 2))
    (tmp_path / "cifar-split.txt").write_text(f'{{"train": ["int", {train}], "valid": ["int", {valid}]}}')
    d = load_dataset("cifar10-valid", root=tmp_path)
    raw = image_datasets._cifar(tmp_path, hundred=False)
    assert torch.equal(d.train_x, torch.from_numpy(raw[0][train]))
    assert torch.equal(d.valid_y, torch.from_numpy(raw[1][valid]))


def test_cifar10_and_cifar100_semantics(tmp_path: Path) -> None:
    make_cifar10(tmp_path)
    make_cifar100(tmp_path)
    c10 = load_dataset("cifar10", root=tmp_path)
    assert c10.n_train == 40 and c10.test_is_valid and torch.equal(c10.valid_x, c10.test_x)
    c100 = load_dataset("cifar100", root=tmp_path)
    assert c100.num_classes == 100 and c100.n_train == 20 and len(c100.valid_y) == len(c100.test_y) == 6


def test_imagenet16_keeps_120_classes(tmp_path: Path) -> None:
    make_imagenet16(tmp_path)
    d = load_dataset("ImageNet16-120", root=tmp_path)
    assert d.image_shape == (3, 16, 16) and d.num_classes == 120 and d.pad == 2
    assert d.n_train == 10 * 3  # labels 1, 120 and 7 of each batch
    assert set(d.train_y.tolist()) == {0, 6, 119}
    assert len(d.valid_y) + len(d.test_y) == 6


def test_missing_files_say_where_to_put_them(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissing, match=str(tmp_path / "cifar-10-batches-py")):
        load_dataset("cifar10", root=tmp_path)
    with pytest.raises(DatasetMissing, match="ImageNet16"):
        load_dataset("ImageNet16-120", root=tmp_path)


def test_root_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NASBENCH_LAB_DATA", str(tmp_path / "env"))
    assert data_mod.data_root() == tmp_path / "env"
    assert data_mod.data_root(tmp_path) == tmp_path


# --------------------------------------------------------------------------- download
def _archive(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    make_cifar10(src)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return archive


def test_download_from_file_url_with_checksum(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    folder = download("cifar10", tmp_path / "data", url=archive.as_uri(), md5=md5)
    assert (folder / "data_batch_5").is_file()
    assert load_dataset("cifar10-valid", root=tmp_path / "data").n_train == 20


def test_download_from_loopback_http_server(tmp_path: Path) -> None:
    archive = _archive(tmp_path)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{archive.name}"
        folder = download("cifar10-valid", tmp_path / "http", url=url)
        assert sorted(p.name for p in folder.iterdir())[:2] == ["data_batch_1", "data_batch_2"]
        with pytest.raises(NasbenchLabError, match="could not fetch"):
            download("cifar10", tmp_path / "http2", url=url + ".missing")
    finally:
        server.shutdown()
        server.server_close()


def test_download_rejects_bad_checksum_and_unknown_dataset(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    with pytest.raises(NasbenchLabError, match="checksum"):
        download("cifar10", tmp_path / "d", url=archive.as_uri(), md5="0" * 32)
    assert not (tmp_path / "d" / "cifar-10-batches-py").exists()
    with pytest.raises(ConfigError, match="no download"):
        download("ImageNet16-120", tmp_path / "d")
