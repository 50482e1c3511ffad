"""Scores of a prediction against the truth, as the predictor evaluation protocol reports them.

Every function takes ``y_true`` and ``y_pred`` of shape ``(n,)``. Rank correlations follow
:mod:`scipy.stats` (Kendall's tau-b, Spearman's rho with average ranks for ties). A correlation with
a constant input is undefined and returned as NaN (scipy's convention); callers report it as such
rather than guessing a value.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from nasbench_lab.errors import ConfigError


def _pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as 1-d float arrays of equal length.

    Raises:
        ConfigError: shapes differ, or fewer than 2 values.
    """
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.shape != p.shape:
        raise ConfigError(f"y_true has {t.size} values but y_pred has {p.size}; pass one prediction per arch")
    if t.size < 2:
        raise ConfigError("scoring needs at least 2 archs; use a larger test set")
    return t, p


def _constant(values: np.ndarray) -> bool:
    return bool(np.all(values == values[0]))


def kendall_tau(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Kendall's tau-b rank correlation in [-1, 1]; NaN if either input is constant."""
    t, p = _pair(y_true, y_pred)
    if _constant(t) or _constant(p):
        return float("nan")
    return float(stats.kendalltau(t, p).statistic)


def spearman(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Spearman's rank correlation in [-1, 1]; NaN if either input is constant."""
    t, p = _pair(y_true, y_pred)
    if _constant(t) or _constant(p):
        return float("nan")
    return float(stats.spearmanr(t, p).statistic)


def pearson(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Pearson's linear correlation in [-1, 1]; NaN if either input is constant."""
    t, p = _pair(y_true, y_pred)
    if _constant(t) or _constant(p):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        return float(stats.pearsonr(t, p).statistic)


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error, in the target's units."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error, in the target's units."""
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def top_k(values: np.ndarray, k: int, *, maximise: bool = True) -> np.ndarray:
    """Positions of the ``k`` best values, shape ``(k,)``; ties broken by position (stable sort)."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(-values if maximise else values, kind="stable")
    return order[:k]


def precision_at_k(y_true: np.ndarray, y_pred: np.ndarray, k: int, *, maximise: bool = True) -> float:
    """Fraction of the true top-``k`` archs that are also in the predicted top-``k`` (in [0, 1]).

    Args:
        y_true: true values, shape ``(n,)``.
        y_pred: predicted values (or scores ordered like the truth), shape ``(n,)``.
        k: size of the top sets, 1 <= k <= n.
        maximise: larger is better (accuracies); False for losses.

    Raises:
        ConfigError: ``k`` outside 1..n.
    """
    t, p = _pair(y_true, y_pred)
    if not 1 <= k <= t.size:
        raise ConfigError(f"precision@{k} needs 1 <= k <= {t.size} (the test-set size); use a larger test set")
    overlap = np.intersect1d(top_k(t, k, maximise=maximise), top_k(p, k, maximise=maximise))
    return overlap.size / k
