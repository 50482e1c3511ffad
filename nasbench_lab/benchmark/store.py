"""Reading the tabular benchmark: :class:`Benchmark`.

A benchmark file (layout in ``docs/format.md``) holds, per dataset and recipe, arrays over
``(arch, seed, epoch)``. :class:`Benchmark` opens it lazily and answers queries from numpy arrays cached
on first use, so that ``query_many`` over a million lookups is plain indexing.

It never returns a wrong number: an entry that was never trained raises :class:`MissingEntryError`
naming the command that trains it (or is trained on the spot by ``fill_missing``), and a value the run
did not record raises the same error saying so. ``seed="mean"`` averages over the seeds that are
filled and recorded the value. The query methods (``query``, ``query_many``, ``curve``, ``cost``,
``best``, ``proxy``, ...) come from :class:`~nasbench_lab.benchmark.query_methods.BenchmarkQueries`.

The file is opened read-only and never changes under a reader: writers replace it atomically, and an
open :class:`Benchmark` keeps reading the version it opened until it reloads (it does after a fill).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from nasbench_lab.benchmark.errors import BenchmarkFormatError, BenchmarkNotFoundError, MissingEntryError
from nasbench_lab.benchmark.extras import arch_metric_names, arch_metric_provenance, extra_datasets, read_arch_metric
from nasbench_lab.benchmark.integrity import Reading, check_root, is_sealed, read_structure
from nasbench_lab.benchmark.query import QueryEngine
from nasbench_lab.benchmark.query_methods import BenchmarkQueries
from nasbench_lab.benchmark.schema import EXTRA_GROUP, FILL_FAILURES_ATTR, METRICS, Recipe
from nasbench_lab.benchmark.table import RecipeTable
from nasbench_lab.errors import ConfigError
from nasbench_lab.resources import default_benchmark_path  # re-exported: callers import it from here

logger = logging.getLogger(__name__)

FillMissing = Callable[[int, str, str, int], None]


class Benchmark(BenchmarkQueries):
    """A tabular NB201 benchmark file, opened read-only; see :meth:`open`.

    Attributes:
        path: the file.
    """

    def __init__(self, path: Path, fill_missing: FillMissing | None) -> None:
        """Open ``path``; use :meth:`open`, which checks the path first."""
        self.path = path
        self._fill_missing = fill_missing
        self._file: h5py.File | None = None
        self._structure: dict[str, list[str]] = {}
        self._tables: dict[tuple[str, str | None], RecipeTable] = {}
        self._sealed = False
        self._load()

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, fill_missing: FillMissing | None = None) -> Benchmark:
        """Open a benchmark file.

        Args:
            path: the HDF5 file.
            fill_missing: ``fill_missing(arch_index, dataset, recipe, seed)`` trains and stores a missing
                run (the fill engine provides it); queries then answer instead of raising
                :class:`MissingEntryError` for untrained entries.

        Raises:
            BenchmarkNotFoundError: no file at ``path``.
            BenchmarkFormatError: truncated, corrupt, foreign or of an unknown format version.
        """
        path = Path(path)
        if not path.is_file():
            raise BenchmarkNotFoundError(f"no benchmark file at {path}; check the path")
        return cls(path, fill_missing)

    def _load(self) -> None:
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise BenchmarkFormatError(
                f"cannot read {self.path} as HDF5 ({exc}); it is truncated or corrupt: re-create or re-copy it"
            ) from None
        try:
            with self.reading():  # the file never changes under a reader: its structure is read once
                check_root(self._file, self.path)
                self._structure = read_structure(self._file, self.path, skip=(EXTRA_GROUP,))
                self._sealed = is_sealed(self._file)
        except BaseException:
            self.close()
            raise
        self._tables = {}
        self._extra_cache: dict[tuple[str, str], np.ndarray] = {}
        self._engine = QueryEngine(self)

    def reload(self) -> None:
        """Re-open the file to see what writers stored since it was opened (drops the caches)."""
        self.close()
        self._load()

    def close(self) -> None:
        """Close the file; the object can no longer answer."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._tables = {}

    def __enter__(self) -> Benchmark:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Benchmark({str(self.path)!r})"

    @property
    def _h5(self) -> h5py.File:
        if self._file is None:
            raise ConfigError(f"benchmark {self.path} is closed; open it again with Benchmark.open")
        return self._file

    # ------------------------------------------------------------------ structure
    @property
    def root_attrs(self) -> dict[str, Any]:
        """The file's root attributes: format, format_version, n_archs, created, code_version."""
        return {k: v.item() if isinstance(v, np.generic) else v for k, v in self._h5.attrs.items()}

    @property
    def datasets(self) -> list[str]:
        """Dataset keys in the file, sorted."""
        if self._file is None:
            raise ConfigError(f"benchmark {self.path} is closed; open it again with Benchmark.open")
        return sorted(self._structure)

    def recipes(self, dataset: str) -> list[str]:
        """Recipe names of ``dataset``, sorted.

        Raises:
            ConfigError: unknown dataset (the message lists the valid ones); HDF5 paths such as ``"."``
                or ``"a/b"`` are unknown datasets too.
        """
        names = self.datasets
        if not isinstance(dataset, str) or dataset not in names:
            raise ConfigError(f"unknown dataset {dataset!r} in {self.path}; valid datasets: {', '.join(names) or '(none)'}")
        return list(self._structure[dataset])

    def default_recipe(self, dataset: str) -> str:
        """The dataset's recipe when it has exactly one.

        Raises:
            ConfigError: unknown dataset, or several recipes (the message lists them).
        """
        names = self.recipes(dataset)
        if len(names) != 1:
            raise ConfigError(
                f"dataset {dataset!r} has {len(names)} recipes ({', '.join(names) or 'none'}); name one with recipe="
            )
        return names[0]

    def _table(self, dataset: str, recipe: str | None) -> RecipeTable:
        hashable = isinstance(dataset, str) and (recipe is None or isinstance(recipe, str))
        table = self._tables.get((dataset, recipe)) if hashable else None
        if table is not None:  # the fast path of every query
            return table
        name = self.default_recipe(dataset) if recipe is None else recipe
        if (dataset, name) not in self._tables:
            names = self.recipes(dataset)
            if name not in names:
                raise ConfigError(f"unknown recipe {name!r} for dataset {dataset!r}; valid recipes: {', '.join(names)}")
            with self.reading():
                self._tables[(dataset, name)] = RecipeTable(self._h5[dataset][name], dataset, sealed=self._sealed)
        self._tables[(dataset, recipe)] = self._tables[(dataset, name)]
        return self._tables[(dataset, name)]

    def reading(self) -> AbstractContextManager[None]:
        """Context manager turning HDF5 read failures into :class:`BenchmarkFormatError`."""
        return Reading(self.path)

    def recipe(self, dataset: str, recipe: str | None = None) -> Recipe:
        """The :class:`Recipe` (training protocol) of a dataset's recipe (default: its only one)."""
        return self._table(dataset, recipe).recipe

    def seeds(self, dataset: str, recipe: str | None = None) -> list[int]:
        """Seed values of the recipe's seed axis, in order."""
        return [int(s) for s in self._table(dataset, recipe).seeds]

    def eval_points(self, dataset: str, recipe: str | None = None) -> np.ndarray:
        """Position in epochs of each curve column, shape ``(n_epochs,)``."""
        return np.asarray(self._table(dataset, recipe).recipe.eval_points, dtype=np.float64)

    def provenance(self, dataset: str, recipe: str | None = None) -> dict[str, str]:
        """Where the recipe's results come from: ``source``, ``code_version``, ``date``, ``device``, ..."""
        return self._table(dataset, recipe).provenance

    def fill_failures(self, dataset: str, recipe: str | None = None) -> list[dict[str, Any]]:
        """Entries a fill could not train (``arch_index``, ``seed``, ``attempts``, last ``error``); ``[]`` if none."""
        with self.reading():
            return list(self._table(dataset, recipe).json_attr(FILL_FAILURES_ATTR, []))

    def filled(self, dataset: str, recipe: str | None = None) -> np.ndarray:
        """Which runs exist, shape ``(15625, n_seeds)`` bool (a copy)."""
        with self.reading():
            return self._table(dataset, recipe).filled.copy()

    def mapped_from(self, dataset: str, recipe: str | None = None) -> np.ndarray:
        """Per run, the arch whose results were copied to it (isomorphic), -1 if trained; ``(15625, n_seeds)``."""
        with self.reading():
            return self._table(dataset, recipe).mapped_from.copy()

    def coverage(self, dataset: str, recipe: str | None = None) -> float:
        """Fraction of the ``15625 * n_seeds`` runs that are filled."""
        return float(self.filled(dataset, recipe).mean())

    def proxy_names(self, dataset: str, recipe: str | None = None) -> list[str]:
        """Names of the zero-cost proxies stored for the recipe, sorted."""
        return self._table(dataset, recipe).proxy_names

    def proxy_seeds(self, dataset: str, name: str, recipe: str | None = None) -> list[int]:
        """The seeds ``name``'s scores were computed with (minibatch and init seeds), in stored order.

        Raises:
            ConfigError: no proxy ``name`` stored (the message lists the stored ones).
        """
        return [int(s) for s in self._proxy_data(dataset, name, recipe)["proxy_seeds"]]

    def proxy_settings(self, dataset: str, name: str, recipe: str | None = None) -> dict[str, Any]:
        """The settings ``name``'s scores were computed with (network, minibatch, definition), as stored."""
        return dict(json.loads(self._proxy_data(dataset, name, recipe)["settings"]))

    def _proxy_data(self, dataset: str, name: str, recipe: str | None) -> dict[str, Any]:
        table = self._table(dataset, recipe)
        if name not in table.proxy_names:
            stored = ", ".join(table.proxy_names) or "none"
            raise ConfigError(f"no proxy {name!r} stored for {dataset}/{table.recipe.name} (stored: {stored})")
        with self.reading():
            return table.proxy(name)

    @property
    def sealed(self) -> bool:
        """Whether the file carries metadata checksums (then every read checks them)."""
        return self._sealed

    # ------------------------------------------------------------------ extra per-arch metrics (see extras.py)
    @property
    def extra_datasets(self) -> list[str]:
        """Dataset keys that have extra per-arch metrics (they need no recipe), sorted."""
        with self.reading():
            return extra_datasets(self._h5)

    def arch_metric_names(self, dataset: str) -> list[str]:
        """Names of the extra per-arch metrics stored for ``dataset`` (e.g. device latencies), sorted; ``[]`` if none."""
        with self.reading():
            return arch_metric_names(self._h5, dataset)

    def arch_metric(self, name: str, dataset: str) -> np.ndarray:
        """Extra per-arch metric ``name`` of ``dataset`` for every arch, ``(15625,)`` float64, NaN where absent.

        Raises:
            ConfigError: no such metric (the message lists the stored ones).
            BenchmarkFormatError: a damaged array or provenance.
        """
        key = (name, dataset)
        if key not in self._extra_cache:
            with self.reading():
                self._extra_cache[key] = read_arch_metric(self._h5, name, dataset, self._sealed)
        return self._extra_cache[key]

    def arch_metric_provenance(self, name: str, dataset: str) -> dict[str, str]:
        """Where extra metric ``name`` comes from: ``source``, ``path``, ``sha256``, ``column``, ``note``, ``unit``, ``date``."""
        with self.reading():
            return arch_metric_provenance(self._h5, name, dataset, self._sealed)

    @property
    def metrics(self) -> tuple[str, ...]:
        """Metric names every recipe holds (``schema.METRICS``)."""
        return METRICS

    def _fill(self, pairs: list[tuple[int, str, str, int]]) -> bool:
        """Train missing runs with ``fill_missing`` and reload; False when there is no fill function."""
        if self._fill_missing is None or not pairs:
            return False
        for arch_index, dataset, recipe, seed in pairs:
            logger.info("training missing entry: arch %d, %s/%s, seed %d", arch_index, dataset, recipe, seed)
            self._fill_missing(arch_index, dataset, recipe, seed)
        self.reload()
        return True


__all__ = ["Benchmark", "MissingEntryError", "default_benchmark_path"]
