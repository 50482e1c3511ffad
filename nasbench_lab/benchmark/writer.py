"""Writing benchmark files, atomically.

:class:`BenchmarkWriter` never modifies a benchmark file in place: it writes through an
:class:`~nasbench_lab.benchmark.atomic.AtomicH5File` (a temporary copy beside the target, renamed over
it on a clean exit from the ``with`` block, deleted on an exception), so a reader never sees a
half-written file. Keeping to one writer per path at a time is the caller's job (the fill engine takes
a lock); two concurrent writers cannot corrupt the target, but the last one to finish wins.

The layout written here is documented in ``docs/format.md``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from nasbench_lab import __version__
from nasbench_lab.benchmark.atomic import AtomicH5File
from nasbench_lab.benchmark.errors import BenchmarkFormatError
from nasbench_lab.benchmark.integrity import check_root, seal_file, verify_file
from nasbench_lab.benchmark.layout import (
    RECIPE_ATTRS,
    check_name,
    check_seeds,
    check_sources,
    create_recipe_arrays,
    json_attr,
    last_occurrence,
    proxy_seed_column,
    scatter_rows,
    shaped,
)
from nasbench_lab.benchmark.schema import (
    ARCH_METRICS,
    CURVE_METRICS,
    EXTRA_GROUP,
    FORMAT_NAME,
    FORMAT_VERSION,
    Recipe,
    RunRecord,
)
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import N_ARCHS, check_indices

logger = logging.getLogger(__name__)

WRITER_CACHE_BYTES = 64 * 2**20  # chunk cache: a whole block of chunks stays in memory while written


def utc_now() -> str:
    """The current time in UTC, ISO 8601 to the second (what ``date``/``created`` attributes hold)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class BenchmarkWriter:
    """Adds recipes, runs, per-arch figures and proxy scores to a benchmark file, atomically.

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

    # ------------------------------------------------------------------ runs
    def write_runs(self, dataset: str, recipe_name: str, records: Iterable[RunRecord]) -> int:
        """Store training runs: curves, eval time, filled mask and ``mapped_from``.

        Curves a record lacks are stored as NaN (overwriting earlier values of that run); params,
        FLOPs and latency are written when the record's are not NaN. A later record for the same
        (arch, seed) wins.

        Returns:
            The number of records written.

        Raises:
            ConfigError: unknown recipe or seed, or a record that does not fit the recipe.
        """
        group = self._group(dataset, recipe_name)
        recipe = Recipe.from_attrs(group.attrs)
        by_seed: dict[int, list[RunRecord]] = {}
        count = 0
        for record in records:
            try:
                record.check(recipe)
            except ValueError as exc:
                raise ConfigError(f"{dataset}/{recipe_name}: {exc}") from None
            by_seed.setdefault(int(record.seed), []).append(record)
            count += 1
        for seed, group_records in by_seed.items():
            self._write_seed_records(dataset, recipe_name, recipe.n_epochs, seed, group_records)
        return count

    def _write_seed_records(
        self, dataset: str, recipe_name: str, n_epochs: int, seed: int, records: list[RunRecord]
    ) -> None:
        indices = np.array([r.arch_index for r in records], dtype=np.int64)
        curves = {}
        for name in CURVE_METRICS:
            rows = [np.asarray(r.curves.get(name, np.full(n_epochs, np.nan)), dtype=np.float32) for r in records]
            curves[name] = np.stack(rows)
        eval_time = np.array([r.eval_time for r in records], dtype=np.float32)
        mapped_from = np.array([r.mapped_from for r in records], dtype=np.int32)
        self.write_curves(dataset, recipe_name, indices, seed, curves, eval_time=eval_time, mapped_from=mapped_from)
        arch = {m: np.array([getattr(r, m) for r in records], dtype=np.float64) for m in ARCH_METRICS}
        for name, values in arch.items():
            known = ~np.isnan(values)
            if known.any():
                self.write_arch_metrics(dataset, recipe_name, indices[known], **{name: values[known]})

    def write_curves(
        self,
        dataset: str,
        recipe_name: str,
        indices: Sequence[int] | np.ndarray,
        seed: int,
        curves: Mapping[str, np.ndarray],
        *,
        eval_time: np.ndarray | None = None,
        mapped_from: np.ndarray | None = None,
    ) -> int:
        """Vectorised form of :meth:`write_runs`: many archs' runs with one seed.

        Args:
            indices: NB201 indices, shape ``(n,)``; a repeated index keeps its last row.
            seed: the seed value (one of the recipe's seeds).
            curves: curve metric -> array ``(n, n_epochs)``; missing metrics are stored as NaN.
            eval_time: shape ``(n,)`` (NaN if absent).
            mapped_from: shape ``(n,)``, -1 for trained archs (default all -1).

        Returns:
            The number of distinct archs written.

        Raises:
            ConfigError: unknown recipe, seed or metric, or arrays of the wrong shape.
        """
        group = self._group(dataset, recipe_name)
        seed_pos = self._seed_position(group, seed)
        idx = check_indices(indices).reshape(-1)
        n_epochs = group["train_acc"].shape[2]
        unknown = set(curves) - set(CURVE_METRICS)
        if unknown:
            raise ConfigError(f"unknown curve metrics {sorted(unknown)}; valid: {', '.join(CURVE_METRICS)}")
        last = last_occurrence(idx)
        n_given = idx.size
        idx = idx[last]
        arrays: dict[str, np.ndarray] = {}
        for name in CURVE_METRICS:  # everything is checked before anything is written
            values = curves.get(name)
            arrays[name] = (np.full((idx.size, n_epochs), np.nan, np.float32) if values is None
                            else shaped(name, values, (n_given, n_epochs), last).astype(np.float32))
        extras = {"eval_time": (eval_time, np.nan, np.float32), "mapped_from": (mapped_from, -1, np.int32),
                  "filled": (None, True, bool)}
        for name, (values, default, dtype) in extras.items():
            arrays[name] = (np.full(idx.size, default, dtype) if values is None
                            else shaped(name, values, (n_given,), last).astype(dtype))
        check_sources(arrays["mapped_from"])
        for name, arr in arrays.items():  # "filled" last: a run counts only once all of it is written
            scatter_rows(group[name], idx, seed_pos, arr)
        return int(idx.size)

    @staticmethod
    def _seed_position(group: h5py.Group, seed: int) -> int:
        seeds = [int(s) for s in group.attrs["seeds"]]
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) not in seeds:
            raise ConfigError(
                f"seed {seed!r} is not a seed of recipe {group.name} (seeds: {seeds}); add it with add_seeds"
            )
        return seeds.index(int(seed))

    def write_arrays(
        self,
        dataset: str,
        recipe_name: str,
        *,
        curves: Mapping[str, np.ndarray],
        filled: np.ndarray,
        eval_time: np.ndarray | None = None,
        mapped_from: np.ndarray | None = None,
    ) -> None:
        """Replace a recipe's whole run tables at once (the fast path for importers and generators).

        Args:
            curves: curve metric -> ``(15625, n_seeds, n_epochs)``; absent metrics become all NaN.
            filled: ``(15625, n_seeds)`` bool; values of unfilled runs are stored as NaN.
            eval_time: ``(15625, n_seeds)`` (NaN if absent).
            mapped_from: ``(15625, n_seeds)``, -1 for trained runs (default all -1).

        Raises:
            ConfigError: unknown recipe or metric, or arrays of the wrong shape.
        """
        group = self._group(dataset, recipe_name)
        run_shape = group["filled"].shape
        curve_shape = group["train_acc"].shape
        unknown = set(curves) - set(CURVE_METRICS)
        if unknown:
            raise ConfigError(f"unknown curve metrics {sorted(unknown)}; valid: {', '.join(CURVE_METRICS)}")
        mask = np.asarray(filled, dtype=bool)
        if mask.shape != run_shape:
            raise ConfigError(f"filled has shape {mask.shape}, expected {run_shape}")
        for name in CURVE_METRICS:
            values = curves.get(name)
            arr = np.full(curve_shape, np.nan, np.float32) if values is None else np.asarray(values, np.float32)
            if arr.shape != curve_shape:
                raise ConfigError(f"{name} has shape {arr.shape}, expected {curve_shape}")
            group[name][...] = np.where(mask[:, :, None], arr, np.float32(np.nan))
        times = np.full(run_shape, np.nan, np.float32) if eval_time is None else np.asarray(eval_time, np.float32)
        sources = np.full(run_shape, -1, np.int32) if mapped_from is None else np.asarray(mapped_from, np.int32)
        for name, arr in (("eval_time", times), ("mapped_from", sources)):
            if arr.shape != run_shape:
                raise ConfigError(f"{name} has shape {arr.shape}, expected {run_shape}")
        check_sources(sources)
        group["eval_time"][...] = np.where(mask, times, np.float32(np.nan))
        group["mapped_from"][...] = np.where(mask, sources, np.int32(-1))
        group["filled"][...] = mask

    # ------------------------------------------------------------------ per-arch figures and proxies
    def write_arch_metrics(
        self,
        dataset: str,
        recipe_name: str,
        indices: Sequence[int] | np.ndarray,
        *,
        params: np.ndarray | None = None,
        flops: np.ndarray | None = None,
        latency: np.ndarray | None = None,
    ) -> None:
        """Store per-arch params (millions), FLOPs (millions) and latency (seconds), each ``(n,)``.

        Raises:
            ConfigError: unknown recipe, bad indices or arrays of the wrong shape.
        """
        group = self._group(dataset, recipe_name)
        idx = check_indices(indices).reshape(-1)
        last = last_occurrence(idx)
        for name, values in (("params", params), ("flops", flops), ("latency", latency)):
            if values is not None:
                arr = shaped(name, values, (idx.size,), last).astype(np.float32)
                scatter_rows(group[name], idx[last], None, arr)

    def write_proxy(
        self,
        dataset: str,
        recipe_name: str,
        proxy: str,
        indices: Sequence[int] | np.ndarray,
        seed: int,
        scores: np.ndarray,
        times: np.ndarray,
        settings: Mapping[str, Any],
    ) -> None:
        """Store zero-cost proxy scores (NaN = undefined) and their compute times for one proxy seed.

        Args:
            proxy: proxy name (as registered).
            indices: NB201 indices, shape ``(n,)``.
            seed: the proxy seed (a new seed grows the proxy's seed axis).
            scores: shape ``(n,)``; NaN where the proxy is undefined for the arch.
            times: shape ``(n,)``, seconds; must be finite (it marks the score as computed).
            settings: JSON-serialisable proxy settings (batch size, ...); must match earlier writes.

        Raises:
            ConfigError: unknown recipe, settings that differ from the stored ones, bad shapes, or
                non-finite times.
        """
        check_name("proxy", proxy)
        group = self._group(dataset, recipe_name)["proxies"]
        text = json.dumps(dict(settings), sort_keys=True)
        idx = check_indices(indices).reshape(-1)
        last = last_occurrence(idx)
        score_arr = shaped("scores", scores, (idx.size,), last).astype(np.float64)
        time_arr = shaped("times", times, (idx.size,), last).astype(np.float64)
        if not np.isfinite(time_arr).all():
            raise ConfigError(f"proxy {proxy!r}: times must be finite seconds (they mark computed scores)")
        if np.isinf(score_arr).any():
            raise ConfigError(f"proxy {proxy!r}: a score is infinite; store NaN where the proxy is undefined")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ConfigError(f"proxy seed must be an integer, got {seed!r}")
        stored = group[proxy].attrs.get("settings") if proxy in group else None
        if stored is not None and str(stored) != text:
            raise ConfigError(
                f"proxy {proxy!r} of {dataset}/{recipe_name} was computed with settings "
                f"{stored}, not {text}: drop the stored scores first (`nasbench-lab proxies compute "
                "--recompute`) or store these under another proxy name"
            )
        sub = group.require_group(proxy)
        seed_pos = proxy_seed_column(sub, int(seed), text)
        scatter_rows(sub["score"], idx[last], seed_pos, score_arr)
        scatter_rows(sub["time"], idx[last], seed_pos, time_arr)

    def delete_proxy(self, dataset: str, recipe_name: str, proxy: str) -> bool:
        """Drop every stored score and time of ``proxy`` (all archs and proxy seeds); False if none stored."""
        group = self._group(dataset, recipe_name)["proxies"]
        if proxy not in group:
            return False
        del group[proxy]
        return True
