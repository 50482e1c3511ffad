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
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.benchmark.errors import ImportFormatError
from nasbench_lab.benchmark.import_base import NB201_RECIPES, RecipeBook, locked_writer, nb201_recipe, provenance
from nasbench_lab.benchmark.layout import check_name
from nasbench_lab.benchmark.schema import ARCH_METRICS, CURVE_METRICS, METRIC_RANGES, METRICS, RUN_METRICS, Recipe
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.errors import ArchError, ConfigError
from nasbench_lab.space import Arch

ACC_METRICS = frozenset({"train_acc", "valid_acc", "test_acc"})
UNITS = ("percent", "fraction")
# A number as a table writes it, in ASCII: float() would also take "inf", "1e999" (inf), "1_0" and "١٢".
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", flags=re.ASCII)
_MISSING = frozenset({"", "nan", "NaN", "NAN"})
Runs = dict[str, Any]  # write_curves keyword arguments: indices, curves, eval_time (, mapped_from)
Rows = list[tuple[int, list[str]]]  # (line number, fields); the header is line 1


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
    def parse(cls, text: str, default_dataset: str | None, metrics: Collection[str] | None = METRICS) -> ColumnMap:
        """Read ``[DATASET:]COLUMN=METRIC`` (``cifar10:test_top1=test_acc``, ``valid_top1=valid_acc``).

        Args:
            text: the ``--map`` value.
            default_dataset: dataset of a map that names none.
            metrics: the names METRIC may take; ``None`` for any name an HDF5 object can have (extra
                per-arch metrics and imported proxies name themselves).

        Raises:
            ConfigError: malformed text, unknown metric, or no dataset given.
        """
        head, sep, metric = text.rpartition("=")
        dataset, _colon, column = head.partition(":") if ":" in head else (default_dataset, "", head)
        if not sep or not column or not metric:
            raise ConfigError(f"cannot read --map {text!r}: write [DATASET:]COLUMN=METRIC, e.g. valid_top1=valid_acc")
        if metrics is None:
            check_name("--map name", metric)
        elif metric not in metrics:
            raise ConfigError(f"--map {text!r}: unknown metric {metric!r}; valid: {', '.join(metrics)}")
        if not dataset:
            raise ConfigError(f"--map {text!r}: no dataset; give --dataset or write DATASET:COLUMN=METRIC")
        return cls(column=column, metric=metric, dataset=dataset)


def read_table(path: Path, delimiter: str | None) -> tuple[list[str], Rows]:
    """Header and non-blank rows of a CSV/TSV file; the delimiter follows the extension unless given.

    Raises:
        ImportFormatError: unreadable text, no header, a repeated header, or a row of another width.
    """
    if delimiter is None:
        suffixes = [s.lower() for s in path.suffixes]
        delimiter = "\t" if ".tsv" in suffixes or ".tab" in suffixes else ","
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:  # utf-8-sig drops the byte-order mark that spreadsheet programs put before the first header
        with opener(path, "rt", newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh, delimiter=delimiter))
    except (UnicodeDecodeError, csv.Error, gzip.BadGzipFile, EOFError) as exc:
        raise ImportFormatError(f"{path}: not a readable CSV/TSV text table ({exc})") from None
    if not rows:
        raise ImportFormatError(f"{path}: empty table, expected a header row")
    header = [h.strip() for h in rows[0]]
    repeated = sorted(name for name, n in Counter(header).items() if n > 1)
    if repeated:
        raise ImportFormatError(f"{path}: header repeats column {repeated[0]!r}; give every column its own name")
    body = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:  # a blank line
            continue
        if len(row) != len(header):
            raise ImportFormatError(
                f"{path}, line {line}: {len(row)} fields, the header has {len(header)}; "
                "fix the row (a stray or missing delimiter?) or give --delimiter"
            )
        body.append((line, row))
    return header, body


def arch_indices(rows: Rows, col: int, path: Path) -> np.ndarray:
    """NB201 index of every row."""
    out = np.empty(len(rows), dtype=np.int64)
    seen: dict[int, int] = {}
    for k, (line, row) in enumerate(rows):
        try:
            index = Arch.coerce(row[col]).index
        except (ArchError, IndexError) as exc:
            raise ImportFormatError(f"{path}, line {line}: cannot read the arch ({exc})") from None
        if index in seen:
            raise ImportFormatError(f"{path}, line {line}: arch {index} already given on line {seen[index]}")
        seen[index] = line
        out[k] = index
    return out


def column_values(rows: Rows, col: int, name: str, path: Path) -> np.ndarray:
    """A column as floats; empty cells and 'nan' are missing (NaN); infinities and anything else are errors."""
    out = np.full(len(rows), np.nan)
    for k, (line, row) in enumerate(rows):
        cell = row[col].strip()
        if cell in _MISSING:
            continue
        value = float(cell) if _NUMBER.fullmatch(cell) else None
        if value is None or not np.isfinite(value):
            raise ImportFormatError(
                f"{path}, line {line}: column {name!r} holds {cell!r}, not a finite number written in ASCII "
                "(leave the cell empty or write nan for a missing value)"
            )
        out[k] = value
    return out


