"""Tests of nasbench_lab/predictors/metrics.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors import metrics as M

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def test_perfect_and_reversed_rankings():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert M.kendall_tau(y, y) == pytest.approx(1.0)
    assert M.kendall_tau(y, -y) == pytest.approx(-1.0)
    assert M.spearman(y, y**3) == pytest.approx(1.0)
    assert M.pearson(y, 2 * y + 1) == pytest.approx(1.0)
    assert M.pearson(y, y**3) < 1.0


def test_kendall_tau_counts_pairs():
    # 3 archs: pairs (0,1) concordant, (0,2) concordant, (1,2) discordant -> (2 - 1) / 3
    assert M.kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)


def test_errors_in_target_units():
    t = np.array([90.0, 80.0, 70.0, 60.0])
    p = np.array([91.0, 78.0, 70.0, 64.0])
    assert M.mae(t, p) == pytest.approx((1 + 2 + 0 + 4) / 4)
    assert M.rmse(t, p) == pytest.approx(math.sqrt((1 + 4 + 0 + 16) / 4))


def test_constant_prediction_gives_nan_correlations():
    t = np.arange(5.0)
    c = np.full(5, 3.0)
    assert math.isnan(M.kendall_tau(t, c))
    assert math.isnan(M.spearman(t, c))
    assert math.isnan(M.pearson(c, t))


def test_precision_at_k_overlap():
    t = np.array([10.0, 9.0, 8.0, 7.0, 6.0, 5.0])
    p = np.array([10.0, 1.0, 8.0, 7.0, 9.0, 5.0])  # predicted top-3: 0, 4, 2; true top-3: 0, 1, 2
    assert M.precision_at_k(t, p, 3) == pytest.approx(2 / 3)
    assert M.precision_at_k(t, t, 6) == 1.0
    # minimised metric (a loss): the best are the smallest
    assert M.precision_at_k(t, p, 2, maximise=False) == pytest.approx(1 / 2)


def test_bad_inputs_raise_config_errors():
    with pytest.raises(ConfigError, match="one prediction per arch"):
        M.kendall_tau([1, 2, 3], [1, 2])
    with pytest.raises(ConfigError, match="at least 2"):
        M.mae([1.0], [1.0])
    with pytest.raises(ConfigError, match="test set"):
        M.precision_at_k([1, 2, 3], [1, 2, 3], 4)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=3, max_size=30))
def test_correlations_match_scipy_and_are_bounded(pairs):
    t, p = (np.array(v) for v in zip(*pairs))
    tau = M.kendall_tau(t, p)
    if np.all(t == t[0]) or np.all(p == p[0]):
        assert math.isnan(tau)
    else:
        assert -1.0 - 1e-12 <= tau <= 1.0 + 1e-12
        assert tau == pytest.approx(stats.kendalltau(t, p).statistic, nan_ok=True)
        assert M.spearman(t, p) == pytest.approx(stats.spearmanr(t, p).statistic, nan_ok=True)


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=2, max_size=40, unique=True), st.integers(1, 40))
def test_precision_at_k_is_a_fraction_and_invariant_to_monotone_maps(values, k):
    t = np.array(values)
    k = min(k, t.size)
    rng = np.random.default_rng(len(values))
    p = t + rng.normal(0, 1, t.size)
    prec = M.precision_at_k(t, p, k)
    assert 0.0 <= prec <= 1.0
    assert prec * k == pytest.approx(round(prec * k))
    assert M.precision_at_k(t, np.exp(p / 1e3), k) == pytest.approx(prec)
