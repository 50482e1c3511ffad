"""Tests of nasbench_lab/execution/ray_cluster.py (a local Ray instance; skipped without the ray extra)."""

from __future__ import annotations

import sys

import pytest

from execution.fakes import square, thread_settings
from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.execution import run_all
from nasbench_lab.execution.ray_cluster import RayExecutor


def test_ray_runs_items_and_pins_threads() -> None:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from execution import fakes

    ray.cloudpickle.register_pickle_by_value(fakes)  # Ray workers need not import the tests
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        outcomes = {o.item: o for o in run_all(RayExecutor(), square, [2, -1])}
        [pinned] = run_all(RayExecutor(), thread_settings, [0])
        assert ray.is_initialized()  # an instance the executor did not start is left running
    finally:
        ray.shutdown()
    assert outcomes[2].value == 4 and outcomes[-1].user_error
    assert pinned.value is not None and pinned.value["torch"] == 1 and pinned.value["pools"] == [1]


def test_ray_executor_without_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(NasbenchLabError, match=r"pip install 'nasbench-lab\[ray\]'"):
        RayExecutor().start(square)
