"""Oneshot specs: the typed, self-validating description of a weight-sharing search, read from TOML.

A spec names one searcher, run once per seed, and the benchmark table that judges its picks::

    name = "darts-v1"
    dataset = "digits"             # searched on (train/valid splits) and judged on (the table)
    benchmark = "nb201-digits.h5"  # relative to the spec file; default: the embedded benchmark
    recipe = "digits"              # table recipe that judges (and gives C, N); default: the dataset's only one
    seeds = 3                      # a count (seeds 0..2) or a list of seed values
    fill_missing = false           # train table entries the picks need but the table lacks (else: reported missing)

    [search]                       # the supernet's weight training (NB201's search settings, shorter)
    epochs = 30
    batch_size = 64

    [searcher]
    name = "darts"                 # a registered searcher
    order = 1                      # every other key is a parameter of the searcher

Every error is a :class:`~nasbench_lab.errors.ConfigError` naming the TOML key (``searcher.order``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nasbench_lab.config import Config, check_value, read_spec_file, setting
from nasbench_lab.errors import ConfigError
from nasbench_lab.oneshot.base import searcher_class


@dataclass(frozen=True)
class SearchSettings(Config):
    """How the supernet's weights are trained (NB201's searchers: SGD Nesterov, cosine per epoch, clip 5).

    ``C`` and ``N`` default to the judging recipe's, so the supernet is the network the table trained.
    """

    epochs: int = setting(30, low=1, doc="search epochs (passes over the train split)")
    batch_size: int = setting(64, low=1, doc="images per weight step (and per valid batch)")
    lr: float = setting(0.025, low=0.0, doc="peak learning rate of the weights (cosine per epoch)")
    lr_min: float = setting(0.001, low=0.0, doc="final learning rate")
    momentum: float = setting(0.9, low=0.0, high=1.0, doc="SGD momentum")
    nesterov: bool = setting(True, doc="Nesterov momentum")
    weight_decay: float = setting(5e-4, low=0.0, doc="L2 decay of the weights")
    grad_clip: float = setting(5.0, low=0.0, doc="gradient-norm clip of the weights")
    augment: bool = setting(True, doc="apply the dataset's crop/flip augmentation to train batches")
    train_subset: int | None = setting(None, low=1, doc="train on a fixed subset of this many images (null: all)")
    C: int | None = setting(None, low=1, doc="supernet width (null: the recipe's)")
    N: int | None = setting(None, low=1, doc="cells per stage (null: the recipe's)")

    def training_config(self, recipe_config: Mapping[str, Any]) -> dict[str, Any]:
        """The settings as the dict :class:`~nasbench_lab.oneshot.context.SearchContext` takes (C/N resolved)."""
        cfg = self.to_dict() | {"lr_schedule": "cosine", "schedule_step": "epoch"}
        for key in ("C", "N"):
            if cfg[key] is None:
                if key not in recipe_config:
                    raise ConfigError(f"search.{key}: the judging recipe does not say its network's {key}; set it in [search]")
                cfg[key] = int(recipe_config[key])
        return cfg


@dataclass(frozen=True)
class SearcherSpec:
    """The searcher of a spec: its registered name and validated parameters (an instance of its ``Params``)."""

    name: str
    params: Config


@dataclass(frozen=True)
class OneshotSpec:
    """A whole oneshot search; see the module docstring for the TOML form.

    Attributes:
        name: the run's name (default: the spec file's stem).
        dataset: dataset searched and judged.
        searcher: the searcher and its parameters.
        search: the weight-training settings.
        benchmark: benchmark file (absolute), ``None`` for the embedded default.
        recipe: judging recipe, ``None`` for the dataset's only one.
        seeds: seed values, one search run each.
        fill_missing: train missing table entries of the picks through the fill path.
    """

    name: str
    dataset: str
    searcher: SearcherSpec
    search: SearchSettings = SearchSettings()
    benchmark: str | None = None
    recipe: str | None = None
    seeds: tuple[int, ...] = (0, 1, 2)
    fill_missing: bool = False

    def __post_init__(self) -> None:
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"seeds: must name at least one seed, none twice; got {list(self.seeds)}")
        for i, s in enumerate(self.seeds):
            if isinstance(s, bool) or not isinstance(s, int) or s < 0:
                raise ConfigError(f"seeds[{i}]: must be an integer >= 0, got {s!r}")

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-serialisable data."""
        data = dataclasses.asdict(self)
        data["searcher"] = {"name": self.searcher.name, **self.searcher.params.to_dict()}
        return data

    def fingerprint(self) -> str:
        """SHA-256 of everything that determines the search runs (not the name, benchmark path or fill flag)."""
        data = self.to_dict()
        for key in ("name", "benchmark", "fill_missing"):
            data.pop(key)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def with_benchmark(self, path: str | Path | None) -> OneshotSpec:
        """A copy judged by ``path`` (made absolute) instead of the spec's benchmark."""
        return dataclasses.replace(self, benchmark=None if path is None else str(Path(path).resolve()))


def _searcher(table: Any) -> SearcherSpec:
    if not isinstance(table, Mapping) or "name" not in table:
        raise ConfigError("searcher: must be a table naming a registered searcher ([searcher] name = \"darts\")")
    table = dict(table)
    name = table.pop("name")
    try:
        cls = searcher_class(name)
    except ConfigError as exc:
        raise ConfigError(f"searcher.name: {exc}") from None
    return SearcherSpec(name=name, params=cls.Params.from_table(table, key_prefix="searcher."))


def spec_from_dict(data: Mapping[str, Any], *, name: str = "oneshot", base_dir: Path | None = None) -> OneshotSpec:
    """Build a :class:`OneshotSpec` from parsed TOML.

    Args:
        data: the TOML document.
        name: the name used when the document has none.
        base_dir: folder a relative ``benchmark`` is relative to (default: the working directory).

    Raises:
        ConfigError: unknown key, wrong type or out-of-range value; the message names the key.
    """
    top = ("name", "dataset", "benchmark", "recipe", "seeds", "fill_missing", "search", "searcher")
    unknown = sorted(set(data) - set(top))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key; valid keys: {', '.join(top)}")
    for key in ("dataset", "searcher"):
        if key not in data:
            raise ConfigError(f"{key} is missing from the spec")
    fields = {"name": (str, name), "dataset": (str, None), "recipe": (str | None, None), "benchmark": (str | None, None),
              "fill_missing": (bool, False)}
    values = {key: check_value(key, data.get(key, default), hint) for key, (hint, default) in fields.items()}
    if values["benchmark"] is not None:
        values["benchmark"] = str(((base_dir or Path.cwd()) / values["benchmark"]).resolve())
    seeds = data.get("seeds", 3)
    seeds = tuple(range(check_value("seeds", seeds, int, low=1))) if not isinstance(seeds, list) else tuple(seeds)
    search = SearchSettings.from_table(data.get("search", {}), key_prefix="search.")
    return OneshotSpec(searcher=_searcher(data["searcher"]), search=search, seeds=seeds, **values)


def load_spec(path: str | Path, *, benchmark: str | Path | None = None) -> OneshotSpec:
    """Read and validate a oneshot spec file (``benchmark`` overrides the spec's).

    Raises:
        ConfigError: unreadable TOML or an invalid spec; the message names the file and the key.
    """
    path = Path(path)
    spec = read_spec_file(path, "oneshot spec", lambda data: spec_from_dict(data, name=path.stem, base_dir=path.resolve().parent))
    return spec if benchmark is None else spec.with_benchmark(benchmark)
