"""Tests of nasbench_lab/study.py (specs and the runner) and the unit simulation it drives."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nasbench_lab import simulator
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.search.base import STRATEGIES, Observation, Proposal, Strategy
from nasbench_lab.search.common import ConfiguredStrategy, Param
from nasbench_lab.study import (
    BudgetSpec,
    StrategySpec,
    StudySpec,
    load_spec,
    report_study,
    run_study,
    spec_from_dict,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench_path(synthetic_bench_path: Path) -> Path:
    """The session's synthetic benchmark (digits, seeds 777 and 888, 12 columns, proxies); read only."""
    return synthetic_bench_path


class Scripted(Strategy):
    """Proposes a fixed list of (arch, epochs), records what it is told."""

    script: list[tuple[int, int | None]] = []

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, max_epochs=kwargs.get("max_epochs", 1), proxy_oracle=kwargs.get("proxy_oracle"))
        self.told: list[tuple[Proposal, Observation]] = []
        self.step = 0

    def ask(self) -> Proposal:
        arch, epochs = self.script[self.step % len(self.script)]
        self.step += 1
        return Proposal(arch, epochs)

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        self.told.append((proposal, observation))


class Knobs(ConfiguredStrategy):
    """A strategy with declared parameters, for the spec checks."""

    PARAMS = {"population": Param(10, "int", low=2), "mode": Param("a", "str", choices=("a", "b"))}

    def ask(self) -> Proposal:
        return Proposal(int(self.rng.integers(15625)))

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        pass


class ProxyUser(Scripted):
    uses_proxies = True


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the test strategies for one test only (the global registry is restored afterwards)."""
    for name, cls in (("t_scripted", Scripted), ("t_knobs", Knobs), ("t_proxy", ProxyUser)):
        monkeypatch.setitem(STRATEGIES._items, name, cls)
        monkeypatch.setattr(cls, "registry_name", name, raising=False)


def _spec(bench_path: Path, **changes: Any) -> StudySpec:
    base = StudySpec(
        name="t", dataset="digits", benchmark=str(bench_path), budget=BudgetSpec(queries=12),
        strategies=(StrategySpec("random", "random"), StrategySpec("evolution", "REA", {"population": 4, "sample_size": 2})),
        seeds=(0, 1),
    )
    return dataclasses.replace(base, **changes)


# --------------------------------------------------------------------------- specs
FULL = """
name = "demo"
benchmark = "b.h5"
dataset = "digits"
recipe = "synthetic"
seeds = [3, 5]
seed = 7

[objective]
metric = "valid_acc"
seed = "mean"

[reported]
metric = "test_acc"

[budget]
queries = 20
seconds = 100.5

[proxy]
name = "syn_quality"

[[strategies]]
name = "t_knobs"
population = 4

