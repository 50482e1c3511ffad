"""Tests of nasbench_lab/benchmark/writer.py (BenchmarkWriter)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nasbench_lab.benchmark.errors import BenchmarkFormatError
from nasbench_lab.benchmark.schema import CURVE_METRICS, FORMAT_VERSION, Recipe, RunRecord
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.writer import BenchmarkWriter
from nasbench_lab.errors import ArchError, ConfigError

RECIPE = Recipe("r", (0.5, 1.0, 2.0, 3.0), {"batch": 64})
PROV = {"source": "unit test", "device": "cpu"}


def _curve(start: float) -> np.ndarray:
    return start + np.arange(4, dtype=np.float64)


def _new(path: Path, seeds: list[int] = [0, 1]) -> None:  # noqa: B006 - read only
    with BenchmarkWriter(path) as writer:
        writer.add_recipe("d", RECIPE, seeds, PROV)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp.h5"))


def test_new_file_layout(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "nasbench-lab" and f.attrs["format_version"] == FORMAT_VERSION
        assert f.attrs["n_archs"] == 15625 and f.attrs["created"] and f.attrs["code_version"]
        group = f["d/r"]
        assert Recipe.from_attrs(group.attrs) == RECIPE
        assert list(group.attrs["seeds"]) == [0, 1] and group.attrs["seeds"].dtype == np.int64
        assert group.attrs["source"] == "unit test" and group.attrs["device"] == "cpu" and group.attrs["date"]
        for name in CURVE_METRICS:
            dset = group[name]
            assert dset.shape == (15625, 2, 4) and dset.dtype == np.float32 and dset.compression == "gzip"
            assert dset.compression_opts == 1 and dset.shuffle and dset.fletcher32
            assert dset.chunks == (512, 2, 4)
        assert group["eval_time"].shape == (15625, 2) and group["filled"].dtype == bool
        assert group["mapped_from"].dtype == np.int32 and group["mapped_from"][0, 0] == -1
        assert group["params"].shape == (15625,) and np.isnan(group["params"][0])
        assert not group["filled"][...].any() and np.isnan(group["valid_acc"][7, 1, 2])
        assert isinstance(group["proxies"], h5py.Group)
    assert _leftovers(tmp_path) == []


def test_write_runs_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    records = [
        RunRecord(3, 1, {"valid_acc": _curve(50), "train_time": np.ones(4)}, eval_time=0.25, params=1.2,
                  flops=30.0, latency=0.01),
        RunRecord(600, 0, {"test_acc": _curve(70)}, mapped_from=3),
    ]
    with BenchmarkWriter(path) as writer:
        assert writer.write_runs("d", "r", iter(records)) == 2
    with h5py.File(path, "r") as f:
        g = f["d/r"]
        np.testing.assert_array_equal(g["valid_acc"][3, 1], _curve(50))
        assert np.isnan(g["valid_acc"][3, 0]).all() and np.isnan(g["test_acc"][3, 1]).all()
        np.testing.assert_array_equal(g["test_acc"][600, 0], _curve(70))
        assert g["eval_time"][3, 1] == 0.25 and np.isnan(g["eval_time"][600, 0])
        assert g["filled"][3, 1] and g["filled"][600, 0] and g["filled"][...].sum() == 2
        assert g["mapped_from"][600, 0] == 3 and g["mapped_from"][3, 1] == -1
        assert g["params"][3] == pytest.approx(1.2) and np.isnan(g["params"][600])
        assert g["latency"][3] == pytest.approx(0.01)


def test_later_record_wins_and_missing_curves_become_nan(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with BenchmarkWriter(path) as writer:
        writer.write_runs("d", "r", [RunRecord(3, 0, {"valid_acc": _curve(1), "test_acc": _curve(2)}, params=5.0)])
    with BenchmarkWriter(path) as writer:
        writer.write_runs("d", "r", [RunRecord(3, 0, {"valid_acc": _curve(10)}), RunRecord(3, 0, {"valid_acc": _curve(20)})])
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["d/r/valid_acc"][3, 0], _curve(20))
        assert np.isnan(f["d/r/test_acc"][3, 0]).all()  # the run was replaced as a whole
        assert f["d/r/params"][3] == 5.0  # NaN params in a record do not erase known ones


def test_write_curves_vectorised_with_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    idx = np.array([15624, 0, 700, 0])
    valid = np.arange(16, dtype=np.float64).reshape(4, 4)
    with BenchmarkWriter(path) as writer:
        n = writer.write_curves("d", "r", idx, 1, {"valid_acc": valid}, eval_time=np.array([1.0, 2.0, 3.0, 4.0]))
    assert n == 3
    with h5py.File(path, "r") as f:
        g = f["d/r"]
        np.testing.assert_array_equal(g["valid_acc"][0, 1], valid[3])
        np.testing.assert_array_equal(g["valid_acc"][15624, 1], valid[0])
        np.testing.assert_array_equal(g["eval_time"][[0, 700, 15624], 1], [4.0, 3.0, 1.0])
        assert g["filled"][...].sum() == 3


def test_write_arrays_masks_unfilled_runs(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    rng = np.random.default_rng(0)
    valid = rng.random((15625, 2, 4)).astype(np.float32)
    filled = rng.random((15625, 2)) < 0.3
    with BenchmarkWriter(path) as writer:
        writer.write_arrays("d", "r", curves={"valid_acc": valid}, filled=filled, eval_time=np.ones((15625, 2)))
        with pytest.raises(ConfigError, match="shape"):
            writer.write_arrays("d", "r", curves={"valid_acc": valid[:10]}, filled=filled)
        with pytest.raises(ConfigError, match="unknown curve"):
            writer.write_arrays("d", "r", curves={"acc": valid}, filled=filled)
    with h5py.File(path, "r") as f:
        stored = f["d/r/valid_acc"][...]
        np.testing.assert_array_equal(stored[filled], valid[filled])
        assert np.isnan(stored[~filled]).all() and np.isnan(f["d/r/eval_time"][...][~filled]).all()
        np.testing.assert_array_equal(f["d/r/filled"][...], filled)


def test_arch_metrics(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with BenchmarkWriter(path) as writer:
        writer.write_arch_metrics("d", "r", [4, 2], params=[0.4, 0.2], latency=np.array([1.0, 2.0]))
        with pytest.raises(ConfigError, match="shape"):
            writer.write_arch_metrics("d", "r", [4, 2], flops=[1.0])
        with pytest.raises(ArchError):
            writer.write_arch_metrics("d", "r", [15625], flops=[1.0])
    with Benchmark.open(path) as bench:
        np.testing.assert_allclose(bench.query_many([2, 4], "d", "params"), [0.2, 0.4])
        np.testing.assert_allclose(bench.query_many([2, 4], "d", "latency"), [2.0, 1.0])


# --------------------------------------------------------------------------- recipes and seeds
def test_add_recipe_is_idempotent_and_refuses_conflicts(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with BenchmarkWriter(path) as writer:
        writer.add_recipe("d", RECIPE, [0, 1], {"source": "later", "device": "gpu"})  # same recipe: no-op
        for recipe, seeds, what in [
            (Recipe("r", (1.0, 2.0)), [0, 1], "eval_points"),
            (Recipe("r", RECIPE.eval_points, {"batch": 128}), [0, 1], "config"),
            (RECIPE, [0, 1, 2], "add_seeds"),
        ]:
            with pytest.raises(ConfigError, match=what):
                writer.add_recipe("d", recipe, seeds, PROV)
    with h5py.File(path, "r") as f:
        assert f["d/r"].attrs["source"] == "unit test"  # the first provenance is kept


@pytest.mark.parametrize(
    ("dataset", "seeds", "prov", "match"),
    [
        ("a/b", [0], PROV, "dataset name"),
        ("", [0], PROV, "dataset name"),
        ("d", [], PROV, "at least one seed"),
        ("d", [0, 0], PROV, "distinct"),
        ("d", [0.5], PROV, "integers"),
        ("d", [True], PROV, "integers"),
        ("d", [0], {"device": "cpu"}, "source"),
        ("d", [0], {"source": "x", "seeds": "1"}, "reserved"),
    ],
)
def test_add_recipe_bad_input(tmp_path: Path, dataset: str, seeds: list, prov: dict, match: str) -> None:
    with BenchmarkWriter(tmp_path / "b.h5") as writer, pytest.raises(ConfigError, match=match):
        writer.add_recipe(dataset, RECIPE, seeds, prov)


def test_add_seeds_grows_the_seed_axis(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with BenchmarkWriter(path) as writer:
        writer.write_runs("d", "r", [RunRecord(3, 1, {"valid_acc": _curve(5)})])
        writer.add_seeds("d", "r", [1, 7])
        writer.write_runs("d", "r", [RunRecord(3, 7, {"valid_acc": _curve(9)})])
    with Benchmark.open(path) as bench:
        assert bench.seeds("d") == [0, 1, 7]
        assert bench.filled("d").shape == (15625, 3)
        assert bench.query(3, "d", "valid_acc", seed=1) == 8.0
        assert bench.query(3, "d", "valid_acc", seed=7) == 12.0
        assert bench.query(3, "d", "valid_acc") == 10.0


def test_write_runs_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with BenchmarkWriter(path) as writer:
        with pytest.raises(ConfigError, match="add_seeds"):
            writer.write_runs("d", "r", [RunRecord(3, 5, {"valid_acc": _curve(5)})])
        with pytest.raises(ConfigError, match="needs \\(4,\\)"):
            writer.write_runs("d", "r", [RunRecord(3, 0, {"valid_acc": np.ones(3)})])
        with pytest.raises(ConfigError, match="unknown curve metric"):
            writer.write_runs("d", "r", [RunRecord(3, 0, {"accuracy": _curve(1)})])
        with pytest.raises(ConfigError, match="add_recipe"):
            writer.write_runs("d", "other", [])


# --------------------------------------------------------------------------- proxies
def test_write_proxy(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with BenchmarkWriter(path) as writer:
        writer.write_proxy("d", "r", "synflow", [1, 2], 0, np.array([1.0, np.nan]), np.array([0.1, 0.2]), {"bs": 64})
        writer.write_proxy("d", "r", "synflow", [1], 3, np.array([3.0]), np.array([0.3]), {"bs": 64})
        with pytest.raises(ConfigError, match="another proxy name"):
            writer.write_proxy("d", "r", "synflow", [1], 0, np.array([1.0]), np.array([0.1]), {"bs": 32})
        with pytest.raises(ConfigError, match="finite"):
            writer.write_proxy("d", "r", "snip", [1], 0, np.array([1.0]), np.array([np.nan]), {})
    with h5py.File(path, "r") as f:
        sub = f["d/r/proxies/synflow"]
        assert list(sub.attrs["proxy_seeds"]) == [0, 3] and sub["score"].shape == (15625, 2)
        assert sub["score"].dtype == np.float64 and '"bs": 64' in sub.attrs["settings"]
    with Benchmark.open(path) as bench:
        np.testing.assert_allclose(bench.proxy([1], "d", "synflow"), [2.0])
        assert np.isnan(bench.proxy([2], "d", "synflow")[0])
        np.testing.assert_allclose(bench.proxy_time([1, 2], "d", "synflow"), [0.2, 0.2])


# --------------------------------------------------------------------------- atomicity
def test_exception_leaves_target_untouched(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="boom"), BenchmarkWriter(path) as writer:
        writer.write_runs("d", "r", [RunRecord(3, 0, {"valid_acc": _curve(5)})])
        raise RuntimeError("boom")
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_exception_on_new_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new.h5"
    with pytest.raises(ConfigError), BenchmarkWriter(path) as writer:
        writer.add_recipe("d", RECIPE, [], PROV)
    assert not path.exists() and _leftovers(tmp_path) == []


def test_overwrite_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with BenchmarkWriter(path, overwrite=True) as writer:
        writer.add_recipe("e", RECIPE, [0], PROV)
    with Benchmark.open(path) as bench:
        assert bench.datasets == ["e"]


def test_refuses_corrupt_target_and_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    path.write_bytes(b"not an hdf5 file at all")
    with pytest.raises(BenchmarkFormatError, match="cannot open"), BenchmarkWriter(path):
        pass
    assert path.read_bytes() == b"not an hdf5 file at all" and _leftovers(tmp_path) == []
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f.attrs["format"] = "other"
    with pytest.raises(BenchmarkFormatError, match="not a nasbench-lab"), BenchmarkWriter(foreign):
        pass
    assert _leftovers(tmp_path) == []


def test_writer_must_be_open(tmp_path: Path) -> None:
    writer = BenchmarkWriter(tmp_path / "b.h5")
    with pytest.raises(ConfigError, match="not open"):
        writer.add_recipe("d", RECIPE, [0], PROV)


def test_new_files_keep_free_space_across_sessions(tmp_path: Path) -> None:
    """Space freed by rewritten chunks is tracked in the file, so later writers can reuse it."""
    path = tmp_path / "b.h5"
    _new(path)
    with h5py.File(path, "r") as f:
        _strategy, persist, _threshold = f.id.get_create_plist().get_file_space_strategy()
    assert persist


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    runs=st.lists(
        st.tuples(st.integers(0, 15624), st.sampled_from([0, 1]),
                  st.lists(st.floats(0, 100, width=32), min_size=4, max_size=4)),
        min_size=1, max_size=20,
    )
)
def test_runs_round_trip_property(tmp_path_factory: pytest.TempPathFactory, runs: list) -> None:
    """Whatever runs are written (duplicates included: the last wins), reading gives them back."""
    path = tmp_path_factory.mktemp("prop") / "b.h5"
    _new(path)
    with BenchmarkWriter(path) as writer:
        writer.write_runs("d", "r", [RunRecord(a, s, {"valid_acc": np.array(v)}) for a, s, v in runs])
    expected = {(a, s): v for a, s, v in runs}
    with Benchmark.open(path) as bench:
        filled = bench.filled("d")
        assert filled.sum() == len(expected)
        for (arch, seed), values in expected.items():
            assert filled[arch, seed]
            np.testing.assert_array_equal(bench.curve(arch, "d", "valid_acc", seed=seed), np.float32(values))


def test_write_proxy_and_sources_bad_input_leave_nothing(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with BenchmarkWriter(path) as writer:
        for kwargs, match in [
            ({"scores": np.array([np.inf])}, "infinite"),
            ({"times": np.array([np.nan])}, "finite"),
            ({"scores": np.array([1.0, 2.0])}, "shape"),
            ({"seed": 0.5}, "integer"),
        ]:
            args = {"scores": np.array([1.0]), "times": np.array([0.1]), "seed": 0} | kwargs
            with pytest.raises(ConfigError, match=match):
                writer.write_proxy("d", "r", "p", [1], args["seed"], args["scores"], args["times"], {})
        with pytest.raises(ConfigError, match="neither -1"):
            writer.write_curves("d", "r", [1], 0, {}, mapped_from=np.array([15625]))
        with pytest.raises(ConfigError, match="not a seed"):
            writer.write_curves("d", "r", [1], "0", {})  # type: ignore[arg-type]
    with Benchmark.open(path) as bench:
        assert bench.proxy_names("d") == [] and not bench.filled("d").any()


def test_recipe_json_attr_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "b.h5"
    _new(path)
    with BenchmarkWriter(path) as writer:
        assert writer.recipe_json_attr("d", "r", "fill_failures", []) == []
        writer.set_recipe_json_attr("d", "r", "fill_failures", [{"arch_index": 3, "seed": 1, "attempts": 2}])
    with Benchmark.open(path) as bench:
        assert bench.fill_failures("d") == [{"arch_index": 3, "seed": 1, "attempts": 2}]
    with BenchmarkWriter(path) as writer:
        assert writer.recipe_json_attr("d", "r", "fill_failures", []) == [{"arch_index": 3, "seed": 1, "attempts": 2}]
        writer.set_recipe_json_attr("d", "r", "fill_failures", [])
    with h5py.File(path, "r") as raw:
        assert "fill_failures" not in raw["d/r"].attrs
    with Benchmark.open(path) as bench:
        assert bench.fill_failures("d") == []
    with BenchmarkWriter(path) as writer, pytest.raises(ConfigError, match="add_recipe"):
        writer.recipe_json_attr("d", "other", "x", None)
