"""Generic CSV/TSV importer: columns of a table (one row per arch) become metrics of a benchmark.

Each mapped column (:class:`ColumnMap`, ``[DATASET:]COLUMN=METRIC``) becomes one metric of one dataset.
Curve metrics land in one eval point (``epoch``) of one seed's run of a recipe; accuracy columns are
stored in percent (``units`` says what the table holds and is checked against the values). Recipes,
provenance and the merge into an existing file are shared with the NB201 / NATS-Bench importers of
:mod:`nasbench_lab.benchmark.importers`.
"""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench_lab.benchmark.importers import (
    NB201_RECIPES,
    ImportFormatError,
    RecipeBook,
    existing_recipes,
    nb201_recipe,
    provenance,
)
from nasbench_lab.benchmark.schema import ARCH_METRICS, CURVE_METRICS, METRICS, RUN_METRICS, Recipe
from nasbench_lab.errors import ArchError, ConfigError
from nasbench_lab.space import Arch

ACC_METRICS = frozenset({"train_acc", "valid_acc", "test_acc"})
UNITS = ("percent", "fraction")


@dataclass(frozen=True)
class ColumnMap:
    """One table column imported as one metric of one dataset.

    Attributes:
        column: the column's header.
        metric: a metric of :data:`~nasbench_lab.benchmark.schema.METRICS`.
        dataset: the dataset key it belongs to.
    """

    column: str
    metric: str
    dataset: str

    @classmethod
    def parse(cls, text: str, default_dataset: str | None) -> ColumnMap:
        """Read ``[DATASET:]COLUMN=METRIC`` (``cifar10:test_top1=test_acc``, ``valid_top1=valid_acc``).

        Raises:
            ConfigError: malformed text, unknown metric, or no dataset given.
        """
        head, sep, metric = text.rpartition("=")
        dataset, _colon, column = head.partition(":") if ":" in head else (default_dataset, "", head)
        if not sep or not column or not metric:
            raise ConfigError(f"cannot read --map {text!r}: write [DATASET:]COLUMN=METRIC, e.g. valid_top1=valid_acc")
        if metric not in METRICS:
            raise ConfigError(f"--map {text!r}: unknown metric {metric!r}; valid: {', '.join(METRICS)}")
        if not dataset:
            raise ConfigError(f"--map {text!r}: no dataset; give --dataset or write DATASET:COLUMN=METRIC")
        return cls(column=column, metric=metric, dataset=dataset)


