"""Tests of nasbench_lab/training/jobs.py: the worker's unit of work and the real trainer's glue."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.training.jobs import Task, TrainJob, arch_latency, fill_provenance, network_figures
from nasbench_lab.training.network import flops_many, params_many
from nasbench_lab.training.recipes import get_recipe
from training.fill_fakes import fake_latency, fake_train

RECIPE = Recipe(name="tiny", eval_points=(0.5, 1.0, 1.5))


def wrong_entry_train(arch, dataset, recipe, seed, **kwargs):
    return replace(fake_train(arch, dataset, recipe, seed), seed=seed + 1)


def test_train_job_measures_member_latency_once_per_fill() -> None:
    task = Task(6, "digits", RECIPE, 0, members=(7, 8))
    result = TrainJob(fake_train, latency_fn=fake_latency)(task)
    assert (result.record.arch_index, result.record.seed) == (6, 0)
    assert result.member_latency == (fake_latency(7, "digits", RECIPE), fake_latency(8, "digits", RECIPE))
    later_seed = TrainJob(fake_train, latency_fn=fake_latency)(replace(task, seed=1, measure_members=False))
    assert all(math.isnan(v) for v in later_seed.member_latency)
    assert all(math.isnan(v) for v in TrainJob(fake_train)(task).member_latency)


def test_train_job_refuses_a_record_of_another_entry() -> None:
    with pytest.raises(ValueError, match="returned arch 6 seed 1 for arch 6 seed 0"):
        TrainJob(wrong_entry_train)(Task(6, "digits", RECIPE, 0))


def test_network_figures_are_the_exact_counts_of_every_arch() -> None:
    recipe = get_recipe("digits")
    figures = network_figures("digits", recipe)
    assert figures["params"].shape == figures["flops"].shape == (15625,)
    idx = np.array([0, 1462, 1651, 15624])
    sizes = dict(C=recipe.config["C"], N=recipe.config["N"], in_channels=1, num_classes=10)
    np.testing.assert_array_equal(figures["params"][idx], params_many(idx, **sizes))
    np.testing.assert_array_equal(figures["flops"][idx], flops_many(idx, **sizes, image_size=8))


def test_arch_latency_and_provenance() -> None:
    seconds = arch_latency(1462, "digits", get_recipe("digits"))
    assert 0.0 < seconds < 1.0
    provenance = fill_provenance("cpu")
    assert provenance["source"].startswith("nasbench-lab fill") and provenance["device"].startswith("cpu on ")
