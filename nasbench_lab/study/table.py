"""The study's view of a benchmark: objective curves, costs, reported metric and proxy, read once as columns.

:class:`StudyTable` reads whole columns of the benchmark once (vectorised) so that a simulated query is
array indexing; tables and open benchmarks are cached per process (worker processes reuse them across
units).
"""

from __future__ import annotations

import numpy as np

from nasbench_lab import space
from nasbench_lab.benchmark.store import Benchmark, default_benchmark_path
from nasbench_lab.study.spec import StudySpec

_BENCHMARKS: dict[str, Benchmark] = {}  # benchmark path -> open Benchmark, one per process


def open_benchmark(path: str | None) -> Benchmark:
    """The :class:`~nasbench_lab.benchmark.store.Benchmark` at ``path`` (embedded default if ``None``), cached per process."""
    key = str(default_benchmark_path()) if path is None else path
    if key not in _BENCHMARKS:
        _BENCHMARKS[key] = Benchmark.open(key)
    return _BENCHMARKS[key]


class StudyTable:
    """What a study reads from the benchmark: its objective, cost, reported metric and proxy.

    Whole columns are read once (vectorised) and kept, so that a query is array indexing; an entry that
    is NaN there is asked of the benchmark itself, which raises its :class:`MissingEntryError`.

    Args:
        bench: an open ``Benchmark``.
        spec: the study spec (dataset, recipes, metrics, proxy).
    """

    def __init__(self, bench: Benchmark, spec: StudySpec) -> None:
        self.bench = bench
        self.spec = spec
        self.dataset = spec.dataset
        self.recipe = bench.recipe(spec.dataset, spec.recipe)
        rep = spec.reported
        self.reported_dataset = rep.dataset or spec.dataset
        same = self.reported_dataset == spec.dataset
        self.reported_recipe = bench.recipe(self.reported_dataset, rep.recipe or (self.recipe.name if same else None))
        self.n_epochs = self.recipe.n_epochs
        self.seeds = np.asarray(bench.seeds(self.dataset, self.recipe.name), dtype=np.int64)
        self.filled = bench.filled(self.dataset, recipe=self.recipe.name)  # (15625, n_seeds) bool
        # Seed values of each arch's existing runs first, and how many there are: a draw is one index.
        order = np.argsort(~self.filled, axis=1, kind="stable")
        self._filled_seeds = self.seeds[order]  # (15625, n_seeds)
        self._n_filled = self.filled.sum(axis=1).tolist()  # (15625,) as Python ints
        self._curves: dict[int | str, tuple[np.ndarray, np.ndarray]] = {}  # seed -> (curves, row all NaN)
        self._costs: dict[int, np.ndarray] = {}  # curve columns -> (15625,)

    def draw_seed(self, arch: int, rng: np.random.Generator) -> int | str:
        """One seed value among the arch's existing runs, drawn uniformly with ``rng`` (``"mean"`` if none
        exists, so that the lookup raises the benchmark's missing-entry error)."""
        n = self._n_filled[arch]
        if n == 0:
            return "mean"
        return int(self._filled_seeds[arch, rng.integers(n) if n > 1 else 0])

    def curve(self, arch: int, seed: int | str) -> np.ndarray:
        """The objective curve of ``arch`` for seed value ``seed`` (or ``"mean"``), shape ``(n_epochs,)``."""
        if seed not in self._curves:
            curves = self.bench.curves_many(
                np.arange(space.N_ARCHS), self.dataset, self.spec.objective.metric, seed=seed,
                recipe=self.recipe.name, missing="nan",
            ).astype(np.float64, copy=False)
            self._curves[seed] = (curves, np.asarray(np.isnan(curves).all(axis=1)))
        curves, missing = self._curves[seed]
        if missing[arch]:  # let the benchmark explain (or fill) the missing run
            return np.asarray(self.bench.curve(arch, self.dataset, self.spec.objective.metric, seed=seed,
                                               recipe=self.recipe.name), dtype=np.float64)
        return curves[arch]

    def cost(self, arch: int, epochs: int) -> float:
        """Simulated seconds to train ``arch`` for ``epochs`` curve columns and evaluate it (0 for 0)."""
        if epochs == 0:
            return 0.0
        if epochs not in self._costs:
            self._costs[epochs] = self.bench.cost_many(
                np.arange(space.N_ARCHS), self.dataset, epochs=epochs, recipe=self.recipe.name, missing="nan")
        value = float(self._costs[epochs][arch])
        if np.isnan(value) and not self.filled[arch].any():  # untrained: the benchmark raises its error
            value = float(self.bench.cost(arch, self.dataset, epochs=epochs, recipe=self.recipe.name))
        return value  # NaN: trained, but the table holds no train/eval time (e.g. an imported CSV)

    def reported(self, indices: np.ndarray) -> np.ndarray:
        """The reported metric (seed mean, last column) of ``indices``, shape ``(n,)``."""
        return np.asarray(self.bench.query_many(
            indices, self.reported_dataset, self.spec.reported.metric, epoch=-1, seed="mean",
            recipe=self.reported_recipe.name,
        ), dtype=np.float64)

    def best_reported(self) -> tuple[int, float]:
        """The arch with the best reported metric in the table and its value."""
        index, value = self.bench.best(self.reported_dataset, self.spec.reported.metric,
                                       recipe=self.reported_recipe.name, epoch=-1)
        return int(index), float(value)

    def proxy(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Proxy scores and compute seconds of ``indices``, each of shape ``(n,)``."""
        assert self.spec.proxy is not None
        name = self.spec.proxy.name
        scores = self.bench.proxy(indices, self.dataset, name, recipe=self.recipe.name)
        seconds = self.bench.proxy_time(indices, self.dataset, name, recipe=self.recipe.name)
        return np.asarray(scores, dtype=np.float64), np.asarray(seconds, dtype=np.float64)


_TABLES: dict[tuple[object, ...], StudyTable] = {}  # (benchmark, what the spec reads) -> table, one per process


def study_table(spec: StudySpec) -> StudyTable:
    """The :class:`StudyTable` of ``spec`` on its benchmark, cached per process and spec."""
    key = ("table", spec.benchmark, spec.dataset, spec.recipe, spec.objective, spec.reported, spec.proxy)
    if key not in _TABLES:
        _TABLES[key] = StudyTable(open_benchmark(spec.benchmark), spec)
    return _TABLES[key]


