"""Tests of nasbench_lab/study/spec.py: reading and validating study specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.study.spec import (
    BudgetSpec,
    load_spec,
    spec_from_dict,
)

REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- specs
FULL = """
name = "demo"
benchmark = "b.h5"
dataset = "digits"
recipe = "synthetic"
seeds = [3, 5]
seed = 7

[objective]
metric = "valid_acc"
seed = "mean"

[reported]
metric = "test_acc"

[budget]
queries = 20
seconds = 100.5

[proxy]
name = "syn_quality"

[[strategies]]
name = "t_knobs"
population = 4

[[strategies]]
name = "t_knobs"
label = "K2"
mode = "b"
"""


def test_load_spec_reads_every_section(tmp_path: Path, registered: None) -> None:
    path = tmp_path / "s.toml"
    path.write_text(FULL)
    spec = load_spec(path)
    assert spec.name == "demo" and spec.dataset == "digits" and spec.recipe == "synthetic"
    assert spec.benchmark == str((tmp_path / "b.h5").resolve())  # relative to the spec file
    assert spec.seeds == (3, 5) and spec.seed == 7
    assert spec.objective.seed == "mean" and spec.reported.metric == "test_acc"
    assert spec.budget == BudgetSpec(queries=20, seconds=100.5)
    assert spec.proxy is not None and spec.proxy.name == "syn_quality" and spec.proxy.charge
    assert spec.labels == ["t_knobs", "K2"]
    assert spec.strategies[0].params == {"population": 4} and spec.strategies[1].params == {"mode": "b"}
    assert load_spec(path, benchmark=tmp_path / "other.h5").benchmark == str((tmp_path / "other.h5").resolve())


def test_seed_count_and_defaults(registered: None) -> None:
    spec = spec_from_dict({"dataset": "d", "seeds": 3, "budget": {"queries": 5}, "strategies": [{"name": "t_knobs"}]})
    assert spec.seeds == (0, 1, 2) and spec.benchmark is None and spec.objective.seed == "random"
    assert spec.reported.dataset is None and spec.proxy is None and spec.name == "study"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"colour": 1}, "colour"),
        ({"budget": {"querys": 5}}, "budget.querys"),
        ({"budget": {"queries": "5"}}, "budget.queries"),
        ({"budget": {"queries": 0}}, "budget.queries"),
        ({"budget": {"seconds": -1.0}}, "budget.seconds"),
        ({"budget": {}}, "budget"),
        ({"seeds": 0}, "seeds"),
        ({"seeds": [1, 1]}, "seeds"),
        ({"seeds": [1, -2]}, "seeds[1]"),
        ({"objective": {"seed": "median"}}, "objective.seed"),
        ({"objective": {"metric": "valid_accuracy"}}, "objective.metric"),
        ({"reported": {"metric": 3}}, "reported.metric"),
        ({"proxy": {"charge": True}}, "proxy.name"),
        ({"proxy": {"name": "z", "charge": "yes"}}, "proxy.charge"),
        ({"strategies": [{"name": "t_knobs"}, {"name": "t_knobs"}]}, "strategies[1].label"),
        ({"strategies": [{"name": "t_knobs"}, {"name": "t_knobs", "label": "b", "population": 1}]}, "strategies[1].population"),
        ({"strategies": [{"name": "t_knobs"}, {"name": "t_knobs", "label": "b", "population": "ten"}]}, "strategies[1].population"),
        ({"strategies": [{"name": "t_knobs"}, {"name": "t_knobs", "label": "b", "mode": "c"}]}, "strategies[1].mode"),
        ({"strategies": [{"name": "t_knobs", "populaton": 3}]}, "strategies[0].populaton"),
        ({"strategies": [{"name": "no_such_strategy"}]}, "strategies[0].name"),
        ({"strategies": [{"label": "x"}]}, "strategies[0].name"),
        ({"strategies": []}, "strategies"),
    ],
)
def test_bad_specs_name_the_key(change: dict, key: str, registered: None) -> None:
    data = {"dataset": "digits", "budget": {"queries": 5}, "strategies": [{"name": "t_knobs"}]} | change
    with pytest.raises(ConfigError) as info:
        spec_from_dict(data)
    assert key in str(info.value)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("dataset = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_spec(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_spec(tmp_path / "absent.toml")


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "studies").glob("*.toml")))
def test_shipped_specs_are_valid(name: str) -> None:
    spec = load_spec(REPO / "studies" / name)
    assert (spec.strategies and spec.budget.queries) or spec.budget.seconds
