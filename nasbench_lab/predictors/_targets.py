"""Input checks and target transforms shared by the model-based predictors.

Targets are accuracies in percent. The optional *log-error* transform maps ``y -> -log(100 - y)``:
it is increasing (rankings are kept), spreads the crowded top of the accuracy range and compresses
the few collapsed archs near 10 %, which suits stationary kernels. Predictive distributions are mapped
back to percent with the exact log-normal moments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.space import check_indices

LOG_ERROR_CEILING = 100.0


class PredictorInputError(NasbenchLabError, ValueError):
    """Arrays handed to a predictor that do not fit together (shapes, NaN targets, missing inputs)."""


def check_archs(archs: np.ndarray) -> np.ndarray:
    """``archs`` as a 1-d int64 array of NB201 indices.

    Raises:
        PredictorInputError: not 1-d.
        ArchError: an index outside 0..15624.
    """
    arr = check_indices(archs)
    if arr.ndim != 1:
        raise PredictorInputError(f"archs must be a 1-d array of NB201 indices, got shape {arr.shape}")
    return arr


def check_fit_inputs(archs: np.ndarray, y: np.ndarray, min_archs: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(archs, y)``: equal lengths, at least ``min_archs``, finite targets.

    Raises:
        PredictorInputError: lengths differ, too few archs, or ``y`` holds NaN/inf (drop those archs
            first: predictors never guess a missing target).
    """
    archs = check_archs(archs)
    y = np.asarray(y, dtype=np.float64)
    if y.shape != archs.shape:
        raise PredictorInputError(f"y has shape {y.shape} but archs has shape {archs.shape}; give one target per arch")
    if len(archs) < min_archs:
        raise PredictorInputError(f"need at least {min_archs} training archs, got {len(archs)}")
    if not np.isfinite(y).all():
        raise PredictorInputError(
            f"{int((~np.isfinite(y)).sum())} targets are NaN or infinite; drop those archs before fitting"
        )
    return archs, y


def check_side_input(name: str, values: np.ndarray | None, n: int, owner: str, allow_nan: bool = False) -> np.ndarray:
    """A required ``(n, k)`` side input (``curves``, ``proxies``) as float64.

    ``allow_nan`` lets NaN through for models that treat it as "missing" natively (XGBoost learns a
    default branch for it), e.g. a proxy that is undefined for an arch; infinities are refused always.

    Raises:
        PredictorInputError: missing, wrong number of rows, or NaN (unless allowed)/inf entries.
    """
    if values is None:
        raise PredictorInputError(f"{owner} needs {name}=... (shape (n_archs, k)); pass it to fit and predict")
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise PredictorInputError(f"{name} must have shape ({n}, k), got {arr.shape}")
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        what = "infinite" if allow_nan else "NaN/inf"
        raise PredictorInputError(f"{name} holds {int(bad.sum())} {what} entries; drop or fill those archs explicitly")
    return arr


@dataclass(frozen=True)
class TargetScaler:
    """Optional log-error transform followed by standardisation, fitted on training targets.

    Attributes:
        log_error: whether ``y -> -log(100 - y)`` is applied first.
        mean: mean of the (transformed) training targets.
        scale: standard deviation of the (transformed) training targets (1 if they are constant).
    """

    log_error: bool
    mean: float
    scale: float

    @classmethod
    def fit(cls, y: np.ndarray, log_error: bool) -> TargetScaler:
        """Fit on training targets ``y`` (shape ``(n,)``).

        Raises:
            PredictorInputError: ``log_error`` with a target at or above 100.
        """
        t = cls._forward(y, log_error)
        scale = float(t.std())
        return cls(log_error=log_error, mean=float(t.mean()), scale=scale if scale > 0 else 1.0)

    @staticmethod
    def _forward(y: np.ndarray, log_error: bool) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if not log_error:
            return y
        if (y >= LOG_ERROR_CEILING).any():
            raise PredictorInputError(
                f"log_error targets need y < {LOG_ERROR_CEILING:g} (accuracy in percent); set log_error = false"
            )
        return -np.log(LOG_ERROR_CEILING - y)

    def transform(self, y: np.ndarray) -> np.ndarray:
        """Standardised (transformed) targets."""
        return (self._forward(y, self.log_error) - self.mean) / self.scale

    def inverse_mean(self, z: np.ndarray) -> np.ndarray:
        """Point prediction in target units from a standardised prediction (the median if log_error)."""
        t = np.asarray(z) * self.scale + self.mean
        return LOG_ERROR_CEILING - np.exp(-t) if self.log_error else t

    def inverse_dist(self, z_mean: np.ndarray, z_std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std in target units of a Gaussian given in standardised units.

        With ``log_error`` the error ``100 - y = exp(-t)`` is log-normal: its exact mean and std are
        returned.
        """
        mu = np.asarray(z_mean) * self.scale + self.mean
        sd = np.asarray(z_std) * self.scale
        if not self.log_error:
            return mu, sd
        err_mean = np.exp(-mu + 0.5 * sd**2)
        err_std = err_mean * np.sqrt(np.expm1(sd**2))
        return LOG_ERROR_CEILING - err_mean, err_std
