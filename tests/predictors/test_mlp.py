"""Tests of nasbench_lab/predictors/mlp.py (BANANAS ensemble and the batched-ensemble machinery)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau

from nasbench_lab.encodings import space_table
from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors.mlp import BananasPredictor, MLPEnsemble
from predictors.synthetic_targets import synthetic

torch.set_num_threads(1)


@pytest.mark.parametrize("encoding", ["path", "onehot"])
def test_bananas_learns(encoding: str) -> None:
    archs, y = synthetic(250)
    p = BananasPredictor(encoding=encoding, steps=200).fit(archs[:150], y[:150])
    assert kendalltau(p.predict(archs[150:]), y[150:])[0] > 0.5


def test_members_differ_and_seeds_matter() -> None:
    archs, y = synthetic(60)
    p = BananasPredictor(steps=50, k=3).fit(archs, y)
    members = p._members(archs)
    assert members.shape == (3, 60) and not np.allclose(members[0], members[1])
    q = BananasPredictor(steps=50, k=3, seed=1).fit(archs, y)
    assert not np.array_equal(p.predict(archs), q.predict(archs))
    single = BananasPredictor(steps=20, k=1).fit(archs, y)
    assert np.allclose(single.predict_dist(archs)[1], 0.0)  # one member: no spread


def test_bad_ensemble_settings() -> None:
    archs, y = synthetic(10)
    for bad in ({"k": 0}, {"steps": -1}, {"batch_size": 2.5}):
        with pytest.raises(ConfigError):
            BananasPredictor(**bad).fit(archs, y)


def test_mlp_ensemble_learns_a_linear_target_and_reports_spread() -> None:
    rng = np.random.default_rng(0)
    x = space_table("onehot")
    target = 80 + 2 * x @ rng.normal(size=30)
    train, held = rng.choice(15625, 200, replace=False), rng.choice(15625, 500, replace=False)
    ens = MLPEnsemble(np.random.default_rng(1), epochs=300).fit(x[train], target[train])
    mean, std = ens.predict_dist(x[held])
    assert np.corrcoef(mean, target[held])[0, 1] > 0.9
    assert (std > 0).all()
    again = MLPEnsemble(np.random.default_rng(1), epochs=300).fit(x[train], target[train])
    assert np.array_equal(again.predict_members(x[held]), ens.predict_members(x[held]))


def test_mlp_ensemble_warm_start_continues_from_its_weights() -> None:
    rng = np.random.default_rng(3)
    x = space_table("onehot")
    target = 80 + 2 * x @ rng.normal(size=30)
    first, more = rng.choice(15625, 40, replace=False), rng.choice(15625, 60, replace=False)
    ens = MLPEnsemble(np.random.default_rng(1), epochs=200).fit(x[first], target[first])
    before = [p.copy() for p in ens.params_]
    ens.fit(x[more], target[more], warm_steps=0)  # zero steps: the weights are kept as they were
    assert all(np.array_equal(a, b) for a, b in zip(before, ens.params_))
    ens.fit(x[more], target[more], warm_steps=30)
    assert not np.array_equal(before[0], ens.params_[0])
    fresh = MLPEnsemble(np.random.default_rng(1), epochs=200).fit(x[first], target[first])
    assert all(np.array_equal(a, b) for a, b in zip(before, fresh.params_))  # without warm_steps: a new init
