"""Tests for nasbench_lab/benchmark/importers.py: NATS-Bench / NB201 imports and CSV/TSV tables."""

from __future__ import annotations

import bz2
import collections
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from benchmark.nb201_fakes import arch_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nasbench_lab.benchmark import importers as imp
from nasbench_lab.benchmark.importers import ColumnMap, ImportFormatError, import_nats, import_nb201, import_table
from nasbench_lab.benchmark.safe_pickle import UnsafePickleError, load_pbz2
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import Arch, all_indices, ops_matrix

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "nb201"


def need_shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"real NB201 data not found at {path} (../shared/nb201 beside the repo)")
    return path


# --------------------------------------------------------------------------- synthetic records
SEEDS_12 = {"cifar10-valid": [111, 777], "cifar100": [111]}
SEEDS_200 = {"cifar10-valid": [777, 888], "cifar10": [777], "ImageNet16-120": [888]}


def arch_hps(index: int) -> collections.OrderedDict:
    return collections.OrderedDict([("12", arch_state(index, "12", SEEDS_12)),
                                    ("200", arch_state(index, "200", SEEDS_200))])


def meta() -> dict:
    strings = [str(Arch(tuple(ops))) for ops in ops_matrix(all_indices())]
    return {"meta_archs": strings, "total_archs": len(strings), "arch2infos": None, "evaluated_indexes": set()}


def write_pbz2(path: Path, obj: object) -> None:
    path.write_bytes(bz2.compress(pickle.dumps(obj, protocol=4)))


@pytest.fixture(scope="module")
def simple_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("nats-simple")
    write_pbz2(folder / "meta.pickle.pbz2", meta())
    for index in (3, 40, 7000):
        write_pbz2(folder / f"{index:06d}.pickle.pbz2", arch_hps(index))
    return folder


def results_of(index: int, hp: str, dataset: str, seed: int) -> dict:
    seeds = SEEDS_12 if hp == "12" else SEEDS_200
    return arch_state(index, hp, seeds)["all_results"][(dataset, seed)]


# --------------------------------------------------------------------------- recipes
def test_nb201_recipes_are_separate_protocols() -> None:
    short, long = imp.nb201_recipe("12"), imp.nb201_recipe("200")
    assert (short.name, long.name) == ("nb201-12", "nb201-200")
    assert short.eval_points == tuple(float(e) for e in range(1, 13)) and long.n_epochs == 200
    assert long.config["lr"] == 0.1 and long.config["nesterov"] is True and long.config["batch_size"] == 256
    with pytest.raises(ConfigError, match="hp='90'"):
        imp.nb201_recipe("90")


