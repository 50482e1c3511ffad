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

The lifecycle is scikit-learn's: :meth:`Predictor.get_params` reads the constructor's arguments back
from the signature, :meth:`Predictor.set_params` changes them, :func:`clone` builds an unfitted copy
with the same arguments, and using a learned attribute (a name ending in ``_``) before ``fit`` raises
:class:`NotFittedError` (a :class:`~nasbench_lab.errors.NasbenchLabError` saying to call ``fit``).
"""

from __future__ import annotations

import copy
import inspect
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.registry import Registry

P = TypeVar("P", bound="Predictor")
SideInput = np.ndarray | None  # the optional curves/train_losses/proxies arrays of fit and predict


class NotFittedError(NasbenchLabError, AttributeError):
    """A predictor was used before :meth:`Predictor.fit` (also an ``AttributeError``, as in scikit-learn)."""

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

    def usable(
        self,
        archs: np.ndarray,
        *,
        curves: SideInput = None,
        train_losses: SideInput = None,
        proxies: SideInput = None,
    ) -> np.ndarray:
        """Which archs this predictor can score from the given inputs, a bool mask of shape ``(n,)``.

        All of them by default. A predictor whose input is undefined for some archs (e.g. a NaN proxy
        score) says so here; the evaluation protocol then leaves those archs out and counts them,
        rather than fail or replace the NaN by a value.
        """
        return np.ones(len(archs), dtype=bool)

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the constructor's arguments, in signature order (``*args``/``**kwargs`` are not allowed).

        Raises:
            TypeError: the constructor takes ``*args`` or ``**kwargs`` (its parameters cannot be read back).
        """
        if cls.__init__ is object.__init__:  # no constructor of its own: no parameters
            return []
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            raise TypeError(f"{cls.__name__}.__init__ must name every argument (no *args/**kwargs)")
        return [p.name for p in params]

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments, read from the attributes of the same names (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self.param_names()}

    def set_params(self: P, **params: Any) -> P:
        """Change constructor arguments (learned state is not touched: refit afterwards); returns ``self``.

        Raises:
            ConfigError: a name that is not a constructor argument; the message lists the valid ones.
        """
        names = self.param_names()
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ConfigError(
                f"{type(self).__name__} has no parameter {', '.join(map(repr, unknown))}; "
                f"its parameters are: {', '.join(names) or 'none'}"
            )
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has run (some learned attribute, a name ending in ``_``, exists)."""
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def check_fitted(self) -> None:
        """Raise :class:`NotFittedError` unless :meth:`fit` has run."""
        if not self.is_fitted():
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(archs, y, ...) first")

    if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any attribute name

        def __getattr__(self, name: str) -> Any:
            # Only reached when normal lookup fails: a learned attribute read before fit.
            if name.endswith("_") and not name.startswith("__"):
                self.check_fitted()
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def clone(predictor: P) -> P:
    """An unfitted predictor of the same class built with (deep copies of) ``predictor``'s arguments.

    Raises:
        TypeError: the constructor does not store its arguments unchanged under their own names.
    """
    params = {name: copy.deepcopy(value) for name, value in predictor.get_params().items()}
    return type(predictor)(**params)
