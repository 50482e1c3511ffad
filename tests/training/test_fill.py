"""Tests of nasbench_lab/training/fill.py: the engine (fake trainer, in-memory target) and on-demand filling."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab import space
from nasbench_lab.benchmark.lock import BenchmarkLockedError, FileLock, lock_path
from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.errors import ConfigError
from nasbench_lab.execution import InlineExecutor
from nasbench_lab.training.fill import fill, recover
from nasbench_lab.training.jobs import TrainJob
from nasbench_lab.training.journal import Journal, journal_path, record_to_json, run_entry
from nasbench_lab.training.planning import ArchSelection
from training.fill_fakes import MemoryTarget, fake_curves, fake_latency, fake_train

RECIPE = Recipe(name="tiny", eval_points=(0.5, 1.0, 1.5))


def _fill(tmp_path, target, selection, *, seeds=(0, 1), retries=2, fold_every=100, **train_kwargs):
    job = TrainJob(fake_train, dict(train_kwargs), latency_fn=fake_latency)
    return fill(
        str(tmp_path / "b.h5"), "digits", RECIPE, seeds, selection,
        executor=InlineExecutor(), job=job, target=target, retries=retries, fold_every=fold_every,
        progress=False,
    )


# --------------------------------------------------------------------------- the engine
def test_fill_trains_every_missing_entry_once(tmp_path) -> None:
    target = MemoryTarget()
    report = _fill(tmp_path, target, ArchSelection.parse("3,1,2"), fold_every=2)
    assert (report.planned, report.trained, report.failed) == (6, 6, [])
    assert set(target.records) == {(a, s) for a in (1, 2, 3) for s in (0, 1)}
    assert all(n == 1 for n in target.writes.values())
    for (arch, seed), record in target.records.items():
        np.testing.assert_array_equal(record.curves["valid_acc"], fake_curves(arch, seed, 3)["valid_acc"])
    assert target.folds == 3  # after 2, 4 and 6 entries
    assert not journal_path(tmp_path / "b.h5").exists()
    with FileLock(lock_path(tmp_path / "b.h5")):  # released at the end
        pass
    again = _fill(tmp_path, target, ArchSelection.parse("3,1,2"))
    assert (again.planned, again.trained) == (0, 0)


def test_fill_classes_maps_members_with_their_own_latency(tmp_path) -> None:
    target = MemoryTarget()
    target.seeds = [0]
    reps = space.representatives()
    big = np.bincount(reps).argmax()  # the largest class
    target.prefilled = np.ones((space.N_ARCHS, 1), dtype=bool)
    target.prefilled[reps == big, 0] = False
    report = _fill(tmp_path, target, ArchSelection.parse("classes"), seeds=(0,))
    members = np.flatnonzero(reps == big)
    assert (report.trained, report.mapped) == (1, len(members) - 1)
    source = target.records[(big, 0)]
    assert source.mapped_from == -1
    for m in members[members != big]:
        copy = target.records[(int(m), 0)]
        assert copy.mapped_from == big
        np.testing.assert_array_equal(copy.curves["test_acc"], source.curves["test_acc"])
        assert copy.latency == fake_latency(int(m), "digits", RECIPE)


def test_failed_entries_are_retried_and_recorded(tmp_path) -> None:
    target = MemoryTarget()
    report = _fill(tmp_path, target, ArchSelection.parse("4,5"), seeds=(0,), fail_once_dir=str(tmp_path))
    assert (report.trained, report.failed) == (2, [])
    assert sorted((f["arch_index"], f["attempt"]) for f in target.failures) == [(4, 0), (5, 0)]


def test_entries_failing_every_attempt_are_reported(tmp_path) -> None:
    target = MemoryTarget()
    report = _fill(tmp_path, target, ArchSelection.parse("4,5"), seeds=(0,), retries=1, fail_always=[5])
    assert report.trained == 1
    assert [(a, s) for a, s, _ in report.failed] == [(5, 0)]
    assert "FloatingPointError: loss is NaN for arch 5" in report.failed[0][2]
    assert [f["attempt"] for f in target.failures if f["arch_index"] == 5] == [0, 1]
    assert (5, 0) not in target.records


def test_fill_refuses_a_locked_file(tmp_path) -> None:
    with FileLock(lock_path(tmp_path / "b.h5")), pytest.raises(BenchmarkLockedError, match="another process"):
        _fill(tmp_path, MemoryTarget(), ArchSelection.parse("1,"))


def test_fill_first_folds_a_journal_left_by_a_killed_run(tmp_path) -> None:
    target = MemoryTarget()
    target.prepare("digits", RECIPE, [0])
    record = fake_train(space.Arch.from_index(9), "digits", RECIPE, 0)
    with Journal(journal_path(tmp_path / "b.h5")) as journal:
        journal.append(run_entry("digits", "tiny", record))
    report = _fill(tmp_path, target, ArchSelection.parse("9,10"), seeds=(0,))
    assert report.recovered == 1
    assert (report.planned, report.trained) == (1, 1)  # arch 9 was not trained again
    assert record_to_json(target.records[(9, 0)]) == record_to_json(record)


def test_recover_without_journal_is_a_no_op(tmp_path) -> None:
    target = MemoryTarget()
    assert recover(Journal(tmp_path / "none.journal"), target) == 0
    assert target.folds == 0


def test_bad_engine_settings_are_refused(tmp_path) -> None:
    with pytest.raises(ConfigError):
        _fill(tmp_path, MemoryTarget(), ArchSelection.parse("1,"), fold_every=0)


# --------------------------------------------------------------------------- on-demand filling
from nasbench_lab.benchmark.store import Benchmark  # noqa: E402
from nasbench_lab.training.fill import FillError, OnDemandFiller  # noqa: E402
from nasbench_lab.training.jobs import default_job  # noqa: E402
from nasbench_lab.training.journal import BenchmarkTarget  # noqa: E402


def test_on_demand_filler_trains_and_stores_a_missing_entry(tmp_path) -> None:
    path = tmp_path / "b.h5"
    BenchmarkTarget(path, {"source": "test"}).prepare("digits", RECIPE, [0, 1], None)
    filler = OnDemandFiller(str(path), job=TrainJob(fake_train, {"fail_always": [8]}))
    with Benchmark.open(path, fill_missing=filler) as bench:
        value = bench.query(6, "digits", "valid_acc", seed=1, recipe="tiny")
        assert value == pytest.approx(fake_curves(6, 1, 3)["valid_acc"][-1])
        with pytest.raises(FillError, match="arch 8 .*loss is NaN"):
            bench.query(8, "digits", "valid_acc", seed=0, recipe="tiny")
    with Benchmark.open(path) as bench:
        assert np.flatnonzero(bench.filled("digits", "tiny").any(axis=1)).tolist() == [6]


def test_on_demand_filler_with_the_real_trainer(tmp_path) -> None:
    from nasbench_lab.training.recipes import get_recipe

    path = tmp_path / "b.h5"
    recipe = get_recipe("digits")
    job = default_job()
    BenchmarkTarget(path, {"source": "test"}).prepare("digits", recipe, [0], job.figures_fn("digits", recipe))
    with Benchmark.open(path, fill_missing=OnDemandFiller(str(path), job=job)) as bench:
        acc = bench.query(1462, "digits", "test_acc", seed=0, recipe="digits")  # all nor_conv_3x3
        assert 10.0 < acc <= 100.0
        params = bench.query_many([1462, 1651], "digits", "params", recipe="digits", missing="nan")
    from nasbench_lab.training.network import build_network, module_params

    assert params[0] == pytest.approx(module_params(build_network(1462, C=8, N=1, in_channels=1)), abs=1e-6)
    assert params[1] < params[0]  # all-none has no cell weights, filled from the exact figures


# --------------------------------------------------------------------------- through real executors
def test_fill_through_local_worker_processes(tmp_path) -> None:
    from nasbench_lab.execution.local import LocalExecutor

    target = MemoryTarget()
    report = fill(
        str(tmp_path / "b.h5"), "digits", RECIPE, [1], ArchSelection.parse("4,5,6,7"),
        executor=LocalExecutor(workers=2), job=TrainJob(fake_train, {"fail_always": [7]}, latency_fn=fake_latency),
        target=target, retries=0, progress=False,
    )
    assert (report.trained, [a for a, _, _ in report.failed]) == (3, [7])
    assert "loss is NaN for arch 7" in report.failed[0][2]
    for arch in (4, 5, 6):
        np.testing.assert_array_equal(target.records[(arch, 1)].curves["valid_acc"], fake_curves(arch, 1, 3)["valid_acc"])


class _InterruptedAfter(InlineExecutor):
    """Runs tasks inline; asking for outcome number ``n`` is a Ctrl-C."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n, self.taken, self.stopped = n, 0, False

    def next_outcome(self):
        self.taken += 1
        if self.taken == self.n:
            raise KeyboardInterrupt
        return super().next_outcome()

    def shutdown(self) -> None:
        self.stopped = True
        super().shutdown()


def test_ctrl_c_stops_the_executor_and_folds_finished_entries(tmp_path) -> None:
    target, executor = MemoryTarget(), _InterruptedAfter(3)
    with pytest.raises(KeyboardInterrupt):
        fill(
            str(tmp_path / "b.h5"), "digits", RECIPE, [0], ArchSelection.parse("1,2,3,4"), executor=executor,
            job=TrainJob(fake_train), target=target, fold_every=100, progress=False,
        )
    assert executor.stopped
    assert set(target.records) == {(1, 0), (2, 0)}  # folded although fold_every was not reached
    assert not journal_path(tmp_path / "b.h5").exists() or not Journal(journal_path(tmp_path / "b.h5")).read()


def test_fill_through_a_local_ray_instance(tmp_path) -> None:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from nasbench_lab.execution.ray_cluster import RayExecutor
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
    np.testing.assert_array_equal(target.records[(12, 1)].curves["test_acc"], fake_curves(12, 1, 3)["test_acc"])
