"""Performance predictors: the interface, its registry and every implementation.

The registry loads the built-in implementations on its first lookup, so ``PREDICTORS.names()`` lists
them all while ``import nasbench_lab.predictors`` stays cheap (no torch, xgboost or scipy)::

    from nasbench_lab.predictors import PREDICTORS, make_predictor, load_predictor
"""

from __future__ import annotations

from nasbench_lab.predictors.base import PREDICTORS, NotFittedError, Predictor, clone, register_predictor
from nasbench_lab.predictors.spec import PredictorSpec, load_predictor, make_predictor, read_spec

__all__ = [
    "PREDICTORS",
    "NotFittedError",
    "Predictor",
    "PredictorSpec",
    "clone",
    "load_predictor",
    "make_predictor",
    "read_spec",
    "register_predictor",
]
