"""Tests of nasbench_lab/predictors/protocol.py: settings, the data read for an evaluation, the splits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.predictors import protocol as P
from predictors.evaluation_fakes import FakeBench


@pytest.fixture(scope="module")
def bench():
    return FakeBench()


def test_splits_are_disjoint_seeded_and_differ_by_trial(bench):
    protocol = P.Protocol("toy", train_sizes=(5, 60), test_size=40, trials=3, seed=7)
    data = P.load_data(bench, protocol, need_curves=False, need_proxies=False)
    assert set(data.archs) == set(bench.filled)
    test0, pool0 = P.split(data, protocol, 0)
    assert test0.size == 40 and pool0.size == 60 and not set(test0) & set(pool0)
    assert np.array_equal(test0, P.split(data, protocol, 0)[0])
    assert not np.array_equal(test0, P.split(data, protocol, 1)[0])


def test_default_fidelities():
    assert P.default_fidelities(200) == (10, 20, 50, 100)
    assert P.default_fidelities(4) == (1, 2)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 50), st.integers(20, 60), st.integers(1, 40))
def test_split_property(seed, trial, test_size, largest):
    archs = np.arange(0, 15625, 97)  # 162 eligible archs
    data = P.EvaluationData(archs=archs, y=np.zeros(archs.size), maximise=True, eval_points=(1.0,),
                            full_cost=np.zeros(archs.size))
    protocol = P.Protocol("toy", train_sizes=(largest,), test_size=test_size, trials=trial + 1, seed=seed)
    test, pool = P.split(data, protocol, trial)
    assert test.size == test_size and pool.size == largest
    assert np.unique(np.concatenate([test, pool])).size == test_size + largest
    assert np.array_equal(pool, P.split(data, protocol, trial)[1])
