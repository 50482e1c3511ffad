"""Tests of nasbench_lab/execution/base.py: outcomes, the inline executor, make_executor, run_all."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from execution.fakes import square
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.execution import (
    EXECUTORS,
    InlineExecutor,
    make_executor,
    run_all,
    run_item,
    sigterm_as_interrupt,
)
from nasbench_lab.execution.local import LocalExecutor
from nasbench_lab.execution.ray_cluster import RayExecutor


def test_the_executor_names_live_in_one_registry() -> None:
    assert EXECUTORS.names() == ["inline", "local", "ray"]


def test_run_item_turns_exceptions_into_failed_outcomes() -> None:
    ok, user, crash = run_item(square, 3), run_item(square, -1), run_item(square, -2)
    assert (ok.ok, ok.value, ok.error) == (True, 9, None)
    assert not user.ok and user.user_error and user.error == "minus one is refused"
    assert not crash.ok and not crash.user_error and crash.error.startswith("ZeroDivisionError: negative input (at ")


def test_inline_executor_runs_in_submission_order() -> None:
    executor: InlineExecutor[int, int] = InlineExecutor()
    executor.start(square)
    for x in (5, 3):
        executor.submit(x)
    assert executor.in_flight() == 2
    assert [executor.next_outcome().value for _ in range(2)] == [25, 9]
    assert executor.in_flight() == 0


def test_make_executor_builds_by_name_and_checks_options() -> None:
    assert isinstance(make_executor("local", workers=3), LocalExecutor)
    assert isinstance(make_executor("ray", address="auto"), RayExecutor)
    assert isinstance(make_executor("inline"), InlineExecutor)
    assert isinstance(make_executor("local", workers=1, isolate=False), InlineExecutor)
    assert isinstance(make_executor("local", workers=1), LocalExecutor)
    with pytest.raises(ConfigError, match="unknown executor 'slurm'; known: inline, local, ray"):
        make_executor("slurm")
    with pytest.raises(ConfigError, match="--workers must be a positive integer"):
        make_executor("local", workers=0)
    with pytest.raises(ConfigError, match="add --executor ray"):
        make_executor("local", address="auto")
    with pytest.raises(ConfigError, match="inline executor runs in this process"):
        make_executor("inline", workers=2)


class _Recording(InlineExecutor[Any, Any]):
    """An inline executor that remembers whether it was shut down."""

    stopped = False

    def shutdown(self) -> None:
        self.stopped = True
        super().shutdown()


def test_run_all_yields_every_outcome_and_shuts_down() -> None:
    executor = _Recording()
    outcomes = list(run_all(executor, square, [1, 2, -2]))
    assert [o.value for o in outcomes] == [1, 4, None]
    assert executor.stopped


def test_run_all_shuts_down_when_the_caller_stops_early() -> None:
    executor = _Recording()
    run = run_all(executor, square, range(10))
    assert next(run).value == 0
    run.close()  # what a Ctrl-C in the caller's loop does to the generator
    assert executor.stopped


def test_sigterm_becomes_an_interrupt_inside_the_block_only() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


def test_unwrap_returns_the_value_or_raises_naming_the_item() -> None:
    assert run_item(square, 4).unwrap("four") == 16
    with pytest.raises(NasbenchLabError, match=r"^item -1: minus one is refused$"):
        run_item(square, -1).unwrap("item -1")
    with pytest.raises(NasbenchLabError, match=r"^item -2 crashed: ZeroDivisionError: negative input .*a bug"):
        run_item(square, -2).unwrap("item -2")
