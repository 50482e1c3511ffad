"""Tests of nasbench_lab/study/commands.py: the ``nasbench-lab study`` command."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from nasbench_lab.cli import main
from nasbench_lab.study.runner import run_study
from nasbench_lab.study.spec import load_spec

REPO = Path(__file__).resolve().parents[2]

SPEC = """
name = "cli"
dataset = "digits"
seeds = 2

[budget]
queries = 8

[[strategies]]
name = "random"

[[strategies]]
name = "evolution"
label = "REA"
population = 4
"""


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "cli.toml"
    path.write_text(SPEC)
    return path


def test_run_prints_summary_and_writes_folder(spec_path: Path, synthetic_bench_path: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["study", "run", str(spec_path), "--bench", str(synthetic_bench_path), "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "| random | 2 |" in printed and "| REA | 2 |" in printed and "(4/4 units)" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec_toml"] == SPEC and manifest["benchmark"]["path"] == str(synthetic_bench_path)
    assert (out / "regret.png").exists()

    assert main(["study", "report", str(out)]) == 0
    assert "| REA | 2 |" in capsys.readouterr().out


def test_rerun_without_resume_is_one_line_error(spec_path: Path, synthetic_bench_path: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    args = ["study", "run", str(spec_path), "--bench", str(synthetic_bench_path), "--out", str(tmp_path / "o"),
            "--no-progress"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and len(err.strip().splitlines()) == 1
    assert main(args + ["--resume"]) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [("dataset = 'digits'\n[budget]\nquerys = 3\n[[strategies]]\nname = 'random'\n", "budget.querys"),
     ("dataset = 'digits'\n[budget]\nqueries = 3\n[[strategies]]\nname = 'nope'\n", "strategies[0].name")],
)
def test_bad_spec_is_one_line_error(tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["study", "run", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("nasbench-lab: error:") and len(err.strip().splitlines()) == 1


def test_report_of_a_non_study_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "report", str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err


def test_quickstart_runs_on_a_given_benchmark(synthetic_bench_path: Path, tmp_path: Path) -> None:
    """The shipped quickstart, on the tests' table (2 of its 10 seeds, to stay fast)."""
    spec = load_spec(REPO / "studies" / "quickstart.toml", benchmark=synthetic_bench_path)
    assert spec.dataset == "digits" and len(spec.seeds) == 10 and spec.benchmark == str(synthetic_bench_path)
    outcome = run_study(dataclasses.replace(spec, seeds=(0, 1)), tmp_path / "qs", progress=False)
    assert outcome.complete and (tmp_path / "qs" / "regret.pdf").exists()
    for label in spec.labels:
        assert f"| {label} | 2 |" in outcome.summary


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["study", "run", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--out", "--workers", "--executor", "--address", "--resume", "--bench"):
        assert option in text
