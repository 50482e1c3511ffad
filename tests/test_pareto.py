"""Tests of nasbench_lab/pareto.py against brute-force definitions on small random fronts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab import pareto
from nasbench_lab.errors import ConfigError


def brute_non_dominated(pts: np.ndarray) -> np.ndarray:
    n = len(pts)
    keep = np.ones(n, dtype=bool)
    for i, j in itertools.product(range(n), range(n)):
        if np.all(pts[j] >= pts[i]) and np.any(pts[j] > pts[i]):
            keep[i] = False
    return keep


def brute_hypervolume(pts: np.ndarray, ref: np.ndarray) -> float:
    """Volume of the union of boxes [ref, p] by summing the grid cells (over all coordinates) some box covers."""
    pts = pts[np.all(pts > ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    axes = [np.unique(np.concatenate([[ref[k]], pts[:, k]])) for k in range(pts.shape[1])]
    total = 0.0
    for cell in itertools.product(*(range(len(a) - 1) for a in axes)):
        upper = np.array([axes[k][c + 1] for k, c in enumerate(cell)])
        if np.any(np.all(pts >= upper, axis=1)):
            total += float(np.prod([axes[k][c + 1] - axes[k][c] for k, c in enumerate(cell)]))
    return total


# small integer grids make ties and duplicates common
def point_sets(max_m: int = 4, max_n: int = 9):
    return st.integers(1, max_m).flatmap(
        lambda m: st.lists(st.lists(st.integers(-3, 3), min_size=m, max_size=m), min_size=1, max_size=max_n)
    ).map(lambda rows: np.asarray(rows, dtype=np.float64))


@settings(max_examples=150, deadline=None)
@given(point_sets(max_n=12))
def test_non_dominated_matches_brute_force(pts: np.ndarray) -> None:
    np.testing.assert_array_equal(pareto.non_dominated(pts), brute_non_dominated(pts))


@settings(max_examples=150, deadline=None)
@given(point_sets(max_m=4, max_n=7))
def test_hypervolume_matches_brute_force(pts: np.ndarray) -> None:
    ref = np.full(pts.shape[1], -2.5)
    assert pareto.hypervolume(pts, ref) == pytest.approx(brute_hypervolume(pts, ref), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(point_sets(max_m=3, max_n=8))
def test_hypervolume_trace_is_the_hypervolume_of_each_prefix(pts: np.ndarray) -> None:
    ref = np.full(pts.shape[1], -3.5)
    trace = pareto.hypervolume_trace(pts, ref)
    expected = [brute_hypervolume(pts[: t + 1], ref) for t in range(len(pts))]
    np.testing.assert_allclose(trace, expected, atol=1e-9)


def test_non_dominated_on_a_large_2d_set_matches_the_general_algorithm() -> None:
    pts = np.random.default_rng(0).integers(0, 40, size=(3000, 2)).astype(float)
    np.testing.assert_array_equal(pareto.non_dominated(pts), pareto._non_dominated_nd(pts))


def test_known_2d_hypervolume() -> None:
    pts = np.array([[3.0, 1.0], [1.0, 3.0], [2.0, 2.0], [0.5, 0.5]])
    assert pareto.hypervolume(pts, np.zeros(2)) == pytest.approx(3 + 2 + 1)  # staircase of three unit-wide steps


def test_ranks_peel_fronts() -> None:
    pts = np.array([[2.0, 2.0], [1.0, 1.0], [0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    np.testing.assert_array_equal(pareto.pareto_ranks(pts), [0, 1, 2, 1, 1])


def test_crowding_distance_boundaries_are_infinite_and_middle_is_the_normalised_gap() -> None:
    pts = np.array([[0.0, 4.0], [1.0, 2.0], [4.0, 0.0]])
    dist = pareto.crowding_distance(pts)
    assert np.isinf(dist[0]) and np.isinf(dist[2])
    assert dist[1] == pytest.approx(4 / 4 + 4 / 4)


def test_reference_point_lies_below_every_point() -> None:
    pts = np.array([[1.0, -5.0], [3.0, -1.0]])
    ref = pareto.reference_point(pts)
    assert np.all(ref < pts.min(axis=0))
    np.testing.assert_allclose(ref, [1.0 - 0.2, -5.0 - 0.4])


def test_bad_input_is_refused() -> None:
    with pytest.raises(ConfigError, match="NaN"):
        pareto.non_dominated(np.array([[np.nan, 1.0]]))
    with pytest.raises(ConfigError, match="reference point"):
        pareto.hypervolume(np.ones((2, 2)), np.zeros(3))
