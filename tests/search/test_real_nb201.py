"""Real-data validation of the search strategies on NB201 cifar10-valid (reads ../shared/nb201/).

Objective: ``valid_top1`` (cifar10-valid, 200 epochs); reported: ``test_top1`` (cifar10) of the
incumbent by objective after 100 queries. Seeds 0..k-1 are fixed, so each mean is a deterministic
number; the 20-seed table of every strategy is made by ``docs/scripts/search_nb201.py`` and written in
``docs/search.md``. The cheap baselines run 100 seeds here (their 20-seed means move by +-0.1 with the
seeds); the model-based strategies run 6 seeds to keep the test short, so their bar is the issue's bar
minus about one standard error of a 6-seed mean (0.1).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import NB201_DIR, nb201_file
from threadpoolctl import threadpool_limits

import nasbench_lab.search  # noqa: F401
from nasbench_lab.search.base import STRATEGIES
from nasbench_lab.search.common import run_on_table

CSV = NB201_DIR / "nwot_arch_score_acc.csv"


@pytest.fixture(scope="module")
def table() -> tuple[np.ndarray, np.ndarray]:
    nb201_file(CSV.name)
    data = np.genfromtxt(CSV, delimiter=",", skip_header=1, usecols=(4, 6))
    return data[:, 0], data[:, 1]


def mean_final_test(name: str, table, n_seeds: int, n_queries: int = 100, **params) -> float:
    torch.set_num_threads(1)
    with threadpool_limits(1):  # one BLAS thread: faster on a shared 2-core machine, same numbers
        return _mean_final_test(name, table, n_seeds, n_queries, **params)


def _mean_final_test(name: str, table, n_seeds: int, n_queries: int, **params) -> float:
    valid, test = table
    finals = []
    for seed in range(n_seeds):
        strategy = STRATEGIES.get(name)(np.random.default_rng(seed), max_epochs=1, **params)
        archs = run_on_table(strategy, valid, n_queries)
        finals.append(test[archs[int(np.argmax(valid[archs]))]])  # the first arch of the best objective
    return float(np.mean(finals))


def test_table_is_nb201_cifar10_valid(table):
    valid, test = table
    assert len(valid) == 15625 and int(np.argmax(valid)) == 6111
    assert test[6111] == pytest.approx(94.3733, abs=1e-3)


def test_random_search_matches_the_published_figure(table):
    # 100 seeds (s.e. ~0.03): 93.76 here; the issue measured 93.80 +- 0.27 (sd) on 20 seeds
    assert mean_final_test("random", table, 100) == pytest.approx(93.80, abs=0.1)


def test_regularised_evolution_beats_its_bar(table):
    # 100 seeds (s.e. ~0.03): 94.11 here; seeds 0..19 alone give 94.02 (docs/search.md)
    assert mean_final_test("evolution", table, 100) >= 94.05


def test_gp_bo_beats_its_bar(table):
    assert mean_final_test("bo", table, 6) >= 94.10


def test_bananas_beats_its_bar(table):
    assert mean_final_test("bananas", table, 6) >= 94.10
