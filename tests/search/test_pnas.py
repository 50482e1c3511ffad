"""Tests of nasbench_lab/search/pnas.py: level order, beam and greedy phase."""

from __future__ import annotations

import numpy as np

from nasbench_lab import space
from nasbench_lab.encodings import space_table
from nasbench_lab.search.base import Observation
from nasbench_lab.search.pnas import LEVELS, ProgressiveSearch, expand

_rng = np.random.default_rng(3)
OBJECTIVE = 80 + 2 * space_table("onehot") @ _rng.normal(size=30)
OPS = space.ops_matrix(space.all_indices())
EMPTY = space.Arch((0,) * 6).index


def test_levels_assign_every_edge_once():
    assert sorted(e for level in LEVELS for e in level) == list(range(space.N_EDGES))
    assert len(expand(np.array([EMPTY]), LEVELS[0])) == 5
    assert len(expand(np.array([EMPTY, space.Arch((0, 0, 0, 3, 0, 0)).index]), LEVELS[1])) == 50


def test_each_level_only_touches_its_edges_and_evaluates_the_beam():
    pnas = ProgressiveSearch(np.random.default_rng(0), beam_size=4, epochs=30)
    archs = []
    for _ in range(5 + 4 * 3):
        p = pnas.ask()
        pnas.tell(p, Observation(float(OBJECTIVE[p.arch]), 1.0))
        archs.append(p.arch)
    level1, level2, level3, _level4 = archs[:5], archs[5:9], archs[9:13], archs[13:17]
    assert sorted(OPS[level1, 3]) == [0, 1, 2, 3, 4] and not OPS[level1][:, [0, 1, 2, 4, 5]].any()
    assert not OPS[level2][:, [1, 2, 5]].any()  # 0-2, 1-2, 2-3 still none
    assert not OPS[level3][:, 2].any()  # 1-2 is assigned last
    top4_level1 = set(np.array(level1)[np.argsort(-OBJECTIVE[level1])[:4]])
    for a in level2:  # every level-2 arch extends a member of the level-1 beam
        parent = OPS[a].copy()
        parent[[0, 4]] = 0
        assert space.indices_from_ops(parent[None])[0] in top4_level1
    assert len(set(archs)) == len(archs)
    greedy = pnas.ask()
    assert greedy.arch not in archs
