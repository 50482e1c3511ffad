"""A main process for the interrupt tests: runs sleeps on two local workers and reports its progress.

Usage: ``python sleeper.py``; prints ``finished <delay>`` for each finished item and, after the two
quick ones, ``workers <pid> <pid>``; then waits on two long sleeps until it is signalled.
"""

from __future__ import annotations

import time

from nasbench_lab.execution import make_executor, run_all


def main() -> None:
    """Run the sleeps; the test signals this process once the worker pids are printed."""
    executor = make_executor("local", workers=2)
    for n, outcome in enumerate(run_all(executor, time.sleep, [0.0, 0.0, 60.0, 60.0])):
        print("finished", outcome.item, flush=True)
        if n == 1:
            print("workers", *executor.worker_pids(), flush=True)


if __name__ == "__main__":
    main()
