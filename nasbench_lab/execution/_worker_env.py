"""Imported first by the workers' forkserver: sets one thread per BLAS/OpenMP pool before numpy loads.

Never import this module in the main process: the setting would leak into every subprocess it starts.
"""

from __future__ import annotations

import os

from nasbench_lab.execution.workers import THREAD_ENV

os.environ.update(THREAD_ENV)
