"""Data-free proxies: synflow and logsynflow (Tanaka et al. 2020; Abdelfattah et al. 2021; Cavagnero
et al. 2022), and the network's size: params and flops.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from nasbench_lab.proxies.base import LossFn, Proxy, finite_or_nan, register_proxy, weight_layers


def _synflow_grads(net: nn.Module, input_shape: tuple[int, ...]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(|w|, dR/d|w|)`` of every conv/linear layer, with ``R`` the summed output of an all-ones input.

    Works on a float64 copy of ``net`` whose batch norms are neutralised (eval mode, mean 0, variance
    1, scale 1, shift 0, eps 0: the identity) and whose parameters are replaced by their absolute
    values; ``net`` itself is left untouched.
    """
    model = copy.deepcopy(net).double().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eps = 0.0
                if m.running_mean is not None and m.running_var is not None:
                    m.running_mean.zero_()
                    m.running_var.fill_(1.0)
                if m.affine:
                    m.weight.fill_(1.0)
                    m.bias.zero_()
        for p in model.parameters():
            p.abs_()
    ones = torch.ones((1, *input_shape[1:]), dtype=torch.float64)
    model.zero_grad(set_to_none=True)
    model(ones).sum().backward()
    out = []
    for layer in weight_layers(model):
        w = layer.weight
        g = w.grad if w.grad is not None else torch.zeros_like(w)
        out.append((w.detach(), g.detach()))
    return out


@register_proxy("synflow")
class Synflow(Proxy):
    """Synaptic flow: ``sum |w| * dR/d|w|`` over conv/linear weights (see :func:`_synflow_grads`)."""

    needs_data = False

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        return finite_or_nan(sum(float((w * g).sum()) for w, g in _synflow_grads(net, tuple(x.shape))))


@register_proxy("logsynflow")
class LogSynflow(Proxy):
    """FreeREA's log-synflow: ``sum |w| * log(1 + dR/d|w|)``, which tames the gradients' dynamic range."""

    needs_data = False

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        return finite_or_nan(sum(float((w * torch.log1p(g)).sum()) for w, g in _synflow_grads(net, tuple(x.shape))))


@register_proxy("params")
class Params(Proxy):
    """Number of parameters in millions (batch-norm parameters included, as NB201 counts)."""

    needs_data = False

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        return sum(p.numel() for p in net.parameters()) / 1e6


@register_proxy("flops")
class Flops(Proxy):
    """Multiply-accumulates of the conv and linear layers for one input, in millions (NB201's FLOPs).

    Counted by running one sample of the minibatch's shape through the network with hooks.
    """

    needs_data = False

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        total = [0]

        def count(module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            if isinstance(module, nn.Conv2d):
                per_out = module.in_channels // module.groups * math.prod(module.kernel_size)
                total[0] += output[0].numel() * per_out
            elif isinstance(module, nn.Linear):  # NB201's counter charges the linear bias as well
                total[0] += module.in_features * module.out_features + (module.out_features if module.bias is not None else 0)

        hooks = [layer.register_forward_hook(count) for layer in weight_layers(net)]
        was_training = net.training
        try:
            net.eval()
            with torch.no_grad():
                net(x[:1])
        finally:
            net.train(was_training)
            for hook in hooks:
                hook.remove()
        return total[0] / 1e6
