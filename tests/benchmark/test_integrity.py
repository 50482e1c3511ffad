"""Tests of nasbench_lab/benchmark/integrity.py: damaged metadata is corruption, never another table.

A byte flipped in a recipe's config attribute, in an object header, or in the root must make ``info``,
``query`` and ``fill-status`` fail with one line naming the damage; before checksums, the first showed a
different config and the others an empty table ("unknown dataset ...; valid datasets: (none)").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.benchmark.errors import BenchmarkFormatError
from nasbench_lab.benchmark.integrity import CHECKSUM_ATTR, CONTENTS_ATTR, attrs_digest
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.writer import BenchmarkWriter
from nasbench_lab.cli import main


def _flip(path: Path, offset: int, out: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    out.write_bytes(bytes(data))
    return out


def _header(path: Path, name: str) -> int:
    with h5py.File(path, "r") as f:
        return int(h5py.h5o.get_info(f[name].id).addr)


def _damaged(synthetic: Path, tmp_path: Path, where: str) -> Path:
    raw = synthetic.read_bytes()
    offsets = {
        "config": raw.find(b'"generator_seed"') + 3,  # a letter of a key of the recipe's config
        "recipe header": _header(synthetic, "digits/synthetic") + 12,
        "dataset header": _header(synthetic, "digits") + 12,
        "root header": _header(synthetic, "/") + 12,
    }
    assert offsets["config"] > 3 and raw.count(b'"generator_seed"') == 1
    return _flip(synthetic, offsets[where], tmp_path / "damaged.h5")


@pytest.mark.parametrize("where", ["config", "recipe header", "dataset header", "root header"])
def test_damaged_metadata_is_reported_by_info_query_and_fill_status(
    synthetic_bench_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    damaged = _damaged(synthetic_bench_path, tmp_path, where)
    commands = [["info", str(damaged)], ["fill-status", str(damaged)],
                ["query", "5", "--dataset", "digits", "--metric", "valid_acc", "--bench", str(damaged)]]
    for argv in commands:
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
        assert "damaged" in lines[0] or "corrupt" in lines[0], lines[0]
        assert "unknown" not in lines[0] and "(none)" not in lines[0]


def test_a_writer_refuses_to_seal_over_damage(synthetic_bench_path: Path, tmp_path: Path) -> None:
    damaged = _damaged(synthetic_bench_path, tmp_path, "config")
    before = damaged.read_bytes()
    with pytest.raises(BenchmarkFormatError, match="do not match their checksum"), BenchmarkWriter(damaged):
        pass
    assert damaged.read_bytes() == before


def _unseal(path: Path) -> Path:
    """What a file written before checksums looks like: no checksum attributes anywhere."""
    with h5py.File(path, "a") as f:
        for obj in (f, f["digits/synthetic"], *f["digits/synthetic/proxies"].values()):
            for name in (CHECKSUM_ATTR, CONTENTS_ATTR):
                if name in obj.attrs:
                    del obj.attrs[name]
    return path


def test_old_files_without_checksums_stay_readable_and_the_next_write_seals_them(
    synthetic_bench_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _unseal(Path(shutil.copyfile(synthetic_bench_path, tmp_path / "old.h5")))
    with Benchmark.open(old) as bench, Benchmark.open(synthetic_bench_path) as sealed:
        assert not bench.sealed and sealed.sealed
        assert np.array_equal(bench.query_many(np.arange(50), "digits", "valid_acc"),
                              sealed.query_many(np.arange(50), "digits", "valid_acc"))
    assert main(["info", str(old)]) == 0
    assert "metadata checksums: none" in capsys.readouterr().out
    with BenchmarkWriter(old):
        pass
    with Benchmark.open(old) as bench:
        assert bench.sealed
    with h5py.File(old, "a") as f:  # once sealed, a lost checksum is damage
        del f["digits/synthetic"].attrs[CHECKSUM_ATTR]
    with pytest.raises(BenchmarkFormatError, match="lost its checksum"), Benchmark.open(old) as bench:
        bench.query(1, "digits", "valid_acc")


def test_a_vanished_recipe_is_damage_not_an_empty_table(synthetic_bench_path: Path, tmp_path: Path) -> None:
    path = Path(shutil.copyfile(synthetic_bench_path, tmp_path / "b.h5"))
    with h5py.File(path, "a") as f:
        del f["digits/synthetic"]
    with pytest.raises(BenchmarkFormatError, match="differ from those it was written with"):
        Benchmark.open(path)


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "config", "seeds"]),
                       st.one_of(st.text(max_size=8), st.integers(-5, 5), st.lists(st.floats(0, 9), max_size=3)),
                       min_size=1))
def test_digest_changes_with_any_attribute(attrs: dict) -> None:
    with h5py.File("mem.h5", "w", driver="core", backing_store=False) as f:
        for key, value in attrs.items():
            f.attrs[key] = np.asarray(value) if isinstance(value, list) else value
        digest = attrs_digest(f.attrs)
        f.attrs[CHECKSUM_ATTR] = "x"
        assert attrs_digest(f.attrs) == digest  # the checksum itself is left out
        key = sorted(attrs)[0]
        f.attrs[key] = "other" if isinstance(attrs[key], str) and attrs[key] == "changed" else "changed"
        assert attrs_digest(f.attrs) != digest
