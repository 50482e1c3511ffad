"""The query methods of :class:`~nasbench_lab.benchmark.store.Benchmark`: one value, many values,
learning curves, simulated costs, the best arch, and zero-cost proxy scores and times.

:class:`BenchmarkQueries` turns what users pass (an :class:`~nasbench_lab.space.Arch`, an index or an
arch string; arrays of them) into index arrays and hands them to the benchmark's
:class:`~nasbench_lab.benchmark.query.QueryEngine`, which does the lookups. ``Benchmark`` inherits it;
the file handling and the metadata accessors stay in :mod:`nasbench_lab.benchmark.store`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nasbench_lab.benchmark.query import QueryEngine, SeedSpec
from nasbench_lab.space import Arch, check_index, check_indices


def _arch_index(arch: Arch | int | str) -> int:
    """NB201 index of an :class:`Arch`, index or arch string (ints skip building an Arch)."""
    if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
        return check_index(arch)
    return Arch.coerce(arch).index


def _coerce_indices(indices: Iterable[Any] | np.ndarray) -> np.ndarray:
    """Indices as int64 ``(n,)``; elements may also be :class:`Arch` values or arch strings."""
    arr = np.asarray(indices if not isinstance(indices, (str, Arch)) else [indices])
    if arr.dtype == object or arr.dtype.kind in "US":
        arr = np.array([Arch.coerce(a).index for a in arr.reshape(-1)], dtype=np.int64)
    return check_indices(arr.reshape(-1))


class BenchmarkQueries:
    """Query methods over a :class:`~nasbench_lab.benchmark.query.QueryEngine` (the query half of ``Benchmark``)."""

    _engine: QueryEngine  # set by the benchmark when it opens its file

    def query(
        self, arch: Arch | int | str, dataset: str, metric: str, epoch: int = -1, seed: SeedSpec = "mean",
        recipe: str | None = None, rng: np.random.Generator | None = None,
    ) -> float:
        """One metric of one arch.

        Args:
            arch: an :class:`Arch`, an NB201 index or an arch string.
            dataset: dataset key.
            metric: a name from ``schema.METRICS``; per-run and per-arch metrics ignore ``epoch``.
            epoch: curve column (negative counts from the end; ``eval_points`` gives its epoch).
            seed: ``"mean"`` (over filled seeds that recorded the value), a seed value, or ``None`` to
                draw one filled seed with ``rng``, as NB201 does.
            recipe: recipe name (default: the dataset's only recipe).
            rng: numpy Generator, required when ``seed`` is ``None``.

        Returns:
            The value (accuracies in percent, losses in nats, times in seconds).

        Raises:
            MissingEntryError: not trained (and no ``fill_missing``), or not recorded.
            ConfigError: unknown dataset, recipe, metric or seed; epoch out of range.
            ArchError: a malformed arch.
        """
        index = _arch_index(arch)
        return float(self.query_many([index], dataset, metric, epoch, seed, recipe, rng)[0])

    def query_many(
        self, indices: Iterable[int] | np.ndarray, dataset: str, metric: str, epoch: int = -1,
        seed: SeedSpec = "mean", recipe: str | None = None, rng: np.random.Generator | None = None,
        missing: str = "raise",
    ) -> np.ndarray:
        """:meth:`query` for many archs at once, shape ``(n,)`` float64.

        Args:
            indices: NB201 indices (or Arch values / arch strings), shape ``(n,)``.
            missing: ``"raise"`` (default; trains missing entries first when ``fill_missing`` is set) or
                ``"nan"``: NaN for every entry that is untrained or not recorded, nothing is trained.

        Raises:
            MissingEntryError, ConfigError, ArchError: as :meth:`query`.
        """
        return self._engine.values(_coerce_indices(indices), dataset, metric, epoch, seed, recipe, rng, missing)

    def curve(
        self, arch: Arch | int | str, dataset: str, metric: str, seed: int | str = "mean", recipe: str | None = None
    ) -> np.ndarray:
        """A learning curve, shape ``(n_epochs,)`` float64; NaN at columns the run did not record.

        Raises:
            MissingEntryError: not trained, or the whole curve is unrecorded.
            ConfigError: not a curve metric, unknown dataset/recipe/seed.
        """
        index = _arch_index(arch)
        return self.curves_many([index], dataset, metric, seed, recipe)[0]

    def curves_many(
        self, indices: Iterable[int] | np.ndarray, dataset: str, metric: str, seed: int | str = "mean",
        recipe: str | None = None, epochs: int | None = None, missing: str = "raise",
    ) -> np.ndarray:
        """Learning curves of many archs, shape ``(n, epochs)`` (the first ``epochs`` columns; all if None).

        Args:
            missing: ``"raise"`` or ``"nan"`` (untrained archs give rows of NaN).
        """
        return self._engine.curves(_coerce_indices(indices), dataset, metric, seed, recipe, epochs, missing)

    def cost(self, arch: Arch | int | str, dataset: str, epochs: int | None = None, recipe: str | None = None) -> float:
        """Simulated seconds to train ``arch`` for the first ``epochs`` columns (all if None) and evaluate it.

        Sum of ``train_time`` over those columns plus ``eval_time``, mean over filled seeds.
        """
        return float(self.cost_many([_arch_index(arch)], dataset, epochs, recipe)[0])

    def cost_many(
        self, indices: Iterable[int] | np.ndarray, dataset: str, epochs: int | None = None,
        recipe: str | None = None, missing: str = "raise",
    ) -> np.ndarray:
        """:meth:`cost` for many archs, shape ``(n,)`` float64."""
        return self._engine.costs(_coerce_indices(indices), dataset, epochs, recipe, missing)

    def best(
        self, dataset: str, metric: str, recipe: str | None = None, epoch: int = -1, seed: int | str = "mean"
    ) -> tuple[int, float]:
        """The arch with the best value among archs with one: max or min as :func:`nasbench_lab.objectives.direction` says.

        Ties go to the smallest index.

        Raises:
            NoResultsError: no arch has a value.
        """
        return self._engine.best(dataset, metric, recipe, epoch, seed)

    def proxy(
        self, indices: Iterable[int] | np.ndarray, dataset: str, name: str, recipe: str | None = None,
        seed: int | str = "mean", missing: str = "raise",
    ) -> np.ndarray:
        """Zero-cost proxy scores, shape ``(n,)`` float64; NaN where the proxy is undefined for the arch.

        ``seed="mean"`` averages over the proxy seeds computed for the arch.

        Raises:
            MissingEntryError: the proxy was not computed for an arch (unless ``missing="nan"``).
            ConfigError: unknown proxy name (the message lists the stored ones) or proxy seed.
        """
        return self._engine.proxy(_coerce_indices(indices), dataset, name, recipe, seed, missing, "score")

    def proxy_time(
        self, indices: Iterable[int] | np.ndarray, dataset: str, name: str, recipe: str | None = None,
        seed: int | str = "mean", missing: str = "raise",
    ) -> np.ndarray:
        """Seconds the proxy took per arch, shape ``(n,)``: for one proxy seed, or the mean over computed ones.

        Every computed entry has a finite time (also where its score is NaN), so ``missing="nan"`` with
        ``np.isfinite`` tells which archs hold the proxy. Raises like ``proxy``.
        """
        return self._engine.proxy(_coerce_indices(indices), dataset, name, recipe, seed, missing, "time")
