"""Model-based multi-objective strategies on the fast GP: ParEGO and (noisy) expected hypervolume improvement.

* ``parego`` (Knowles 2006): every step draws a weight vector uniformly from the simplex, scalarises
  the told objectives (normalised to ``[0, 1]`` by their observed range) with the augmented Chebyshev
  function, fits one :class:`~nasbench_lab.search.fastgp.FastExactGP` to the scalarised values and
  proposes the unseen arch (all 15,625 are scored exactly) maximising log expected improvement plus the
  log probability of feasibility.
* ``ehvi``: one fast GP per objective and per constraint, each wrapped as a botorch model
  (:class:`~nasbench_lab.search.botorch_adapter.FastGPModel`), driving botorch's hypervolume
  acquisitions. The reference point is the observed nadir minus 10 % of each objective's range and the
  improvement is over the feasible observed front. Candidates are a pool of mutations of the current
  front plus random unseen archs. ``acquisition = "ehvi"`` (default): botorch's analytic
  ``ExpectedHypervolumeImprovement`` times the constraint GPs' probability of feasibility.
  ``"qlogehvi"`` / ``"qlognehvi"``: botorch's Monte-Carlo ``qLogExpectedHypervolumeImprovement`` /
  ``qLogNoisyExpectedHypervolumeImprovement`` (Daulton et al. 2021; Ament et al. 2023), with the
  constraints as model outputs (a smoothed feasibility term); qLogNEHVI samples the told archs jointly
  with each candidate, the slowest.

Both refit GP hyperparameters every ``refit_every`` observations; in between, new observations only
extend the cached Cholesky factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import special

from nasbench_lab import pareto
from nasbench_lab.config import Config, setting
from nasbench_lab.encodings import space_table
from nasbench_lab.objectives import feasible
from nasbench_lab.search import fastgp
from nasbench_lab.search.base import Proposal, register_strategy
from nasbench_lab.search.common import mutation_pool, random_unseen
from nasbench_lab.search.multiobjective.base import MOStrategy


class _GPBank:
    """One fast GP per column of a growing target matrix, refitted every ``refit_every`` rows."""

    def __init__(self, refit_every: int) -> None:
        self.refit_every = refit_every
        self.gps: list[fastgp.FastExactGP] = []
        self._fitted_at = 0

    def update(self, archs: np.ndarray, targets: np.ndarray) -> list[fastgp.FastExactGP]:
        """Bring every GP up to ``archs`` (``(n,)``) and ``targets`` (``(n, k)``); the GPs' ``y`` are replaced."""
        if not self.gps:
            self.gps = [fastgp.FastExactGP(space_table("onehot")) for _ in range(targets.shape[1])]
        for gp, column in zip(self.gps, targets.T):
            for arch in archs[gp.n :]:
                gp.add(int(arch), 0.0)  # the factor depends on the archs only; targets are set below
            gp.y = [float(v) for v in column]
        n = len(archs)
        if self._fitted_at == 0 or n - self._fitted_at >= self.refit_every:
            for gp in self.gps:
                gp.fit()
            self._fitted_at = n
        return self.gps


ACQUISITIONS = ("ehvi", "qlogehvi", "qlognehvi")  # of the ehvi strategy


@dataclass(frozen=True)
class _BOParams(Config):
    """Parameters shared by the model-based multi-objective strategies."""

    n_init: int = setting(10, low=1, doc="random archs before the first model")
    refit_every: int = setting(10, low=1, doc="observations between GP hyperparameter refits")


@dataclass(frozen=True)
class ParEGOParams(_BOParams):
    """Parameters of :class:`ParEGO`."""

    rho: float = setting(0.05, low=0.0, doc="weight of the augmentation term of the Chebyshev scalarisation")


