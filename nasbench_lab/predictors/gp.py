"""Gaussian-process predictors: an exact GP on a vector encoding and a Weisfeiler-Lehman-kernel GP.

Both are exact GPs in plain torch (float64, Cholesky at every size): constant mean, Gaussian noise,
a scaled kernel, and hyperparameters (log scale) fitted by L-BFGS with a strong-Wolfe line search on
the marginal likelihood (:class:`_ExactGP`). Targets are standardised, optionally after
``y -> -log(100 - y)`` (see :mod:`nasbench_lab.predictors._targets`); ``predict_dist`` answers in
target units.

* ``gp``: ARD RBF or Matern-5/2 kernel on ``onehot`` (or any vector encoding). Squared ARD distances
  are computed as matrix products, which keeps a fit at 1,000 archs within seconds (gpytorch's
  ``ExactGP`` with the same kernel took 45 s here, see ``docs/predictors.md``).
* ``gp_wl``: NAS-BOWL-style GP on the pruned op-on-node graph. Each arch's WL label counts for depths
  ``0..h`` are normalised to unit length; the kernel is either their dot product (``linear``, the
  normalised WL subtree kernel) or an RBF of their distance, ``exp(-(2 - 2 k_wl) / lengthscale)``
  (``rbf``, the default: it is the better ranker from 100 archs on). The depth ``h`` is the one in
  ``depths`` with the highest maximised marginal likelihood; that choice is made on at most
  ``select_size`` of the training archs (for speed) before the final fit on all of them.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np

from nasbench_lab.encodings import encode, unique_cells, wl_features
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.predictors._targets import TargetScaler, check_archs, check_fit_inputs
from nasbench_lab.predictors.base import Predictor, SideInput, register_predictor

log = logging.getLogger(__name__)

GP_KERNELS = ("rbf", "matern")
WL_KERNELS = ("rbf", "linear")
_JITTER = 1e-6
_MIN_NOISE = 1e-4
_CHUNK = 4096  # test rows per block when predicting many archs
# Hyperparameter boxes (log scale; targets are standardised): the line search may not step into
# kernels so flat or so large that the covariance matrix stops being numerically positive definite.
_LOG_SCALE_BOUNDS = (-7.0, 5.0)
_LOG_LENGTH_BOUNDS = (-5.0, 7.0)
_LOG_NOISE_BOUNDS = (-9.0, 2.0)
_CHOLESKY_TRIES = 4


def _torch():
    import torch

    return torch


def torch_float64() -> Any:
    """``torch.float64`` (torch is imported lazily)."""
    return _torch().float64


def _bounded_exp(log_value: Any, bounds: tuple[float, float]) -> Any:
    """``exp`` of a log-scale hyperparameter clamped to ``bounds``."""
    return _torch().clamp(log_value, *bounds).exp()


def _cholesky(cov: Any) -> Any:
    """Cholesky factor of ``cov``; on failure retries with diagonal jitter growing tenfold from 1e-6
    of the mean diagonal (logged), and raises :class:`GPFitError` after a few tries."""
    torch = _torch()
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


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


class _ArdKernel:
    """Scaled ARD RBF / Matern-5/2 kernel on feature rows; parameters on the log scale."""

    def __init__(self, x_train: Any, kind: str, length_prior: bool) -> None:
        torch = _torch()
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
            return _torch().zeros((), dtype=torch_float64())
        return ((self.log_length - self.prior_loc) ** 2).sum() / (2.0 * 3.0)

    def _sqdist(self, a: Any, b: Any) -> Any:
        w = _bounded_exp(self.log_length, _LOG_LENGTH_BOUNDS) ** -2.0
        d2 = (a * a) @ w[:, None] + ((b * b) @ w)[None, :] - 2.0 * (a * w) @ b.T
        return d2.clamp_min(0.0)

    def _shape(self, d2: Any) -> Any:
        torch = _torch()
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


class _WLKernel:
    """Scaled kernel on a precomputed normalised-WL Gram matrix (``linear`` or ``rbf`` of distance)."""

    def __init__(self, gram_train: Any, kind: str) -> None:
        torch = _torch()
        self.gram = gram_train
        self.kind = kind
        self.log_length = torch.zeros((), dtype=torch.float64, requires_grad=True)
        self.log_scale = torch.zeros((), dtype=torch.float64, requires_grad=True)

    def params(self) -> list:
        return [self.log_scale, self.log_length] if self.kind == "rbf" else [self.log_scale]

    def _shape(self, gram: Any) -> Any:
        if self.kind == "linear":
            return gram
        return _torch().exp(-(2.0 - 2.0 * gram) / _bounded_exp(self.log_length, _LOG_LENGTH_BOUNDS))

    def train_cov(self) -> Any:
        return _bounded_exp(self.log_scale, _LOG_SCALE_BOUNDS) * self._shape(self.gram)

    def cross_cov(self, gram_cross: Any) -> Any:
        return _bounded_exp(self.log_scale, _LOG_SCALE_BOUNDS) * self._shape(gram_cross)

    def diag(self, gram_cross: Any) -> Any:
        return _bounded_exp(self.log_scale, _LOG_SCALE_BOUNDS).expand(len(gram_cross))  # unit vectors: k_wl(x, x) = 1


class _ExactGP:
    """Exact GP with constant mean and Gaussian noise on a kernel object; L-BFGS on the MLL.

    Args:
        kernel: an object with ``params()``, ``train_cov()``, ``cross_cov(test)``, ``diag(test)``.
        z: standardised training targets, torch float64 ``(n,)``.
        max_iter: L-BFGS iterations.
    """

    def __init__(self, kernel: Any, z: Any, max_iter: int) -> None:
        torch = _torch()
        self.kernel = kernel
        self.z = z
        self.max_iter = max_iter
        self.log_noise = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
        self.mean = torch.zeros((), dtype=torch.float64, requires_grad=True)

    def _cov(self) -> Any:
        torch = _torch()
        noise = _bounded_exp(self.log_noise, _LOG_NOISE_BOUNDS) + _MIN_NOISE + _JITTER
        return self.kernel.train_cov() + noise * torch.eye(len(self.z), dtype=torch.float64)

    def _loss_and_grad(self) -> Any:
        """Negative MLL per point; sets parameter gradients analytically.

        Autograd through the Cholesky factor is slow (it dominated the fit time), so the gradient
        uses ``d nll / d K = (K^-1 - alpha alpha^T) / 2`` and backpropagates only through ``K``.
        """
        torch = _torch()
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
        torch = _torch()
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
        torch = _torch()
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


@register_predictor("gp")
class GPPredictor(Predictor):
    """Exact GP with an ARD RBF or Matern-5/2 kernel on a vector encoding.

    Args:
        encoding: name of a vector encoding (``onehot``, ``path``, ``graph``).
        pruned: encode the pruned cell (ops off every live path become ``none``): a much better
            ranker than the raw one-hot (0.55 vs 0.41 Kendall tau at 100 archs here).
        kernel: ``rbf`` or ``matern``.
        length_prior: put BoTorch's dimension-scaled log-normal prior on the lengthscales (MAP
            fit); without it the 30 ARD lengthscales overfit small training sets.
        log_error: fit ``-log(100 - y)`` instead of ``y``.
        max_iter: L-BFGS iterations of the marginal-likelihood fit.
        seed: accepted for a uniform interface; the fit starts from fixed values and is deterministic.
    """

    probabilistic: ClassVar[bool] = True

    def __init__(
        self,
        encoding: str = "onehot",
        pruned: bool = True,
        kernel: str = "rbf",
        length_prior: bool = True,
        log_error: bool = True,
        max_iter: int = 20,
        seed: int = 0,
    ) -> None:
        self.encoding = encoding
        self.pruned = pruned
        self.kernel = kernel
        self.length_prior = length_prior
        self.log_error = log_error
        self.max_iter = max_iter
        self.seed = seed

    def _features(self, archs: np.ndarray) -> Any:
        feats = encode(self.encoding, archs, pruned=self.pruned)
        if not isinstance(feats, np.ndarray) or feats.ndim != 2:
            raise ConfigError(f"gp needs a dense vector encoding (onehot, path, graph), not {self.encoding!r}")
        return _torch().as_tensor(feats.astype(np.float64))

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> GPPredictor:
        """Fit the kernel hyperparameters by marginal likelihood; see :class:`Predictor`."""
        _check_choice("kernel", self.kernel, GP_KERNELS)
        archs, y = check_fit_inputs(archs, y)
        self.scaler_ = TargetScaler.fit(y, self.log_error)
        z = _torch().as_tensor(self.scaler_.transform(y))
        self.gp_ = _ExactGP(_ArdKernel(self._features(archs), self.kernel, self.length_prior), z, self.max_iter)
        self.neg_mll_ = self.gp_.optimise()
        return self

    def _latent(self, archs: np.ndarray, with_std: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        cells, inverse = unique_cells(check_archs(archs), pruned=self.pruned)  # each distinct input once
        mean, std = self.gp_.posterior(self._features(cells), with_std)
        return mean[inverse], (None if std is None else std[inverse])

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """Posterior median in target units, shape ``(n,)``."""
        return self.scaler_.inverse_mean(self._latent(archs, with_std=False)[0])

    def predict_dist(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                     proxies: SideInput = None) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and std (observation noise included) in target units, each ``(n,)``."""
        mean, std = self._latent(archs)
        assert std is not None  # asked with_std
        return self.scaler_.inverse_dist(mean, std)


