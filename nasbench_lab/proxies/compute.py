"""Compute zero-cost proxy scores for many archs and store them in a benchmark file.

The network of a (dataset, recipe) entry is the one its recipe trains (``C`` and ``N`` from the
recipe's config, the dataset's image shape and classes), initialised with ``torch.manual_seed(seed)``;
the minibatch is ``batch_size`` training images drawn with the same seed, normalised, not augmented.
One proxy seed is one (init, minibatch) pair; ``--seeds k`` computes k of them.

Work is cut into chunks of archs, run by an executor of :mod:`nasbench_lab.execution` (in this
process, local workers, or Ray). Each finished chunk is written to the benchmark file through
:class:`~nasbench_lab.benchmark.writer.BenchmarkWriter` (atomic replace), so an interrupted run
(Ctrl-C, SIGTERM: the workers are stopped at once) loses at most the chunks in flight and a rerun
skips every (proxy, arch, seed) already stored: a stored score always has a finite compute time, even
when the score itself is NaN (undefined).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from nasbench_lab.errors import ConfigError
from nasbench_lab.execution import Executor, make_executor, run_all
from nasbench_lab.proxies import PROXIES

if TYPE_CHECKING:
    from nasbench_lab.benchmark.store import Benchmark

log = logging.getLogger(__name__)


Chunk = tuple[np.ndarray, int]  # (arch indices, proxy seed)


@dataclass(frozen=True)
class ProxyJob:
    """Everything a worker needs to score archs; stored (minus the arch list) as the proxy settings.

    Calling it scores one :data:`Chunk` (the work an executor runs).

    Attributes:
        dataset: dataset key whose training images form the minibatch.
        proxies: registered proxy names, in the order scores are returned.
        C, N: network width and cells per stage.
        in_channels, num_classes: the dataset's image channels and classes.
        batch_size: minibatch size.
        data_root: directory of file-based datasets (None: the default).
    """

    dataset: str
    proxies: tuple[str, ...]
    C: int
    N: int
    in_channels: int
    num_classes: int
    batch_size: int = 64
    data_root: str | None = None

    # Modules local workers import once, before their first chunk (see nasbench_lab.execution).
    preload: ClassVar[tuple[str, ...]] = ("torch", "nasbench_lab.training.network", "nasbench_lab.proxies")

    def __call__(self, chunk: Chunk) -> tuple[np.ndarray, np.ndarray]:
        """Scores and compute seconds of ``chunk``'s archs for its seed, each ``(len(archs), k)``."""
        indices, seed = chunk
        return score_chunk(indices, self, seed)

    def __post_init__(self) -> None:
        for name in self.proxies:
            PROXIES.get(name)  # unknown names fail here, listing the known ones
        if self.batch_size < 2:
            raise ConfigError(f"proxy batch size must be at least 2, got {self.batch_size}")

    def settings(self, proxy: str) -> dict[str, object]:
        """The settings stored with ``proxy``'s scores."""
        settings: dict[str, object] = {
            "dataset": self.dataset, "C": self.C, "N": self.N, "in_channels": self.in_channels,
            "num_classes": self.num_classes, "batch_size": self.batch_size,
            "init": "torch default, torch.manual_seed(seed)", "loss": "cross_entropy",
            "batch": "seeded draw of training images, normalised, not augmented", "proxy": proxy,
        }
        definition = PROXIES.get(proxy).definition
        if definition:
            settings["definition"] = definition
        return settings


