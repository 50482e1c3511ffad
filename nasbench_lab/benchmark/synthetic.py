"""Synthetic benchmark files for tests, performance figures and examples.

THE NUMBERS ARE MADE UP. They come from a cheap formula, not from training, and the files say so in
their provenance (``source`` starts with ``"synthetic"``, ``device`` is ``"none (synthetic)"``) and in
the recipe config (``"synthetic": true``). Never report results measured on them as NB201 results.

They are plausible enough to exercise the code paths that matter: accuracy depends on the arch's ops
(convolutions help, ``none`` hurts, archs whose output is cut from the input stay at chance level), so
predictors and search have signal to find; each arch also gets a fixed random offset (signal no
encoding explains); curves rise with the epoch towards the final value, faster for better archs;
seeds differ by noise; train time per column grows with the arch's FLOPs; params and FLOPs follow the
NB201 network's conv counts (C=16, N=5), so they are exact functions of the ops.

Everything is vectorised over the 15,625 archs and seeded: the same arguments give the same file.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.benchmark.writer import BenchmarkWriter
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import CONV1, CONV3, N_ARCHS, NONE, POOL, SKIP, all_indices, ops_matrix, valid_mask

NB201_DATASETS: tuple[str, ...] = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
SYNTHETIC_RECIPE = "synthetic"
SYNTHETIC_SOURCE = "synthetic: nasbench_lab.benchmark.synthetic (made-up numbers, not training results)"
FIRST_SEED, SEED_STEP = 777, 111  # seed values 777, 888, 999, ... as NB201 names its seeds
# dataset -> (classes, image side, final accuracy of the best archs, seconds per epoch of the biggest arch)
_DATASETS: dict[str, tuple[int, int, float, float]] = {
    "cifar10-valid": (10, 32, 92.0, 30.0),
    "cifar10": (10, 32, 94.5, 40.0),
    "cifar100": (100, 32, 73.5, 40.0),
    "ImageNet16-120": (120, 16, 47.0, 60.0),
    "digits": (10, 8, 98.5, 0.5),
}
_OTHER_DATASET = (10, 32, 90.0, 10.0)
_OP_VALUE = np.array([0.0, 0.25, 0.6, 1.0, 0.15])  # none, skip, conv1x1, conv3x3, pool
_EDGE_WEIGHT = np.array([0.8, 0.8, 1.0, 0.7, 1.0, 1.3])  # edges feeding the output count more


def seed_values(n_seeds: int) -> list[int]:
    """The synthetic seed values: 777, 888, 999, ..."""
    return [FIRST_SEED + SEED_STEP * k for k in range(n_seeds)]


def _stable_key(text: str) -> int:
    return zlib.crc32(text.encode())


def arch_figures(n_classes: int = 10, image_side: int = 32) -> dict[str, np.ndarray]:
    """Params (millions) and FLOPs (millions of MACs) of every arch, NB201-like (C=16, N=5), ``(N,)``.

    Counts only the cells' convolutions plus a fixed stem/reduction/classifier part; an approximation of
    the real network, good enough for synthetic data.
    """
    ops = ops_matrix(all_indices())
    n3, n1 = (ops == CONV3).sum(axis=1), (ops == CONV1).sum(axis=1)
    params = np.full(N_ARCHS, 0.07 + 64 * n_classes / 1e6)
    flops = np.full(N_ARCHS, 7.8 * (image_side / 32) ** 2)
    for stage, channels in enumerate((16, 32, 64)):
        side = image_side / 2**stage
        per_cell = n3 * (9 * channels**2 + 2 * channels) + n1 * (channels**2 + 2 * channels)
        params += 5 * per_cell / 1e6
        flops += 5 * (n3 * 9 + n1) * channels**2 * side**2 / 1e6
    return {"params": params, "flops": flops}


def arch_quality(seed: int = 0) -> np.ndarray:
    """A standardised per-arch quality score ``(N,)``: ops-driven signal plus a fixed random offset."""
    ops = ops_matrix(all_indices()).astype(np.int64)
    signal = (_OP_VALUE[ops] * _EDGE_WEIGHT).sum(axis=1)
    signal += 0.6 * (ops[:, 3] == SKIP)  # a residual input->output edge helps, as in NB201
    signal -= 0.3 * np.maximum((ops == POOL).sum(axis=1) - 1, 0)
    signal -= 0.4 * (ops[:, 5] == NONE)
    offset = np.random.default_rng([seed, 1]).normal(0.0, 0.35, N_ARCHS)
    z = (signal - signal.mean()) / signal.std() + offset
    return z


def _dataset_arrays(
    dataset: str, seeds: list[int], eval_points: np.ndarray, quality: np.ndarray, seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Curves ``(N, S, E)`` and per-run/per-arch arrays of one dataset."""
    n_classes, side, top, epoch_seconds = _DATASETS.get(dataset, _OTHER_DATASET)
    rng = np.random.default_rng([seed, _stable_key(dataset)])
    chance = 100.0 / n_classes
    z = quality + rng.normal(0.0, 0.15, N_ARCHS)  # datasets agree on ranking, not perfectly
    final = chance + (top - chance) * (0.45 + 0.55 / (1.0 + np.exp(-1.6 * (z - 0.8))))
    live = valid_mask()
    final = np.where(live, final, chance)
    tau = 0.12 + 0.25 / (1.0 + np.exp(z))  # better archs learn faster
    t = eval_points / eval_points[-1]
    shape = (1.0 - np.exp(-t[None, :] / tau[:, None])) / (1.0 - np.exp(-1.0 / tau[:, None]))
    n_seeds, n_epochs = len(seeds), len(t)
    seed_offset = rng.normal(0.0, 0.4, (N_ARCHS, n_seeds, 1))
    valid = chance + (final - chance)[:, None, None] * shape[:, None, :] + seed_offset
    valid = valid + rng.normal(0.0, 0.25, (N_ARCHS, n_seeds, n_epochs))
    valid = np.where(live[:, None, None], valid, chance + rng.normal(0.0, 0.3, valid.shape))
    valid = np.clip(valid, 0.0, 100.0)
    test = np.clip(valid + rng.normal(0.3, 0.2, (N_ARCHS, n_seeds, 1)), 0.0, 100.0)
    train = np.clip(valid + 6.0 * t * live[:, None, None], 0.0, 100.0)
    figures = arch_figures(n_classes, side)
    flops_rel = figures["flops"] / figures["flops"].max()
    per_epoch = epoch_seconds * (0.15 + 0.85 * flops_rel)
    widths = np.diff(np.r_[0.0, eval_points])
    train_time = per_epoch[:, None, None] * widths[None, None, :] * rng.lognormal(0.0, 0.05, (N_ARCHS, n_seeds, n_epochs))
    curves = {
        "train_acc": train, "valid_acc": valid, "test_acc": test, "train_time": train_time,
        "train_loss": _loss(train, n_classes), "valid_loss": _loss(valid, n_classes), "test_loss": _loss(test, n_classes),
    }
    # Binary-fraction resolution (1/64 of a point, ~1 ms, 1/1024 nat) keeps the low mantissa bits zero,
    # which makes the files compress well and quickly; finer digits would be made up anyway.
    curves = {k: _quantise(v, 64.0 if k.endswith("_acc") else 1024.0) for k, v in curves.items()}
    runs = {
        "eval_time": 0.1 * per_epoch[:, None] * rng.lognormal(0.0, 0.05, (N_ARCHS, n_seeds)),
        "params": figures["params"],
        "flops": figures["flops"],
        "latency": 1e-3 * (2.0 + figures["flops"] / 50.0) * rng.lognormal(0.0, 0.05, N_ARCHS),
    }
    return curves, runs


