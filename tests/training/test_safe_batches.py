"""Tests of nasbench_lab/training/safe_batches.py: pickled batches read without running code."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.training.safe_batches import UnsafeBatchError, batch_arrays, load_batch


class _Exploit:
    def __reduce__(self):  # what a tampered batch file would contain
        return (os.system, ("echo pwned > /dev/null",))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_reads_numpy_batches_of_any_protocol(tmp_path: Path, protocol: int) -> None:
    data = np.arange(2 * 3 * 4 * 4, dtype=np.uint8).reshape(2, 48)
    path = tmp_path / "b"
    path.write_bytes(pickle.dumps({b"data": data, b"labels": [3, 4]}, protocol=protocol))
    images, labels = batch_arrays(path, "labels")
    assert images.shape == (2, 3, 4, 4) and images.dtype == np.uint8
    assert np.array_equal(images.reshape(2, 48), data) and labels.tolist() == [3, 4]


def test_refuses_code_in_the_pickle(tmp_path: Path) -> None:
    path = tmp_path / "evil"
    path.write_bytes(pickle.dumps({"data": _Exploit()}))
    with pytest.raises(UnsafeBatchError, match="refusing to load global"):
        load_batch(path)


@pytest.mark.parametrize("payload", [[1, 2, 3], {"labels": [1]}, {"data": np.zeros((2, 10), np.uint8), "labels": [1, 2]}])
def test_rejects_things_that_are_not_image_batches(tmp_path: Path, payload: object) -> None:
    path = tmp_path / "odd"
    path.write_bytes(pickle.dumps(payload))
    with pytest.raises(UnsafeBatchError):
        batch_arrays(path, "labels")


def test_truncated_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "cut"
    path.write_bytes(pickle.dumps({"data": np.zeros((1, 48), np.uint8), "labels": [0]})[:20])
    with pytest.raises(UnsafeBatchError):
        load_batch(path)
