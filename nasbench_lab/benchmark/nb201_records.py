"""NAS-Bench-201 / NATS-Bench result records converted into :class:`~.schema.RunRecord` objects.

NB201 and NATS-Bench (topology space) store, per arch, an *ArchResults* state per training protocol
(``hp``: ``"12"`` or ``"200"`` epochs; NB201 ``.pth`` calls them ``"less"`` and ``"full"``) holding
``all_results`` keyed by ``(dataset, seed)``, each a *ResultsCount* state: ``train_acc1es``,
``train_losses``, ``train_times`` (``{epoch: value}``), ``eval_acc1es``, ``eval_losses``, ``eval_times``
(keyed ``"<set>@<epoch>"``), ``params``, ``flop``, ``latency``, ``seed`` (``"0777"``), ``epochs``.
Valid and test curves follow NB201's set mapping (:data:`NB201_SETS`). Epoch ``e`` (0-based) fills
curve column ``e`` (eval point ``e+1``); values a run did not keep (many 200-epoch runs keep only the
last epoch of some sets) stay NaN.

``eval_time`` is the seconds of one evaluation pass over the recipe's valid and test sets (test only
for ``cifar10``), as recorded for the last epoch; ``train_time`` is the per-epoch ``train_times``.
Params (millions), FLOPs (millions) and latency (mean of the recorded list, seconds per batch) come from
the records and depend on the dataset (number of classes).

Reading the files and writing the records into a benchmark: :mod:`nasbench_lab.benchmark.importers`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from nasbench_lab.benchmark.errors import ImportFormatError
from nasbench_lab.benchmark.schema import RunRecord
from nasbench_lab.space import Arch

# dataset -> (valid set, test set) exactly as NB201's API maps them.
NB201_SETS: dict[str, tuple[str | None, str]] = {
    "cifar10-valid": ("x-valid", "ori-test"),
    "cifar10": (None, "ori-test"),
    "cifar100": ("x-valid", "x-test"),
    "ImageNet16-120": ("x-valid", "x-test"),
}


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
