"""Tests of nasbench_lab/predictors/baselines.py."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab.errors import ArchError, NasbenchLabError
from nasbench_lab.predictors.baselines import MeanPredictor, RandomPredictor, ZeroCostPredictor

ARCHS = np.array([3, 14, 159, 2653, 5897])
Y = np.array([80.0, 85.0, 70.0, 90.0, 60.0])


def test_random_is_seeded_and_per_arch() -> None:
    a = RandomPredictor(seed=1).fit(ARCHS, Y)
    np.testing.assert_array_equal(a.predict(ARCHS), RandomPredictor(seed=1).fit(ARCHS[:2], Y[:2]).predict(ARCHS))
    assert a.predict(ARCHS[[4, 0]]).tolist() == a.predict(ARCHS)[[4, 0]].tolist()
    assert not np.array_equal(a.predict(ARCHS), RandomPredictor(seed=2).fit(ARCHS, Y).predict(ARCHS))
    assert ((a.predict(ARCHS) >= 0) & (a.predict(ARCHS) < 1)).all()
    with pytest.raises(ArchError):
        a.predict(np.array([15625]))


def test_mean_predicts_the_training_mean() -> None:
    p = MeanPredictor().fit(ARCHS, Y)
    assert p.predict(np.arange(3)).tolist() == [77.0] * 3
    with pytest.raises(NasbenchLabError, match="NaN"):
        MeanPredictor().fit(ARCHS, np.array([1.0, np.nan, 2, 3, 4]))


def test_zc_ranks_by_the_chosen_column() -> None:
    proxies = np.column_stack([Y, -Y])
    assert ZeroCostPredictor(proxy=0).fit(ARCHS, Y).predict(ARCHS, proxies=proxies).tolist() == Y.tolist()
    assert ZeroCostPredictor(proxy=1, negate=True).fit(ARCHS, Y).predict(ARCHS, proxies=proxies).tolist() == Y.tolist()
    with pytest.raises(NasbenchLabError, match="column 2"):
        ZeroCostPredictor(proxy=2).fit(ARCHS, Y).predict(ARCHS, proxies=proxies)
    with pytest.raises(NasbenchLabError, match="proxies="):
        ZeroCostPredictor().fit(ARCHS, Y).predict(ARCHS)
    with pytest.raises(NasbenchLabError, match="NaN"):
        ZeroCostPredictor().fit(ARCHS, Y).predict(ARCHS, proxies=np.array([1.0, np.nan, 2, 3, 4]))
