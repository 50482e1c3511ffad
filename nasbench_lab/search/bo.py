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
from typing import Any

import numpy as np

from nasbench_lab import space
from nasbench_lab.errors import ConfigError
from nasbench_lab.search import fastgp
from nasbench_lab.search.base import Proposal, register_strategy
from nasbench_lab.search.common import (
    HistoryStrategy,
    Param,
    all_ops,
    mutation_pool,
    onehot_table,
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


def make_predictor_factory(name: str, params: dict[str, Any]) -> Any:
    """A zero-argument callable that builds the registered predictor ``name`` with ``params``.

    The parameters are checked once, now, so a bad surrogate fails when the strategy is built.

    Raises:
        ConfigError: unknown predictor name or parameter.
    """
    from nasbench_lab.predictors.spec import make_predictor

    make_predictor(name, **params)
    return lambda: make_predictor(name, **params)


class SurrogateSearch(HistoryStrategy):
    """Shared loop of model-based strategies: random warm-up, then argmax of a score over candidates.

    Subclasses implement :meth:`_scores` for the candidate indices and may override
    :meth:`_candidates`.
    """

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._n_asked = 0

    def ask(self) -> Proposal:
        """A random unseen arch during warm-up, else the best-scoring unseen candidate."""
        self._n_asked += 1
        warming_up = len(self.history) < self.n_init and self._n_asked <= self.n_init
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
        if self.candidates == "all":
            return np.flatnonzero(~self._asked)
        archs, values = self.history.arrays()
        parents = archs[np.argsort(-values, kind="stable")[: self.n_parents]]
        return mutation_pool(self.rng, parents, self.pool_size, self._asked)

    def _scores(self, cands: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


_COMMON = {
    "n_init": Param(10, "int", low=1, doc="random archs before the first model"),
    "candidates": Param("all", "str", choices=("all", "mutation"),
                        doc="acquisition maximised over all unevaluated archs or a mutation pool"),
    "pool_size": Param(200, "int", low=1, doc="mutation pool size (candidates = mutation)"),
    "n_parents": Param(10, "int", low=1, doc="best archs mutated into the pool"),
}


@register_strategy("bo")
class BayesianOptimisation(SurrogateSearch):
    """GP-based Bayesian optimisation (Snoek et al. 2012; BoTorch, Balandat et al. 2020).

    See the module docstring for the engines. Thompson sampling with the fast engine and all
    candidates draws one exact joint posterior sample over the whole space; with a mutation pool or a
    predictor it draws independently per candidate.
    """

    PARAMS = {
        **_COMMON,
        "acquisition": Param("log_ei", "str", choices=ACQUISITIONS, doc="acquisition function"),
        "beta": Param(2.0, "float", low=0.0, doc="UCB weight: mean + sqrt(beta) * std"),
        "engine": Param("fast", "str", choices=("fast", "botorch"), doc="GP implementation"),
        "refit_every": Param(5, "int", low=1, doc="observations between hyperparameter / predictor refits"),
        "predictor": Param(None, "str", optional=True, doc="registered predictor with predict_dist used as surrogate"),
        "predictor_params": Param({}, "dict", doc="constructor arguments of that predictor"),
        "predictor_factory": Param(None, "callable", optional=True, doc="Python only: zero-argument predictor builder"),
    }

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        if self.predictor is not None and self.predictor_factory is None:
            self.predictor_factory = make_predictor_factory(self.predictor, self.predictor_params)
        if self.engine == "botorch" and self.acquisition == "thompson":
            raise ConfigError(f"{self.owner}: engine 'botorch' supports acquisition ei, log_ei or ucb; use engine 'fast' for thompson")
        self.gp = fastgp.FastExactGP(onehot_table()) if self.predictor_factory is None else None
        self._model: Any = None
        self._table_t: Any = None
        self._fitted_at = 0

    def _scores(self, cands: np.ndarray) -> np.ndarray:
        archs, values = self.history.arrays()
        best_f = float(values.max())
        if self.predictor_factory is not None:
            return self._predictor_scores(archs, values, cands, best_f)
        if self.engine == "botorch":
            return self._botorch_scores(archs, values, cands, best_f)
        gp = self.gp
        for arch, value in zip(archs[gp.n :], values[gp.n :]):
            gp.add(int(arch), float(value))
        if gp.n - self._fitted_at >= self.refit_every or self._fitted_at == 0:
            gp.fit()
            self._fitted_at = gp.n
        if self.acquisition == "thompson" and self.candidates == "all":
            return gp.sample_joint(self.rng, all_ops(), space.N_OPS)[cands]
        mean, var = gp.posterior()
        return acquisition_values(self.acquisition, mean[cands], var[cands], best_f, self.beta, self.rng)

    def _predictor_scores(self, archs: np.ndarray, values: np.ndarray, cands: np.ndarray, best_f: float) -> np.ndarray:
        if self._model is None or len(archs) - self._fitted_at >= self.refit_every:
            self._model = self.predictor_factory().fit(archs, values)
            self._fitted_at = len(archs)
        try:
            mean, std = self._model.predict_dist(cands)
        except NotImplementedError as exc:
            raise ConfigError(f"{self.owner}: the surrogate predictor must be probabilistic (predict_dist): {exc}") from None
        mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        return acquisition_values(self.acquisition, mean, std**2, best_f, self.beta, self.rng)

    def _botorch_scores(self, archs: np.ndarray, values: np.ndarray, cands: np.ndarray, best_f: float) -> np.ndarray:
        import torch
        from botorch.acquisition import ExpectedImprovement, LogExpectedImprovement, UpperConfidenceBound
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from gpytorch.mlls import ExactMarginalLogLikelihood

        if self._table_t is None:
            self._table_t = torch.tensor(onehot_table())
        table = self._table_t
        model = SingleTaskGP(table[archs], torch.as_tensor(values)[:, None])
        if self._model is not None and len(archs) - self._fitted_at < self.refit_every:
            hypers = {k: v for k, v in self._model.state_dict().items() if not k.startswith("outcome_transform")}
            model.load_state_dict(hypers, strict=False)
        else:
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            self._fitted_at = len(archs)
        self._model = model
        if self.acquisition == "ucb":
            acq = UpperConfidenceBound(model, beta=self.beta)
        else:
            acq = (ExpectedImprovement if self.acquisition == "ei" else LogExpectedImprovement)(model, best_f=best_f)
        with torch.no_grad():
            return acq(table[cands][:, None, :]).numpy()
