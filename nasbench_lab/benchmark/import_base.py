"""What every importer shares: NB201's recipes, provenance, the recipe book and the locked writer.

The importers of :mod:`.importers` (NB201 / NATS-Bench), :mod:`.csv_import` (tables) and
:mod:`.extra_import` (per-arch scores) build on this module; it imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from nasbench_lab import __version__
from nasbench_lab.benchmark.lock import FileLock, lock_path
from nasbench_lab.benchmark.schema import Recipe
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.writer import BenchmarkWriter, utc_now
from nasbench_lab.errors import ConfigError

# hp key in the files -> our recipe name.
NB201_RECIPES: dict[str, str] = {"12": "nb201-12", "200": "nb201-200"}

# (dataset, recipe name) -> (stored recipe, stored seeds) of a benchmark file.
ExistingRecipes = dict[tuple[str, str], tuple[Recipe, list[int]]]


def nb201_recipe(hp: str) -> Recipe:
    """The recipe of NB201's ``hp``-epoch runs (``"12"`` or ``"200"``).

    Raises:
        ConfigError: ``hp`` is not one of NB201's protocols.
    """
    if hp not in NB201_RECIPES:
        raise ConfigError(f"unknown NB201 protocol hp={hp!r}; known: {', '.join(NB201_RECIPES)}")
    epochs = int(hp)
    return Recipe(
        name=NB201_RECIPES[hp],
        eval_points=tuple(range(1, epochs + 1)),
        config={
            "optimizer": "SGD", "lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4,
            "batch_size": 256, "lr_schedule": "cosine", "epochs": epochs, "C": 16, "N": 5,
        },
        description=f"NAS-Bench-201 / NATS-Bench topology {epochs}-epoch runs (hp='{hp}')",
    )


def provenance(source: str, path: str | Path) -> dict[str, str]:
    """Provenance attributes for an import from ``path`` (what, where, by which code, when)."""
    return {
        "source": source,
        "path": str(Path(path).resolve()),
        "code_version": f"nasbench_lab {__version__}",
        "date": utc_now(),
        "device": "imported (trained by the benchmark's authors)",
    }


class RecipeBook:
    """Creates recipes on first use in a writer and grows their seed axis as new seeds appear.

    Args:
        writer: the open :class:`~nasbench_lab.benchmark.writer.BenchmarkWriter`.
        existing: ``(dataset, recipe name) -> (stored recipe, stored seeds)`` of the target file.
        provenance: provenance of the recipes this import creates.
    """

    def __init__(self, writer: BenchmarkWriter, existing: ExistingRecipes, provenance: Mapping[str, str]) -> None:
        self.writer = writer
        self.provenance = dict(provenance)
        self.seeds = {key: list(seeds) for key, (_, seeds) in existing.items()}
        self.touched: set[tuple[str, str]] = set()

    def ensure(self, dataset: str, recipe: Recipe, seeds: Iterable[int]) -> None:
        """Make ``dataset/recipe`` exist with at least ``seeds`` on its seed axis."""
        key = (dataset, recipe.name)
        if key not in self.touched:
            # add_recipe checks an existing recipe's eval points and config against ours.
            stored = self.seeds.get(key) or sorted(set(int(s) for s in seeds))
            self.writer.add_recipe(dataset, recipe, stored, self.provenance)
            self.seeds[key] = list(stored)
            self.touched.add(key)
        new = [int(s) for s in seeds if int(s) not in self.seeds[key]]
        if new:
            self.writer.add_seeds(dataset, recipe.name, sorted(set(new)))
            self.seeds[key].extend(sorted(set(new)))


def existing_recipes(path: str | Path) -> ExistingRecipes:
    """``(dataset, recipe name) -> (recipe, seeds)`` already in the benchmark at ``path`` (empty if absent)."""
    if not Path(path).exists():
        return {}
    with Benchmark.open(path) as bench:
        return {(d, r): (bench.recipe(d, r), bench.seeds(d, r)) for d in bench.datasets for r in bench.recipes(d)}


@contextmanager
def locked_writer(out: str | Path) -> Iterator[tuple[BenchmarkWriter, ExistingRecipes]]:
    """Hold ``OUT.lock`` (as a fill does) and open a writer on ``out``: ``(writer, existing recipes)``.

    The existing recipes are read under the lock, so that nothing another writer stores between the
    read and the commit is lost; the file is replaced only on a clean exit from the ``with`` block.

    Raises:
        BenchmarkLockedError: a fill, another import or a proxy computation is writing ``out``.
    """
    with FileLock(lock_path(out), what=str(out)):
        existing = existing_recipes(out)
        with BenchmarkWriter(out) as writer:
            yield writer, existing


__all__ = [
    "NB201_RECIPES", "ExistingRecipes", "RecipeBook", "existing_recipes", "locked_writer", "nb201_recipe",
    "provenance", "utc_now",
]
