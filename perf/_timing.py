"""Timing helper shared by the perf scripts (run them from the repository root: python perf/X.py)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(func: Callable[[], object], repeats: int = 5) -> float:
    """Smallest wall time of ``repeats`` calls of ``func``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)
