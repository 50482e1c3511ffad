"""Tests of nasbench_lab/benchmark/commands.py (`nasbench-lab info` and `nasbench-lab query`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import NB201_DIR, nb201_file

from nasbench_lab import cli
from nasbench_lab.benchmark import store
from nasbench_lab.benchmark.commands import format_value
from nasbench_lab.benchmark.errors import BenchmarkNotFoundError
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.space import Arch


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info(capsys: pytest.CaptureFixture[str], synthetic_bench_path: Path) -> None:
    code, out, _ = _run(capsys, "info", str(synthetic_bench_path))
    assert code == 0
    assert str(synthetic_bench_path) in out and " MB" in out
    assert "dataset digits" in out and "recipe synthetic: 12 curve columns" in out
    assert "seeds 777, 888" in out and "coverage 100.0% of runs (31250/31250)" in out
    assert "mapped entries (copied from an isomorphic arch): 0" in out
    assert "proxies: syn_params, syn_quality" in out and "source=synthetic" in out


def test_info_partial(capsys: pytest.CaptureFixture[str], partial_bench_path: Path) -> None:
    code, out, _ = _run(capsys, "info", str(partial_bench_path))
    assert code == 0 and "coverage 50.0% of runs (15625/31250)" in out and "proxies: none" in out


def test_info_default_path(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                           synthetic_bench_path: Path) -> None:
    monkeypatch.setattr(store, "default_benchmark_path", lambda: synthetic_bench_path)
    code, out, _ = _run(capsys, "info")
    assert code == 0 and "dataset digits" in out

    def absent() -> Path:
        raise BenchmarkNotFoundError("the embedded benchmark data/nb201-digits.h5 is absent")

    monkeypatch.setattr(store, "default_benchmark_path", absent)
    code, out, err = _run(capsys, "info")
    assert code == 2 and err.strip().endswith("is absent") and err.count("\n") == 1


def test_query_prints_values(capsys: pytest.CaptureFixture[str], synthetic_bench_path: Path) -> None:
    arch = str(Arch.from_index(42))
    code, out, _ = _run(capsys, "query", "6111", arch, "--dataset", "digits", "--metric", "valid_acc",
                        "--bench", str(synthetic_bench_path))
    assert code == 0
    with Benchmark.open(synthetic_bench_path) as bench:
        expected = [format_value(bench.query(i, "digits", "valid_acc")) for i in (6111, 42)]
        seeded = format_value(bench.query(6111, "digits", "test_acc", epoch=2, seed=888))
        params = format_value(bench.query(7, "digits", "params"))
    assert out.split() == expected
    code, out, _ = _run(capsys, "query", "6111", "--dataset", "digits", "--metric", "test_acc", "--epoch", "2",
                        "--seed", "888", "--recipe", "synthetic", "--bench", str(synthetic_bench_path))
    assert code == 0 and out.strip() == seeded
    code, out, _ = _run(capsys, "query", "7", "--dataset", "digits", "--metric", "params",
                        "--bench", str(synthetic_bench_path))
    assert out.strip() == params


def test_query_random_seed_is_reproducible(capsys: pytest.CaptureFixture[str], synthetic_bench_path: Path) -> None:
    argv = ["query", *map(str, range(20)), "--dataset", "digits", "--metric", "valid_acc", "--seed", "random",
            "--bench", str(synthetic_bench_path)]
    _, first, _ = _run(capsys, *argv)
    _, second, _ = _run(capsys, *argv)
    _, other, _ = _run(capsys, *argv, "--draw-seed", "5")
    assert first == second and first != other
    with Benchmark.open(synthetic_bench_path) as bench:
        per_seed = {s: bench.query_many(np.arange(20), "digits", "valid_acc", seed=s) for s in (777, 888)}
    for i, text in enumerate(first.split()):
        assert text in {format_value(per_seed[777][i]), format_value(per_seed[888][i])}


def test_format_value_significant_digits() -> None:
    assert format_value(float(np.float32(91.60666665039064))) == "91.6067"
    assert format_value(0.5) == "0.5"
    assert format_value(1234.5678, 3) == "1.23e+03"


def test_query_digits(capsys: pytest.CaptureFixture[str], synthetic_bench_path: Path) -> None:
    argv = ["query", "6111", "--dataset", "digits", "--metric", "valid_acc", "--bench", str(synthetic_bench_path)]
    _, out, _ = _run(capsys, *argv, "--digits", "3")
    with Benchmark.open(synthetic_bench_path) as bench:
        assert out.strip() == f"{bench.query(6111, 'digits', 'valid_acc'):.3g}"
    code, _, err = _run(capsys, *argv, "--digits", "0")
    assert code == 2 and "--digits" in err


NWOT = NB201_DIR / "nwot_arch_score_acc.csv"


def test_query_prints_nb201_value_as_published(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The best cifar10-valid arch of the real NB201 table prints as 91.6067 (valid) / 94.3733 (test)."""
    nb201_file(NWOT.name)
    import csv

    from nasbench_lab.benchmark.schema import Recipe
    from nasbench_lab.benchmark.writer import BenchmarkWriter

    with NWOT.open() as fh:
        rows = {int(r["arch"]): r for r in csv.DictReader(fh)}
    valid = np.array([float(rows[i]["valid_top1"]) for i in range(15625)])
    path = tmp_path / "nb.h5"
    with BenchmarkWriter(path) as writer:
        writer.add_recipe("cifar10-valid", Recipe("last", (200.0,)), [0], {"source": "NWOT table (test)"})
        writer.write_curves("cifar10-valid", "last", np.arange(15625), 0, {"valid_acc": valid[:, None]})
    with Benchmark.open(path) as bench:
        assert bench.best("cifar10-valid", "valid_acc")[0] == 6111
    code, out, _ = _run(capsys, "query", "6111", "--dataset", "cifar10-valid", "--metric", "valid_acc",
                        "--bench", str(path))
    assert code == 0 and out.strip() == "91.6067"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dataset", "cifar10"], "valid datasets: digits"),
        (["--epoch", "12"], "outside -12..11"),
        (["--seed", "5"], "its seeds: 777, 888"),
        (["--seed", "first"], "or 'mean' or 'random'"),
        (["--epoch", "\u0663"], "--epoch '\u0663': give a curve column"),
        (["--epoch", "1.5"], "--epoch '1.5'"),
        (["--seed", "-1"], "digits 0-9 only"),
        (["--seed", "\u0663"], "digits 0-9 only"),
        (["--seed", "random", "--draw-seed", "-4"], "--draw-seed '-4'"),
        (["--seed", "random", "--draw-seed", "\u00b2"], "--draw-seed"),
        (["--recipe", "nb201"], "valid recipes: synthetic"),
    ],
)
def test_query_errors_are_one_line(capsys: pytest.CaptureFixture[str], synthetic_bench_path: Path,
                                   extra: list[str], message: str) -> None:
    argv = ["query", "1", "--dataset", "digits", "--metric", "valid_acc", "--bench", str(synthetic_bench_path)]
    code, out, err = _run(capsys, *argv, *extra)
    assert code == 2 and out == ""
    assert err.startswith("nasbench-lab: error:") and message in err and err.count("\n") == 1


