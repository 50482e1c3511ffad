"""Importing per-arch scores computed elsewhere, with provenance: extra metrics and proxy scores.

Two kinds of table (one row per arch, like :mod:`.csv_import` reads):

- *extra per-arch metrics* (:func:`import_arch_metrics`): cost figures per device and dataset, e.g.
  HW-NAS-Bench's ``edgegpu_latency`` / ``edgegpu_energy``, stored per dataset (:mod:`.extras`);
- *proxy scores* (:func:`import_proxy_scores`): zero-cost proxies published by others (NASWOT,
  synflow, ...), stored like our proxies in a recipe, without compute times.

Every value must be a finite ASCII number (empty or ``nan`` = absent); cost metrics must be >= 0.
The provenance stored with each column names the source file, its SHA-256, the column, a note and the
date; ``nasbench-lab info`` prints it. Both hold the benchmark's lock, as every writer does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nasbench_lab import __version__
from nasbench_lab.benchmark.csv_import import ColumnMap, Rows, arch_indices, column_values, read_table
from nasbench_lab.benchmark.errors import ImportFormatError
from nasbench_lab.benchmark.extras import store_arch_metric, store_imported_proxy
from nasbench_lab.benchmark.import_base import ExistingRecipes, locked_writer, utc_now
from nasbench_lab.errors import ConfigError
from nasbench_lab.study.manifest import sha256_file


def _provenance(path: Path, column: str, note: str, unit: str) -> dict[str, str]:
    return {
        "source": path.name, "path": str(path.resolve()), "sha256": sha256_file(path), "column": column,
        "note": note, "unit": unit, "date": utc_now(), "code_version": f"nasbench_lab {__version__}",
    }


def _read(path: Path, maps: Sequence[ColumnMap], arch_column: str,
          delimiter: str | None) -> tuple[list[str], Rows, np.ndarray]:
    if not maps:
        raise ConfigError("nothing to import: give at least one --map COLUMN=NAME")
    seen: set[tuple[str, str]] = set()
    for m in maps:
        if (m.dataset, m.metric) in seen:
            raise ConfigError(f"--map: two columns map to {m.dataset}:{m.metric}; keep one")
        seen.add((m.dataset, m.metric))
    header, rows = read_table(path, delimiter)
    for name in [arch_column, *(m.column for m in maps)]:
        if name not in header:
            raise ImportFormatError(f"{path}: no column {name!r}; columns are: {', '.join(header)}")
    return header, rows, arch_indices(rows, header.index(arch_column), path)


def import_arch_metrics(
    path: str | Path, out: str | Path, maps: Sequence[ColumnMap], *, note: str = "", unit: str = "",
    arch_column: str = "arch", delimiter: str | None = None, replace: bool = False,
) -> dict[tuple[str, str], int]:
    """Store columns of a table as extra per-arch metrics (``--map [DATASET:]COLUMN=NAME``) of ``out``.

    Args:
        path: the table (``.csv``, ``.tsv``, optionally ``.gz``), one row per arch.
        out: benchmark file to add to (created if absent).
        maps: which column becomes which metric name of which dataset.
        note: free text kept in the provenance (e.g. the device and the paper).
        unit: the values' unit (e.g. ``ms``, ``mJ``), kept in the provenance.
        arch_column: header of the column holding the NB201 index or arch string.
        delimiter: field separator (default: tab for ``.tsv``, comma otherwise).
        replace: overwrite a metric of the same name (else that is an error).

    Returns:
        ``(dataset, name) -> number of archs with a value``.

    Raises:
        ImportFormatError: unreadable table, arch or value; a negative or infinite value.
        ConfigError: a metric that exists (without ``replace``), two columns mapped to one name.
        BenchmarkLockedError: another process is writing ``out``.
    """
    path = Path(path)
    header, rows, indices = _read(path, maps, arch_column, delimiter)
    columns = {}
    for m in maps:
        values = column_values(rows, header.index(m.column), m.column, path)
        negative = np.flatnonzero(values < 0)
        if negative.size:
            line = rows[int(negative[0])][0]
            raise ImportFormatError(f"{path}, line {line}: column {m.column!r} holds a negative cost {values[negative[0]]:g}")
        columns[m] = values
    counts = {}
    with locked_writer(out) as (writer, _):
        for m, values in columns.items():
            known = np.isfinite(values)
            store_arch_metric(writer.h5, m.dataset, m.metric, indices[known], values[known],
                              _provenance(path, m.column, note, unit), replace=replace)
            counts[(m.dataset, m.metric)] = int(known.sum())
    return counts


def import_proxy_scores(
    path: str | Path, out: str | Path, maps: Sequence[ColumnMap], *, recipe: str | None = None, seed: int = 0,
    note: str = "", arch_column: str = "arch", delimiter: str | None = None, replace: bool = False,
) -> dict[tuple[str, str], int]:
    """Store columns of a table as zero-cost proxy scores (``--map [DATASET:]COLUMN=PROXY``) in ``out``.

    Args:
        path: the table, one row per arch.
        out: an existing benchmark file holding the datasets named by ``maps``.
        maps: which column becomes which proxy of which dataset.
        recipe: the recipe whose proxies they join (default: the dataset's only recipe).
        seed: proxy seed value to store the scores under.
        note: free text kept in the provenance.
        arch_column, delimiter, replace: as :func:`import_arch_metrics`.

    Returns:
        ``(dataset, proxy) -> number of archs with a score``.

    Raises:
        ImportFormatError: unreadable table, arch or score.
        ConfigError: unknown dataset or recipe in ``out``; a proxy that exists (without ``replace``).
        BenchmarkNotFoundError: no benchmark at ``out``.
        BenchmarkLockedError: another process is writing ``out``.
    """
    path = Path(path)
    header, rows, indices = _read(path, maps, arch_column, delimiter)
    columns = {m: column_values(rows, header.index(m.column), m.column, path) for m in maps}
    if not Path(out).is_file():
        raise ConfigError(f"no benchmark at {out}: proxy scores join a recipe of an existing file")
    counts = {}
    with locked_writer(out) as (writer, existing):
        for m, values in columns.items():
            name = _recipe_of(existing, m.dataset, recipe, out)
            known = np.isfinite(values)
            store_imported_proxy(writer.proxies_group(m.dataset, name), m.metric, indices[known], values[known],
                                 seed, _provenance(path, m.column, note, ""), replace=replace)
            counts[(m.dataset, m.metric)] = int(known.sum())
    return counts


def _recipe_of(existing: ExistingRecipes, dataset: str, recipe: str | None, out: str | Path) -> str:
    names = sorted(r for d, r in existing if d == dataset)
    if not names:
        datasets = sorted({d for d, _ in existing})
        raise ConfigError(f"no dataset {dataset!r} in {out}; its datasets: {', '.join(datasets) or 'none'}")
    if recipe is not None and recipe not in names:
        raise ConfigError(f"no recipe {recipe!r} for {dataset} in {out}; its recipes: {', '.join(names)}")
    if recipe is None and len(names) != 1:
        raise ConfigError(f"dataset {dataset!r} has recipes {', '.join(names)}: name one with --recipe")
    return recipe or names[0]
