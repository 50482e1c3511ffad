"""Tests for nasbench_lab/benchmark/importers.py: NATS-Bench / NB201 imports and CSV/TSV tables."""

from __future__ import annotations

import bz2
import collections
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from conftest import nb201_file

from benchmark.nb201_fakes import arch_state
from nasbench_lab.benchmark import importers as imp
from nasbench_lab.benchmark.importers import ImportFormatError, import_nats, import_nb201
from nasbench_lab.benchmark.safe_pickle import UnsafePickleError, load_pbz2
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import Arch, all_indices, ops_matrix

need_shared = nb201_file  # the real NB201 file, or a skip


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


# --------------------------------------------------------------------------- mislabelled, empty and bomb files
def _dir_with(tmp_path: Path, files: dict[int, object]) -> Path:
    folder = tmp_path / "nats"
    folder.mkdir()
    write_pbz2(folder / "meta.pickle.pbz2", meta())
    for index, obj in files.items():
        write_pbz2(folder / f"{index:06d}.pickle.pbz2", obj)
    return folder


def test_an_arch_file_holding_another_archs_record_is_an_error(tmp_path: Path) -> None:
    folder = _dir_with(tmp_path, {3: arch_hps(3), 7: arch_hps(11)})  # 000007 holds arch 11's record
    out = tmp_path / "out.h5"
    with pytest.raises(ImportFormatError, match=r"arch 7: its entry holds the record of arch 11"):
        import_nats(folder, out, progress=False)
    assert not out.exists()


@pytest.mark.parametrize("content", [collections.OrderedDict(), {"90": arch_state(5, "12", SEEDS_12)}, [1, 2],
                                     {"12": {**arch_state(5, "12", SEEDS_12), "all_results": {}}}])
def test_an_arch_file_holding_no_record_is_an_error(tmp_path: Path, content: object) -> None:
    folder = _dir_with(tmp_path, {3: arch_hps(3), 5: content})
    out = tmp_path / "out.h5"
    with pytest.raises(ImportFormatError, match=r"arch 5: its (entry holds no record|hp 12 record holds no runs)"):
        import_nats(folder, out, progress=False)
    assert not out.exists()


def test_a_bz2_bomb_is_refused_after_a_bounded_amount_of_output(tmp_path: Path) -> None:
    folder = _dir_with(tmp_path, {3: arch_hps(3)})
    bomb = bz2.compress(b"\0" * (40 * 2**20))  # 40 MiB of zeros in a few hundred bytes
    assert len(bomb) < 2000
    (folder / "000005.pickle.pbz2").write_bytes(bomb)
    with pytest.raises(UnsafePickleError, match=r"000005\.pickle\.pbz2: decompresses to more than 1,048,576 bytes"):
        import_nats(folder, tmp_path / "out.h5", progress=False)
