"""Tests of nasbench_lab/study/simulator.py: the rules of one simulated unit."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.search.base import STRATEGIES, Proposal
from nasbench_lab.study import simulator
from nasbench_lab.study.spec import (
    BudgetSpec,
    ProxySpec,
    StrategySpec,
)
from study.study_fakes import Scripted, make_spec

REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- simulation rules
def _simulator(bench_path: Path, seed_mode: str = "random", **changes: Any) -> simulator.Simulator:
    spec = make_spec(bench_path, **changes)
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
    unit = simulator.run_unit(make_spec(bench_path), "REA", 1)
    assert unit.n_queries == 12 and (unit.epochs == 12).all()
    best_so_far = [int(unit.arch[: t + 1][np.argmax(unit.objective[: t + 1])]) for t in range(12)]
    np.testing.assert_allclose(unit.reported, bench.query_many(best_so_far, "digits", "test_acc"))
    np.testing.assert_array_equal(unit.incumbent, best_so_far)
    costs = bench.cost_many(unit.arch, "digits")
    first = np.unique(unit.arch, return_index=True)[1]
    charged = np.zeros(12)
    charged[first] = costs[first]
    np.testing.assert_allclose(unit.simulated_time, np.cumsum(charged))


def test_missing_entries_stop_the_unit_with_the_benchmarks_error(partial_bench_path: Path) -> None:
    spec = make_spec(partial_bench_path, budget=BudgetSpec(queries=60))
    with pytest.raises(NasbenchLabError, match="nasbench-lab fill"):
        simulator.run_unit(spec, "random", 0)


def test_time_budget_stops_after_the_crossing_query(bench_path: Path) -> None:
    spec = make_spec(bench_path, budget=BudgetSpec(seconds=5.0))
    unit = simulator.run_unit(spec, "random", 0)
    assert unit.simulated_time[-1] >= 5.0 > unit.simulated_time[-2]


def test_cached_forever_under_a_time_budget_is_an_error(bench_path: Path, registered: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", [(7, None)])
    monkeypatch.setattr(simulator, "MAX_CACHED_IN_A_ROW", 50)
    spec = make_spec(bench_path, budget=BudgetSpec(seconds=1e6), strategies=(StrategySpec("t_scripted", "s"),))
    with pytest.raises(NasbenchLabError, match="re-asked paid archs"):
        simulator.run_unit(spec, "s", 0)


def test_units_are_seeded_per_strategy_and_seed(bench_path: Path) -> None:
    spec = make_spec(bench_path)
    a = simulator.run_unit(spec, "random", 0)
    np.testing.assert_array_equal(a.arch, simulator.run_unit(spec, "random", 0).arch)
    assert not np.array_equal(a.arch, simulator.run_unit(spec, "random", 1).arch)
    assert not np.array_equal(a.arch, simulator.run_unit(dataclasses.replace(spec, seed=1), "random", 0).arch)


# --------------------------------------------------------------------------- registered strategies through the runner
def test_multi_fidelity_unit_pays_each_arch_its_deepest_run(bench_path: Path) -> None:
    """Incremental charges telescope: the clock equals, over distinct archs, the cost of the deepest run."""
    bench = Benchmark.open(bench_path)
    spec = make_spec(bench_path, budget=BudgetSpec(seconds=40.0), strategies=(StrategySpec("hyperband", "hb"),))
    unit = simulator.run_unit(spec, "hb", 0)
    assert len(set(unit.epochs.tolist())) > 1  # several fidelities were asked
    deepest: dict[int, int] = {}
    for arch, epochs in zip(unit.arch.tolist(), unit.epochs.tolist()):
        deepest[arch] = max(deepest.get(arch, 0), epochs)
    expected = sum(bench.cost(a, "digits", epochs=e) for a, e in deepest.items())
    assert unit.simulated_time[-1] == pytest.approx(expected)
    assert unit.simulated_time[-1] >= 40.0 > unit.simulated_time[-2]


def test_proxy_strategy_is_charged_for_its_proxy(bench_path: Path, tmp_path: Path) -> None:

    bench = Benchmark.open(bench_path)
    strategies = (StrategySpec("zc_warmstart", "zc", {"pool_size": 200}),)
    charged = make_spec(bench_path, strategies=strategies, proxy=ProxySpec("syn_quality"), seeds=(0,))
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

    if name.startswith("t_"):
        pytest.skip("test-only strategy")
    if getattr(STRATEGIES.get(name), "multi_objective", False):
        pytest.skip("multi-objective strategies run through the runner in tests/study/test_mo_table.py")
    spec = make_spec(bench_path, budget=BudgetSpec(queries=15, seconds=1e5), strategies=(StrategySpec(name, name),),
                 proxy=ProxySpec("syn_quality"), seeds=(0,))
    unit = simulator.run_unit(spec, name, 0)
    assert unit.n_queries == 15
    assert ((unit.epochs >= 1) & (unit.epochs <= 12)).all()
    assert (np.diff(unit.simulated_time) >= 0).all() and unit.simulated_time[0] > 0
    best_so_far = [int(unit.arch[: t + 1][np.argmax(unit.objective[: t + 1])]) for t in range(15)]
    np.testing.assert_allclose(unit.reported, Benchmark.open(bench_path).query_many(best_so_far, "digits", "test_acc"))
