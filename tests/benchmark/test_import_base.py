"""Tests of nasbench_lab/benchmark/import_base.py: imports hold the benchmark's lock, as a fill does."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.benchmark.csv_import import ColumnMap, import_table
from nasbench_lab.benchmark.import_base import locked_writer
from nasbench_lab.benchmark.lock import BenchmarkLockedError
from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.benchmark.store import Benchmark

RECIPE = Recipe(name="r", eval_points=(1.0,))


def _fill_like_writer(out: Path, started: threading.Event, go_on: threading.Event) -> None:
    """What a fill's fold does: lock, copy the file, add a run, commit (here: after the import tried)."""
    with locked_writer(out) as (writer, _):
        writer.add_recipe("d", RECIPE, [0], {"source": "test"})
        writer.write_curves("d", "r", [7], 0, {"valid_acc": np.array([[10.0]])})
        started.set()
        go_on.wait(timeout=30)


def test_an_import_racing_a_fill_like_writer_never_reports_success_and_then_vanishes(tmp_path: Path) -> None:
    out = tmp_path / "b.h5"
    table = tmp_path / "t.csv"
    table.write_text("arch,acc\n6111,91.5\n")
    started, go_on = threading.Event(), threading.Event()
    fill = threading.Thread(target=_fill_like_writer, args=(out, started, go_on))
    fill.start()
    try:
        assert started.wait(timeout=30)
        try:
            import_table(table, out, [ColumnMap("acc", "valid_acc", "d")], recipe="r", epoch=1, seed=0)
            imported = True
        except BenchmarkLockedError as exc:
            assert "is being written by another process" in str(exc)
            imported = False
    finally:
        go_on.set()
        fill.join()
    with Benchmark.open(out) as bench:
        filled = np.flatnonzero(bench.filled("d", "r")[:, 0]).tolist()
    assert 7 in filled  # the fill's entry
    assert imported == (6111 in filled)  # an import that reported success is in the file
    assert not imported  # and the lock refused it while the fill-like writer held the file


def test_locked_writer_releases_the_lock_after_a_failure(tmp_path: Path) -> None:
    out = tmp_path / "b.h5"
    with pytest.raises(RuntimeError), locked_writer(out):
        raise RuntimeError("boom")
    assert not out.exists()
    with locked_writer(out) as (writer, existing):
        assert existing == {}
        writer.add_recipe("d", RECIPE, [0], {"source": "test"})
    with Benchmark.open(out) as bench:
        assert bench.datasets == ["d"]
