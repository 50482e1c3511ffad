"""Tests of nasbench_lab/search/simple.py: random search, regularised evolution, local search."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab import space
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation
from nasbench_lab.search.common import run_on_table
from nasbench_lab.search.simple import LocalSearch, RandomSearch, RegularisedEvolution

OPS = space.ops_matrix(space.all_indices())
TARGET = 4321
# A single-peaked objective: minus the Hamming distance (in ops) to TARGET.
HAMMING = -(OPS[TARGET] != OPS).sum(1).astype(float)


def hamming(a: int, b: int) -> int:
    return int((OPS[a] != OPS[b]).sum())


def test_random_search_never_repeats_and_covers_the_space():
    archs = run_on_table(RandomSearch(np.random.default_rng(0)), HAMMING, 3000)
    assert len(set(archs)) == 3000
    # uniform: about a fifth of the draws have op 3 on edge 0
    assert abs((OPS[archs, 0] == 3).mean() - 0.2) < 0.03


def test_evolution_children_are_one_edit_mutations_of_the_population():
    evo = RegularisedEvolution(np.random.default_rng(1), population=8, sample_size=3)
    archs = run_on_table(evo, HAMMING, 8)
    for _ in range(40):
        members = [a for a, _ in evo._members]
        p = evo.ask()
        assert min(hamming(p.arch, m) for m in members) == 1
        evo.tell(p, Observation(float(HAMMING[p.arch]), 1.0))
        archs.append(p.arch)
    assert len(evo._members) == 8  # aging keeps the population size
    assert archs[-1] in [a for a, _ in evo._members] and archs[-9] not in [a for a, _ in evo._members]


def test_evolution_climbs_a_single_peak():
    evo = [max(HAMMING[run_on_table(RegularisedEvolution(np.random.default_rng(s)), HAMMING, 150)]) for s in range(8)]
    rs = [max(HAMMING[run_on_table(RandomSearch(np.random.default_rng(s)), HAMMING, 150)]) for s in range(8)]
    assert np.mean(evo) >= np.mean(rs) + 0.5
    assert sum(v == 0 for v in evo) >= 2  # reached the peak (random search: a 1% chance per seed)


def test_evolution_rejects_a_tournament_larger_than_the_population():
    with pytest.raises(ConfigError, match="sample_size"):
        RegularisedEvolution(np.random.default_rng(0), population=5, sample_size=6)
    with pytest.raises(ConfigError, match="population"):
        RegularisedEvolution(np.random.default_rng(0), population="ten")


def test_local_search_walks_neighbourhoods_and_reaches_the_peak():
    ls = LocalSearch(np.random.default_rng(3), n_init=5)
    archs = run_on_table(ls, HAMMING, 5)
    for _ in range(150):
        p = ls.ask()
        if ls.incumbent is not None:
            assert hamming(p.arch, ls.incumbent) == 1
        ls.tell(p, Observation(float(HAMMING[p.arch]), 1.0))
        archs.append(p.arch)
    assert TARGET in archs
    assert ls.n_restarts >= 1  # the peak is a local optimum: the search restarted from it
    assert len(set(archs)) == len(archs)
