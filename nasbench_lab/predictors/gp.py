"""Gaussian-process predictors: an exact GP on a vector encoding and a Weisfeiler-Lehman-kernel GP.

Both are exact GPs in plain torch (:class:`~nasbench_lab.predictors.exact_gp.ExactGP`: float64,
Cholesky at every size): constant mean, Gaussian noise, a scaled kernel, and hyperparameters (log
scale) fitted by L-BFGS with a strong-Wolfe line search on the marginal likelihood. Targets are
standardised, optionally after ``y -> -log(100 - y)`` (see :mod:`nasbench_lab.predictors._targets`);
``predict_dist`` answers in target units.

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
from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors._targets import TargetScaler, check_archs, check_fit_inputs
from nasbench_lab.predictors.base import Predictor, SideInput, register_predictor
from nasbench_lab.predictors.exact_gp import ArdKernel, ExactGP, WLKernel, lazy_torch

log = logging.getLogger(__name__)

GP_KERNELS = ("rbf", "matern")
WL_KERNELS = ("rbf", "linear")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


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
        return lazy_torch().as_tensor(feats.astype(np.float64))

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> GPPredictor:
        """Fit the kernel hyperparameters by marginal likelihood; see :class:`Predictor`."""
        _check_choice("kernel", self.kernel, GP_KERNELS)
        archs, y = check_fit_inputs(archs, y)
        self.scaler_ = TargetScaler.fit(y, self.log_error)
        z = lazy_torch().as_tensor(self.scaler_.transform(y))
        self.gp_ = ExactGP(ArdKernel(self._features(archs), self.kernel, self.length_prior), z, self.max_iter)
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

    def _fit_depth(self, archs: np.ndarray, z: np.ndarray, h: int) -> tuple[ExactGP, float]:
        torch = lazy_torch()
        feats = _normalised_wl(archs, h)
        gram = torch.as_tensor((feats @ feats.T).toarray())
        gp = ExactGP(WLKernel(gram, self.kernel), torch.as_tensor(z), self.max_iter)
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
        torch = lazy_torch()
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
