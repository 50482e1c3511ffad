"""Work functions for the execution tests, importable by worker processes (they inherit ``sys.path``)."""

from __future__ import annotations

import os
import sys

from nasbench_lab.errors import ConfigError


def square(x: int) -> int:
    """``x * x``, or a failure for negative ``x`` (a user error for -1, a crash otherwise)."""
    if x == -1:
        raise ConfigError("minus one is refused")
    if x < 0:
        raise ZeroDivisionError("negative input")
    return x * x


def pid_of(_: object) -> int:
    """The worker's process id."""
    return os.getpid()


def die(code: int) -> int:
    """Kill the worker process outright (as the OOM killer would)."""
    if code:
        os._exit(code)
    return 0


def thread_settings(_: object) -> dict[str, object]:
    """What the worker's thread pools are set to: torch, every loaded BLAS/OpenMP pool, the environment."""
    import numpy  # noqa: F401  (loads BLAS, as any real work would)
    import torch
    from threadpoolctl import threadpool_info

    return {
        "torch": torch.get_num_threads(),
        "pools": sorted({int(pool["num_threads"]) for pool in threadpool_info()}),
        "omp_env": os.environ.get("OMP_NUM_THREADS"),
        "torch_preloaded": "torch" in sys.modules,
    }
