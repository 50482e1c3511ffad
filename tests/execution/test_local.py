"""Tests of nasbench_lab/execution/local.py with real worker processes.

The interrupt tests start a main process (``sleeper.py``) that keeps two workers busy, signal it
(Ctrl-C, SIGTERM, kill -9) and check, within a bounded time, that every worker is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from execution.fakes import die, pid_of, square, thread_settings
from nasbench_lab.execution import run_all
from nasbench_lab.execution.local import LocalExecutor

ROOT = Path(__file__).resolve().parents[2]
GONE_WITHIN = 15.0  # seconds; the parent watch polls every 0.5 s, SIGTERM->SIGKILL takes <= 5 s


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait_gone(pids: list[int], timeout: float = GONE_WITHIN) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if _running(p)]
        if not alive:
            return []
        time.sleep(0.2)
    return [p for p in pids if _running(p)]


def test_items_run_in_worker_processes_and_failures_come_back() -> None:
    outcomes = {o.item: o for o in run_all(LocalExecutor(workers=2), square, [2, 3, -1, -2])}
    assert {x: o.value for x, o in outcomes.items() if o.ok} == {2: 4, 3: 9}
    assert outcomes[-1].user_error and outcomes[-1].error == "minus one is refused"
    assert outcomes[-2].error.startswith("ZeroDivisionError")
    pids = {o.value for o in run_all(LocalExecutor(workers=2), pid_of, range(6))}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_a_dead_worker_fails_its_item_and_the_pool_recovers() -> None:
    executor: LocalExecutor[int, int] = LocalExecutor(workers=1)
    executor.start(die)
    try:
        executor.submit(9)
        dead = executor.next_outcome()
        assert not dead.ok and "worker process died" in (dead.error or "")
        executor.submit(0)
        assert executor.next_outcome().value == 0
    finally:
        executor.shutdown()


def test_workers_use_one_thread_each() -> None:
    [outcome] = run_all(LocalExecutor(workers=1, preload=("torch",)), thread_settings, [0])
    assert outcome.value == {"torch": 1, "pools": [1], "omp_env": "1", "torch_preloaded": True}


def test_shutdown_stops_running_items_at_once() -> None:
    executor: LocalExecutor[float, None] = LocalExecutor(workers=2)
    executor.start(time.sleep)
    for delay in (0.0, 30.0, 30.0):
        executor.submit(delay)
    assert executor.next_outcome().item == 0.0  # the pool is up; the long sleeps are running or queued
    pids = executor.worker_pids()
    start = time.monotonic()
    executor.shutdown()
    assert time.monotonic() - start < GONE_WITHIN
    assert len(pids) == 2 and _wait_gone(pids) == []


def _start_sleeper() -> tuple[subprocess.Popen[str], list[str], list[int]]:
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests'}")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("sleeper.py"))], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:  # bounded: the two quick items finish within seconds
        lines.append(line.strip())
        if line.startswith("workers"):
            return proc, lines, [int(p) for p in line.split()[1:]]
    proc.kill()
    pytest.fail(f"the sleeper exited before starting its workers: {lines}")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "term", "kill-9"])
def test_signalling_the_main_process_leaves_no_worker(sig: signal.Signals) -> None:
    proc, lines, workers = _start_sleeper()
    try:
        assert lines[:2] == ["finished 0.0", "finished 0.0"] and len(workers) == 2
        os.kill(proc.pid, sig)
        proc.wait(timeout=GONE_WITHIN)  # Ctrl-C and SIGTERM: the main process stops promptly too
        assert _wait_gone(workers) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
