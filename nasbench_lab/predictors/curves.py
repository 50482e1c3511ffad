"""Learning-curve predictors: they see the first ``k`` evaluation points of each arch's training.

Inputs follow :class:`~nasbench_lab.predictors.base.Predictor`: ``curves`` holds the objective (the
validation metric) at the first ``k`` evaluation points, shape ``(n_archs, k)``, and ``train_losses``
the training loss at the same points. Registered names:

* ``"lce"``: learning-curve extrapolation (Domhan et al. 2015). Each arch's partial curve is fitted
  with ten parametric families by :func:`scipy.optimize.curve_fit`; each family is extrapolated to
  the recipe's last evaluation point and the families are averaged with Akaike weights (a cheap
  stand-in for Domhan's MCMC posterior). Training-free.
* ``"lcsvr"``: ν-SVR (Baker et al. 2017) on curve statistics (values, slopes, curvature) plus an
  encoding of the cell (one-hot by default); hyperparameters chosen by a seeded cross-validated
  random search.
* ``"sotl"`` / ``"sotle"``: sum of training losses (Ru et al. 2021): minus the sum of the training
  losses over the ``k`` points, or minus the last one. Training-free scores (not in target units).
* ``"early_stop"``: the validation metric at the fidelity reached. Training-free.

LCE never replaces a failed fit by a guess: a family whose fit raises, gives non-finite values, or
extrapolates outside ``value_range`` is dropped and counted (``failed_fits_``, logged). An arch
whose curve is too short for every family (a family with ``p`` parameters needs ``k >= p + 1``
points) or whose fits all fail gets its last observed value; those archs are counted in
``n_fallback_archs_`` and logged, so a report can say how often extrapolation did not happen.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.predictors.base import Predictor, SideInput, register_predictor
from nasbench_lab.predictors.curve_families import FAMILIES, CurveFamily, fit_family

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- shared checks
def _curve_input(name: str, values: np.ndarray | None, n: int) -> np.ndarray:
    """``values`` as a finite ``(n, k)`` float array.

    Raises:
        ConfigError: missing, wrong shape or non-finite.
    """
    if values is None:
        raise ConfigError(f"this predictor needs {name}= (shape (n_archs, k)); pass the partial curves")
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] < 1:
        raise ConfigError(f"{name} must have shape ({n}, k>=1), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"{name} holds NaN or inf; evaluate only archs whose curves were recorded")
    return arr


class _CurvePredictor(Predictor):
    """Common base: declares the need for partial curves."""

    needs_curves: ClassVar[bool] = True
    predicts_scores: ClassVar[bool] = False  # True: output only orders archs, not in target units


# ----------------------------------------------------------------------------- training-free ones
@register_predictor("early_stop")
class EarlyStop(_CurvePredictor):
    """The validation metric at the last observed evaluation point (early stopping)."""

    needs_training: ClassVar[bool] = False

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> EarlyStop:
        """Nothing to learn (marks the predictor fitted); returns ``self``."""
        self.fitted_ = True
        return self

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """``curves[:, -1]``, shape ``(n,)``."""
        self.check_fitted()
        return _curve_input("curves", curves, len(archs))[:, -1].copy()


@register_predictor("sotl")
class SoTL(_CurvePredictor):
    """Minus the sum of the training losses over the observed points (Ru et al. 2021)."""

    needs_training: ClassVar[bool] = False
    predicts_scores: ClassVar[bool] = True

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> SoTL:
        """Nothing to learn (marks the predictor fitted); returns ``self``."""
        self.fitted_ = True
        return self

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """``-train_losses.sum(axis=1)``, shape ``(n,)``."""
        self.check_fitted()
        return -_curve_input("train_losses", train_losses, len(archs)).sum(axis=1)


@register_predictor("sotle")
class SoTLE(_CurvePredictor):
    """Minus the training loss at the last observed point (SoTL-E)."""

    needs_training: ClassVar[bool] = False
    predicts_scores: ClassVar[bool] = True

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> SoTLE:
        """Nothing to learn (marks the predictor fitted); returns ``self``."""
        self.fitted_ = True
        return self

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """``-train_losses[:, -1]``, shape ``(n,)``."""
        self.check_fitted()
        return -_curve_input("train_losses", train_losses, len(archs))[:, -1].copy()


@register_predictor("lce")
class LCE(_CurvePredictor):
    """Learning-curve extrapolation with a weighted ensemble of parametric families.

    Args:
        eval_points: position in epochs of every curve column of the recipe; the last one is the
            horizon extrapolated to. ``None``: the evaluation protocol fills it from the benchmark.
        families: names from :data:`~nasbench_lab.predictors.curve_families.FAMILIES` to use (default: all ten).
        scale: curves are divided by this before fitting (100 for accuracies in percent), so the
            families' shapes and initial guesses apply.
        value_range: extrapolations outside this range (curve units) count as failed fits;
            ``None`` accepts any finite value.
        maxfev: evaluation budget of each least-squares fit.

    Attributes:
        failed_fits_: family name -> fits dropped in the last :meth:`predict` call.
        n_failed_fits_: their total.
        n_fallback_archs_: archs of the last call that got their last observed value.
    """

    needs_training: ClassVar[bool] = False

    def __init__(
        self,
        eval_points: Sequence[float] | None = None,
        families: Sequence[str] | None = None,
        scale: float = 100.0,
        value_range: tuple[float, float] | None = (0.0, 100.0),
        maxfev: int = 600,
    ) -> None:
        self.eval_points = eval_points
        self.families = families
        self.scale = scale
        self.value_range = value_range
        self.maxfev = maxfev

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> LCE:
        """Nothing to learn (the curves are fitted per arch at prediction); returns ``self``."""
        self._families()
        self.fitted_ = True
        return self

    def _families(self) -> list[CurveFamily]:
        names = list(FAMILIES) if self.families is None else list(self.families)
        unknown = [n for n in names if n not in FAMILIES]
        if unknown or not names:
            raise ConfigError(f"lce families {unknown or names} invalid; choose from {', '.join(FAMILIES)}")
        return [FAMILIES[n] for n in names]

    def _positions(self, k: int) -> tuple[np.ndarray, float]:
        if self.eval_points is None:
            raise ConfigError("lce needs eval_points (the recipe's evaluation points) to know the horizon")
        points = np.asarray(self.eval_points, dtype=np.float64)
        if k > points.size:
            raise ConfigError(f"curves have {k} columns but eval_points only {points.size}")
        return points[:k], float(points[-1])

    def extrapolate(self, curve: np.ndarray, failures: Counter) -> float | None:
        """Akaike-weighted extrapolation of one curve (curve units), or ``None`` if no family fits.

        Args:
            curve: observed values, shape ``(k,)``.
            failures: counter updated with the name of every family whose fit failed.
        """
        x, x_end = self._positions(curve.size)
        y = curve / self.scale
        values, aics = [], []
        for family in self._families():
            if curve.size < family.n_params + 1:
                continue  # under-determined: not attempted, not a failure
            try:
                value, aic = fit_family(family, x, y, x_end, self.maxfev)
            except (RuntimeError, ValueError, FloatingPointError, np.linalg.LinAlgError):
                failures[family.name] += 1
                continue
            value *= self.scale
            if self.value_range is not None and not self.value_range[0] <= value <= self.value_range[1]:
                failures[family.name] += 1
                continue
            values.append(value)
            aics.append(aic)
        if not values:
            return None
        aics_arr = np.asarray(aics)
        weights = np.exp(-(aics_arr - aics_arr.min()) / 2.0)
        return float(np.dot(weights, values) / weights.sum())

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """Extrapolated final value of every arch's curve, shape ``(n,)``."""
        self.check_fitted()
        curves = _curve_input("curves", curves, len(archs))
        failures: Counter = Counter()
        out = np.empty(curves.shape[0])
        fallback = 0
        for i, curve in enumerate(curves):
            value = self.extrapolate(curve, failures)
            if value is None:
                value, fallback = float(curve[-1]), fallback + 1
            out[i] = value
        self.failed_fits_ = dict(failures)
        self.n_failed_fits_ = int(sum(failures.values()))
        self.n_fallback_archs_ = fallback
        if self.n_failed_fits_ or fallback:
            log.info(
                "lce: %d of %d fits failed (%s); %d archs fell back to their last observed value",
                self.n_failed_fits_, curves.shape[0] * len(self._families()), dict(failures), fallback,
            )
        return out


