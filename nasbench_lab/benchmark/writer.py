"""Writing benchmark files, atomically.

:class:`BenchmarkWriter` never modifies a benchmark file in place: it writes through an
:class:`~nasbench_lab.benchmark.atomic.AtomicH5File` (a temporary copy beside the target, renamed over
it on a clean exit from the ``with`` block, deleted on an exception), so a reader never sees a
half-written file. Keeping to one writer per path at a time is the caller's job (the fill engine takes
a lock); two concurrent writers cannot corrupt the target, but the last one to finish wins.

This module holds the file lifecycle and the recipe structure (recipes, seeds, JSON attributes); the
data writes into a recipe (runs, per-arch figures, proxy scores) are in
:mod:`nasbench_lab.benchmark.recipe_writes`. The layout written is documented in ``docs/format.md``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from nasbench_lab import __version__
from nasbench_lab.benchmark.atomic import AtomicH5File
from nasbench_lab.benchmark.errors import BenchmarkFormatError
from nasbench_lab.benchmark.integrity import check_root, seal_file, verify_file
from nasbench_lab.benchmark.layout import RECIPE_ATTRS, check_name, check_seeds, create_recipe_arrays, json_attr
from nasbench_lab.benchmark.recipe_writes import RecipeWrites
from nasbench_lab.benchmark.schema import CURVE_METRICS, EXTRA_GROUP, FORMAT_NAME, FORMAT_VERSION, Recipe
from nasbench_lab.errors import ConfigError
from nasbench_lab.provenance import utc_now
from nasbench_lab.space import N_ARCHS

logger = logging.getLogger(__name__)

WRITER_CACHE_BYTES = 64 * 2**20  # chunk cache: a whole block of chunks stays in memory while written


class BenchmarkWriter(RecipeWrites):
    """Adds recipes, runs, per-arch figures and proxy scores to a benchmark file, atomically.

    The data methods (``write_runs``, ``write_curves``, ``write_arrays``, ``write_arch_metrics``,
    ``write_proxy``, ``delete_proxy``) come from :class:`~nasbench_lab.benchmark.recipe_writes.RecipeWrites`.

    Use as a context manager::

        with BenchmarkWriter("bench.h5") as writer:
            writer.add_recipe("digits", recipe, seeds=[0, 1], provenance={"source": "our trainer"})
            writer.write_runs("digits", recipe.name, records)

    Args:
        path: the benchmark file; created when absent.
        overwrite: start from an empty file even if ``path`` exists (it is still replaced only on a
            clean exit).
    """

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.overwrite = overwrite
        self._atomic = AtomicH5File(self.path, overwrite=overwrite, cache_bytes=WRITER_CACHE_BYTES)

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> BenchmarkWriter:
        self.open()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def open(self) -> None:
        """Start working on a temporary copy of the target (a new file if the target is absent).

        Raises:
            BenchmarkFormatError: the existing target is not a readable benchmark file.
        """
        if self._atomic.file is not None:
            raise ConfigError(f"writer for {self.path} is already open")
        self._atomic.open(fresh=self._init_root, check=self._check_existing)

    def _check_existing(self, file: h5py.File) -> None:
        """An existing target must be an intact benchmark: a writer's seal must never cover damage."""
        try:
            check_root(file, self.path)
            verify_file(file, self.path, EXTRA_GROUP)
        except (KeyError, RuntimeError) as exc:  # h5py: an object it cannot open
            raise BenchmarkFormatError(f"cannot read {self.path} ({exc}); it is damaged: restore or re-create it") from None

    def commit(self) -> None:
        """Seal the metadata (:mod:`.integrity`), flush, fsync and atomically move the copy over the target."""
        if self._atomic.file is not None:
            seal_file(self._atomic.file, EXTRA_GROUP)
        self._atomic.commit()

    def abort(self) -> None:
        """Drop the temporary copy; the target stays as it was."""
        self._atomic.abort()

    @staticmethod
    def _init_root(file: h5py.File) -> None:
        attrs = file.attrs
        attrs["format"] = FORMAT_NAME
        attrs["format_version"] = FORMAT_VERSION
        attrs["n_archs"] = N_ARCHS
        attrs["created"] = utc_now()
        attrs["code_version"] = __version__

    @property
    def h5(self) -> h5py.File:
        """The open working copy (for the layout helpers of :mod:`.extras`)."""
        return self._h5

    def proxies_group(self, dataset: str, recipe_name: str) -> h5py.Group:
        """The ``proxies`` group of a recipe (created for recipes written before proxies existed)."""
        return self._group(dataset, recipe_name).require_group("proxies")

    @property
    def _h5(self) -> h5py.File:
        if self._atomic.file is None:
            raise ConfigError("the writer is not open: use it as `with BenchmarkWriter(path) as writer:`")
        return self._atomic.file

    # ------------------------------------------------------------------ recipes and seeds
    def add_recipe(
        self, dataset: str, recipe: Recipe, seeds: Sequence[int], provenance: Mapping[str, str]
    ) -> None:
        """Create the group ``/<dataset>/<recipe.name>/`` with all its arrays (NaN / unfilled).

        Idempotent when the recipe already exists with the same eval points, config and seeds (the
        stored provenance is kept).

        Args:
            dataset: dataset key (``cifar10-valid``, ``digits``, ...).
            recipe: the training protocol.
            seeds: seed values of the seed axis, in order.
            provenance: ``source`` (required), ``code_version``, ``date``, ``device`` (defaults: this
                package's version, now in UTC, ``"unknown"``); further string keys are stored too.

        Raises:
            ConfigError: bad names or seeds, no ``source``, or a recipe of that name already exists
                with different eval points, config or seeds (use :meth:`add_seeds` to grow seeds).
        """
        check_name("dataset", dataset)
        seeds = check_seeds(seeds)
        path = f"{dataset}/{recipe.name}"
        if path in self._h5:
            self._check_same_recipe(path, recipe, seeds)
            return
        attrs = self._provenance_attrs(provenance)
        group = self._h5.create_group(path)
        for key, value in {**recipe.to_attrs(), **attrs}.items():
            group.attrs[key] = value
        group.attrs["provenance_keys"] = json.dumps(sorted(attrs))
        group.attrs["seeds"] = np.asarray(seeds, dtype=np.int64)
        create_recipe_arrays(group, len(seeds), recipe.n_epochs)
        group.create_group("proxies")
        logger.info("added recipe %s with %d seeds to %s", path, len(seeds), self.path)

    def _provenance_attrs(self, provenance: Mapping[str, str]) -> dict[str, str]:
        if not provenance.get("source"):
            raise ConfigError("provenance needs a 'source' (where these results come from)")
        attrs = {"code_version": __version__, "date": utc_now(), "device": "unknown"}
        for key, value in provenance.items():
            if key in RECIPE_ATTRS or not isinstance(key, str) or "/" in key:
                raise ConfigError(f"provenance key {key!r} is reserved or invalid")
            attrs[key] = str(value)
        return attrs

    def _check_same_recipe(self, path: str, recipe: Recipe, seeds: list[int]) -> None:
        group = self._h5[path]
        stored = Recipe.from_attrs(group.attrs)
        stored_seeds = [int(s) for s in group.attrs["seeds"]]
        diffs = []
        if stored.eval_points != recipe.eval_points:
            diffs.append("eval_points")
        if stored.config != json.loads(json.dumps(recipe.config, sort_keys=True)):
            diffs.append("config")
        if stored_seeds != seeds:
            diffs.append(f"seeds (stored {stored_seeds}, given {seeds}; use add_seeds to grow them)")
        if diffs:
            raise ConfigError(
                f"recipe {path} already exists in {self.path} with different {', '.join(diffs)}; "
                "give the new protocol another recipe name"
            )

    def _group(self, dataset: str, recipe_name: str) -> h5py.Group:
        path = f"{dataset}/{recipe_name}"
        if path not in self._h5:
            raise ConfigError(f"no recipe {path} in {self.path}: call add_recipe first")
        return self._h5[path]

    def recipe_json_attr(self, dataset: str, recipe_name: str, name: str, default: Any) -> Any:
        """A JSON-valued attribute of the recipe group (e.g. the fill's ``fill_failures``), or ``default``."""
        return json_attr(self._group(dataset, recipe_name).attrs, name, default)

    def set_recipe_json_attr(self, dataset: str, recipe_name: str, name: str, value: Any) -> None:
        """Store ``value`` as a JSON attribute of the recipe group; an empty value removes the attribute."""
        attrs = self._group(dataset, recipe_name).attrs
        if value:
            attrs[name] = json.dumps(value, sort_keys=True)
        elif name in attrs:
            del attrs[name]

    def add_seeds(self, dataset: str, recipe_name: str, seeds: Sequence[int]) -> None:
        """Append seeds to a recipe's seed axis (seeds already present are skipped).

        Raises:
            ConfigError: the recipe does not exist or the seeds are not integers.
        """
        group = self._group(dataset, recipe_name)
        stored = [int(s) for s in group.attrs["seeds"]]
        new = [s for s in check_seeds(seeds) if s not in stored]
        if not new:
            return
        total = len(stored) + len(new)
        for name in (*CURVE_METRICS, "eval_time", "filled", "mapped_from"):
            group[name].resize(total, axis=1)
        group.attrs["seeds"] = np.asarray(stored + new, dtype=np.int64)
