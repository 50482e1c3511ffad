"""Proxies computed from the loss gradient of one minibatch (Abdelfattah et al. 2021, and the set of
NAS-Bench-Suite-Zero): grad_norm, snip, grasp, fisher, plain, and the weight-only l2_norm.

Every score is a sum over the network's conv and linear layers (:func:`~.base.weight_layers`).
"""

from __future__ import annotations

import torch
from torch import nn

from nasbench_lab.proxies.base import LossFn, Proxy, finite_or_nan, grads_of, register_proxy, weight_layers


@register_proxy("grad_norm")
class GradNorm(Proxy):
    """Sum over layers of the Euclidean norm of the loss gradient w.r.t. the layer's weight."""

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        return finite_or_nan(sum(float(g.norm()) for _, g in grads_of(net, x, y, loss_fn)))


@register_proxy("snip")
class Snip(Proxy):
    """SNIP saliency (Lee et al. 2019): sum of ``|w * dL/dw|`` over all weights."""

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        return finite_or_nan(sum(float((w * g).abs().sum()) for w, g in grads_of(net, x, y, loss_fn)))


@register_proxy("plain")
class Plain(Proxy):
    """Sum of ``w * dL/dw`` over all weights (signed; the "plain" proxy of NAS-Bench-Suite-Zero)."""

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        return finite_or_nan(sum(float((w * g).sum()) for w, g in grads_of(net, x, y, loss_fn)))


@register_proxy("l2_norm")
class L2Norm(Proxy):
    """Sum over layers of the Euclidean norm of the weight (uses no data)."""

    needs_data = False

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        return finite_or_nan(sum(float(layer.weight.detach().norm()) for layer in weight_layers(net)))


@register_proxy("grasp")
class Grasp(Proxy):
    """GraSP (Wang et al. 2020): sum of ``-w * (H g)``, with ``g`` the loss gradient and ``H`` the Hessian.

    ``H g`` is a Hessian-vector product: differentiate ``g_detached . dL/dw`` (built with a graph) once
    more. Layers behind ``none`` edges have no gradient and contribute zero.
    """

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        weights = [layer.weight for layer in weight_layers(net)]
        net.zero_grad(set_to_none=True)
        first = torch.autograd.grad(loss_fn(net(x), y), weights, allow_unused=True)
        second = torch.autograd.grad(loss_fn(net(x), y), weights, create_graph=True, allow_unused=True)
        pairs = [(i, g1.detach(), g2) for i, (g1, g2) in enumerate(zip(first, second)) if g1 is not None and g2 is not None]
        if not pairs:
            return 0.0
        z = torch.stack([(g1 * g2).sum() for _, g1, g2 in pairs]).sum()
        hg = torch.autograd.grad(z, [weights[i] for i, _, _ in pairs], allow_unused=True)
        total = 0.0
        for (i, _, _), h in zip(pairs, hg):
            if h is not None:
                total += float((-weights[i].detach() * h).sum())
        return finite_or_nan(total)


@register_proxy("fisher")
class Fisher(Proxy):
    """Fisher information of the activations (Theis et al. 2018; Turner et al. 2020).

    For the output ``a`` of every conv/linear layer and its loss gradient ``g``: per channel,
    ``0.5 * mean_over_batch((sum_over_positions a * g) ** 2)``, summed over channels and layers.
    """

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        acts: list[torch.Tensor] = []

        def keep(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            if output.requires_grad:
                output.retain_grad()
                acts.append(output)

        hooks = [layer.register_forward_hook(keep) for layer in weight_layers(net)]
        try:
            net.zero_grad(set_to_none=True)
            loss_fn(net(x), y).backward()
        finally:
            for hook in hooks:
                hook.remove()
        total = 0.0
        for a in acts:
            if a.grad is None:
                continue
            prod = (a * a.grad).detach()
            per_channel = prod.sum(dim=(2, 3)) if prod.dim() == 4 else prod
            total += float(0.5 * per_channel.pow(2).mean(dim=0).sum())
        net.zero_grad(set_to_none=True)
        return finite_or_nan(total)
