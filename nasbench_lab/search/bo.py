"""Bayesian optimisation with a Gaussian process (or any predictor with ``predict_dist``).

Three surrogates, one strategy:

* ``engine = "fast"`` (default): :class:`~nasbench_lab.search.fastgp.FastExactGP`, botorch's default
  ``SingleTaskGP`` on the 30-d one-hot encoding reproduced with cached exact linear algebra. The
  acquisition is evaluated exactly over every candidate in about a millisecond.
* ``engine = "botorch"``: the plain botorch loop (``SingleTaskGP`` + ``fit_gpytorch_mll`` + botorch's
  acquisition functions). Slow (seconds per step); kept as the reference the fast engine is checked
  and timed against.
* ``predictor = "<name>"`` (or ``predictor_factory``, from Python): any registered predictor with
  ``predict_dist``; refitted from scratch on all observations every ``refit_every`` tells.

Candidates are either all unevaluated archs (``candidates = "all"``) or a pool of ``pool_size``
mutations of the ``n_parents`` best archs (``candidates = "mutation"``). Hyperparameters of the GP are
refitted by MAP every ``refit_every`` observations, warm-started from the previous optimum; between
refits new observations only extend the Cholesky factor. Evaluated (or pending) archs are never
proposed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import space
from nasbench_lab.config import Config, setting
from nasbench_lab.encodings import space_table
from nasbench_lab.errors import ConfigError
from nasbench_lab.search import fastgp
from nasbench_lab.search.base import Proposal, register_strategy
from nasbench_lab.search.common import (
    HistoryStrategy,
    all_ops,
    mutation_pool,
    random_unseen,
)

logger = logging.getLogger(__name__)

ACQUISITIONS = ("ei", "log_ei", "ucb", "thompson")


def acquisition_values(
    kind: str, mean: np.ndarray, var: np.ndarray, best_f: float, beta: float, rng: np.random.Generator
) -> np.ndarray:
    """Acquisition ``kind`` from a posterior's mean and variance (independent draws for Thompson).

    Args:
        kind: one of :data:`ACQUISITIONS`.
        mean: posterior means, shape ``(m,)``.
        var: posterior variances, shape ``(m,)``.
        best_f: best observed objective (EI's incumbent).
        beta: UCB's exploration weight.
        rng: source of Thompson draws.

    Returns:
        Acquisition values, shape ``(m,)``; larger is better.
    """
    if kind == "ei":
        return fastgp.expected_improvement(mean, var, best_f)
    if kind == "log_ei":
        return fastgp.log_expected_improvement(mean, var, best_f)
    if kind == "ucb":
        return fastgp.upper_confidence_bound(mean, var, beta)
    return mean + np.sqrt(np.maximum(var, 0.0)) * rng.standard_normal(mean.shape)


PredictorFactory = Callable[[], Any]


def make_predictor_factory(name: str, params: dict[str, Any]) -> PredictorFactory:
    """A zero-argument callable that builds the registered predictor ``name`` with ``params``.

    The parameters are checked once, now, so a bad surrogate fails when the strategy is built.

    Raises:
        ConfigError: unknown predictor name or parameter.
    """
    from nasbench_lab.predictors.spec import make_predictor

    make_predictor(name, **params)
    return lambda: make_predictor(name, **params)


@dataclass(frozen=True)
class BOParams(Config):
    """Parameters of :class:`BayesianOptimisation`."""

    n_init: int = setting(10, low=1, doc="random archs before the first model")
    candidates: str = setting("all", choices=("all", "mutation"),
                              doc="acquisition maximised over all unevaluated archs or a mutation pool")
    pool_size: int = setting(200, low=1, doc="mutation pool size (candidates = mutation)")
    n_parents: int = setting(10, low=1, doc="best archs mutated into the pool")
    acquisition: str = setting("log_ei", choices=ACQUISITIONS, doc="acquisition function")
    beta: float = setting(2.0, low=0.0, doc="UCB weight: mean + sqrt(beta) * std")
    engine: str = setting("fast", choices=("fast", "botorch"), doc="GP implementation")
    refit_every: int = setting(5, low=1, doc="observations between hyperparameter / predictor refits")
    predictor: str | None = setting(None, doc="registered predictor with predict_dist used as surrogate")
    predictor_params: dict[str, Any] = setting({}, doc="constructor arguments of that predictor")
    predictor_factory: Callable[[], Any] | None = setting(None, doc="Python only: zero-argument predictor builder")

    def check(self) -> None:
        """botorch's engine has no Thompson sampling."""
        if self.engine == "botorch" and self.acquisition == "thompson":
            raise ConfigError("acquisition: engine 'botorch' supports ei, log_ei or ucb; use engine 'fast' for thompson")


class SurrogateSearch(HistoryStrategy):
    """Shared loop of model-based strategies: random warm-up, then argmax of a score over candidates.

    Subclasses implement :meth:`_scores` for the candidate indices and may override
    :meth:`_candidates`.
    """

    params: BOParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._n_asked = 0

    def ask(self) -> Proposal:
        """A random unseen arch during warm-up, else the best-scoring unseen candidate."""
        self._n_asked += 1
        n_init = self.params.n_init
        warming_up = len(self.history) < n_init and self._n_asked <= n_init
        if warming_up or not self.history:
            arch = random_unseen(self.rng, self._asked)
        else:
            cands = self._candidates()
            if cands.size == 0:
                arch = random_unseen(self.rng, self._asked)
            else:
                arch = int(cands[int(np.argmax(self._scores(cands)))])
        return self._propose(arch)

    def _candidates(self) -> np.ndarray:
        if self.params.candidates == "all":
            return np.flatnonzero(~self._asked)
        archs, values = self.history.arrays()
        parents = archs[np.argsort(-values, kind="stable")[: self.params.n_parents]]
        return mutation_pool(self.rng, parents, self.params.pool_size, self._asked)

    def _scores(self, cands: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


@register_strategy("bo")
class BayesianOptimisation(SurrogateSearch):
    """GP-based Bayesian optimisation (Snoek et al. 2012; BoTorch, Balandat et al. 2020).

    See the module docstring for the engines. Thompson sampling with the fast engine and all
    candidates draws one exact joint posterior sample over the whole space; with a mutation pool or a
    predictor it draws independently per candidate.
    """

    Params: ClassVar[type[Config]] = BOParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        p = self.params
        self.predictor_factory = p.predictor_factory
        if p.predictor is not None and self.predictor_factory is None:
            self.predictor_factory = make_predictor_factory(p.predictor, p.predictor_params)
        self.gp = fastgp.FastExactGP(space_table("onehot")) if self.predictor_factory is None else None
        self._model: Any = None
        self._table_t: Any = None
        self._fitted_at = 0

    def _scores(self, cands: np.ndarray) -> np.ndarray:
        archs, values = self.history.arrays()
        best_f = float(values.max())
        p = self.params
        if self.predictor_factory is not None:
            return self._predictor_scores(self.predictor_factory, archs, values, cands, best_f)
        if p.engine == "botorch" or self.gp is None:
            return self._botorch_scores(archs, values, cands, best_f)
        gp = self.gp
        for arch, value in zip(archs[gp.n :], values[gp.n :]):
            gp.add(int(arch), float(value))
        if gp.n - self._fitted_at >= p.refit_every or self._fitted_at == 0:
            gp.fit()
            self._fitted_at = gp.n
        if p.acquisition == "thompson" and p.candidates == "all":
            return gp.sample_joint(self.rng, all_ops(), space.N_OPS)[cands]
        mean, var = gp.posterior()
        return acquisition_values(p.acquisition, mean[cands], var[cands], best_f, p.beta, self.rng)

    def _predictor_scores(self, factory: PredictorFactory, archs: np.ndarray, values: np.ndarray, cands: np.ndarray,
                          best_f: float) -> np.ndarray:
        if self._model is None or len(archs) - self._fitted_at >= self.params.refit_every:
            self._model = factory().fit(archs, values)
            self._fitted_at = len(archs)
        try:
            mean, std = self._model.predict_dist(cands)
        except NotImplementedError as exc:
            raise ConfigError(f"{self.owner}: the surrogate predictor must be probabilistic (predict_dist): {exc}") from None
        mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        return acquisition_values(self.params.acquisition, mean, std**2, best_f, self.params.beta, self.rng)

    def _botorch_scores(self, archs: np.ndarray, values: np.ndarray, cands: np.ndarray, best_f: float) -> np.ndarray:
        import torch
        from botorch.acquisition import ExpectedImprovement, LogExpectedImprovement, UpperConfidenceBound
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from gpytorch.mlls import ExactMarginalLogLikelihood

        if self._table_t is None:
            self._table_t = torch.tensor(space_table("onehot"), dtype=torch.float64)
        table = self._table_t
        model = SingleTaskGP(table[archs], torch.as_tensor(values)[:, None])
        if self._model is not None and len(archs) - self._fitted_at < self.params.refit_every:
            hypers = {k: v for k, v in self._model.state_dict().items() if not k.startswith("outcome_transform")}
            model.load_state_dict(hypers, strict=False)
        else:
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            self._fitted_at = len(archs)
        self._model = model
        acquisition = self.params.acquisition
        acq: Any
        if acquisition == "ucb":
            acq = UpperConfidenceBound(model, beta=self.params.beta)
        else:
            acq = (ExpectedImprovement if acquisition == "ei" else LogExpectedImprovement)(model, best_f=best_f)
        with torch.no_grad():
            return acq(table[cands][:, None, :]).numpy()
