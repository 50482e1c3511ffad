"""Tests of nasbench_lab/search/botorch_adapter.py: the botorch Model over FastExactGP."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasbench_lab.encodings import space_table
from nasbench_lab.search.botorch_adapter import FastGPModel
from nasbench_lab.search.fastgp import FastExactGP


def fitted_gp(seed: int, n: int = 25) -> FastExactGP:
    rng = np.random.default_rng(seed)
    table = space_table("onehot")
    target = table @ rng.normal(size=30) + rng.normal(0, 0.1, size=len(table))
    gp = FastExactGP(table)
    for arch in rng.choice(len(table), n, replace=False):
        gp.add(int(arch), float(10 * target[arch] + 3))
    gp.fit()
    return gp


def features(indices: np.ndarray) -> torch.Tensor:
    return torch.tensor(space_table("onehot")[indices], dtype=torch.float64)


def test_posterior_equals_the_fast_gp_mean_and_variance() -> None:
    gps = [fitted_gp(0), fitted_gp(1, n=40)]
    model = FastGPModel(gps)
    idx = np.arange(0, 15625, 11)
    post = model.posterior(features(idx)[:, None, :])
    assert post.mean.shape == (idx.size, 1, 2)
    for j, gp in enumerate(gps):
        mean, var = gp.posterior()
        np.testing.assert_allclose(post.mean[:, 0, j].numpy(), mean[idx], atol=1e-6, rtol=0)
        np.testing.assert_allclose(post.variance[:, 0, j].numpy(), var[idx], atol=1e-6, rtol=0)


def test_joint_covariance_is_the_gp_posterior_covariance() -> None:
    gp = fitted_gp(2)
    idx = np.array([5, 17, 9000, 12001])
    cov = FastGPModel([gp]).posterior(features(idx)[None]).mvn.covariance_matrix[0].numpy()
    # brute force: K** - K*x (Kxx + s2 I)^-1 Kx*, in the GP's standardised units then scaled back
    x = space_table("onehot") / gp.hyper.lengthscale
    k = lambda a, b: np.exp(-0.5 * ((x[a][:, None, :] - x[b][None, :, :]) ** 2).sum(-1))
    tr = np.asarray(gp.indices)
    kxx = k(tr, tr) + gp.hyper.noise * np.eye(tr.size)
    expected = k(idx, idx) - k(idx, tr) @ np.linalg.solve(kxx, k(tr, idx))
    sd = np.std(gp.y, ddof=1)
    np.testing.assert_allclose(cov, expected * sd**2, atol=1e-6)


def test_observation_noise_adds_the_noise_variance() -> None:
    gp = fitted_gp(3)
    x = features(np.array([1, 2, 3]))[None]
    model = FastGPModel([gp])
    latent = model.posterior(x).variance
    noisy = model.posterior(x, observation_noise=True).variance
    sd2 = np.var(gp.y, ddof=1)
    np.testing.assert_allclose((noisy - latent).numpy(), gp.hyper.noise * sd2, rtol=1e-9)


def test_empty_gp_gives_the_prior() -> None:
    post = FastGPModel([FastExactGP(space_table("onehot"))]).posterior(features(np.array([0, 1]))[None])
    np.testing.assert_allclose(post.mean.numpy().ravel(), 0.0)
    np.testing.assert_allclose(post.variance.numpy().ravel(), 1.0)


def test_qlognehvi_runs_on_the_adapter() -> None:
    from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
    from botorch.sampling.normal import SobolQMCNormalSampler

    table = space_table("onehot")
    rng = np.random.default_rng(6)
    archs = rng.choice(len(table), 20, replace=False)
    gps = []
    for w in (rng.normal(size=30), rng.normal(size=30)):
        gp = FastExactGP(table)
        for a in archs:
            gp.add(int(a), float(table[a] @ w))
        gp.fit()
        gps.append(gp)
    model = FastGPModel(gps)
    acq = qLogNoisyExpectedHypervolumeImprovement(
        model, ref_point=[-5.0, -5.0], X_baseline=features(archs), cache_root=False,
        sampler=SobolQMCNormalSampler(torch.Size([32]), seed=0),
    )
    with torch.no_grad():
        values = acq(features(np.arange(100))[:, None, :])
    assert values.shape == (100,) and torch.isfinite(values).all()
    assert values.std() > 0  # it tells candidates apart


def test_refuses_an_empty_model() -> None:
    from nasbench_lab.errors import ConfigError

    with pytest.raises(ConfigError):
        FastGPModel([])
