"""Graph neural network predictors (GCN, GIN) on the op-on-node graph, as batched ensembles.

Inputs are the dense tensors of :func:`nasbench_lab.encodings.graph_tensors`: node labels
``(n, 8, 7)`` and adjacency ``(n, 8, 8)``. Messages flow both ways along the DAG's edges
(``A + A^T``), as in NASLib's GCN for cells.

* ``gcn``: ``H <- relu(D^-1/2 (A + A^T + I) D^-1/2 H W)`` per layer, mean over live nodes, linear head.
* ``gin``: ``H <- MLP((1 + eps) H + (A + A^T) H)`` per layer (two-layer MLP, learned ``eps``), sum over
  live nodes, linear head.

Both are ensembles of ``k`` members trained at once (see :mod:`nasbench_lab.predictors.mlp`), so
``predict_dist`` reports the member spread.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nasbench_lab.encodings import N_NODE_LABELS, graph_tensors
from nasbench_lab.predictors.base import register_predictor
from nasbench_lab.predictors.mlp import EnsemblePredictor, ensemble_linear


def _torch():
    import torch

    return torch


def _node_linear(h: Any, weight: Any, bias: Any | None = None) -> Any:
    """Per-member linear map of node features: ``(k, b, v, d) @ (k, d, e) -> (k, b, v, e)``."""
    torch = _torch()
    k, b, v, d = h.shape
    flat = h.reshape(k, b * v, d)
    out = torch.bmm(flat, weight) if bias is None else torch.baddbmm(bias, flat, weight)
    return out.reshape(k, b, v, -1)


class _GraphEnsemble(EnsemblePredictor):
    """Shared arguments and inputs of the GNN ensembles.

    Args:
        pruned: use the pruned graph (``none`` and dead op nodes removed).
        hidden: node embedding width.
        layers: message-passing layers.
        k: ensemble size.
        steps: minimum number of Adam steps (each member sees one minibatch per step).
        min_epochs: minimum passes over the training set (raises the step count for large sets).
        batch_size: minibatch size.
        lr: Adam learning rate (cosine-annealed to 0).
        weight_decay: L2 penalty.
        log_error: fit ``-log(100 - y)``.
        seed: seeds initialisation and minibatches.
    """

    def __init__(
        self,
        pruned: bool = True,
        hidden: int = 32,
        layers: int = 3,
        k: int = 5,
        steps: int = 400,
        min_epochs: int = 100,
        batch_size: int = 64,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        log_error: bool = True,
        seed: int = 0,
    ) -> None:
        self.pruned = pruned
        self.hidden = hidden
        self.layers = layers
        self.k = k
        self.steps = steps
        self.min_epochs = min_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.log_error = log_error
        self.seed = seed

    def _inputs(self, archs: np.ndarray) -> tuple:
        torch = _torch()
        g = graph_tensors(archs, pruned=self.pruned)
        adj = torch.as_tensor(g.adjacency)
        mask = torch.as_tensor(g.node_mask, dtype=torch.float32)
        return torch.as_tensor(g.node_ops), adj + adj.transpose(1, 2), mask

    def _head(self, pooled: Any, params: list) -> Any:
        torch = _torch()
        return torch.baddbmm(params[-1], pooled, params[-2]).squeeze(-1)


@register_predictor("gcn")
class GCNPredictor(_GraphEnsemble):
    """Ensemble of graph convolutional networks; arguments as in :class:`_GraphEnsemble`."""

    def _init_params(self, inputs: tuple, gen: Any) -> list:
        params: list = []
        sizes = [N_NODE_LABELS] + [self.hidden] * self.layers
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            params.append(ensemble_linear(self.k, n_in, n_out, gen)[0])
        params.extend(ensemble_linear(self.k, self.hidden, 1, gen))
        return params

    def _forward(self, params: list, inputs: tuple) -> Any:
        torch = _torch()
        x, adj, mask = inputs  # (k, b, 8, 7), (k, b, 8, 8), (k, b, 8)
        a_hat = adj + torch.diag_embed(mask)
        deg = a_hat.sum(-1).clamp_min(1.0) ** -0.5
        a_hat = deg[..., :, None] * a_hat * deg[..., None, :]
        h = x
        for w in params[:-2]:
            h = torch.relu(a_hat @ _node_linear(h, w))
        pooled = (h * mask[..., None]).sum(2) / mask.sum(2, keepdim=True).clamp_min(1.0)
        return self._head(pooled, params)


@register_predictor("gin")
class GINPredictor(_GraphEnsemble):
    """Ensemble of graph isomorphism networks; arguments as in :class:`_GraphEnsemble`."""

    def _init_params(self, inputs: tuple, gen: Any) -> list:
        torch = _torch()
        params: list = []
        sizes = [N_NODE_LABELS] + [self.hidden] * self.layers
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            params.extend(ensemble_linear(self.k, n_in, n_out, gen))
            params.extend(ensemble_linear(self.k, n_out, n_out, gen))
            params.append(torch.zeros(self.k, 1, 1, 1, requires_grad=True))  # eps
        params.extend(ensemble_linear(self.k, self.hidden, 1, gen))
        return params

    def _forward(self, params: list, inputs: tuple) -> Any:
        torch = _torch()
        x, adj, mask = inputs
        h = x
        for i in range(0, len(params) - 2, 5):
            w1, b1, w2, b2, eps = params[i : i + 5]
            agg = (1.0 + eps) * h + adj @ h
            agg = torch.relu(_node_linear(agg, w1, b1))
            h = torch.relu(_node_linear(agg, w2, b2)) * mask[..., None]
        pooled = h.sum(2)
        return self._head(pooled, params)
