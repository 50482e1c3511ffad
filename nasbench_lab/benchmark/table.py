"""In-memory views of one recipe group of a benchmark file, read lazily and cached.

:class:`RecipeTable` is the read side's engine: it validates the group's layout once, reads arrays from
HDF5 only when first asked, and keeps them as numpy arrays so that queries become indexing. Every array
it hands out has the unfilled entries masked to NaN, so a value is never read from a run that the
``filled`` mask says does not exist.

Shapes: ``N = 15625`` archs, ``S`` seeds, ``E`` curve columns, ``P`` proxy seeds.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

import h5py
import numpy as np

from nasbench_lab.benchmark.errors import BenchmarkFormatError
from nasbench_lab.benchmark.integrity import verify_attrs
from nasbench_lab.benchmark.layout import PROVENANCE_KEYS, json_attr
from nasbench_lab.benchmark.schema import ARCH_METRICS, CURVE_METRICS, RUN_METRICS, TIMES_RECORDED_ATTR, Recipe
from nasbench_lab.space import N_ARCHS


def masked_mean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean over ``axis`` of the non-NaN values; NaN where there are none (no warning)."""
    present = ~np.isnan(values)
    counts = present.sum(axis=axis)
    sums = np.where(present, values, 0.0).sum(axis=axis, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


# A column read decompresses every chunk it touches (25 columns wide); after this many columns of one
# metric, the whole metric is read once instead.
COLUMNS_BEFORE_ARRAY = 4


class RecipeTable:
    """Cached arrays of the group ``/<dataset>/<recipe>/``.

    Args:
        group: the open HDF5 group.
        dataset: dataset key.
        sealed: whether the file carries metadata checksums (then the group's is checked and required).

    Raises:
        BenchmarkFormatError: the group lacks an array or attribute, an array has the wrong shape, or
            its attributes do not match their checksum.
    """

    def __init__(self, group: h5py.Group, dataset: str, sealed: bool = False) -> None:
        self.group = group
        self.dataset = dataset
        self.sealed = sealed
        where = f"group {group.name} of {group.file.filename}"
        verify_attrs(group, group.file.filename, required=sealed)
        try:
            self.recipe = Recipe.from_attrs(group.attrs)
            self.seeds = np.asarray(group.attrs["seeds"], dtype=np.int64).reshape(-1)
        except (KeyError, ValueError, TypeError) as exc:
            raise BenchmarkFormatError(f"{where} has no valid recipe attributes ({exc}); re-create the file") from None
        self.n_seeds = int(self.seeds.size)
        self.n_epochs = self.recipe.n_epochs
        self._check_layout(where)
        self._columns: dict[tuple[str, int | None], np.ndarray] = {}
        self._means: dict[tuple[str, int | None], np.ndarray] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self._mean_arrays: dict[str, np.ndarray] = {}
        self._proxies: dict[str, dict[str, Any]] = {}

    def _check_layout(self, where: str) -> None:
        expected: dict[str, tuple[int, ...]] = {name: (N_ARCHS, self.n_seeds, self.n_epochs) for name in CURVE_METRICS}
        expected.update({name: (N_ARCHS, self.n_seeds) for name in (*RUN_METRICS, "filled", "mapped_from")})
        expected.update({name: (N_ARCHS,) for name in ARCH_METRICS})
        for name, shape in expected.items():
            dset = self.group.get(name)
            if not isinstance(dset, h5py.Dataset):
                raise BenchmarkFormatError(f"{where} has no array {name!r}; the file is incomplete or corrupt")
            if dset.shape != shape:
                raise BenchmarkFormatError(
                    f"{where}: array {name!r} has shape {dset.shape}, expected {shape}; the file is corrupt"
                )

    @property
    def provenance(self) -> dict[str, str]:
        """Provenance attributes: source, code_version, date, device, and any extra ones the writer got.

        The ``provenance_keys`` attribute lists them, so that other attributes on the group (a fill's
        bookkeeping) are not taken for provenance.
        """
        attrs = self.group.attrs
        try:
            keys = json.loads(str(attrs["provenance_keys"]))
        except (KeyError, ValueError):
            keys = list(PROVENANCE_KEYS)
        return {k: str(attrs[k]) for k in keys if k in attrs}

    def json_attr(self, name: str, default: Any) -> Any:
        """A JSON-valued attribute of the recipe group (e.g. a fill's ``fill_failures``), or ``default``."""
        return json_attr(self.group.attrs, name, default)

    # ------------------------------------------------------------------ masks
    @cached_property
    def filled(self) -> np.ndarray:
        """Which (arch, seed) runs exist, shape ``(N, S)`` bool (read-only)."""
        out = np.asarray(self.group["filled"][...], dtype=bool)
        out.setflags(write=False)
        return out

    @cached_property
    def mapped_from(self) -> np.ndarray:
        """Source arch of mapped copies (-1 = trained), shape ``(N, S)`` int (read-only)."""
        out = np.asarray(self.group["mapped_from"][...], dtype=np.int64)
        out.setflags(write=False)
        return out

    @cached_property
    def seed_choices(self) -> tuple[np.ndarray, np.ndarray]:
        """What a random seed is drawn from, per arch: ``(count (N,), positions (N, S))``.

        The first ``count[i]`` entries of ``positions[i]`` are the filled seed positions of arch ``i``;
        an arch with no filled seed draws from all ``S`` seeds (that draw names the seed to train).
        """
        filled = self.filled
        counts = filled.sum(axis=1)
        order = np.argsort(~filled, axis=1, kind="stable")
        none = counts == 0
        order[none] = np.arange(self.n_seeds)
        counts = np.where(none, self.n_seeds, counts).astype(np.int64)
        return counts, order

    # ------------------------------------------------------------------ columns
    def column(self, metric: str, epoch: int | None) -> np.ndarray:
        """One metric at one curve column (``epoch`` >= 0; None for run/arch metrics).

        Returns:
            ``(N, S)`` float32 for curve and run metrics, ``(N, 1)`` for arch metrics; NaN where the
            run is unfilled or the value was not recorded.
        """
        key = (metric, epoch)
        if key not in self._columns:
            if epoch is not None and sum(k[0] == metric for k in self._columns) >= COLUMNS_BEFORE_ARRAY:
                self.array(metric)  # many columns of one metric: one whole read beats re-decompressing chunks
            if metric in self._arrays:
                col = self._arrays[metric][:, :, epoch]
            elif metric in ARCH_METRICS:
                col = np.asarray(self.group[metric][...], dtype=np.float32)[:, None]
            else:
                raw = self.group[metric][:, :, epoch] if epoch is not None else self.group[metric][...]
                col = np.where(self.filled, raw, np.float32(np.nan)).astype(np.float32, copy=False)
            col.setflags(write=False)
            self._columns[key] = col
        return self._columns[key]

    def mean_column(self, metric: str, epoch: int | None) -> np.ndarray:
        """Mean of :meth:`column` over the seeds that have a value, shape ``(N,)`` float64."""
        key = (metric, epoch)
        if key not in self._means:
            mean = masked_mean(self.column(metric, epoch), axis=1)
            mean.setflags(write=False)
            self._means[key] = mean
        return self._means[key]

    # ------------------------------------------------------------------ whole curves
    def array(self, metric: str) -> np.ndarray:
        """A whole curve metric, shape ``(N, S, E)`` float32, unfilled runs NaN."""
        if metric not in self._arrays:
            raw = self.group[metric][...]
            arr = np.where(self.filled[:, :, None], raw, np.float32(np.nan)).astype(np.float32, copy=False)
            arr.setflags(write=False)
            self._arrays[metric] = arr
        return self._arrays[metric]

    def mean_array(self, metric: str) -> np.ndarray:
        """Mean of :meth:`array` over seeds with a value, shape ``(N, E)`` float64."""
        if metric not in self._mean_arrays:
            mean = masked_mean(self.array(metric), axis=1)
            mean.setflags(write=False)
            self._mean_arrays[metric] = mean
        return self._mean_arrays[metric]

    @cached_property
    def cost_mean(self) -> np.ndarray:
        """Simulated seconds to train to each column and evaluate, mean over seeds, ``(N, E)`` float64.

        Per run: cumulative ``train_time`` up to the column plus ``eval_time``; NaN as soon as one of
        them is NaN (an unrecorded time is never taken as zero).
        """
        train = self.array("train_time").astype(np.float64)
        per_run = np.cumsum(train, axis=2) + self.column("eval_time", None)[:, :, None]
        mean = masked_mean(per_run, axis=1)
        mean.setflags(write=False)
        return mean

    # ------------------------------------------------------------------ proxies
    @property
    def proxy_names(self) -> list[str]:
        """Names of the stored proxies, sorted."""
        group = self.group.get("proxies")
        return sorted(group.keys()) if isinstance(group, h5py.Group) else []

    def proxy(self, name: str) -> dict[str, Any]:
        """A proxy's ``score``, ``time`` and ``computed`` ``(N, P)`` (float64, bool), ``proxy_seeds``, ``settings``.

        Raises:
            BenchmarkFormatError: the proxy group is malformed.
        """
        cache = self._proxies
        if name not in cache:
            sub = self.group["proxies"][name]
            verify_attrs(sub, self.group.file.filename, required=self.sealed)
            try:
                seeds = np.asarray(sub.attrs["proxy_seeds"], dtype=np.int64).reshape(-1)
                score = np.asarray(sub["score"][...], dtype=np.float64)
                time = np.asarray(sub["time"][...], dtype=np.float64)
                settings = str(sub.attrs.get("settings", "{}"))
            except KeyError as exc:
                raise BenchmarkFormatError(f"proxy group {sub.name} is incomplete ({exc})") from None
            if score.shape != (N_ARCHS, seeds.size) or time.shape != score.shape:
                raise BenchmarkFormatError(f"proxy group {sub.name} has arrays of the wrong shape")
            # Our proxies record a compute time for every score (NaN scores included); imported ones
            # have no times, so there a score is present where it is finite.
            timed = bool(sub.attrs.get(TIMES_RECORDED_ATTR, True))
            computed = np.isfinite(time) if timed else np.isfinite(score)
            cache[name] = {"score": score, "time": time, "proxy_seeds": seeds, "settings": settings,
                           "computed": computed}
        return cache[name]
