"""Value types shared by everything that writes or reads the tabular benchmark.

A benchmark file holds, per dataset key and per *recipe* (a training protocol), arrays over
``(arch, seed, epoch)``. The epoch axis has one column per evaluation point; ``Recipe.eval_points``
says where each column lies in epochs (``1, 2, ..., 200`` for NB201's 200-epoch runs; fractions of an
epoch for short recipes that evaluate several times per epoch).

Shapes used throughout: ``n_archs = 15625``, ``n_seeds = len(seeds)``, ``n_epochs = len(eval_points)``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError

FORMAT_NAME = "nasbench-lab"
FORMAT_VERSION = 1
FILL_FAILURES_ATTR = "fill_failures"  # JSON list on a recipe group: entries a fill could not train
# Root group of the extra per-arch metrics (``/.arch_metrics/<dataset>/<name>``); a dataset key cannot
# start with ".", so it never clashes with one.
EXTRA_GROUP = ".arch_metrics"
# On a proxy group: 0 when its scores were imported without compute times (then a finite score marks
# a computed entry instead of a finite time).
TIMES_RECORDED_ATTR = "times_recorded"

# Per (arch, seed, epoch) curves; accuracies in percent as NB201 reports them, losses in nats.
CURVE_METRICS: tuple[str, ...] = (
    "train_acc",
    "train_loss",
    "valid_acc",
    "valid_loss",
    "test_acc",
    "test_loss",
    "train_time",  # seconds spent training since the previous evaluation point
)
# Per (arch, seed) scalars.
RUN_METRICS: tuple[str, ...] = ("eval_time",)  # seconds for one evaluation pass (valid + test)
# Per arch scalars (depend on the network, not on the run).
ARCH_METRICS: tuple[str, ...] = ("params", "flops", "latency")  # millions, millions of MACs, seconds/batch
METRICS: tuple[str, ...] = CURVE_METRICS + RUN_METRICS + ARCH_METRICS
# The values each metric can take (inclusive); an importer refuses anything outside, and infinities.
METRIC_RANGES: dict[str, tuple[float, float]] = {
    **{name: (0.0, 100.0) for name in ("train_acc", "valid_acc", "test_acc")},
    **{name: (0.0, math.inf) for name in ("train_loss", "valid_loss", "test_loss", "train_time", "eval_time")},
    **{name: (0.0, math.inf) for name in ARCH_METRICS},
}
# Which metrics are maximised is known in one place: nasbench_lab.objectives.


@dataclass(frozen=True)
class Recipe:
    """A named training protocol, stored as attributes of its group in the benchmark file.

    Attributes:
        name: key of the recipe within a dataset (e.g. ``"nb201-200"``, ``"digits"``).
        eval_points: position in epochs of each curve column, strictly increasing, > 0.
        config: JSON-serialisable hyperparameters (optimizer, lr, batch size, C, N, ...).
        description: one line for humans.
    """

    name: str
    eval_points: tuple[float, ...]
    config: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ConfigError(f"recipe name {self.name!r} must be non-empty and contain no '/'")
        points = tuple(float(p) for p in self.eval_points)
        if not points or any(not math.isfinite(p) or p <= 0 for p in points):
            raise ConfigError(f"recipe {self.name!r}: eval_points must be positive finite numbers")
        if any(b <= a for a, b in zip(points, points[1:])):
            raise ConfigError(f"recipe {self.name!r}: eval_points must be strictly increasing")
        object.__setattr__(self, "eval_points", points)
        try:
            json.dumps(self.config, sort_keys=True)
        except TypeError as exc:
            raise ConfigError(f"recipe {self.name!r}: config must be JSON-serialisable ({exc})") from None

    @property
    def n_epochs(self) -> int:
        """Number of curve columns."""
        return len(self.eval_points)

    def to_attrs(self) -> dict[str, Any]:
        """Attributes to store on the recipe's HDF5 group."""
        return {
            "name": self.name,
            "eval_points": np.asarray(self.eval_points, dtype=np.float64),
            "config": json.dumps(self.config, sort_keys=True),
            "description": self.description,
        }

    @classmethod
    def from_attrs(cls, attrs: Any) -> Recipe:
        """Inverse of :meth:`to_attrs` (``attrs`` is an h5py AttributeManager or a dict)."""
        return cls(
            name=str(attrs["name"]),
            eval_points=tuple(float(p) for p in np.asarray(attrs["eval_points"])),
            config=json.loads(str(attrs["config"])),
            description=str(attrs.get("description", "")),
        )


@dataclass
class RunRecord:
    """Everything one training run of one arch with one seed produced.

    Attributes:
        arch_index: NB201 index of the arch trained.
        seed: the seed value (as stored in the recipe's ``seeds`` list, e.g. 777 for NB201).
        curves: metric name (from :data:`CURVE_METRICS`) -> array of shape ``(n_epochs,)``; NaN where
            the run did not record a value. Metrics absent from the dict are stored as NaN.
        eval_time: seconds of one evaluation pass, NaN if unknown.
        params, flops, latency: per-arch figures (NaN if unknown).
        mapped_from: -1 if this arch was trained; otherwise the index of the isomorphic arch whose
            results these are.
    """

    arch_index: int
    seed: int
    curves: dict[str, np.ndarray]
    eval_time: float = math.nan
    params: float = math.nan
    flops: float = math.nan
    latency: float = math.nan
    mapped_from: int = -1

    def check(self, recipe: Recipe) -> None:
        """Raise ``ValueError`` if the record does not fit ``recipe`` (unknown metric, wrong length)."""
        for name, values in self.curves.items():
            if name not in CURVE_METRICS:
                raise ValueError(f"unknown curve metric {name!r}; valid: {', '.join(CURVE_METRICS)}")
            if np.shape(values) != (recipe.n_epochs,):
                raise ValueError(
                    f"curve {name!r} of arch {self.arch_index} has shape {np.shape(values)}, "
                    f"recipe {recipe.name!r} needs ({recipe.n_epochs},)"
                )

    def remapped(self, arch_index: int) -> RunRecord:
        """A copy of this record's results for isomorphic ``arch_index`` (marks ``mapped_from``).

        Params, FLOPs and latency belong to the network, not to the run, and isomorphic cells can differ
        in them (a conv on a dead path still has weights): they are left NaN for the caller to fill
        with the arch's own figures.
        """
        return RunRecord(
            arch_index=arch_index,
            seed=self.seed,
            curves={k: np.array(v, copy=True) for k, v in self.curves.items()},
            eval_time=self.eval_time,
            mapped_from=self.arch_index if self.mapped_from < 0 else self.mapped_from,
        )
