"""Tests of nasbench_lab/oneshot/commands.py: the ``nasbench-lab oneshot`` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasbench_lab.cli import main

SPEC = """
name = "cli"
dataset = "digits"
seeds = [4]

[search]
epochs = 1
batch_size = 32
train_subset = 32
C = 2

[searcher]
name = "gdas"
"""


def test_run_then_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "cli.toml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    assert main(["oneshot", "run", str(spec), "--out", str(out), "--no-progress", "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "| cli | 1 |" in printed and "results in" in printed and (out / "units" / "seed-4.json").is_file()
    assert main(["oneshot", "report", str(out), "--no-plots"]) == 0
    assert "random search, cli's time" in capsys.readouterr().out
    assert main(["oneshot", "report", str(out), str(out)]) == 0
    assert capsys.readouterr().out.count("| cli | 1 |") == 2
    assert main(["oneshot", "run", str(spec), "--out", str(out), "--no-progress", "--no-plots"]) == 0
    assert "resumed" in capsys.readouterr().err


def test_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(SPEC.replace('name = "gdas"', 'name = "gdas"\ntau_min = -1.0'))
    assert main(["oneshot", "run", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert "searcher.tau_min: must be >=" in capsys.readouterr().err
    assert main(["oneshot", "report", str(tmp_path)]) == 2


def test_searchers_lists_every_method_with_its_paper(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["oneshot", "searchers"]) == 0
    text = capsys.readouterr().out
    for name in ("darts", "gdas", "setn", "enas", "rsps"):
        assert f"## {name}" in text
    assert "ICLR 2019" in text and "| `tau_max` | `10.0` |" in text
