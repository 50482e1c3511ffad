"""A smooth synthetic objective over NB201 archs, shared by the predictor tests."""

from __future__ import annotations

import numpy as np

from nasbench_lab.space import ops_matrix


def synthetic(n: int, seed: int = 0, *, conv1: float = 0.0, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """``n`` distinct random archs and targets ``70 + 4 #conv3 + conv1 #conv1 - 3 #pool + N(0, noise)``."""
    rng = np.random.default_rng(seed)
    archs = rng.choice(15625, n, replace=False)
    ops = ops_matrix(archs)
    y = 70 + 4 * (ops == 3).sum(1) + conv1 * (ops == 2).sum(1) - 3 * (ops == 4).sum(1) + rng.normal(0, noise, n)
    return archs, y