@dataclass(frozen=True)
class HypervolumeBOParams(_BOParams):
    """Parameters of :class:`HypervolumeBO`."""

    acquisition: str = setting("ehvi", choices=ACQUISITIONS,
                               doc="ehvi: analytic EHVI x PoF; qlogehvi / qlognehvi: botorch's Monte-Carlo ones "
                                   "(qlognehvi is the slowest)")
    pool_size: int = setting(128, low=1, doc="mutations of the front scored per step")
    n_random: int = setting(32, low=0, doc="random unseen archs added to that pool")
    mc_samples: int = setting(64, low=1, doc="quasi-Monte-Carlo posterior samples")


def augmented_chebyshev(points: np.ndarray, weights: np.ndarray, rho: float) -> np.ndarray:
    """ParEGO's scalarisation of oriented objectives ``(n, m)`` with weights ``(m,)``, shape ``(n,)``; larger is better.

    Objectives are first normalised to ``[0, 1]`` by their range over ``points``; the value is
    ``-(max_j w_j (1 - y_j) + rho * sum_j w_j (1 - y_j))``.
    """
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    gap = weights * (1.0 - (points - low) / span)
    return -(gap.max(axis=1) + rho * gap.sum(axis=1))


@register_strategy("parego")
class ParEGO(MOStrategy):
    """ParEGO with the fast GP; see the module docstring."""

    Params: ClassVar[type[Config]] = ParEGOParams
    params: ParEGOParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._objective_bank = _GPBank(self.params.refit_every)
        self._constraint_bank = _GPBank(self.params.refit_every)

    def ask(self) -> Proposal:
        """A random unseen arch during warm-up, else the unseen arch of highest log EI + log PoF."""
        if len(self.points) < self.params.n_init:
            return self._propose(random_unseen(self.rng, self._asked))
        archs, points, slack = self.told()
        weights = self.rng.dirichlet(np.ones(points.shape[1]))
        scalar = augmented_chebyshev(points, weights, self.params.rho)
        ok = feasible(slack)
        best_f = float(scalar[ok].max()) if ok.any() else float(scalar.max())
        (gp,) = self._objective_bank.update(archs, scalar[:, None])
        cands = np.flatnonzero(~self._asked)
        if cands.size == 0:
            return self._propose(random_unseen(self.rng, self._asked))
        mean, var = gp.posterior()
        score = fastgp.log_expected_improvement(mean[cands], var[cands], best_f)
        if slack.shape[1]:
            score = score + log_feasibility(self._constraint_bank.update(archs, slack), cands)
        return self._propose(int(cands[int(np.argmax(score))]))