def minibatch(dataset: str, batch_size: int, seed: int, data_root: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` training images and labels of ``dataset`` drawn with ``seed`` (CPU tensors)."""
    from nasbench_lab.training.data import load_dataset

    data = load_dataset(dataset, root=data_root)
    if batch_size > data.n_train:
        raise ConfigError(f"proxy batch size {batch_size} exceeds the {data.n_train} training images of {dataset}")
    gen = torch.Generator().manual_seed(int(seed))
    idx = torch.randperm(data.n_train, generator=gen)[:batch_size]
    return data.train_batch(idx, gen, augment=False)


def score_arch(index: int, job: ProxyJob, seed: int, x: torch.Tensor, y: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Scores and compute seconds of every proxy in ``job`` for arch ``index``, each of shape ``(k,)``.

    Each proxy sees the freshly initialised network (proxies that alter weights work on copies or
    zero their gradients); its time includes only its own computation.
    """
    from nasbench_lab.training.network import build_network

    torch.manual_seed(int(seed))
    net = build_network(int(index), C=job.C, N=job.N, in_channels=job.in_channels, num_classes=job.num_classes)
    net.train()
    scores = np.empty(len(job.proxies))
    times = np.empty(len(job.proxies))
    for k, name in enumerate(job.proxies):
        start = time.perf_counter()
        scores[k] = PROXIES.get(name)().score(net, x, y, F.cross_entropy)
        times[k] = time.perf_counter() - start
    return scores, times


def score_chunk(indices: Sequence[int] | np.ndarray, job: ProxyJob, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and times for a chunk of archs, each of shape ``(len(indices), k)`` (runs in a worker)."""
    x, y = minibatch(job.dataset, job.batch_size, seed, job.data_root)
    out = [score_arch(int(i), job, seed, x, y) for i in indices]
    return np.array([s for s, _ in out]), np.array([t for _, t in out])


def _stored_mask(bench: Benchmark, dataset: str, recipe: str, proxy: str, seed: int) -> np.ndarray:
    """Which archs already hold ``proxy``'s score for ``seed``, shape ``(15625,)``."""
    from nasbench_lab.space import N_ARCHS

    if proxy not in bench.proxy_names(dataset, recipe) or seed not in bench.proxy_seeds(dataset, proxy, recipe):
        return np.zeros(N_ARCHS, dtype=bool)
    return np.isfinite(bench.proxy_time(np.arange(N_ARCHS), dataset, proxy, recipe, seed=seed, missing="nan"))


def _chunks(indices: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(indices), size):
        yield indices[start : start + size]


def compute_proxies(
    bench_path: str | Path,
    dataset: str,
    *,
    recipe: str | None = None,
    proxies: Sequence[str] | None = None,
    archs: Sequence[int] | np.ndarray | None = None,
    seeds: Sequence[int] = (0,),
    batch_size: int = 64,
    workers: int = 1,
    executor: str = "local",
    address: str | None = None,
    chunk_size: int = 128,
    data_root: str | None = None,
    progress: bool = True,
    recompute: bool = False,
) -> int:
    """Compute proxies for many archs and store them in the benchmark file; resumable.

    Args:
        bench_path: the benchmark file (must hold ``dataset`` and the recipe).
        dataset: dataset key; its training images form the minibatch.
        recipe: recipe whose network (``C``, ``N``) is scored; the dataset's only recipe if None.
        proxies: proxy names (all registered ones if None).
        archs: NB201 indices (all 15,625 if None).
        seeds: proxy seeds (each one an init + minibatch).
        batch_size: minibatch size.
        workers: local worker processes (one: in this process).
        executor: an executor name (``inline``, ``local``, ``ray``; see :mod:`nasbench_lab.execution`).
        address: Ray cluster address (``ray`` executor; None starts a local Ray).
        chunk_size: archs per task and per write.
        data_root: directory of file-based datasets.
        progress: show a progress bar.
        recompute: first drop every stored score of the named proxies (all archs and seeds, not only
            ``archs``), e.g. after a proxy's definition changed; otherwise stored pairs are skipped.

    Returns:
        The number of (arch, seed) pairs computed now (pairs already stored are skipped).

    Raises:
        ConfigError: unknown proxy, dataset, recipe or executor.
        FillLockedError: another process is filling or computing into the file.
        NasbenchLabError: a chunk failed (chunks finished before it are stored).
    """
    from nasbench_lab.benchmark.lock import FileLock, lock_path
    from nasbench_lab.space import N_ARCHS, check_indices

    runner = make_executor(executor, workers=workers, address=address, isolate=False)
    path = Path(bench_path)
    job, recipe_name = _make_job(path, dataset, recipe, proxies, batch_size, data_root)
    indices = np.arange(N_ARCHS) if archs is None else np.unique(check_indices(archs))
    with FileLock(lock_path(path), what=str(path)):
        if recompute:
            _drop_stored(path, job, dataset, recipe_name)
        work = _plan(path, job, dataset, recipe_name, indices, seeds, chunk_size)
        total = sum(len(c) for c, _ in work)
        log.info("%d (arch, seed) pairs to score with %s", total, ", ".join(job.proxies))
        _run(runner, job, work, path, dataset, recipe_name, progress)
    return total


def _run(runner: Executor[Chunk, tuple[np.ndarray, np.ndarray]], job: ProxyJob, work: list[Chunk], path: Path, dataset: str, recipe: str,
         progress: bool) -> None:
    """Score the chunks of ``work`` with ``runner`` and store each one as it finishes.

    Raises:
        NasbenchLabError: a chunk failed (chunks finished before it are stored).
    """
    with tqdm(total=sum(len(c) for c, _ in work), unit="arch", desc="proxies", disable=not progress) as bar, \
            closing(run_all(runner, job, work)) as outcomes:
        for outcome in outcomes:
            chunk, seed = outcome.item
            scores, times = outcome.unwrap(f"proxies of archs {chunk[0]}..{chunk[-1]} (seed {seed})")
            _store(path, job, dataset, recipe, chunk, seed, scores, times)
            bar.update(len(chunk))


def _make_job(path: Path, dataset: str, recipe: str | None, proxies: Sequence[str] | None, batch_size: int,
              data_root: str | None) -> tuple[ProxyJob, str]:
    """The job scoring the network of ``dataset``'s recipe (its only one if ``recipe`` is None), and that recipe's name.

    Raises:
        ConfigError: unknown dataset or recipe, or a recipe whose config does not give ``C`` and ``N``.
    """
    from nasbench_lab.benchmark.store import Benchmark
    from nasbench_lab.training.data import load_dataset

    with Benchmark.open(path) as bench:
        recipe_name = recipe or bench.default_recipe(dataset)
        config = bench.recipe(dataset, recipe_name).config
    if "C" not in config or "N" not in config:
        raise ConfigError(f"recipe {recipe_name!r} of {dataset!r} does not say its network width C and cells N")
    data = load_dataset(dataset, root=data_root)
    job = ProxyJob(dataset, tuple(proxies or PROXIES.names()), int(config["C"]), int(config["N"]),
                   data.image_shape[0], data.num_classes, batch_size, data_root)
    return job, recipe_name


def _drop_stored(path: Path, job: ProxyJob, dataset: str, recipe: str) -> None:
    """Delete every stored score and time of ``job``'s proxies (all archs and proxy seeds), atomically."""
    from nasbench_lab.benchmark.writer import BenchmarkWriter

    with BenchmarkWriter(path) as writer:
        dropped = [p for p in job.proxies if writer.delete_proxy(dataset, recipe, p)]
    log.info("dropped the stored scores of %s", ", ".join(dropped) or "nothing")


def _plan(path: Path, job: ProxyJob, dataset: str, recipe: str, indices: np.ndarray, seeds: Sequence[int],
          chunk_size: int) -> list[Chunk]:
    """The chunks of (arch, seed) pairs of ``indices`` x ``seeds`` not stored yet for every proxy of ``job``."""
    from nasbench_lab.benchmark.store import Benchmark

    work: list[Chunk] = []
    with Benchmark.open(path) as bench:
        for seed in seeds:
            done = np.logical_and.reduce([_stored_mask(bench, dataset, recipe, p, int(seed)) for p in job.proxies])
            todo = indices[~done[indices]]
            work += [(chunk, int(seed)) for chunk in _chunks(todo, chunk_size)]
    return work


def _store(path: Path, job: ProxyJob, dataset: str, recipe: str, chunk: np.ndarray, seed: int,
           scores: np.ndarray, times: np.ndarray) -> None:
    """Write one finished chunk's scores and times (each ``(len(chunk), k)``) into the file, atomically."""
    from nasbench_lab.benchmark.writer import BenchmarkWriter

    with BenchmarkWriter(path) as writer:
        for k, name in enumerate(job.proxies):
            writer.write_proxy(dataset, recipe, name, chunk, seed, scores[:, k], times[:, k], job.settings(name))
