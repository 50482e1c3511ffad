"""Performance predictors: the interface, its registry and every implementation.

Importing this package registers every predictor, so ``PREDICTORS.names()`` lists them all::

    from nasbench_lab.predictors import PREDICTORS, make_predictor, load_predictor
"""

from __future__ import annotations

from nasbench_lab.predictors.base import PREDICTORS, Predictor, register_predictor
from nasbench_lab.predictors.spec import PredictorSpec, load_predictor, make_predictor, read_spec

# Implementation modules; importing them registers their predictors.
from nasbench_lab.predictors import baselines, curves, gnn, gp, mlp, xgb  # noqa: E402,F401

__all__ = [
    "PREDICTORS",
    "Predictor",
    "PredictorSpec",
    "load_predictor",
    "make_predictor",
    "read_spec",
    "register_predictor",
]
