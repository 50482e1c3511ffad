"""Baseline predictors that anchor every comparison: random scores, the training mean, and ranking
by one zero-cost proxy score.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from nasbench_lab.predictors._targets import PredictorInputError, check_archs, check_fit_inputs, check_side_input
from nasbench_lab.predictors.base import Predictor, SideInput, register_predictor
from nasbench_lab.space import N_ARCHS


@register_predictor("random")
class RandomPredictor(Predictor):
    """Seeded uniform random scores in [0, 1): each arch gets the same score for a given seed.

    ``predicts_scores``: the output is a score, not the target (MAE/RMSE are not meaningful).

    Args:
        seed: seed of the score table.
    """

    needs_training: ClassVar[bool] = False
    predicts_scores: ClassVar[bool] = True

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> RandomPredictor:
        """Draw the score table (``y`` is ignored); see :class:`Predictor`."""
        check_archs(archs)
        self.scores_ = np.random.default_rng(self.seed).random(N_ARCHS)
        return self

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """Random scores of ``archs``, shape ``(n,)``."""
        return self.scores_[check_archs(archs)]


@register_predictor("mean")
class MeanPredictor(Predictor):
    """Predicts the mean training target for every arch (Kendall tau is undefined: all ties)."""

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> MeanPredictor:
        """Store the mean of ``y``; see :class:`Predictor`."""
        _, y = check_fit_inputs(archs, y, min_archs=1)
        self.mean_ = float(y.mean())
        return self

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """The training mean, shape ``(n,)``."""
        return np.full(len(check_archs(archs)), self.mean_)


@register_predictor("zc")
class ZeroCostPredictor(Predictor):
    """Ranks archs by one zero-cost proxy score (training-free: ``y`` is ignored).

    The prediction is the proxy score itself (negated if ``negate``), so only its ranking is
    meaningful, not its scale. Archs whose score is NaN (the proxy is undefined for them) cannot be
    ranked: :meth:`usable` leaves them out, and :meth:`predict` refuses them.

    Args:
        proxy: column of the ``proxies`` array ``(n, n_proxies)`` to rank by.
        negate: use ``-score`` (for proxies where lower means better).
    """

    needs_proxies: ClassVar[bool] = True
    needs_training: ClassVar[bool] = False
    predicts_scores: ClassVar[bool] = True

    def __init__(self, proxy: int = 0, negate: bool = False) -> None:
        self.proxy = proxy
        self.negate = negate

    def _column(self, archs: np.ndarray, proxies: np.ndarray | None) -> np.ndarray:
        arr = check_side_input("proxies", proxies, len(check_archs(archs)), "zc", allow_nan=True)
        if not 0 <= self.proxy < arr.shape[1]:
            raise PredictorInputError(f"proxy column {self.proxy} does not exist: proxies has {arr.shape[1]} columns")
        return arr[:, self.proxy]

    def _scores(self, archs: np.ndarray, proxies: np.ndarray | None) -> np.ndarray:
        col = self._column(archs, proxies)
        undefined = int(np.count_nonzero(np.isnan(col)))
        if undefined:
            raise PredictorInputError(
                f"proxy column {self.proxy} is NaN (undefined) for {undefined} of {col.size} archs; leave them out "
                "(the evaluation protocol does, see ZeroCostPredictor.usable)"
            )
        return -col if self.negate else col.copy()

    def usable(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
               proxies: SideInput = None) -> np.ndarray:
        """Archs whose proxy score is defined (not NaN), shape ``(n,)``."""
        return ~np.isnan(self._column(archs, proxies))

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> ZeroCostPredictor:
        """Check the proxy column (nothing is learned); see :class:`Predictor`."""
        if proxies is not None:
            self._column(archs, proxies)
        self.fitted_ = True
        return self

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """The proxy scores of ``archs``, shape ``(n,)``."""
        self.check_fitted()
        return self._scores(archs, proxies)
