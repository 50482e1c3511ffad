"""Tests of nasbench_lab/training/planning.py: arch selections and the plan of missing entries."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab import space
from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.errors import ConfigError
from nasbench_lab.training.planning import ArchSelection, plan_tasks

RECIPE = Recipe(name="tiny", eval_points=(0.5, 1.0, 1.5))


def test_parse_selection() -> None:
    assert ArchSelection.parse("all").mode == "all"
    assert ArchSelection.parse("classes").mode == "classes"
    assert ArchSelection.parse("3,1,2").indices == (3, 1, 2)
    assert ArchSelection.parse("7,").indices == (7,)
    assert ArchSelection.parse("0-2,9").indices == (0, 1, 2, 9)
    sample = ArchSelection.parse("random:25", sample_seed=4)
    assert (sample.mode, sample.n) == ("sample", 25)
    for bad in ("some", "15625", "1,x", "1,15625", "random:0", "random:15626", "random:x", "sample:5", "-1",
                "\u00b2", "\u0663", "1_0", "+5", "5-2"):
        with pytest.raises(ConfigError, match="--archs"):
            ArchSelection.parse(bad)


def test_a_bare_number_is_that_arch_not_a_sample_size() -> None:
    # The MissingEntryError hint says `--archs 6111`: it must train arch 6111, not 6,111 random archs.
    selection = ArchSelection.parse("6111")
    assert selection.mode == "list"
    assert selection.arch_indices().tolist() == [6111]
    assert ArchSelection.parse("0").arch_indices().tolist() == [0]


def test_sample_is_seeded_and_distinct() -> None:
    a = ArchSelection.parse("random:50", sample_seed=1).arch_indices()
    assert np.array_equal(a, ArchSelection.parse("random:50", sample_seed=1).arch_indices())
    assert len(np.unique(a)) == 50
    assert not np.array_equal(a, ArchSelection.parse("random:50", sample_seed=2).arch_indices())


def test_plan_skips_filled_entries_seed_major() -> None:
    filled = np.zeros((space.N_ARCHS, 3), dtype=bool)
    filled[5, 0] = filled[6, 2] = True
    tasks = plan_tasks(filled, [7, 8, 9], [9, 7], ArchSelection.parse("5,6"), "digits", RECIPE)
    assert [(t.arch_index, t.seed) for t in tasks] == [(5, 9), (6, 7)]


def test_plan_classes_trains_one_per_class_and_maps_the_rest() -> None:
    filled = np.zeros((space.N_ARCHS, 1), dtype=bool)
    tasks = plan_tasks(filled, [0], [0], ArchSelection.parse("classes"), "digits", RECIPE)
    reps = space.representatives()
    assert len(tasks) == 6466
    covered = np.concatenate([[t.arch_index, *t.members] for t in tasks])
    assert np.array_equal(np.sort(covered), np.arange(space.N_ARCHS))  # every arch exactly once
    for task in tasks[:200]:
        assert reps[task.arch_index] == task.arch_index
        assert all(reps[m] == task.arch_index for m in task.members)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, space.N_ARCHS - 1), max_size=40))
def test_plan_classes_lists_only_missing_members(done: list[int]) -> None:
    filled = np.zeros((space.N_ARCHS, 1), dtype=bool)
    filled[done, 0] = True
    tasks = plan_tasks(filled, [0], [0], ArchSelection.parse("classes"), "digits", RECIPE)
    covered = np.concatenate([[t.arch_index, *t.members] for t in tasks])
    missing = np.flatnonzero(~filled[:, 0])
    assert set(missing) <= set(covered.tolist())
    assert not any(filled[m, 0] for t in tasks for m in t.members)
