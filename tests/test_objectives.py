"""Tests of nasbench_lab/objectives.py: directions, objectives, constraints, scalarisation."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab import objectives as obj
from nasbench_lab.benchmark.schema import METRICS
from nasbench_lab.errors import ConfigError


def test_every_benchmark_metric_has_a_direction() -> None:
    assert {obj.direction(m) for m in METRICS} <= {"max", "min"}
    assert obj.direction("valid_acc") == "max" and obj.direction("test_acc") == "max"
    for metric in ("valid_loss", "train_time", "eval_time", "params", "flops", "latency"):
        assert obj.direction(metric) == "min", metric


def test_imported_cost_metric_is_minimised_and_unknown_metric_needs_a_direction() -> None:
    assert obj.direction("edgegpu_energy") == "min"
    with pytest.raises(ConfigError, match="direction"):
        obj.direction("robustness")
    assert obj.Objective("robustness", direction="max").sign == 1.0


def test_oriented_negates_minimised_metrics() -> None:
    np.testing.assert_array_equal(obj.oriented(np.array([1.0, -2.0]), "min"), [-1.0, 2.0])
    np.testing.assert_array_equal(obj.oriented(np.array([1.0, -2.0]), "max"), [1.0, -2.0])
    with pytest.raises(ConfigError):
        obj.sign("up")


def test_cost_alone_is_refused_unless_its_direction_is_explicit() -> None:
    with pytest.raises(ConfigError, match=r"objectives\[0\].*train_time"):
        obj.check_objectives([obj.Objective("train_time")])
    obj.check_objectives([obj.Objective("train_time", direction="min")])
    obj.check_objectives([obj.Objective("valid_loss")])
    obj.check_objectives([obj.Objective("valid_acc"), obj.Objective("params")])
    with pytest.raises(ConfigError, match="repeats"):
        obj.check_objectives([obj.Objective("params"), obj.Objective("params")])
    with pytest.raises(ConfigError, match="at least one"):
        obj.check_objectives([])


def test_constraint_slack_and_feasibility() -> None:
    c = obj.Constraint("params", max=0.8)
    np.testing.assert_allclose(c.slack(np.array([0.5, 0.8, 1.0])), [0.3, 0.0, -0.2])
    both = obj.Constraint("latency", min=0.1, max=0.3)
    slack = np.stack([c.slack(np.array([0.5, 0.5, 0.9])), both.slack(np.array([0.2, 0.05, 0.2]))], axis=-1)
    np.testing.assert_array_equal(obj.feasible(slack), [True, False, False])
    assert str(c) == "params <= 0.8"
    with pytest.raises(ConfigError, match="max and/or min"):
        obj.Constraint("params")
    with pytest.raises(ConfigError, match="min"):
        obj.Constraint("params", min=2.0, max=1.0)


def test_weighted_sum_is_accuracy_minus_lambda_cost() -> None:
    values = np.array([[90.0, 2.0], [80.0, 0.5]])  # valid_acc, flops
    signs = np.array([obj.Objective("valid_acc").sign, obj.Objective("flops").sign])
    scal = obj.Scalarisation((1.0, 10.0))
    np.testing.assert_allclose(scal.apply(values * signs), [90 - 20, 80 - 5])
    with pytest.raises(ConfigError, match="one weight per objective"):
        scal.apply(np.ones((2, 3)))
    with pytest.raises(ConfigError, match=">= 0"):
        obj.Scalarisation((1.0, -1.0))
