"""Proxy definitions checked by hand on small networks whose scores have closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from nasbench_lab.proxies import PROXIES
from nasbench_lab.proxies.activation import EpeNas, JacobCov, Nwot
from nasbench_lab.proxies.datafree import Flops, Params, Synflow
from nasbench_lab.proxies.gradient import Fisher, GradNorm, Grasp, L2Norm, Plain, Snip


def _linear_problem(seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(6, 3, bias=False))
    with torch.no_grad():
        net[1].weight.copy_(torch.randn(3, 6, generator=gen))
    x = torch.randn(5, 1, 2, 3, generator=gen)
    y = torch.tensor([0, 1, 2, 1, 0])
    return net, x, y


def _linear_grad(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed form: dL/dW = (softmax(Wx) - onehot(y))^T x / B for the mean cross-entropy."""
    w = net[1].weight.detach().numpy().astype(np.float64)
    xs = x.reshape(x.shape[0], -1).numpy().astype(np.float64)
    logits = xs @ w.T
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    err = p - np.eye(3)[y.numpy()]
    return w, (err.T @ xs) / xs.shape[0], err / xs.shape[0]


def test_gradient_proxies_match_closed_form() -> None:
    net, x, y = _linear_problem()
    w, g, _ = _linear_grad(net, x, y)
    assert GradNorm().score(net, x, y, F.cross_entropy) == pytest.approx(np.linalg.norm(g), rel=1e-5)
    assert Snip().score(net, x, y, F.cross_entropy) == pytest.approx(np.abs(w * g).sum(), rel=1e-5)
    assert Plain().score(net, x, y, F.cross_entropy) == pytest.approx((w * g).sum(), rel=1e-4, abs=1e-7)
    assert L2Norm().score(net, x, y, F.cross_entropy) == pytest.approx(np.linalg.norm(w), rel=1e-6)


def test_fisher_matches_closed_form() -> None:
    net, x, y = _linear_problem(1)
    w, _, dl_da = _linear_grad(net, x, y)
    a = x.reshape(5, -1).numpy() @ w.T
    expected = 0.5 * ((a * dl_da) ** 2).mean(axis=0).sum()
    assert Fisher().score(net, x, y, F.cross_entropy) == pytest.approx(expected, rel=1e-4)


def test_grasp_matches_functional_hvp() -> None:
    net, x, y = _linear_problem(2)
    w0 = net[1].weight.detach().clone()

    def loss_of(w: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(x.reshape(5, -1) @ w.T, y)

    w_req = w0.clone().requires_grad_(True)
    g = torch.autograd.grad(loss_of(w_req), w_req)[0]
    _, hg = torch.autograd.functional.hvp(loss_of, w0, g)
    expected = float((-w0 * hg).sum())
    assert Grasp().score(net, x, y, F.cross_entropy) == pytest.approx(expected, rel=1e-4, abs=1e-9)


def test_synflow_conservation_on_linear_chain() -> None:
    # For a chain of linear layers with non-negative weights, sum |w| dR/d|w| over one layer equals R
    # (synaptic flow is conserved layer by layer), so two layers score exactly 2R.
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3, bias=False), nn.Linear(3, 2, bias=False))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0, -2, 0, 1], [0, 1, 1, -1], [2, 0, 1, 0]]))
        net[2].weight.copy_(torch.tensor([[1.0, 1, -1], [0.5, 0, 2]]))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    r = np.ones(2) @ np.abs(net[2].weight.detach().numpy()) @ np.abs(net[1].weight.detach().numpy()) @ np.ones(4)
    x = torch.randn(7, 1, 2, 2)
    assert Synflow().score(net, x, torch.zeros(7, dtype=torch.long), F.cross_entropy) == pytest.approx(2 * r)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items()), "synflow must not change the net"


def test_nwot_kernel_by_hand() -> None:
    net = nn.Sequential(nn.Flatten(), nn.ReLU())
    x = torch.tensor([[1.0, -1, 2], [1, 1, -1], [-1, -1, -1]]).reshape(3, 1, 1, 3)
    codes = (x.reshape(3, 3) > 0).double()
    k = codes @ codes.T + (1 - codes) @ (1 - codes).T  # agreements: [[3,1,1],[1,3,1],[1,1,3]]
    assert Nwot().score(net, x, torch.zeros(3, dtype=torch.long), F.cross_entropy) == pytest.approx(math.log(np.linalg.det(k.numpy())))
    assert np.linalg.det(k.numpy()) == pytest.approx(20.0)


def test_jacobian_proxies_on_linear_net() -> None:
    # A linear net has the same input Jacobian for every sample: the correlation matrix is all ones,
    # with eigenvalues B and 0 (B - 1 times).
    net, x, _ = _linear_problem(3)
    b, k = x.shape[0], 1e-5
    expected = -((math.log(b + k) + 1 / (b + k)) + (b - 1) * (math.log(k) + 1 / k))
    assert JacobCov().score(net, x, torch.zeros(b, dtype=torch.long), F.cross_entropy) == pytest.approx(expected, rel=1e-6)
    y = torch.tensor([0, 0, 1, 1, 1])
    expected_epe = 4 * math.log(1 + k) + 9 * math.log(1 + k)
    assert EpeNas().score(net, x, y, F.cross_entropy) == pytest.approx(expected_epe, rel=1e-6)


def test_jacob_cov_undefined_for_constant_network() -> None:
    net = nn.Sequential(nn.Flatten(), nn.Linear(6, 3))
    with torch.no_grad():
        net[1].weight.zero_()
    x = torch.randn(4, 1, 2, 3)
    assert math.isnan(JacobCov().score(net, x, torch.zeros(4, dtype=torch.long), F.cross_entropy))


def test_params_and_flops_of_small_convnet() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 8 * 8, 5))
    x = torch.randn(2, 3, 8, 8)
    assert Params().score(net, x, None, None) == pytest.approx((3 * 4 * 9 + 8 + 256 * 5 + 5) / 1e6)  # type: ignore[arg-type]
    assert Flops().score(net, x, None, None) == pytest.approx((8 * 8 * 4 * 3 * 9 + 256 * 5 + 5) / 1e6)  # type: ignore[arg-type]


def test_registry_holds_the_literature_set() -> None:
    expected = {"synflow", "logsynflow", "snip", "grasp", "fisher", "grad_norm", "jacob_cov", "nwot", "zen", "epe_nas",
                "l2_norm", "plain", "params", "flops"}
    assert set(PROXIES.names()) == expected
