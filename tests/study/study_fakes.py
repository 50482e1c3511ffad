"""Strategies and specs made for the study tests."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.config import Config, setting
from nasbench_lab.search.base import Observation, Proposal, Strategy
from nasbench_lab.search.common import ConfiguredStrategy
from nasbench_lab.study.spec import BudgetSpec, StrategySpec, StudySpec


class Scripted(Strategy):
    """Proposes a fixed list of (arch, epochs), records what it is told."""

    script: list[tuple[int, int | None]] = []

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, max_epochs=kwargs.get("max_epochs", 1), proxy_oracle=kwargs.get("proxy_oracle"))
        self.told: list[tuple[Proposal, Observation]] = []
        self.step = 0

    def ask(self) -> Proposal:
        arch, epochs = self.script[self.step % len(self.script)]
        self.step += 1
        return Proposal(arch, epochs)

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        self.told.append((proposal, observation))


@dataclass(frozen=True)
class KnobsParams(Config):
    population: int = setting(10, low=2)
    mode: str = setting("a", choices=("a", "b"))


class Knobs(ConfiguredStrategy):
    """A strategy with declared parameters, for the spec checks."""

    Params = KnobsParams

    def ask(self) -> Proposal:
        return Proposal(int(self.rng.integers(15625)))

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        pass


class ProxyUser(Scripted):
    uses_proxies = True

def make_spec(bench_path: Path, **changes: Any) -> StudySpec:
    base = StudySpec(
        name="t", dataset="digits", benchmark=str(bench_path), budget=BudgetSpec(queries=12),
        strategies=(StrategySpec("random", "random"), StrategySpec("evolution", "REA", {"population": 4, "sample_size": 2})),
        seeds=(0, 1),
    )
    return dataclasses.replace(base, **changes)

