"""One contract test over every registered search strategy (nasbench_lab/search/*).

Each strategy runs an ask/tell loop against a synthetic objective table (made-up numbers) with a
4-column learning curve and a synthetic zero-cost proxy, and must: propose integer archs in 0..15624,
ask for 1..max_epochs epochs, give the same proposals for the same seed, and never repeat a
(arch, epochs) proposal unless it declares ``proposes_repeats``.
"""

from __future__ import annotations

import numpy as np
import pytest

import nasbench_lab.search  # noqa: F401  (registers every strategy)
from nasbench_lab import space
from nasbench_lab.encodings import space_table
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import STRATEGIES, Observation, Proposal
from nasbench_lab.search.multiobjective import VectorObservation

MAX_EPOCHS = 4
N_QUERIES = 30
# Lighter model fitting keeps the whole contract run fast; the semantics are unchanged.
LIGHT = {
    "ehvi": {"pool_size": 32, "n_random": 8},
    "bananas": {"epochs": 30}, "npenas": {"epochs": 30}, "pnas": {"epochs": 30}, "zc_warmstart": {"pool_size": 200}}

_rng = np.random.default_rng(1234)
FINAL = space_table("onehot") @ _rng.normal(0, 1, 30) + _rng.normal(0, 0.3, space.N_ARCHS)
CURVES = FINAL[:, None] * (1 - 0.5 ** np.arange(1, MAX_EPOCHS + 1))[None, :]
PROXY = FINAL + _rng.normal(0, 1.0, space.N_ARCHS)


def proxy_oracle(indices: np.ndarray) -> np.ndarray:
    return PROXY[indices]


def build(name: str, seed: int):
    cls = STRATEGIES.get(name)
    return cls(np.random.default_rng(seed), max_epochs=MAX_EPOCHS, proxy_oracle=proxy_oracle, **LIGHT.get(name, {}))


def observe(name: str, arch: int, curve: np.ndarray, epochs: int) -> Observation:
    """A scalar observation, or for a multi-objective strategy the objective and a second, conflicting one."""
    if getattr(STRATEGIES.get(name), "multi_objective", False):
        return VectorObservation.of(np.array([curve[-1], -PROXY[arch]]), float(epochs), curve=curve)
    return Observation(float(curve[-1]), float(epochs), curve)


def run(name: str, seed: int, n: int = N_QUERIES) -> list[tuple[int, int | None]]:
    strategy = build(name, seed)
    out = []
    for _ in range(n):
        proposal = strategy.ask()
        assert isinstance(proposal, Proposal)
        epochs = MAX_EPOCHS if proposal.epochs is None else proposal.epochs
        curve = CURVES[proposal.arch, :epochs]
        strategy.tell(proposal, observe(name, proposal.arch, curve, epochs))
        out.append((proposal.arch, proposal.epochs))
    return out


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_strategy_contract(name: str) -> None:
    proposals = run(name, seed=0)
    for arch, epochs in proposals:
        assert isinstance(arch, int) and not isinstance(arch, bool)
        assert 0 <= arch < space.N_ARCHS
        assert epochs is None or (isinstance(epochs, int) and 1 <= epochs <= MAX_EPOCHS)
    assert run(name, seed=0) == proposals, "same seed must give the same proposals"
    assert run(name, seed=1) != proposals, "a different seed should explore differently"
    if not getattr(STRATEGIES.get(name), "proposes_repeats", False):
        assert len(set(proposals)) == len(proposals), "re-proposed an (arch, epochs) pair"


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_unknown_parameter_is_a_config_error_naming_it(name: str) -> None:
    with pytest.raises(ConfigError, match="no_such_knob"):
        STRATEGIES.get(name)(np.random.default_rng(0), max_epochs=MAX_EPOCHS, proxy_oracle=proxy_oracle, no_such_knob=1)


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_declares_proxy_use_truthfully(name: str) -> None:
    calls = []

    def counting_oracle(indices: np.ndarray) -> np.ndarray:
        calls.append(len(indices))
        return PROXY[indices]

    strategy = STRATEGIES.get(name)(np.random.default_rng(0), max_epochs=MAX_EPOCHS, proxy_oracle=counting_oracle, **LIGHT.get(name, {}))
    for _ in range(12):
        p = strategy.ask()
        e = MAX_EPOCHS if p.epochs is None else p.epochs
        strategy.tell(p, observe(name, p.arch, CURVES[p.arch, :e], e))
    assert bool(calls) == STRATEGIES.get(name).uses_proxies
