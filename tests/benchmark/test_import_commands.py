"""Tests for nasbench_lab/benchmark/import_commands.py: the `nasbench-lab import` CLI and its errors."""

from __future__ import annotations

import bz2
import pickle
from pathlib import Path

import pytest
from conftest import nb201_file

from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.cli import main
from nasbench_lab.space import Arch, all_indices, ops_matrix

NWOT_MAPS = ["--dataset", "cifar10-valid", "--map", "valid_top1=valid_acc", "--map", "valid_test_top1=test_acc",
             "--map", "params=params", "--map", "cifar10:test_top1=test_acc", "--map", "cifar10:params=params"]


need_shared = nb201_file  # the real NB201 file, or a skip


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, match: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("nasbench-lab: error:"), err
    assert "Traceback" not in err
    assert match in lines[0], lines[0]


@pytest.mark.parametrize("argv", [["import", "--help"], ["import", "nats", "--help"], ["import", "nb201", "--help"],
                                  ["import", "csv", "--help"]])
def test_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--out" in out or "KIND" in out
    if argv[1] == "csv":
        assert "[DATASET:]COLUMN=METRIC" in out and "nwot_arch_score_acc.csv" in out


def test_done_when_nwot_csv_then_query(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = need_shared("nwot_arch_score_acc.csv")
    bench = tmp_path / "nb.h5"
    code, out, _ = run_cli(capsys, "import", "csv", table, "--out", bench, "--recipe", "nb201-200", "--epoch", "200",
                           "--seed", "0", *NWOT_MAPS)
    assert code == 0 and "cifar10-valid/nb201-200: 15625 runs" in out
    code, out, err = run_cli(capsys, "query", "6111", "--dataset", "cifar10-valid", "--metric", "valid_acc",
                             "--bench", bench)
    assert code == 0, err
    assert round(float(out.split()[0]), 4) == 91.6067
    code, out, _ = run_cli(capsys, "query", "6111", "--dataset", "cifar10", "--metric", "test_acc", "--bench", bench)
    assert code == 0 and round(float(out.split()[0]), 4) == 94.3733


def test_import_nats_sample_subset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = need_shared("nats-tss-simple-sample")
    bench = tmp_path / "nats.h5"
    code, out, _ = run_cli(capsys, "import", "nats", sample, "--out", bench, "--archs", "11,284", "--hp", "200",
                           "--dataset", "cifar100", "--no-progress")
    assert code == 0 and out.splitlines()[0] == "cifar100/nb201-200: 6 runs"
    with Benchmark.open(bench) as b:
        assert b.datasets == ["cifar100"] and b.recipes("cifar100") == ["nb201-200"]
        assert b.filled("cifar100").sum(axis=1)[[0, 11, 284]].tolist() == [0, 3, 3]


def _simple_dir(folder: Path) -> Path:
    strings = [str(Arch(tuple(ops))) for ops in ops_matrix(all_indices())]
    meta = {"meta_archs": strings, "total_archs": len(strings), "arch2infos": None, "evaluated_indexes": set()}
    folder.mkdir()
    (folder / "meta.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(meta, protocol=4)))
    return folder


def test_bad_inputs_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.h5"
    table = tmp_path / "t.csv"
    table.write_text("arch,acc\n0,50\n|avg_pool_3x3~0|+|none~0|,40\n")
    csv_args = ["--out", out, "--recipe", "r", "--epoch", "1", "--dataset", "d"]
    assert_one_line_error(*run_cli(capsys, "import", "csv", table, *csv_args, "--map", "top1=valid_acc")[::2],
                          "no column 'top1'; columns are: arch, acc")
    assert_one_line_error(*run_cli(capsys, "import", "csv", table, *csv_args, "--map", "acc=valid_acc")[::2],
                          "line 3: cannot read the arch")
    table.write_text("arch,acc\n0,50\n1,60\n")
    assert_one_line_error(*run_cli(capsys, "import", "csv", table, *csv_args, "--map", "acc=valid_acc",
                                   "--units", "fraction")[::2], "use --units percent")
    assert_one_line_error(*run_cli(capsys, "import", "csv", table, *csv_args, "--map", "acc=top1")[::2],
                          "unknown metric 'top1'")
    assert_one_line_error(*run_cli(capsys, "import", "csv", tmp_path / "absent.csv", *csv_args,
                                   "--map", "acc=valid_acc")[::2], "absent.csv: no such file")
    folder = _simple_dir(tmp_path / "nats")
    (folder / "000007.pickle.pbz2").write_bytes(b"BZh9" + b"\x00" * 32)
    assert_one_line_error(*run_cli(capsys, "import", "nats", folder, "--out", out, "--no-progress")[::2],
                          "000007.pickle.pbz2: not valid bz2 data")
    assert_one_line_error(*run_cli(capsys, "import", "nats", folder, "--out", out, "--archs", "x")[::2],
                          "--archs 'x': write a whole number")
    assert_one_line_error(*run_cli(capsys, "import", "nb201", tmp_path / "absent.pth", "--out", out)[::2],
                          "absent.pth: no such file")
    assert not out.exists()
