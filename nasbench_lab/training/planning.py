"""Which entries a fill trains: the arch selection and the plan of missing ``(arch, seed)`` entries.

:class:`ArchSelection` says which archs a fill covers (all, a seeded sample, a list, or one
representative per NB201 isomorphism class); :func:`plan_tasks` turns it and the file's filled mask
into the tasks the fill engine (:mod:`.fill`) runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nasbench_lab import space
from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.errors import ArchError, ConfigError
from nasbench_lab.parsing import parse_uint
from nasbench_lab.training.jobs import Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArchSelection:
    """Which archs a fill covers.

    Attributes:
        mode: ``"all"``, ``"sample"`` (``n`` archs drawn with ``sample_seed``; ``random:N`` on the command
            line), ``"list"`` or
            ``"classes"`` (one representative per NB201 isomorphism class, results mapped to the
            other members).
        indices: the archs of a ``"list"``.
        n: sample size.
        sample_seed: seed of the sample.
    """

    mode: str
    indices: tuple[int, ...] = ()
    n: int = 0
    sample_seed: int = 0

    @classmethod
    def parse(cls, text: str, sample_seed: int = 0) -> ArchSelection:
        """Read ``--archs``: ``all``, ``classes``, ``random:N`` (a seeded sample of N archs), or indices.

        Indices are one index (``6111`` is arch 6111), a list (``1,2,3``) or ranges (``0-99,200``),
        written with ASCII digits only (:func:`~nasbench_lab.space.parse_index_list`).

        Raises:
            ConfigError: the text is none of these, or a sample size outside 1..15625.
        """
        text = str(text).strip()
        if text in ("all", "classes"):
            return cls(mode=text)
        kind, sep, size = text.partition(":")
        try:
            if sep and kind == "random":
                n = parse_uint(size, "--archs random:N sample size", space.N_ARCHS)
                if n < 1:
                    raise ConfigError(f"--archs {text!r}: the sample size must be in 1..{space.N_ARCHS}")
                return cls(mode="sample", n=n, sample_seed=sample_seed)
            return cls(mode="list", indices=tuple(space.parse_index_list(text, "--archs")))
        except ArchError as exc:
            raise ConfigError(
                f"{exc} (--archs takes all, classes, random:N, one index like 6111, or indices like 1,2,100-199)"
            ) from None

    def arch_indices(self) -> np.ndarray:
        """Archs to train (for ``classes``: the representatives), sorted, shape ``(n,)``."""
        if self.mode == "all":
            return space.all_indices()
        if self.mode == "classes":
            return np.unique(space.representatives("nb201"))
        if self.mode == "list":
            return np.unique(np.asarray(self.indices, dtype=np.int64))
        rng = np.random.default_rng(self.sample_seed)
        return np.sort(rng.choice(space.N_ARCHS, size=self.n, replace=False))


def plan_tasks(
    filled: np.ndarray,
    file_seeds: Sequence[int],
    seeds: Sequence[int],
    selection: ArchSelection,
    dataset: str,
    recipe: Recipe,
) -> list[Task]:
    """The tasks that fill the selected, still-missing entries.

    Args:
        filled: the file's filled mask, shape ``(15625, len(file_seeds))``.
        file_seeds: seed values of the mask's columns.
        seeds: seeds to fill (each must be in ``file_seeds``).
        selection: which archs.
        dataset: dataset key.
        recipe: the recipe.

    Returns:
        Tasks in seed-major order (all archs of the first seed, then the next seed), so a partial
        fill has whole seeds. For ``classes``, a representative is trained when it or any member of
        its class is missing for that seed; its task lists the missing members to map to, and the
        tasks of the first seed measure the members' latency.
    """
    column = {int(s): k for k, s in enumerate(file_seeds)}
    archs = selection.arch_indices()
    members_of = _class_members() if selection.mode == "classes" else None
    tasks = []
    for position, seed in enumerate(seeds):
        done = filled[:, column[int(seed)]]
        for arch in archs:
            members: tuple[int, ...] = ()
            if members_of is not None:
                members = tuple(int(m) for m in members_of[int(arch)] if not done[m])
                if done[arch] and members:
                    log.warning(
                        "arch %d (seed %d) is filled but %d members of its class are not; "
                        "retraining it to map its results", arch, seed, len(members),
                    )
            if not done[arch] or members:
                tasks.append(Task(int(arch), dataset, recipe, int(seed), members=members, measure_members=position == 0))
    return tasks


def _class_members() -> dict[int, np.ndarray]:
    """Representative -> the other archs of its NB201 isomorphism class."""
    reps = space.representatives("nb201")
    order = np.argsort(reps, kind="stable")
    starts = np.flatnonzero(np.r_[True, reps[order][1:] != reps[order][:-1]])
    groups = np.split(order, starts[1:])
    return {int(reps[g[0]]): g[g != reps[g[0]]] for g in groups}
