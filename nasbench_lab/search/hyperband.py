"""Successive halving (Jamieson & Talwalkar 2016) and Hyperband (Li et al. 2018) over training epochs.

Fidelity is the number of curve columns trained (``Proposal.epochs``, ``1..max_epochs``). A bracket
``s`` (``0 <= s <= s_max = floor(log_eta(max_epochs / min_epochs))``) samples
``n = ceil((s_max + 1) / (s + 1) * eta^s)`` unseen archs, trains them for ``max_epochs * eta^-s``
epochs and repeatedly keeps the best ``1 / eta`` of a rung and trains those ``eta`` times longer, up to
``max_epochs``. Hyperband cycles through the brackets ``s_max, ..., 0``; successive halving repeats
the most aggressive bracket ``s_max``. A promoted arch is proposed again with more epochs; how much
that costs is the runner's business (NB201's protocol charges the time of the epochs trained).

Early stopping with a learning-curve predictor (``curve_predictor``, a registered predictor with
``needs_curves``): once ``curve_min_train`` archs have been trained to ``max_epochs``, the predictor is
fitted on their curves truncated to a rung's length, and promotions from that rung rank archs by the
predicted final value instead of the value at the rung, so runs predicted to end poorly stop early.
(Without observed curves, e.g. a runner that sends none, promotions use the values at the rung.)

With ``max_epochs < eta * min_epochs`` (e.g. a table with one curve column) there is a single
bracket that trains every arch to ``max_epochs``: plain random search, with a logged warning. A study
refuses these strategies at load when its table records the objective only at the last column
(:func:`nasbench_lab.study.simulator.refuse_missing_fidelities`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from math import ceil, floor, log
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import space
from nasbench_lab.config import Config, setting
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation, Proposal, register_strategy
from nasbench_lab.search.bo import PredictorFactory, make_predictor_factory
from nasbench_lab.search.common import ConfiguredStrategy, History, observed_value, proposal_arch, random_unseen

logger = logging.getLogger(__name__)


def bracket_schedule(s: int, s_max: int, eta: int, max_epochs: int) -> list[tuple[int, int]]:
    """Rungs of bracket ``s`` as ``(n_archs, epochs)`` pairs, first rung first."""
    n = ceil((s_max + 1) / (s + 1) * eta**s)
    rungs = []
    for i in range(s + 1):
        epochs = max(1, min(max_epochs, round(max_epochs * eta ** (i - s))))
        rungs.append((max(1, floor(n * eta**-i)), epochs))
    return rungs


@dataclass(frozen=True)
class HalvingParams(Config):
    """Parameters of :class:`SuccessiveHalving` and :class:`Hyperband`."""

    eta: int = setting(3, low=2, doc="keep the best 1/eta of each rung")
    min_epochs: int = setting(1, low=1, doc="fewest epochs any arch is trained")
    curve_predictor: str | None = setting(None, doc="registered learning-curve predictor for early stopping")
    curve_predictor_params: dict[str, Any] = setting({}, doc="constructor arguments of that predictor")
    curve_min_train: int = setting(5, low=2, doc="full runs needed before the curve predictor is used")


class _Halving(ConfiguredStrategy):
    """Shared rung bookkeeping of successive halving and Hyperband."""

    Params: ClassVar[type[Config]] = HalvingParams
    params: HalvingParams
    cycle_brackets = True
    multi_fidelity = True

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        p = self.params
        if p.min_epochs > self.max_epochs:
            raise ConfigError(f"{self.owner}.min_epochs: must be <= the table's {self.max_epochs} curve epochs, "
                              f"got {p.min_epochs}")
        self.s_max = floor(log(self.max_epochs / p.min_epochs) / log(p.eta) + 1e-9)
        if self.s_max == 0:
            logger.warning("%s: max_epochs / min_epochs = %d / %d is below eta = %d, so every arch is trained to the "
                           "full %d epochs: this runs as plain random search", self.owner, self.max_epochs,
                           p.min_epochs, p.eta, self.max_epochs)
        self._factory: PredictorFactory | None = (
            make_predictor_factory(p.curve_predictor, p.curve_predictor_params) if p.curve_predictor else None
        )
        self.history = History()  # full-fidelity observations only
        self._sampled = np.zeros(space.N_ARCHS, dtype=bool)
        self._curves: dict[int, np.ndarray] = {}  # full curves of archs trained to max_epochs
        self._partial: dict[int, np.ndarray] = {}  # latest curve observed for each arch
        self._bracket = -1
        self._rungs: list[tuple[int, int]] = []
        self._rung = 0
        self._members: list[int] = []
        self._results: dict[int, float] = {}
        self._queue: list[int] = []

    def ask(self) -> Proposal:
        """The next (arch, epochs) of the current rung; rungs and brackets advance when exhausted."""
        while not self._queue:
            self._advance()
        arch = self._queue.pop()
        return Proposal(arch, self._rungs[self._rung][1])

    def _advance(self) -> None:
        known = [a for a in self._members if a in self._results]
        if self._rungs and self._rung + 1 < len(self._rungs) and known:
            self._rung += 1
            keep = self._rungs[self._rung][0]
            self._members = self._promote(known, keep)
        else:
            self._bracket += 1
            s = self.s_max - (self._bracket % (self.s_max + 1)) if self.cycle_brackets else self.s_max
            self._rungs, self._rung = bracket_schedule(s, self.s_max, self.params.eta, self.max_epochs), 0
            self._members = []
            for _ in range(self._rungs[0][0]):
                arch = random_unseen(self.rng, self._sampled)
                self._sampled[arch] = True
                self._members.append(arch)
        self._results = {}
        self._queue = self._members[::-1]

    def _promote(self, known: list[int], keep: int) -> list[int]:
        values = np.array([self._results[a] for a in known])
        epochs = self._rungs[self._rung - 1][1]
        have_curves = all(self._partial.get(a, np.empty(0)).size >= epochs for a in known)
        if self._factory is not None and len(self._curves) >= self.params.curve_min_train and have_curves:
            values = self._predicted_final(known, self._rungs[self._rung - 1][1])
        order = np.argsort(-values, kind="stable")[:keep]
        return [known[i] for i in order]

    def _predicted_final(self, archs: list[int], epochs: int) -> np.ndarray:
        assert self._factory is not None  # only called with a curve predictor
        train = np.array(list(self._curves), dtype=np.int64)
        curves = np.stack([self._curves[a][:epochs] for a in train])
        finals = np.array([self._curves[a][-1] for a in train])
        model = self._factory().fit(train, finals, curves=curves)
        partial = np.stack([self._partial[a][:epochs] for a in archs])
        return np.asarray(model.predict(np.asarray(archs, dtype=np.int64), curves=partial), dtype=np.float64)

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        """Record the value at the rung's fidelity (and the curve, for the curve predictor)."""
        arch = proposal_arch(proposal)
        value = observed_value(observation)
        epochs = self.max_epochs if proposal.epochs is None else proposal.epochs
        self._sampled[arch] = True
        self._results[arch] = value
        curve = np.asarray(observation.curve, dtype=np.float64)
        if curve.size:
            self._partial[arch] = curve
        if epochs >= self.max_epochs:
            self.history.add(arch, value)
            if curve.size >= self.max_epochs:
                self._curves[arch] = curve


@register_strategy("hyperband")
class Hyperband(_Halving):
    """Hyperband: successive halving brackets of every aggressiveness, cycled."""


@register_strategy("successive_halving")
class SuccessiveHalving(_Halving):
    """Successive halving: the most aggressive bracket, repeated with fresh archs."""

    cycle_brackets = False
