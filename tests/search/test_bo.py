"""Tests of nasbench_lab/search/bo.py: GP-BO with the fast engine, botorch engine and predictor surrogates."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab import space
from nasbench_lab.encodings import space_table
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation
from nasbench_lab.search.bo import BayesianOptimisation
from nasbench_lab.search.common import run_on_table

_rng = np.random.default_rng(7)
OBJECTIVE = 80 + 2 * space_table("onehot") @ _rng.normal(size=30) + _rng.normal(0, 0.2, space.N_ARCHS)
TOP = np.quantile(OBJECTIVE, 0.999)


@pytest.mark.parametrize("params", [{}, {"acquisition": "thompson"}, {"acquisition": "ucb"},
                                    {"acquisition": "ei", "candidates": "mutation"}])
def test_bo_finds_the_top_of_a_smooth_objective(params):
    archs = run_on_table(BayesianOptimisation(np.random.default_rng(0), **params), OBJECTIVE, 40)
    assert len(set(archs)) == 40
    assert OBJECTIVE[archs].max() >= TOP  # random search: 4% chance of reaching the top 0.1% in 40 draws


def test_hyperparameters_are_refitted_on_schedule():
    bo = BayesianOptimisation(np.random.default_rng(1), n_init=5, refit_every=4)
    fitted = []
    for _ in range(20):
        run_on_table(bo, OBJECTIVE, 1)
        fitted.append(bo._fitted_at)
    assert sorted(set(fitted) - {0}) == [5, 9, 13, 17]


def test_warm_start_tells_replace_the_random_design():
    bo = BayesianOptimisation(np.random.default_rng(2), n_init=5)
    seeds = np.argsort(-OBJECTIVE)[100:105]
    for a in seeds:
        from nasbench_lab.search.base import Proposal

        bo.tell(Proposal(int(a)), Observation(float(OBJECTIVE[a]), 1.0))
    p = bo.ask()
    assert bo.gp.n == 5 and p.arch not in seeds  # model-based from the first ask


class MeanStdPredictor:
    """A probabilistic stand-in: predicts the true objective with a constant spread."""

    fits = 0

    def fit(self, archs, y):
        MeanStdPredictor.fits += 1
        return self

    def predict_dist(self, archs):
        return OBJECTIVE[archs], np.full(len(archs), 0.1)


def test_any_predictor_with_predict_dist_can_be_the_surrogate():
    MeanStdPredictor.fits = 0
    bo = BayesianOptimisation(np.random.default_rng(3), n_init=3, refit_every=2, predictor_factory=MeanStdPredictor)
    archs = run_on_table(bo, OBJECTIVE, 9)
    assert bo.gp is None and MeanStdPredictor.fits == 3
    assert archs[3] == int(np.argmax(OBJECTIVE))  # an oracle surrogate goes straight to the optimum


def test_botorch_engine_agrees_with_the_fast_engine_on_its_first_model_proposal():
    # a mutation pool keeps botorch's acquisition cheap; the same seed gives both the same pool
    params = {"candidates": "mutation", "pool_size": 100}
    fast = BayesianOptimisation(np.random.default_rng(4), engine="fast", **params)
    slow = BayesianOptimisation(np.random.default_rng(4), engine="botorch", **params)
    a, b = run_on_table(fast, OBJECTIVE, 10), run_on_table(slow, OBJECTIVE, 10)
    assert a == b
    pool_rng = np.random.default_rng(4)
    run_on_table(BayesianOptimisation(pool_rng, engine="fast", **params), OBJECTIVE, 10)  # replay the random design
    from nasbench_lab.search.common import mutation_pool

    parents = np.array(a)[np.argsort(-OBJECTIVE[a], kind="stable")[:10]]
    pool = mutation_pool(pool_rng, parents, 100, np.isin(np.arange(space.N_ARCHS), a))
    fast_pick, slow_pick = run_on_table(fast, OBJECTIVE, 1)[0], run_on_table(slow, OBJECTIVE, 1)[0]
    assert fast_pick in pool and slow_pick in pool
    # both maximise log-EI under MAP hyperparameters of the same model (fitted by different
    # optimisers): botorch's pick is among the fast engine's 5 best of the pool
    from nasbench_lab.search import fastgp

    mean, var = fast.gp.posterior()
    acq = fastgp.log_expected_improvement(mean[pool], var[pool], float(OBJECTIVE[a].max()))
    assert slow_pick in pool[np.argsort(-acq)[:5]]


def test_bad_parameters_are_config_errors_naming_them():
    with pytest.raises(ConfigError, match="acquisition"):
        BayesianOptimisation(np.random.default_rng(0), acquisition="pi")
    with pytest.raises(ConfigError, match="n_init"):
        BayesianOptimisation(np.random.default_rng(0), n_init=0)
    with pytest.raises(ConfigError, match="thompson"):
        BayesianOptimisation(np.random.default_rng(0), engine="botorch", acquisition="thompson")
    with pytest.raises(ConfigError, match="no_such_predictor"):
        BayesianOptimisation(np.random.default_rng(0), predictor="no_such_predictor")
