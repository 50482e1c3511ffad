"""Tests of nasbench_lab/training/trainer.py: one training run, its record, determinism, failures."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from nasbench_lab.benchmark.schema import CURVE_METRICS, Recipe
from nasbench_lab.errors import ConfigError
from nasbench_lab.training.data import load_dataset
from nasbench_lab.training.network import count_flops, count_params
from nasbench_lab.training.recipes import get_recipe
from nasbench_lab.training.trainer import (
    Runtime,
    TrainingFailed,
    eval_steps,
    learning_rate,
    train,
    train_indices,
)
from training.cifar_fakes import make_cifar10

ARCH = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"


def tiny_recipe(**overrides: object) -> Recipe:
    """The digits recipe shrunk to a fraction of a second: C=4, N=1, 192 images, 3 eval points."""
    base = get_recipe("digits")
    config = {**base.config, "C": 4, "N": 1, "epochs": 2, "batch_size": 64, "train_subset": 192, **overrides}
    return replace(base, name="tiny", config=config, eval_points=(0.5, 1.0, 2.0))


def test_record_has_every_curve_and_arch_figure() -> None:
    recipe = tiny_recipe()
    rec = train(ARCH, "digits", recipe, seed=3)
    rec.check(recipe)
    assert set(rec.curves) == set(CURVE_METRICS)
    for name, values in rec.curves.items():
        assert values.shape == (3,) and np.isfinite(values).all(), name
    for name in ("train_acc", "valid_acc", "test_acc"):
        assert ((rec.curves[name] >= 0) & (rec.curves[name] <= 100)).all()
    assert (rec.curves["train_time"] > 0).all() and rec.eval_time > 0 and rec.latency > 0
    assert rec.params == count_params(ARCH, C=4, N=1, in_channels=1)
    assert rec.flops == count_flops(ARCH, C=4, N=1, in_channels=1, image_size=8)
    assert rec.seed == 3 and rec.mapped_from == -1


def test_training_learns_digits() -> None:
    recipe = tiny_recipe(epochs=3, train_subset=None, C=8, lr=0.1)
    rec = train(6111, "digits", replace(recipe, eval_points=(0.25, 3.0)), seed=0)
    assert rec.curves["valid_acc"][-1] > 80 > rec.curves["valid_acc"][0]
    assert rec.curves["train_loss"][-1] < rec.curves["train_loss"][0]


def test_same_seed_gives_identical_curves_on_cpu() -> None:
    recipe = tiny_recipe()
    a, b = (train(ARCH, "digits", recipe, seed=7) for _ in range(2))
    c = train(ARCH, "digits", recipe, seed=8)
    for name in CURVE_METRICS:
        if name != "train_time":
            assert np.array_equal(a.curves[name], b.curves[name]), name
    assert not np.array_equal(a.curves["train_loss"], c.curves["train_loss"])


def test_caller_rng_state_is_left_alone() -> None:
    torch.manual_seed(123)
    before = torch.get_rng_state()
    train(ARCH, "digits", tiny_recipe(), seed=1)
    assert torch.equal(before, torch.get_rng_state())


def test_diverging_run_raises_training_failed() -> None:
    with pytest.raises(TrainingFailed, match="became (nan|inf)"):
        train(ARCH, "digits", tiny_recipe(lr=1e30, weight_decay=0.0), seed=0)


def test_non_finite_evaluation_loss_raises_training_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    from nasbench_lab.training import trainer

    monkeypatch.setattr(trainer, "evaluate", lambda *args, **kwargs: (10.0, math.inf))
    with pytest.raises(TrainingFailed, match="valid_loss, test_loss became non-finite"):
        train(ARCH, "digits", tiny_recipe(), seed=0)


def test_three_channel_dataset_with_shared_valid_and_test(tmp_path: Path) -> None:
    make_cifar10(tmp_path, per_batch=8, n_test=6)
    recipe = tiny_recipe(C=2, batch_size=16, train_subset=None, dataset="cifar10")
    rec = train(ARCH, "cifar10", replace(recipe, eval_points=(1.0, 2.0)), seed=0, data_root=str(tmp_path))
    assert np.array_equal(rec.curves["valid_acc"], rec.curves["test_acc"])
    assert rec.flops == count_flops(ARCH, C=2, N=1, image_size=32)


def test_train_subset_is_fixed_and_seed_independent() -> None:
    data = load_dataset("digits")
    cfg = tiny_recipe().config
    first = train_indices(data, cfg)
    assert len(first) == 192 and len(set(first.tolist())) == 192
    assert torch.equal(first, train_indices(data, cfg))
    assert len(train_indices(data, {**cfg, "train_subset": None})) == data.n_train


def test_eval_steps_round_fractions_and_refuse_collisions() -> None:
    assert eval_steps((0.25, 0.5, 1.0, 2.0), 16) == [4, 8, 16, 32]
    assert eval_steps((1 / 3, 2 / 3, 1.0), 16) == [5, 11, 16]
    with pytest.raises(ConfigError, match="distinct SGD steps"):
        eval_steps((0.1, 0.11), 4)
    with pytest.raises(ConfigError):
        eval_steps((0.01,), 4)


def test_learning_rate_schedules() -> None:
    cfg = {**get_recipe("nb201-200").config}
    # NB201: cosine over epochs, constant within an epoch, lr(epoch e) = 0.05 (1 + cos(pi e / 200))
    assert learning_rate(cfg, 0, 10) == pytest.approx(0.1)
    assert learning_rate(cfg, 9, 10) == pytest.approx(0.1)
    assert learning_rate(cfg, 1000, 10) == pytest.approx(0.05)
    assert learning_rate(cfg, 1999, 10) == pytest.approx(0.05 * (1 + math.cos(math.pi * 199 / 200)))
    per_step = {**cfg, "schedule_step": "step", "epochs": 2}
    assert learning_rate(per_step, 10, 10) == pytest.approx(0.05)
    assert learning_rate(per_step, 5, 10) == pytest.approx(0.05 * (1 + math.cos(math.pi / 4)))
    assert learning_rate({**cfg, "lr_schedule": "constant"}, 1999, 10) == 0.1


def test_runtime_describes_each_device() -> None:
    cpu = Runtime.for_device("cpu", threads=1)
    assert cpu.autocast_dtype is None and torch.get_num_threads() == 1
    with cpu.autocast():
        assert torch.ones(2, 2).matmul(torch.ones(2, 2)).dtype == torch.float32
    assert Runtime(torch.device("cuda"), torch.bfloat16, True).autocast_dtype == torch.bfloat16
    with pytest.raises(ConfigError, match="threads"):
        Runtime.for_device("cpu", threads=0)


def test_bad_recipe_and_dataset_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        train(ARCH, "digits", tiny_recipe(batch_size=0), seed=0)
    with pytest.raises(ConfigError, match="unknown dataset"):
        train(ARCH, "svhn", tiny_recipe(), seed=0)
