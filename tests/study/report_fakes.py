"""Hand-made study units for the report tests."""

from __future__ import annotations

import numpy as np

from nasbench_lab.study.results import UnitResult


def unit(strategy: str, seed: int, reported: list[float], times: list[float] | None = None) -> UnitResult:
    n = len(reported)
    return UnitResult(
        strategy=strategy, seed=seed, arch=np.arange(n, dtype=np.int64) + seed, epochs=np.full(n, 12),
        objective=np.linspace(50.0, 60.0, n), reported=np.asarray(reported, dtype=float),
        simulated_time=np.asarray(times if times is not None else np.arange(1.0, n + 1) * 10.0),
        wall_time=np.linspace(0.0, 0.1, n),
    )


UNITS = [
    unit("A", 0, [90.0, 92.0, 94.0]),
    unit("A", 1, [91.0, 91.0, 93.0]),
    unit("B", 0, [93.0, 93.0, 93.0]),
    unit("B", 1, [88.0, 89.0, 95.0]),
]
