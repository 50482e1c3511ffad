"""Tests of nasbench_lab/search/fastgp.py: the fast exact GP equals botorch's SingleTaskGP."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import optimize

from nasbench_lab.encodings import space_table
from nasbench_lab.search import fastgp
from nasbench_lab.search.common import all_ops

X = space_table("onehot").astype(np.float64)


def synthetic_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(X), n, replace=False)
    y = 85 + 3 * X[idx] @ rng.normal(size=30) + 0.3 * rng.normal(size=n)
    return idx, y


def botorch_model(idx: np.ndarray, y: np.ndarray, seed: int):
    """A SingleTaskGP with arbitrary (not fitted) hyperparameters, and the same read back exactly."""
    from botorch.models import SingleTaskGP

    torch.manual_seed(seed)
    model = SingleTaskGP(torch.tensor(X[idx]), torch.tensor(y)[:, None])
    rng = np.random.default_rng(seed)
    model.covar_module.lengthscale = torch.tensor(rng.uniform(0.5, 4.0, 30))[None]
    model.likelihood.noise = torch.tensor([0.02])
    model.mean_module.constant.data.fill_(0.3)
    model.eval()
    hyper = fastgp.GPHyper(
        model.covar_module.lengthscale.detach().numpy()[0].copy(),
        float(model.likelihood.noise.item()),
        float(model.mean_module.constant.item()),
    )
    return model, hyper


def incremental_gp(idx: np.ndarray, y: np.ndarray, hyper: fastgp.GPHyper) -> fastgp.FastExactGP:
    gp = fastgp.FastExactGP(X, hyper)
    for i, v in zip(idx, y):
        gp.add(int(i), float(v))
    return gp


@pytest.fixture(scope="module")
def reference():
    """botorch's posterior and acquisitions at every one of the 15,625 archs (a batch of q = 1 points)."""
    from botorch.acquisition import ExpectedImprovement, LogExpectedImprovement, UpperConfidenceBound

    torch.set_num_threads(1)
    idx, y = synthetic_data(40, seed=3)
    model, hyper = botorch_model(idx, y, seed=3)
    probe = np.arange(len(X))
    cand = torch.tensor(X[probe])[:, None, :]
    # best_f as float64: botorch stores a Python float as a float32 buffer (an error of ~4e-6 at 85)
    best_f = torch.tensor(float(y.max()), dtype=torch.float64)
    with torch.no_grad():
        post = model.posterior(cand)
        out = {
            "mean": post.mean.numpy()[:, 0, 0],
            "var": post.variance.numpy()[:, 0, 0],
            "ei": ExpectedImprovement(model, best_f=best_f)(cand).numpy(),
            "log_ei": LogExpectedImprovement(model, best_f=best_f)(cand).numpy(),
            "ucb": UpperConfidenceBound(model, beta=2.5)(cand).numpy(),
        }
    return idx, y, hyper, probe, out


