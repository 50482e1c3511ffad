"""What every worker process does before its first item: pin its threads, ignore Ctrl-C, watch its parent.

* **Threads.** N workers on N cores must not each start a pool of N BLAS/OpenMP/torch threads (model-
  based search units ran 7-9x slower that way). The thread-count variables are set before numpy loads
  where possible (:mod:`._worker_env` is the first module a forkserver imports), and libraries already
  loaded are limited at run time with threadpoolctl and ``torch.set_num_threads(1)``.
* **Ctrl-C.** A terminal's Ctrl-C reaches every process of the foreground group. Workers ignore it;
  the main process alone handles it and stops them, so an interrupt never arrives half-way through
  a result being sent back.
* **Parent death.** A thread in each worker checks twice a second that the main process is alive
  (and that the worker has not been re-parented); if not, the worker exits at once. Killing the main
  process (SIGTERM, or ``kill -9``) therefore leaves no worker running.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

# The variables BLAS/OpenMP libraries read when they load.
THREAD_ENV: dict[str, str] = {
    name: "1"
    for name in (
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS",
    )
}
PARENT_POLL_SECONDS = 0.5


def pin_threads() -> None:
    """Limit this process to one compute thread: environment, loaded BLAS/OpenMP pools, and torch."""
    os.environ.update(THREAD_ENV)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # not a context: the limit stays for the life of the worker
    if "torch" in sys.modules:  # never import torch only to pin it
        torch = sys.modules["torch"]
        torch.set_num_threads(1)


def parent_alive(main_pid: int, parent_pid: int) -> bool:
    """Whether the process ``main_pid`` still exists and this process's parent is still ``parent_pid``."""
    if os.getppid() != parent_pid:  # re-parented: whoever started us has exited
        return False
    try:
        os.kill(main_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (cannot happen for our parent, but harmless)
        return True
    return True


def _watch(main_pid: int, parent_pid: int) -> None:
    while parent_alive(main_pid, parent_pid):
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)  # no cleanup: the main process, which owned this work, is gone


def watch_parent(main_pid: int) -> threading.Thread:
    """Start a daemon thread that ends this process when ``main_pid`` (or this process's parent) exits."""
    thread = threading.Thread(target=_watch, args=(main_pid, os.getppid()), name="parent-watch", daemon=True)
    thread.start()
    return thread


def init_worker(main_pid: int) -> None:
    """Initializer of every local worker process: ignore SIGINT, pin threads, watch the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pin_threads()
    watch_parent(main_pid)
