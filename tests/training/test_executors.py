"""Tests of nasbench_lab/training/executors.py: inline, local processes, and a local Ray instance."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.errors import ConfigError
from nasbench_lab.training.executors import (
    InlineExecutor,
    LocalExecutor,
    RayExecutor,
    Task,
    make_executor,
    run_task,
)
from nasbench_lab.training.fill import ArchSelection, fill
from nasbench_lab.training.jobs import TrainJob
from training.fill_fakes import MemoryTarget, dying_train, fake_curves, fake_latency, fake_train

RECIPE = Recipe(name="tiny", eval_points=(1.0, 2.0))


def _drain(executor, tasks):
    for task in tasks:
        executor.submit(task)
    results = [executor.next_result() for _ in tasks]
    assert executor.in_flight() == 0
    return {r.task.arch_index: r for r in results}


def test_run_task_turns_exceptions_into_failed_results() -> None:
    job = TrainJob(fake_train, {"fail_always": [2]})
    ok = run_task(job, Task(1, "digits", RECIPE, 0))
    bad = run_task(job, Task(2, "digits", RECIPE, 0))
    assert ok.ok and ok.record is not None and ok.record.arch_index == 1
    assert not bad.ok and bad.error.startswith("FloatingPointError: loss is NaN for arch 2")


def test_inline_executor_runs_in_submission_order() -> None:
    executor = InlineExecutor()
    executor.start(TrainJob(fake_train))
    results = _drain(executor, [Task(a, "digits", RECIPE, 0) for a in (5, 3)])
    assert sorted(results) == [3, 5]


def test_local_executor_runs_tasks_in_worker_processes() -> None:
    executor = LocalExecutor(workers=2)
    assert executor.capacity == 4
    executor.start(TrainJob(fake_train, {"fail_always": [7]}, latency_fn=fake_latency))
    try:
        tasks = [Task(a, "digits", RECIPE, 1, members=(a + 100,)) for a in (4, 5, 6, 7)]
        results = _drain(executor, tasks)
    finally:
        executor.shutdown()
    for arch in (4, 5, 6):
        np.testing.assert_array_equal(results[arch].record.curves["valid_acc"], fake_curves(arch, 1, 2)["valid_acc"])
        assert results[arch].member_latency == (fake_latency(arch + 100, "digits", RECIPE),)
    assert "loss is NaN" in results[7].error


def test_a_dead_worker_fails_its_task_and_the_pool_recovers() -> None:
    executor = LocalExecutor(workers=1)
    executor.start(TrainJob(dying_train, {"die_for": [9]}))
    try:
        dead = _drain(executor, [Task(9, "digits", RECIPE, 0)])[9]
        assert not dead.ok and "worker process died" in dead.error
        alive = _drain(executor, [Task(10, "digits", RECIPE, 0)])[10]
        assert alive.ok
    finally:
        executor.shutdown()


def test_make_executor_checks_its_arguments() -> None:
    assert isinstance(make_executor("local", workers=3), LocalExecutor)
    assert isinstance(make_executor("ray", address="auto"), RayExecutor)
    with pytest.raises(ConfigError, match="unknown executor"):
        make_executor("slurm")
    with pytest.raises(ConfigError):
        LocalExecutor(workers=-1)


def test_fill_through_a_local_ray_instance(tmp_path) -> None:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from training import fill_fakes

    ray.cloudpickle.register_pickle_by_value(fill_fakes)  # Ray workers need not import the tests
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        target = MemoryTarget()
        report = fill(
            str(tmp_path / "b.h5"), "digits", RECIPE, [0, 1], ArchSelection.parse("11,12,13"),
            executor=RayExecutor(), job=TrainJob(fill_fakes.fake_train, {"fail_always": [13]}),
            target=target, retries=1, progress=False,
        )
    finally:
        ray.shutdown()
    assert report.trained == 4
    assert sorted(a for a, _, _ in report.failed) == [13, 13]
    assert set(target.records) == {(a, s) for a in (11, 12) for s in (0, 1)}
    np.testing.assert_array_equal(target.records[(12, 1)].curves["test_acc"], fake_curves(12, 1, 2)["test_acc"])


def test_ray_executor_without_ray_says_how_to_install(monkeypatch) -> None:
    from nasbench_lab.errors import NasbenchLabError

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(NasbenchLabError, match=r"pip install 'nasbench-lab\[ray\]'"):
        RayExecutor().start(TrainJob(fake_train))
