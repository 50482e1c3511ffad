"""Proxies computed from input Jacobians or activation patterns of one minibatch: jacob_cov, nwot,
epe_nas (Jacobian/activation statistics) and zen (Zen-NAS expressivity).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from nasbench_lab.proxies.base import LossFn, Proxy, finite_or_nan, register_proxy

_EPS = 1e-5  # the small constant Mellor et al. and Lopes et al. add inside logs


def input_jacobians(net: nn.Module, x: torch.Tensor) -> np.ndarray:
    """Gradient of the summed network output w.r.t. each input, flattened: shape ``(B, C*H*W)``.

    Samples do not interact in train-mode BN only through batch statistics, which the original
    proxies accept; this is the Jacobian the NASWOT v1 and EPE-NAS papers use.
    """
    x = x.detach().clone().requires_grad_(True)
    net.zero_grad(set_to_none=True)
    out = net(x)
    out.backward(torch.ones_like(out))
    assert x.grad is not None  # x requires grad and the output depends on it
    jac = x.grad.detach().reshape(x.shape[0], -1).double().cpu().numpy()
    net.zero_grad(set_to_none=True)
    return jac


def _corrcoef(rows: np.ndarray) -> np.ndarray | None:
    """Row correlation matrix, or None when a row is constant (correlation undefined)."""
    if rows.shape[0] < 2:
        return None
    centred = rows - rows.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1)
    if np.any(norms == 0):
        return None
    unit = centred / norms[:, None]
    return np.clip(unit @ unit.T, -1.0, 1.0)


@register_proxy("jacob_cov")
class JacobCov(Proxy):
    """Jacobian covariance (Mellor et al. 2020, v1): ``-sum(log(l + k) + 1/(l + k))`` over the
    eigenvalues ``l`` of the correlation matrix of the per-sample input Jacobians. NaN when a
    Jacobian is constant (correlation undefined)."""

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        corr = _corrcoef(input_jacobians(net, x))
        if corr is None:
            return float("nan")
        eig = np.clip(np.linalg.eigvalsh(corr), 0.0, None)
        return finite_or_nan(-np.sum(np.log(eig + _EPS) + 1.0 / (eig + _EPS)))


@register_proxy("epe_nas")
class EpeNas(Proxy):
    """EPE-NAS (Lopes et al. 2021): per class ``c``, ``E_c = sum_ij log(|R_c[i, j]| + k)`` over the
    correlation matrix ``R_c`` of the Jacobians of that class's samples; score ``sum_c |E_c|``.
    Classes with fewer than two samples in the batch contribute nothing; NaN when a Jacobian is constant.
    """

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        jac = input_jacobians(net, x)
        labels = y.detach().cpu().numpy()
        total = 0.0
        for c in np.unique(labels):
            rows = jac[labels == c]
            if rows.shape[0] < 2:
                continue
            corr = _corrcoef(rows)
            if corr is None:
                return float("nan")
            total += abs(float(np.sum(np.log(np.abs(corr) + _EPS))))
        return finite_or_nan(total)


@register_proxy("nwot")
class Nwot(Proxy):
    """NASWOT (Mellor et al. 2021): ``log|det K|`` where ``K[i, j]`` counts the ReLUs on which samples
    ``i`` and ``j`` agree (both active or both inactive), over every ReLU of the network."""

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        n = x.shape[0]
        kernel = torch.zeros(n, n, dtype=torch.float64)

        def count(_module: nn.Module, inputs: tuple) -> None:
            codes = (inputs[0].detach().reshape(n, -1) > 0).double()
            kernel.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)

        hooks = [m.register_forward_pre_hook(count) for m in net.modules() if isinstance(m, nn.ReLU)]
        try:
            with torch.no_grad():
                net(x)
        finally:
            for hook in hooks:
                hook.remove()
        sign, logdet = torch.linalg.slogdet(kernel)
        return finite_or_nan(float(logdet)) if float(sign) != 0 else float("nan")


@register_proxy("zen")
class Zen(Proxy):
    """Zen-score (Lin et al. 2021), on a copy of the network re-initialised with N(0, 1) weights.

    ``log(mean_b ||f(x) - f(x + a e)||_1) + sum_BN log(sqrt(mean_channel batch variance))`` with ``f``
    the feature map entering the global average pool, ``x, e ~ N(0, 1)``, ``a = 0.01``, and the BN
    variances those of the BN layers' inputs on ``x`` (train mode). Needs an ``nn.AdaptiveAvgPool2d``
    (the network's global pool); the minibatch is used only for its shape.

    A BN layer whose input is identically zero (its conv sits behind ``none`` edges only, e.g. a conv
    out of a node that receives nothing) outputs zeros whatever happens: it is functionally a ``none``
    edge, so it is left out of the sum, as it is absent from the pruned, equivalent network. Counting
    it would add log(0) and leave the score undefined for 954 of the first 6,784 archs scored on digits.
    """

    needs_data = False
    definition = "v2: BN layers with identically zero input (dead paths) are left out of the BN sum"
    mixup = 0.01

    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        model = copy.deepcopy(net).train()
        gen = torch.Generator(device="cpu").manual_seed(0)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    m.weight.copy_(torch.randn(m.weight.shape, generator=gen))
                    if m.bias is not None:
                        m.bias.zero_()
                elif isinstance(m, nn.BatchNorm2d) and m.affine:
                    m.weight.fill_(1.0)
                    m.bias.zero_()
        pools = [m for m in model.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
        if not pools:
            raise ValueError("zen needs the network's global pool (nn.AdaptiveAvgPool2d)")
        feats: list[torch.Tensor] = []
        bn_vars: list[float] = []
        hooks = [pools[-1].register_forward_pre_hook(lambda _m, inp: feats.append(inp[0]))]
        hooks += [
            m.register_forward_pre_hook(lambda _m, inp: bn_vars.append(float(inp[0].var(dim=(0, 2, 3), unbiased=False).mean())))
            for m in model.modules()
            if isinstance(m, nn.BatchNorm2d)
        ]
        shape = x.shape
        inputs = torch.randn(shape, generator=gen, dtype=x.dtype)
        noise = torch.randn(shape, generator=gen, dtype=x.dtype)
        try:
            with torch.no_grad():
                model(inputs)
                n_bn = len(bn_vars)
                model(inputs + self.mixup * noise)
        finally:
            for hook in hooks:
                hook.remove()
        delta = float((feats[0] - feats[1]).abs().sum(dim=(1, 2, 3)).mean())
        live = [v for v in bn_vars[:n_bn] if v > 0]  # v == 0 exactly: a dead-path BN (see the class doc)
        if delta <= 0 or not live:
            return float("nan")
        return finite_or_nan(np.log(delta) + sum(0.5 * np.log(v) for v in live))
