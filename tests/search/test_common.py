"""Tests of nasbench_lab/search/common.py: parameter validation, one-hot table, mutation helpers."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from nasbench_lab import space
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation, Proposal
from nasbench_lab.search.common import (
    HistoryStrategy,
    Param,
    mutate_index,
    mutation_pool,
    neighbours_of,
    onehot_table,
    random_unseen,
    run_on_table,
)


def test_onehot_table_marks_one_op_per_edge():
    table = onehot_table()
    assert table.shape == (space.N_ARCHS, 30) and (table.sum(1) == 6).all()
    arch = space.Arch((4, 0, 1, 2, 3, 4))
    assert np.flatnonzero(table[arch.index]).tolist() == [4, 5, 11, 17, 23, 29]


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


def test_param_checks_name_the_parameter():
    with pytest.raises(ConfigError, match="'size'.*integer"):
        Param(1, "int").check("x", "size", 1.5)
    with pytest.raises(ConfigError, match="'size'.*>= 1"):
        Param(1, "int", low=1).check("x", "size", 0)
    with pytest.raises(ConfigError, match="'kind'.*one of a, b"):
        Param("a", "str", choices=("a", "b")).check("x", "kind", "c")
    with pytest.raises(ConfigError, match="'flag'"):
        Param(True, "bool").check("x", "flag", 1)
    assert Param(0.5, "float").check("x", "rate", 2) == 2.0


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
