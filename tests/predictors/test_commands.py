"""Tests of nasbench_lab/predictors/commands.py through the ``nasbench-lab`` entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nasbench_lab.cli import main

SPECS = Path(__file__).resolve().parents[2] / "predictors"
SMALL = ["--dataset", "digits", "--train-sizes", "10,30", "--test-size", "30", "--trials", "2",
         "--fidelities", "2,4", "--no-progress"]


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["predictors", "evaluate", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ("--bench", "--dataset", "--train-sizes", "--fidelities", "--workers", "--out", "TOML"):
        assert option in text


def test_evaluate_writes_csv_summary_and_plots(synthetic_bench_path, tmp_path, capsys):
    out = tmp_path / "eval"
    code = main(["predictors", "evaluate", str(SPECS / "early_stop.toml"),
                 "--bench", str(synthetic_bench_path), "--out", str(out), *SMALL])
    assert code == 0
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["predictor"] for r in rows} == {"early_stop"}
    assert len(rows) == 2 * 2 and all(r["status"] == "ok" for r in rows)  # 2 trials x 2 fidelities
    summary = json.loads((out / "summary.json").read_text())
    assert summary["protocol"]["fidelities"] == [2, 4] and len(summary["summary"]) == 2
    assert (out / "early_stop" / "kendall_tau.png").stat().st_size > 0
    assert (out / "early_stop" / "scatter.pdf").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "wrote" in printed
    header, *lines = [line for line in printed.splitlines() if not line.startswith("wrote")]
    assert header.split() == ["predictor", "train", "k", "kendall_tau", "s.e.", "failed", "dropped"]
    assert [line.split()[:3] for line in lines] == [["early_stop", "0", "2"], ["early_stop", "0", "4"]]


def test_compare_writes_one_table_and_one_plot(synthetic_bench_path, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["predictors", "compare", "sotle", str(SPECS / "lcsvr.toml"), "sotle",
                 "--bench", str(synthetic_bench_path), "--out", str(out), *SMALL])
    assert code == 0
    with open(out / "comparison.csv") as fh:
        table = list(csv.DictReader(fh))
    # duplicate specs get distinct labels; lcsvr: 2 train sizes x 2 fidelities
    assert [r["predictor"] for r in table] == ["sotle"] * 2 + ["lcsvr"] * 4 + ["sotle#2"] * 2
    assert all(-1 <= float(r["kendall_tau_mean"]) <= 1 for r in table)
    assert (out / "comparison.png").exists() and (out / "comparison.pdf").exists()
    assert "kendall_tau" in capsys.readouterr().out


def test_user_errors_become_one_line(synthetic_bench_path, tmp_path, capsys):
    code = main(["predictors", "evaluate", "no_such_predictor", "--bench", str(synthetic_bench_path),
                 "--out", str(tmp_path), *SMALL])
    assert code == 2
    assert "unknown predictor 'no_such_predictor'" in capsys.readouterr().err
    code = main(["predictors", "evaluate", "sotl", "--bench", str(synthetic_bench_path), "--out", str(tmp_path),
                 "--dataset", "digits", "--test-size", "5"])
    assert code == 2 and "test_size" in capsys.readouterr().err


def test_bad_integer_list_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["predictors", "evaluate", "sotl", "--bench", "b.h5", "--dataset", "d", "--out", str(tmp_path),
              "--train-sizes", "5,x"])
    assert exc.value.code == 2


def _parsed(action: str):
    from nasbench_lab.cli import build_parser

    return build_parser().parse_args(["predictors", action, "x", "--bench", "b.h5", "--dataset", "d", "--out", "o"])


def test_compare_defaults_are_a_quick_run_and_help_says_how_long(capsys):
    quick = _parsed("compare")
    # every trainable predictor is fitted len(train_sizes) x trials times: 2 fits, not 11 x 20
    assert len(quick.train_sizes) * quick.trials <= 2 and quick.test_size <= 100
    full = _parsed("evaluate")
    assert len(full.train_sizes) == 11 and full.trials == 20  # evaluate keeps the NASLib grid
    with pytest.raises(SystemExit):
        main(["predictors", "compare", "--help"])
    assert "about a minute" in capsys.readouterr().out
