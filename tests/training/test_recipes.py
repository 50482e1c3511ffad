"""Tests of nasbench_lab/training/recipes.py: named recipes and their config validation."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.errors import ConfigError
from nasbench_lab.training.data import load_dataset
from nasbench_lab.training.recipes import CONFIG_KEYS, check_config, get_recipe, recipe_names
from nasbench_lab.training.trainer import eval_steps


def test_known_recipes() -> None:
    assert recipe_names() == ["digits", "nb201-12", "nb201-200"]
    with pytest.raises(ConfigError, match="known: digits"):
        get_recipe("nb201-1")


@pytest.mark.parametrize("name", ["digits", "nb201-12", "nb201-200"])
def test_every_recipe_validates_and_round_trips(name: str) -> None:
    recipe = get_recipe(name)
    assert recipe.name == name
    assert set(check_config(recipe)) == set(CONFIG_KEYS)
    assert Recipe.from_attrs(recipe.to_attrs()) == recipe
    assert get_recipe(name) is not recipe and get_recipe(name) == recipe


@pytest.mark.parametrize("epochs", [12, 200])
def test_nb201_recipes_follow_the_paper(epochs: int) -> None:
    recipe = get_recipe(f"nb201-{epochs}")
    cfg = recipe.config
    assert recipe.eval_points == tuple(float(e) for e in range(1, epochs + 1))
    assert (cfg["epochs"], cfg["batch_size"], cfg["lr"], cfg["momentum"], cfg["weight_decay"]) == (epochs, 256, 0.1, 0.9, 5e-4)
    assert cfg["nesterov"] and cfg["lr_schedule"] == "cosine" and cfg["lr_min"] == 0.0 and cfg["schedule_step"] == "epoch"
    assert (cfg["C"], cfg["N"], cfg["train_subset"], cfg["seeds"]) == (16, 5, None, [777, 888, 999])


def test_digits_recipe_has_enough_distinct_eval_points() -> None:
    recipe = get_recipe("digits")
    cfg = recipe.config
    assert recipe.n_epochs >= 10 and len(cfg["seeds"]) >= 2 and cfg["dataset"] == "digits"
    n_train = min(cfg["train_subset"] or 10**9, load_dataset("digits").n_train)
    steps = eval_steps(recipe.eval_points, math.ceil(n_train / cfg["batch_size"]))
    assert steps[-1] == cfg["epochs"] * math.ceil(n_train / cfg["batch_size"])


@pytest.mark.parametrize(
    "change,match",
    [
        ({"lr": -0.1}, "lr"),
        ({"epochs": 0}, "epochs"),
        ({"nesterov": 1}, "nesterov"),
        ({"train_subset": 0}, "train_subset"),
        ({"lr_schedule": "step"}, "lr_schedule"),
        ({"schedule_step": "batch"}, "schedule_step"),
        ({"C": 2.5}, "C"),
        ({"optimizer": "adam"}, "unknown keys \\['optimizer'\\]"),
    ],
)
def test_check_config_names_the_bad_key(change: dict, match: str) -> None:
    recipe = get_recipe("nb201-12")
    with pytest.raises(ConfigError, match=match):
        check_config(replace(recipe, config={**recipe.config, **change}))


def test_check_config_reports_missing_keys_and_late_eval_points() -> None:
    recipe = get_recipe("nb201-12")
    config = dict(recipe.config)
    del config["momentum"]
    with pytest.raises(ConfigError, match="missing keys \\['momentum'\\]"):
        check_config(replace(recipe, config=config))
    with pytest.raises(ConfigError, match="after the last epoch"):
        check_config(replace(recipe, eval_points=(1.0, 13.0)))
