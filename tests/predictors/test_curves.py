"""Tests of nasbench_lab/predictors/curves.py and curve_families.py on synthetic curves from known parametric families."""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors import curve_families as F
from nasbench_lab.predictors import curves as C
from nasbench_lab.predictors.base import PREDICTORS, Predictor

X = np.arange(1.0, 51.0)  # 50 evaluation points (epochs 1..50)


def pow3_curves(n: int, seed: int = 0) -> np.ndarray:
    """Accuracy-like curves c - a x^-alpha, shape (n, 50), in percent."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(70, 95, n)[:, None]
    a = rng.uniform(20, 60, n)[:, None]
    alpha = rng.uniform(0.3, 1.0, n)[:, None]
    return c - a * X[None, :] ** (-alpha)


def test_every_curve_predictor_is_registered():
    for name in ("lce", "lcsvr", "sotl", "sotle", "early_stop"):
        assert PREDICTORS.get(name).needs_curves


@pytest.mark.parametrize(
    "family, params",
    [
        ("pow3", (0.85, 0.4, 0.6)),
        ("janoschek", (0.9, 0.1, 0.05, 0.8)),
        ("weibull", (0.9, 0.1, 0.03, 0.7)),
        ("mmf", (0.9, 0.1, 0.05, 1.2)),
        ("exp4", (0.9, 0.3, 0.0, 0.5)),
        ("vapour_pressure", (-0.1, -0.8, 0.01)),
    ],
)
def test_a_family_recovers_its_own_curve(family, params):
    f = F.FAMILIES[family]
    y = f.func(X, *params)
    value, aic = F.fit_family(f, X[:20], y[:20], X[-1], maxfev=2000)
    assert value == pytest.approx(y[-1], abs=1e-4)
    assert np.isfinite(aic)


def _fitted(predictor: Predictor) -> Predictor:
    """A training-free predictor after its (input-free) fit."""
    return predictor.fit(np.arange(2), np.zeros(2))


def test_lce_extrapolates_pow3_curves_better_than_the_last_value():
    curves = pow3_curves(8)
    truth = curves[:, -1]
    lce = C.LCE(eval_points=X).fit(np.arange(8), truth)
    pred = lce.predict(np.arange(8), curves=curves[:, :10])
    assert np.abs(pred - truth).max() < 0.5
    assert np.abs(curves[:, 9] - truth).min() > 2.0  # the last observed value is far off
    assert lce.n_fallback_archs_ == 0


def test_lce_counts_failed_fits_and_never_guesses(caplog):
    curves = pow3_curves(3)
    # value_range (0, 1) for accuracies in percent rejects every extrapolation: all archs fall back
    tight = _fitted(C.LCE(eval_points=X, value_range=(0.0, 1.0)))
    with caplog.at_level(logging.INFO, logger="nasbench_lab.predictors.curves"):
        fallback = tight.predict(np.arange(3), curves=curves[:, :10])
    assert np.array_equal(fallback, curves[:, 9])
    assert tight.n_fallback_archs_ == 3
    assert tight.n_failed_fits_ == 3 * len(F.FAMILIES)
    assert tight.failed_fits_ == {name: 3 for name in F.FAMILIES}
    assert "3 archs fell back" in caplog.text


def test_lce_skips_underdetermined_families_without_counting_them():
    curves = pow3_curves(2)
    lce = _fitted(C.LCE(eval_points=X))
    pred = lce.predict(np.arange(2), curves=curves[:, :2])  # 2 points: no family has p + 1 <= 2
    assert np.array_equal(pred, curves[:, 1])
    assert lce.n_failed_fits_ == 0 and lce.n_fallback_archs_ == 2


def test_lce_extrapolation_weights_prefer_the_better_fit():
    y = F.FAMILIES["pow3"].func(X, 0.85, 0.4, 0.6) * 100
    failures = Counter()
    only_pow3 = C.LCE(eval_points=X, families=["pow3"]).extrapolate(y[:15], failures)
    mixed = C.LCE(eval_points=X, families=["pow3", "ilog2"]).extrapolate(y[:15], failures)
    ilog2 = C.LCE(eval_points=X, families=["ilog2"]).extrapolate(y[:15], failures)
    assert abs(mixed - y[-1]) <= abs(ilog2 - y[-1])
    assert only_pow3 == pytest.approx(y[-1], abs=1e-6)


def test_lce_needs_eval_points_and_valid_families():
    with pytest.raises(ConfigError, match="eval_points"):
        _fitted(C.LCE()).predict(np.arange(2), curves=pow3_curves(2)[:, :5])
    with pytest.raises(ConfigError, match="families"):
        C.LCE(eval_points=X, families=["nope"]).fit(np.arange(2), np.zeros(2))


def test_training_free_scores():
    losses = np.array([[2.0, 1.0, 0.5], [2.0, 1.5, 0.2], [3.0, 2.0, 1.0]])
    accs = np.array([[10.0, 20.0, 30.0], [5.0, 25.0, 40.0], [1.0, 2.0, 3.0]])
    archs = np.arange(3)
    np.testing.assert_allclose(_fitted(C.SoTL()).predict(archs, train_losses=losses), [-3.5, -3.7, -6.0])
    np.testing.assert_allclose(_fitted(C.SoTLE()).predict(archs, train_losses=losses), [-0.5, -0.2, -1.0])
    np.testing.assert_allclose(_fitted(C.EarlyStop()).predict(archs, curves=accs), [30.0, 40.0, 3.0])
    assert C.SoTL.predicts_scores and not C.EarlyStop.predicts_scores
    assert not C.SoTL.needs_training


def test_curve_inputs_are_checked():
    with pytest.raises(ConfigError, match="train_losses"):
        _fitted(C.SoTL()).predict(np.arange(2))
    with pytest.raises(ConfigError, match="NaN"):
        _fitted(C.EarlyStop()).predict(np.arange(2), curves=np.array([[1.0], [np.nan]]))
    with pytest.raises(ConfigError, match="shape"):
        _fitted(C.EarlyStop()).predict(np.arange(3), curves=np.ones((2, 4)))


def test_curve_features_values_slopes_curvature():
    feats = C.curve_features(np.array([[1.0, 2.0, 4.0, 7.0]]))
    np.testing.assert_allclose(feats, [[1, 2, 4, 7, 1, 2, 3, 1, 1]])
    assert C.curve_features(np.ones((3, 1))).shape == (3, 1)


def test_lcsvr_learns_final_value_from_partial_curves_and_is_deterministic():
    curves = pow3_curves(90, seed=1)
    archs = np.arange(90) * 7
    y = curves[:, -1]
    fit = lambda: C.LcSVR(cv_iterations=4, seed=3).fit(archs[:60], y[:60], curves=curves[:60, :8])
    model = fit()
    pred = model.predict(archs[60:], curves=curves[60:, :8])
    assert model.cv_used_ and set(model.best_params_) == {"C", "nu", "gamma"}
    assert np.corrcoef(pred, y[60:])[0, 1] > 0.9
    assert np.array_equal(pred, fit().predict(archs[60:], curves=curves[60:, :8]))


def test_lcsvr_without_enough_archs_for_cv_uses_defaults():
    curves = pow3_curves(4)
    model = C.LcSVR(encoding=None).fit(np.arange(4), curves[:, -1], curves=curves[:, :5])
    assert not model.cv_used_
    assert model.predict(np.arange(4), curves=curves[:, :5]).shape == (4,)
