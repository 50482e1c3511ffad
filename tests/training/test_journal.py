"""Tests of nasbench_lab/training/journal.py: the append-only journal and its entry codecs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.benchmark.schema import RunRecord
from nasbench_lab.training.journal import (
    Journal,
    JournalError,
    failure_entry,
    journal_path,
    record_from_json,
    record_to_json,
    run_entry,
)


def _record(arch: int = 3, seed: int = 1) -> RunRecord:
    return RunRecord(
        arch_index=arch,
        seed=seed,
        curves={"valid_acc": np.array([50.0, math.nan, 75.25]), "train_time": np.array([0.1, 0.2, 0.3])},
        eval_time=0.5,
        params=0.0123,
        latency=math.nan,
    )


def test_journal_path_sits_beside_the_benchmark(tmp_path) -> None:
    assert journal_path(tmp_path / "x.h5") == tmp_path / "x.h5.journal"


def test_append_read_clear_remove(tmp_path) -> None:
    journal = Journal(tmp_path / "j")
    assert journal.read() == []
    entries = [run_entry("digits", "r", _record(a)) for a in range(3)] + [failure_entry("digits", "r", 4, 0, 1, "boom")]
    for entry in entries:
        journal.append(entry)
    assert Journal(tmp_path / "j").read() == entries  # another reader sees every fsync'd entry
    journal.clear()
    assert journal.read() == []
    journal.append(entries[0])
    assert journal.read() == entries[:1]
    journal.remove()
    assert not (tmp_path / "j").exists()


@pytest.mark.parametrize("cut", [1, 5, 9, 30, -1])
def test_a_torn_last_line_is_dropped_and_cut_off(tmp_path, cut: int) -> None:
    path = tmp_path / "j"
    with Journal(path) as journal:
        journal.append(run_entry("digits", "r", _record(1)))
        first = path.stat().st_size
        journal.append(run_entry("digits", "r", _record(2)))
    data = path.read_bytes()
    path.write_bytes(data[: first + cut] if cut > 0 else data[:cut])  # the second line torn
    journal = Journal(path)
    assert [e["arch_index"] for e in journal.read()] == [1]
    journal.append(run_entry("digits", "r", _record(5)))  # appending first removes the torn tail
    assert [e["arch_index"] for e in Journal(path).read()] == [1, 5]
    journal.close()


def test_a_last_line_with_a_bad_checksum_is_dropped(tmp_path) -> None:
    path = tmp_path / "j"
    with Journal(path) as journal:
        journal.append(failure_entry("d", "r", 1, 0, 0, "x"))
        journal.append(failure_entry("d", "r", 2, 0, 0, "x"))
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01  # flip a bit inside the last JSON body
    path.write_bytes(bytes(data))
    assert [e["arch_index"] for e in Journal(path).read()] == [1]


def test_corruption_before_the_last_line_is_an_error(tmp_path) -> None:
    path = tmp_path / "j"
    with Journal(path) as journal:
        for arch in range(3):
            journal.append(failure_entry("d", "r", arch, 0, 0, "x"))
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1][:-4]
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(JournalError, match="line 2 is corrupt"):
        Journal(path).read()


def test_record_round_trip_keeps_nan() -> None:
    record = _record()
    back = record_from_json(record_to_json(record))
    np.testing.assert_array_equal(back.curves["valid_acc"], record.curves["valid_acc"])
    assert math.isnan(back.latency) and math.isnan(back.flops)
    assert (back.arch_index, back.seed, back.params, back.eval_time, back.mapped_from) == (3, 1, 0.0123, 0.5, -1)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(allow_infinity=False), min_size=1, max_size=12))
def test_curves_survive_the_journal_exactly(values: list[float]) -> None:
    record = RunRecord(arch_index=0, seed=0, curves={"test_loss": np.array(values)})
    entry = run_entry("digits", "r", record, members=[1, 2], member_latency=[0.1, math.nan])
    back = record_from_json(entry["record"])
    np.testing.assert_array_equal(back.curves["test_loss"], np.array(values))
    assert entry["member_latency"] == [0.1, None]


# --------------------------------------------------------------------------- folding into an HDF5 file
from nasbench_lab.benchmark.schema import Recipe  # noqa: E402
from nasbench_lab.benchmark.store import Benchmark  # noqa: E402
from nasbench_lab.errors import ConfigError  # noqa: E402
from nasbench_lab.training.journal import BenchmarkTarget, merge_failures  # noqa: E402

TINY = Recipe(name="tiny", eval_points=(1.0, 2.0, 3.0), config={"C": 8})
PROVENANCE = {"source": "test"}


def _tiny_record(arch: int, seed: int) -> RunRecord:
    rng = np.random.default_rng([arch, seed])
    return RunRecord(arch_index=arch, seed=seed, curves={"valid_acc": rng.uniform(0, 100, 3)},
                     eval_time=0.1, params=9.0, flops=8.0, latency=0.5)


def test_target_prepare_creates_recipe_seeds_and_figures(tmp_path) -> None:
    target = BenchmarkTarget(tmp_path / "b.h5", PROVENANCE)
    figures = {"params": np.arange(15625) / 1e3, "flops": np.arange(15625) / 1e2}
    target.prepare("digits", TINY, [0], figures)
    target.prepare("digits", TINY, [0, 5], figures)
    filled, seeds = target.filled("digits", "tiny")
    assert seeds == [0, 5] and filled.shape == (15625, 2) and not filled.any()
    with Benchmark.open(tmp_path / "b.h5") as bench:
        assert bench.provenance("digits", "tiny")["source"] == "test"
    with pytest.raises(ConfigError, match="other eval points or config"):
        target.prepare("digits", Recipe(name="tiny", eval_points=(1.0, 2.0, 3.0), config={"C": 16}), [0], None)


def test_fold_stores_runs_mapped_members_and_failures(tmp_path) -> None:
    target = BenchmarkTarget(tmp_path / "b.h5", PROVENANCE)
    target.prepare("digits", TINY, [0, 1], None)
    entries = [
        run_entry("digits", "tiny", _tiny_record(10, 1), members=[20, 30], member_latency=[0.25, math.nan]),
        failure_entry("digits", "tiny", 11, 0, 0, "RuntimeError: a"),
        failure_entry("digits", "tiny", 12, 0, 0, "RuntimeError: b"),
        failure_entry("digits", "tiny", 12, 0, 1, "RuntimeError: c"),
        run_entry("digits", "tiny", _tiny_record(11, 0)),  # the retry of 11 succeeded
    ]
    target.fold(entries)
    target.fold(entries[:1])  # folding again (a crash before the journal was emptied) changes nothing
    with Benchmark.open(tmp_path / "b.h5") as bench:
        filled = bench.filled("digits", "tiny")
        assert sorted(zip(*np.nonzero(filled))) == [(10, 1), (11, 0), (20, 1), (30, 1)]
        assert list(bench.mapped_from("digits", "tiny")[[10, 20, 30], 1]) == [-1, 10, 10]
        curves = bench.curves_many([10, 20, 30], "digits", "valid_acc", seed=1, recipe="tiny")
        latency = bench.query_many([10, 20, 30], "digits", "latency", recipe="tiny", missing="nan")
    np.testing.assert_array_equal(curves[1], curves[0])
    np.testing.assert_array_equal(curves[2], curves[0])
    assert latency[0] == 0.5 and latency[1] == 0.25 and math.isnan(latency[2])
    assert target.failures("digits", "tiny") == [
        {"arch_index": 12, "seed": 0, "attempts": 2, "error": "RuntimeError: c"}
    ]
    target.fold([run_entry("digits", "tiny", _tiny_record(12, 0))])
    assert target.failures("digits", "tiny") == []


def test_merge_failures_counts_attempts_across_folds() -> None:
    first = merge_failures([], [failure_entry("d", "r", 1, 0, 0, "x")])
    second = merge_failures(first, [failure_entry("d", "r", 1, 0, 1, "y"), failure_entry("d", "r", 0, 2, 0, "z")])
    assert second == [
        {"arch_index": 1, "seed": 0, "attempts": 2, "error": "y"},
        {"arch_index": 0, "seed": 2, "attempts": 1, "error": "z"},
    ]
