"""Tests of nasbench_lab/search/multiobjective/base.py."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation, Proposal
from nasbench_lab.search.multiobjective.base import VectorObservation, constrained_ranks
from nasbench_lab.search.multiobjective.evolution import MORandomSearch


def test_constrained_ranks_put_feasible_points_first_then_least_violation() -> None:
    points = np.array([[1.0, 1.0], [0.0, 0.0], [5.0, 5.0], [9.0, 9.0], [2.0, 0.0]])
    slack = np.array([[0.1], [0.0], [-1.0], [-0.5], [0.2]])
    np.testing.assert_array_equal(constrained_ranks(points, slack), [0, 1, 3, 2, 0])
    # without constraints it is plain non-dominated sorting
    np.testing.assert_array_equal(constrained_ranks(points, np.zeros((5, 0))), [2, 3, 1, 0, 2])


def test_vector_observation_feasibility_and_value() -> None:
    obs = VectorObservation.of(np.array([3.0, -1.0]), 2.0, slack=np.array([0.0, 1.0]))
    assert obs.value == 3.0 and obs.feasible
    assert not VectorObservation.of(np.array([1.0]), 0.0, slack=np.array([-1e-9])).feasible


def test_scalar_observations_and_changing_shapes_are_refused() -> None:
    strategy = MORandomSearch(np.random.default_rng(0))
    p = strategy.ask()
    with pytest.raises(ConfigError, match="multi-objective"):
        strategy.tell(p, Observation(1.0, 1.0))
    strategy.tell(p, VectorObservation.of(np.array([1.0, 2.0]), 1.0))
    with pytest.raises(ConfigError, match="same objectives"):
        strategy.tell(Proposal(5), VectorObservation.of(np.array([1.0, 2.0, 3.0]), 1.0))
    with pytest.raises(ConfigError, match="finite"):
        strategy.tell(Proposal(6), VectorObservation.of(np.array([np.nan, 2.0]), 1.0))


def test_front_is_the_feasible_non_dominated_set() -> None:
    strategy = MORandomSearch(np.random.default_rng(0))
    data = {0: ([1.0, 1.0], [1.0]), 1: ([3.0, 3.0], [-1.0]), 2: ([0.0, 2.0], [0.0]), 3: ([0.5, 0.5], [1.0])}
    for arch, (values, slack) in data.items():
        strategy.tell(Proposal(arch), VectorObservation.of(np.array(values), 1.0, slack=np.array(slack)))
    np.testing.assert_array_equal(strategy.front(), [0, 2])