def _read_table(path: Path, delimiter: str | None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV/TSV file; the delimiter follows the extension unless given."""
    if delimiter is None:
        suffixes = [s.lower() for s in path.suffixes]
        delimiter = "\t" if ".tsv" in suffixes or ".tab" in suffixes else ","
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh, delimiter=delimiter))
    except (UnicodeDecodeError, csv.Error, gzip.BadGzipFile, EOFError) as exc:
        raise ImportFormatError(f"{path}: not a readable CSV/TSV text table ({exc})") from None
    if not rows:
        raise ImportFormatError(f"{path}: empty table, expected a header row")
    return [h.strip() for h in rows[0]], rows[1:]


def _arch_indices(rows: list[list[str]], col: int, path: Path) -> np.ndarray:
    """NB201 index of every row (line numbers count the header as line 1)."""
    out = np.empty(len(rows), dtype=np.int64)
    seen: dict[int, int] = {}
    for k, row in enumerate(rows):
        line = k + 2
        try:
            index = Arch.coerce(row[col]).index
        except (ArchError, IndexError) as exc:
            raise ImportFormatError(f"{path}, line {line}: cannot read the arch ({exc})") from None
        if index in seen:
            raise ImportFormatError(f"{path}, line {line}: arch {index} already given on line {seen[index]}")
        seen[index] = line
        out[k] = index
    return out


def _column_values(rows: list[list[str]], col: int, name: str, path: Path) -> np.ndarray:
    """A column as floats; empty cells and 'nan' become NaN, anything else unreadable is an error."""
    out = np.full(len(rows), np.nan)
    for k, row in enumerate(rows):
        cell = row[col].strip() if col < len(row) else ""
        if cell:
            try:
                out[k] = float(cell)
            except ValueError:
                raise ImportFormatError(f"{path}, line {k + 2}: column {name!r} holds {cell!r}, not a number") from None
    return out


def _to_percent(values: np.ndarray, units: str, name: str) -> np.ndarray:
    """Accuracy column in percent; refuses values that contradict ``units``."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return values
    if units == "fraction":
        if finite.max() > 1.0:
            raise ConfigError(f"column {name!r} has values up to {finite.max():g}, not fractions: use --units percent")
        values, finite = values * 100.0, finite * 100.0
    elif 0.0 < finite.max() <= 1.0:
        raise ConfigError(
            f"column {name!r} has values only up to {finite.max():g}: if they are fractions, use --units fraction"
        )
    if finite.min() < 0.0 or finite.max() > 100.0:
        raise ConfigError(f"column {name!r} has accuracies outside 0..100 percent")
    return values


def _table_recipe(name: str, epoch: float, existing: Recipe | None, source: Path) -> tuple[Recipe, int]:
    """The recipe a table is imported into and the curve column of ``epoch``."""
    if existing is not None:
        recipe = existing
    elif name in NB201_RECIPES.values():
        recipe = nb201_recipe(next(hp for hp, n in NB201_RECIPES.items() if n == name))
    else:
        points = tuple(range(1, int(epoch) + 1)) if float(epoch).is_integer() and epoch >= 1 else (float(epoch),)
        recipe = Recipe(name=name, eval_points=points, description=f"imported from {source.name}")
    matches = np.flatnonzero(np.isclose(recipe.eval_points, float(epoch)))
    if matches.size != 1:
        raise ConfigError(
            f"--epoch {epoch:g} is not an eval point of recipe {name!r} "
            f"(eval points {recipe.eval_points[0]:g}..{recipe.eval_points[-1]:g})"
        )
    return recipe, int(matches[0])


def import_table(
    path: str | Path,
    out: str | Path,
    maps: Sequence[ColumnMap],
    *,
    recipe: str,
    epoch: float,
    seed: int,
    units: str = "percent",
    arch_column: str = "arch",
    delimiter: str | None = None,
) -> dict[tuple[str, str], int]:
    """Import columns of a CSV/TSV table (one row per arch) into the benchmark at ``out``.

    Curve metrics land in column ``epoch`` of the recipe's curves for ``seed``; the rest of the run
    stays NaN. A row whose curve values for a dataset are all empty is not marked as a run.

    Args:
        path: the table (``.csv``, ``.tsv``, optionally ``.gz``).
        out: benchmark file to create or merge into.
        maps: which column becomes which metric of which dataset.
        recipe: recipe name; a new one gets eval points ``1..epoch`` (NB201 names get NB201's recipe).
        epoch: eval point (in epochs) of the imported curve values.
        seed: seed value the values are stored under.
        units: ``percent`` or ``fraction`` for accuracy columns.
        arch_column: header of the column holding the arch (NB201 index or arch string).
        delimiter: field separator (default: tab for ``.tsv``, comma otherwise).

    Returns:
        ``(dataset, recipe) -> number of archs written``.

    Raises:
        ImportFormatError: unknown column, unreadable arch or value (the error names the line).
        ConfigError: units that contradict the values, an epoch that is not an eval point, or a
            recipe that exists with another protocol.
    """
    from nasbench_lab.benchmark.writer import BenchmarkWriter

    path = Path(path)
    if units not in UNITS:
        raise ConfigError(f"unknown units {units!r}; valid: {', '.join(UNITS)}")
    if not maps:
        raise ConfigError("nothing to import: give at least one --map COLUMN=METRIC")
    header, rows = _read_table(path, delimiter)
    for name in [arch_column, *(m.column for m in maps)]:
        if name not in header:
            raise ImportFormatError(f"{path}: no column {name!r}; columns are: {', '.join(header)}")
    indices = _arch_indices(rows, header.index(arch_column), path)
    columns: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for m in maps:
        values = _column_values(rows, header.index(m.column), m.column, path)
        columns[m.dataset][m.metric] = _to_percent(values, units, m.column) if m.metric in ACC_METRICS else values
    existing = existing_recipes(out)
    plans = {d: _table_recipe(recipe, epoch, existing.get((d, recipe), (None,))[0], path) for d in columns}
    counts: dict[tuple[str, str], int] = {}
    with BenchmarkWriter(out) as writer:
        book = RecipeBook(writer, existing, provenance(f"table {path.name}", path))
        for dataset, values in columns.items():
            rec, col = plans[dataset]
            book.ensure(dataset, rec, [seed])
            runs = _merged_runs(out, dataset, rec, col, seed, indices, values) if (dataset, recipe) in existing \
                else _new_runs(rec, col, indices, values)
            if runs is not None:
                writer.write_curves(dataset, rec.name, seed=seed, **runs)
            for name in (m for m in values if m in ARCH_METRICS):
                known = np.isfinite(values[name])
                writer.write_arch_metrics(dataset, rec.name, indices[known], **{name: values[name][known]})
            counts[(dataset, rec.name)] = 0 if runs is None else int(runs["indices"].size)
    return counts


def _new_runs(recipe: Recipe, col: int, indices: np.ndarray, values: Mapping[str, np.ndarray]) -> dict | None:
    """``write_curves`` arguments for the rows that hold a curve or run value (None if no row does)."""
    names = [m for m in values if m in CURVE_METRICS or m in RUN_METRICS]
    run = np.zeros(indices.size, dtype=bool)
    for name in names:
        run |= np.isfinite(values[name])
    if not run.any():
        return None
    curves = {}
    for name in (m for m in names if m in CURVE_METRICS):
        curves[name] = np.full((int(run.sum()), recipe.n_epochs), np.nan)
        curves[name][:, col] = values[name][run]
    eval_time = values["eval_time"][run] if "eval_time" in values else None
    return {"indices": indices[run], "curves": curves, "eval_time": eval_time}


def _merged_runs(out: str | Path, dataset: str, recipe: Recipe, col: int, seed: int, indices: np.ndarray,
                 values: Mapping[str, np.ndarray]) -> dict | None:
    """Like :func:`_new_runs`, keeping what the file already holds for these runs outside the new values."""
    from nasbench_lab.benchmark.store import Benchmark

    runs = _new_runs(recipe, col, indices, values)
    if runs is None:
        return None
    with Benchmark.open(out) as bench:
        if seed not in bench.seeds(dataset, recipe.name):
            return runs
        idx = runs["indices"]
        kw = dict(dataset=dataset, recipe=recipe.name, seed=seed, missing="nan")
        for name in CURVE_METRICS:
            old = bench.curves_many(idx, metric=name, **kw)
            new = runs["curves"].get(name)
            runs["curves"][name] = old if new is None else np.where(np.isnan(new), old, new)
        old_time = bench.query_many(idx, metric="eval_time", **kw)
        new_time = runs["eval_time"]
        runs["eval_time"] = old_time if new_time is None else np.where(np.isnan(new_time), old_time, new_time)
        seed_col = bench.seeds(dataset, recipe.name).index(seed)
        runs["mapped_from"] = bench.mapped_from(dataset, recipe.name)[idx, seed_col]
    return runs
