"""Tests of nasbench_lab/predictors/mlp.py (BANANAS ensemble and the batched-ensemble machinery)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau

from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors.mlp import BananasPredictor
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