def _quantise(values: np.ndarray, steps_per_unit: float) -> np.ndarray:
    return (np.round(values * steps_per_unit) / steps_per_unit).astype(np.float32)


def _loss(acc: np.ndarray, n_classes: int) -> np.ndarray:
    return np.log(n_classes) * (1.0 - acc / 100.0) ** 1.5 + 0.02


def _filled_pairs(fill_fraction: float, n_seeds: int, rng: np.random.Generator) -> np.ndarray:
    """Filled mask ``(N, S)`` with exactly ``round(fill_fraction * N * S)`` runs, uniformly placed."""
    total = N_ARCHS * n_seeds
    mask = np.zeros(total, dtype=bool)
    mask[rng.choice(total, size=int(round(fill_fraction * total)), replace=False)] = True
    return mask.reshape(N_ARCHS, n_seeds)


def _write_proxies(writer: BenchmarkWriter, dataset: str, quality: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng([seed, _stable_key(dataset), 2])
    idx = all_indices()
    live = valid_mask()
    for proxy_seed in (0, 1):
        scores = np.where(live, quality + rng.normal(0.0, 0.6, N_ARCHS), np.nan)  # undefined for dead cells
        writer.write_proxy(dataset, SYNTHETIC_RECIPE, "syn_quality", idx, proxy_seed, scores,
                           rng.lognormal(np.log(0.02), 0.1, N_ARCHS), {"synthetic": True, "batch_size": 64})
    params = np.log(arch_figures()["params"])
    writer.write_proxy(dataset, SYNTHETIC_RECIPE, "syn_params", idx, 0, params,
                       np.full(N_ARCHS, 1e-4), {"synthetic": True})


def make_synthetic(
    path: str | os.PathLike[str],
    *,
    datasets: Sequence[str] = ("digits",),
    n_seeds: int = 2,
    n_epochs: int = 12,
    fill_fraction: float = 1.0,
    seed: int = 0,
    with_proxies: bool = False,
    full_size: bool = False,
) -> Path:
    """Write a synthetic benchmark file (made-up numbers, marked as such) and return its path.

    One recipe ``"synthetic"`` per dataset, evaluated at epochs ``1..n_epochs``, seeds 777, 888, ...

    Args:
        path: file to create (replaced atomically if it exists).
        datasets: dataset keys; NB201's names and ``digits`` get matching class counts and accuracy
            ranges, other names generic ones.
        n_seeds: seeds per recipe.
        n_epochs: curve columns.
        fill_fraction: fraction of the ``15625 * n_seeds`` runs filled, placed uniformly at random
            (the rest stay unfilled, for tests of missing entries).
        seed: seed of every random choice; the same arguments give the same numbers.
        with_proxies: also store two synthetic proxies, ``syn_quality`` (2 proxy seeds, NaN for archs
            whose output is cut off) and ``syn_params`` (1 proxy seed).
        full_size: shape the file like imported NB201 instead: the 4 NB201 datasets, 3 seeds, 200
            epochs (overrides ``datasets``, ``n_seeds`` and ``n_epochs``).

    Returns:
        ``Path(path)``.

    Raises:
        ConfigError: a fraction outside [0, 1], or fewer than 1 seed or epoch.
    """
    if full_size:
        datasets, n_seeds, n_epochs = NB201_DATASETS, 3, 200
    if not 0.0 <= fill_fraction <= 1.0:
        raise ConfigError(f"fill_fraction={fill_fraction} must be in [0, 1]")
    if n_seeds < 1 or n_epochs < 1:
        raise ConfigError("a synthetic benchmark needs at least one seed and one epoch")
    seeds = seed_values(n_seeds)
    eval_points = np.arange(1, n_epochs + 1, dtype=np.float64)
    quality = arch_quality(seed)
    path = Path(path)
    with BenchmarkWriter(path, overwrite=True) as writer:
        for dataset in datasets:
            recipe = Recipe(SYNTHETIC_RECIPE, tuple(eval_points), {"synthetic": True, "generator_seed": seed},
                            "synthetic learning curves (made-up numbers)")
            writer.add_recipe(dataset, recipe, seeds, {"source": SYNTHETIC_SOURCE, "device": "none (synthetic)"})
            _write_dataset(writer, dataset, seeds, eval_points, quality, fill_fraction, seed)
            if with_proxies:
                _write_proxies(writer, dataset, quality, seed)
    return path


def _write_dataset(
    writer: BenchmarkWriter, dataset: str, seeds: list[int], eval_points: np.ndarray, quality: np.ndarray,
    fill_fraction: float, seed: int,
) -> None:
    curves, runs = _dataset_arrays(dataset, seeds, eval_points, quality, seed)
    filled = _filled_pairs(fill_fraction, len(seeds), np.random.default_rng([seed, _stable_key(dataset), 3]))
    writer.write_arrays(dataset, SYNTHETIC_RECIPE, curves=curves, filled=filled, eval_time=runs["eval_time"])
    writer.write_arch_metrics(dataset, SYNTHETIC_RECIPE, all_indices(), params=runs["params"],
                              flops=runs["flops"], latency=runs["latency"])
