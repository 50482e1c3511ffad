"""Tests of nasbench_lab/search/bananas.py: BANANAS and NPENAS."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab import space
from nasbench_lab.encodings import encode, space_table
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.bananas import Bananas, Npenas
from nasbench_lab.search.common import run_on_table
from nasbench_lab.search.surrogates import features

_rng = np.random.default_rng(5)
OBJECTIVE = 80 + 2 * space_table("onehot") @ _rng.normal(size=30) + _rng.normal(0, 0.2, space.N_ARCHS)
OPS = space.ops_matrix(space.all_indices())


def test_features_are_rows_of_the_registered_encodings():
    archs = np.array([0, 6111, 15624])
    assert np.array_equal(features(archs, "live_path"), encode("live_path", archs))
    assert np.array_equal(features(archs, "onehot"), encode("onehot", archs))
    with pytest.raises(ConfigError, match="encoding: no encoding named 'paths'"):
        Bananas(np.random.default_rng(0), encoding="paths")


def test_bananas_beats_random_search_on_a_smooth_objective():
    finals = [OBJECTIVE[run_on_table(Bananas(np.random.default_rng(s), epochs=60), OBJECTIVE, 40)].max() for s in range(3)]
    assert np.mean(finals) >= np.quantile(OBJECTIVE, 0.995)  # random: the top 2.5% in expectation


def test_npenas_proposes_mutations_of_its_best_archs():
    npenas = Npenas(np.random.default_rng(0), epochs=40, population=5, batch_size=3)
    archs = run_on_table(npenas, OBJECTIVE, 10)
    best = np.array(archs)[np.argsort(-OBJECTIVE[archs])[:5]]
    nxt = run_on_table(npenas, OBJECTIVE, 3)
    for a in nxt:
        assert min(int((OPS[a] != OPS[b]).sum()) for b in best) == 1
    assert len(set(archs + nxt)) == 13


def test_bananas_can_score_every_unevaluated_arch():
    bananas = Bananas(np.random.default_rng(4), epochs=100, n_init=20, candidates="all", acquisition="mean", batch_size=3)
    archs = run_on_table(bananas, OBJECTIVE, 23)
    assert len(set(archs)) == 23
    # the ensemble mean over the whole space points at good archs after 20 random ones
    assert OBJECTIVE[archs[20:]].mean() > np.quantile(OBJECTIVE, 0.95)
