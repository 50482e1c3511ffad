"""The study's view of its objectives and constraints: every arch's values, read once as columns.

A multi-objective (or scalarised) study observes, for each queried arch, one value per objective and
per constraint. Curve metrics of the study's own dataset and recipe are read at the final column for
every seed (the simulator draws one seed per arch, as for a single objective); other metrics (per-arch
``params``/``flops``/``latency``, or curve metrics of another dataset) are seed means.

What the study *reports* is computed from seed means, never from what a strategy saw: the hypervolume
of the feasible queried archs against a fixed reference point (multi-objective), or the scalarised
value of the incumbent (scalarised).

Shapes: ``N = 15625`` archs, ``m`` objectives, ``c`` constraints, ``s`` seeds.
"""

from __future__ import annotations

import numpy as np

from nasbench_lab import pareto, space
from nasbench_lab.benchmark.schema import CURVE_METRICS, METRICS
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.objectives import Constraint, Objective, feasible
from nasbench_lab.study.mo_spec import MultiObjectiveSpec
from nasbench_lab.study.table import StudyTable


class ObjectiveColumns:
    """Objective and constraint values of every arch for one study.

    Args:
        bench: the open benchmark.
        multi: the study's objectives and constraints.
        table: the study's :class:`StudyTable` (its dataset, recipe and seeds).

    Raises:
        ConfigError: a metric the benchmark does not hold.
    """

    def __init__(self, bench: Benchmark, multi: MultiObjectiveSpec, table: StudyTable) -> None:
        self.multi = multi
        self.table = table
        self.seeds = [int(s) for s in table.seeds]
        terms: list[Objective | Constraint] = [*multi.objectives, *multi.constraints]
        cols = [self._column(bench, t) for t in terms]  # each (N, s) or (N, 1)
        self._by_seed = np.stack([np.broadcast_to(c, (space.N_ARCHS, len(self.seeds))) for c in cols], axis=-1)
        self._mean = np.stack([c.mean(axis=1) if c.shape[1] > 1 else c[:, 0] for c in cols], axis=-1)
        self.signs = np.array([o.sign for o in multi.objectives])
        self.m = len(multi.objectives)

    def _column(self, bench: Benchmark, term: Objective | Constraint) -> np.ndarray:
        """Values of one metric for every arch: ``(N, s)`` per seed, or ``(N, 1)``."""
        dataset = term.dataset or self.table.dataset
        if term.metric not in METRICS:  # an imported per-device metric (`nasbench-lab import arch-metrics`)
            if term.metric not in bench.arch_metric_names(dataset):
                raise ConfigError(f"metric {term.metric!r} is neither a benchmark metric ({', '.join(METRICS)}) nor an "
                                  f"imported per-arch metric of {dataset!r} (stored: "
                                  f"{', '.join(bench.arch_metric_names(dataset)) or 'none'}); import it with "
                                  "`nasbench-lab import arch-metrics`")
            return np.asarray(bench.arch_metric(term.metric, dataset), dtype=np.float64)[:, None]
        same = dataset == self.table.dataset
        recipe = term.recipe or (self.table.recipe.name if same else None)
        every = np.arange(space.N_ARCHS)
        if term.metric in CURVE_METRICS and same and recipe == self.table.recipe.name:
            return np.stack([bench.query_many(every, dataset, term.metric, epoch=-1, seed=s, recipe=recipe,
                                              missing="nan") for s in self.seeds], axis=1)
        return bench.query_many(every, dataset, term.metric, epoch=-1, seed="mean", recipe=recipe, missing="nan")[:, None]

    def observe(self, arch: int, seed: int | str) -> tuple[np.ndarray, np.ndarray]:
        """Raw objective values ``(m,)`` and constraint slacks ``(c,)`` of ``arch`` for one seed (or ``"mean"``).

        Raises:
            NasbenchLabError: a value the table does not hold.
        """
        row = self._mean[arch] if seed == "mean" else self._by_seed[arch, self.seeds.index(int(seed))]
        if not np.isfinite(row).all():
            names = [t.metric for t in self.multi.objectives] + [c.metric for c in self.multi.constraints]
            bad = [name for name, v in zip(names, row) if not np.isfinite(v)]
            raise NasbenchLabError(f"{', '.join(bad)} of arch {arch} is not recorded in the benchmark (seed {seed}); "
                                   "fill it first")
        return row[: self.m].copy(), self._slack(row[None, self.m :])[0]

    def _slack(self, constraint_values: np.ndarray) -> np.ndarray:
        """Slacks ``(n, c)`` of constraint values ``(n, c)``."""
        cons = self.multi.constraints
        return np.stack([c.slack(constraint_values[:, j]) for j, c in enumerate(cons)], axis=-1) if cons \
            else np.zeros((len(constraint_values), 0))

    def mean_points(self, archs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Oriented seed-mean objectives ``(n, m)`` and feasibility ``(n,)`` of ``archs`` (NaN rows infeasible)."""
        rows = self._mean[np.asarray(archs, dtype=np.int64)]
        points = rows[:, : self.m] * self.signs
        ok = feasible(self._slack(rows[:, self.m :])) & np.isfinite(points).all(axis=1)
        return points, ok

    def reference_point(self) -> np.ndarray:
        """The oriented hypervolume reference point ``(m,)``: the spec's, else the table's worst value of
        each objective (over archs with every objective) minus 10 % of its range."""
        if self.multi.reference_point is not None:
            return np.asarray(self.multi.reference_point) * self.signs
        points, _ = self.mean_points(np.arange(space.N_ARCHS))
        points = points[np.isfinite(points).all(axis=1)]
        if not len(points):
            raise NasbenchLabError("no arch has every objective in the table: fill it first")
        return pareto.reference_point(points)

    def true_front(self) -> np.ndarray:
        """Indices of the table's feasible Pareto-optimal archs (seed means), shape ``(k,)``."""
        every = np.arange(space.N_ARCHS)
        points, ok = self.mean_points(every)
        idx = every[ok]
        return idx[pareto.non_dominated(points[ok])]

    def hypervolume_trace(self, archs: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Hypervolume of the feasible archs among the first ``t`` queried, for every ``t``, shape ``(n,)``."""
        points, ok = self.mean_points(archs)
        points = np.where(ok[:, None], points, -np.inf)  # infeasible: contributes nothing
        return pareto.hypervolume_trace(np.maximum(points, np.finfo(np.float64).min), ref)

    def scalar(self, archs: np.ndarray) -> np.ndarray:
        """Scalarised seed-mean value of ``archs`` (scalarised studies), shape ``(n,)``."""
        scal = self.multi.scalarisation
        if scal is None:
            raise ConfigError("scalar values need [scalarise] weights")
        points, _ = self.mean_points(archs)
        return scal.apply(points)

    def best_scalar(self) -> tuple[int, float]:
        """The arch with the best scalarised seed-mean value in the table, and that value."""
        values = self.scalar(np.arange(space.N_ARCHS))
        if np.isnan(values).all():
            raise NasbenchLabError("no arch has every objective in the table: fill it first")
        arch = int(np.nanargmax(values))
        return arch, float(values[arch])


_COLUMNS: dict[tuple[object, ...], ObjectiveColumns] = {}


def objective_columns(table: StudyTable, multi: MultiObjectiveSpec | None) -> ObjectiveColumns:
    """The :class:`ObjectiveColumns` of ``multi`` on ``table``, cached per process.

    ``multi`` is passed apart from the table: a cached :class:`StudyTable` is shared by specs that differ
    only in their objectives.

    Raises:
        ConfigError: ``multi`` is ``None`` (the study has no ``[[objectives]]``).
    """
    if multi is None:
        raise ConfigError("this study has no [[objectives]]")
    spec = table.spec
    key = (spec.benchmark, spec.dataset, spec.recipe, multi)
    if key not in _COLUMNS:
        _COLUMNS[key] = ObjectiveColumns(table.bench, multi, table)
    return _COLUMNS[key]


def multi_manifest(table: StudyTable, multi: MultiObjectiveSpec) -> dict[str, object]:
    """Manifest entries of a study with ``[[objectives]]``: what ``reported`` means and its best value.

    Multi-objective: ``reported`` is the hypervolume; its best is the table's true front's hypervolume
    against the fixed reference point, both recorded (the point in oriented and in metric units) with the
    true front's archs. Scalarised: ``reported`` is the weighted sum; its best is the table's best arch.
    """
    columns = objective_columns(table, multi)
    where = {"dataset": table.dataset, "recipe": table.recipe.name}
    if not multi.multi_objective:
        arch, value = columns.best_scalar()
        return {"reported_best": {"arch": arch, "value": value, "metric": "weighted sum", **where}}
    ref = columns.reference_point()
    front = columns.true_front()
    points, _ = columns.mean_points(front)
    return {
        "reported_best": {"arch": None, "value": pareto.hypervolume(points, ref), "metric": "hypervolume", **where},
        "pareto": {
            "objectives": [o.label for o in multi.objectives],
            "constraints": [str(c) for c in multi.constraints],
            "reference_point": [float(v) for v in ref * columns.signs],  # metric units
            "reference_point_oriented": [float(v) for v in ref],
            "reference_point_given": multi.reference_point is not None,
            "true_front": [int(a) for a in front],
        },
    }