@register_strategy("ehvi")
class HypervolumeBO(MOStrategy):
    """Expected hypervolume improvement from botorch on the fast GPs; see the module docstring."""

    Params: ClassVar[type[Config]] = HypervolumeBOParams
    params: HypervolumeBOParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._bank = _GPBank(self.params.refit_every)

    def ask(self) -> Proposal:
        """A random unseen arch during warm-up, else the candidate of highest acquisition."""
        if len(self.points) < self.params.n_init:
            return self._propose(random_unseen(self.rng, self._asked))
        archs, points, slack = self.told()
        cands = self._pool(archs)
        if cands.size == 0:
            return self._propose(random_unseen(self.rng, self._asked))
        gps = self._bank.update(archs, np.hstack([points, slack]))
        m = points.shape[1]
        if self.params.acquisition == "ehvi":
            values = self._log_ehvi(gps[:m], points, slack, cands) + log_feasibility(gps[m:], cands)
        else:
            values = self._mc_acquisition(gps, archs, points, slack, cands)
        return self._propose(int(cands[int(np.argmax(values))]))

    def _pool(self, archs: np.ndarray) -> np.ndarray:
        """Mutations of the front plus ``n_random`` random archs, all unseen, shape ``(k,)``."""
        front = np.unique(archs[self.front()])
        mutants = mutation_pool(self.rng, front, self.params.pool_size, self._asked)
        taken = self._asked.copy()
        taken[mutants] = True
        extra = []
        for _ in range(self.params.n_random):
            if taken.all():
                break
            arch = random_unseen(self.rng, taken)
            taken[arch] = True
            extra.append(arch)
        return np.concatenate([mutants, np.asarray(extra, dtype=np.int64)])

    def _log_ehvi(self, gps: list[fastgp.FastExactGP], points: np.ndarray, slack: np.ndarray,
                  cands: np.ndarray) -> np.ndarray:
        """log of botorch's analytic EHVI over the feasible observed front, shape ``(k,)``."""
        import torch
        from botorch.acquisition.multi_objective.analytic import ExpectedHypervolumeImprovement

        from nasbench_lab.search.botorch_adapter import FastGPModel

        ref, partitioning = _partitioning(points, slack)
        acq = ExpectedHypervolumeImprovement(FastGPModel(gps), ref_point=ref.tolist(), partitioning=partitioning)
        table = torch.tensor(space_table("onehot"), dtype=torch.float64)  # botorch works in float64
        with torch.no_grad():
            ehvi = np.concatenate([acq(table[c][:, None, :]).numpy() for c in np.array_split(cands, max(1, cands.size // 1024))])
        with np.errstate(divide="ignore"):
            return np.log(np.maximum(ehvi, 0.0))

    def _mc_acquisition(self, gps: list[fastgp.FastExactGP], archs: np.ndarray, points: np.ndarray,
                        slack: np.ndarray, cands: np.ndarray) -> np.ndarray:
        """botorch's qLogEHVI / qLogNEHVI with constraint outputs, shape ``(k,)``."""
        import torch
        from botorch.acquisition.multi_objective.logei import (
            qLogExpectedHypervolumeImprovement,
            qLogNoisyExpectedHypervolumeImprovement,
        )
        from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective
        from botorch.sampling.normal import SobolQMCNormalSampler

        from nasbench_lab.search.botorch_adapter import FastGPModel

        m = points.shape[1]
        table = torch.tensor(space_table("onehot"), dtype=torch.float64)  # botorch works in float64
        ref, partitioning = _partitioning(points, slack)
        common: dict[str, Any] = {
            "model": FastGPModel(gps), "ref_point": ref.tolist(),
            "sampler": SobolQMCNormalSampler(torch.Size([self.params.mc_samples]), seed=int(self.rng.integers(2**31))),
            "objective": IdentityMCMultiOutputObjective(outcomes=list(range(m))),
            "constraints": [(lambda z, j=j: -z[..., j]) for j in range(m, len(gps))] or None,  # slack >= 0 feasible
        }
        if self.params.acquisition == "qlognehvi":
            acq: Any = qLogNoisyExpectedHypervolumeImprovement(X_baseline=table[archs], cache_root=False, **common)
        else:
            acq = qLogExpectedHypervolumeImprovement(partitioning=partitioning, **common)
        with torch.no_grad():
            return np.concatenate([acq(table[c][:, None, :]).numpy() for c in np.array_split(cands, max(1, cands.size // 256))])



def _partitioning(points: np.ndarray, slack: np.ndarray) -> tuple[Any, Any]:
    """The reference point (observed nadir minus 10 % of the range) and botorch's box decomposition
    of the feasible observed points."""
    import torch
    from botorch.utils.multi_objective.box_decompositions.non_dominated import FastNondominatedPartitioning

    ref = torch.as_tensor(pareto.reference_point(points))
    ok = feasible(slack)
    observed = torch.as_tensor(points[ok] if ok.any() else np.zeros((0, points.shape[1])))
    return ref, FastNondominatedPartitioning(ref_point=ref, Y=observed)


def log_feasibility(gps: list[fastgp.FastExactGP], cands: np.ndarray) -> np.ndarray:
    """Log probability that every constraint slack is ``>= 0`` under independent GPs, shape ``(k,)`` (0 without constraints)."""
    out = np.zeros(cands.size)
    for gp in gps:
        mean, var = gp.posterior()
        out += special.log_ndtr(mean[cands] / np.sqrt(var[cands]))
    return out
