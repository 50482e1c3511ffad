"""Tests of nasbench_lab/search/surrogates.py: the refitted surrogate of BANANAS, NPENAS and PNAS."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab.encodings import encode
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.surrogates import Surrogate, SurrogateParams, features

_rng = np.random.default_rng(2)
ARCHS = _rng.choice(15625, 40, replace=False)
CANDS = _rng.choice(15625, 200, replace=False)
VALUES = encode("onehot", ARCHS) @ _rng.normal(size=30)


def test_features_are_rows_of_the_registered_encodings():
    assert np.array_equal(features(CANDS, "live_path"), encode("live_path", CANDS))
    with pytest.raises(ConfigError, match="^encoding: no encoding named"):
        SurrogateParams(encoding="paths")


def test_fresh_fits_draw_new_weights_and_warm_fits_reuse_them():
    fresh = Surrogate(SurrogateParams(epochs=30, warm_epochs=0), np.random.default_rng(0))
    a, b = fresh.predict(ARCHS, VALUES, CANDS), fresh.predict(ARCHS, VALUES, CANDS)
    assert not np.array_equal(a, b)  # a new initialisation each call
    warm = Surrogate(SurrogateParams(epochs=30, warm_epochs=1), np.random.default_rng(0))
    first = warm.predict(ARCHS, VALUES, CANDS)
    assert np.array_equal(first, a)  # the first fit is the same fresh fit
    second = warm.predict(ARCHS, VALUES, CANDS)
    assert np.abs(second - first).max() < np.abs(b - a).max()  # one more step moves it less than a refit


def test_a_registered_predictor_replaces_the_ensemble():
    s = Surrogate(SurrogateParams(predictor="xgb", predictor_params={"n_estimators": 20}), np.random.default_rng(0))
    assert s.predict(ARCHS, VALUES, CANDS).shape == (200,)
    assert np.corrcoef(s.predict(ARCHS, VALUES, ARCHS), VALUES)[0, 1] > 0.9  # it fits what it was given
    with pytest.raises(ConfigError):
        Surrogate(SurrogateParams(predictor="no_such_predictor"), np.random.default_rng(0))
