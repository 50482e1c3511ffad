"""Importers of real NAS-Bench-201 / NATS-Bench result files (generic CSV/TSV tables: :mod:`.csv_import`).

The readers here yield, per arch, its *ArchResults* state per training protocol (``hp``: ``"12"`` or
``"200"`` epochs; NB201 ``.pth`` calls them ``"less"`` and ``"full"``) from a NATS-Bench "simple"
directory, a single NATS-Bench file or an NB201 ``.pth``; :func:`import_arch_results` converts them
(:mod:`.nb201_records`, where the record format and NB201's set mapping are described) and writes
them as recipes ``nb201-12`` / ``nb201-200`` (different runs, not epochs of one run).

The recipe book, :func:`existing_recipes`, :func:`provenance` and the locked writer live in
:mod:`.import_base`, shared with the table importer of :mod:`.csv_import`, whose public names
(``ColumnMap``, ``import_table``, ``ACC_METRICS``, ``UNITS``) stay importable from here, as do
``NB201_SETS``, ``record_from_results`` and ``records_from_arch`` of :mod:`.nb201_records`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from nasbench_lab.benchmark.csv_import import ACC_METRICS, UNITS, ColumnMap, import_table
from nasbench_lab.benchmark.errors import ImportFormatError
from nasbench_lab.benchmark.import_base import (
    NB201_RECIPES,
    RecipeBook,
    existing_recipes,
    locked_writer,
    nb201_recipe,
    provenance,
)
from nasbench_lab.benchmark.nb201_records import NB201_SETS, record_from_results, records_from_arch
from nasbench_lab.benchmark.safe_pickle import load_pbz2, numpy_safe_globals
from nasbench_lab.benchmark.schema import Recipe, RunRecord
from nasbench_lab.benchmark.writer import BenchmarkWriter
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import N_ARCHS, Arch, all_indices, ops_matrix

__all__ = [
    "ACC_METRICS",
    "NB201_RECIPES",
    "NB201_SETS",
    "UNITS",
    "ArchStates",
    "ColumnMap",
    "ImportFormatError",
    "RecipeBook",
    "existing_recipes",
    "import_arch_results",
    "import_nats",
    "import_nb201",
    "import_table",
    "iter_nats_file",
    "iter_nats_simple",
    "iter_nb201_pth",
    "load_pth",
    "nb201_recipe",
    "provenance",
    "record_from_results",
    "records_from_arch",
]

log = logging.getLogger(__name__)

_PTH_HPS = {"less": "12", "full": "200"}
_CHUNK_ARCHS = 256


# --------------------------------------------------------------------------- sources
@lru_cache(maxsize=1)
def _nb201_strings() -> tuple[str, ...]:
    return tuple(str(Arch(tuple(ops))) for ops in ops_matrix(all_indices()))


def _check_meta_archs(meta_archs: Any, source: Path) -> None:
    """The file's arch list must be NB201's order, else its indices would mean other archs."""
    if not isinstance(meta_archs, Sequence) or tuple(meta_archs) != _nb201_strings():
        raise ImportFormatError(f"{source}: meta_archs is not NB201's topology order of {N_ARCHS} archs")


def _select(indices: Iterable[int], archs: Iterable[int] | None) -> list[int]:
    chosen = set(int(a) for a in archs) if archs is not None else None
    return sorted(i for i in indices if chosen is None or i in chosen)


# (number of archs, iterator of (index, {hp: ArchResults state})), as the readers below return it.
ArchStates = tuple[int, Iterator[tuple[int, Mapping[str, Any]]]]


def iter_nats_simple(directory: str | Path, archs: Iterable[int] | None = None) -> ArchStates:
    """Read a NATS-Bench topology "simple" directory lazily, one arch file at a time.

    Args:
        directory: folder holding ``meta.pickle.pbz2`` and ``NNNNNN.pickle.pbz2`` files.
        archs: only these indices (default: every arch file present).

    Returns:
        ``(n_archs, iterator of (index, {hp: ArchResults state}))``.

    Raises:
        ImportFormatError: no meta file, or a meta file of another order.
    """
    directory = Path(directory)
    meta_path = directory / "meta.pickle.pbz2"
    if not meta_path.is_file():
        raise ImportFormatError(f"{directory}: no meta.pickle.pbz2; give the NATS-Bench 'simple' directory")
    meta = load_pbz2(meta_path)
    _check_meta_archs(meta.get("meta_archs") if isinstance(meta, Mapping) else None, meta_path)
    files = {int(p.name.split(".")[0]): p for p in directory.glob("[0-9]*.pickle.pbz2")
             if p.name.split(".")[0].isdigit()}
    chosen = _select(files, archs)

    def gen() -> Iterator[tuple[int, Mapping[str, Any]]]:
        for index in chosen:
            yield index, load_pbz2(files[index])

    return len(chosen), gen()


def _iter_arch2infos(data: Any, source: Path, archs: Iterable[int] | None, hp_names: Mapping[str, str]
                     ) -> ArchStates:
    if not isinstance(data, Mapping) or not {"meta_archs", "arch2infos", "evaluated_indexes"} <= set(data):
        raise ImportFormatError(f"{source}: expected a dict with meta_archs, arch2infos and evaluated_indexes")
    _check_meta_archs(data["meta_archs"], source)
    chosen = _select(data["evaluated_indexes"], archs)
    arch2infos = data["arch2infos"]

    def gen() -> Iterator[tuple[int, Mapping[str, Any]]]:
        for index in chosen:
            infos = arch2infos.get(index) if isinstance(arch2infos, Mapping) else None
            if not isinstance(infos, Mapping):
                raise ImportFormatError(f"{source}: arch {index} is listed as evaluated but has no results")
            yield index, {hp_names.get(k, k): v for k, v in infos.items() if hp_names.get(k, k) in NB201_RECIPES}

    return len(chosen), gen()


def iter_nats_file(path: str | Path, archs: Iterable[int] | None = None) -> ArchStates:
    """Read a single-file NATS-Bench topology benchmark (``*.pickle.pbz2`` holding every arch).

    Returns:
        ``(n_archs, iterator of (index, {hp: ArchResults state}))``.
    """
    path = Path(path)
    # The single file holds every arch: its cap is a per-arch bound times the arch count (the ratio
    # cap of load_pbz2 still refuses a bomb).
    return _iter_arch2infos(load_pbz2(path, max_bytes=N_ARCHS * 2**20), path, archs, {})


def load_pth(path: str | Path) -> Any:
    """``torch.load`` an NB201 ``.pth`` with torch's weights-only unpickler plus checked numpy globals.

    Raises:
        ImportFormatError: the file refers to anything else, or is not a torch file.
    """
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with torch.serialization.safe_globals(numpy_safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as exc:
        first = str(exc).strip().splitlines()
        found = (line for line in first if "error" in line.lower() or "global" in line.lower())
        reason = next(found, first[0] if first else "")
        raise ImportFormatError(f"{path}: refused or unreadable as an NB201 .pth file ({reason.strip()})") from None


def iter_nb201_pth(path: str | Path, archs: Iterable[int] | None = None) -> ArchStates:
    """Read a NAS-Bench-201 ``.pth`` (v1_0, v1_1); ``less``/``full`` become hp ``12``/``200``.

    Returns:
        ``(n_archs, iterator of (index, {hp: ArchResults state}))``.
    """
    path = Path(path)
    return _iter_arch2infos(load_pth(path), path, archs, _PTH_HPS)


# --------------------------------------------------------------------------- writing
def _progress(iterable: Iterable[Any], total: int, what: str, progress: bool) -> Iterable[Any]:
    if not progress:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=what, unit="arch", mininterval=1.0)


def import_arch_results(
    states: Iterable[tuple[int, Mapping[str, Any]]],
    n_archs: int,
    out: str | Path,
    source: Mapping[str, str],
    *,
    hps: Sequence[str] = ("12", "200"),
    datasets: Sequence[str] | None = None,
    progress: bool = True,
) -> dict[tuple[str, str], int]:
    """Write NB201/NATS ArchResults states into the benchmark at ``out`` (created or merged into).

    Args:
        states: ``(index, {hp: ArchResults state})`` per arch (from an ``iter_*`` reader).
        n_archs: how many ``states`` yields (for the progress bar).
        out: benchmark file; existing recipes of the same name must have the same protocol.
        source: provenance of the imported recipes (see :func:`provenance`).
        hps: protocols to import (``"12"``, ``"200"``).
        datasets: only these dataset keys (default: all).
        progress: show a tqdm progress bar.

    Returns:
        ``(dataset, recipe name) -> number of runs written``.

    Raises:
        ConfigError: an unknown dataset key or protocol, or a recipe of the same name in ``out`` with
            another protocol.
        ImportFormatError: nothing to import, or a malformed record (the target is left untouched).
    """
    unknown = set(datasets or ()) - set(NB201_SETS)
    if unknown:
        raise ConfigError(f"unknown NB201 datasets {sorted(unknown)}; valid: {', '.join(NB201_SETS)}")
    if n_archs == 0:
        raise ImportFormatError("no arch of the selection is in the source: nothing to import")
    recipes = {hp: nb201_recipe(hp) for hp in hps}
    with locked_writer(out) as (writer, existing):
        book = RecipeBook(writer, existing, source)
        counts = _write_states(writer, book, _progress(states, n_archs, "import", progress), recipes, datasets)
    log.info("imported %d runs of %d archs into %s", sum(counts.values()), n_archs, out)
    return counts


def _write_states(
    writer: BenchmarkWriter,
    book: RecipeBook,
    states: Iterable[tuple[int, Mapping[str, Any]]],
    recipes: Mapping[str, Recipe],
    datasets: Sequence[str] | None,
) -> dict[tuple[str, str], int]:
    """Convert and write every run of ``states``, ``_CHUNK_ARCHS`` archs per write; runs written per recipe."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    pending: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)

    def flush() -> None:
        for (dataset, name), records in pending.items():
            counts[(dataset, name)] += writer.write_runs(dataset, name, records)
        pending.clear()

    for k, (index, by_hp) in enumerate(states, start=1):
        _check_holds_records(index, by_hp, recipes)
        for hp, recipe in recipes.items():
            runs = _runs(index, by_hp, hp, datasets)
            for dataset in dict.fromkeys(d for d, _ in runs):
                book.ensure(dataset, recipe, [r.seed for d, r in runs if d == dataset])
            for dataset, record in runs:
                pending[(dataset, recipe.name)].append(record)
        if k % _CHUNK_ARCHS == 0:
            flush()
    flush()
    return dict(counts)


