"""Tests of nasbench_lab/search/zc_warmstart.py."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab import space
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation
from nasbench_lab.search.zc_warmstart import ZeroCostWarmStart

SCORE = np.random.default_rng(0).normal(size=space.N_ARCHS)


@pytest.mark.parametrize("then", ["evolution", "bo"])
def test_warm_start_evaluates_the_best_scored_pool_members_then_hands_over(then):
    seen_pools = []

    def oracle(idx):
        seen_pools.append(np.array(idx))
        scores = SCORE[idx].copy()
        scores[np.argmax(scores)] = np.nan  # a proxy that failed on the pool's best arch
        return scores

    zc = ZeroCostWarmStart(np.random.default_rng(1), proxy_oracle=oracle, pool_size=500, n_warm=10, then=then,
                           then_params={"n_init": 10} if then == "bo" else {})
    archs = []
    for _ in range(14):
        p = zc.ask()
        zc.tell(p, Observation(float(SCORE[p.arch]), 1.0))
        archs.append(p.arch)
    assert len(seen_pools) == 1 and len(seen_pools[0]) == 500
    pool = seen_pools[0]
    ranked = pool[np.argsort(-SCORE[pool])]
    assert archs[:10] == [int(a) for a in ranked[1:11]]  # the NaN-scored best is skipped
    assert len(zc.inner.history) == 14
    assert set(archs[10:]).isdisjoint(archs[:10])


def test_needs_a_proxy_oracle():
    with pytest.raises(ConfigError, match="proxy"):
        ZeroCostWarmStart(np.random.default_rng(0))
    with pytest.raises(ConfigError, match="n_warm"):
        ZeroCostWarmStart(np.random.default_rng(0), proxy_oracle=lambda i: SCORE[i], pool_size=5, n_warm=6)
