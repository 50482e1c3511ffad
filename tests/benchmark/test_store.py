"""Tests of nasbench_lab/benchmark/store.py (Benchmark, the read side) and its query engine."""

from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.benchmark.errors import (
    BenchmarkFormatError,
    BenchmarkNotFoundError,
    MissingEntryError,
    NoResultsError,
)
from nasbench_lab.benchmark.schema import CURVE_METRICS, Recipe, RunRecord
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.writer import BenchmarkWriter
from nasbench_lab.errors import ArchError, ConfigError, NasbenchLabError
from nasbench_lab.space import Arch

RECIPE = Recipe("hand", (1.0, 2.0, 3.0), {"lr": 0.1}, "hand-written numbers")
SEEDS = [0, 1]


def _record(arch: int, seed: int, valid: list[float], **kwargs: object) -> RunRecord:
    curves = {"valid_acc": np.array(valid), "train_time": np.array([1.0, 2.0, 4.0]) * (seed + 1)}
    return RunRecord(arch_index=arch, seed=seed, curves=curves, eval_time=0.5, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def hand_path(tmp_path: Path) -> Path:
    """A file with exactly known values.

    Arch 5: both seeds (valid 10/20/30 and 12/22/32). Arch 7: seed 1 only (valid 40/NaN/60, test absent).
    Arch 9: seed 0 only, mapped from arch 5. Everything else unfilled. Params of arch 5 and 9 known.
    """
    path = tmp_path / "hand.h5"
    with BenchmarkWriter(path) as writer:
        writer.add_recipe("toy", RECIPE, SEEDS, {"source": "test", "device": "cpu"})
        writer.write_runs("toy", "hand", [
            _record(5, 0, [10, 20, 30], params=1.5, flops=100.0),
            _record(5, 1, [12, 22, 32]),
            _record(7, 1, [40, np.nan, 60]),
            _record(9, 0, [50, 51, 52], mapped_from=5, params=2.0),
        ])
    return path


@pytest.fixture
def hand(hand_path: Path) -> Benchmark:
    with Benchmark.open(hand_path) as bench:
        yield bench


# --------------------------------------------------------------------------- structure
def test_structure(hand: Benchmark) -> None:
    assert hand.datasets == ["toy"]
    assert hand.recipes("toy") == ["hand"]
    assert hand.default_recipe("toy") == "hand"
    assert hand.recipe("toy") == RECIPE
    assert hand.seeds("toy") == SEEDS
    np.testing.assert_array_equal(hand.eval_points("toy"), [1.0, 2.0, 3.0])
    prov = hand.provenance("toy")
    assert prov["source"] == "test" and prov["device"] == "cpu" and prov["code_version"] and prov["date"]
    assert hand.root_attrs["format"] == "nasbench-lab" and hand.root_attrs["n_archs"] == 15625


def test_provenance_holds_only_provenance(tmp_path: Path) -> None:
    path = tmp_path / "p.h5"
    with BenchmarkWriter(path) as writer:
        writer.add_recipe("toy", RECIPE, SEEDS, {"source": "import", "path": "/data/x.pth"})
        # a fill's bookkeeping on the group
        writer.set_recipe_json_attr("toy", "hand", "fill_failures", [{"arch_index": 1, "seed": 0}])
    with Benchmark.open(path) as bench:
        prov = bench.provenance("toy")
    assert set(prov) == {"source", "path", "code_version", "date", "device"}
    assert prov["path"] == "/data/x.pth" and prov["device"] == "unknown"


def test_filled_mapped_coverage(hand: Benchmark) -> None:
    filled = hand.filled("toy")
    assert filled.shape == (15625, 2)
    assert {tuple(x) for x in np.argwhere(filled)} == {(5, 0), (5, 1), (7, 1), (9, 0)}
    mapped = hand.mapped_from("toy")
    assert mapped[9, 0] == 5 and mapped[5, 0] == -1 and (mapped[filled == 0] == -1).all()
    assert hand.coverage("toy") == pytest.approx(4 / 31250)


# --------------------------------------------------------------------------- query
def test_query_mean_seed_and_epoch(hand: Benchmark) -> None:
    assert hand.query(5, "toy", "valid_acc") == pytest.approx(31.0)
    assert hand.query(5, "toy", "valid_acc", epoch=0) == pytest.approx(11.0)
    assert hand.query(5, "toy", "valid_acc", epoch=-2, seed=1) == pytest.approx(22.0)
    assert hand.query(5, "toy", "valid_acc", seed=0, recipe="hand") == pytest.approx(30.0)
    # the mean is over filled seeds only: arch 7 has seed 1 alone
    assert hand.query(7, "toy", "valid_acc") == pytest.approx(60.0)
    assert hand.query(5, "toy", "eval_time") == pytest.approx(0.5)
    assert hand.query(5, "toy", "params", epoch=0) == pytest.approx(1.5)


def test_query_accepts_arch_string_and_value(hand: Benchmark) -> None:
    arch = Arch.from_index(5)
    assert hand.query(arch, "toy", "valid_acc") == hand.query(str(arch), "toy", "valid_acc") == hand.query(
        "5", "toy", "valid_acc"
    )


def test_query_many_matches_query(hand: Benchmark) -> None:
    values = hand.query_many([5, 7, 5, 9], "toy", "valid_acc", epoch=0)
    np.testing.assert_allclose(values, [11.0, 40.0, 11.0, 50.0])
    values = hand.query_many(np.array([5, 9]), "toy", "valid_acc", seed=0)
    np.testing.assert_allclose(values, [30.0, 52.0])
    assert hand.query_many([], "toy", "valid_acc").shape == (0,)


def test_random_seed_draws_only_filled_seeds(hand: Benchmark) -> None:
    rng = np.random.default_rng(0)
    drawn = hand.query_many(np.full(2000, 5), "toy", "valid_acc", seed=None, rng=rng)
    assert set(np.unique(drawn)) == {30.0, 32.0}
    assert 0.4 < np.mean(drawn == 30.0) < 0.6
    only = hand.query_many(np.full(50, 7), "toy", "valid_acc", seed=None, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(only, 60.0)
    again = hand.query_many(np.full(2000, 5), "toy", "valid_acc", seed=None, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(drawn, again)


def test_random_seed_of_unfilled_arch_names_a_drawn_seed(hand_path: Path) -> None:
    with Benchmark.open(hand_path) as bench:
        seeds = set()
        for k in range(20):
            with pytest.raises(MissingEntryError) as info:
                bench.query(6, "toy", "valid_acc", seed=None, rng=np.random.default_rng(k))
            seeds.add(info.value.seed)
    assert seeds == {0, 1}
    filled = []

    def fill(arch: int, dataset: str, recipe: str, seed: int) -> None:
        filled.append(seed)
        with BenchmarkWriter(hand_path) as writer:
            writer.write_runs(dataset, recipe, [_record(arch, seed, [1.0, 2.0, 100.0 + seed])])

    with Benchmark.open(hand_path, fill_missing=fill) as bench:
        value = bench.query(6, "toy", "valid_acc", seed=None, rng=np.random.default_rng(0))
    assert value == 100.0 + filled[0] and len(filled) == 1


def test_unfilled_entry_raises_with_fill_command(hand: Benchmark) -> None:
    with pytest.raises(MissingEntryError) as info:
        hand.query(6, "toy", "valid_acc", seed=1)
    err = info.value
    assert isinstance(err, KeyError) and isinstance(err, NasbenchLabError)
    assert (err.arch_index, err.dataset, err.recipe, err.seed, err.recorded) == (6, "toy", "hand", 1, True)
    assert f"nasbench-lab fill {hand.path} --dataset toy --recipe hand --archs 6 --seeds 1" in str(err)
    with pytest.raises(MissingEntryError, match="seed 1"):
        hand.query(9, "toy", "valid_acc", seed=1)  # arch 9 has seed 0 only
    with pytest.raises(MissingEntryError, match="arch 6"):
        hand.query(6, "toy", "valid_acc")  # mean with no filled seed


def test_unrecorded_value_raises_not_recorded(hand: Benchmark) -> None:
    with pytest.raises(MissingEntryError, match="not recorded") as info:
        hand.query(7, "toy", "valid_acc", epoch=1)
    assert info.value.recorded is False and info.value.seed is None
    with pytest.raises(MissingEntryError, match="not recorded"):
        hand.query(5, "toy", "test_acc", seed=0)
    with pytest.raises(MissingEntryError, match="not recorded"):
        hand.query(7, "toy", "params")


def test_missing_nan_mode(hand: Benchmark) -> None:
    values = hand.query_many([5, 6, 7, 9], "toy", "valid_acc", epoch=1, missing="nan")
    np.testing.assert_array_equal(np.isnan(values), [False, True, True, False])
    with pytest.raises(MissingEntryError, match="2 more"):
        hand.query_many([5, 6, 7, 8], "toy", "valid_acc", epoch=1)


def test_missing_error_pickles() -> None:
    err = MissingEntryError(3, "d", "r", 777, metric="valid_acc", bench="b.h5")
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and back.seed == 777 and back.arch_index == 3


# --------------------------------------------------------------------------- fill_missing
def test_fill_missing_trains_then_answers(hand_path: Path) -> None:
    calls = []

    def fill(arch: int, dataset: str, recipe: str, seed: int) -> None:
        calls.append((arch, dataset, recipe, seed))
        with BenchmarkWriter(hand_path) as writer:
            writer.write_runs(dataset, recipe, [_record(arch, seed, [1.0, 2.0, 3.0 + arch])])

    with Benchmark.open(hand_path, fill_missing=fill) as bench:
        assert bench.query(6, "toy", "valid_acc", seed=1) == pytest.approx(9.0)
        values = bench.query_many([11, 5, 11], "toy", "valid_acc")  # mean: fills the first seed once
        np.testing.assert_allclose(values, [14.0, 31.0, 14.0])
        assert bench.cost(12, "toy") == pytest.approx(7.5)
    assert calls == [(6, "toy", "hand", 1), (11, "toy", "hand", 0), (12, "toy", "hand", 0)]


def test_fill_missing_that_does_not_fill_still_raises(hand_path: Path) -> None:
    calls = []
    with Benchmark.open(hand_path, fill_missing=lambda *a: calls.append(a)) as bench:
        with pytest.raises(MissingEntryError):
            bench.query(6, "toy", "valid_acc", seed=0)
        with pytest.raises(MissingEntryError, match="not recorded"):
            bench.query(7, "toy", "valid_acc", epoch=1)  # filled but unrecorded: nothing to train
    assert calls == [(6, "toy", "hand", 0)]


# --------------------------------------------------------------------------- curves, cost, best
def test_curves(hand: Benchmark) -> None:
    np.testing.assert_allclose(hand.curve(5, "toy", "valid_acc"), [11, 21, 31])
    np.testing.assert_allclose(hand.curve(5, "toy", "valid_acc", seed=1), [12, 22, 32])
    np.testing.assert_array_equal(hand.curve(7, "toy", "valid_acc"), [40, np.nan, 60])  # NaN kept as NaN
    many = hand.curves_many([5, 9], "toy", "valid_acc", epochs=2)
    np.testing.assert_allclose(many, [[11, 21], [50, 51]])
    with pytest.raises(MissingEntryError):
        hand.curve(6, "toy", "valid_acc")
    with pytest.raises(MissingEntryError, match="not recorded"):
        hand.curve(5, "toy", "test_acc")
    assert np.isnan(hand.curves_many([6], "toy", "valid_acc", missing="nan")).all()
    with pytest.raises(ConfigError, match="curve"):
        hand.curve(5, "toy", "params")
    with pytest.raises(ConfigError, match=r"1\.\.3"):
        hand.curves_many([5], "toy", "valid_acc", epochs=4)


def test_cost(hand: Benchmark) -> None:
    # seed 0: train 1+2+4, seed 1: 2+4+8; eval 0.5 each
    assert hand.cost(5, "toy") == pytest.approx((7.5 + 14.5) / 2)
    assert hand.cost(5, "toy", epochs=1) == pytest.approx((1.5 + 2.5) / 2)
    np.testing.assert_allclose(hand.cost_many([5, 9], "toy", epochs=2), [(3.5 + 6.5) / 2, 3.5])
    with pytest.raises(MissingEntryError):
        hand.cost(6, "toy")


def test_best(hand: Benchmark) -> None:
    assert hand.best("toy", "valid_acc") == (7, pytest.approx(60.0))
    assert hand.best("toy", "valid_acc", epoch=0) == (9, pytest.approx(50.0))
    assert hand.best("toy", "train_time", epoch=0) == (9, pytest.approx(1.0))  # minimised
    assert hand.best("toy", "params") == (5, pytest.approx(1.5))
    with pytest.raises(NoResultsError):
        hand.best("toy", "test_acc")


def test_unrecorded_train_time_gives_no_cost(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    with BenchmarkWriter(path) as writer:
        writer.add_recipe("toy", RECIPE, SEEDS, {"source": "test"})
        record = _record(5, 0, [1, 2, 3])
        record.curves["train_time"] = np.array([1.0, np.nan, 1.0])
        writer.write_runs("toy", "hand", [record])
    with Benchmark.open(path) as bench:
        assert bench.cost(5, "toy", epochs=1) == pytest.approx(1.5)
        with pytest.raises(MissingEntryError, match="not recorded"):
            bench.cost(5, "toy", epochs=2)


# --------------------------------------------------------------------------- against raw HDF5
@settings(max_examples=25, deadline=None)
@given(
    indices=st.lists(st.integers(0, 15624), min_size=1, max_size=30),
    epoch=st.integers(-12, 11),
    seed=st.sampled_from(["mean", 777, 888]),
    metric=st.sampled_from(["valid_acc", "test_loss", "train_time"]),
)
def test_query_many_equals_raw_arrays(partial_bench_path: Path, indices: list[int], epoch: int, seed: object,
                                      metric: str) -> None:
    with h5py.File(partial_bench_path, "r") as raw:
        group = raw["digits/synthetic"]
        filled = group["filled"][...]
        values = np.where(filled, group[metric][:, :, epoch], np.nan)[indices]
    if seed == "mean":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # mean of no seeds: NaN expected
            expected = np.nanmean(values, axis=1)
    else:
        expected = values[:, [777, 888].index(seed)]
    with Benchmark.open(partial_bench_path) as bench:
        got = bench.query_many(indices, "digits", metric, epoch=epoch, seed=seed, missing="nan")
        np.testing.assert_allclose(got, expected, rtol=1e-6)
        if np.isnan(expected).any():
            with pytest.raises(MissingEntryError):
                bench.query_many(indices, "digits", metric, epoch=epoch, seed=seed)


def test_proxies(bench: Benchmark) -> None:
    assert bench.proxy_names("digits") == ["syn_params", "syn_quality"]
    with h5py.File(bench.path, "r") as raw:
        score = raw["digits/synthetic/proxies/syn_quality/score"][...]
        time = raw["digits/synthetic/proxies/syn_quality/time"][...]
    idx = np.array([0, 1, 1651, 6111])  # 1651 (all none) is undefined: NaN
    np.testing.assert_allclose(bench.proxy(idx, "digits", "syn_quality"), score[idx].mean(axis=1))
    assert np.isnan(bench.proxy([1651], "digits", "syn_quality")[0])
    np.testing.assert_allclose(bench.proxy(idx, "digits", "syn_quality", seed=1), score[idx, 1])
    np.testing.assert_allclose(bench.proxy_time(idx, "digits", "syn_quality"), time[idx].mean(axis=1))
    np.testing.assert_allclose(bench.proxy_time(idx, "digits", "syn_quality", seed=1), time[idx, 1])
    assert bench.proxy_seeds("digits", "syn_quality") == [0, 1]
    assert isinstance(bench.proxy_settings("digits", "syn_quality"), dict)
    with pytest.raises(ConfigError, match="syn_params, syn_quality"):
        bench.proxy([0], "digits", "synflow")
    with pytest.raises(ConfigError, match="syn_params, syn_quality"):
        bench.proxy_seeds("digits", "synflow")
    with pytest.raises(ConfigError, match="0, 1"):
        bench.proxy([0], "digits", "syn_quality", seed=5)


def test_proxy_not_computed_raises(hand_path: Path) -> None:
    with BenchmarkWriter(hand_path) as writer:
        writer.write_proxy("toy", "hand", "p", [1, 2], 0, np.array([0.5, np.nan]), np.array([0.1, 0.1]), {})
    with Benchmark.open(hand_path) as bench:
        np.testing.assert_array_equal(bench.proxy([1, 2], "toy", "p"), [0.5, np.nan])
        with pytest.raises(MissingEntryError, match="proxies compute"):
            bench.proxy([1, 3], "toy", "p")
        np.testing.assert_array_equal(bench.proxy([1, 3], "toy", "p", missing="nan"), [0.5, np.nan])


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"dataset": "cifar"}, ConfigError, "valid datasets: toy"),
        ({"dataset": "."}, ConfigError, "valid datasets: toy"),
        ({"dataset": "toy/hand"}, ConfigError, "valid datasets: toy"),
        ({"recipe": "hand/valid_acc"}, ConfigError, "valid recipes: hand"),
        ({"metric": "accuracy"}, ConfigError, "valid metrics: train_acc"),
        ({"recipe": "nb201"}, ConfigError, "valid recipes: hand"),
        ({"epoch": 3}, ConfigError, r"outside -3\.\.2"),
        ({"epoch": -4}, ConfigError, "outside"),
        ({"epoch": 1.0}, ConfigError, "integer"),
        ({"epoch": True}, ConfigError, "integer"),
        ({"seed": 2}, ConfigError, "seeds: 0, 1"),
        ({"seed": "first"}, ConfigError, "mean"),
        ({"seed": None}, ConfigError, "rng"),
        ({"arch": 15625}, ArchError, "outside"),
        ({"arch": -1}, ArchError, "outside"),
        ({"arch": "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"}, ArchError, "unknown op"),
        ({"missing": "zero"}, ConfigError, "raise"),
    ],
)
def test_bad_query_arguments(hand: Benchmark, kwargs: dict, error: type, match: str) -> None:
    args = {"arch": 5, "dataset": "toy", "metric": "valid_acc"} | kwargs
    missing = args.pop("missing", None)
    with pytest.raises(error, match=match):
        if missing is None:
            hand.query(**args)
        else:
            hand.query_many([args["arch"]], args["dataset"], args["metric"], missing=missing)