def _check_holds_records(index: int, by_hp: Any, recipes: Mapping[str, Recipe]) -> None:
    """An arch's entry must hold a record of at least one protocol imported, else the import would skip it."""
    if not isinstance(by_hp, Mapping) or not any(hp in by_hp for hp in recipes):
        found = sorted(map(str, by_hp)) if isinstance(by_hp, Mapping) else type(by_hp).__name__
        raise ImportFormatError(
            f"arch {index}: its entry holds no record of protocol {' or '.join(recipes)} (found: {found or 'nothing'}); "
            "the file is damaged or of another format: re-download it, or leave the arch out with --archs"
        )


def _runs(index: int, by_hp: Mapping[str, Any], hp: str, datasets: Sequence[str] | None) -> list[tuple[str, RunRecord]]:
    """``(dataset, record)`` of arch ``index``'s protocol ``hp`` (none if it lacks it), only ``datasets``.

    Raises:
        ImportFormatError: the record belongs to another arch (a mislabelled or swapped file).
    """
    if hp not in by_hp:
        return []
    records = list(records_from_arch(by_hp[hp], hp))
    if not records:
        raise ImportFormatError(f"arch {index}: its hp {hp} record holds no runs; the file is damaged: re-download it")
    runs = []
    for dataset, record in records:
        if record.arch_index != index:
            raise ImportFormatError(
                f"arch {index}: its entry holds the record of arch {record.arch_index} (hp {hp}); the file is "
                "mislabelled or swapped: re-download it, or leave the arch out with --archs"
            )
        if datasets is None or dataset in datasets:
            runs.append((dataset, record))
    return runs


