"""Behaviour of the multi-objective strategies (nasbench_lab/search/multiobjective/{evolution,bo}.py)
on a synthetic two-objective table: a linear "accuracy" and a conflicting positive "cost"."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab import pareto
from nasbench_lab.encodings import space_table
from nasbench_lab.search.base import STRATEGIES
from nasbench_lab.search.multiobjective.base import VectorObservation
from nasbench_lab.search.multiobjective.bo import augmented_chebyshev

_rng = np.random.default_rng(7)
ACC = space_table("onehot") @ _rng.normal(size=30)
COST = space_table("onehot") @ np.abs(_rng.normal(size=30))
POINTS = np.stack([ACC, -COST], axis=1)  # oriented: maximise accuracy, minimise cost
REF = pareto.reference_point(POINTS)
TRUE_HV = pareto.hypervolume(POINTS[pareto.non_dominated(POINTS)], REF)
BUDGET = np.quantile(COST, 0.5)  # constraint: cost <= median
FAST = {"nsga2": {"population": 10}, "ehvi": {"pool_size": 64, "n_random": 16, "refit_every": 10}, "parego": {"refit_every": 10}}
MO = ["mo_random", "nsga2", "mo_local_search", "parego", "ehvi"]


def run(name: str, seed: int, n: int, constrained: bool = False, **params: object) -> list[int]:
    strategy = STRATEGIES.get(name)(np.random.default_rng(seed), **{**FAST.get(name, {}), **params})
    archs = []
    for _ in range(n):
        p = strategy.ask()
        slack = np.array([BUDGET - COST[p.arch]]) if constrained else None
        strategy.tell(p, VectorObservation.of(POINTS[p.arch], 1.0, slack=slack))
        archs.append(p.arch)
    return archs


@pytest.mark.parametrize("name", MO)
def test_registered_as_multi_objective(name: str) -> None:
    assert STRATEGIES.get(name).multi_objective


def test_nsga2_and_bo_beat_random_search_in_hypervolume() -> None:
    hv = {name: np.mean([pareto.hypervolume(POINTS[run(name, s, 40)], REF) / TRUE_HV for s in range(3)])
          for name in ("mo_random", "nsga2", "parego", "ehvi")}
    for name in ("nsga2", "parego", "ehvi"):
        assert hv[name] > hv["mo_random"] + 0.02, hv


def test_local_search_walks_the_neighbourhood_of_the_front() -> None:
    from nasbench_lab.search.common import neighbours_of

    archs = run("mo_local_search", 0, 40, n_init=5)
    later = archs[5:]
    neighbours = {n for a in archs for n in neighbours_of(a)}
    assert all(a in neighbours for a in later[:10])


@pytest.mark.parametrize("name", ["nsga2", "parego", "ehvi"])
def test_constrained_search_proposes_mostly_feasible_archs(name: str) -> None:
    """Random proposals are feasible half of the time (median budget); the constraint-aware ones far more."""
    archs = run(name, 0, 40, constrained=True)[20:]
    assert np.mean(COST[archs] <= BUDGET) > 0.7


def test_augmented_chebyshev_prefers_the_weighted_objective() -> None:
    points = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    np.testing.assert_array_equal(np.argmax(augmented_chebyshev(points, np.array([0.9, 0.1]), 0.05)), 0)
    np.testing.assert_array_equal(np.argmax(augmented_chebyshev(points, np.array([0.5, 0.5]), 0.05)), 2)
