"""What a predictor evaluation reads and how it splits it: the settings, the data and the splits.

:class:`Protocol` holds the validated settings of one evaluation, :func:`load_data` reads everything
the evaluation needs from the benchmark into an :class:`EvaluationData` of plain arrays, and
:func:`split` draws trial ``t``'s test set and training pool (see :mod:`.evaluate` for the protocol).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.objectives import is_maximised

log = logging.getLogger(__name__)

DEFAULT_TRAIN_SIZES: tuple[int, ...] = (5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000)


@dataclass(frozen=True)
class Protocol:
    """The settings of one evaluation; validated when built.

    Attributes:
        dataset: benchmark dataset key.
        recipe: benchmark recipe name (``None``: the dataset's default).
        metric: target metric, taken at the last evaluation point; its curve feeds curve predictors.
        train_sizes: training-set sizes, increasing.
        test_size: archs per test set (at least 20, for precision@20).
        trials: independent splits.
        fidelities: evaluation points seen by curve predictors (``None``: a default sweep).
        seed: root of every random choice.
    """

    dataset: str
    recipe: str | None = None
    metric: str = "valid_acc"
    train_sizes: tuple[int, ...] = DEFAULT_TRAIN_SIZES
    test_size: int = 200
    trials: int = 20
    fidelities: tuple[int, ...] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        sizes = tuple(int(s) for s in self.train_sizes)
        if not sizes or any(s < 1 for s in sizes) or list(sizes) != sorted(set(sizes)):
            raise ConfigError(f"train_sizes {sizes} must be distinct positive integers, increasing")
        object.__setattr__(self, "train_sizes", sizes)
        if self.test_size < 20:
            raise ConfigError(f"test_size {self.test_size} < 20: precision@20 needs at least 20 test archs")
        if self.trials < 1:
            raise ConfigError(f"trials must be >= 1, got {self.trials}")
        if self.fidelities is not None:
            fids = tuple(int(f) for f in self.fidelities)
            if not fids or any(f < 1 for f in fids) or list(fids) != sorted(set(fids)):
                raise ConfigError(f"fidelities {fids} must be distinct positive integers, increasing")
            object.__setattr__(self, "fidelities", fids)


@dataclass
class EvaluationData:
    """Everything the protocol reads from the benchmark, as plain arrays (picklable to workers).

    Shapes: ``m`` eligible archs, ``E`` evaluation points, ``P`` proxies.

    Attributes:
        archs: eligible NB201 indices, shape ``(m,)``.
        y: target (metric at the last evaluation point), shape ``(m,)``.
        maximise: whether larger targets are better (top-k direction).
        eval_points: positions in epochs of the curve columns, length ``E``.
        full_cost: simulated seconds of a full run, shape ``(m,)``.
        curves, train_losses: shape ``(m, E)`` or ``None`` when no curve predictor takes part.
        partial_cost: fidelity ``k`` -> simulated seconds of the first ``k`` points, shape ``(m,)``.
        proxies: shape ``(m, P)`` or ``None`` (no proxy-needing predictor, or no proxies stored).
        proxy_cost: seconds to compute all ``P`` proxies per arch, shape ``(m,)`` (zeros if none).
        fidelities: the fidelities swept for curve predictors.
    """

    archs: np.ndarray
    y: np.ndarray
    maximise: bool
    eval_points: tuple[float, ...]
    full_cost: np.ndarray
    curves: np.ndarray | None = None
    train_losses: np.ndarray | None = None
    partial_cost: dict[int, np.ndarray] = field(default_factory=dict)
    proxies: np.ndarray | None = None
    proxy_cost: np.ndarray | None = None
    fidelities: tuple[int, ...] = ()


def default_fidelities(n_points: int) -> tuple[int, ...]:
    """About 5 %, 10 %, 25 % and 50 % of the run (NASLib sweeps a similar range), at least 1 point."""
    return tuple(sorted({max(1, round(n_points * f)) for f in (0.05, 0.1, 0.25, 0.5)}))


def load_data(bench: Any, protocol: Protocol, *, need_curves: bool, need_proxies: bool) -> EvaluationData:
    """Read targets, costs and (when needed) curves and proxies for every eligible arch.

    Args:
        bench: an open :class:`~nasbench_lab.benchmark.store.Benchmark`.
        protocol: the settings.
        need_curves: a curve predictor takes part.
        need_proxies: a proxy predictor takes part.

    Raises:
        ConfigError: too few eligible archs for the test set plus the largest training set, or a
            fidelity beyond the recipe's evaluation points.
    """
    ds, rc = protocol.dataset, protocol.recipe
    every = np.arange(15625)
    y_all = np.asarray(bench.query_many(every, ds, protocol.metric, recipe=rc, missing="nan"), dtype=np.float64)
    ok = np.isfinite(y_all)
    points = tuple(float(p) for p in bench.eval_points(ds, rc))
    fids: tuple[int, ...] = ()
    curves = losses = None
    if need_curves:
        fids = protocol.fidelities or default_fidelities(len(points))
        curves, losses = _all_curves(bench, protocol, fids, len(points))
        seen = slice(0, fids[-1])
        ok &= np.isfinite(curves[:, seen]).all(axis=1) & np.isfinite(losses[:, seen]).all(axis=1)
    archs = every[ok]
    _check_enough(archs, protocol, need_curves)
    data = EvaluationData(
        archs=archs, y=y_all[ok], maximise=is_maximised(protocol.metric), eval_points=points,
        full_cost=np.asarray(bench.cost_many(archs, ds, recipe=rc, missing="nan"), dtype=np.float64), fidelities=fids,
    )
    if need_curves:
        assert curves is not None and losses is not None  # read above for curve predictors
        data.curves, data.train_losses = curves[ok], losses[ok]
        data.partial_cost = {
            k: np.asarray(bench.cost_many(archs, ds, epochs=k, recipe=rc, missing="nan"), dtype=np.float64)
            for k in fids
        }
    if need_proxies:
        data.proxies, data.proxy_cost = _proxies(bench, protocol, archs)
    return data


def _all_curves(bench: Any, protocol: Protocol, fids: tuple[int, ...], n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """The metric's curves and the training-loss curves of all 15,625 archs, each ``(15625, E)``."""
    if fids[-1] > n_points:
        raise ConfigError(f"fidelity {fids[-1]} exceeds the recipe's {n_points} evaluation points")
    ds, rc, every = protocol.dataset, protocol.recipe, np.arange(15625)
    curves = np.asarray(bench.curves_many(every, ds, protocol.metric, recipe=rc, missing="nan"), dtype=np.float64)
    losses = np.asarray(bench.curves_many(every, ds, "train_loss", recipe=rc, missing="nan"), dtype=np.float64)
    return curves, losses


def _check_enough(archs: np.ndarray, protocol: Protocol, need_curves: bool) -> None:
    """Refuse an eligible pool smaller than the test set plus the largest training set."""
    need = protocol.test_size + protocol.train_sizes[-1]
    if archs.size < need:
        raise ConfigError(
            f"only {archs.size} archs of {protocol.dataset!r} have {protocol.metric}"
            f"{' and curves' if need_curves else ''}; test_size + largest train size = {need}: "
            "lower --train-sizes/--test-size or fill more of the benchmark"
        )
    log.info("%d eligible archs (%d without the target or curves left out)", archs.size, 15625 - archs.size)


def _proxies(bench: Any, protocol: Protocol, archs: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Stored proxy scores ``(m, P)`` and their summed compute time ``(m,)``; ``(None, None)`` if none stored."""
    ds, rc = protocol.dataset, protocol.recipe
    names = list(bench.proxy_names(ds, rc))
    if not names:
        return None, None
    scores = [bench.proxy(archs, ds, name, recipe=rc, missing="nan") for name in names]
    times = [bench.proxy_time(archs, ds, name, recipe=rc, missing="nan") for name in names]
    return np.column_stack(scores).astype(np.float64), np.asarray(np.sum(times, axis=0), dtype=np.float64)


def split(data: EvaluationData, protocol: Protocol, trial: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (into ``data.archs``) of the test set and of the training pool of ``trial``.

    Returns:
        ``(test, pool)``: shapes ``(test_size,)`` and ``(largest train size,)``, disjoint.
    """
    rng = np.random.default_rng(np.random.SeedSequence(protocol.seed, spawn_key=(trial,)))
    order = rng.permutation(data.archs.size)
    return order[: protocol.test_size], order[protocol.test_size : protocol.test_size + protocol.train_sizes[-1]]
