"""ENAS (Pham et al., ICML 2018) on the NB201 cell: an LSTM controller trained with REINFORCE.

The controller emits the six edge ops one after another (an LSTM cell; each op's embedding is the next
input; logits ``tanh_constant * tanh(l / temperature)``, NB201's ENAS settings). Each search epoch first
trains the shared weights through one controller-sampled path per train batch, then takes
``controller_steps`` REINFORCE steps: sample an arch, reward = its one-shot accuracy (0..1) on a valid
batch, advantage = reward - baseline with the baseline a moving average (``baseline_decay``), loss
``-log p(arch) * advantage - entropy_weight * entropy``, Adam. The pick is the best of ``n_candidates``
controller samples by one-shot valid accuracy; the recorded distribution is the controller's
conditional op probabilities along its greedy (most likely) decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nasbench_lab.config import setting
from nasbench_lab.oneshot.base import CandidateParams, Searcher, register_searcher
from nasbench_lab.oneshot.context import SearchContext
from nasbench_lab.space import N_EDGES, N_OPS, Arch


@dataclass(frozen=True)
class EnasParams(CandidateParams):
    """ENAS' parameters (NB201's ENAS settings unless noted)."""

    hidden: int = setting(32, low=1, doc="LSTM hidden size of the controller")
    tanh_constant: float = setting(2.5, low=0.0, doc="logit range: tanh_constant * tanh(logit / temperature)")
    temperature: float = setting(5.0, low=1e-3, doc="logit temperature")
    controller_lr: float = setting(1e-3, low=0.0, doc="Adam learning rate of the controller (betas 0, 0.999)")
    controller_steps: int = setting(20, low=1, doc="REINFORCE steps per search epoch (NB201: 50 x 20 samples)")
    baseline_decay: float = setting(0.95, low=0.0, high=1.0, doc="moving-average decay of the reward baseline")
    entropy_weight: float = setting(1e-4, low=0.0, doc="entropy bonus weight")


class Controller(nn.Module):
    """The LSTM policy over the six edge ops.

    Args:
        hidden: LSTM size.
        tanh_constant: logit range.
        temperature: logit temperature.
    """

    def __init__(self, hidden: int, tanh_constant: float, temperature: float) -> None:
        super().__init__()
        self.start = nn.Parameter(torch.zeros(1, hidden))
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.embed = nn.Embedding(N_OPS, hidden)
        self.head = nn.Linear(hidden, N_OPS)
        self.tanh_constant, self.temperature = tanh_constant, temperature

    def forward(self, generator: torch.Generator | None) -> tuple[Arch, torch.Tensor, torch.Tensor, np.ndarray]:
        """Sample an arch (greedy when ``generator`` is ``None``).

        Returns:
            ``(arch, log_prob, entropy, probs)``: summed log-probability and entropy (scalars with
            gradients) and the conditional op probabilities of each step ``(6, 5)``.
        """
        x, state = self.start, None
        ops, log_prob, entropy, probs = [], torch.zeros(()), torch.zeros(()), []
        for _ in range(N_EDGES):
            state = self.lstm(x, state)
            logits = self.tanh_constant * torch.tanh(self.head(state[0]) / self.temperature)
            dist = torch.distributions.Categorical(logits=logits[0])
            op = int(dist.probs.argmax()) if generator is None else int(torch.multinomial(dist.probs, 1, generator=generator))
            log_prob = log_prob + dist.log_prob(torch.tensor(op))
            entropy = entropy + dist.entropy()
            probs.append(dist.probs.detach().double().numpy())
            ops.append(op)
            x = self.embed(torch.tensor([op]))
        return Arch(tuple(ops)), log_prob, entropy, np.stack(probs)


@register_searcher("enas")
class Enas(Searcher):
    """ENAS; see the module docstring. The controller lives on the CPU (it is tiny)."""

    Params = EnasParams
    paper = "Pham, Guan, Zoph, Le & Dean, Efficient Neural Architecture Search via Parameter Sharing, ICML 2018"

    def __init__(self, ctx: SearchContext, params: EnasParams) -> None:
        super().__init__(ctx, params)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(ctx.generator.initial_seed()))
            self.controller = Controller(params.hidden, params.tanh_constant, params.temperature)
        self.optimizer = torch.optim.Adam(self.controller.parameters(), lr=params.controller_lr, betas=(0.0, 0.999),
                                          eps=1e-3)
        self.baseline: float | None = None

    def search_epoch(self, epoch: int) -> None:
        """Shared weights through controller samples, then ``controller_steps`` REINFORCE steps."""
        for train in self.ctx.train_batches():
            with torch.no_grad():
                arch = self.controller(self.ctx.generator)[0]
            self.ctx.path_step(train, arch)
        for _ in range(self.params.controller_steps):
            self._reinforce_step()

    def _reinforce_step(self) -> None:
        arch, log_prob, entropy, _ = self.controller(self.ctx.generator)
        batch = self.ctx.valid_batch()
        reward = self.ctx.path_correct(batch.images, batch.labels, arch) / len(batch.labels)
        decay = self.params.baseline_decay
        self.baseline = reward if self.baseline is None else decay * self.baseline + (1 - decay) * reward
        loss = -log_prob * (reward - self.baseline) - self.params.entropy_weight * entropy
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def derive(self) -> Arch:
        """The best of ``n_candidates`` controller samples by one-shot valid accuracy."""
        with torch.no_grad():
            candidates = [self.controller(self.ctx.generator)[0] for _ in range(self.params.n_candidates)]
        return self.best_of(candidates)

    def probs(self) -> np.ndarray:
        """The controller's conditional op probabilities along its greedy decoding, ``(6, 5)``."""
        with torch.no_grad():
            return self.controller(None)[3]

