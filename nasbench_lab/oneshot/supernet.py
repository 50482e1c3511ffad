"""The NB201 supernet: every op on every edge, mixed by architecture weights, and the derivation of an arch.

The network is :class:`~nasbench_lab.training.network.TinyNetwork`'s (same stem, ``N`` cells per stage at
``C``, ``2C``, ``4C`` channels, the same ResNet reduction blocks and head, built from the same modules),
except that each cell edge is a :class:`MixedOp` holding all five ops of :data:`~nasbench_lab.space.OPS`.
One set of architecture parameters ``alpha`` of shape ``(6, 5)`` (edges in :data:`~nasbench_lab.space.EDGES`
order, ops in ``OPS`` order) is shared by every cell, as in NB201's searchers.

A forward pass takes ``weights`` ``(6, 5)`` and optionally ``active`` (one op id per edge):

* ``active is None``: each edge outputs ``sum_k weights[e, k] * op_k(x)`` (DARTS' continuous relaxation);
* ``active`` given: each edge runs only ``op_active[e]`` and multiplies it by ``weights[e, active[e]]``
  (GDAS' hard one-hot with a straight-through weight, or a plain single path with a one-hot weight).

Batch normalisation keeps no running statistics (``track_running_stats=False``, as NB201's search cells):
shared weights serve many paths, so one-shot evaluation normalises with the statistics of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from nasbench_lab.errors import ConfigError
from nasbench_lab.space import N_EDGES, N_NODES, N_OPS, NONE, Arch
from nasbench_lab.training.network import ResNetBasicBlock, make_op

ALPHA_SHAPE = (N_EDGES, N_OPS)


class MixedOp(nn.Module):
    """All five NB201 ops of one edge (module ``k`` is op ``OPS[k]``).

    Args:
        channels: channels of the edge's input and output.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.ops = nn.ModuleList(make_op(op, channels) for op in range(N_OPS))

    def forward(self, x: torch.Tensor, weights: torch.Tensor, active: int | None = None) -> torch.Tensor:
        """Weighted sum of every op (``active is None``) or the single op ``active`` times its weight.

        Args:
            x: the edge input ``(batch, channels, H, W)``.
            weights: this edge's op weights ``(5,)``.
            active: the one op to run, or ``None`` for all.
        """
        if active is not None:
            return self.ops[active](x) * weights[active]
        total = self.ops[1](x) * weights[1]  # `none` adds zeros: skipping it changes no value or gradient
        for k in range(2, N_OPS):
            total = total + self.ops[k](x) * weights[k]
        return total


class SearchCell(nn.Module):
    """An NB201 cell whose six edges are :class:`MixedOp` modules.

    Args:
        channels: channels of every node.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(MixedOp(channels) for _ in range(N_EDGES))

    def forward(self, x: torch.Tensor, weights: torch.Tensor, active: Sequence[int] | None = None) -> torch.Tensor:
        """Run the cell DAG (node ``j`` sums its incoming edges) and return node 3."""
        nodes = [x]
        edge = 0
        for _node in range(1, N_NODES):
            total: torch.Tensor | None = None
            for h in nodes:
                out = self.edges[edge](h, weights[edge], None if active is None else active[edge])
                total = out if total is None else total + out
                edge += 1
            assert total is not None
            nodes.append(total)
        return nodes[-1]


class Supernet(nn.Module):
    """NB201's TinyNetwork with :class:`SearchCell` cells; the weights of every arch at once.

    Args:
        C: channels of the first stage.
        N: cells per stage.
        in_channels: image channels.
        num_classes: outputs of the classifier.
    """

    def __init__(self, C: int, N: int, in_channels: int, num_classes: int) -> None:
        super().__init__()
        for name, value, low in (("C", C, 1), ("N", N, 1), ("in_channels", in_channels, 1), ("num_classes", num_classes, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(f"supernet {name} must be an integer >= {low}, got {value!r}")
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        c_prev = C
        for stage, channels in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResNetBasicBlock(c_prev, channels))
            layers.extend(SearchCell(channels) for _ in range(N))
            c_prev = channels
        self.cells = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.track_running_stats = False
                module.running_mean = module.running_var = module.num_batches_tracked = None

    def forward(self, x: torch.Tensor, weights: torch.Tensor, active: Sequence[int] | None = None) -> torch.Tensor:
        """Logits ``(batch, num_classes)``.

        Args:
            x: images ``(batch, in_channels, H, W)``.
            weights: op weights ``(6, 5)`` shared by every cell.
            active: one op id per edge (single path), or ``None`` (every op, weighted).
        """
        out = self.stem(x)
        for layer in self.cells:
            out = layer(out, weights, active) if isinstance(layer, SearchCell) else layer(out)
        out = self.lastact(out)
        return self.classifier(self.global_pooling(out).flatten(1))


def one_hot(ops: Sequence[int], *, like: torch.Tensor | None = None) -> torch.Tensor:
    """Weights ``(6, 5)`` that select op ``ops[e]`` on edge ``e`` (dtype/device of ``like``, else float32 CPU)."""
    out = torch.zeros(ALPHA_SHAPE, dtype=like.dtype if like is not None else torch.float32,
                      device=like.device if like is not None else None)
    out[torch.arange(N_EDGES), torch.as_tensor(list(ops), device=out.device)] = 1.0
    return out


def derive(alpha: torch.Tensor | np.ndarray, *, exclude_none: bool = False) -> Arch:
    """The arch that takes the strongest op on each edge (argmax per row; ties go to the lower op id).

    Args:
        alpha: architecture parameters or probabilities ``(6, 5)``, edges and ops in NB201 order.
        exclude_none: never pick ``none`` (the original DARTS rule); NB201's searchers keep it.

    Returns:
        The derived :class:`~nasbench_lab.space.Arch` (op ``k`` of a row is ``OPS[k]``, ``none`` included).

    Raises:
        ConfigError: ``alpha`` is not ``(6, 5)`` or holds a non-finite value.
    """
    a = alpha.detach().cpu().double().numpy() if isinstance(alpha, torch.Tensor) else np.asarray(alpha, dtype=np.float64)
    if a.shape != ALPHA_SHAPE or not np.isfinite(a).all():
        raise ConfigError(f"alpha must be a finite {ALPHA_SHAPE} array, got shape {a.shape}")
    if exclude_none:
        a = a.copy()
        a[:, NONE] = -np.inf
    return Arch(tuple(int(k) for k in a.argmax(axis=1)))