def test_posterior_equals_botorch(reference):
    idx, y, hyper, probe, ref = reference
    mean, var = incremental_gp(idx, y, hyper).posterior()
    mean, var = mean[probe], var[probe]
    np.testing.assert_allclose(mean, ref["mean"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(var, ref["var"], rtol=0, atol=1e-6)


def test_acquisitions_equal_botorch_to_1e6(reference):
    idx, y, hyper, probe, ref = reference
    mean, var = incremental_gp(idx, y, hyper).posterior()
    mean, var = mean[probe], var[probe]
    best_f = float(y.max())
    np.testing.assert_allclose(fastgp.expected_improvement(mean, var, best_f), ref["ei"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(fastgp.upper_confidence_bound(mean, var, 2.5), ref["ucb"], rtol=0, atol=1e-6)
    log_ei = fastgp.log_expected_improvement(mean, var, best_f)
    assert ref["log_ei"].min() < -50  # the comparison covers log-EI's far tail, not only its easy part
    np.testing.assert_allclose(log_ei, ref["log_ei"], rtol=0, atol=1e-6)
    # the argmax (what BO proposes) is the same
    assert int(np.argmax(log_ei)) == int(np.argmax(ref["log_ei"]))


def test_rank1_updates_equal_a_rebuild():
    idx, y = synthetic_data(25, seed=5)
    hyper = fastgp.GPHyper(np.linspace(0.7, 3.0, 30), 0.01, -0.2)
    grown = incremental_gp(idx, y, hyper)
    rebuilt = incremental_gp(idx[:3], y[:3], fastgp.GPHyper.prior_mode(30))
    for i, v in zip(idx[3:], y[3:]):
        rebuilt.add(int(i), float(v))
    rebuilt.set_hyper(hyper)
    for a, b in zip(grown.posterior(), rebuilt.posterior()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_log_h_is_stable_and_matches_the_direct_formula():
    from scipy import special

    u = np.linspace(-5, 5, 101)
    direct = np.log(np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi) + u * special.ndtr(u))
    np.testing.assert_allclose(fastgp.log_h(u), direct, rtol=1e-10, atol=1e-12)
    far = fastgp.log_h(np.array([-40.0, -1e3, -1e9]))
    assert np.isfinite(far).all() and np.all(np.diff(far) < 0)
    np.testing.assert_allclose(far[2], -0.5e18 - 0.5 * np.log(2 * np.pi) - 2 * np.log(1e9), rtol=1e-12)
    # the exact formula and the asymptotic series agree where they hand over (|u| = 1000)
    ul = np.array([500.0, 999.0])  # exact branch; compare with the series there
    series = -0.5 * ul**2 - 0.5 * np.log(2 * np.pi) - 2 * np.log(ul) + np.log1p(-3 / ul**2)
    np.testing.assert_allclose(fastgp.log_h(-ul), series, rtol=0, atol=1e-6)


def test_gradient_of_the_map_objective():
    idx, y = synthetic_data(15, seed=7)
    ys = (y - y.mean()) / y.std(ddof=1)
    theta = np.concatenate([np.random.default_rng(0).normal(0.5, 0.3, 30), [np.log(0.05)], [0.2]])
    f = lambda t: fastgp.neg_log_posterior(t, X[idx], ys)[0]
    g = lambda t: fastgp.neg_log_posterior(t, X[idx], ys)[1]
    assert optimize.check_grad(f, g, theta) < 1e-4 * np.linalg.norm(g(theta))


def test_map_fit_reaches_a_stationary_point_better_than_the_start():
    idx, y = synthetic_data(20, seed=11)
    ys = (y - y.mean()) / y.std(ddof=1)
    start = fastgp.GPHyper.prior_mode(30)
    fitted = fastgp.fit_map(X[idx], ys, start)
    theta = lambda h: np.concatenate([np.log(h.lengthscale), [np.log(h.noise)], [h.mean]])
    f_start = fastgp.neg_log_posterior(theta(start), X[idx], ys)[0]
    f_fit, grad = fastgp.neg_log_posterior(theta(fitted), X[idx], ys)
    assert f_fit < f_start - 1.0
    interior = (fitted.lengthscale > 1.01 * fastgp.LENGTHSCALE_MIN) & (fitted.lengthscale < 1e3)
    assert np.abs(grad[:30][interior]).max() < 1e-2


def test_joint_thompson_sample_has_the_gp_prior_covariance():
    hyper = fastgp.GPHyper(np.linspace(0.8, 2.5, 30), 0.01, 0.0)
    gp = fastgp.FastExactGP(X, hyper)
    rng = np.random.default_rng(0)
    probe = np.array([0, 1, 2, 77, 5000])
    draws = np.stack([gp.sample_joint(rng, all_ops(), 5)[probe] for _ in range(1500)])
    cov = np.cov(draws.T)
    expected = fastgp.rbf(X[probe], X[probe], hyper.lengthscale)
    assert np.abs(cov - expected).max() < 0.15  # ~4 standard errors of a 1500-draw covariance


def test_joint_thompson_sample_is_centred_on_the_posterior():
    idx, y = synthetic_data(30, seed=2)
    gp = incremental_gp(idx, y, fastgp.GPHyper(np.full(30, 1.5), 0.01, 0.0))
    mean, var = gp.posterior()
    rng = np.random.default_rng(1)
    draws = np.stack([gp.sample_joint(rng, all_ops(), 5) for _ in range(400)])
    z = (draws.mean(0) - mean) / np.sqrt(var / 400)
    assert np.abs(z).mean() < 1.0 and np.abs(draws.var(0) / var - 1).mean() < 0.15
