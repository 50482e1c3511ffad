"""Tests of nasbench_lab/predictors/gp.py, including the NB201 real-data targets (skipped without
../shared/nb201)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import NB201_DIR, nb201_file
from scipy.stats import kendalltau

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.predictors.gp import GPPredictor, WLGPPredictor
from nasbench_lab.space import indices_from_ops
from predictors.synthetic_targets import synthetic as shared_synthetic

torch.set_num_threads(1)

NB201 = NB201_DIR / "nwot_arch_score_acc.csv"


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return shared_synthetic(n, seed, conv1=2, noise=0.3)


@pytest.mark.parametrize("kernel", ["rbf", "matern"])
def test_gp_interpolates_and_is_uncertain_away_from_data(kernel: str) -> None:
    archs, y = synthetic(80)
    p = GPPredictor(kernel=kernel, pruned=False).fit(archs[:60], y[:60])
    train_mean, train_std = p.predict_dist(archs[:60])
    _test_mean, test_std = p.predict_dist(archs[60:])
    assert np.abs(train_mean - y[:60]).mean() < 1.0
    assert kendalltau(p.predict(archs[60:]), y[60:])[0] > 0.5
    assert np.median(test_std) > np.median(train_std)


def test_gp_log_error_off_predicts_in_target_units() -> None:
    archs, y = synthetic(50)
    p = GPPredictor(log_error=False, pruned=False).fit(archs, y)
    mean, std = p.predict_dist(archs)
    np.testing.assert_allclose(p.predict(archs), mean)  # no transform: median = mean
    assert np.abs(mean - y).max() < 2.0 and (std > 0).all()


def test_gp_rejects_bad_settings() -> None:
    archs, y = synthetic(10)
    with pytest.raises(ConfigError, match="kernel"):
        GPPredictor(kernel="cubic").fit(archs, y)
    with pytest.raises(ConfigError, match="vector encoding"):
        GPPredictor(encoding="wl").fit(archs, y)
    with pytest.raises(NasbenchLabError, match="NaN"):
        GPPredictor().fit(archs, np.where(np.arange(10) == 3, np.nan, y))


def test_gp_wl_chooses_a_depth_by_marginal_likelihood() -> None:
    archs, y = synthetic(60)
    p = WLGPPredictor(depths=[0, 1, 2, 3], select_size=60).fit(archs, y)
    assert p.depth_ in (0, 1, 2, 3)
    others = [WLGPPredictor(depths=[h]).fit(archs, y).neg_mll_ for h in (0, 1, 2, 3)]
    assert p.neg_mll_ == pytest.approx(min(others))
    assert WLGPPredictor(depths=[2]).fit(archs, y).depth_ == 2
    with pytest.raises(ConfigError, match="depths"):
        WLGPPredictor(depths=[]).fit(archs, y)


@pytest.mark.parametrize("kernel", ["rbf", "linear"])
def test_gp_wl_gives_isomorphic_cells_the_same_prediction(kernel: str) -> None:
    archs, y = synthetic(40)
    p = WLGPPredictor(kernel=kernel, depths=[2]).fit(archs, y)
    ops = np.array([[3, 2, 0, 1, 4, 3]])  # e12 = none: nodes 1 and 2 are interchangeable
    swapped = ops[:, [1, 0, 2, 3, 5, 4]]
    a, b = indices_from_ops(ops)[0], indices_from_ops(swapped)[0]
    assert a != b
    mean, std = p.predict_dist(np.array([a, b]))
    assert mean[0] == pytest.approx(mean[1]) and std[0] == pytest.approx(std[1])


# --------------------------------------------------------------------------- real NB201 data
@pytest.fixture(scope="module")
def nb201_valid() -> np.ndarray:
    nb201_file(NB201.name)
    data = np.genfromtxt(NB201, delimiter=",", names=True, usecols=(0, 4))
    assert np.array_equal(data["arch"], np.arange(15625))
    return data["valid_top1"]


def _trials(y: np.ndarray, make, n_train: int, trials: int) -> tuple[list[float], list[float]]:
    taus, cover = [], []
    for t in range(trials):
        perm = np.random.default_rng([7, t]).permutation(15625)
        test, train = perm[:200], perm[200 : 200 + n_train]
        p = make(t).fit(train, y[train])
        mean, std = p.predict_dist(test)
        taus.append(kendalltau(p.predict(test), y[test])[0])
        cover.append(float(np.mean(np.abs(y[test] - mean) <= 1.645 * std)))
    return taus, cover


def test_nb201_gp_wl_at_100_archs_ranks_and_is_calibrated(nb201_valid: np.ndarray) -> None:
    taus, cover = _trials(nb201_valid, lambda t: WLGPPredictor(seed=t), 100, trials=10)
    assert np.mean(taus) >= 0.60, taus
    assert 0.80 <= np.mean(cover) <= 0.97, cover


def test_nb201_gp_at_1000_archs_ranks_and_is_calibrated(nb201_valid: np.ndarray) -> None:
    taus, cover = _trials(nb201_valid, lambda t: GPPredictor(seed=t), 1000, trials=2)
    assert np.mean(taus) >= 0.80, taus
    assert 0.80 <= np.mean(cover) <= 0.97, cover
