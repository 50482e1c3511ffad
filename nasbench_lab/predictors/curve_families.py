"""Parametric learning-curve families and the fit that extrapolates one partial curve with one of them.

Each :class:`CurveFamily` is a model ``func(x, *params)`` of a learning curve (ten families, after
Domhan et al. 2015; ``weibull`` shares Janoschek's initial guess) and a data-driven initial
guess for its parameters. :func:`fit_family` fits one family to one curve with
:func:`scipy.optimize.curve_fit` and returns its extrapolation and Akaike information criterion;
:class:`~nasbench_lab.predictors.curves.LCE` averages the families with Akaike weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit


# x: positions in epochs (> 0); y: the curve divided by the predictor's ``scale`` (about [0, 1]).
def _pow3(x, c, a, alpha):
    return c - a * x ** (-alpha)


def _log_power(x, a, b, c):
    return a / (1.0 + (x / np.exp(b)) ** c)


def _mmf(x, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) / (1.0 + np.abs(kappa * x) ** delta)


def _janoschek(x, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) * np.exp(-kappa * x**delta)


def _weibull(x, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) * np.exp(-(np.abs(kappa) * x) ** delta)


def _exp4(x, c, a, b, alpha):
    return c - np.exp(-a * x**alpha + b)


def _ilog2(x, c, a):
    return c - a / np.log(x + 1.0)


def _hill3(x, ymax, eta, kappa):
    return ymax * x**eta / (np.abs(kappa) ** eta + x**eta)


def _vapour_pressure(x, a, b, c):
    return np.exp(a + b / x + c * np.log(x))


def _log_log_linear(x, a, b):
    return np.log(a * np.log(x) + b)


def _lstsq(columns: list[np.ndarray], target: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(np.column_stack(columns), target, rcond=None)[0]


def _guess_saturating(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Asymptote slightly above the last value, and the first point ``(x0, y0)``."""
    top = float(y[-1]) + 0.05 * max(abs(float(y[-1])), 1e-3) + 1e-3
    return top, float(x[0]), float(min(y[0], top - 1e-3))


def _p0_pow3(x, y):
    c, x0, y0 = _guess_saturating(x, y)
    return [c, (c - y0) * x0**0.5, 0.5]


def _p0_log_power(x, y):
    a, x0, y0 = _guess_saturating(x, y)
    return [a, np.log(x0 * max(a / max(y0, 1e-3) - 1.0, 1e-3)), -1.0]


def _p0_mmf(x, y):
    alpha, x0, y0 = _guess_saturating(x, y)
    return [alpha, 0.0, max(y0, 1e-3) / (alpha - y0) / x0, 1.0]


def _p0_janoschek(x, y):
    alpha, x0, y0 = _guess_saturating(x, y)
    return [alpha, 0.0, -np.log(max((alpha - y0) / alpha, 1e-6)) / x0, 1.0]


def _p0_exp4(x, y):
    c, _, _ = _guess_saturating(x, y)
    gap = np.log(np.maximum(c - y, 1e-6))
    a = (gap[0] - gap[-1]) / (x[-1] - x[0])
    return [c, a, gap[0] + a * x[0], 1.0]


def _p0_ilog2(x, y):
    intercept, slope = _lstsq([np.ones_like(x), 1.0 / np.log(x + 1.0)], y)
    return [intercept, -slope]


def _p0_hill3(x, y):
    ymax, x0, y0 = _guess_saturating(x, y)
    return [ymax, 1.0, x0 * (ymax / max(y0, 1e-3) - 1.0)]


def _p0_vapour_pressure(x, y):
    return list(_lstsq([np.ones_like(x), 1.0 / x, np.log(x)], np.log(np.maximum(y, 1e-6))))


def _p0_log_log_linear(x, y):
    a, b = _lstsq([np.log(x), np.ones_like(x)], np.exp(y))
    return [a, b]


@dataclass(frozen=True)
class CurveFamily:
    """A parametric learning-curve model ``func(x, *params)`` and its data-driven initial guess."""

    name: str
    func: Callable[..., np.ndarray]
    guess: Callable[[np.ndarray, np.ndarray], list[float]]
    n_params: int


FAMILIES: dict[str, CurveFamily] = {
    f.name: f
    for f in (
        CurveFamily("pow3", _pow3, _p0_pow3, 3),
        CurveFamily("log_power", _log_power, _p0_log_power, 3),
        CurveFamily("mmf", _mmf, _p0_mmf, 4),
        CurveFamily("janoschek", _janoschek, _p0_janoschek, 4),
        CurveFamily("weibull", _weibull, _p0_janoschek, 4),
        CurveFamily("exp4", _exp4, _p0_exp4, 4),
        CurveFamily("ilog2", _ilog2, _p0_ilog2, 2),
        CurveFamily("hill3", _hill3, _p0_hill3, 3),
        CurveFamily("vapour_pressure", _vapour_pressure, _p0_vapour_pressure, 3),
        CurveFamily("log_log_linear", _log_log_linear, _p0_log_log_linear, 2),
    )
}


def fit_family(family: CurveFamily, x: np.ndarray, y: np.ndarray, x_end: float, maxfev: int) -> tuple[float, float]:
    """Fit one family to one curve and extrapolate it.

    Args:
        family: the parametric model.
        x: positions of the observed points, shape ``(k,)``.
        y: observed (scaled) values, shape ``(k,)``.
        x_end: position to extrapolate to.
        maxfev: evaluation budget of the least-squares solver.

    Returns:
        ``(value at x_end, Akaike information criterion of the fit)``.

    Raises:
        RuntimeError, ValueError, FloatingPointError: the fit failed or gave non-finite values.
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        p0 = np.asarray(family.guess(x, y), dtype=np.float64)
        if not np.all(np.isfinite(p0)):
            raise ValueError("no finite initial guess")
        params, _ = curve_fit(family.func, x, y, p0=p0, maxfev=maxfev)
        fitted = family.func(x, *params)
        value = float(family.func(np.array([x_end]), *params)[0])
    if not (np.all(np.isfinite(fitted)) and np.isfinite(value)):
        raise FloatingPointError("non-finite fitted curve")
    rss = float(np.sum((fitted - y) ** 2))
    n = y.size
    return value, n * np.log(max(rss / n, 1e-12)) + 2 * family.n_params
