"""Per-arch figures that come from elsewhere: extra metrics (costs per device) and imported proxy scores.

Layout (see ``docs/format.md``):

- extra per-arch metrics: ``/.arch_metrics/<dataset>/<name>``, float64 ``(15625,)``, NaN where the
  source has no value; attributes are its provenance (``source``, ``path``, ``sha256``, ``column``,
  ``note``, ``unit``, ``date``, ``code_version``). They belong to a dataset, not to a recipe: a
  latency on a device does not depend on how the network was trained.
- imported zero-cost proxy scores: a proxy group like ours (``/<dataset>/<recipe>/proxies/<name>``,
  ``score`` and ``time`` ``(15625, P)``, ``proxy_seeds``, ``settings``) whose ``settings`` JSON is
  ``{"imported": provenance}``, with ``times_recorded = 0``: no compute times, so a finite score marks
  a computed entry.

The writer side takes an open writable file; the read side an open file (``Benchmark`` wraps it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import h5py
import numpy as np

from nasbench_lab.benchmark.errors import BenchmarkFormatError
from nasbench_lab.benchmark.integrity import CHECKSUM_ATTR, verify_attrs
from nasbench_lab.benchmark.layout import FILTERS, check_name, proxy_seed_column, scatter_rows
from nasbench_lab.benchmark.schema import EXTRA_GROUP, TIMES_RECORDED_ATTR
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import N_ARCHS, check_indices

IMPORTED_KEY = "imported"  # key of the provenance in an imported proxy's settings


def _checked(name: str, indices: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = check_indices(indices).reshape(-1)
    vals = np.asarray(values, dtype=np.float64).reshape(-1)
    if vals.shape != idx.shape:
        raise ConfigError(f"{name}: {vals.size} values for {idx.size} archs")
    if np.isinf(vals).any():
        raise ConfigError(f"{name}: a value is infinite; store NaN where an arch has none")
    if np.unique(idx).size != idx.size:
        raise ConfigError(f"{name}: an arch is given twice")
    return idx, vals


def store_arch_metric(file: h5py.File, dataset: str, name: str, indices: np.ndarray, values: np.ndarray,
                      provenance: Mapping[str, str], *, replace: bool = False) -> None:
    """Write extra per-arch metric ``name`` of ``dataset``: ``values[k]`` for arch ``indices[k]``, NaN elsewhere.

    Raises:
        ConfigError: bad names, indices or values, or the metric exists and ``replace`` is False.
    """
    check_name("dataset", dataset)
    check_name("metric", name)
    idx, vals = _checked(name, indices, values)
    group = file.require_group(EXTRA_GROUP).require_group(dataset)
    if name in group:
        if not replace:
            raise ConfigError(f"extra metric {name!r} of {dataset} is already stored: use --replace to overwrite it")
        del group[name]
    full = np.full(N_ARCHS, np.nan)
    full[idx] = vals
    dset = group.create_dataset(name, data=full, chunks=(N_ARCHS,), **FILTERS)
    for key, value in provenance.items():
        dset.attrs[check_name("provenance key", key)] = str(value)


def store_imported_proxy(proxies: h5py.Group, name: str, indices: np.ndarray, scores: np.ndarray, seed: int,
                         provenance: Mapping[str, str], *, replace: bool = False) -> None:
    """Write imported scores of proxy ``name`` into a recipe's ``proxies`` group (no compute times).

    Raises:
        ConfigError: bad names, indices or scores, or the proxy exists and ``replace`` is False (our own
            computed scores are never mixed with imported ones).
    """
    check_name("proxy", name)
    idx, vals = _checked(name, indices, scores)
    if name in proxies:
        if not replace:
            raise ConfigError(
                f"proxy {name!r} is already stored in {proxies.parent.name}: import under another name, or "
                "use --replace to overwrite it"
            )
        del proxies[name]
    sub = proxies.create_group(name)
    column = proxy_seed_column(sub, int(seed), json.dumps({IMPORTED_KEY: dict(provenance)}, sort_keys=True))
    order = np.argsort(idx)
    scatter_rows(sub["score"], idx[order], column, vals[order])
    sub.attrs[TIMES_RECORDED_ATTR] = 0  # the "time" array stays NaN: the source has no compute times


def extra_datasets(file: h5py.File) -> list[str]:
    """Dataset keys with extra per-arch metrics, sorted."""
    group = file.get(EXTRA_GROUP)
    return sorted(group.keys()) if isinstance(group, h5py.Group) else []


def arch_metric_names(file: h5py.File, dataset: str) -> list[str]:
    """Names of the extra per-arch metrics stored for ``dataset``, sorted (``[]`` if none)."""
    group = file.get(EXTRA_GROUP)
    if not isinstance(group, h5py.Group) or dataset not in group:
        return []
    return sorted(group[dataset].keys())


def _metric(file: h5py.File, name: str, dataset: str) -> h5py.Dataset:
    names = arch_metric_names(file, dataset)
    if name not in names:
        raise ConfigError(
            f"no extra per-arch metric {name!r} for dataset {dataset!r} in {file.filename} (stored: "
            f"{', '.join(names) or 'none'}); add one with `nasbench-lab import arch-metrics`"
        )
    return file[EXTRA_GROUP][dataset][name]


def read_arch_metric(file: h5py.File, name: str, dataset: str, sealed: bool) -> np.ndarray:
    """Values of extra metric ``name`` of ``dataset``, ``(15625,)`` float64, NaN where absent.

    Args:
        file: the open benchmark file.
        name: the metric.
        dataset: its dataset.
        sealed: whether the file carries checksums (then the metric's provenance is checked).

    Raises:
        ConfigError: no such metric (the message lists the stored ones).
        BenchmarkFormatError: the array has the wrong shape, or damaged provenance.
    """
    dset = _metric(file, name, dataset)
    verify_attrs(dset, file.filename, required=sealed)
    if dset.shape != (N_ARCHS,):
        raise BenchmarkFormatError(f"{file.filename}: {dset.name} has shape {dset.shape}, expected ({N_ARCHS},)")
    out = np.asarray(dset[...], dtype=np.float64)
    out.setflags(write=False)
    return out


def read_provenance(obj: h5py.HLObject) -> dict[str, str]:
    """Provenance attributes of an extra metric (every attribute but the checksum), as text."""
    return {k: str(v) for k, v in obj.attrs.items() if k != CHECKSUM_ATTR}


def arch_metric_provenance(file: h5py.File, name: str, dataset: str, sealed: bool) -> dict[str, str]:
    """Where extra metric ``name`` of ``dataset`` comes from: source, path, sha256, column, note, unit, date."""
    dset = _metric(file, name, dataset)
    verify_attrs(dset, file.filename, required=sealed)
    return read_provenance(dset)


def imported_provenance(settings: Mapping[str, Any]) -> dict[str, str] | None:
    """The provenance in an imported proxy's settings, ``None`` for a proxy we computed."""
    prov = settings.get(IMPORTED_KEY)
    return {str(k): str(v) for k, v in prov.items()} if isinstance(prov, Mapping) else None
