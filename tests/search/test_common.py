"""Tests of nasbench_lab/search/common.py: typed parameters, mutation helpers, history, the table loop."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from nasbench_lab import space
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation, Proposal
from nasbench_lab.search.common import (
    HistoryStrategy,
    all_ops,
    index_from_ops,
    mutate_index,
    mutation_pool,
    neighbours_of,
    random_unseen,
    run_on_table,
)
from nasbench_lab.search.simple import EvolutionParams, RegularisedEvolution


def test_ops_table_and_index_from_ops_invert_each_other():
    assert np.array_equal(all_ops(), space.ops_matrix(space.all_indices()))
    for index in (0, 1, 6111, 15624):
        assert index_from_ops(all_ops()[index]) == index


def test_mutate_index_draws_each_neighbour_uniformly():
    rng = np.random.default_rng(0)
    parent = 1234
    counts = Counter(mutate_index(rng, parent) for _ in range(24_000))
    assert set(counts) == set(space.neighbour_indices(parent).tolist())
    assert max(counts.values()) < 1200 and min(counts.values()) > 800  # 1000 expected each


def test_random_unseen_and_mutation_pool_avoid_seen_archs():
    rng = np.random.default_rng(1)
    seen = np.ones(space.N_ARCHS, dtype=bool)
    seen[[5, 77]] = False
    assert {random_unseen(rng, seen) for _ in range(50)} == {5, 77}
    seen = np.zeros(space.N_ARCHS, dtype=bool)
    seen[space.neighbour_indices(10)[:20]] = True
    pool = mutation_pool(rng, np.array([10]), 30, seen)
    assert len(set(pool.tolist())) == 30 and not seen[pool].any()
    assert set(space.neighbour_indices(10)[20:].tolist()) <= set(pool.tolist())


def test_strategy_parameters_are_a_typed_frozen_dataclass():
    rea = RegularisedEvolution(np.random.default_rng(0), population=20)
    assert rea.params == EvolutionParams(population=20, sample_size=3)
    with pytest.raises(ConfigError, match=r"^evolution.sample_size: must be <= population \(10\)"):
        RegularisedEvolution(np.random.default_rng(0), sample_size=11)
    with pytest.raises(ConfigError, match="^evolution.population: must be an integer"):
        RegularisedEvolution(np.random.default_rng(0), population=2.5)
    with pytest.raises(ConfigError, match="^evolution.size: unknown key; valid keys: population, sample_size"):
        RegularisedEvolution(np.random.default_rng(0), size=3)


def test_neighbours_of_equals_space_neighbour_indices():
    for index in (0, 1, 6111, 15624):
        assert neighbours_of(index) == space.neighbour_indices(index).tolist()


class LowestUnasked(HistoryStrategy):
    """Proposes the smallest arch index not asked (or told) yet."""

    def ask(self) -> Proposal:
        return self._propose(int(np.flatnonzero(~self._asked)[0]))


def test_history_strategy_records_tells_and_never_reproposes():
    strategy = LowestUnasked(np.random.default_rng(0))
    strategy.tell(Proposal(0), Observation(3.0, 1.0))  # a warm start: told without being asked
    first, second = strategy.ask(), strategy.ask()  # two outstanding asks
    assert (first.arch, second.arch) == (1, 2)
    assert strategy.history.archs == [0] and strategy.history.best_value == 3.0
    with pytest.raises(ConfigError, match="finite"):
        strategy.tell(Proposal(9), Observation(float("nan"), 1.0))
    assert not strategy._asked[9] and len(strategy.history) == 1  # a rejected tell changes nothing


def test_run_on_table_answers_each_proposal_from_the_table():
    objective = np.arange(space.N_ARCHS) / 10
    strategy = LowestUnasked(np.random.default_rng(0))
    strategy.tell(Proposal(2), Observation(5.0, 1.0))
    assert run_on_table(strategy, objective, 4) == [0, 1, 3, 4]
    assert strategy.history.archs == [2, 0, 1, 3, 4]
    assert strategy.history.values == pytest.approx([5.0, 0.0, 0.1, 0.3, 0.4])
