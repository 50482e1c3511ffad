"""Importers of real NAS-Bench-201 / NATS-Bench result files (generic CSV/TSV tables: :mod:`.csv_import`).

NB201 and NATS-Bench (topology space) store, per arch, an *ArchResults* state per training protocol
(``hp``: ``"12"`` or ``"200"`` epochs; NB201 ``.pth`` calls them ``"less"`` and ``"full"``) holding
``all_results`` keyed by ``(dataset, seed)``, each a *ResultsCount* state: ``train_acc1es``,
``train_losses``, ``train_times`` (``{epoch: value}``), ``eval_acc1es``, ``eval_losses``, ``eval_times``
(keyed ``"<set>@<epoch>"``), ``params``, ``flop``, ``latency``, ``seed`` (``"0777"``), ``epochs``.
They become recipes ``nb201-12`` / ``nb201-200`` (different runs, not epochs of one run) with NB201's
set mapping (:data:`NB201_SETS`). Epoch ``e`` (0-based) fills curve column ``e`` (eval point ``e+1``);
values a run did not keep (many 200-epoch runs keep only the last epoch of some sets) stay NaN.

``eval_time`` is the seconds of one evaluation pass over the recipe's valid and test sets (test only
for ``cifar10``), as recorded for the last epoch; ``train_time`` is the per-epoch ``train_times``.
Params (millions), FLOPs (millions) and latency (mean of the recorded list, seconds per batch) come from
the records and depend on the dataset (number of classes).

The recipe book, :func:`existing_recipes`, :func:`provenance` and :class:`ImportFormatError` are shared
with the table importer of :mod:`nasbench_lab.benchmark.csv_import`, whose public names (``ColumnMap``,
``import_table``, ``ACC_METRICS``, ``UNITS``) stay importable from here.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import logging
import math
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from nasbench_lab import __version__
from nasbench_lab.benchmark.safe_pickle import load_pbz2, numpy_safe_globals
from nasbench_lab.benchmark.schema import Recipe, RunRecord
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.space import N_ARCHS, Arch, all_indices, ops_matrix

log = logging.getLogger(__name__)

# dataset -> (valid set, test set) exactly as NB201's API maps them.
NB201_SETS: dict[str, tuple[str | None, str]] = {
    "cifar10-valid": ("x-valid", "ori-test"),
    "cifar10": (None, "ori-test"),
    "cifar100": ("x-valid", "x-test"),
    "ImageNet16-120": ("x-valid", "x-test"),
}
# hp key in the files -> our recipe name.
NB201_RECIPES: dict[str, str] = {"12": "nb201-12", "200": "nb201-200"}
_PTH_HPS = {"less": "12", "full": "200"}
_CHUNK_ARCHS = 256


class ImportFormatError(NasbenchLabError):
    """An input file does not have the structure its format promises."""


def nb201_recipe(hp: str) -> Recipe:
    """The recipe of NB201's ``hp``-epoch runs (``"12"`` or ``"200"``).

    Raises:
        ConfigError: ``hp`` is not one of NB201's protocols.
    """
    if hp not in NB201_RECIPES:
        raise ConfigError(f"unknown NB201 protocol hp={hp!r}; known: {', '.join(NB201_RECIPES)}")
    epochs = int(hp)
    return Recipe(
        name=NB201_RECIPES[hp],
        eval_points=tuple(range(1, epochs + 1)),
        config={
            "optimizer": "SGD", "lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4,
            "batch_size": 256, "lr_schedule": "cosine", "epochs": epochs, "C": 16, "N": 5,
        },
        description=f"NAS-Bench-201 / NATS-Bench topology {epochs}-epoch runs (hp='{hp}')",
    )


def provenance(source: str, path: str | Path) -> dict[str, str]:
    """Provenance attributes for an import from ``path`` (what, where, by which code, when)."""
    return {
        "source": source,
        "path": str(Path(path).resolve()),
        "code_version": f"nasbench_lab {__version__}",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "device": "imported (trained by the benchmark's authors)",
    }


# --------------------------------------------------------------------------- record conversion
def _curve(epochs: np.ndarray, values: np.ndarray, n_epochs: int, what: str) -> np.ndarray:
    """Values at 0-based ``epochs`` -> array ``(n_epochs,)``, NaN elsewhere."""
    out = np.full(n_epochs, np.nan)
    if epochs.size:
        if epochs.min() < 0 or epochs.max() >= n_epochs:
            bad = epochs.max() if epochs.max() >= n_epochs else epochs.min()
            raise ImportFormatError(f"{what}: epoch {bad} outside 0..{n_epochs - 1}")
        out[epochs] = values
    return out


def _epoch_curve(values: Mapping[Any, Any] | None, n_epochs: int, what: str) -> np.ndarray:
    """``{epoch: value}`` -> array ``(n_epochs,)``, NaN where absent."""
    values = values or {}
    epochs = np.fromiter(values.keys(), dtype=np.int64, count=len(values))
    return _curve(epochs, np.fromiter(values.values(), dtype=np.float64, count=len(values)), n_epochs, what)


@lru_cache(maxsize=64)
def _eval_layout(keys: tuple[Any, ...]) -> tuple[tuple[str, np.ndarray, np.ndarray], ...]:
    """For eval keys ``"set@epoch"``: per set, the keys' positions and epochs (cached: runs share keys).

    Raises:
        ValueError: a key that is not ``set@epoch`` (the message is the key).
    """
    names, epochs = [], []
    for key in keys:
        name, sep, epoch = str(key).rpartition("@")
        if not sep or not epoch.isdigit():
            raise ValueError(repr(key))
        names.append(name)
        epochs.append(int(epoch))
    name_arr, epoch_arr = np.array(names), np.array(epochs, dtype=np.int64)
    return tuple((n, np.flatnonzero(name_arr == n), epoch_arr[name_arr == n]) for n in dict.fromkeys(names))


def _set_curves(values: Mapping[str, Any] | None, n_epochs: int, what: str) -> dict[str, np.ndarray]:
    """``{"set@epoch": value}`` -> ``{set: array (n_epochs,)}``, NaN where absent."""
    if not values:
        return {}
    try:
        layout = _eval_layout(tuple(values))
    except ValueError as exc:
        raise ImportFormatError(f"{what}: cannot read eval key {exc} (expected 'set@epoch')") from None
    flat = np.fromiter(values.values(), dtype=np.float64, count=len(values))
    return {name: _curve(epochs, flat[pos], n_epochs, f"{what}, {name}") for name, pos, epochs in layout}


def _last(curve: np.ndarray | None) -> float:
    """Last finite value of ``curve`` (NaN if none)."""
    if curve is None:
        return math.nan
    finite = np.flatnonzero(np.isfinite(curve))
    return float(curve[finite[-1]]) if finite.size else math.nan


def record_from_results(arch_index: int, dataset: str, results: Mapping[str, Any], n_epochs: int) -> RunRecord:
    """Convert one ResultsCount state (one arch, dataset and seed) into a :class:`RunRecord`.

    Args:
        arch_index: NB201 index of the arch.
        dataset: NB201 dataset key (one of :data:`NB201_SETS`).
        results: the ResultsCount state dict.
        n_epochs: the recipe's number of epochs (12 or 200).

    Raises:
        ImportFormatError: unknown dataset, wrong epoch count, or unreadable keys.
    """
    what = f"arch {arch_index}, {dataset}, seed {results.get('seed')!r}"
    if dataset not in NB201_SETS:
        raise ImportFormatError(f"{what}: unknown NB201 dataset; known: {', '.join(NB201_SETS)}")
    if int(results["epochs"]) != n_epochs:
        raise ImportFormatError(f"{what}: run has {results['epochs']} epochs, recipe needs {n_epochs}")
    acc, loss, times = (_set_curves(results.get(key), n_epochs, what)
                        for key in ("eval_acc1es", "eval_losses", "eval_times"))
    curves = {
        "train_acc": _epoch_curve(results.get("train_acc1es"), n_epochs, what),
        "train_loss": _epoch_curve(results.get("train_losses"), n_epochs, what),
        "train_time": _epoch_curve(results.get("train_times"), n_epochs, what),
    }
    valid_set, test_set = NB201_SETS[dataset]
    used = [s for s in (valid_set, test_set) if s is not None]
    for role, set_name in (("valid", valid_set), ("test", test_set)):
        if set_name is not None:
            curves[f"{role}_acc"] = acc.get(set_name, np.full(n_epochs, np.nan))
            curves[f"{role}_loss"] = loss.get(set_name, np.full(n_epochs, np.nan))
    latency = [float(x) for x in (results.get("latency") or [])]
    return RunRecord(
        arch_index=arch_index,
        seed=int(results["seed"]),
        curves=curves,
        eval_time=float(sum(_last(times.get(s)) for s in used)),
        params=float(results.get("params", math.nan)),
        flops=float(results.get("flop", math.nan)),
        latency=float(np.mean(latency)) if latency else math.nan,
    )


def records_from_arch(arch_state: Mapping[str, Any], hp: str) -> Iterator[tuple[str, RunRecord]]:
    """Yield ``(dataset, record)`` for every run in one ArchResults state of protocol ``hp``.

    Raises:
        ImportFormatError: a missing or malformed field, an arch string that disagrees with the stored
            index, or a seed that disagrees with its key.
    """
    try:
        index = int(arch_state["arch_index"])
        if Arch.parse(arch_state["arch_str"]).index != index:
            raise ImportFormatError(
                f"arch {index}: its string {arch_state['arch_str']} has NB201 index "
                f"{Arch.parse(arch_state['arch_str']).index}; the file uses another arch order"
            )
        for (dataset, seed), results in arch_state["all_results"].items():
            if int(results["seed"]) != int(seed):
                raise ImportFormatError(f"arch {index}, {dataset}: key seed {seed} != record seed {results['seed']}")
            yield dataset, record_from_results(index, dataset, results, int(hp))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        where = arch_state.get("arch_index", "?") if isinstance(arch_state, Mapping) else "?"
        raise ImportFormatError(
            f"arch {where}, hp {hp}: not an NB201 ArchResults record ({type(exc).__name__}: {exc})"
        ) from None


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
    return _iter_arch2infos(load_pbz2(path), path, archs, {})


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
class RecipeBook:
    """Creates recipes on first use in a writer and grows their seed axis as new seeds appear.

    Args:
        writer: the open :class:`~nasbench_lab.benchmark.writer.BenchmarkWriter`.
        existing: ``(dataset, recipe name) -> (stored recipe, stored seeds)`` of the target file.
        provenance: provenance of the recipes this import creates.
    """

    def __init__(self, writer: Any, existing: Mapping[tuple[str, str], tuple[Recipe, list[int]]],
                 provenance: Mapping[str, str]) -> None:
        self.writer = writer
        self.provenance = dict(provenance)
        self.seeds = {key: list(seeds) for key, (_, seeds) in existing.items()}
        self.touched: set[tuple[str, str]] = set()

    def ensure(self, dataset: str, recipe: Recipe, seeds: Iterable[int]) -> None:
        """Make ``dataset/recipe`` exist with at least ``seeds`` on its seed axis."""
        key = (dataset, recipe.name)
        if key not in self.touched:
            # add_recipe checks an existing recipe's eval points and config against ours.
            stored = self.seeds.get(key) or sorted(set(int(s) for s in seeds))
            self.writer.add_recipe(dataset, recipe, stored, self.provenance)
            self.seeds[key] = list(stored)
            self.touched.add(key)
        new = [int(s) for s in seeds if int(s) not in self.seeds[key]]
        if new:
            self.writer.add_seeds(dataset, recipe.name, sorted(set(new)))
            self.seeds[key].extend(sorted(set(new)))


def existing_recipes(path: str | Path) -> dict[tuple[str, str], tuple[Recipe, list[int]]]:
    """``(dataset, recipe name) -> (recipe, seeds)`` already in the benchmark at ``path`` (empty if absent)."""
    from nasbench_lab.benchmark.store import Benchmark

    if not Path(path).exists():
        return {}
    with Benchmark.open(path) as bench:
        return {(d, r): (bench.recipe(d, r), bench.seeds(d, r)) for d in bench.datasets for r in bench.recipes(d)}


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
    from nasbench_lab.benchmark.writer import BenchmarkWriter

    unknown = set(datasets or ()) - set(NB201_SETS)
    if unknown:
        raise ConfigError(f"unknown NB201 datasets {sorted(unknown)}; valid: {', '.join(NB201_SETS)}")
    if n_archs == 0:
        raise ImportFormatError("no arch of the selection is in the source: nothing to import")
    recipes = {hp: nb201_recipe(hp) for hp in hps}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    pending: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    existing = existing_recipes(out)
    with BenchmarkWriter(out) as writer:
        book = RecipeBook(writer, existing, source)

        def flush() -> None:
            for (dataset, name), records in pending.items():
                counts[(dataset, name)] += writer.write_runs(dataset, name, records)
            pending.clear()

        for k, (_, by_hp) in enumerate(_progress(states, n_archs, "import", progress), start=1):
            for hp, recipe in recipes.items():
                runs = [(d, r) for d, r in records_from_arch(by_hp[hp], hp) if datasets is None or d in datasets] \
                    if hp in by_hp else []
                for dataset in dict.fromkeys(d for d, _ in runs):
                    book.ensure(dataset, recipe, [r.seed for d, r in runs if d == dataset])
                for dataset, record in runs:
                    pending[(dataset, recipe.name)].append(record)
            if k % _CHUNK_ARCHS == 0:
                flush()
        flush()
    log.info("imported %d runs of %d archs into %s", sum(counts.values()), n_archs, out)
    return dict(counts)


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


# --------------------------------------------------------------------------- CSV / TSV tables (re-exported)
# csv_import builds on this module, so its names are re-exported lazily (PEP 562): an eager import here
# would be circular when csv_import is the module imported first.
_CSV_IMPORT_NAMES = frozenset({"ACC_METRICS", "UNITS", "ColumnMap", "import_table"})


def __getattr__(name: str) -> Any:
    """``ColumnMap``, ``import_table``, ``ACC_METRICS`` and ``UNITS`` of :mod:`.csv_import`, loaded on first use."""
    if name in _CSV_IMPORT_NAMES:
        return getattr(importlib.import_module("nasbench_lab.benchmark.csv_import"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