def import_nats(source: str | Path, out: str | Path, *, archs: Iterable[int] | None = None,
                **options: Any) -> dict[tuple[str, str], int]:
    """Import a NATS-Bench topology benchmark: a "simple" directory or a single ``.pickle.pbz2``.

    Args:
        source: the directory (with ``meta.pickle.pbz2``) or the single file.
        out: benchmark file to create or merge into.
        archs: only these NB201 indices.
        **options: ``hps``, ``datasets``, ``progress`` of :func:`import_arch_results`.

    Returns:
        ``(dataset, recipe name) -> number of runs written``.
    """
    source = Path(source)
    if source.is_dir():
        n, states = iter_nats_simple(source, archs)
        what = "NATS-Bench topology (simple directory)"
    elif source.is_file():
        n, states = iter_nats_file(source, archs)
        what = "NATS-Bench topology (single file)"
    else:
        raise FileNotFoundError(f"{source}: no such file or directory")
    return import_arch_results(states, n, out, provenance(what, source), **options)


def import_nb201(source: str | Path, out: str | Path, *, archs: Iterable[int] | None = None,
                 **options: Any) -> dict[tuple[str, str], int]:
    """Import a NAS-Bench-201 ``.pth`` file (v1_0 or v1_1); see :func:`import_nats` for the arguments."""
    n, states = iter_nb201_pth(source, archs)
    return import_arch_results(states, n, out, provenance(f"NAS-Bench-201 {Path(source).name}", source), **options)
