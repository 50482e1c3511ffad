"""Tests of nasbench_lab/oneshot/runner.py and report.py: output folder, resume, refusal, the table's verdict."""

from __future__ import annotations

import contextlib
import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.benchmark.errors import MissingEntryError
from nasbench_lab.benchmark.store import Benchmark, default_benchmark_path
from nasbench_lab.errors import ConfigError
from nasbench_lab.oneshot.engine import EpochRecord, SeedRun
from nasbench_lab.oneshot.report import Table, random_search_at, read_table, summary_rows
from nasbench_lab.oneshot.runner import report_oneshot, run_oneshot, unit_path
from nasbench_lab.oneshot.spec import spec_from_dict
from nasbench_lab.space import N_ARCHS, Arch

from .conftest import TINY_CANDIDATES, TINY_SEARCH


def _spec(**changes: object):
    table = {"name": "tiny", "dataset": "digits", "seeds": 2, "searcher": {"name": "rsps", **TINY_CANDIDATES},
             "search": TINY_SEARCH}
    return spec_from_dict(table | changes)


def test_a_run_writes_its_folder_judged_by_the_table_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcome = run_oneshot(_spec(), out, executor="inline", progress=False)
    assert (outcome.seeds_done, outcome.seeds_total, outcome.note) == (2, 2, "")
    for name in ("manifest.json", "trajectory.csv", "finals.csv", "summary.csv", "summary.md", "op_share.png",
                 "op_share.pdf", "alpha-seed0.png", "alpha-seed1.pdf", "trajectory.png", "trajectory.pdf"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["format"] == "nasbench-lab-oneshot" and manifest["search_config"]["C"] == 2
    rows = list(csv.DictReader((out / "trajectory.csv").open()))
    assert [(r["seed"], r["epoch"]) for r in rows] == [("0", "1"), ("0", "2"), ("1", "1"), ("1", "2")]
    with Benchmark.open(default_benchmark_path()) as bench:
        for r in rows:
            arch = Arch.parse(r["arch"])
            assert arch.index == int(r["arch_index"])
            assert float(r["table_test_acc"]) == pytest.approx(bench.query(arch, "digits", "test_acc"))
            assert float(r["table_valid_acc"]) == pytest.approx(bench.query(arch, "digits", "valid_acc"))
    assert "random search, tiny's time" in outcome.summary and "table optimum" in outcome.summary

    def picks(seed: int) -> list[tuple[int, float, list]]:
        run = SeedRun.from_json(json.loads(unit_path(out, seed).read_text()))
        return [(e.arch_index, e.oneshot_valid_acc, e.probs) for e in run.epochs]

    first, kept = picks(1), unit_path(out, 0).stat().st_mtime_ns
    unit_path(out, 1).unlink()
    again = run_oneshot(_spec(), out, executor="inline", progress=False, plots=False)
    assert "resumed" in again.note
    assert picks(1) == first and unit_path(out, 0).stat().st_mtime_ns == kept


def test_another_spec_is_refused_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_oneshot(_spec(seeds=[0]), out, executor="inline", progress=False, plots=False)
    other = _spec(seeds=[0], search=TINY_SEARCH | {"epochs": 1})
    with pytest.raises(ConfigError, match="another spec: pass --overwrite"):
        run_oneshot(other, out, executor="inline", progress=False)
    outcome = run_oneshot(other, out, executor="inline", progress=False, overwrite=True, plots=False)
    assert "replaced 1" in outcome.note
    assert len(json.loads(unit_path(out, 0).read_text())["epochs"]) == 1


def test_report_refuses_a_folder_without_runs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no readable manifest"):
        report_oneshot(tmp_path)


def _run(seed: int, index: int, seconds: float = 10.0) -> SeedRun:
    probs = np.full((6, 5), 0.2).tolist()
    return SeedRun("rsps", seed, [EpochRecord(1, index, 50.0, seconds, probs)], seconds + 1, 4)


def test_missing_table_entries_are_reported_not_guessed() -> None:
    valid, test = np.linspace(10, 90, N_ARCHS), np.linspace(11, 91, N_ARCHS)
    valid[7] = test[7] = np.nan
    table = Table(valid, test, np.ones(N_ARCHS), "digits", "r")
    rows = summary_rows("m", [_run(0, 7), _run(1, 100), _run(2, 200)], table)
    method = rows[0]
    assert method[1] == 2 and method[-1] == 1  # two seeds judged, one missing
    assert method[2] == pytest.approx((valid[100] + valid[200]) / 2)
    assert rows[2][2] == pytest.approx(90.0)  # the table optimum is the best valid entry


def test_random_search_gets_the_archs_the_time_buys_and_keeps_the_best() -> None:
    valid = np.random.default_rng(0).random(N_ARCHS)
    table = Table(valid, valid + 1, np.full(N_ARCHS, 2.0), "digits", "r")
    n, best = random_search_at(table, 25.0, seed=3)
    assert n == 12
    drawn = np.random.default_rng([3, 201]).choice(N_ARCHS, size=12, replace=False)
    assert best == drawn[np.argmax(valid[drawn])]
    assert random_search_at(table, 0.5, seed=3)[0] == 1


def test_read_table_trains_missing_picks_through_the_fill_function(partial_bench_path: Path) -> None:
    calls: list[tuple[int, str, str, int]] = []
    with Benchmark.open(partial_bench_path) as bench:
        filled = bench.filled("digits")
    missing = int(np.flatnonzero(~filled.any(axis=1))[0])
    fake_fill = lambda *args: calls.append(args)  # stores nothing: the entry stays missing
    with Benchmark.open(partial_bench_path, fill_missing=fake_fill) as bench, contextlib.suppress(MissingEntryError):
        read_table(bench, "digits", None, [missing])
    assert calls and {c[0] for c in calls} == {missing} and {c[1:3] for c in calls} == {("digits", "synthetic")}
    with Benchmark.open(partial_bench_path) as bench:
        table = read_table(bench, "digits", None)
    assert math.isnan(table.valid_acc[missing])
