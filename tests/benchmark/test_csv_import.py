"""Tests of nasbench_lab/benchmark/csv_import.py (CSV/TSV tables of per-arch results)."""

from __future__ import annotations

import bz2
import gzip
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import nb201_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nasbench_lab.benchmark.csv_import import ColumnMap, import_table
from nasbench_lab.benchmark.errors import ImportFormatError
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import Arch


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
    ([["arch", "a"], [0, 150]], [("a", "valid_acc")], {}, ImportFormatError, "outside valid_acc's range 0..100"),
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


# --------------------------------------------------------------------------- real file
def test_real_nwot_csv_best_arch(tmp_path: Path) -> None:
    table = nb201_file("nwot_arch_score_acc.csv")
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


# --------------------------------------------------------------------------- data-entry traps (issue 16)
@pytest.mark.parametrize(("cell", "match"), [
    ("inf", "not a finite number"), ("-inf", "not a finite number"), ("1e999", "not a finite number"),
    ("Infinity", "not a finite number"), ("\u0667\u0660", "not a finite number"), ("1_0", "not a finite number"),
    ("-5", "outside valid_acc's range 0..100"), ("100.5", "outside valid_acc's range 0..100"),
])
def test_csv_refuses_non_finite_and_out_of_domain_accuracies(tmp_path: Path, cell: str, match: str) -> None:
    table = write_table(tmp_path / "t.csv", [["arch", "acc"], [0, 50], [1, cell]])
    with pytest.raises(ImportFormatError, match=match):
        import_table(table, tmp_path / "b.h5", [ColumnMap("acc", "valid_acc", "d")], recipe="r", epoch=1, seed=0)
    assert not (tmp_path / "b.h5").exists()


@pytest.mark.parametrize("metric", ["train_loss", "valid_loss", "train_time", "eval_time", "params", "latency"])
def test_csv_refuses_negative_losses_times_and_costs(tmp_path: Path, metric: str) -> None:
    table = write_table(tmp_path / "t.csv", [["arch", "x"], [0, 1.5], [1, -0.25]])
    with pytest.raises(ImportFormatError, match=f"line 3: column 'x' holds -0.25, outside {metric}'s range"):
        import_table(table, tmp_path / "b.h5", [ColumnMap("x", metric, "d")], recipe="r", epoch=1, seed=0)


def test_csv_refuses_two_columns_mapped_to_one_metric(tmp_path: Path) -> None:
    table = write_table(tmp_path / "t.csv", [["arch", "a", "b"], [0, 50, 60]])
    maps = [ColumnMap("a", "valid_acc", "d"), ColumnMap("b", "valid_acc", "d")]
    with pytest.raises(ConfigError, match="'a' and 'b' both map to d:valid_acc"):
        import_table(table, tmp_path / "b.h5", maps, recipe="r", epoch=1, seed=0)
    other = [ColumnMap("a", "valid_acc", "d"), ColumnMap("b", "valid_acc", "e")]  # other datasets are fine
    assert import_table(table, tmp_path / "b.h5", other, recipe="r", epoch=1, seed=0) == {("d", "r"): 1, ("e", "r"): 1}


def test_csv_refuses_duplicate_headers_and_ragged_rows(tmp_path: Path) -> None:
    maps = [ColumnMap("acc", "valid_acc", "d")]
    dup = write_table(tmp_path / "dup.csv", [["arch", "acc", "acc"], [0, 50, 60]])
    with pytest.raises(ImportFormatError, match="header repeats column 'acc'"):
        import_table(dup, tmp_path / "b.h5", maps, recipe="r", epoch=1, seed=0)
    for row in ([1, 60, 7], [1]):
        ragged = write_table(tmp_path / "ragged.csv", [["arch", "acc"], [0, 50], row])
        with pytest.raises(ImportFormatError, match=f"line 3: {len(row)} fields, the header has 2"):
            import_table(ragged, tmp_path / "b.h5", maps, recipe="r", epoch=1, seed=0)
    assert not (tmp_path / "b.h5").exists()


def test_csv_strips_a_utf8_byte_order_mark(tmp_path: Path) -> None:
    table = tmp_path / "bom.csv"
    table.write_bytes("arch,acc\n6111,91.5\n".encode("utf-8-sig"))
    assert table.read_bytes().startswith(b"\xef\xbb\xbf")
    out = tmp_path / "b.h5"
    import_table(table, out, [ColumnMap("acc", "valid_acc", "d")], recipe="r", epoch=1, seed=0)
    with Benchmark.open(out) as bench:
        assert bench.query(6111, "d", "valid_acc") == pytest.approx(91.5)
