"""Tests of nasbench_lab/oneshot/supernet.py: mixed ops, single paths, derivation of an arch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nasbench_lab.errors import ConfigError
from nasbench_lab.oneshot.supernet import ALPHA_SHAPE, MixedOp, Supernet, derive, one_hot
from nasbench_lab.space import N_ARCHS, NONE, OPS, Arch
from nasbench_lab.training.network import module_params

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, ALPHA_SHAPE, elements=finite))
def test_derive_takes_the_argmax_of_every_edge_none_included(alpha: np.ndarray) -> None:
    arch = derive(alpha)
    assert arch.ops == tuple(int(np.argmax(row)) for row in alpha)
    names = [n for n in str(arch).replace("+", "").split("|") if n]  # "op~src" per edge, official edge order
    assert [n.split("~")[0] for n in names] == [OPS[int(np.argmax(row))] for row in alpha]


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, ALPHA_SHAPE, elements=finite))
def test_derive_without_none_picks_the_best_other_op(alpha: np.ndarray) -> None:
    arch = derive(alpha, exclude_none=True)
    assert NONE not in arch.ops
    assert arch.ops == tuple(1 + int(np.argmax(row[1:])) for row in alpha)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, N_ARCHS - 1))
def test_one_hot_of_an_arch_derives_the_arch(index: int) -> None:
    arch = Arch.from_index(index)
    assert derive(one_hot(arch.ops)) == arch
    assert derive(torch.log_softmax(5 * one_hot(arch.ops), dim=-1)) == arch


def test_none_everywhere_is_the_arch_of_all_none() -> None:
    alpha = np.zeros(ALPHA_SHAPE)
    alpha[:, NONE] = 1.0
    arch = derive(alpha)
    assert arch.ops == (NONE,) * 6 and str(arch).count("none~") == 6
    assert arch == Arch.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_derive_refuses_a_bad_shape_or_value() -> None:
    with pytest.raises(ConfigError, match="finite"):
        derive(np.zeros((5, 6)))
    bad = np.zeros(ALPHA_SHAPE)
    bad[2, 3] = np.nan
    with pytest.raises(ConfigError, match="finite"):
        derive(bad)


def test_single_path_equals_the_mixture_with_one_hot_weights() -> None:
    torch.manual_seed(0)
    net = Supernet(4, 1, 1, 10).double()
    x = torch.randn(8, 1, 8, 8, dtype=torch.float64)
    for ops in [(3, 1, 4, 2, 0, 3), (1, 1, 1, 1, 1, 1), (0, 2, 3, 4, 1, 2)]:
        weights = one_hot(ops, like=x)
        torch.testing.assert_close(net(x, weights, ops), net(x, weights))


def test_mixed_op_sums_its_ops_with_their_weights() -> None:
    torch.manual_seed(1)
    mixed = MixedOp(3).double()
    x = torch.randn(4, 3, 6, 6, dtype=torch.float64)
    w = torch.softmax(torch.randn(5, dtype=torch.float64), 0)
    expected = sum(w[k] * mixed.ops[k](x) for k in range(5))
    torch.testing.assert_close(mixed(x, w), expected)
    torch.testing.assert_close(mixed(x, w, active=3), w[3] * mixed.ops[3](x))


def test_supernet_holds_every_op_and_no_running_statistics() -> None:
    net = Supernet(8, 1, 1, 10)
    assert not any(b is not None for _, b in net.named_buffers())
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(not m.track_running_stats for m in bns)
    # 3 cells x 6 edges, each with a 1x1 and a 3x3 ReLU-Conv-BN: more parameters than the all-conv3x3 network
    from nasbench_lab.training.network import build_network

    conv3 = build_network("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
                          C=8, N=1, in_channels=1)
    extra_1x1 = sum(6 * (c * c + 2 * c) for c in (8, 16, 32)) / 1e6
    assert module_params(net) == pytest.approx(module_params(conv3) + extra_1x1)


def test_supernet_refuses_bad_sizes() -> None:
    with pytest.raises(ConfigError, match="N must be an integer >= 1"):
        Supernet(8, 0, 1, 10)
