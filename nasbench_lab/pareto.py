"""Pareto dominance, non-dominated sorting, crowding distance and exact hypervolume.

Convention: every objective is *maximised* (pass oriented values, see
:func:`nasbench_lab.objectives.oriented`). ``a`` dominates ``b`` when ``a >= b`` in every objective and
``a > b`` in at least one; equal points do not dominate each other, so duplicates of a front point are
all on the front.

The hypervolume of a point set is the volume of the union of the boxes ``[ref, p]`` over points
``p`` that are strictly better than the reference point ``ref`` in every objective. It is computed
exactly: a sort-and-sweep in 2-D (``O(n log n)``) and, for more objectives, slicing along the last
objective down to the 2-D sweep (exponential in the dimension; meant for the small fronts of search
studies).

Shapes: ``points`` is ``(n, m)`` for ``n`` points and ``m`` objectives; ``ref`` is ``(m,)``.
"""

from __future__ import annotations

import numpy as np

from nasbench_lab.errors import ConfigError


def _as_points(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2:
        raise ConfigError(f"points must have shape (n, m), got {pts.shape}")
    if np.isnan(pts).any():
        raise ConfigError("points contain NaN: drop unobserved points before Pareto computations")
    return pts


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the points no other point dominates, shape ``(n,)`` bool.

    Args:
        points: oriented objective values, shape ``(n, m)``.
    """
    pts = _as_points(points)
    n, m = pts.shape
    if n == 0:
        return np.zeros(0, dtype=bool)
    if m == 1:
        return pts[:, 0] == pts[:, 0].max()
    if m == 2:
        return _non_dominated_2d(pts)
    return _non_dominated_nd(pts)


def _non_dominated_2d(pts: np.ndarray) -> np.ndarray:
    """2-D filter: sort by the first objective (descending), sweep the running max of the second."""
    order = np.lexsort((-pts[:, 1], -pts[:, 0]))
    x, y = pts[order, 0], pts[order, 1]
    new_group = np.concatenate([[True], x[1:] != x[:-1]])
    group = np.cumsum(new_group) - 1
    group_max = np.maximum.reduceat(y, np.flatnonzero(new_group))  # best y within equal x
    before = np.concatenate([[-np.inf], np.maximum.accumulate(group_max)[:-1]])  # best y at larger x
    keep_sorted = (y == group_max[group]) & (y > before[group])
    keep = np.empty_like(keep_sorted)
    keep[order] = keep_sorted
    return keep


def _non_dominated_nd(pts: np.ndarray) -> np.ndarray:
    """Any dimension: visit points by decreasing sum (a dominator always comes first), compare with the front."""
    order = np.argsort(-pts.sum(axis=1), kind="stable")
    front: list[int] = []
    for i in order:
        p = pts[i]
        if front:
            f = pts[front]
            if np.any(np.all(f >= p, axis=1) & np.any(f > p, axis=1)):
                continue
        front.append(int(i))
    keep = np.zeros(len(pts), dtype=bool)
    keep[front] = True
    return keep


def pareto_ranks(points: np.ndarray) -> np.ndarray:
    """Non-dominated sorting (NSGA-II): rank 0 is the front, rank 1 the front of the rest, ... shape ``(n,)`` int."""
    pts = _as_points(points)
    ranks = np.full(len(pts), -1, dtype=np.int64)
    remaining = np.arange(len(pts))
    rank = 0
    while remaining.size:
        mask = non_dominated(pts[remaining])
        ranks[remaining[mask]] = rank
        remaining = remaining[~mask]
        rank += 1
    return ranks


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of each point within ``points`` (one front), shape ``(n,)``.

    Boundary points of every objective get ``inf``; the others the sum over objectives of the gap
    between their neighbours, normalised by that objective's range.
    """
    pts = _as_points(points)
    n, m = pts.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(pts[:, j], kind="stable")
        col = pts[order, j]
        span = col[-1] - col[0]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (col[2:] - col[:-2]) / span
    return dist


def hypervolume(points: np.ndarray, ref: np.ndarray) -> float:
    """Exact hypervolume dominated by ``points`` above the reference point ``ref`` (maximisation).

    Args:
        points: oriented objective values, shape ``(n, m)``; points not strictly better than ``ref``
            in every objective contribute nothing.
        ref: reference point, shape ``(m,)``.

    Returns:
        The hypervolume (0.0 for no contributing point).

    Raises:
        ConfigError: mismatched shapes or NaN.
    """
    pts = _as_points(points)
    ref = np.asarray(ref, dtype=np.float64)
    if ref.shape != (pts.shape[1],) or not np.isfinite(ref).all():
        raise ConfigError(f"reference point must be {pts.shape[1]} finite numbers, got {ref.tolist()}")
    pts = pts[np.all(pts > ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    pts = pts[non_dominated(pts)] - ref  # shift so the reference point is the origin
    return float(_hv_from_origin(pts))


def _hv_from_origin(pts: np.ndarray) -> float:
    """Hypervolume of positive points against the origin."""
    m = pts.shape[1]
    if m == 1:
        return float(pts[:, 0].max())
    if m == 2:
        order = np.argsort(-pts[:, 0], kind="stable")
        x, y = pts[order, 0], np.maximum.accumulate(pts[order, 1])
        return float(np.sum(x * np.diff(np.concatenate([[0.0], y]))))
    # slice along the last objective: between consecutive levels the slab's cross-section is the
    # (m-1)-D hypervolume of the points at or above the upper level
    levels = np.unique(pts[:, -1])[::-1]
    total = 0.0
    for k, level in enumerate(levels):
        lower = levels[k + 1] if k + 1 < len(levels) else 0.0
        above = pts[pts[:, -1] >= level, :-1]
        above = above[non_dominated(above)]
        total += (level - lower) * _hv_from_origin(above)
    return total


def hypervolume_trace(points: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Hypervolume of the first ``t`` points for every ``t = 1..n``, shape ``(n,)`` (non-decreasing).

    Only the running front is kept, so a trace of ``n`` points costs ``n`` hypervolumes of a small front.
    """
    pts = _as_points(points)
    ref = np.asarray(ref, dtype=np.float64)
    out = np.zeros(len(pts))
    front = np.zeros((0, pts.shape[1]))
    value = 0.0
    for t, p in enumerate(pts):
        dominated = len(front) and np.any(np.all(front >= p, axis=1))
        if not dominated and np.all(p > ref):
            front = np.vstack([front[~np.all(p >= front, axis=1)], p])
            value = hypervolume(front, ref)
        out[t] = value
    return out


def reference_point(points: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """A reference point just below the worst value of each objective: ``min - margin * range``, shape ``(m,)``.

    Used when a study gives none (recorded in its manifest) and by BO strategies that infer their own.
    An objective with zero range is offset by ``margin * max(1, |min|)``.
    """
    pts = _as_points(points)
    if len(pts) == 0:
        raise ConfigError("a reference point needs at least one point")
    low, high = pts.min(axis=0), pts.max(axis=0)
    span = high - low
    span = np.where(span > 0, span, np.maximum(1.0, np.abs(low)))
    return low - margin * span