def test_bad_indices(hand: Benchmark) -> None:
    with pytest.raises(ArchError, match="15625"):
        hand.query_many([1, 15625], "toy", "valid_acc")
    with pytest.raises(ArchError):
        hand.query_many([1.5], "toy", "valid_acc")


def test_several_recipes_need_a_name(hand_path: Path) -> None:
    with BenchmarkWriter(hand_path) as writer:
        writer.add_recipe("toy", Recipe("other", (1.0,)), [0], {"source": "test"})
    with Benchmark.open(hand_path) as bench:
        with pytest.raises(ConfigError, match="hand, other"):
            bench.query(5, "toy", "valid_acc")
        assert bench.query(5, "toy", "valid_acc", recipe="hand") == pytest.approx(31.0)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkNotFoundError, match="no benchmark file"):
        Benchmark.open(tmp_path / "absent.h5")


def test_truncated_file(hand_path: Path) -> None:
    data = hand_path.read_bytes()
    hand_path.write_bytes(data[: len(data) // 3])
    with pytest.raises(BenchmarkFormatError, match="truncated or corrupt"):
        Benchmark.open(hand_path)


def test_not_hdf5(tmp_path: Path) -> None:
    path = tmp_path / "x.h5"
    path.write_text("hello")
    with pytest.raises(BenchmarkFormatError):
        Benchmark.open(path)


def test_foreign_hdf5_and_unknown_version(hand_path: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(BenchmarkFormatError, match="not a nasbench-lab benchmark"):
        Benchmark.open(foreign)
    with h5py.File(hand_path, "a") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(BenchmarkFormatError, match="format version 99"):
        Benchmark.open(hand_path)
    with h5py.File(hand_path, "a") as f:
        f.attrs["format_version"] = "one"
    with pytest.raises(BenchmarkFormatError, match="format version one"):
        Benchmark.open(hand_path)
    with h5py.File(hand_path, "a") as f:
        f.attrs["format_version"] = 1
        f.attrs["n_archs"] = 100
    with pytest.raises(BenchmarkFormatError, match="100 archs"):
        Benchmark.open(hand_path)


def test_corrupt_chunk_is_an_error_not_a_number(bench_path: Path) -> None:
    with h5py.File(bench_path, "r") as f:
        info = f["digits/synthetic/valid_acc"].id.get_chunk_info(0)
    with open(bench_path, "r+b") as fh:
        fh.seek(info.byte_offset)
        fh.write(np.random.default_rng(0).bytes(info.size))
    with Benchmark.open(bench_path) as bench, pytest.raises(BenchmarkFormatError, match="truncated or corrupt"):
        bench.query(0, "digits", "valid_acc")


def test_one_flipped_bit_is_an_error_not_a_number(bench_path: Path) -> None:
    """Chunks carry a Fletcher-32 checksum (with LZF and no checksum, this flip changed one value silently)."""
    with h5py.File(bench_path, "r") as f:
        info = f["digits/synthetic/valid_acc"].id.get_chunk_info(3)
    with open(bench_path, "r+b") as fh:
        fh.seek(info.byte_offset + info.size // 2)
        byte = fh.read(1)[0]
        fh.seek(info.byte_offset + info.size // 2)
        fh.write(bytes([byte ^ 0x01]))
    with Benchmark.open(bench_path) as bench:
        assert bench.query(3 * 512, "digits", "valid_loss") > 0  # other arrays are intact
        with pytest.raises(BenchmarkFormatError, match="truncated or corrupt"):
            bench.query(3 * 512, "digits", "valid_acc")


def test_missing_array_is_a_format_error(hand_path: Path) -> None:
    with h5py.File(hand_path, "a") as f:
        del f["toy/hand/valid_loss"]
    with Benchmark.open(hand_path) as bench, pytest.raises(BenchmarkFormatError, match="valid_loss"):
        bench.query(5, "toy", "valid_acc")


# --------------------------------------------------------------------------- lifecycle
def test_reader_keeps_its_snapshot_until_reload(hand_path: Path) -> None:
    with Benchmark.open(hand_path) as bench:
        assert bench.query(5, "toy", "valid_acc", seed=0) == pytest.approx(30.0)
        with BenchmarkWriter(hand_path) as writer:
            writer.write_runs("toy", "hand", [_record(5, 0, [0, 0, 99])])
        assert bench.query(5, "toy", "valid_acc", seed=0) == pytest.approx(30.0)
        bench.reload()
        assert bench.query(5, "toy", "valid_acc", seed=0) == pytest.approx(99.0)


def test_closed_benchmark_refuses(hand_path: Path) -> None:
    bench = Benchmark.open(hand_path)
    bench.close()
    with pytest.raises(ConfigError, match="closed"):
        bench.query(5, "toy", "valid_acc")


def test_synthetic_queries_are_consistent(bench: Benchmark) -> None:
    """query, query_many, curve and best agree with each other on the synthetic file."""
    idx = np.random.default_rng(3).integers(0, 15625, 200)
    many = bench.query_many(idx, "digits", "valid_acc")
    np.testing.assert_allclose(many[:5], [bench.query(int(i), "digits", "valid_acc") for i in idx[:5]])
    np.testing.assert_allclose(bench.curves_many(idx, "digits", "valid_acc")[:, -1], many)
    best_index, best_value = bench.best("digits", "valid_acc")
    assert best_value == pytest.approx(bench.query_many(np.arange(15625), "digits", "valid_acc").max())
    assert bench.query(best_index, "digits", "valid_acc") == pytest.approx(best_value)
    assert set(CURVE_METRICS) <= set(bench.metrics)
    assert os.path.getsize(bench.path) > 0


def test_many_columns_of_one_metric_agree_with_curves(synthetic_bench_path: Path) -> None:
    """Column answers stay the same when the table switches to reading the whole metric."""
    with Benchmark.open(synthetic_bench_path) as bench:
        idx = np.arange(0, 15625, 97)
        columns = np.stack([bench.query_many(idx, "digits", "valid_loss", epoch=e) for e in range(12)], axis=1)
    with Benchmark.open(synthetic_bench_path) as bench:
        np.testing.assert_array_equal(columns, bench.curves_many(idx, "digits", "valid_loss"))


def test_filled_mask_is_authoritative(hand_path: Path) -> None:
    """Values stored in an unfilled run (e.g. by another tool) are never answered."""
    with h5py.File(hand_path, "a") as f:
        f["toy/hand/valid_acc"][6, 0, :] = 50.0
        f["toy/hand/eval_time"][6, 0] = 1.0
    with Benchmark.open(hand_path) as bench:
        with pytest.raises(MissingEntryError):
            bench.query(6, "toy", "valid_acc", seed=0)
        with pytest.raises(MissingEntryError):
            bench.curve(6, "toy", "valid_acc", seed=0)
        assert np.isnan(bench.query_many([6], "toy", "eval_time", missing="nan")[0])
        assert bench.best("toy", "valid_acc", epoch=0)[0] != 6


def test_mean_skips_a_seed_that_did_not_record_the_column(hand_path: Path) -> None:
    with BenchmarkWriter(hand_path) as writer:
        writer.write_runs("toy", "hand", [_record(8, 0, [1, np.nan, 3]), _record(8, 1, [3, 4, 5])])
    with Benchmark.open(hand_path) as bench:
        assert bench.query(8, "toy", "valid_acc", epoch=1) == pytest.approx(4.0)
        assert bench.query(8, "toy", "valid_acc", epoch=2) == pytest.approx(4.0)
        np.testing.assert_allclose(bench.curve(8, "toy", "valid_acc"), [2.0, 4.0, 4.0])
        with pytest.raises(MissingEntryError, match="not recorded"):
            bench.query(8, "toy", "valid_acc", epoch=1, seed=0)
