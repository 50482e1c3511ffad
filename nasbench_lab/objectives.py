"""What a search optimises: metric directions, objectives, constraints and scalarisations.

This module is the one place that knows whether a metric is maximised or minimised. Accuracies are
maximised; losses, times and cost figures (params, FLOPs, latency, and per-arch metrics imported from
device tables such as energy) are minimised. Everything study-facing (the simulator, regret, summaries,
``Benchmark.best``, predictors, ``proxies evaluate``) reads directions from here.

Code that compares values works in *oriented* units: ``sign(direction) * value``, so that larger is
always better (a minimised metric is negated). Strategies only ever see oriented values.

A cost metric alone is a nonsensical search objective (the smallest network wins): an
:class:`Objective` on one needs an explicit ``direction``, see :func:`check_objectives`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nasbench_lab.benchmark.schema import ARCH_METRICS, CURVE_METRICS, RUN_METRICS
from nasbench_lab.config import Config, setting
from nasbench_lab.errors import ConfigError

MAX = "max"
MIN = "min"
DIRECTION_CHOICES: tuple[str, ...] = (MAX, MIN)

ACCURACY_METRICS: tuple[str, ...] = tuple(m for m in CURVE_METRICS if m.endswith("_acc"))
LOSS_METRICS: tuple[str, ...] = tuple(m for m in CURVE_METRICS if m.endswith("_loss"))
# Metrics that measure how good a network is; the rest measure what it costs.
PERFORMANCE_METRICS: tuple[str, ...] = ACCURACY_METRICS + LOSS_METRICS
COST_METRICS: tuple[str, ...] = ("train_time", *RUN_METRICS, *ARCH_METRICS)

DIRECTIONS: dict[str, str] = {
    **{m: MAX for m in ACCURACY_METRICS},
    **{m: MIN for m in LOSS_METRICS},
    **{m: MIN for m in COST_METRICS},
}
# Per-arch metrics of imported device tables (HW-NAS-Bench style) are costs unless their name says otherwise.
IMPORTED_COST_HINTS: tuple[str, ...] = ("latency", "energy", "time", "params", "flops", "memory", "power")


def direction(metric: str) -> str:
    """The default direction of ``metric``: ``"max"`` or ``"min"``.

    Args:
        metric: a benchmark metric (``schema.METRICS``) or an imported per-arch metric whose name
            contains a cost word (``latency``, ``energy``, ``time``, ...).

    Raises:
        ConfigError: a metric whose direction is unknown; the message says how to give it.
    """
    if metric in DIRECTIONS:
        return DIRECTIONS[metric]
    if any(hint in metric.lower() for hint in IMPORTED_COST_HINTS):
        return MIN
    raise ConfigError(f"the direction of metric {metric!r} is unknown: give it explicitly (direction = \"max\" or \"min\")")


# What a study reports besides benchmark metrics ("reported" is the generic label of older callers).
SUMMARY_DIRECTIONS: dict[str, str] = {"hypervolume": MAX, "weighted sum": MAX, "reported": MAX}


def reported_sign(metric: str) -> float:
    """``+1.0``/``-1.0`` for a study's reported metric (a benchmark metric, ``hypervolume`` or
    ``weighted sum``): regret is ``sign * (best - reported)``, so it is never negative."""
    return sign(SUMMARY_DIRECTIONS.get(metric) or direction(metric))


def is_maximised(metric: str) -> bool:
    """Whether larger values of ``metric`` are better (see :func:`direction`)."""
    return direction(metric) == MAX


def is_cost(metric: str) -> bool:
    """Whether ``metric`` measures a cost rather than how good a network is."""
    return metric not in PERFORMANCE_METRICS


def sign(direction_: str) -> float:
    """``+1.0`` for ``"max"``, ``-1.0`` for ``"min"``: multiplying by it makes larger better.

    Raises:
        ConfigError: not a direction.
    """
    if direction_ == MAX:
        return 1.0
    if direction_ == MIN:
        return -1.0
    raise ConfigError(f"direction must be \"max\" or \"min\", got {direction_!r}")


def oriented(values: np.ndarray, direction_: str) -> np.ndarray:
    """``values`` in larger-is-better units (negated for a minimised metric), same shape, float64."""
    return sign(direction_) * np.asarray(values, dtype=np.float64)


def _check_names(config: Config, names: tuple[str, ...]) -> None:
    """Refuse an empty string in the fields ``names`` of ``config`` (their types are already checked)."""
    for name in names:
        if getattr(config, name) == "":
            raise ConfigError(f"{name}: must be a non-empty string")


@dataclass(frozen=True)
class Objective(Config):
    """One objective of a study: a metric of one (dataset, recipe), optimised in one direction.

    Attributes:
        metric: a curve metric (final column), ``params``/``flops``/``latency``, or an imported
            per-arch metric.
        direction: ``"max"`` or ``"min"``; ``None`` means the metric's default (:func:`direction`).
        dataset: dataset key (``None``: the study's dataset).
        recipe: recipe name (``None``: the study's recipe for its dataset, else the only one).

    Raises:
        ConfigError: a bad field; the message starts with the field name.
    """

    metric: str = setting(doc="the metric optimised")
    direction: str | None = setting(None, choices=DIRECTION_CHOICES, doc="default: the metric's own")
    dataset: str | None = setting(None, doc="default: the study's dataset")
    recipe: str | None = setting(None, doc="default: the study's recipe for that dataset, else its only one")

    def check(self) -> None:
        """A non-empty metric whose direction is known or given."""
        _check_names(self, ("metric", "dataset", "recipe"))
        if self.direction is None:
            try:
                direction(self.metric)
            except ConfigError as exc:
                raise ConfigError(f"direction: {exc}") from None

    @property
    def resolved_direction(self) -> str:
        """The explicit direction, else the metric's default."""
        return self.direction if self.direction is not None else direction(self.metric)

    @property
    def sign(self) -> float:
        """``+1.0`` when maximised, ``-1.0`` when minimised."""
        return sign(self.resolved_direction)

    @property
    def label(self) -> str:
        """A short name for tables and plot axes, e.g. ``valid_acc (max)``."""
        where = f"{self.dataset}:" if self.dataset else ""
        return f"{where}{self.metric} ({self.resolved_direction})"


def check_objectives(objectives: Sequence[Objective], key: str = "objectives") -> None:
    """Refuse objective lists that make no sense.

    Rules: at least one objective; no (metric, dataset, recipe) twice; a single objective that is a
    cost metric (e.g. ``train_time`` alone, whose optimum is the empty network) needs an explicit
    ``direction``.

    Raises:
        ConfigError: naming ``key[i]``.
    """
    if not objectives:
        raise ConfigError(f"{key} must list at least one objective ([[{key}]] metric = ...)")
    seen: set[tuple[str, str | None, str | None]] = set()
    for i, obj in enumerate(objectives):
        ident = (obj.metric, obj.dataset, obj.recipe)
        if ident in seen:
            raise ConfigError(f"{key}[{i}] repeats objective {obj.metric!r}; list each metric once")
        seen.add(ident)
    only = objectives[0]
    if len(objectives) == 1 and is_cost(only.metric) and only.direction is None:
        raise ConfigError(
            f"{key}[0]: {only.metric!r} alone is a cost, not a measure of quality (its optimum is the cheapest "
            f"network): add a quality objective such as valid_acc, or set {key}[0].direction explicitly"
        )


@dataclass(frozen=True)
class Constraint(Config):
    """A feasibility constraint on one metric: ``min <= value <= max`` (either bound may be absent).

    Attributes:
        metric: any metric an :class:`Objective` accepts.
        max: largest feasible value (inclusive).
        min: smallest feasible value (inclusive).
        dataset: dataset key (``None``: the study's dataset).
        recipe: recipe name (``None``: as for objectives).

    Raises:
        ConfigError: no bound, a non-finite bound, or ``min > max``.
    """

    metric: str = setting(doc="the metric constrained")
    max: float | None = setting(None, doc="largest feasible value")
    min: float | None = setting(None, doc="smallest feasible value")
    dataset: str | None = setting(None, doc="default: the study's dataset")
    recipe: str | None = setting(None, doc="default: as for objectives")

    def check(self) -> None:
        """At least one bound, and ``min <= max``."""
        _check_names(self, ("metric", "dataset", "recipe"))
        if self.max is None and self.min is None:
            raise ConfigError(f"max: a constraint on {self.metric!r} needs max and/or min (e.g. max = 0.8)")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ConfigError(f"min: {self.min:g} must be <= max ({self.max:g}): nothing would be feasible")

    def slack(self, values: np.ndarray) -> np.ndarray:
        """How far inside the bounds each value is, same shape: ``>= 0`` feasible, ``< 0`` violated, NaN unknown."""
        values = np.asarray(values, dtype=np.float64)
        out = np.full(values.shape, np.inf)
        if self.max is not None:
            out = np.minimum(out, self.max - values)
        if self.min is not None:
            out = np.minimum(out, values - self.min)
        return np.where(np.isnan(values), np.nan, out)

    def __str__(self) -> str:
        if self.max is not None and self.min is not None:
            return f"{self.min:g} <= {self.metric} <= {self.max:g}"
        return f"{self.metric} <= {self.max:g}" if self.max is not None else f"{self.metric} >= {self.min:g}"


def feasible(slack: np.ndarray) -> np.ndarray:
    """Feasibility from constraint slacks of shape ``(..., n_constraints)``: all finite and ``>= 0``, shape ``(...)``."""
    slack = np.asarray(slack, dtype=np.float64)
    return np.all(np.isfinite(slack) & (slack >= 0), axis=-1)


@dataclass(frozen=True)
class Scalarisation(Config):
    """A weighted sum of oriented objectives, for single-objective strategies.

    ``value = sum_i weights[i] * sign_i * metric_i``: with objectives ``valid_acc`` (max) and
    ``flops`` (min) and weights ``[1, lam]`` this is ``valid_acc - lam * flops``.

    Attributes:
        weights: one non-negative weight per objective, not all zero.

    Raises:
        ConfigError: a negative, non-finite or all-zero weight.
    """

    weights: tuple[float, ...] = setting(doc="one weight >= 0 per objective, not all zero")

    def check(self) -> None:
        """Non-empty, non-negative, not all zero."""
        if not self.weights:
            raise ConfigError("weights: must list one number per objective, got none")
        if any(w < 0 for w in self.weights):
            raise ConfigError(f"weights: must be >= 0 (directions handle the sign), got {list(self.weights)}")
        if not any(self.weights):
            raise ConfigError("weights: must not all be zero")

    def apply(self, oriented_values: np.ndarray) -> np.ndarray:
        """Scalarise oriented values of shape ``(..., n_objectives)`` into shape ``(...)`` (larger is better).

        Raises:
            ConfigError: the last axis does not have one entry per weight.
        """
        values = np.asarray(oriented_values, dtype=np.float64)
        if values.shape[-1] != len(self.weights):
            raise ConfigError(f"{len(self.weights)} weights for {values.shape[-1]} objectives: give one weight per objective")
        return values @ np.asarray(self.weights)
