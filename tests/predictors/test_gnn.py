"""Tests of nasbench_lab/predictors/gnn.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau

from nasbench_lab.predictors.gnn import GCNPredictor, GINPredictor
from nasbench_lab.space import indices_from_ops
from predictors.synthetic_targets import synthetic

torch.set_num_threads(1)


@pytest.mark.parametrize("cls", [GCNPredictor, GINPredictor])
@pytest.mark.parametrize("pruned", [True, False])
def test_gnn_learns(cls, pruned: bool) -> None:
    archs, y = synthetic(250)
    p = cls(pruned=pruned, steps=200).fit(archs[:150], y[:150])
    assert kendalltau(p.predict(archs[150:]), y[150:])[0] > 0.4
    mean, std = p.predict_dist(archs[150:])
    assert (std > 0).all() and mean.shape == (100,)


@pytest.mark.parametrize("cls", [GCNPredictor, GINPredictor])
def test_gnn_is_invariant_to_relabelling_interchangeable_nodes(cls) -> None:
    archs, y = synthetic(40)
    p = cls(steps=20).fit(archs, y)
    ops = np.array([[3, 2, 0, 1, 4, 3]])  # e12 = none: nodes 1 and 2 of the cell are interchangeable
    a, b = indices_from_ops(ops)[0], indices_from_ops(ops[:, [1, 0, 2, 3, 5, 4]])[0]
    pa, pb = p.predict(np.array([a, b]))
    assert a != b and pa == pytest.approx(pb, rel=1e-5)


def test_gnn_predicts_every_arch_at_once() -> None:
    archs, y = synthetic(30)
    p = GCNPredictor(steps=10, k=2).fit(archs, y)
    whole = p.predict(np.arange(15625))
    assert whole.shape == (15625,) and np.isfinite(whole).all()
    np.testing.assert_allclose(whole[archs], p.predict(archs), rtol=1e-5)