@pytest.mark.parametrize("arch", ["\u00b2", "\u0663", "\u0661\u0662", "-1", "+5", "1_0", "15625"])
def test_query_refuses_arch_numbers_that_are_not_indices(
    capsys: pytest.CaptureFixture[str], synthetic_bench_path: Path, arch: str
) -> None:
    argv = ["query", arch, "--dataset", "digits", "--metric", "valid_acc", "--bench", str(synthetic_bench_path)]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and "Traceback" not in err and err.count("\n") == 1, err
    assert "0-9" in err or "outside 0.." in err, err


def test_query_bad_arch_and_missing_entry(capsys: pytest.CaptureFixture[str], partial_bench_path: Path) -> None:
    base = ["--dataset", "digits", "--metric", "valid_acc", "--bench", str(partial_bench_path)]
    code, _, err = _run(capsys, "query", "15625", *base)
    assert code == 2 and "outside 0..15624" in err
    code, _, err = _run(capsys, "query", "|bad~0|", *base)
    assert code == 2 and err.count("\n") == 1
    with Benchmark.open(partial_bench_path) as bench:
        unfilled = int(np.flatnonzero(~bench.filled("digits")[:, 0])[0])
    code, out, err = _run(capsys, "query", str(unfilled), *base, "--seed", "777")
    assert code == 2 and out == ""
    assert f"nasbench-lab fill {partial_bench_path} --dataset digits --recipe synthetic --archs {unfilled} --seeds 777" in err


def test_query_unknown_metric_lists_choices(capsys: pytest.CaptureFixture[str], synthetic_bench_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["query", "1", "--dataset", "digits", "--metric", "acc", "--bench", str(synthetic_bench_path)])
    assert info.value.code == 2
    assert "valid_acc" in capsys.readouterr().err


def test_missing_bench_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "info", str(tmp_path / "nope.h5"))
    assert code == 2 and "no benchmark file" in err


@pytest.mark.parametrize("command", ["info", "query"])
def test_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "BENCH" in out or "--bench" in out
    if command == "query":
        for word in ("valid_acc", "eval_time", "params", "--seed", "random", "mean", "--epoch", "percent", "--digits"):
            assert word in out


def test_info_on_a_file_without_datasets(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from nasbench_lab.benchmark.writer import BenchmarkWriter

    path = tmp_path / "empty.h5"
    with BenchmarkWriter(path):
        pass
    code, out, _ = _run(capsys, "info", str(path))
    assert code == 0 and "(no datasets)" in out and "version 1" in out
