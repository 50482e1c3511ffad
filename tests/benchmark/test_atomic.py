"""Tests of nasbench_lab/benchmark/atomic.py: the target is either the old file or the new one."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from nasbench_lab.benchmark.atomic import AtomicH5File
from nasbench_lab.benchmark.errors import BenchmarkFormatError


def _mark(value: str):
    def fresh(file: h5py.File) -> None:
        file.attrs["mark"] = value

    return fresh


def _no_check(file: h5py.File) -> None:
    pass


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp.h5"))


def test_commit_replaces_and_abort_keeps_the_target(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "t.h5"
    atomic = AtomicH5File(target)
    atomic.open(fresh=_mark("first"), check=_no_check)
    assert not target.exists() and len(_temporaries(target.parent)) == 1  # nothing visible before commit
    atomic.commit()
    assert atomic.file is None and _temporaries(target.parent) == []
    other = AtomicH5File(target)
    other.open(fresh=_mark("unused"), check=_no_check).attrs["mark"] = "changed"
    other.abort()  # changes dropped with the copy
    with h5py.File(target, "r") as raw:
        assert raw.attrs["mark"] == "first"
    assert _temporaries(target.parent) == []
    AtomicH5File(target).commit()  # commit without open: no-op


def test_overwrite_starts_empty_and_failed_checks_leave_nothing(tmp_path: Path) -> None:
    target = tmp_path / "t.h5"
    first = AtomicH5File(target)
    first.open(fresh=_mark("first"), check=_no_check)
    first.commit()
    fresh = AtomicH5File(target, overwrite=True)
    fresh.open(fresh=_mark("replaced"), check=_no_check)
    fresh.commit()
    with h5py.File(target, "r") as raw:
        assert raw.attrs["mark"] == "replaced"

    def refuse(file: h5py.File) -> None:
        raise ValueError("not ours")

    with pytest.raises(ValueError, match="not ours"):
        AtomicH5File(target).open(fresh=_mark("unused"), check=refuse)
    assert _temporaries(tmp_path) == []
    target.write_bytes(b"not an HDF5 file")
    with pytest.raises(BenchmarkFormatError, match="cannot open"):
        AtomicH5File(target).open(fresh=_mark("unused"), check=_no_check)
    assert _temporaries(tmp_path) == []


def test_remove_stale_copies_keeps_live_writers(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    target = tmp_path / "t.h5"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    stale = tmp_path / f"t.h5.{int(dead.stdout)}-abcd1234.tmp.h5"
    live = tmp_path / f"t.h5.{os.getpid()}-abcd1234.tmp.h5"
    other = tmp_path / f"other.h5.{int(dead.stdout)}-abcd1234.tmp.h5"
    for path in (stale, live, other):
        path.write_bytes(b"copy")
    from nasbench_lab.benchmark.atomic import remove_stale_copies

    assert remove_stale_copies(target) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
