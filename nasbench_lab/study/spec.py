"""Study specs: the typed, self-validating description of a search study, read from TOML.

A study runs several search strategies, each with several seeds, against one tabular benchmark under
one budget. A spec file looks like this (every key but ``dataset``, ``budget`` and ``strategies`` is
optional)::

    name = "quickstart"
    benchmark = "nb201-digits.h5"  # relative to the spec file; default: the embedded benchmark
    dataset = "digits"
    recipe = "digits"              # default: the dataset's only recipe
    seeds = 10                     # a count (seeds 0..9) or a list of seed values
    seed = 0                       # root entropy of every unit's numpy SeedSequence

    [objective]                    # what the strategies see
    metric = "valid_acc"
    seed = "random"                # "random": one seed drawn per arch, as NB201 does; "mean": seed mean

    [reported]                     # what the study reports (never shown to strategies)
    metric = "test_acc"
    dataset = "digits"             # default: dataset
    recipe = "digits"              # default: recipe

    [budget]                       # queries and/or simulated seconds; the study stops at the first
    queries = 100
    seconds = 12000.0

    [proxy]                        # optional zero-cost proxy oracle, its time charged to the clock
    name = "synflow"
    charge = true

    [[strategies]]
    name = "evolution"             # a registered strategy
    label = "REA"                  # default: name; unique
    population = 10                # every other key is a parameter of the strategy

Cost-aware and multi-objective studies add ``[[objectives]]``, ``[[constraints]]`` and ``[scalarise]``
(:mod:`nasbench_lab.study.mo_spec`); metric directions come from :mod:`nasbench_lab.objectives`.

Every error is a :class:`~nasbench_lab.errors.ConfigError` naming the TOML key, e.g.
``strategies[2].population``. :func:`nasbench_lab.study.runner.run_study` runs a spec.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nasbench_lab.benchmark.schema import CURVE_METRICS
from nasbench_lab.config import Config, check_value, read_spec_file, setting
from nasbench_lab.errors import ConfigError
from nasbench_lab.objectives import DIRECTION_CHOICES, Objective, is_cost
from nasbench_lab.search.base import STRATEGIES, Strategy
from nasbench_lab.study.mo_spec import MO_KEYS, MultiObjectiveSpec, check_strategy_kinds, multi_from_dict

SEED_MODES: tuple[str, ...] = ("random", "mean")


# --------------------------------------------------------------------------- checks
def _check(key: str, value: Any, hint: Any, *, low: float | None = None) -> Any:
    """``value`` checked against ``hint`` by :func:`nasbench_lab.config.check_value`; strings must not be empty."""
    value = check_value(key, value, hint, low=low)
    if isinstance(value, str) and not value:
        raise ConfigError(f"{key}: must be a non-empty string")
    return value


def _table(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: must be a table, got {value!r}")
    return dict(value)


# --------------------------------------------------------------------------- sections
@dataclass(frozen=True)
class BudgetSpec(Config):
    """The budget of every unit: it stops at the first limit reached.

    Attributes:
        queries: number of queries (proposals answered, cached ones included).
        seconds: simulated seconds (training cost of every query plus charged proxy time). A query
            is made while the clock is below the limit and counts in full, as in NB201's protocol.

    Raises:
        ConfigError: neither limit given, or a limit out of range.
    """

    queries: int | None = setting(None, low=1, doc="queries per unit")
    seconds: float | None = setting(None, doc="simulated seconds per unit")

    def check(self) -> None:
        """At least one limit, and a positive time."""
        if self.queries is None and self.seconds is None:
            raise ConfigError("budget needs queries and/or seconds (e.g. [budget] queries = 100)")
        if self.seconds is not None and self.seconds <= 0:
            raise ConfigError(f"seconds: must be > 0, got {self.seconds!r}")


@dataclass(frozen=True)
class ObjectiveSpec(Config):
    """What strategies observe.

    Attributes:
        metric: a curve metric, e.g. ``valid_acc``; a loss is minimised (see :mod:`nasbench_lab.objectives`).
        seed: ``"random"``: each arch's run is one seed drawn from the unit's generator the first time
            the arch is queried (later fidelities continue that run), as NB201's API does;
            ``"mean"``: the mean over seeds.
        direction: ``"max"``/``"min"``; ``None``: the metric's own. A cost metric (``train_time``) alone
            is refused unless its direction is explicit.
    """

    metric: str = setting("valid_acc", choices=CURVE_METRICS)
    seed: str = setting("random", choices=SEED_MODES)
    direction: str | None = setting(None, choices=DIRECTION_CHOICES)

    def check(self) -> None:
        """A cost metric alone (its optimum is the cheapest network) needs an explicit direction."""
        if is_cost(self.metric) and self.direction is None:
            raise ConfigError(
                f"metric: {self.metric!r} alone is a cost, not a measure of quality (its optimum is the cheapest "
                "network): use a quality metric such as valid_acc, or set objective.direction explicitly"
            )

    @property
    def sign(self) -> float:
        """``+1.0`` if the metric is maximised, ``-1.0`` if minimised: strategies see ``sign * value``."""
        return Objective(self.metric, self.direction).sign


@dataclass(frozen=True)
class ReportedSpec(Config):
    """What the study reports for the incumbent (mean over seeds, last evaluation point).

    Attributes:
        metric: a curve metric, e.g. ``test_acc``.
        dataset: dataset key (default: the study's dataset). NB201's protocol searches on
            ``cifar10-valid`` and reports ``cifar10`` test accuracy.
        recipe: recipe name (default: the study's recipe if the datasets are the same, else the
            reported dataset's only recipe).
    """

    metric: str = setting("test_acc", choices=CURVE_METRICS)
    dataset: str | None = setting(None)
    recipe: str | None = setting(None)


@dataclass(frozen=True)
class ProxySpec(Config):
    """A zero-cost proxy oracle offered to strategies that use one.

    Attributes:
        name: proxy name as stored in the benchmark.
        charge: whether its compute time (``Benchmark.proxy_time``) is added to the simulated clock;
            each arch is charged once per unit.
    """

    name: str = setting(doc="the zero-cost proxy to offer")
    charge: bool = setting(True)


@dataclass(frozen=True)
class StrategySpec:
    """One strategy of the study.

    Attributes:
        name: registered strategy name.
        label: unique display label (default: ``name``).
        params: keyword parameters of the strategy's constructor.
    """

    name: str
    label: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StudySpec:
    """A whole study; see the module docstring for the TOML form.

    Attributes:
        name: study name (default: the spec file's stem).
        dataset: dataset key searched.
        budget: per-unit budget.
        strategies: the strategies compared, labels unique.
        benchmark: benchmark file (absolute path), ``None`` for the embedded default.
        recipe: recipe searched, ``None`` for the dataset's only recipe.
        objective: what strategies observe.
        reported: what the study reports.
        seeds: seed values (non-negative), one unit per (strategy, seed).
        seed: root entropy of the units' ``numpy.random.SeedSequence``.
        proxy: optional zero-cost proxy oracle.
        multi: ``[[objectives]]``, ``[[constraints]]`` and ``[scalarise]`` (see :mod:`nasbench_lab.study.mo_spec`).
    """

    name: str
    dataset: str
    budget: BudgetSpec
    strategies: tuple[StrategySpec, ...]
    benchmark: str | None = None
    recipe: str | None = None
    objective: ObjectiveSpec = ObjectiveSpec()
    reported: ReportedSpec = ReportedSpec()
    seeds: tuple[int, ...] = tuple(range(10))
    seed: int = 0
    proxy: ProxySpec | None = None
    multi: MultiObjectiveSpec | None = None

    def __post_init__(self) -> None:
        _check("name", self.name, str)
        _check("dataset", self.dataset, str)
        _check("seed", self.seed, int, low=0)
        if not self.seeds:
            raise ConfigError("seeds must name at least one seed")
        for i, s in enumerate(self.seeds):
            _check(f"seeds[{i}]", s, int, low=0)
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError("seeds must not repeat a seed value")
        if not self.strategies:
            raise ConfigError("strategies must list at least one strategy ([[strategies]] name = ...)")
        labels = [s.label for s in self.strategies]
        for i, label in enumerate(labels):
            if label in labels[:i]:
                raise ConfigError(f"strategies[{i}].label {label!r} is used twice; give each strategy a unique label")
        check_strategy_kinds(self.multi, [s.name for s in self.strategies],
                             [getattr(_known_strategy(s.name), "multi_objective", False) for s in self.strategies])

    @property
    def labels(self) -> list[str]:
        """Strategy labels in spec order."""
        return [s.label for s in self.strategies]

    def strategy(self, label: str) -> StrategySpec:
        """The strategy spec with ``label``."""
        for s in self.strategies:
            if s.label == label:
                return s
        raise ConfigError(f"no strategy labelled {label!r}; labels: {', '.join(self.labels)}")

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-serialisable data.

        Keys at their defaults that older specs lacked (``multi``, ``objective.direction``) are left out,
        so the fingerprint of a single-objective spec is what it was before they existed.
        """
        data = dataclasses.asdict(self)
        if data["multi"] is None:
            del data["multi"]
        if data["objective"]["direction"] is None:
            del data["objective"]["direction"]
        return data

    def fingerprint(self) -> str:
        """SHA-256 of everything that determines results except the benchmark's location."""
        data = self.to_dict()
        data.pop("benchmark")
        data.pop("name")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def with_benchmark(self, path: str | Path | None) -> StudySpec:
        """A copy reading ``path`` (absolute after resolution) instead of the spec's benchmark."""
        return dataclasses.replace(self, benchmark=None if path is None else str(Path(path).resolve()))


# --------------------------------------------------------------------------- strategies
def _known_strategy(name: str) -> type | None:
    """The strategy class registered as ``name``, or ``None`` (unknown names are refused where they are built)."""
    from nasbench_lab.search.base import STRATEGIES

    return STRATEGIES.get(name) if name in STRATEGIES else None


def strategy_class(name: str) -> type[Strategy]:
    """The strategy class registered as ``name`` (the registry imports every built-in strategy on first lookup).

    Raises:
        ConfigError: no strategy of that name; the message lists the registered ones.
    """
    return STRATEGIES.get(name)


def _strategy_spec(i: int, table: Any) -> StrategySpec:
    key = f"strategies[{i}]"
    table = _table(key, table)
    if "name" not in table:
        raise ConfigError(f"{key}.name is missing: name a registered strategy")
    name = _check(f"{key}.name", table.pop("name"), str)
    label = _check(f"{key}.label", table.pop("label", name), str)
    try:
        cls = strategy_class(name)
    except ConfigError as exc:
        raise ConfigError(f"{key}.name: {exc}") from None
    declared = getattr(cls, "Params", None)
    if declared is not None:  # strategies built on ConfiguredStrategy type their parameters
        params = declared.from_table(table, key_prefix=f"{key}.")
        table = {param: getattr(params, param) for param in table}  # as given, converted (int -> float ...)
    return StrategySpec(name=name, label=label, params=table)


def _seeds(value: Any) -> tuple[int, ...]:
    if isinstance(value, list):
        return tuple(value)
    count = _check("seeds", value, int, low=1)
    return tuple(range(count))


def spec_from_dict(data: Mapping[str, Any], *, name: str = "study", base_dir: Path | None = None) -> StudySpec:
    """Build a :class:`StudySpec` from parsed TOML.

    Args:
        data: the TOML document as a dict.
        name: study name used when the document has none.
        base_dir: folder that a relative ``benchmark`` path is relative to (default: the working dir).

    Raises:
        ConfigError: unknown key, wrong type or out-of-range value; the message names the key.
    """
    top = ("name", "benchmark", "dataset", "recipe", "seeds", "seed", "objective", "reported", "budget", "proxy",
           "strategies", *MO_KEYS)
    data = dict(data)
    unknown = sorted(set(data) - set(top))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key; valid keys: {', '.join(top)}")
    for key in ("dataset", "budget", "strategies"):
        if key not in data:
            raise ConfigError(f"{key} is missing from the spec")
    sections: dict[str, Any] = {}
    section_types: tuple[tuple[str, type[Config]], ...] = (
        ("objective", ObjectiveSpec), ("reported", ReportedSpec), ("budget", BudgetSpec), ("proxy", ProxySpec))
    for key, cls in section_types:
        if key in data:
            try:
                sections[key] = cls.from_table(_table(key, data[key]), key_prefix=f"{key}.")
            except ConfigError as exc:  # rules across fields name the section
                message = str(exc)
                raise ConfigError(message if message.startswith(f"{key}") else f"{key}: {message}") from None
    if not isinstance(data["strategies"], list):
        raise ConfigError("strategies must be an array of tables ([[strategies]])")
    benchmark = data.get("benchmark")
    if benchmark is not None:
        benchmark = str(((base_dir or Path.cwd()) / _check("benchmark", benchmark, str)).resolve())
    return StudySpec(
        name=_check("name", data.get("name", name), str),
        dataset=_check("dataset", data["dataset"], str),
        recipe=None if data.get("recipe") is None else _check("recipe", data["recipe"], str),
        benchmark=benchmark,
        seeds=_seeds(data.get("seeds", 10)),
        seed=data.get("seed", 0),
        strategies=tuple(_strategy_spec(i, t) for i, t in enumerate(data["strategies"])),
        multi=multi_from_dict(data),
        **sections,
    )


def load_spec(path: str | Path, *, benchmark: str | Path | None = None) -> StudySpec:
    """Read and validate a study spec file.

    Args:
        path: the TOML file.
        benchmark: optional override of the spec's benchmark path (relative to the working dir).

    Raises:
        ConfigError: unreadable TOML or an invalid spec.
    """
    path = Path(path)
    spec = read_spec_file(path, "study spec", lambda data: spec_from_dict(data, name=path.stem, base_dir=path.resolve().parent))
    return spec if benchmark is None else spec.with_benchmark(benchmark)
