"""A botorch ``Model`` over our fast GPs, so that any botorch acquisition function can drive them.

:class:`FastGPModel` wraps one :class:`~nasbench_lab.search.fastgp.FastExactGP` per output (independent
outputs, each with its own hyperparameters). Its posterior at arbitrary inputs ``X`` is computed from
each GP's cached Cholesky factor ``L`` of ``K_xx + sigma^2 I`` (no refactorisation): with
``A = L^-1 K(x_train, X)`` the standardised posterior is ``mean = c + A^T L^-1 (y - c)`` and
``cov = K(X, X) - A^T A``, then un-standardised with the GP's ``Standardize`` statistics, exactly as
botorch's ``SingleTaskGP`` with an outcome transform reports it. It is the latent posterior; with
``observation_noise=True`` the noise variance is added to the diagonal.

Inputs ``X`` are the GPs' feature rows (the one-hot encoding of :func:`nasbench_lab.encodings.space_table` ``("onehot")``),
shape ``batch x q x d``; the posterior is over ``batch x q x m``. Everything is differentiable in ``X``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from botorch.models.model import Model
from botorch.posteriors.gpytorch import GPyTorchPosterior
from gpytorch.distributions import MultitaskMultivariateNormal, MultivariateNormal

from nasbench_lab.errors import ConfigError
from nasbench_lab.search.fastgp import FastExactGP, standardize


def _cached_factor(gp: FastExactGP) -> np.ndarray:
    """The GP's current Cholesky factor, shape ``(n, n)`` (kept up to date by ``add``/``set_hyper``)."""
    return gp._chol[: gp.n, : gp.n]


class _Snapshot:
    """One GP's posterior ingredients as float64 tensors, taken when the model is built."""

    def __init__(self, gp: FastExactGP) -> None:
        hyper = gp.hyper
        self.inv_ls = torch.as_tensor(1.0 / hyper.lengthscale, dtype=torch.float64)
        self.noise, self.c = float(hyper.noise), float(hyper.mean)
        self.n = gp.n
        if self.n:
            y = np.asarray(gp.y, dtype=np.float64)
            self.mu, self.sd = standardize(y)
            chol = _cached_factor(gp)
            self.chol = torch.as_tensor(np.array(chol), dtype=torch.float64)
            self.train = torch.as_tensor(gp.features[gp.indices], dtype=torch.float64) * self.inv_ls  # n x d
            resid = torch.as_tensor((y - self.mu) / self.sd - self.c, dtype=torch.float64)
            self.w = torch.linalg.solve_triangular(self.chol, resid[:, None], upper=False)[:, 0]  # L^-1 (y - c)
        else:
            self.mu, self.sd = 0.0, 1.0

    def mvn(self, x: torch.Tensor, observation_noise: bool) -> MultivariateNormal:
        """Posterior over the rows of ``x`` (``batch x q x d``) as a batch of ``q``-dim normals.

        The cross-kernel to the training rows is one ``n x (batch * q)`` matrix and one triangular
        solve, whatever the batch shape.
        """
        xs = x.to(torch.float64) * self.inv_ls
        batch, q = xs.shape[:-2], xs.shape[-2]
        kxx = _rbf(xs, xs)
        if self.n:
            flat = xs.reshape(-1, xs.shape[-1])
            a = torch.linalg.solve_triangular(self.chol, _rbf(self.train, flat), upper=False)  # n x (batch * q)
            mean = (self.c + self.w @ a).reshape(*batch, q)
            a = a.reshape(self.n, -1, q).transpose(0, 1)  # (batch) x n x q
            cov = kxx - (a.transpose(-1, -2) @ a).reshape(*batch, q, q)
        else:
            mean = torch.full((*batch, q), self.c, dtype=torch.float64)
            cov = kxx
        if observation_noise:
            cov = cov + self.noise * torch.eye(q, dtype=torch.float64)
        return MultivariateNormal(self.mu + self.sd * mean, cov * self.sd**2)


def _rbf(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Unit-lengthscale RBF kernel between rows of pre-scaled ``a`` (``... x n x d``) and ``b`` (``... x q x d``)."""
    dist = (a * a).sum(-1)[..., :, None] + (b * b).sum(-1)[..., None, :] - 2.0 * a @ b.transpose(-1, -2)
    return torch.exp(-0.5 * dist.clamp_min(0.0))


class FastGPModel(Model):
    """A botorch ``Model`` with one independent output per :class:`FastExactGP`.

    The GPs' state is copied when the model is built: build a new model after telling a GP more data.

    Args:
        gps: one fitted GP per output, all over the same feature width ``d``.

    Raises:
        ConfigError: no GP, or GPs of different feature widths.
    """

    def __init__(self, gps: Sequence[FastExactGP]) -> None:
        super().__init__()
        if not gps:
            raise ConfigError("FastGPModel needs at least one GP")
        if len({gp.features.shape[1] for gp in gps}) != 1:
            raise ConfigError("FastGPModel's GPs must share one feature encoding")
        self._snapshots = [_Snapshot(gp) for gp in gps]

    @property
    def num_outputs(self) -> int:
        """Number of outputs (one per GP)."""
        return len(self._snapshots)

    @property
    def batch_shape(self) -> torch.Size:
        """The model has no batch dimensions of its own."""
        return torch.Size([])

    def posterior(
        self,
        X: torch.Tensor,
        output_indices: list[int] | None = None,
        observation_noise: bool | torch.Tensor = False,
        posterior_transform: Any = None,
    ) -> Any:
        """Joint posterior over the ``q`` points of each batch of ``X`` (``batch x q x d``), outputs independent.

        Returns:
            A ``GPyTorchPosterior`` over ``batch x q x m`` (``batch x q x 1`` for one output), after
            ``posterior_transform`` if given.
        """
        if isinstance(observation_noise, torch.Tensor):
            raise ConfigError("FastGPModel infers its noise; pass observation_noise as a bool")
        chosen = range(self.num_outputs) if output_indices is None else output_indices
        mvns = [self._snapshots[i].mvn(X, bool(observation_noise)) for i in chosen]
        dist = mvns[0] if len(mvns) == 1 else MultitaskMultivariateNormal.from_independent_mvns(mvns)
        posterior = GPyTorchPosterior(dist)
        return posterior if posterior_transform is None else posterior_transform(posterior)
