"""The execution layer: where fills, proxy computations and study units run (inline, local processes, Ray).

Importing this package is cheap (no numpy, torch or ray): the executors load on first lookup in
:data:`EXECUTORS`. See :mod:`.base` for the interface, :mod:`.local` and :mod:`.ray_cluster` for the
implementations and :mod:`.workers` for what every worker process does before its first item.
"""

from __future__ import annotations

from nasbench_lab.execution.base import (
    EXECUTORS,
    Executor,
    ExecutorOptions,
    InlineExecutor,
    Outcome,
    describe_error,
    make_executor,
    register_executor,
    run_all,
    run_item,
    sigterm_as_interrupt,
)

__all__ = [
    "EXECUTORS", "Executor", "ExecutorOptions", "InlineExecutor", "Outcome", "describe_error", "make_executor",
    "register_executor", "run_all", "run_item", "sigterm_as_interrupt",
]
