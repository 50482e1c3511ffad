"""Tests of nasbench_lab/predictors/_targets.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.predictors._targets import PredictorInputError, TargetScaler, check_fit_inputs, check_side_input


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(5, 99.5), min_size=2, max_size=20), st.booleans())
def test_scaler_round_trips_and_keeps_order(values: list[float], log_error: bool) -> None:
    y = np.array(values)
    s = TargetScaler.fit(y, log_error)
    z = s.transform(y)
    np.testing.assert_allclose(s.inverse_mean(z), y, rtol=1e-9, atol=1e-9)
    # monotone: rounding may tie values one ulp apart (5.0, 5.000000000000001) but never swaps them
    assert (np.diff(z[np.argsort(y, kind="stable")]) >= 0).all()


def test_log_error_distribution_matches_sampling() -> None:
    s = TargetScaler.fit(np.array([80.0, 90.0, 70.0]), log_error=True)
    mean, std = s.inverse_dist(np.array([0.3]), np.array([0.4]))
    draws = s.inverse_mean(np.random.default_rng(0).normal(0.3, 0.4, 400_000))
    assert mean[0] == pytest.approx(draws.mean(), rel=1e-3)
    assert std[0] == pytest.approx(draws.std(), rel=1e-2)


def test_input_checks() -> None:
    with pytest.raises(PredictorInputError, match="one target per arch"):
        check_fit_inputs(np.arange(3), np.ones(2))
    with pytest.raises(PredictorInputError, match="NaN"):
        check_fit_inputs(np.arange(3), np.array([1.0, np.inf, 2.0]))
    with pytest.raises(PredictorInputError, match="y < 100"):
        TargetScaler.fit(np.array([50.0, 100.0]), log_error=True)
    with pytest.raises(PredictorInputError, match=r"shape \(3, k\)"):
        check_side_input("proxies", np.ones((2, 1)), 3, "x")
    assert check_side_input("proxies", np.ones(3), 3, "x").shape == (3, 1)
    with_nan = np.array([1.0, np.nan, 2.0])
    with pytest.raises(PredictorInputError, match="1 NaN/inf"):
        check_side_input("proxies", with_nan, 3, "x")
    assert np.isnan(check_side_input("proxies", with_nan, 3, "x", allow_nan=True)[1, 0])
    with pytest.raises(PredictorInputError, match="1 infinite"):
        check_side_input("proxies", np.array([1.0, -np.inf, 2.0]), 3, "x", allow_nan=True)