# --------------------------------------------------------------------------- NATS / NB201 imports
def test_import_simple_directory(simple_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench.h5"
    counts = import_nats(simple_dir, out, progress=False)
    assert counts[("cifar10-valid", "nb201-200")] == 3 * 2 and counts[("cifar100", "nb201-12")] == 3
    with Benchmark.open(out) as bench:
        assert bench.datasets == ["ImageNet16-120", "cifar10", "cifar10-valid", "cifar100"]
        assert bench.seeds("cifar10-valid", "nb201-12") == [111, 777]
        assert bench.recipes("cifar100") == ["nb201-12"]
        for index, hp, dataset, seed, key, epoch in [(40, "200", "cifar10-valid", 888, "x-valid", 17),
                                                      (7000, "12", "cifar100", 111, "x-test", 5),
                                                      (3, "200", "ImageNet16-120", 888, "x-valid", 199)]:
            res = results_of(index, hp, dataset, seed)
            metric = "test_acc" if key == "x-test" else "valid_acc"
            got = bench.query(index, dataset, metric, epoch=epoch, seed=seed, recipe=imp.NB201_RECIPES[hp])
            assert got == pytest.approx(res["eval_acc1es"][f"{key}@{epoch}"], rel=1e-6)
        assert math.isnan(bench.query_many([3], "ImageNet16-120", "valid_acc", epoch=100, seed=888,
                                           recipe="nb201-200", missing="nan")[0])
        assert bench.query(3, "cifar10", "params", recipe="nb201-200") == pytest.approx(0.50003, rel=1e-6)
        assert bench.query(3, "cifar10", "train_time", epoch=0, seed=777, recipe="nb201-200") == pytest.approx(12.25)
        assert bench.query(3, "cifar10", "eval_time", seed=777, recipe="nb201-200") == pytest.approx(1.5)
        assert bench.filled("cifar10", "nb201-200").sum() == 3
        assert "NATS-Bench" in bench.provenance("cifar10", "nb201-200")["source"]


def test_import_filters_and_grows_seeds(simple_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench.h5"
    counts = import_nats(simple_dir, out, archs=[40], hps=("200",), datasets=["cifar10"], progress=False)
    assert counts == {("cifar10", "nb201-200"): 1}
    other = tmp_path / "other"
    other.mkdir()
    write_pbz2(other / "meta.pickle.pbz2", meta())
    extra = arch_hps(41)
    extra["200"] = arch_state(41, "200", {"cifar10": [777, 999]})
    write_pbz2(other / "000041.pickle.pbz2", extra)
    import_nats(other, out, hps=("200",), datasets=["cifar10"], progress=False)
    with Benchmark.open(out) as bench:
        assert bench.seeds("cifar10", "nb201-200") == [777, 999]
        assert bench.filled("cifar10", "nb201-200")[[40, 41]].tolist() == [[True, False], [True, True]]


def test_import_single_file_and_pth_agree(simple_dir: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    whole = dict(meta(), arch2infos={i: arch_hps(i) for i in (3, 40)}, evaluated_indexes={3, 40})
    single = tmp_path / "NATS-tss-v1_0-test.pickle.pbz2"
    write_pbz2(single, whole)
    pth = tmp_path / "NAS-Bench-201-v1_0-test.pth"
    infos = {i: {"less": arch_state(i, "12", SEEDS_12), "full": arch_state(i, "200", SEEDS_200)} for i in (3, 40)}
    torch.save(dict(meta(), arch2infos=infos, evaluated_indexes={3, 40}), pth, pickle_protocol=2)
    counts_a = import_nats(single, tmp_path / "a.h5", progress=False)
    counts_b = import_nb201(pth, tmp_path / "b.h5", progress=False)
    assert counts_a == counts_b and counts_a[("cifar10-valid", "nb201-12")] == 4
    with Benchmark.open(tmp_path / "a.h5") as a, Benchmark.open(tmp_path / "b.h5") as b:
        for dataset, recipe in [("cifar10-valid", "nb201-12"), ("ImageNet16-120", "nb201-200")]:
            curves_a = a.curves_many([3, 40], dataset, "valid_acc", seed="mean", recipe=recipe, missing="nan")
            curves_b = b.curves_many([3, 40], dataset, "valid_acc", seed="mean", recipe=recipe, missing="nan")
            np.testing.assert_array_equal(curves_a, curves_b)
        expected = results_of(40, "12", "cifar10-valid", 777)["eval_acc1es"]["ori-test@11"]
        got = b.query(40, "cifar10-valid", "test_acc", seed=777, recipe="nb201-12")
        assert got == pytest.approx(expected, rel=1e-6)


def test_pth_with_foreign_global_is_refused_without_running(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    import os

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    pth = tmp_path / "evil.pth"
    torch.save(dict(meta(), arch2infos={0: Evil()}, evaluated_indexes={0}), pth, pickle_protocol=2)
    with pytest.raises(ImportFormatError, match=r"refused or unreadable.*(posix|os)\.system"):
        import_nb201(pth, tmp_path / "out.h5", progress=False)
    assert not marker.exists() and not (tmp_path / "out.h5").exists()


def test_bad_nats_inputs(simple_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        import_nats(tmp_path / "absent", tmp_path / "out.h5", progress=False)
    with pytest.raises(ImportFormatError, match="no meta.pickle.pbz2"):
        import_nats(tmp_path, tmp_path / "out.h5", progress=False)
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    bad_meta = meta()
    bad_meta["meta_archs"] = bad_meta["meta_archs"][::-1]
    write_pbz2(shuffled / "meta.pickle.pbz2", bad_meta)
    with pytest.raises(ImportFormatError, match="not NB201's topology order"):
        import_nats(shuffled, tmp_path / "out.h5", progress=False)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    write_pbz2(corrupt / "meta.pickle.pbz2", meta())
    (corrupt / "000005.pickle.pbz2").write_bytes(b"BZh91AY&SY" + b"\x17" * 40)
    with pytest.raises(UnsafePickleError, match=r"000005\.pickle\.pbz2: not valid bz2 data"):
        import_nats(corrupt, tmp_path / "out.h5", progress=False)
    assert not (tmp_path / "out.h5").exists()  # nothing half-written
    with pytest.raises(ConfigError, match="unknown NB201 datasets .'cifar-10'.; valid: cifar10-valid"):
        import_nats(simple_dir, tmp_path / "out.h5", datasets=["cifar-10"], progress=False)
    with pytest.raises(ImportFormatError, match="nothing to import"):
        import_nats(simple_dir, tmp_path / "out.h5", archs=[4, 5], progress=False)
    assert not (tmp_path / "out.h5").exists()


def test_reimport_is_idempotent_and_protocol_clash_refused(simple_dir: Path, tmp_path: Path) -> None:
    from nasbench_lab.benchmark.writer import BenchmarkWriter

    out = tmp_path / "bench.h5"
    import_nats(simple_dir, out, archs=[3], progress=False)
    import_nats(simple_dir, out, archs=[3, 40], progress=False)
    with Benchmark.open(out) as bench:
        assert bench.filled("cifar10-valid", "nb201-200")[[3, 40]].all()
    clash = tmp_path / "clash.h5"
    with BenchmarkWriter(clash) as writer:
        writer.add_recipe("cifar10-valid", imp.Recipe("nb201-200", (1.0, 2.0)), [777], {"source": "test"})
    with pytest.raises(ConfigError, match="already exists .* different eval_points"):
        import_nats(simple_dir, clash, progress=False)


def test_progress_bar_on_stderr(simple_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_nats(simple_dir, tmp_path / "bench.h5", archs=[3], progress=True)
    assert "import" in capsys.readouterr().err


# --------------------------------------------------------------------------- CSV / TSV tables
def write_table(path: Path, rows: list[list[object]], delimiter: str = ",") -> Path:
    path.write_text("\n".join(delimiter.join(str(c) for c in row) for row in rows) + "\n")
    return path


TABLE = [["arch", "val", "test", "size"], [0, 80.5, 81.0, 0.1], [str(Arch.from_index(11)), 90.25, 91.0, 0.8],
         [284, "", 70.0, 0.2], [5, "", "", 0.3]]


def test_column_map_parsing() -> None:
    expected = ColumnMap("valid_top1", "valid_acc", "cifar10-valid")
    assert ColumnMap.parse("valid_top1=valid_acc", "cifar10-valid") == expected
    assert ColumnMap.parse("cifar10:test_top1=test_acc", "x") == ColumnMap("test_top1", "test_acc", "cifar10")
    with pytest.raises(ConfigError, match="unknown metric 'top1'"):
        ColumnMap.parse("a=top1", "cifar10")
    with pytest.raises(ConfigError, match="no dataset"):
        ColumnMap.parse("a=valid_acc", None)
    with pytest.raises(ConfigError, match="COLUMN=METRIC"):
        ColumnMap.parse("valid_acc", "cifar10")


def test_csv_import_values_and_merge(tmp_path: Path) -> None:
    table = write_table(tmp_path / "t.csv", TABLE)
    out = tmp_path / "bench.h5"
    maps = [ColumnMap("val", "valid_acc", "d"), ColumnMap("size", "params", "d")]
    assert import_table(table, out, maps, recipe="short", epoch=3, seed=4) == {("d", "short"): 2}
    import_table(table, out, [ColumnMap("test", "test_acc", "d")], recipe="short", epoch=3, seed=4)
    with Benchmark.open(out) as bench:
        assert bench.eval_points("d", "short").tolist() == [1.0, 2.0, 3.0]
        assert bench.query(11, "d", "valid_acc", seed=4) == pytest.approx(90.25)  # kept by the second import
        assert bench.query(11, "d", "test_acc", seed=4) == pytest.approx(91.0)
        assert bench.query(284, "d", "test_acc") == pytest.approx(70.0)
        assert bench.query(5, "d", "params") == pytest.approx(0.3)
        assert bench.filled("d", "short")[[0, 11, 284, 5], 0].tolist() == [True, True, True, False]
        assert math.isnan(bench.query_many([0], "d", "valid_acc", epoch=1, missing="nan")[0])


def test_tsv_and_fraction_units(tmp_path: Path) -> None:
    rows = [["cell", "acc"], [str(Arch.from_index(7)), 0.915], [8, 0.5]]
    table = write_table(tmp_path / "t.tsv", rows, delimiter="\t")
    out = tmp_path / "bench.h5"
    import_table(table, out, [ColumnMap("acc", "valid_acc", "d")], recipe="nb201-12", epoch=12, seed=111,
                 units="fraction", arch_column="cell")
    import gzip

    packed = tmp_path / "t.tsv.gz"
    packed.write_bytes(gzip.compress(table.read_bytes()))
    import_table(packed, out, [ColumnMap("acc", "valid_acc", "e")], recipe="nb201-12", epoch=12, seed=111,
                 units="fraction", arch_column="cell")
    with Benchmark.open(out) as bench:
        assert bench.recipe("d", "nb201-12").config["epochs"] == 12
        assert bench.query(7, "d", "valid_acc") == pytest.approx(91.5)
        assert bench.query(8, "e", "valid_acc") == pytest.approx(50.0)


@pytest.mark.parametrize("rows, maps, kwargs, error, match", [
    (TABLE, [("nope", "valid_acc")], {}, ImportFormatError, r"no column 'nope'; columns are: arch, val, test, size"),
    ([["arch", "a"], [0, 50], ["|bogus~0|+|none~0|none~1|+|none~0|none~1|none~2|", 60]], [("a", "valid_acc")], {},
     ImportFormatError, r"line 3: cannot read the arch .*unknown op 'bogus'"),
    ([["arch", "a"], [0, 50], [15625, 60]], [("a", "valid_acc")], {}, ImportFormatError,
     r"line 3: .*outside 0\.\.15624"),
    ([["arch", "a"], [0, 50], [0, 60]], [("a", "valid_acc")], {}, ImportFormatError,
     r"line 3: arch 0 already given on line 2"),
    ([["arch", "a"], [0, "high"]], [("a", "valid_acc")], {}, ImportFormatError, r"line 2: column 'a' holds 'high'"),
    ([["arch", "a"], [0, 91.5]], [("a", "valid_acc")], {"units": "fraction"}, ConfigError, "use --units percent"),
    ([["arch", "a"], [0, 0.9]], [("a", "valid_acc")], {}, ConfigError, "use --units fraction"),
    ([["arch", "a"], [0, 150]], [("a", "valid_acc")], {}, ConfigError, "outside 0..100"),
    ([["arch", "a"], [0, 50]], [("a", "valid_acc")], {"units": "ratio"}, ConfigError, "unknown units 'ratio'"),
    ([["arch", "a"], [0, 50]], [("a", "valid_acc")], {"epoch": 2.5, "recipe": "nb201-12"}, ConfigError,
     "not an eval point of recipe 'nb201-12'"),
])
def test_csv_bad_input(tmp_path: Path, rows, maps, kwargs, error, match) -> None:
    table = write_table(tmp_path / "t.csv", rows)
    options = {"recipe": "r", "epoch": 1, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        import_table(table, tmp_path / "out.h5", [ColumnMap(c, m, "d") for c, m in maps], **options)
    assert not (tmp_path / "out.h5").exists()


# Percent values above 1: a "percent" column that never exceeds 1 is refused by design.
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.dictionaries(st.integers(0, 15624), st.floats(1.5, 100.0), min_size=1, max_size=20),
       fraction=st.booleans(), as_string=st.booleans(), epoch=st.integers(1, 12))
def test_csv_round_trip_property(tmp_path_factory: pytest.TempPathFactory, rows: dict[int, float], fraction: bool,
                                 as_string: bool, epoch: int) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    body = [["arch", "acc"]] + [[str(Arch.from_index(i)) if as_string else i, repr(v / 100 if fraction else v)]
                                for i, v in rows.items()]
    table = write_table(folder / "t.csv", body)
    import_table(table, folder / "b.h5", [ColumnMap("acc", "test_acc", "d")], recipe="r", epoch=epoch, seed=3,
                 units="fraction" if fraction else "percent")
    with Benchmark.open(folder / "b.h5") as bench:
        got = bench.query_many(list(rows), "d", "test_acc", epoch=epoch - 1, seed=3)
        np.testing.assert_allclose(got, list(rows.values()), rtol=1e-6)
        assert bench.filled("d", "r").sum() == len(rows)


def test_csv_missing_and_binary_files(tmp_path: Path) -> None:
    maps = [ColumnMap("a", "valid_acc", "d")]
    with pytest.raises(FileNotFoundError, match="no such file"):
        import_table(tmp_path / "absent.csv", tmp_path / "out.h5", maps, recipe="r", epoch=1, seed=0)
    binary = tmp_path / "t.csv"
    binary.write_bytes(bz2.compress(b"arch,a\n0,1\n"))
    with pytest.raises(ImportFormatError, match="not a readable CSV/TSV"):
        import_table(binary, tmp_path / "out.h5", maps, recipe="r", epoch=1, seed=0)


# --------------------------------------------------------------------------- real files
def test_real_nats_sample_matches_records(tmp_path: Path) -> None:
    sample = need_shared("nats-tss-simple-sample")
    out = tmp_path / "nats.h5"
    counts = import_nats(sample, out, progress=False)
    assert counts[("cifar10-valid", "nb201-200")] == 9 and counts[("cifar10-valid", "nb201-12")] == 6
    checks = [  # (arch, hp, dataset, seed, metric, file key, epoch)
        (11, "200", "cifar10-valid", 999, "valid_acc", "x-valid", 199),
        (11, "200", "cifar10-valid", 777, "valid_acc", "x-valid", 37),
        (0, "200", "cifar10-valid", 888, "test_acc", "ori-test", 199),
        (284, "200", "cifar10", 777, "test_acc", "ori-test", 120),
        (284, "200", "cifar100", 888, "valid_acc", "x-valid", 199),
        (0, "200", "ImageNet16-120", 999, "test_acc", "x-test", 199),
        (11, "12", "cifar10-valid", 111, "valid_acc", "x-valid", 5),
        (284, "12", "ImageNet16-120", 111, "test_loss", "x-test", 11),
    ]
    with Benchmark.open(out) as bench:
        assert bench.seeds("cifar10-valid", "nb201-200") == [777, 888, 999]
        assert bench.seeds("cifar10-valid", "nb201-12") == [111, 777]
        for index, hp, dataset, seed, metric, key, epoch in checks:
            res = load_pbz2(sample / f"{index:06d}.pickle.pbz2")[hp]["all_results"][(dataset, seed)]
            table = res["eval_losses"] if metric.endswith("loss") else res["eval_acc1es"]
            got = bench.query(index, dataset, metric, epoch=epoch, seed=seed, recipe=imp.NB201_RECIPES[hp])
            assert got == pytest.approx(float(table[f"{key}@{epoch}"]), rel=1e-6)
            train = bench.query(index, dataset, "train_acc", epoch=epoch, seed=seed, recipe=imp.NB201_RECIPES[hp])
            assert train == pytest.approx(float(res["train_acc1es"][epoch]), rel=1e-6)
        res = load_pbz2(sample / "000011.pickle.pbz2")["200"]["all_results"][("cifar100", 777)]
        for metric, value in (("params", res["params"]), ("flops", res["flop"]), ("latency", res["latency"][0])):
            assert bench.query(11, "cifar100", metric, recipe="nb201-200") == pytest.approx(float(value), rel=1e-6)
        # cifar100's x-valid kept only the last epoch of the 200-epoch runs: NaN before it.
        curve = bench.curve(11, "cifar100", "valid_acc", seed=777, recipe="nb201-200")
        assert np.isnan(curve[:-1]).all()
        assert curve[-1] == pytest.approx(float(res["eval_acc1es"]["x-valid@199"]), rel=1e-6)


def test_real_nwot_csv_best_arch(tmp_path: Path) -> None:
    table = need_shared("nwot_arch_score_acc.csv")
    out = tmp_path / "nwot.h5"
    maps = [ColumnMap.parse(t, "cifar10-valid") for t in
            ("valid_top1=valid_acc", "valid_test_top1=test_acc", "params=params", "cifar10:test_top1=test_acc",
             "cifar10:params=params")]
    counts = import_table(table, out, maps, recipe="nb201-200", epoch=200, seed=0)
    assert counts == {("cifar10-valid", "nb201-200"): 15625, ("cifar10", "nb201-200"): 15625}
    with Benchmark.open(out) as bench:
        best, value = bench.best("cifar10-valid", "valid_acc")
        assert (best, round(value, 4)) == (6111, 91.6067)
        assert round(bench.query(6111, "cifar10", "test_acc"), 4) == 94.3733
        assert bench.query(0, "cifar10-valid", "params") == pytest.approx(0.129306, rel=1e-6)
