"""The multi-objective part of a study spec: ``[[objectives]]``, ``[[constraints]]``, ``[scalarise]``.

::

    [[objectives]]                 # what the study optimises (each: metric, direction, dataset, recipe)
    metric = "valid_acc"           # direction defaults to the metric's (objectives.direction)
    [[objectives]]
    metric = "params"

    [[constraints]]                # optional; only with multi-objective strategies
    metric = "latency"
    max = 0.02                     # and/or min

    [scalarise]                    # optional: one weighted sum for single-objective strategies
    weights = [1.0, 0.5]           # valid_acc - 0.5 * params

    reference_point = [0.0, 2.0]   # optional hypervolume reference, in metric units (default: from the table)

Without ``[scalarise]`` a study needs at least two objectives and only multi-objective strategies; with
it, only single-objective ones. ``[objective]`` then only sets ``seed``. Errors name the TOML key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nasbench_lab.config import Config, setting
from nasbench_lab.errors import ConfigError
from nasbench_lab.objectives import Constraint, Objective, Scalarisation, check_objectives

MO_KEYS: tuple[str, ...] = ("objectives", "constraints", "scalarise", "reference_point")


@dataclass(frozen=True)
class MultiObjectiveSpec(Config):
    """Objectives, constraints and an optional scalarisation of a study.

    Attributes:
        objectives: what is optimised, in order (the first is the trajectory's ``objective`` column).
        constraints: feasibility constraints (multi-objective strategies only).
        weights: ``[scalarise] weights``; ``None`` for a multi-objective study.
        reference_point: hypervolume reference point in metric units, one per objective; ``None``: the
            table's worst value of each objective minus 10 % of its range (recorded in the manifest).

    Raises:
        ConfigError: naming the TOML key.
    """

    objectives: tuple[Objective, ...] = setting(doc="[[objectives]]: what the study optimises")
    constraints: tuple[Constraint, ...] = setting((), doc="[[constraints]]: feasibility bounds")
    weights: tuple[float, ...] | None = setting(None, doc="[scalarise] weights: one weighted sum")
    reference_point: tuple[float, ...] | None = setting(None, doc="hypervolume reference point, metric units")

    def check(self) -> None:
        """The rules across keys: objective list, scalarisation against objectives and constraints."""
        check_objectives(self.objectives)
        if self.weights is not None:
            Scalarisation.from_table({"weights": self.weights}, key_prefix="scalarise.")
            if len(self.weights) != len(self.objectives):
                raise ConfigError(f"scalarise.weights has {len(self.weights)} weights for {len(self.objectives)} "
                                  "objectives: give one weight per objective")
            if self.constraints:
                raise ConfigError("constraints need multi-objective strategies (they are told feasibility): "
                                  "drop [scalarise] or the [[constraints]]")
        elif len(self.objectives) < 2:
            raise ConfigError("objectives lists one metric: add a second objective for a multi-objective study, "
                              "or use [objective] metric = ... for a single one")
        if self.reference_point is not None:
            if self.weights is not None:
                raise ConfigError("reference_point is for multi-objective studies; a scalarised study has no hypervolume")
            if len(self.reference_point) != len(self.objectives):
                raise ConfigError(f"reference_point needs {len(self.objectives)} numbers, one per objective")

    @property
    def multi_objective(self) -> bool:
        """Whether strategies see objective vectors (no ``[scalarise]``)."""
        return self.weights is None

    @property
    def scalarisation(self) -> Scalarisation | None:
        """The weighted sum of a scalarised study, else ``None``."""
        return None if self.weights is None else Scalarisation(self.weights)


def multi_from_dict(data: Mapping[str, Any]) -> MultiObjectiveSpec | None:
    """The :class:`MultiObjectiveSpec` of a parsed spec document, ``None`` if it has no ``[[objectives]]``.

    Raises:
        ConfigError: bad entries, or constraints / scalarise / reference_point without objectives.
    """
    if "objectives" not in data:
        stray = [k for k in MO_KEYS if k in data]
        if stray:
            raise ConfigError(f"{stray[0]} needs [[objectives]]: list the objectives it refers to")
        return None
    objective = data.get("objective", {})
    if isinstance(objective, Mapping) and set(objective) - {"seed"}:
        raise ConfigError("with [[objectives]], [objective] may only set seed; move metric/direction into [[objectives]]")
    weights = None
    if "scalarise" in data:
        weights = Scalarisation.from_table(data["scalarise"], key_prefix="scalarise.").weights
    return MultiObjectiveSpec.from_table({
        "objectives": data["objectives"], "constraints": data.get("constraints", ()), "weights": weights,
        "reference_point": data.get("reference_point"),
    })


def check_strategy_kinds(multi: MultiObjectiveSpec | None, names: list[str], is_multi: list[bool]) -> None:
    """Multi-objective strategies only in multi-objective studies, and vice versa.

    Raises:
        ConfigError: naming ``strategies[i]``.
    """
    wanted = multi is not None and multi.multi_objective
    for i, (name, multi_kind) in enumerate(zip(names, is_multi)):
        if multi_kind and not wanted:
            raise ConfigError(f"strategies[{i}] ({name}) is multi-objective: list two or more [[objectives]] "
                              "(without [scalarise])")
        if wanted and not multi_kind:
            from nasbench_lab.search.base import STRATEGIES

            choices = ", ".join(n for n in STRATEGIES.names() if getattr(STRATEGIES.get(n), "multi_objective", False))
            raise ConfigError(f"strategies[{i}] ({name}) optimises one objective: use a multi-objective strategy "
                              f"({choices}) or add [scalarise] weights")
