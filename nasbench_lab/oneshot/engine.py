"""One search run (one searcher, one seed) and what it records per search epoch.

:func:`run_search` builds the run's :class:`~nasbench_lab.oneshot.context.SearchContext` and searcher and
loops over the search epochs. After each epoch it records the searcher's pick, the pick's one-shot valid
accuracy (its path through the shared weights, on the whole valid split), the searcher's op
distribution and the clock. Table numbers are not part of a run: the runner adds them (the searcher
never sees the benchmark). :class:`SearchWork` is the picklable work an executor runs for each seed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from nasbench_lab.oneshot.base import searcher_class
from nasbench_lab.oneshot.context import SearchContext
from nasbench_lab.oneshot.spec import OneshotSpec
from nasbench_lab.space import Arch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpochRecord:
    """What one search epoch ended with.

    Attributes:
        epoch: 1-based search epoch.
        arch_index: NB201 index of the searcher's pick.
        oneshot_valid_acc: the pick's accuracy (percent) through the shared weights on the valid split.
        search_seconds: wall seconds of searching so far (weight/arch steps and the searcher's pick;
            not the recording of ``oneshot_valid_acc``).
        probs: the searcher's op distribution, ``(6, 5)`` as nested lists.
    """

    epoch: int
    arch_index: int
    oneshot_valid_acc: float
    search_seconds: float
    probs: list[list[float]]


@dataclass(frozen=True)
class SeedRun:
    """A finished search run.

    Attributes:
        searcher: registered searcher name.
        seed: the run's seed.
        epochs: one record per search epoch.
        wall_seconds: the whole run, recording included.
        weight_steps: SGD steps of the supernet's weights.
    """

    searcher: str
    seed: int
    epochs: list[EpochRecord]
    wall_seconds: float
    weight_steps: int

    @property
    def final_arch(self) -> Arch:
        """The pick after the last epoch: the run's result."""
        return Arch.from_index(self.epochs[-1].arch_index)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the run's unit file."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeedRun:
        """Read a unit file's data back."""
        return cls(**{**data, "epochs": [EpochRecord(**e) for e in data["epochs"]]})


def run_search(spec: OneshotSpec, cfg: dict[str, Any], seed: int, *, device: str = "cpu", threads: int = 1,
               data_root: str | None = None) -> SeedRun:
    """Run ``spec``'s searcher with ``seed`` for ``cfg["epochs"]`` epochs.

    Args:
        spec: the search.
        cfg: the resolved weight-training settings (:meth:`SearchSettings.training_config`).
        seed: seeds the supernet's weights, the batches and every sampling of the searcher.
        device: ``"cpu"`` or a CUDA device.
        threads: CPU threads (ignored on CUDA).
        data_root: data directory for file-based datasets.

    Returns:
        The run, one :class:`EpochRecord` per epoch. On CPU the same arguments give the same records
        (the seconds aside).
    """
    from nasbench_lab.training.data import load_dataset
    from nasbench_lab.training.trainer import Runtime

    start = time.perf_counter()
    rt = Runtime.for_device(device, threads)
    ctx = SearchContext(load_dataset(spec.dataset, root=data_root, device=rt.device), rt, cfg, seed)
    searcher = searcher_class(spec.searcher.name)(ctx, spec.searcher.params)
    records: list[EpochRecord] = []
    searching = 0.0
    for epoch in range(cfg["epochs"]):
        tick = time.perf_counter()
        searcher.search_epoch(epoch)
        arch = searcher.derive()
        rt.sync()
        searching += time.perf_counter() - tick
        acc = float(ctx.oneshot_accuracy([arch])[0])
        records.append(EpochRecord(epoch + 1, arch.index, acc, searching, searcher.probs().tolist()))
        log.info("%s seed %d epoch %d: %s one-shot valid %.2f%% (%.1f s)", spec.name, seed, epoch + 1, arch, acc, searching)
    return SeedRun(spec.searcher.name, int(seed), records, time.perf_counter() - start, ctx.step)


@dataclass(frozen=True)
class SearchWork:
    """The work an executor runs for each seed: :func:`run_search` of ``spec``.

    Attributes:
        spec: the search.
        cfg: resolved weight-training settings.
        device, threads, data_root: as :func:`run_search`.
    """

    spec: OneshotSpec
    cfg: dict[str, Any]
    device: str = "cpu"
    threads: int = 1
    data_root: str | None = None

    # Modules local workers import once, before their first seed (see nasbench_lab.execution).
    preload: ClassVar[tuple[str, ...]] = ("torch", "nasbench_lab.oneshot.engine", "sklearn.datasets")

    def __call__(self, seed: int) -> SeedRun:
        """One seed's search run."""
        return run_search(self.spec, self.cfg, seed, device=self.device, threads=self.threads, data_root=self.data_root)


def probs_array(run: SeedRun) -> np.ndarray:
    """The run's op distributions, shape ``(n_epochs, 6, 5)``."""
    return np.array([e.probs for e in run.epochs], dtype=np.float64)