# ----------------------------------------------------------------------------- LcSVR
def curve_features(curves: np.ndarray) -> np.ndarray:
    """Values, first differences (slopes) and second differences (curvature) of each curve.

    Args:
        curves: shape ``(n, k)``.

    Returns:
        Shape ``(n, k + max(k-1, 0) + max(k-2, 0))``.
    """
    slopes = np.diff(curves, axis=1)
    curvature = np.diff(curves, n=2, axis=1)
    return np.concatenate([curves, slopes, curvature], axis=1)


@register_predictor("lcsvr")
class LcSVR(_CurvePredictor):
    """ν-SVR on partial-curve statistics plus an encoding of the cell (Baker et al. 2017).

    Args:
        cv_iterations: random-search candidates for ``C``, ``nu`` and ``gamma``.
        cv_folds: folds of the cross-validation (needs at least ``2 * cv_folds`` training archs;
            below that the defaults C=1, nu=0.5, gamma="scale" are used and ``cv_used_`` is False).
        encoding: name of a registered encoding (:mod:`nasbench_lab.encodings`) appended to the
            curve features; ``None`` for curve features only.
        seed: seed of the fold split and the random search.

    Attributes:
        model_: the fitted scikit-learn pipeline (scaler + NuSVR).
        best_params_: the chosen hyperparameters.
        cv_used_: whether cross-validation chose them.
    """

    def __init__(
        self, cv_iterations: int = 12, cv_folds: int = 3, encoding: str | None = "onehot", seed: int = 0
    ) -> None:
        self.cv_iterations = cv_iterations
        self.cv_folds = cv_folds
        self.encoding = encoding
        self.seed = seed

    def _features(self, archs: np.ndarray, curves: np.ndarray | None) -> np.ndarray:
        feats = curve_features(_curve_input("curves", curves, len(archs)))
        if self.encoding is None:
            return feats
        from nasbench_lab.encodings import encode

        return np.hstack([feats, np.asarray(encode(self.encoding, archs), dtype=np.float64)])

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> LcSVR:
        """Choose hyperparameters by cross-validation and fit; returns ``self``."""
        from scipy.stats import loguniform, uniform
        from sklearn.model_selection import KFold, RandomizedSearchCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import NuSVR

        x = self._features(np.asarray(archs), curves)
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (x.shape[0],) or not np.all(np.isfinite(y)):
            raise NasbenchLabError("lcsvr needs one finite target per training arch")
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std()) or 1.0
        z = (y - self.y_mean_) / self.y_std_
        pipe = make_pipeline(StandardScaler(), NuSVR())
        self.cv_used_ = x.shape[0] >= 2 * self.cv_folds and self.cv_iterations > 0
        if self.cv_used_:
            search = RandomizedSearchCV(
                pipe,
                {
                    "nusvr__C": loguniform(1e-1, 1e2),  # targets are standardised
                    "nusvr__nu": uniform(0.05, 0.9),
                    "nusvr__gamma": loguniform(1e-4, 1.0),
                },
                n_iter=self.cv_iterations,
                cv=KFold(self.cv_folds, shuffle=True, random_state=self.seed),
                random_state=self.seed,
                scoring="neg_mean_squared_error",
            )
            self.model_ = search.fit(x, z).best_estimator_
            self.best_params_ = {k.split("__")[1]: v for k, v in search.best_params_.items()}
        else:
            self.model_ = pipe.fit(x, z)
            self.best_params_ = {"C": 1.0, "nu": 0.5, "gamma": "scale"}
        return self

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """Predicted final metric, shape ``(n,)``."""
        return self.model_.predict(self._features(np.asarray(archs), curves)) * self.y_std_ + self.y_mean_
