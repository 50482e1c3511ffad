"""The benchmark file lock, under its old import path (it lives in :mod:`nasbench_lab.benchmark.lock`).

Kept so that existing ``from nasbench_lab.training.filelock import ...`` lines keep working; new code
imports from :mod:`nasbench_lab.benchmark.lock`.
"""

from __future__ import annotations

from nasbench_lab.benchmark.lock import BenchmarkLockedError, FileLock, lock_path

FillLockedError = BenchmarkLockedError

__all__ = ["BenchmarkLockedError", "FileLock", "FillLockedError", "lock_path"]