[[strategies]]
name = "t_knobs"
label = "K2"
mode = "b"
"""


def test_load_spec_reads_every_section(tmp_path: Path, registered: None) -> None:
    path = tmp_path / "s.toml"
    path.write_text(FULL)
    spec = load_spec(path)
    assert spec.name == "demo" and spec.dataset == "digits" and spec.recipe == "synthetic"
    assert spec.benchmark == str((tmp_path / "b.h5").resolve())  # relative to the spec file
    assert spec.seeds == (3, 5) and spec.seed == 7
    assert spec.objective.seed == "mean" and spec.reported.metric == "test_acc"
    assert spec.budget == BudgetSpec(queries=20, seconds=100.5)
    assert spec.proxy is not None and spec.proxy.name == "syn_quality" and spec.proxy.charge
    assert spec.labels == ["t_knobs", "K2"]
    assert spec.strategies[0].params == {"population": 4} and spec.strategies[1].params == {"mode": "b"}
    assert load_spec(path, benchmark=tmp_path / "other.h5").benchmark == str((tmp_path / "other.h5").resolve())


def test_seed_count_and_defaults(registered: None) -> None:
    spec = spec_from_dict({"dataset": "d", "seeds": 3, "budget": {"queries": 5}, "strategies": [{"name": "t_knobs"}]})
    assert spec.seeds == (0, 1, 2) and spec.benchmark is None and spec.objective.seed == "random"
    assert spec.reported.dataset is None and spec.proxy is None and spec.name == "study"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"colour": 1}, "colour"),
        ({"budget": {"querys": 5}}, "budget.querys"),
        ({"budget": {"queries": "5"}}, "budget.queries"),
        ({"budget": {"queries": 0}}, "budget.queries"),
        ({"budget": {"seconds": -1.0}}, "budget.seconds"),
        ({"budget": {}}, "budget"),
        ({"seeds": 0}, "seeds"),
        ({"seeds": [1, 1]}, "seeds"),
        ({"seeds": [1, -2]}, "seeds[1]"),
        ({"objective": {"seed": "median"}}, "objective.seed"),
        ({"objective": {"metric": "valid_accuracy"}}, "objective.metric"),
        ({"reported": {"metric": 3}}, "reported.metric"),
        ({"proxy": {"charge": True}}, "proxy.name"),
        ({"proxy": {"name": "z", "charge": "yes"}}, "proxy.charge"),
        ({"strategies": [{"name": "t_knobs"}, {"name": "t_knobs"}]}, "strategies[1].label"),
        ({"strategies": [{"name": "t_knobs"}, {"name": "t_knobs", "label": "b", "population": 1}]}, "strategies[1].population"),
        ({"strategies": [{"name": "t_knobs"}, {"name": "t_knobs", "label": "b", "population": "ten"}]}, "strategies[1].population"),
        ({"strategies": [{"name": "t_knobs"}, {"name": "t_knobs", "label": "b", "mode": "c"}]}, "strategies[1].mode"),
        ({"strategies": [{"name": "t_knobs", "populaton": 3}]}, "strategies[0].populaton"),
        ({"strategies": [{"name": "no_such_strategy"}]}, "strategies[0].name"),
        ({"strategies": [{"label": "x"}]}, "strategies[0].name"),
        ({"strategies": []}, "strategies"),
    ],
)
def test_bad_specs_name_the_key(change: dict, key: str, registered: None) -> None:
    data = {"dataset": "digits", "budget": {"queries": 5}, "strategies": [{"name": "t_knobs"}]} | change
    with pytest.raises(ConfigError) as info:
        spec_from_dict(data)
    assert key in str(info.value)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("dataset = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_spec(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_spec(tmp_path / "absent.toml")


# --------------------------------------------------------------------------- simulation rules
def _simulator(bench_path: Path, seed_mode: str = "random", **changes: Any) -> simulator.Simulator:
    spec = _spec(bench_path, **changes)
    spec = dataclasses.replace(spec, objective=dataclasses.replace(spec.objective, seed=seed_mode))
    return simulator.Simulator(simulator.study_table(spec), np.random.default_rng(0), "x")


def test_cost_is_charged_once_per_column_and_cache_is_free(bench_path: Path) -> None:
    bench = Benchmark.open(bench_path)
    sim = _simulator(bench_path)
    first, k = sim.evaluate(Proposal(100))
    assert k == 12 and first.cost == pytest.approx(bench.cost(100, "digits"))
    again, _ = sim.evaluate(Proposal(100, 3))  # lower fidelity of a paid arch: cached
    assert again.cost == 0 and again.value == first.curve[2]
    low, _ = sim.evaluate(Proposal(200, 2))
    high, _ = sim.evaluate(Proposal(200, 5))  # continues the run: pays columns 3..5 only
    assert low.cost == pytest.approx(bench.cost(200, "digits", epochs=2))
    assert high.cost == pytest.approx(bench.cost(200, "digits", epochs=5) - bench.cost(200, "digits", epochs=2))
    np.testing.assert_array_equal(high.curve[:2], low.curve)  # same seed's run at both fidelities
    assert high.curve.shape == (5,) and sim.clock == pytest.approx(first.cost + low.cost + high.cost)


def test_random_seed_mode_reads_one_seeds_curve(bench_path: Path) -> None:
    bench = Benchmark.open(bench_path)
    sim = _simulator(bench_path)
    runs = {s: bench.curve(300, "digits", "valid_acc", seed=s) for s in bench.seeds("digits")}
    obs, _ = sim.evaluate(Proposal(300))
    assert any(np.array_equal(obs.curve, c) for c in runs.values())
    mean = _simulator(bench_path, "mean").evaluate(Proposal(300))[0]
    assert mean.value == pytest.approx(bench.query(300, "digits", "valid_acc", seed="mean"))


def test_random_seed_mode_draws_both_seeds(bench_path: Path) -> None:
    sim = _simulator(bench_path)
    bench = Benchmark.open(bench_path)
    picks = []
    for arch in range(40):
        obs, _ = sim.evaluate(Proposal(arch))
        picks.append([s for s in bench.seeds("digits") if bench.query(arch, "digits", "valid_acc", seed=s) == obs.value])
    assert {p[0] for p in picks if len(p) == 1} == set(bench.seeds("digits"))


@pytest.mark.parametrize("proposal", [Proposal(5, 0), Proposal(5, 13), Proposal(15625), Proposal(-1)])
def test_bad_proposals_are_refused(bench_path: Path, proposal: Proposal) -> None:
    with pytest.raises(NasbenchLabError, match="strategy 'x'"):
        _simulator(bench_path).evaluate(proposal)


def test_proxy_oracle_charges_each_arch_once(bench_path: Path) -> None:
    from nasbench_lab.study import ProxySpec

    bench = Benchmark.open(bench_path)
    sim = _simulator(bench_path, proxy=ProxySpec("syn_quality"))
    idx = np.array([1, 2, 3, 3])
    scores = sim.proxy_oracle(idx)
    np.testing.assert_allclose(scores, bench.proxy(idx, "digits", "syn_quality"))
    charged = bench.proxy_time([1, 2, 3], "digits", "syn_quality").sum()
    assert sim.clock == pytest.approx(charged)
    sim.proxy_oracle(np.array([2, 3]))
    assert sim.clock == pytest.approx(charged)
    free = _simulator(bench_path, proxy=ProxySpec("syn_quality", charge=False))
    free.proxy_oracle(idx)
    assert free.clock == 0


def test_unit_incumbent_and_reported_metric(bench_path: Path) -> None:
    bench = Benchmark.open(bench_path)
    unit = simulator.run_unit(_spec(bench_path), "REA", 1)
    assert unit.n_queries == 12 and (unit.epochs == 12).all()
    best_so_far = [int(unit.arch[: t + 1][np.argmax(unit.objective[: t + 1])]) for t in range(12)]
    np.testing.assert_allclose(unit.reported, bench.query_many(best_so_far, "digits", "test_acc"))
    costs = bench.cost_many(unit.arch, "digits")
    first = np.unique(unit.arch, return_index=True)[1]
    charged = np.zeros(12)
    charged[first] = costs[first]
    np.testing.assert_allclose(unit.simulated_time, np.cumsum(charged))


def test_missing_entries_stop_the_unit_with_the_benchmarks_error(partial_bench_path: Path) -> None:
    spec = _spec(partial_bench_path, budget=BudgetSpec(queries=60))
    with pytest.raises(NasbenchLabError, match="nasbench-lab fill"):
        simulator.run_unit(spec, "random", 0)


def test_time_budget_stops_after_the_crossing_query(bench_path: Path) -> None:
    spec = _spec(bench_path, budget=BudgetSpec(seconds=5.0))
    unit = simulator.run_unit(spec, "random", 0)
    assert unit.simulated_time[-1] >= 5.0 > unit.simulated_time[-2]


def test_cached_forever_under_a_time_budget_is_an_error(bench_path: Path, registered: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", [(7, None)])
    monkeypatch.setattr(simulator, "MAX_CACHED_IN_A_ROW", 50)
    spec = _spec(bench_path, budget=BudgetSpec(seconds=1e6), strategies=(StrategySpec("t_scripted", "s"),))
    with pytest.raises(NasbenchLabError, match="re-asked paid archs"):
        simulator.run_unit(spec, "s", 0)


def test_units_are_seeded_per_strategy_and_seed(bench_path: Path) -> None:
    spec = _spec(bench_path)
    a = simulator.run_unit(spec, "random", 0)
    np.testing.assert_array_equal(a.arch, simulator.run_unit(spec, "random", 0).arch)
    assert not np.array_equal(a.arch, simulator.run_unit(spec, "random", 1).arch)
    assert not np.array_equal(a.arch, simulator.run_unit(dataclasses.replace(spec, seed=1), "random", 0).arch)


# --------------------------------------------------------------------------- studies
def test_study_writes_every_output(bench_path: Path, tmp_path: Path) -> None:
    outcome = run_study(_spec(bench_path), tmp_path / "o", progress=False)
    assert outcome.complete and outcome.units_done == 4
    files = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"trajectory.csv", "wall_time.csv", "summary.csv", "summary.md", "wins.csv", "regret.png", "regret.pdf",
            "manifest.json", "units"} <= files
    rows = (tmp_path / "o" / "trajectory.csv").read_text().splitlines()
    assert rows[0] == "strategy,seed,step,arch,epochs,objective,reported,simulated_time" and len(rows) == 1 + 4 * 12
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["complete"] and manifest["benchmark"]["sha256"] and manifest["versions"]["numpy"] == np.__version__
    assert manifest["reported_best"]["value"] == Benchmark.open(bench_path).best("digits", "test_acc")[1]
    assert manifest["spec"]["strategies"][1]["label"] == "REA"
    assert "| REA | 2 |" in outcome.summary


@pytest.mark.slow
def test_trajectory_is_byte_identical_across_workers(bench_path: Path, tmp_path: Path) -> None:
    spec = _spec(bench_path)
    run_study(spec, tmp_path / "one", progress=False)
    run_study(spec, tmp_path / "two", workers=2, progress=False)
    assert (tmp_path / "one" / "trajectory.csv").read_bytes() == (tmp_path / "two" / "trajectory.csv").read_bytes()


def test_interrupt_leaves_partial_result_and_resume_completes(bench_path: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec(bench_path)
    real = simulator.run_unit
    calls = []

    def interrupted(spec: StudySpec, label: str, seed: int) -> Any:
        calls.append((label, seed))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(spec, label, seed)

    monkeypatch.setattr(simulator, "run_unit", interrupted)
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

    monkeypatch.setattr(simulator, "run_unit", real)
    with pytest.raises(ConfigError, match="--resume"):
        run_study(spec, out, progress=False)
    with pytest.raises(ConfigError, match="different spec"):
        run_study(dataclasses.replace(spec, seed=3), out, resume=True, progress=False)
    outcome = run_study(spec, out, resume=True, progress=False)
    assert outcome.complete
    run_study(spec, tmp_path / "fresh", progress=False)
    assert (out / "trajectory.csv").read_bytes() == (tmp_path / "fresh" / "trajectory.csv").read_bytes()


def test_unit_errors_name_the_unit(bench_path: Path, tmp_path: Path, registered: None,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", [(3, 99)])
    spec = _spec(bench_path, strategies=(StrategySpec("t_scripted", "s"),))
    with pytest.raises(NasbenchLabError, match="strategy 's', seed 0"):
        run_study(spec, tmp_path / "o", progress=False)


def test_proxy_strategy_needs_a_proxy(bench_path: Path, tmp_path: Path, registered: None) -> None:
    spec = _spec(bench_path, strategies=(StrategySpec("t_proxy", "p"),))
    with pytest.raises(ConfigError, match=r"strategies\[0\].*\[proxy\]"):
        run_study(spec, tmp_path / "o", progress=False)


def test_strategy_refusing_its_parameters_fails_before_work(bench_path: Path, tmp_path: Path) -> None:
    spec = _spec(bench_path, strategies=(StrategySpec("evolution", "REA", {"population": 3, "sample_size": 5}),))
    with pytest.raises(ConfigError, match=r"strategies\[0\].*sample_size"):
        run_study(spec, tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_ray_executor_gives_the_same_trajectory(bench_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    spec = _spec(bench_path, seeds=(0,), strategies=(StrategySpec("random", "random"),))
    run_study(spec, tmp_path / "local", progress=False)
    run_study(spec, tmp_path / "ray", executor="ray", workers=1, progress=False)
    assert (tmp_path / "local" / "trajectory.csv").read_bytes() == (tmp_path / "ray" / "trajectory.csv").read_bytes()


def test_executor_arguments_are_checked(bench_path: Path, tmp_path: Path) -> None:
    spec = _spec(bench_path)
    with pytest.raises(ConfigError, match="unknown executor"):
        run_study(spec, tmp_path / "a", executor="slurm", progress=False)
    with pytest.raises(ConfigError, match="--workers"):
        run_study(spec, tmp_path / "b", workers=0, progress=False)
    with pytest.raises(ConfigError, match="--address"):
        run_study(spec, tmp_path / "c", address="10.0.0.1:6379", progress=False)


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "studies").glob("*.toml")))
def test_shipped_specs_are_valid(name: str) -> None:
    spec = load_spec(REPO / "studies" / name)
    assert (spec.strategies and spec.budget.queries) or spec.budget.seconds


def test_zc_warmstart_spec_runs_on_the_embedded_proxies(tmp_path: Path) -> None:
    """The shipped warm-start study reads snip from the embedded benchmark (3 seeds here, 20 in the spec)."""
    spec = dataclasses.replace(load_spec(REPO / "studies" / "zc-warmstart.toml"), seeds=(0, 1, 2))
    outcome = run_study(spec, tmp_path / "zc", progress=False)
    assert outcome.units_done == outcome.units_total == 9
    assert "REA + snip warm start" in outcome.summary


# --------------------------------------------------------------------------- real NB201 data
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "nb201"


def test_real_nb201_random_search_and_evolution(tmp_path: Path) -> None:
    """NB201 cifar10-valid (objective valid_top1, reported cifar10 test_top1), 100 queries, 20 seeds.

    Measured by the issue with a plain loop: random search 93.80 +- 0.27 (s.d. over seeds). The runner
    must reproduce that; evolution must beat it (its own target, >= 94.05, is the strategy's test).
    """
    table = SHARED / "nwot_arch_score_acc.csv"
    if not table.is_file():
        pytest.skip(f"real NB201 data absent ({table}); see ../shared/nb201/PROVENANCE.md")
    from nasbench_lab.benchmark.importers import ColumnMap, import_table
    from nasbench_lab.study import ReportedSpec

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


# --------------------------------------------------------------------------- registered strategies through the runner
def test_multi_fidelity_unit_pays_each_arch_its_deepest_run(bench_path: Path) -> None:
    """Incremental charges telescope: the clock equals, over distinct archs, the cost of the deepest run."""
    bench = Benchmark.open(bench_path)
    spec = _spec(bench_path, budget=BudgetSpec(seconds=40.0), strategies=(StrategySpec("hyperband", "hb"),))
    unit = simulator.run_unit(spec, "hb", 0)
    assert len(set(unit.epochs.tolist())) > 1  # several fidelities were asked
    deepest: dict[int, int] = {}
    for arch, epochs in zip(unit.arch.tolist(), unit.epochs.tolist()):
        deepest[arch] = max(deepest.get(arch, 0), epochs)
    expected = sum(bench.cost(a, "digits", epochs=e) for a, e in deepest.items())
    assert unit.simulated_time[-1] == pytest.approx(expected)
    assert unit.simulated_time[-1] >= 40.0 > unit.simulated_time[-2]


def test_proxy_strategy_is_charged_for_its_proxy(bench_path: Path, tmp_path: Path) -> None:
    from nasbench_lab.study import ProxySpec

    bench = Benchmark.open(bench_path)
    strategies = (StrategySpec("zc_warmstart", "zc", {"pool_size": 200}),)
    charged = _spec(bench_path, strategies=strategies, proxy=ProxySpec("syn_quality"), seeds=(0,))
    free = dataclasses.replace(charged, proxy=ProxySpec("syn_quality", charge=False))
    with_cost, without = simulator.run_unit(charged, "zc", 0), simulator.run_unit(free, "zc", 0)
    np.testing.assert_array_equal(with_cost.arch, without.arch)
    extra = with_cost.simulated_time - without.simulated_time
    assert extra[0] > 0  # the warm-start pool is scored (and charged) before the first query
    assert (np.diff(extra) >= -1e-9).all()  # proxy time only ever adds to the clock
    assert extra[-1] <= bench.proxy_time(np.arange(15625), "digits", "syn_quality").sum() + 1e-9


@pytest.mark.parametrize("name", sorted(STRATEGIES.names()))
def test_every_registered_strategy_runs_through_the_runner(name: str, bench_path: Path) -> None:
    """Each registered strategy, default parameters, 15 queries under a time budget: the unit respects
    the runner's rules (budget, fidelity range, clock never decreasing, incumbent's reported metric)."""
    from nasbench_lab.study import ProxySpec

    if name.startswith("t_"):
        pytest.skip("test-only strategy")
    spec = _spec(bench_path, budget=BudgetSpec(queries=15, seconds=1e5), strategies=(StrategySpec(name, name),),
                 proxy=ProxySpec("syn_quality"), seeds=(0,))
    unit = simulator.run_unit(spec, name, 0)
    assert unit.n_queries == 15
    assert ((unit.epochs >= 1) & (unit.epochs <= 12)).all()
    assert (np.diff(unit.simulated_time) >= 0).all() and unit.simulated_time[0] > 0
    best_so_far = [int(unit.arch[: t + 1][np.argmax(unit.objective[: t + 1])]) for t in range(15)]
    np.testing.assert_allclose(unit.reported, Benchmark.open(bench_path).query_many(best_so_far, "digits", "test_acc"))


def test_ray_missing_is_a_clear_error(bench_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    with pytest.raises(ConfigError, match=r"nasbench-lab\[ray\]"):
        run_study(_spec(bench_path, seeds=(0,)), tmp_path / "o", executor="ray", progress=False)
