"""Tests of nasbench_lab/study/runner.py: whole studies, executors, resume and interruption."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import nb201_file

from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.study import runner
from nasbench_lab.study.report import report_study
from nasbench_lab.study.runner import run_study
from nasbench_lab.study.spec import (
    BudgetSpec,
    ReportedSpec,
    StrategySpec,
    StudySpec,
    load_spec,
)
from study.study_fakes import Scripted, make_spec

REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- studies
def test_study_writes_every_output(bench_path: Path, tmp_path: Path) -> None:
    outcome = run_study(make_spec(bench_path), tmp_path / "o", progress=False)
    assert outcome.complete and outcome.units_done == 4
    files = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"trajectory.csv", "wall_time.csv", "summary.csv", "summary.md", "wins.csv", "regret.png", "regret.pdf",
            "manifest.json", "units"} <= files
    rows = (tmp_path / "o" / "trajectory.csv").read_text().splitlines()
    assert rows[0] == "strategy,seed,step,arch,epochs,objective,incumbent,reported,regret,simulated_time"
    assert len(rows) == 1 + 4 * 12
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["complete"] and manifest["benchmark"]["sha256"] and manifest["versions"]["numpy"] == np.__version__
    assert manifest["reported_best"]["value"] == Benchmark.open(bench_path).best("digits", "test_acc")[1]
    assert manifest["spec"]["strategies"][1]["label"] == "REA"
    assert "| REA | 2 |" in outcome.summary


@pytest.mark.slow
def test_trajectory_is_byte_identical_across_workers(bench_path: Path, tmp_path: Path) -> None:
    spec = make_spec(bench_path)
    run_study(spec, tmp_path / "one", progress=False)
    run_study(spec, tmp_path / "two", workers=2, progress=False)
    assert (tmp_path / "one" / "trajectory.csv").read_bytes() == (tmp_path / "two" / "trajectory.csv").read_bytes()


def test_interrupt_leaves_partial_result_and_resume_completes(bench_path: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    spec = make_spec(bench_path)
    real = runner.run_unit
    calls = []

    def interrupted(spec: StudySpec, label: str, seed: int) -> Any:
        calls.append((label, seed))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(spec, label, seed)

    monkeypatch.setattr(runner, "run_unit", interrupted)
    out = tmp_path / "o"
    with pytest.raises(KeyboardInterrupt):
        run_study(spec, out, progress=False)
    assert len(list((out / "units").glob("*.json"))) == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is False and manifest["units_done"] == 2
    assert "partial" in (out / "summary.md").read_text()
    assert len((out / "trajectory.csv").read_text().splitlines()) == 1 + 2 * 12
    trajectory = (out / "trajectory.csv").read_bytes()
    partial = report_study(out)
    assert not partial.complete and "| random | 2 |" in partial.summary
    for path in (out / "units").iterdir():  # the report survives lost unit files, from the trajectory
        path.rename(tmp_path / path.name)
    assert report_study(out).summary == partial.summary and (out / "trajectory.csv").read_bytes() == trajectory
    for path in tmp_path.glob("*.json"):
        path.rename(out / "units" / path.name)

    monkeypatch.setattr(runner, "run_unit", real)
    with pytest.raises(ConfigError, match="different spec"):
        run_study(dataclasses.replace(spec, seed=3), out, resume=True, progress=False)
    outcome = run_study(spec, out, progress=False)  # same spec and benchmark: a rerun resumes
    assert outcome.complete and "resumed" in outcome.note and "ran the 2 missing units" in outcome.note
    run_study(spec, tmp_path / "fresh", progress=False)
    assert (out / "trajectory.csv").read_bytes() == (tmp_path / "fresh" / "trajectory.csv").read_bytes()


def test_unit_errors_name_the_unit(bench_path: Path, tmp_path: Path, registered: None,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", [(3, 99)])
    spec = make_spec(bench_path, strategies=(StrategySpec("t_scripted", "s"),))
    with pytest.raises(NasbenchLabError, match="strategy 's', seed 0"):
        run_study(spec, tmp_path / "o", progress=False)


def test_proxy_strategy_needs_a_proxy(bench_path: Path, tmp_path: Path, registered: None) -> None:
    spec = make_spec(bench_path, strategies=(StrategySpec("t_proxy", "p"),))
    with pytest.raises(ConfigError, match=r"strategies\[0\].*\[proxy\]"):
        run_study(spec, tmp_path / "o", progress=False)


def test_strategy_refusing_its_parameters_fails_before_work(bench_path: Path, tmp_path: Path) -> None:
    spec = make_spec(bench_path, strategies=(StrategySpec("evolution", "REA", {"population": 3, "sample_size": 5}),))
    with pytest.raises(ConfigError, match=r"strategies\[0\].*sample_size"):
        run_study(spec, tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["successive_halving", "hyperband"])
def test_halving_on_final_accuracies_only_is_refused_before_work(name: str, tmp_path: Path) -> None:
    """A table imported from final accuracies (only the last of 200 curve columns): refused at load, not mid-study."""
    from nasbench_lab.benchmark.importers import ColumnMap, import_table

    csv = tmp_path / "final.csv"
    csv.write_text("arch,valid,test\n" + "".join(f"{a},{50 + a % 40},{51 + a % 40}\n" for a in range(15625)))
    bench = tmp_path / "final.h5"
    import_table(csv, bench, [ColumnMap.parse(t, "c10") for t in ("valid=valid_acc", "test=test_acc")],
                 recipe="nb201-200", epoch=200, seed=0)
    spec = StudySpec(name="f", dataset="c10", benchmark=str(bench), budget=BudgetSpec(queries=20), seeds=(0,),
                     strategies=(StrategySpec("random", "random"), StrategySpec(name, "halving")))
    with pytest.raises(ConfigError, match=rf"strategies\[1\] \({name}\) trains archs for fewer epochs.*full-fidelity"):
        run_study(spec, tmp_path / "o", progress=False)
    assert not (tmp_path / "o" / "units").exists()
    spec = dataclasses.replace(spec, strategies=spec.strategies[:1])
    assert run_study(spec, tmp_path / "o2", progress=False).complete  # full-fidelity search runs on it


def test_ray_executor_gives_the_same_trajectory(bench_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    spec = make_spec(bench_path, seeds=(0,), strategies=(StrategySpec("random", "random"),))
    run_study(spec, tmp_path / "local", progress=False)
    run_study(spec, tmp_path / "ray", executor="ray", workers=1, progress=False)
    assert (tmp_path / "local" / "trajectory.csv").read_bytes() == (tmp_path / "ray" / "trajectory.csv").read_bytes()


def test_executor_arguments_are_checked(bench_path: Path, tmp_path: Path) -> None:
    spec = make_spec(bench_path)
    with pytest.raises(ConfigError, match="unknown executor"):
        run_study(spec, tmp_path / "a", executor="slurm", progress=False)
    with pytest.raises(ConfigError, match="--workers"):
        run_study(spec, tmp_path / "b", workers=0, progress=False)
    with pytest.raises(ConfigError, match="--address"):
        run_study(spec, tmp_path / "c", address="10.0.0.1:6379", progress=False)


def test_zc_warmstart_spec_runs_on_the_embedded_proxies(tmp_path: Path) -> None:
    """The shipped warm-start study reads snip from the embedded benchmark (3 seeds here, 20 in the spec)."""
    spec = dataclasses.replace(load_spec(REPO / "studies" / "zc-warmstart.toml"), seeds=(0, 1, 2))
    outcome = run_study(spec, tmp_path / "zc", progress=False)
    assert outcome.units_done == outcome.units_total == 9
    assert "REA + snip warm start" in outcome.summary


# --------------------------------------------------------------------------- real NB201 data


def test_real_nb201_random_search_and_evolution(tmp_path: Path) -> None:
    """NB201 cifar10-valid (objective valid_top1, reported cifar10 test_top1), 100 queries, 20 seeds.

    Measured by the issue with a plain loop: random search 93.80 +- 0.27 (s.d. over seeds). The runner
    must reproduce that; evolution must beat it (its own target, >= 94.05, is the strategy's test).
    """
    table = nb201_file("nwot_arch_score_acc.csv")
    from nasbench_lab.benchmark.importers import ColumnMap, import_table

    bench = tmp_path / "nwot.h5"
    maps = [ColumnMap.parse(t, "cifar10-valid") for t in ("valid_top1=valid_acc", "cifar10:test_top1=test_acc")]
    import_table(table, bench, maps, recipe="nb201-200", epoch=200, seed=0)
    spec = StudySpec(
        name="real", dataset="cifar10-valid", benchmark=str(bench), budget=BudgetSpec(queries=100),
        reported=ReportedSpec(metric="test_acc", dataset="cifar10"), seeds=tuple(range(20)),
        strategies=(StrategySpec("random", "random"), StrategySpec("evolution", "REA")),
    )
    run_study(spec, tmp_path / "o", progress=False)
    summary = {row[0]: row for row in (line.split(",") for line in (tmp_path / "o" / "summary.csv").read_text().splitlines()[1:])}
    random_mean, rea_mean = float(summary["random"][2]), float(summary["REA"][2])
    assert 93.6 <= random_mean <= 94.0
    assert rea_mean > random_mean + 0.1
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["reported_best"]["value"] == pytest.approx(94.3733, abs=1e-4)


def test_ray_missing_is_a_clear_error(bench_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    with pytest.raises(ConfigError, match=r"nasbench-lab\[ray\]"):
        run_study(make_spec(bench_path, seeds=(0,)), tmp_path / "o", executor="ray", progress=False)
