"""Errors raised by the tabular benchmark (reading, writing, importing and querying it).

All derive from :class:`~nasbench_lab.errors.NasbenchLabError`, so the CLI prints them as one line.
"""

from __future__ import annotations

from nasbench_lab.errors import NasbenchLabError


class MissingEntryError(NasbenchLabError, KeyError):
    """A queried entry is not in the benchmark: the run was never trained, or did not record the value.

    The message names the arch, dataset, recipe and seed, and for an untrained run the command that
    trains it. The same facts are attributes, so callers (the fill engine) need not parse the text.

    Attributes:
        arch_index: NB201 index of the arch.
        dataset: dataset key.
        recipe: recipe name.
        seed: the seed value to fill, or ``None`` when the question was about any seed (a mean of
            filled seeds that did not record the value).
        metric: metric asked for (``None`` if the whole run is missing).
        recorded: ``False`` when the run exists but did not record the value (training cannot help).

    Args:
        arch_index, dataset, recipe, seed, metric, recorded: as the attributes.
        bench: path of the benchmark file, for the fill command in the message.
        detail: extra text appended in parentheses (e.g. how many more entries are missing).
        fix: how to obtain the value, replacing the fill command (e.g. for proxy scores).
    """

    def __init__(
        self,
        arch_index: int,
        dataset: str,
        recipe: str,
        seed: int | None,
        *,
        metric: str | None = None,
        recorded: bool = True,
        bench: str = "BENCH",
        detail: str = "",
        fix: str | None = None,
    ) -> None:
        self.arch_index = int(arch_index)
        self.dataset = dataset
        self.recipe = recipe
        self.seed = seed
        self.metric = metric
        self.recorded = recorded
        self.message = self._compose(bench, detail, fix)
        super().__init__(self.message)

    def _compose(self, bench: str, detail: str, fix: str | None) -> str:
        where = f"arch {self.arch_index}, dataset {self.dataset!r}, recipe {self.recipe!r}"
        seed_text = "any seed" if self.seed is None else f"seed {self.seed}"
        if not self.recorded:
            text = (
                f"{self.metric} was not recorded for {where}, {seed_text}: the run exists but did not "
                "store this value; ask for another metric, epoch or seed"
            )
        elif fix is not None:
            text = f"no {self.metric} for {where}, {seed_text}: {fix}"
        else:
            seeds = "SEED" if self.seed is None else str(self.seed)
            text = (
                f"no result for {where}, {seed_text}: train it with "
                f"`nasbench-lab fill {bench} --dataset {self.dataset} --recipe {self.recipe} "
                f"--archs {self.arch_index} --seeds {seeds}`"
            )
        return f"{text} ({detail})" if detail else text

    def __str__(self) -> str:
        # KeyError.__str__ would wrap the message in quotes.
        return self.message

    def __reduce__(self) -> tuple:
        # Keeps the error picklable (Ray workers send exceptions back) despite the keyword-only init.
        return (self.__class__, (self.arch_index, self.dataset, self.recipe, self.seed), self.__dict__)


class BenchmarkFormatError(NasbenchLabError):
    """A benchmark file that cannot be read: truncated, corrupt, not ours, or of an unknown version."""


class BenchmarkNotFoundError(NasbenchLabError, FileNotFoundError):
    """No benchmark file where one was expected."""

    def __str__(self) -> str:
        # FileNotFoundError with one argument prints it as is; keep that for every construction.
        return str(self.args[0]) if self.args else ""


class NoResultsError(NasbenchLabError, LookupError):
    """A question about the whole table that no entry can answer (e.g. the best of an empty recipe)."""


class ImportFormatError(NasbenchLabError):
    """An input file does not have the structure its format promises."""
