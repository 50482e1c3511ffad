"""Tests of nasbench_lab/predictors/xgb.py."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.predictors.xgb import XGBOmniPredictor, XGBPredictor, curve_features
from nasbench_lab.space import ops_matrix


def synthetic(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    archs = rng.choice(15625, n, replace=False)
    ops = ops_matrix(archs)
    y = 70 + 4 * (ops == 3).sum(1) - 3 * (ops == 4).sum(1) + rng.normal(0, 0.5, n)
    return archs, y, rng


@pytest.mark.parametrize("encoding", ["onehot", "path", "graph"])
def test_xgb_learns_from_each_encoding(encoding: str) -> None:
    archs, y, _ = synthetic(300)
    p = XGBPredictor(encoding=encoding, n_estimators=100).fit(archs[:200], y[:200])
    assert kendalltau(p.predict(archs[200:]), y[200:])[0] > 0.5


def test_xgb_rejects_a_non_vector_encoding() -> None:
    archs, y, _ = synthetic(20)
    with pytest.raises(ConfigError, match="encoding"):
        XGBPredictor(encoding="wl").fit(archs, y)


def test_curve_features_by_hand() -> None:
    curves = np.array([[10.0, 30.0, 20.0, 40.0, 50.0, 60.0]])
    # last, best, mean, slope over the last 5 points (30 -> 60 over 4 steps)
    np.testing.assert_allclose(curve_features(curves), [[60.0, 60.0, 35.0, 7.5]])


def test_omni_uses_an_informative_proxy() -> None:
    archs, y, rng = synthetic(200)
    noise = rng.normal(size=(200, 1))
    proxies = np.column_stack([y + rng.normal(0, 0.1, 200), noise[:, 0]])
    # with a nearly perfect proxy the omni model beats the encoding alone on unseen archs
    omni = XGBOmniPredictor(n_estimators=100).fit(archs[:40], y[:40], proxies=proxies[:40])
    plain = XGBPredictor(n_estimators=100).fit(archs[:40], y[:40])
    tau_omni = kendalltau(omni.predict(archs[40:], proxies=proxies[40:]), y[40:])[0]
    tau_plain = kendalltau(plain.predict(archs[40:]), y[40:])[0]
    assert tau_omni > tau_plain + 0.05


def test_omni_inputs_must_match_between_fit_and_predict() -> None:
    archs, y, rng = synthetic(30)
    proxies, curves = rng.normal(size=(30, 2)), rng.normal(size=(30, 4))
    with pytest.raises(NasbenchLabError, match="proxies="):
        XGBOmniPredictor(n_estimators=5).fit(archs, y)
    p = XGBOmniPredictor(n_estimators=5).fit(archs, y, proxies=proxies, curves=curves)
    assert p.predict(archs, proxies=proxies, curves=curves).shape == (30,)
    with pytest.raises(NasbenchLabError, match="curves"):
        p.predict(archs, proxies=proxies)
    with pytest.raises(NasbenchLabError, match="width 4"):
        p.predict(archs, proxies=proxies, curves=curves[:, :3])
    with pytest.raises(NasbenchLabError, match="proxy columns"):
        p.predict(archs, proxies=proxies[:, :1], curves=curves)
    q = XGBOmniPredictor(n_estimators=5).fit(archs, y, proxies=proxies)
    with pytest.raises(NasbenchLabError, match="without curves"):
        q.predict(archs, proxies=proxies, curves=curves)


def test_omni_takes_nan_proxies_as_missing_and_refuses_inf() -> None:
    archs, y, rng = synthetic(200)
    proxies = (y + rng.normal(0, 0.1, 200))[:, None]
    undefined = rng.choice(200, 30, replace=False)  # a proxy undefined for some archs, in train and test
    proxies[undefined] = np.nan
    omni = XGBOmniPredictor(n_estimators=100).fit(archs[:60], y[:60], proxies=proxies[:60])
    pred = omni.predict(archs[60:], proxies=proxies[60:])
    assert np.isfinite(pred).all()
    plain = XGBPredictor(n_estimators=100).fit(archs[:60], y[:60])
    assert kendalltau(pred, y[60:])[0] > kendalltau(plain.predict(archs[60:]), y[60:])[0]
    proxies[undefined] = np.inf
    with pytest.raises(NasbenchLabError, match="infinite"):
        XGBOmniPredictor(n_estimators=5).fit(archs[:60], y[:60], proxies=proxies[:60])
