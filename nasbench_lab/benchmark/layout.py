"""How a recipe's arrays are laid out in a benchmark file: names, chunking, filters, and the
block-wise writes that keep rewrites cheap. Used by :mod:`nasbench_lab.benchmark.writer` and
:mod:`nasbench_lab.benchmark.recipe_writes`; the layout itself is documented in ``docs/format.md``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import h5py
import numpy as np

from nasbench_lab.benchmark.schema import ARCH_METRICS, CURVE_METRICS
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import N_ARCHS

# gzip level 1 + shuffle: in perf/bench_query.py --compression it reads columns as fast as LZF and
# whole arrays faster, files are ~25% smaller, and every HDF5 tool reads it without a plugin.
# Fletcher-32 makes a corrupt chunk a read error instead of a silently wrong number.
COMPRESSION = "gzip"
FILTERS: dict[str, Any] = {"compression": COMPRESSION, "compression_opts": 1, "shuffle": True, "fletcher32": True}
ARCH_BLOCK = 512  # archs per chunk along the arch axis
EPOCH_BLOCK = 25  # curve columns per chunk
RECIPE_ATTRS = frozenset({"name", "eval_points", "config", "description", "seeds", "provenance_keys"})
PROVENANCE_KEYS: tuple[str, ...] = ("source", "code_version", "date", "device")


def check_name(kind: str, name: str) -> str:
    """Return ``name`` if it can name an HDF5 group (non-empty, no '/', no leading '.')."""
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ConfigError(f"{kind} name {name!r} must be a non-empty string without '/' or a leading '.'")
    return name


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """Seed values as a list of distinct ints (at least one), or :class:`ConfigError`."""
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in seeds):
        raise ConfigError(f"seeds must be integers, got {list(seeds)!r}")
    values = [int(s) for s in seeds]
    if not values:
        raise ConfigError("a recipe needs at least one seed")
    if len(set(values)) != len(values):
        raise ConfigError(f"seeds must be distinct, got {values}")
    return values


def check_sources(mapped_from: np.ndarray) -> None:
    """Raise :class:`ConfigError` unless every ``mapped_from`` value is -1 or an arch index."""
    bad = (mapped_from < -1) | (mapped_from >= N_ARCHS)
    if bad.any():
        raise ConfigError(f"mapped_from {int(mapped_from[bad][0])} is neither -1 (trained) nor an arch index")


def create_recipe_arrays(group: h5py.Group, n_seeds: int, n_epochs: int) -> None:
    """Create every array of a recipe group, all NaN / unfilled (nothing is stored until written)."""
    curve_chunks = (ARCH_BLOCK, n_seeds, min(n_epochs, EPOCH_BLOCK))
    for name in CURVE_METRICS:
        group.create_dataset(
            name, shape=(N_ARCHS, n_seeds, n_epochs), maxshape=(N_ARCHS, None, n_epochs),
            dtype=np.float32, chunks=curve_chunks, **FILTERS, fillvalue=np.nan,
        )
    run_kw = dict(shape=(N_ARCHS, n_seeds), maxshape=(N_ARCHS, None), chunks=(4 * ARCH_BLOCK, n_seeds),
                  **FILTERS)
    group.create_dataset("eval_time", dtype=np.float32, fillvalue=np.nan, **run_kw)
    group.create_dataset("filled", dtype=bool, fillvalue=False, **run_kw)
    group.create_dataset("mapped_from", dtype=np.int32, fillvalue=-1, **run_kw)
    for name in ARCH_METRICS:
        group.create_dataset(name, shape=(N_ARCHS,), dtype=np.float32, chunks=(N_ARCHS,),
                             **FILTERS, fillvalue=np.nan)


def last_occurrence(idx: np.ndarray) -> np.ndarray:
    """Positions of the last occurrence of each distinct index, sorted by index."""
    reversed_first = np.unique(idx[::-1], return_index=True)[1]
    return idx.size - 1 - reversed_first


def shaped(name: str, values: Any, shape: tuple[int, ...], keep: np.ndarray) -> np.ndarray:
    """``values`` checked against ``shape`` (``shape[0]`` = number of indices given), rows ``keep``."""
    arr = np.asarray(values)
    if arr.shape != shape:
        raise ConfigError(f"{name} has shape {arr.shape}, expected {shape} (one row per index)")
    return arr[keep]


def scatter_rows(dset: h5py.Dataset, idx: np.ndarray, seed_pos: int | None, values: np.ndarray) -> None:
    """Write ``values[k]`` at row ``idx[k]`` (and ``seed_pos``), block by block of the arch axis.

    ``idx`` is sorted and distinct. Whole blocks are written without reading them first.
    """
    blocks = idx // ARCH_BLOCK
    starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]])
    ends = np.r_[starts[1:], idx.size]
    for s, e in zip(starts, ends):
        a0 = int(blocks[s]) * ARCH_BLOCK
        a1 = min(a0 + ARCH_BLOCK, N_ARCHS)
        where = (slice(a0, a1),) if seed_pos is None else (slice(a0, a1), seed_pos)
        if e - s == a1 - a0:
            block = values[s:e]
        else:
            block = dset[where]
            block[idx[s:e] - a0] = values[s:e]
        dset[where] = block


def proxy_seed_column(sub: h5py.Group, seed: int, settings: str) -> int:
    """Column of proxy seed ``seed`` in a proxy group, creating the arrays or a new column as needed."""
    if "score" not in sub:
        for name in ("score", "time"):
            sub.create_dataset(name, shape=(N_ARCHS, 1), maxshape=(N_ARCHS, None), dtype=np.float64,
                               chunks=(4 * ARCH_BLOCK, 1), **FILTERS, fillvalue=np.nan)
        sub.attrs["settings"] = settings
        sub.attrs["proxy_seeds"] = np.asarray([seed], dtype=np.int64)
        return 0
    seeds = [int(s) for s in sub.attrs["proxy_seeds"]]
    if seed in seeds:
        return seeds.index(seed)
    for name in ("score", "time"):
        sub[name].resize(len(seeds) + 1, axis=1)
    sub.attrs["proxy_seeds"] = np.asarray(seeds + [seed], dtype=np.int64)
    return len(seeds)


def json_attr(attrs: h5py.AttributeManager, name: str, default: Any) -> Any:
    """A JSON-valued HDF5 attribute (e.g. a recipe's ``fill_failures``), or ``default`` when absent."""
    raw = attrs.get(name)
    return default if raw is None else json.loads(str(raw))
