"""The query logic behind :class:`~nasbench_lab.benchmark.store.Benchmark`: validation, seed
selection, vectorised lookup, and turning NaN into :class:`MissingEntryError` (or a fill).

Kept apart from ``store.py`` so that the file-handling class stays short; users call the
:class:`Benchmark` methods, not this module.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import numpy as np

from nasbench_lab.benchmark.errors import MissingEntryError, NoResultsError
from nasbench_lab.benchmark.schema import ARCH_METRICS, CURVE_METRICS, METRICS
from nasbench_lab.benchmark.table import RecipeTable
from nasbench_lab.errors import ConfigError
from nasbench_lab.objectives import is_maximised
from nasbench_lab.space import N_ARCHS

SeedSpec = int | str | None
# A resolved seed: "mean", one seed position for every lookup, or a position per lookup.
Selection = str | int | np.ndarray
_MISSING_MODES = ("raise", "nan")


class TableSource(Protocol):
    """What :class:`QueryEngine` needs from its benchmark (:class:`~nasbench_lab.benchmark.store.Benchmark`).

    A protocol rather than an import of ``store``, which imports this module.
    """

    path: Path

    def _table(self, dataset: str, recipe: str | None) -> RecipeTable:
        """The cached table of ``dataset``/``recipe`` (default: the dataset's only recipe)."""
        ...

    def reading(self) -> AbstractContextManager[None]:
        """Context manager turning HDF5 read failures into ``BenchmarkFormatError``."""
        ...

    def _fill(self, pairs: list[tuple[int, str, str, int]]) -> bool:
        """Train missing ``(arch, dataset, recipe, seed)`` runs and reload; False when it cannot."""
        ...


def check_metric(metric: str, allowed: tuple[str, ...] = METRICS, kind: str = "metrics") -> str:
    """Return ``metric`` if it is one of ``allowed``, else raise :class:`ConfigError` listing them."""
    if metric not in allowed:
        raise ConfigError(f"unknown metric {metric!r} here; valid {kind}: {', '.join(allowed)}")
    return metric


def check_missing(missing: str) -> str:
    """Return ``missing`` if it is ``"raise"`` or ``"nan"``."""
    if missing not in _MISSING_MODES:
        raise ConfigError(f"missing={missing!r}: use 'raise' or 'nan'")
    return missing


def epoch_position(table: RecipeTable, epoch: int) -> int:
    """Column ``epoch`` (negative from the end) as a position in ``0..n_epochs-1``."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)):
        raise ConfigError(f"epoch must be an integer curve column, got {epoch!r}")
    n = table.n_epochs
    if not -n <= int(epoch) < n:
        raise ConfigError(
            f"epoch {epoch} is outside -{n}..{n - 1}: recipe {table.recipe.name!r} has {n} curve columns "
            f"(at epochs {table.recipe.eval_points[0]:g}..{table.recipe.eval_points[-1]:g})"
        )
    return int(epoch) % n


def seed_position(table: RecipeTable, seed: int) -> int:
    """Position of seed value ``seed`` on the recipe's seed axis."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"seed must be 'mean', None (random, with rng) or a seed value, got {seed!r}")
    hits = np.flatnonzero(table.seeds == int(seed))
    if hits.size == 0:
        seeds = ", ".join(str(s) for s in table.seeds)
        raise ConfigError(f"seed {seed} is not a seed of recipe {table.recipe.name!r}; its seeds: {seeds}")
    return int(hits[0])


def draw_seeds(table: RecipeTable, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One seed position per lookup ``idx`` ``(n,)``: uniform among the arch's filled seeds (all if none)."""
    counts, order = table.seed_choices
    picks = (rng.random(idx.size) * counts[idx]).astype(np.int64)  # floor(u * k) is uniform on 0..k-1
    return order[idx, picks]


class QueryEngine:
    """Answers the queries of one open :class:`Benchmark` (the benchmark owns tables and reloads)."""

    def __init__(self, bench: TableSource) -> None:
        self.bench = bench

    # ------------------------------------------------------------------ selection
    def _selection(
        self, table: RecipeTable, idx: np.ndarray, metric: str, seed: SeedSpec, rng: np.random.Generator | None
    ) -> Selection:
        if isinstance(seed, str):
            if seed != "mean":
                raise ConfigError(f"seed {seed!r}: use 'mean', None (random, with rng) or a seed value")
            return "mean"
        if seed is None:
            if metric in ARCH_METRICS:
                return "mean"
            if rng is None:
                raise ConfigError("seed=None draws a seed at random: pass rng=np.random.default_rng(<seed>)")
            with self.bench.reading():
                return draw_seeds(table, idx, rng)
        pos = seed_position(table, seed)
        return "mean" if metric in ARCH_METRICS else pos

    # ------------------------------------------------------------------ scalar lookups
    def _gather(self, table: RecipeTable, idx: np.ndarray, metric: str, epoch: int | None, sel: Selection) -> np.ndarray:
        with self.bench.reading():
            if metric in ARCH_METRICS:
                return table.column(metric, None)[idx, 0].astype(np.float64)
            if isinstance(sel, str):
                return table.mean_column(metric, epoch)[idx]
            col = table.column(metric, epoch)
            values = col[:, sel][idx] if isinstance(sel, int) else col[idx, sel]
            return values.astype(np.float64)

    def values(
        self, idx: np.ndarray, dataset: str, metric: str, epoch: int, seed: SeedSpec, recipe: str | None,
        rng: np.random.Generator | None, missing: str,
    ) -> np.ndarray:
        """Scalar values of ``metric`` for archs ``idx`` ``(n,)``; see ``Benchmark.query_many``."""
        check_missing(missing)
        check_metric(metric)
        table = self.bench._table(dataset, recipe)
        epoch_pos = epoch_position(table, epoch) if metric in CURVE_METRICS else None
        sel = self._selection(table, idx, metric, seed, rng)
        out = self._gather(table, idx, metric, epoch_pos, sel)
        if missing == "nan":
            return out
        return self._resolve(
            table, idx, sel, metric, out, lambda t: self._gather(t, idx, metric, epoch_pos, sel)
        )

    # ------------------------------------------------------------------ missing entries
    def _resolve(
        self, table: RecipeTable, idx: np.ndarray, sel: Selection, metric: str, out: np.ndarray,
        regather: Callable[[RecipeTable], np.ndarray],
    ) -> np.ndarray:
        """Return ``out`` if it has no NaN; else fill (when possible) and regather, or raise."""
        bad = _bad_rows(out)
        if not bad.any():
            return out
        with self.bench.reading():
            pairs = self._unfilled_pairs(table, idx[bad], _subset(sel, bad))
        if self.bench._fill(pairs):
            table = self.bench._table(table.dataset, table.recipe.name)
            out = regather(table)
            bad = _bad_rows(out)
            if not bad.any():
                return out
        with self.bench.reading():
            error = self._missing_error(table, idx, sel, metric, bad)
        raise error

    def _unfilled_pairs(self, table: RecipeTable, idx: np.ndarray, sel: Selection) -> list[tuple[int, str, str, int]]:
        filled = table.filled[idx]
        if isinstance(sel, str):
            need = ~filled.any(axis=1)
            positions = np.zeros(idx.size, dtype=np.int64)
        else:
            positions = np.broadcast_to(np.asarray(sel), idx.shape)
            need = ~filled[np.arange(idx.size), positions]
        pairs = [
            (int(i), table.dataset, table.recipe.name, int(table.seeds[p]))
            for i, p in zip(idx[need], positions[need])
        ]
        return list(dict.fromkeys(pairs))

    def _missing_error(
        self, table: RecipeTable, idx: np.ndarray, sel: Selection, metric: str, bad: np.ndarray
    ) -> MissingEntryError:
        k = int(np.flatnonzero(bad)[0])
        i = int(idx[k])
        if isinstance(sel, str):
            unfilled = not table.filled[i].any()
            seed = int(table.seeds[0]) if unfilled else None
        else:
            p = int(sel if isinstance(sel, int) else sel[k])
            unfilled = not table.filled[i, p]
            seed = int(table.seeds[p])
        n_bad = int(bad.sum())
        detail = f"{n_bad - 1} more of the {idx.size} archs asked for are missing too" if n_bad > 1 else ""
        return MissingEntryError(
            i, table.dataset, table.recipe.name, seed, metric=metric, recorded=unfilled,
            bench=str(self.bench.path), detail=detail,
        )

    # ------------------------------------------------------------------ curves and costs
    def curves(
        self, idx: np.ndarray, dataset: str, metric: str, seed: SeedSpec, recipe: str | None,
        epochs: int | None, missing: str,
    ) -> np.ndarray:
        """Curves ``(n, epochs)``; see ``Benchmark.curves_many``."""
        check_missing(missing)
        check_metric(metric, CURVE_METRICS, "curve metrics")
        table = self.bench._table(dataset, recipe)
        k = _n_columns(table, epochs)
        if seed is None:
            raise ConfigError("curves take seed='mean' or a seed value, not None")
        sel = self._selection(table, idx, metric, seed, None)

        def gather(t: RecipeTable) -> np.ndarray:
            with self.bench.reading():
                if isinstance(sel, str):
                    return np.array(t.mean_array(metric)[idx, :k])
                return t.array(metric)[idx, sel, :k].astype(np.float64)

        out = gather(table)
        return out if missing == "nan" else self._resolve(table, idx, sel, metric, out, gather)

    def costs(self, idx: np.ndarray, dataset: str, epochs: int | None, recipe: str | None, missing: str) -> np.ndarray:
        """Simulated costs ``(n,)``; see ``Benchmark.cost_many``."""
        check_missing(missing)
        table = self.bench._table(dataset, recipe)
        k = _n_columns(table, epochs)

        def gather(t: RecipeTable) -> np.ndarray:
            with self.bench.reading():
                return t.cost_mean[idx, k - 1]

        out = gather(table)
        return out if missing == "nan" else self._resolve(table, idx, "mean", "train_time+eval_time", out, gather)

    def best(self, dataset: str, metric: str, recipe: str | None, epoch: int, seed: SeedSpec) -> tuple[int, float]:
        """Best arch and value over archs with a value; see ``Benchmark.best``."""
        if seed is None:
            raise ConfigError("best takes seed='mean' or a seed value, not None")
        values = self.values(np.arange(N_ARCHS), dataset, metric, epoch, seed, recipe, None, "nan")
        if np.isnan(values).all():
            raise NoResultsError(f"no arch has a value of {metric} for dataset {dataset!r}: fill the benchmark first")
        pick = np.nanargmax if is_maximised(metric) else np.nanargmin
        i = int(pick(values))
        return i, float(values[i])

    # ------------------------------------------------------------------ proxies
    def proxy(
        self, idx: np.ndarray, dataset: str, name: str, recipe: str | None, seed: SeedSpec, missing: str, field: str
    ) -> np.ndarray:
        """Proxy ``field`` ("score" or "time") for archs ``idx``; see ``Benchmark.proxy``."""
        check_missing(missing)
        table = self.bench._table(dataset, recipe)
        names = table.proxy_names
        if name not in names:
            stored = ", ".join(names) or "none"
            raise ConfigError(
                f"no proxy {name!r} stored for {dataset}/{table.recipe.name} (stored: {stored}); compute it with "
                "`nasbench-lab proxies compute`"
            )
        with self.bench.reading():
            data = table.proxy(name)
        computed = data["computed"][idx]
        values = data[field][idx]
        if isinstance(seed, str) and seed == "mean":
            counts = computed.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = np.where(computed, values, 0.0).sum(axis=1) / counts
            done = counts > 0
        else:
            pos = _proxy_seed_position(data["proxy_seeds"], seed, name)
            out, done = values[:, pos].copy(), computed[:, pos]
        out[~done] = np.nan
        if missing == "raise" and not done.all():
            k = int(np.flatnonzero(~done)[0])
            raise MissingEntryError(
                int(idx[k]), dataset, table.recipe.name, seed if isinstance(seed, (int, np.integer)) else None,
                metric=f"proxy {name}", bench=str(self.bench.path),
                fix=f"compute it with `nasbench-lab proxies compute --bench {self.bench.path} --dataset {dataset} "
                f"--proxies {name} --archs {int(idx[k])},`",  # the trailing comma: a list, not a sample size
            )
        return out


def _proxy_seed_position(seeds: np.ndarray, seed: SeedSpec, name: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"proxy seed must be 'mean' or a proxy seed value, got {seed!r}")
    hits = np.flatnonzero(seeds == int(seed))
    if hits.size == 0:
        raise ConfigError(f"proxy {name!r} has no seed {seed}; its seeds: {', '.join(map(str, seeds))}")
    return int(hits[0])


def _n_columns(table: RecipeTable, epochs: int | None) -> int:
    if epochs is None:
        return table.n_epochs
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or not 1 <= epochs <= table.n_epochs:
        raise ConfigError(
            f"epochs={epochs!r}: give a number of curve columns in 1..{table.n_epochs} (or None for all)"
        )
    return int(epochs)


def _bad_rows(out: np.ndarray) -> np.ndarray:
    """Lookups with no value: NaN scalars, or curve rows that are NaN throughout."""
    nan = np.isnan(out)
    return nan if out.ndim == 1 else nan.all(axis=1)


def _subset(sel: Selection, mask: np.ndarray) -> Selection:
    return sel[mask] if isinstance(sel, np.ndarray) else sel