def _check_range(values: np.ndarray, metric: str, name: str, path: Path, rows: Rows) -> None:
    """Refuse values outside ``metric``'s domain (negative times or losses, accuracies outside 0..100)."""
    low, high = METRIC_RANGES[metric]
    bad = np.flatnonzero((values < low) | (values > high))
    if bad.size:
        k = int(bad[0])
        raise ImportFormatError(
            f"{path}, line {rows[k][0]}: column {name!r} holds {values[k]:g}, outside {metric}'s range "
            f"{low:g}..{high:g} ({bad.size} such rows); fix the table or the --map"
        )


def _check_maps(maps: Sequence[ColumnMap]) -> None:
    """Refuse two columns mapped to one metric of one dataset (one would silently overwrite the other)."""
    seen: dict[tuple[str, str], str] = {}
    for m in maps:
        key = (m.dataset, m.metric)
        if key in seen:
            raise ConfigError(
                f"--map: columns {seen[key]!r} and {m.column!r} both map to {m.dataset}:{m.metric}; keep one"
            )
        seen[key] = m.column


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
    return values  # the range (0..100) is checked with the other metrics' ranges


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
    path = Path(path)
    if units not in UNITS:
        raise ConfigError(f"unknown units {units!r}; valid: {', '.join(UNITS)}")
    if not maps:
        raise ConfigError("nothing to import: give at least one --map COLUMN=METRIC")
    _check_maps(maps)
    indices, columns = _read_columns(path, maps, units, arch_column, delimiter)
    counts: dict[tuple[str, str], int] = {}
    with locked_writer(out) as (writer, existing):
        plans = {d: _table_recipe(recipe, epoch, existing.get((d, recipe), (None,))[0], path) for d in columns}
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


def _read_columns(
    path: Path, maps: Sequence[ColumnMap], units: str, arch_column: str, delimiter: str | None
) -> tuple[np.ndarray, dict[str, dict[str, np.ndarray]]]:
    """Arch indices ``(n,)`` and, per dataset, metric -> checked values ``(n,)`` (accuracies in percent)."""
    header, rows = read_table(path, delimiter)
    for name in [arch_column, *(m.column for m in maps)]:
        if name not in header:
            raise ImportFormatError(f"{path}: no column {name!r}; columns are: {', '.join(header)}")
    indices = arch_indices(rows, header.index(arch_column), path)
    columns: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for m in maps:
        values = column_values(rows, header.index(m.column), m.column, path)
        if m.metric in ACC_METRICS:
            values = _to_percent(values, units, m.column)
        _check_range(values, m.metric, m.column, path, rows)
        columns[m.dataset][m.metric] = values
    return indices, dict(columns)


def _new_runs(recipe: Recipe, col: int, indices: np.ndarray, values: Mapping[str, np.ndarray]) -> Runs | None:
    """``write_curves`` arguments for the rows that hold a curve or run value (None if no row does)."""
    names = [m for m in values if m in CURVE_METRICS or m in RUN_METRICS]
    run = np.zeros(indices.size, dtype=bool)
    for name in names:
        run |= np.isfinite(values[name])
    if not run.any():
        return None
    curves: dict[str, np.ndarray] = {}
    for name in (m for m in names if m in CURVE_METRICS):
        curves[name] = np.full((int(run.sum()), recipe.n_epochs), np.nan)
        curves[name][:, col] = values[name][run]
    eval_time = values["eval_time"][run] if "eval_time" in values else None
    return {"indices": indices[run], "curves": curves, "eval_time": eval_time}


def _merged_runs(out: str | Path, dataset: str, recipe: Recipe, col: int, seed: int, indices: np.ndarray,
                 values: Mapping[str, np.ndarray]) -> Runs | None:
    """Like :func:`_new_runs`, keeping what the file already holds for these runs outside the new values."""
    runs = _new_runs(recipe, col, indices, values)
    if runs is None:
        return None
    with Benchmark.open(out) as bench:
        if seed not in bench.seeds(dataset, recipe.name):
            return runs
        idx = runs["indices"]
        for name in CURVE_METRICS:
            old = bench.curves_many(idx, dataset, name, seed=seed, recipe=recipe.name, missing="nan")
            new = runs["curves"].get(name)
            runs["curves"][name] = old if new is None else np.where(np.isnan(new), old, new)
        old_time = bench.query_many(idx, dataset, "eval_time", seed=seed, recipe=recipe.name, missing="nan")
        new_time = runs["eval_time"]
        runs["eval_time"] = old_time if new_time is None else np.where(np.isnan(new_time), old_time, new_time)
        seed_col = bench.seeds(dataset, recipe.name).index(seed)
        runs["mapped_from"] = bench.mapped_from(dataset, recipe.name)[idx, seed_col]
    return runs
