"""Tests of nasbench_lab/oneshot/searchers/gdas.py: one op per edge, straight-through weights, temperature."""

from __future__ import annotations

from collections import Counter

import torch

from nasbench_lab.oneshot.base import searcher_class
from nasbench_lab.oneshot.searchers.gdas import GdasParams, gumbel_hard
from nasbench_lab.oneshot.supernet import SearchCell, one_hot


def _count_op_calls(net: torch.nn.Module) -> Counter:
    calls: Counter = Counter()
    cells = [m for m in net.cells if isinstance(m, SearchCell)]
    for c, cell in enumerate(cells):
        for e, mixed in enumerate(cell.edges):
            for k, op in enumerate(mixed.ops):
                op.register_forward_hook(lambda m, i, o, key=(c, e, k): calls.update([key]))
    return calls


def test_gumbel_hard_is_one_hot_in_value_with_a_gradient_for_alpha() -> None:
    alpha = torch.randn(6, 5, requires_grad=True)
    weights, active = gumbel_hard(alpha, 1.0, torch.Generator().manual_seed(0))
    torch.testing.assert_close(weights.detach(), one_hot(active))
    (weights * torch.arange(5.0)).sum().backward()
    assert alpha.grad is not None and alpha.grad.abs().sum() > 0


def test_gdas_forward_runs_exactly_one_op_per_edge(make_ctx) -> None:
    ctx = make_ctx()
    calls = _count_op_calls(ctx.net)
    alpha = torch.zeros(6, 5)
    alpha[:, 0] = -20.0  # no `none`: a path of zeros (a dead cell) rightly gives alpha no gradient
    alpha.requires_grad_(True)
    weights, active = gumbel_hard(alpha, 1.0, torch.Generator().manual_seed(1))
    ctx.loss(ctx.valid_batch(), weights, active).backward()
    n_cells = 3
    assert sorted(calls) == sorted((c, e, active[e]) for c in range(n_cells) for e in range(6))
    assert set(calls.values()) == {1}
    assert alpha.grad is not None and alpha.grad.abs().sum() > 0


def test_a_gdas_epoch_runs_one_op_per_edge_in_every_forward(make_ctx) -> None:
    ctx = make_ctx()
    searcher = searcher_class("gdas")(ctx, GdasParams())
    calls = _count_op_calls(ctx.net)
    searcher.search_epoch(0)
    forwards = 2 * ctx.steps_per_epoch  # a weight step and an alpha step per batch
    per_edge = Counter()
    for (c, e, _k), n in calls.items():
        per_edge[(c, e)] += n
    assert set(per_edge.values()) == {forwards} and len(per_edge) == 3 * 6


def test_temperature_falls_linearly_from_tau_max_to_tau_min(make_ctx) -> None:
    ctx = make_ctx(epochs=5)
    searcher = searcher_class("gdas")(ctx, GdasParams(tau_max=10.0, tau_min=0.2))
    taus = [searcher.temperature(e) for e in range(5)]
    assert taus[0] == 10.0 and abs(taus[-1] - 0.2) < 1e-12
    assert all(abs((a - b) - (10.0 - 0.2) / 4) < 1e-9 for a, b in zip(taus, taus[1:]))
