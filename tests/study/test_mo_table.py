"""Studies with [[objectives]]: nasbench_lab/study/mo_table.py and its wiring into the simulator, the
report (pareto_report.py) and the manifest, on the small synthetic benchmark of the conftest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab import pareto
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.objectives import Constraint, Objective
from nasbench_lab.search.base import STRATEGIES
from nasbench_lab.study import simulator
from nasbench_lab.study.compare import compare_studies
from nasbench_lab.study.frame import load_results
from nasbench_lab.study.mo_spec import MultiObjectiveSpec
from nasbench_lab.study.mo_table import objective_columns
from nasbench_lab.study.report import OUTPUT_FILES, report_study
from nasbench_lab.study.runner import run_study
from nasbench_lab.study.spec import BudgetSpec, StrategySpec
from nasbench_lab.study.table import study_table
from study.study_fakes import make_spec

ACC_PARAMS = (Objective("valid_acc"), Objective("params"))
MO_NAMES = [n for n in STRATEGIES.names() if getattr(STRATEGIES.get(n), "multi_objective", False)]
LIGHT = {"ehvi": {"pool_size": 16, "n_random": 4}, "nsga2": {"population": 4}}


def mo_spec(bench_path: Path, names=("mo_random",), multi=None, queries: int = 15, seeds=(0,)):
    strategies = tuple(StrategySpec(n, n, LIGHT.get(n, {})) for n in names)
    return make_spec(bench_path, strategies=strategies, seeds=seeds, budget=BudgetSpec(queries=queries),
                     multi=multi or MultiObjectiveSpec(ACC_PARAMS))


def test_true_front_is_the_brute_force_non_dominated_set(synthetic_bench_path: Path) -> None:
    columns = objective_columns(study_table(mo_spec(synthetic_bench_path)), MultiObjectiveSpec(ACC_PARAMS))
    bench = Benchmark.open(synthetic_bench_path)
    acc = bench.query_many(np.arange(15625), "digits", "valid_acc")
    params = bench.query_many(np.arange(15625), "digits", "params")
    points = np.stack([acc, -params], axis=1)
    dominated = np.zeros(15625, dtype=bool)
    for start in range(0, 15625, 1000):  # the definition, over every pair of archs
        block = points[start : start + 1000]
        beats = np.all(points[None] >= block[:, None], axis=2) & np.any(points[None] > block[:, None], axis=2)
        dominated[start : start + 1000] = beats.any(axis=1)
    expected = set(np.flatnonzero(~dominated).tolist())
    assert set(columns.true_front().tolist()) == expected


@pytest.mark.parametrize("name", MO_NAMES)
def test_every_multi_objective_strategy_runs_and_reports_a_growing_hypervolume(name: str, synthetic_bench_path: Path) -> None:
    spec = mo_spec(synthetic_bench_path, names=(name,))
    unit = simulator.run_unit(spec, name, 0)
    columns = objective_columns(study_table(spec), spec.multi)
    ref = columns.reference_point()
    assert unit.n_queries == 15 and (np.diff(unit.reported) >= 0).all()
    points, _ = columns.mean_points(unit.arch)
    assert unit.reported[-1] == pytest.approx(pareto.hypervolume(points, ref))
    true_hv = pareto.hypervolume(columns.mean_points(columns.true_front())[0], ref)
    assert 0 < unit.reported[-1] <= true_hv + 1e-9


def test_constraints_restrict_the_reported_front_to_feasible_archs(synthetic_bench_path: Path) -> None:
    bench = Benchmark.open(synthetic_bench_path)
    params = bench.query_many(np.arange(15625), "digits", "params")
    bound = float(np.quantile(params, 0.3))
    multi = MultiObjectiveSpec(ACC_PARAMS, constraints=(Constraint("params", max=bound),))
    spec = mo_spec(synthetic_bench_path, names=("nsga2",), multi=multi, queries=30)
    columns = objective_columns(study_table(spec), spec.multi)
    assert (params[columns.true_front()] <= bound).all()
    unit = simulator.run_unit(spec, "nsga2", 0)
    feasible = unit.arch[params[unit.arch] <= bound]
    points, _ = columns.mean_points(feasible)
    assert unit.reported[-1] == pytest.approx(pareto.hypervolume(points, columns.reference_point()) if len(points) else 0.0)


def test_scalarised_study_reports_the_incumbents_weighted_sum(synthetic_bench_path: Path) -> None:
    multi = MultiObjectiveSpec(ACC_PARAMS, weights=(1.0, 10.0))
    spec = make_spec(synthetic_bench_path, multi=multi, seeds=(0,))
    unit = simulator.run_unit(spec, "REA", 0)
    bench = Benchmark.open(synthetic_bench_path)
    acc_mean = bench.query_many(unit.arch, "digits", "valid_acc")
    params = bench.query_many(unit.arch, "digits", "params")
    incumbent = [int(np.argmax(unit.objective[: t + 1])) for t in range(unit.n_queries)]
    np.testing.assert_allclose(unit.reported, (acc_mean - 10 * params)[incumbent])
    seen_params = params  # the observed value is the drawn seed's accuracy minus 10 x params
    assert np.all(np.abs(unit.objective - (acc_mean - 10 * seen_params)) < 50)


def test_loss_objective_is_minimised_and_regret_is_never_negative(synthetic_bench_path: Path, tmp_path: Path) -> None:
    from nasbench_lab.study.spec import ObjectiveSpec, ReportedSpec

    spec = make_spec(synthetic_bench_path, objective=ObjectiveSpec("valid_loss", seed="mean"),
                     reported=ReportedSpec("test_loss"), budget=BudgetSpec(queries=30))
    unit = simulator.run_unit(spec, "REA", 0)
    bench = Benchmark.open(synthetic_bench_path)
    loss = bench.query_many(unit.arch, "digits", "valid_loss")
    np.testing.assert_allclose(unit.objective, loss)  # the trajectory records the loss as measured
    incumbent = unit.arch[[int(np.argmin(loss[: t + 1])) for t in range(unit.n_queries)]]
    np.testing.assert_allclose(unit.reported, bench.query_many(incumbent, "digits", "test_loss"))
    outcome = run_study(spec, tmp_path / "out", progress=False)
    rows = (outcome.out / "summary.csv").read_text().splitlines()[1:]
    regrets = [float(r.split(",")[4]) for r in rows]
    assert all(r >= 0 for r in regrets), regrets
    manifest = json.loads((outcome.out / "manifest.json").read_text())
    assert manifest["reported_best"]["value"] == pytest.approx(bench.query_many(np.arange(15625), "digits", "test_loss").min())
    # the regret of every other view of the study is oriented the same way
    frame = load_results(outcome.out)
    assert (frame["regret"] >= 0).all() and (frame["regret"] > 0).any()
    trajectory = frame["regret"].to_numpy()
    np.testing.assert_array_equal(trajectory, [float(r.split(",")[8]) for r in
                                               (outcome.out / "trajectory.csv").read_text().splitlines()[1:]])
    compare_studies([outcome.out], tmp_path / "cmp")
    rows = (tmp_path / "cmp" / "comparison.csv").read_text().splitlines()
    column = rows[0].split(",").index("regret_mean")
    assert all(float(r.split(",")[column]) >= 0 for r in rows[1:])


def test_multi_objective_outputs_and_manifest(synthetic_bench_path: Path, tmp_path: Path) -> None:
    spec = mo_spec(synthetic_bench_path, names=("mo_random", "nsga2"), seeds=(0, 1))
    outcome = run_study(spec, tmp_path / "out", progress=False)
    written = {p.name for p in outcome.out.iterdir() if p.is_file()}
    assert written == set(OUTPUT_FILES)  # every file, single- and multi-objective: --overwrite removes them all
    manifest = json.loads((outcome.out / "manifest.json").read_text())
    pareto_entry = manifest["pareto"]
    columns = objective_columns(study_table(spec), spec.multi)
    np.testing.assert_allclose(pareto_entry["reference_point"], columns.reference_point() * columns.signs)
    assert manifest["reported_best"]["metric"] == "hypervolume"
    fronts = (outcome.out / "fronts.csv").read_text().splitlines()
    assert sum(line.startswith("true front,") for line in fronts) == len(pareto_entry["true_front"])
    before = (outcome.out / "fronts.csv").read_bytes()
    (outcome.out / "fronts.csv").unlink()
    report_study(outcome.out)  # re-renders the multi-objective files from the unit files
    assert (outcome.out / "fronts.csv").read_bytes() == before


def test_determinism_across_workers(synthetic_bench_path: Path, tmp_path: Path) -> None:
    spec = mo_spec(synthetic_bench_path, names=("nsga2", "parego"), seeds=(0, 1), queries=14)
    one = run_study(spec, tmp_path / "one", progress=False, workers=1)
    two = run_study(spec, tmp_path / "two", progress=False, workers=2)
    assert (one.out / "trajectory.csv").read_bytes() == (two.out / "trajectory.csv").read_bytes()
    assert (one.out / "fronts.csv").read_bytes() == (two.out / "fronts.csv").read_bytes()


def test_unobserved_objective_is_an_error(partial_bench_path: Path) -> None:
    spec = mo_spec(partial_bench_path, queries=40)
    with pytest.raises(NasbenchLabError, match="not recorded|fill"):
        simulator.run_unit(spec, "mo_random", 0)


def test_imported_per_device_metric_is_an_objective(synthetic_bench_path: Path, tmp_path: Path) -> None:
    import shutil

    from nasbench_lab.benchmark.csv_import import ColumnMap
    from nasbench_lab.benchmark.extra_import import import_arch_metrics

    bench_path = Path(shutil.copyfile(synthetic_bench_path, tmp_path / "bench.h5"))  # written to: a private copy
    energy = np.random.default_rng(3).uniform(1.0, 5.0, 15625)  # made-up per-device figures
    table = tmp_path / "hw.csv"
    table.write_text("arch,energy\n" + "".join(f"{i},{float(e)!r}\n" for i, e in enumerate(energy)))
    import_arch_metrics(table, bench_path, [ColumnMap.parse("energy=edgegpu_energy", "digits", metrics=None)], unit="mJ")
    multi = MultiObjectiveSpec((Objective("valid_acc"), Objective("edgegpu_energy")))
    spec = mo_spec(bench_path, multi=multi)
    columns = objective_columns(study_table(spec), multi)
    unit = simulator.run_unit(spec, "mo_random", 0)
    acc = Benchmark.open(bench_path).query_many(unit.arch, "digits", "valid_acc")
    points = np.stack([acc, -energy[unit.arch]], axis=1)  # energy is minimised by default (a cost name)
    assert unit.reported[-1] == pytest.approx(pareto.hypervolume(points, columns.reference_point()))
    with pytest.raises(ConfigError, match="import arch-metrics"):
        objective_columns(study_table(spec), MultiObjectiveSpec((Objective("valid_acc"), Objective("gpu_power"))))
