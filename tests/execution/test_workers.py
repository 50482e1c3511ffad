"""Tests of nasbench_lab/execution/workers.py: thread pinning and the parent watch, in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from nasbench_lab.execution.workers import THREAD_ENV, parent_alive

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=timeout, check=True)


def test_pin_threads_limits_loaded_pools_and_torch() -> None:
    out = _python("""
        import json, os
        import numpy, torch
        from threadpoolctl import threadpool_info
        torch.set_num_threads(2)
        from nasbench_lab.execution.workers import pin_threads
        pin_threads()
        pools = sorted({p["num_threads"] for p in threadpool_info()})
        print(json.dumps([torch.get_num_threads(), pools, os.environ["OMP_NUM_THREADS"]]))
    """)
    torch_threads, pools, omp = json.loads(out.stdout)
    assert (torch_threads, pools, omp) == (1, [1], "1")


def test_parent_alive_sees_a_changed_parent_or_a_dead_main_process() -> None:
    assert parent_alive(os.getpid(), os.getppid())
    assert not parent_alive(os.getpid(), os.getppid() + 1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid names no process (until reused, which takes far longer than this test)
    assert not parent_alive(dead.pid, os.getppid())