# --------------------------------------------------------------------------- WL-kernel GP
def _normalised_wl(archs: np.ndarray, h: int):
    """Unit-length WL count vectors for depths 0..h, sparse ``(n, vocab)``."""
    from scipy import sparse

    feats = sparse.hstack(wl_features(archs, h, pruned=True), format="csr")
    norms = np.sqrt(np.asarray(feats.multiply(feats).sum(axis=1)).ravel())
    return (sparse.diags(1.0 / norms) @ feats).tocsr()


@register_predictor("gp_wl")
class WLGPPredictor(Predictor):
    """GP with a Weisfeiler-Lehman kernel on the pruned op-on-node graph (NAS-BOWL style).

    Args:
        kernel: ``rbf`` (RBF of the distance between normalised WL vectors) or ``linear`` (their dot
            product, the normalised WL subtree kernel).
        depths: candidate WL depths ``h``; the one with the highest marginal likelihood is used.
        select_size: the depth is chosen on at most this many training archs (a seeded subsample).
        log_error: fit ``-log(100 - y)`` instead of ``y``.
        max_iter: L-BFGS iterations per marginal-likelihood fit.
        seed: seeds the subsample used to choose the depth.
    """

    probabilistic: ClassVar[bool] = True

    def __init__(
        self,
        kernel: str = "rbf",
        depths: tuple[int, ...] | list[int] = (1, 2, 3),
        select_size: int = 300,
        log_error: bool = True,
        max_iter: int = 30,
        seed: int = 0,
    ) -> None:
        self.kernel = kernel
        self.depths = depths
        self.select_size = select_size
        self.log_error = log_error
        self.max_iter = max_iter
        self.seed = seed

    def _fit_depth(self, archs: np.ndarray, z: np.ndarray, h: int) -> tuple[_ExactGP, float]:
        torch = _torch()
        feats = _normalised_wl(archs, h)
        gram = torch.as_tensor((feats @ feats.T).toarray())
        gp = _ExactGP(_WLKernel(gram, self.kernel), torch.as_tensor(z), self.max_iter)
        return gp, gp.optimise()

    def _select_depth(self, archs: np.ndarray, z: np.ndarray) -> int:
        depths = [int(h) for h in self.depths]
        if not depths:
            raise ConfigError("depths must name at least one WL depth")
        if len(depths) == 1:
            return depths[0]
        rng = np.random.default_rng(self.seed)
        keep = rng.permutation(len(archs))[: self.select_size]
        scores = {h: self._fit_depth(archs[keep], z[keep], h)[1] for h in depths}
        log.debug("gp_wl negative MLL per depth: %s", scores)
        return min(scores, key=lambda h: scores[h])

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> WLGPPredictor:
        """Choose the WL depth and fit the GP hyperparameters; see :class:`Predictor`."""
        _check_choice("kernel", self.kernel, WL_KERNELS)
        archs, y = check_fit_inputs(archs, y)
        self.scaler_ = TargetScaler.fit(y, self.log_error)
        z = self.scaler_.transform(y)
        self.depth_ = self._select_depth(archs, z)
        self.gp_, self.neg_mll_ = self._fit_depth(archs, z, self.depth_)
        self.train_features_ = _normalised_wl(archs, self.depth_)
        return self

    def _latent(self, archs: np.ndarray, with_std: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        torch = _torch()
        cells, inverse = unique_cells(check_archs(archs), pruned=True)  # WL sees only the pruned cell
        feats = _normalised_wl(cells, self.depth_)
        cross = torch.as_tensor((feats @ self.train_features_.T).toarray())
        mean, std = self.gp_.posterior(cross, with_std)
        return mean[inverse], (None if std is None else std[inverse])

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """Posterior median in target units, shape ``(n,)``."""
        return self.scaler_.inverse_mean(self._latent(archs, with_std=False)[0])

    def predict_dist(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                     proxies: SideInput = None) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and std (observation noise included) in target units, each ``(n,)``."""
        mean, std = self._latent(archs)
        assert std is not None  # asked with_std
        return self.scaler_.inverse_dist(mean, std)
