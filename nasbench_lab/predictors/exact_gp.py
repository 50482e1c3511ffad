"""The exact Gaussian process behind the ``gp`` and ``gp_wl`` predictors, written in plain torch.

:class:`ExactGP` is a GP with constant mean and Gaussian noise on a kernel object, in float64 with a
Cholesky factor at every size; its hyperparameters (log scale, kept inside fixed boxes) are fitted by
L-BFGS with a strong-Wolfe line search on the marginal likelihood, with analytic gradients. Kernels:
:class:`ArdKernel` (scaled ARD RBF or Matern-5/2 on feature rows, optional lengthscale prior) and
:class:`WLKernel` (scaled kernel on a precomputed normalised Weisfeiler-Lehman Gram matrix). The
predictors that use them are in :mod:`nasbench_lab.predictors.gp`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from nasbench_lab.errors import NasbenchLabError

log = logging.getLogger(__name__)

_JITTER = 1e-6
_MIN_NOISE = 1e-4
_CHUNK = 4096  # test rows per block when predicting many archs
# Hyperparameter boxes (log scale; targets are standardised): the line search may not step into
# kernels so flat or so large that the covariance matrix stops being numerically positive definite.
_LOG_SCALE_BOUNDS = (-7.0, 5.0)
_LOG_LENGTH_BOUNDS = (-5.0, 7.0)
_LOG_NOISE_BOUNDS = (-9.0, 2.0)
_CHOLESKY_TRIES = 4


def lazy_torch() -> Any:
    """The ``torch`` module, imported on first use (importing the predictors stays cheap)."""
    import torch

    return torch


def torch_float64() -> Any:
    """``torch.float64`` (torch is imported lazily)."""
    return lazy_torch().float64


def _bounded_exp(log_value: Any, bounds: tuple[float, float]) -> Any:
    """``exp`` of a log-scale hyperparameter clamped to ``bounds``."""
    return lazy_torch().clamp(log_value, *bounds).exp()


def _cholesky(cov: Any) -> Any:
    """Cholesky factor of ``cov``; on failure retries with diagonal jitter growing tenfold from 1e-6
    of the mean diagonal (logged), and raises :class:`GPFitError` after a few tries."""
    torch = lazy_torch()
    chol, info = torch.linalg.cholesky_ex(cov)
    jitter = 1e-6 * float(torch.diagonal(cov).mean())
    for _ in range(_CHOLESKY_TRIES):
        if int(info) == 0:
            return chol
        log.debug("covariance not positive definite; adding jitter %.3g", jitter)
        chol, info = torch.linalg.cholesky_ex(cov + jitter * torch.eye(len(cov), dtype=cov.dtype))
        jitter *= 10.0
    if int(info) != 0:
        raise GPFitError("the GP covariance matrix is not positive definite even with jitter; "
                         "check the training targets for duplicates with very different values")
    return chol


class GPFitError(NasbenchLabError):
    """The GP covariance could not be factorised."""


class ArdKernel:
    """Scaled ARD RBF / Matern-5/2 kernel on feature rows; parameters on the log scale."""

    def __init__(self, x_train: Any, kind: str, length_prior: bool) -> None:
        torch = lazy_torch()
        self.x = x_train
        self.kind = kind
        self.length_prior = length_prior
        dims = x_train.shape[1]
        # Dimension-scaled log-normal lengthscale prior (Hvarfner et al. 2024, BoTorch's default):
        # log lengthscale ~ N(sqrt(2) + log(d) / 2, 3).
        self.prior_loc = 2.0**0.5 + 0.5 * float(np.log(dims))
        start = 0.0  # (the prior median start converged too slowly at 1,000 archs)
        self.log_length = torch.full((dims,), start, dtype=torch.float64, requires_grad=True)
        self.log_scale = torch.zeros((), dtype=torch.float64, requires_grad=True)

    def params(self) -> list:
        return [self.log_length, self.log_scale]

    def neg_log_prior(self) -> Any:
        """Negative log prior density of the lengthscales (constant dropped); 0 without a prior."""
        if not self.length_prior:
            return lazy_torch().zeros((), dtype=torch_float64())
        return ((self.log_length - self.prior_loc) ** 2).sum() / (2.0 * 3.0)

    def _sqdist(self, a: Any, b: Any) -> Any:
        w = _bounded_exp(self.log_length, _LOG_LENGTH_BOUNDS) ** -2.0
        d2 = (a * a) @ w[:, None] + ((b * b) @ w)[None, :] - 2.0 * (a * w) @ b.T
        return d2.clamp_min(0.0)

    def _shape(self, d2: Any) -> Any:
        torch = lazy_torch()
        if self.kind == "rbf":
            return torch.exp(-0.5 * d2)
        d = torch.sqrt(d2.clamp_min(1e-12))
        root5 = 5.0**0.5
        return (1.0 + root5 * d + (5.0 / 3.0) * d2) * torch.exp(-root5 * d)

    def train_cov(self) -> Any:
        return _bounded_exp(self.log_scale, _LOG_SCALE_BOUNDS) * self._shape(self._sqdist(self.x, self.x))

    def cross_cov(self, x_test: Any) -> Any:
        return _bounded_exp(self.log_scale, _LOG_SCALE_BOUNDS) * self._shape(self._sqdist(x_test, self.x))

    def diag(self, x_test: Any) -> Any:
        return _bounded_exp(self.log_scale, _LOG_SCALE_BOUNDS).expand(len(x_test))


class WLKernel:
    """Scaled kernel on a precomputed normalised-WL Gram matrix (``linear`` or ``rbf`` of distance)."""

    def __init__(self, gram_train: Any, kind: str) -> None:
        torch = lazy_torch()
        self.gram = gram_train
        self.kind = kind
        self.log_length = torch.zeros((), dtype=torch.float64, requires_grad=True)
        self.log_scale = torch.zeros((), dtype=torch.float64, requires_grad=True)

    def params(self) -> list:
        return [self.log_scale, self.log_length] if self.kind == "rbf" else [self.log_scale]

    def _shape(self, gram: Any) -> Any:
        if self.kind == "linear":
            return gram
        return lazy_torch().exp(-(2.0 - 2.0 * gram) / _bounded_exp(self.log_length, _LOG_LENGTH_BOUNDS))

    def train_cov(self) -> Any:
        return _bounded_exp(self.log_scale, _LOG_SCALE_BOUNDS) * self._shape(self.gram)

    def cross_cov(self, gram_cross: Any) -> Any:
        return _bounded_exp(self.log_scale, _LOG_SCALE_BOUNDS) * self._shape(gram_cross)

    def diag(self, gram_cross: Any) -> Any:
        return _bounded_exp(self.log_scale, _LOG_SCALE_BOUNDS).expand(len(gram_cross))  # unit vectors: k_wl(x, x) = 1


class ExactGP:
    """Exact GP with constant mean and Gaussian noise on a kernel object; L-BFGS on the MLL.

    Args:
        kernel: an object with ``params()``, ``train_cov()``, ``cross_cov(test)``, ``diag(test)``.
        z: standardised training targets, torch float64 ``(n,)``.
        max_iter: L-BFGS iterations.
    """

    def __init__(self, kernel: Any, z: Any, max_iter: int) -> None:
        torch = lazy_torch()
        self.kernel = kernel
        self.z = z
        self.max_iter = max_iter
        self.log_noise = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
        self.mean = torch.zeros((), dtype=torch.float64, requires_grad=True)

    def _cov(self) -> Any:
        torch = lazy_torch()
        noise = _bounded_exp(self.log_noise, _LOG_NOISE_BOUNDS) + _MIN_NOISE + _JITTER
        return self.kernel.train_cov() + noise * torch.eye(len(self.z), dtype=torch.float64)

    def _loss_and_grad(self) -> Any:
        """Negative MLL per point; sets parameter gradients analytically.

        Autograd through the Cholesky factor is slow (it dominated the fit time), so the gradient
        uses ``d nll / d K = (K^-1 - alpha alpha^T) / 2`` and backpropagates only through ``K``.
        """
        torch = lazy_torch()
        n = len(self.z)
        cov = self._cov()
        with torch.no_grad():
            chol = _cholesky(cov)
            resid = (self.z - self.mean).unsqueeze(1)
            alpha = torch.cholesky_solve(resid, chol)
            loss = 0.5 * (resid * alpha).sum() + torch.log(torch.diagonal(chol)).sum()
            d_cov = 0.5 * (torch.cholesky_inverse(chol) - alpha @ alpha.T)
        prior = self.kernel.neg_log_prior() if hasattr(self.kernel, "neg_log_prior") else 0.0
        surrogate = (d_cov * cov).sum() - alpha.sum() * self.mean + prior
        (surrogate / n).backward()
        return (loss + float(prior.detach() if hasattr(prior, "detach") else prior)) / n

    def optimise(self) -> float:
        """Maximise the marginal likelihood; return the final negative MLL per point."""
        torch = lazy_torch()
        params = [self.log_noise, self.mean, *self.kernel.params()]
        opt = torch.optim.LBFGS(params, max_iter=self.max_iter, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            return self._loss_and_grad()

        opt.step(closure)
        with torch.no_grad():
            self.chol_ = _cholesky(self._cov())
            resid = (self.z - self.mean).unsqueeze(1)
            self.alpha_ = torch.cholesky_solve(resid, self.chol_).squeeze(1)
            nll = 0.5 * (resid.squeeze(1) * self.alpha_).sum() + torch.log(torch.diagonal(self.chol_)).sum()
            return float(nll) / len(self.z)

    def posterior(self, test: Any, with_std: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Latent mean and predictive std (noise included), standardised units, each ``(m,)``.

        The std costs a triangular solve per test row (most of the time for many archs), so
        ``with_std=False`` skips it and returns ``None`` in its place.
        """
        torch = lazy_torch()
        means, stds = [], []
        with torch.no_grad():
            noise = _bounded_exp(self.log_noise, _LOG_NOISE_BOUNDS) + _MIN_NOISE
            for start in range(0, len(test), _CHUNK):
                block = test[start : start + _CHUNK]
                k_star = self.kernel.cross_cov(block)
                means.append((self.mean + k_star @ self.alpha_).numpy())
                if with_std:
                    v = torch.linalg.solve_triangular(self.chol_, k_star.T, upper=False)
                    var = self.kernel.diag(block) - (v * v).sum(0) + noise
                    stds.append(var.clamp_min(0.0).sqrt().numpy())
        return np.concatenate(means), (np.concatenate(stds) if with_std else None)
