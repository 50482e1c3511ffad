"""Tests of nasbench_lab/study/mo_spec.py through spec_from_dict: errors name the TOML key."""

from __future__ import annotations

from typing import Any

import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.study.spec import spec_from_dict

BASE: dict[str, Any] = {"dataset": "digits", "budget": {"queries": 5}}
ACC_PARAMS = [{"metric": "valid_acc"}, {"metric": "params"}]


def spec(**extra: Any):
    return spec_from_dict({**BASE, **extra})


def test_multi_objective_spec_is_read() -> None:
    s = spec(objectives=ACC_PARAMS, constraints=[{"metric": "latency", "max": 0.02}],
             reference_point=[10, 2], strategies=[{"name": "nsga2"}])
    assert s.multi is not None and s.multi.multi_objective
    assert [o.resolved_direction for o in s.multi.objectives] == ["max", "min"]
    assert str(s.multi.constraints[0]) == "latency <= 0.02"
    assert "multi" in s.to_dict() and "multi" not in spec(strategies=[{"name": "random"}]).to_dict()


@pytest.mark.parametrize(("extra", "match"), [
    ({"objectives": ACC_PARAMS, "strategies": [{"name": "random"}]}, r"strategies\[0\] \(random\).*multi-objective strategy"),
    ({"strategies": [{"name": "nsga2"}]}, r"strategies\[0\] \(nsga2\) is multi-objective"),
    ({"objectives": [{"metric": "valid_acc"}], "strategies": [{"name": "nsga2"}]}, "add a second objective"),
    ({"objectives": [{"metric": "valid_acc", "direction": "up"}, {"metric": "params"}],
      "strategies": [{"name": "nsga2"}]}, r"objectives\[0\]\.direction"),
    ({"objectives": [{"metric": "valid_acc"}, {"metric": "params", "weight": 1}],
      "strategies": [{"name": "nsga2"}]}, r"objectives\[1\]\.weight: unknown key"),
    ({"objectives": ACC_PARAMS, "constraints": [{"metric": "params"}], "strategies": [{"name": "nsga2"}]},
     r"constraints\[0\]\..*max and/or min"),
    ({"objectives": ACC_PARAMS, "scalarise": {"weights": [1.0]}, "strategies": [{"name": "random"}]},
     "one weight per objective"),
    ({"objectives": ACC_PARAMS, "scalarise": {"weights": [1.0, 1.0]}, "constraints": [{"metric": "params", "max": 1}],
      "strategies": [{"name": "random"}]}, "constraints need multi-objective strategies"),
    ({"constraints": [{"metric": "params", "max": 1}], "strategies": [{"name": "random"}]}, "needs \\[\\[objectives\\]\\]"),
    ({"objectives": ACC_PARAMS, "objective": {"metric": "valid_acc"}, "strategies": [{"name": "nsga2"}]},
     "may only set seed"),
    ({"objective": {"metric": "train_time"}, "strategies": [{"name": "random"}]}, "train_time' alone is a cost"),
])
def test_bad_specs_name_the_key(extra: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        spec(**extra)


def test_scalarised_spec_and_explicit_cost_direction() -> None:
    s = spec(objectives=ACC_PARAMS, scalarise={"weights": [1.0, 0.5]}, strategies=[{"name": "random"}])
    assert s.multi is not None and not s.multi.multi_objective
    assert spec(objective={"metric": "train_time", "direction": "min"}, strategies=[{"name": "random"}]).objective.sign == -1.0
    assert spec(objective={"metric": "valid_loss"}, strategies=[{"name": "random"}]).objective.sign == -1.0
