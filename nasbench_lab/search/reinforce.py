"""REINFORCE (Williams 1992) as NB201's policy-gradient baseline.

As in NB201's ``exps/algos/reinforce.py``: the policy is a softmax over the 5 ops of each of the 6
edges (logits initialised as ``1e-3 * N(0, 1)``); each proposal is one sample of it; the reward is the
observed objective as given (NB201: validation accuracy in percent); the baseline is an exponential
moving average of rewards with momentum 0.9 and bias correction, updated with the new reward before
the advantage ``reward - baseline`` is taken; one optimiser step (Adam by default) follows every
observation. The learning rate defaults to 0.01, NATS-Bench's setting for all three datasets: with
NB201's older 0.001, Adam moves each logit by at most about 0.001 per step, so 100 queries leave the
policy within ~10% of uniform and the search is random search (measured in ``docs/search.md``). Samples may repeat archs
already evaluated: the runner answers those from its cache at no cost (``docs/search.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import space
from nasbench_lab.config import Config, setting
from nasbench_lab.search.base import Observation, Proposal, register_strategy
from nasbench_lab.search.common import (
    ConfiguredStrategy,
    History,
    all_ops,
    index_from_ops,
    observed_value,
    proposal_arch,
)


@dataclass(frozen=True)
class ReinforceParams(Config):
    """Parameters of :class:`Reinforce`."""

    lr: float = setting(0.01, low=0.0, doc="learning rate (NATS-Bench: 0.01; NB201's scripts: 0.001)")
    ema_momentum: float = setting(0.9, low=0.0, high=0.999999, doc="baseline moving-average momentum")
    optimizer: str = setting("adam", choices=("adam", "sgd"), doc="policy optimiser")


@register_strategy("reinforce")
class Reinforce(ConfiguredStrategy):
    """Softmax policy over ops per edge, moving-average baseline, Adam or SGD."""

    proposes_repeats = True
    Params: ClassVar[type[Config]] = ReinforceParams
    params: ReinforceParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self.history = History()
        self.logits = 1e-3 * rng.standard_normal((space.N_EDGES, space.N_OPS))
        self._m = np.zeros_like(self.logits)
        self._v = np.zeros_like(self.logits)
        self._step = 0
        self._ema_num = 0.0
        self._ema_den = 0.0

    def probs(self) -> np.ndarray:
        """The policy: op probabilities per edge, shape ``(6, 5)``."""
        z = np.exp(self.logits - self.logits.max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)

    def ask(self) -> Proposal:
        """One sample of the policy (may repeat an evaluated arch)."""
        cum = np.cumsum(self.probs(), axis=1)
        u = self.rng.random(space.N_EDGES)
        ops = np.minimum((u[:, None] > cum).sum(1), space.N_OPS - 1)
        return Proposal(index_from_ops(ops))

    def baseline(self) -> float:
        """Bias-corrected moving average of the rewards seen (0 before any)."""
        return self._ema_num / self._ema_den if self._ema_den else 0.0

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        """Update the baseline, then take one policy-gradient step on ``-log p(arch) * advantage``."""
        arch = proposal_arch(proposal)
        reward = observed_value(observation)
        self.history.add(arch, reward)
        momentum, lr = self.params.ema_momentum, self.params.lr
        self._ema_num = momentum * self._ema_num + (1 - momentum) * reward
        self._ema_den = momentum * self._ema_den + (1 - momentum)
        advantage = reward - self.baseline()
        chosen = np.zeros_like(self.logits)
        chosen[np.arange(space.N_EDGES), all_ops()[arch]] = 1.0
        grad = -advantage * (chosen - self.probs())  # d(-log p * advantage) / d logits
        self._step += 1
        if self.params.optimizer == "sgd":
            self.logits -= lr * grad
            return
        self._m = 0.9 * self._m + 0.1 * grad
        self._v = 0.999 * self._v + 0.001 * grad * grad
        m_hat = self._m / (1 - 0.9**self._step)
        v_hat = self._v / (1 - 0.999**self._step)
        self.logits -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
