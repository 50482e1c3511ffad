"""Gradient-boosted trees (XGBoost) on a vector encoding, and the "omni" variant with side inputs.

* ``xgb``: XGBoost regression on ``onehot`` or ``path`` (optionally of the pruned cell).
* ``xgb_omni``: the same plus zero-cost proxy scores (``needs_proxies``) and, when given, features of
  partial learning curves. Curves are optional (``needs_curves`` is False): if ``fit`` receives
  ``curves`` (shape ``(n, k)``, the first ``k`` evaluation points of the objective), ``predict`` must
  receive curves of the same width, and the features last value, best value, mean and the slope over
  the last ``min(k, 5)`` points are added.

Both fit ``-log(100 - y)`` when ``log_error`` (monotone, so rankings are unaffected; it helps the
squared loss on the long tail of collapsed archs). Training is single-threaded by default
(``n_jobs = 1``) so results and timings do not depend on the machine's core count.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nasbench_lab.encodings import encode
from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors._targets import (
    PredictorInputError,
    TargetScaler,
    check_archs,
    check_fit_inputs,
    check_side_input,
)
from nasbench_lab.predictors.base import Predictor, SideInput, register_predictor

VECTOR_ENCODINGS = ("onehot", "path", "graph")


def curve_features(curves: np.ndarray) -> np.ndarray:
    """Summary features of partial curves ``(n, k)``: last, best, mean, recent slope -> ``(n, 4)``."""
    k = curves.shape[1]
    tail = curves[:, -min(k, 5) :]
    slope = (tail[:, -1] - tail[:, 0]) / max(tail.shape[1] - 1, 1)
    return np.column_stack([curves[:, -1], curves.max(axis=1), curves.mean(axis=1), slope])


@register_predictor("xgb")
class XGBPredictor(Predictor):
    """XGBoost regressor on a vector encoding of the arch.

    Args:
        encoding: ``onehot``, ``path`` or ``graph``.
        pruned: encode the pruned cell (ops off every live path become ``none``).
        n_estimators: boosting rounds.
        max_depth: tree depth.
        learning_rate: shrinkage.
        subsample: row fraction per tree.
        colsample_bytree: column fraction per tree.
        min_child_weight: minimum hessian weight in a leaf.
        log_error: fit ``-log(100 - y)``.
        n_jobs: threads XGBoost may use.
        seed: XGBoost's random state.
    """

    def __init__(
        self,
        encoding: str = "onehot",
        pruned: bool = True,
        n_estimators: int = 500,
        max_depth: int = 4,
        learning_rate: float = 0.05,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        min_child_weight: float = 1.0,
        log_error: bool = True,
        n_jobs: int = 1,
        seed: int = 0,
    ) -> None:
        self.encoding = encoding
        self.pruned = pruned
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.log_error = log_error
        self.n_jobs = n_jobs
        self.seed = seed

    def _arch_features(self, archs: np.ndarray) -> np.ndarray:
        if self.encoding not in VECTOR_ENCODINGS:
            raise ConfigError(f"encoding must be one of {', '.join(VECTOR_ENCODINGS)}, got {self.encoding!r}")
        return encode(self.encoding, archs, pruned=self.pruned)

    def _features(self, archs: np.ndarray, curves: Any, proxies: Any, fitting: bool) -> np.ndarray:
        return self._arch_features(archs)

    def _model(self) -> Any:
        import xgboost

        return xgboost.XGBRegressor(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            min_child_weight=self.min_child_weight,
            n_jobs=self.n_jobs,
            random_state=self.seed,
            tree_method="hist",
        )

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> XGBPredictor:
        """Fit the boosted trees; see :class:`Predictor`."""
        archs, y = check_fit_inputs(archs, y)
        self.scaler_ = TargetScaler.fit(y, self.log_error)
        x = self._features(archs, curves, proxies, fitting=True)
        self.model_ = self._model().fit(x, self.scaler_.transform(y))
        return self

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """Predicted targets, shape ``(n,)``."""
        x = self._features(check_archs(archs), curves, proxies, fitting=False)
        return self.scaler_.inverse_mean(self.model_.predict(x).astype(np.float64))


@register_predictor("xgb_omni")
class XGBOmniPredictor(XGBPredictor):
    """XGBoost on the encoding plus zero-cost proxy scores and (optional) partial-curve features.

    Takes the arguments of :class:`XGBPredictor`. ``proxies`` (shape ``(n, n_proxies)``) are required
    by ``fit`` and ``predict``; NaN marks a proxy undefined for an arch and goes to XGBoost as a
    missing value (it learns which branch such archs take), never replaced by a guess. ``curves`` are
    optional but must be given to both or neither.
    """

    needs_proxies: ClassVar[bool] = True

    def _features(self, archs: np.ndarray, curves: Any, proxies: Any, fitting: bool) -> np.ndarray:
        n = len(archs)
        parts = [self._arch_features(archs), check_side_input("proxies", proxies, n, "xgb_omni", allow_nan=True)]
        if fitting:
            self.n_proxies_ = parts[1].shape[1]
            self.curve_width_ = None if curves is None else check_side_input("curves", curves, n, "xgb_omni").shape[1]
        elif parts[1].shape[1] != self.n_proxies_:
            raise PredictorInputError(f"fit saw {self.n_proxies_} proxy columns, predict got {parts[1].shape[1]}")
        if self.curve_width_ is not None:
            arr = check_side_input("curves", curves, n, "xgb_omni (fitted with curves)")
            if arr.shape[1] != self.curve_width_:
                raise PredictorInputError(f"fit saw curves of width {self.curve_width_}, predict got {arr.shape[1]}")
            parts.append(curve_features(arr))
        elif curves is not None and not fitting:
            raise PredictorInputError("xgb_omni was fitted without curves; predict without them too")
        return np.concatenate([np.asarray(p, dtype=np.float64) for p in parts], axis=1)
