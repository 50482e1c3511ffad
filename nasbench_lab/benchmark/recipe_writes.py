"""What :class:`~nasbench_lab.benchmark.writer.BenchmarkWriter` writes into an existing recipe group.

:class:`RecipeWrites` holds the writer's data methods: training runs (:meth:`~RecipeWrites.write_runs`,
vectorised :meth:`~RecipeWrites.write_curves`, whole tables :meth:`~RecipeWrites.write_arrays`),
per-arch params/FLOPs/latency and zero-cost proxy scores. The file lifecycle (atomic copy, seal,
commit) and the recipe structure (recipes, seeds, JSON attributes) are in
:mod:`nasbench_lab.benchmark.writer`, whose class supplies the recipe groups.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import h5py
import numpy as np

from nasbench_lab.benchmark.layout import (
    check_name,
    check_sources,
    last_occurrence,
    proxy_seed_column,
    scatter_rows,
    shaped,
)
from nasbench_lab.benchmark.schema import ARCH_METRICS, CURVE_METRICS, Recipe, RunRecord
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import check_indices


class RecipeWrites:
    """Data writes into a recipe group of an open benchmark file (the data half of ``BenchmarkWriter``)."""

    def _group(self, dataset: str, recipe_name: str) -> h5py.Group:
        """The group ``/<dataset>/<recipe_name>/`` of the open file; the writer provides it."""
        raise NotImplementedError

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
