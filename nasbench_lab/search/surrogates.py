"""The surrogate of BANANAS, NPENAS and PNAS: an MLP ensemble (or any registered predictor) refitted
on every observation before each batch, with its typed parameters.

With ``warm_epochs = 0`` every fit starts from a fresh initialisation (as the papers do); otherwise
the ensemble keeps its weights and later fits continue from them for ``warm_epochs`` Adam steps:
BANANAS and NPENAS default to 20 (7x cheaper per unit, same search quality on real NB201 within
noise, ``docs/search.md``); PNAS, whose few fits gained little and lost quality, to 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nasbench_lab.config import Config, setting
from nasbench_lab.encodings import check_encoding_name, space_table
from nasbench_lab.predictors.mlp import MLPEnsemble
from nasbench_lab.search.bo import PredictorFactory, make_predictor_factory


def features(indices: np.ndarray, encoding: str) -> np.ndarray:
    """Rows of the registered encoding ``encoding`` for ``indices`` (from the cached whole-space table)."""
    return space_table(encoding)[np.asarray(indices, dtype=np.int64)]


@dataclass(frozen=True)
class SurrogateParams(Config):
    """Parameters of the refitted surrogate (the MLP ensemble, or a registered predictor instead)."""

    encoding: str = setting("onehot", doc="registered dense encoding fed to the MLP ensemble (onehot, live_path, ...)")
    n_members: int = setting(5, low=2, doc="ensemble size")
    hidden: int = setting(32, low=1, doc="hidden width (two hidden layers)")
    epochs: int = setting(200, low=1, doc="full-batch Adam steps per fit")
    warm_epochs: int = setting(0, low=0, doc="later fits continue from the last weights for this many Adam steps "
                               "(0: every fit from scratch)")
    lr: float = setting(0.01, low=1e-6, doc="Adam learning rate")
    predictor: str | None = setting(None, doc="registered predictor instead of the MLP ensemble")
    predictor_params: dict[str, Any] = setting({}, doc="constructor arguments of that predictor")

    def check(self) -> None:
        """The encoding must be a registered one."""
        check_encoding_name(self.encoding)


class Surrogate:
    """Fits a fresh model to all observations at every call and scores candidates.

    Args:
        params: the surrogate's parameters.
        rng: source of the MLP ensemble's initial weights (a registered predictor seeds itself).

    Raises:
        ConfigError: an unknown predictor or predictor parameter (checked now).
    """

    def __init__(self, params: SurrogateParams, rng: np.random.Generator) -> None:
        self.params = params
        self.rng = rng
        self._ens: MLPEnsemble | None = None
        self._factory: PredictorFactory | None = (
            make_predictor_factory(params.predictor, params.predictor_params) if params.predictor else None
        )

    def predict_dist(self, archs: np.ndarray, values: np.ndarray, cands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread at ``cands`` (``(m,)`` each) of a model fitted to ``archs`` -> ``values``."""
        if self._factory is not None:
            mean, std = self._factory().fit(archs, values).predict_dist(cands)
            return np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        return self._ensemble(archs, values).predict_dist(features(cands, self.params.encoding))

    def predict(self, archs: np.ndarray, values: np.ndarray, cands: np.ndarray) -> np.ndarray:
        """Point predictions at ``cands`` (``(m,)``); any registered predictor will do, probabilistic or not."""
        if self._factory is not None:
            return np.asarray(self._factory().fit(archs, values).predict(cands), dtype=np.float64)
        return self._ensemble(archs, values).predict_dist(features(cands, self.params.encoding))[0]

    def _ensemble(self, archs: np.ndarray, values: np.ndarray) -> MLPEnsemble:
        p = self.params
        if self._ens is None or not p.warm_epochs:
            self._ens = MLPEnsemble(self.rng, n_members=p.n_members, hidden=p.hidden, epochs=p.epochs, lr=p.lr)
        return self._ens.fit(features(archs, p.encoding), values, warm_steps=p.warm_epochs or None)
