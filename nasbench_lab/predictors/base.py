"""The :class:`Predictor` interface and its registry.

Predictors follow scikit-learn's conventions: ``__init__`` only stores its arguments, ``fit`` returns
``self`` and sets learned state in attributes whose names end in ``_``, ``predict`` returns an array.
What extra inputs a predictor needs is declared by class attributes, so the evaluation protocol and
the search strategies know what to hand it:

* ``needs_curves``: ``fit`` and ``predict`` take partial learning curves (``curves=`` of shape
  ``(n_archs, k)`` with the first ``k`` evaluation points of the objective, and ``train_losses=`` of the
  same shape), as learning-curve-extrapolation predictors do.
* ``needs_proxies``: they take ``proxies=`` of shape ``(n_archs, n_proxies)`` (zero-cost scores).
* ``needs_training``: False for training-free predictors (they ignore ``y``).

``archs`` is always a 1-d integer array of NB201 indices (see :mod:`nasbench_lab.space`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from nasbench_lab.registry import Registry

PREDICTORS: Registry[type[Predictor]] = Registry(
    "predictor",
    autoload=tuple(f"nasbench_lab.predictors.{m}" for m in ("baselines", "curves", "gnn", "gp", "mlp", "xgb")),
)
register_predictor = PREDICTORS.register


class Predictor(ABC):
    """Base class of every performance predictor.

    Subclasses store their constructor arguments unchanged (``self.x = x``), implement :meth:`fit` and
    :meth:`predict`, and, if probabilistic, :meth:`predict_dist`.
    """

    needs_curves: ClassVar[bool] = False
    needs_proxies: ClassVar[bool] = False
    needs_training: ClassVar[bool] = True
    probabilistic: ClassVar[bool] = False

    @abstractmethod
    def fit(
        self,
        archs: np.ndarray,
        y: np.ndarray,
        *,
        curves: np.ndarray | None = None,
        train_losses: np.ndarray | None = None,
        proxies: np.ndarray | None = None,
    ) -> Predictor:
        """Learn from ``archs`` (shape ``(n,)``) with targets ``y`` (shape ``(n,)``); return ``self``."""

    @abstractmethod
    def predict(
        self,
        archs: np.ndarray,
        *,
        curves: np.ndarray | None = None,
        train_losses: np.ndarray | None = None,
        proxies: np.ndarray | None = None,
    ) -> np.ndarray:
        """Predicted targets for ``archs``, shape ``(n,)``."""

    def predict_dist(
        self,
        archs: np.ndarray,
        *,
        curves: np.ndarray | None = None,
        train_losses: np.ndarray | None = None,
        proxies: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and standard deviation, each of shape ``(n,)`` (probabilistic ones only).

        Raises:
            NotImplementedError: the predictor gives point predictions only.
        """
        raise NotImplementedError(f"{type(self).__name__} gives no predictive distribution")

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments as stored (scikit-learn convention)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
