"""Simulated search: one (strategy, seed) unit of a study run against the tabular benchmark.

The runner owns the benchmark and the clock; a strategy only sees what a real search would see:

* the objective (e.g. ``valid_acc``) at the fidelity it asked for, and its curve up to there;
* zero-cost proxy scores, if the spec offers a proxy, their compute time charged to the clock.

Rules of the simulation (documented in ``docs/studies.md``):

* **Seeds.** With ``objective.seed = "random"`` the first query of an arch draws one of the seeds
  whose run exists from the unit's objective generator (as NB201's API does); every later query of
  that arch, at any fidelity, reads the same run, so training it longer continues that run. With
  ``"mean"`` the seed mean is observed.
* **Cost.** Training an arch to ``k`` curve columns costs ``Benchmark.cost(arch, dataset, epochs=k)``
  (seed mean of the cumulative train time plus one evaluation). A query charges only what the arch has
  not paid yet: ``cost(k) - cost(k_paid)``. A repeated arch at a fidelity already paid is a cached
  lookup: it costs 0 simulated seconds but still counts as a query. A table without train/eval times
  (e.g. one imported from a CSV of final accuracies) gives NaN simulated time: allowed with a budget
  in queries only, refused with a budget in seconds.
* **Incumbent.** The arch with the best observed objective so far (any fidelity; the earliest on a
  tie). Its reported metric (seed mean, last column of the reported recipe) is added by the runner
  after the unit finishes; the strategy never sees it.
* **Budget.** A query is made while fewer than ``budget.queries`` were made and the clock is below
  ``budget.seconds``; the query that crosses the time limit counts in full (NB201's protocol).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib
import math
import multiprocessing
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from nasbench_lab import space
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.report import UnitResult
from nasbench_lab.search.base import Observation, Proposal, Strategy
from nasbench_lab.study import StudySpec, strategy_class

# A strategy that only re-asks paid archs would never spend a time budget: stop it with an error.
MAX_CACHED_IN_A_ROW = 10_000

_OPEN: dict[str, Any] = {}  # benchmark path -> open Benchmark, one per process


def open_benchmark(path: str | None) -> Any:
    """The :class:`~nasbench_lab.benchmark.store.Benchmark` at ``path`` (embedded default if ``None``), cached per process."""
    from nasbench_lab.benchmark.store import Benchmark, default_benchmark_path

    key = str(default_benchmark_path()) if path is None else path
    if key not in _OPEN:
        _OPEN[key] = Benchmark.open(key)
    return _OPEN[key]


class StudyTable:
    """What a study reads from the benchmark: its objective, cost, reported metric and proxy.

    Whole columns are read once (vectorised) and kept, so that a query is array indexing; an entry that
    is NaN there is asked of the benchmark itself, which raises its :class:`MissingEntryError`.

    Args:
        bench: an open ``Benchmark``.
        spec: the study spec (dataset, recipes, metrics, proxy).
    """

    def __init__(self, bench: Any, spec: StudySpec) -> None:
        self.bench = bench
        self.spec = spec
        self.dataset = spec.dataset
        self.recipe = bench.recipe(spec.dataset, spec.recipe)
        rep = spec.reported
        self.reported_dataset = rep.dataset or spec.dataset
        same = self.reported_dataset == spec.dataset
        self.reported_recipe = bench.recipe(self.reported_dataset, rep.recipe or (self.recipe.name if same else None))
        self.n_epochs = self.recipe.n_epochs
        self.seeds = np.asarray(bench.seeds(self.dataset, self.recipe.name), dtype=np.int64)
        self.filled = bench.filled(self.dataset, recipe=self.recipe.name)  # (15625, n_seeds) bool
        # Seed values of each arch's existing runs first, and how many there are: a draw is one index.
        order = np.argsort(~self.filled, axis=1, kind="stable")
        self._filled_seeds = self.seeds[order]  # (15625, n_seeds)
        self._n_filled = self.filled.sum(axis=1).tolist()  # (15625,) as Python ints
        self._curves: dict[int | str, tuple[np.ndarray, np.ndarray]] = {}  # seed -> (curves, row all NaN)
        self._costs: dict[int, np.ndarray] = {}  # curve columns -> (15625,)

    def draw_seed(self, arch: int, rng: np.random.Generator) -> int | str:
        """One seed value among the arch's existing runs, drawn uniformly with ``rng`` (``"mean"`` if none
        exists, so that the lookup raises the benchmark's missing-entry error)."""
        n = self._n_filled[arch]
        if n == 0:
            return "mean"
        return int(self._filled_seeds[arch, rng.integers(n) if n > 1 else 0])

    def curve(self, arch: int, seed: int | str) -> np.ndarray:
        """The objective curve of ``arch`` for seed value ``seed`` (or ``"mean"``), shape ``(n_epochs,)``."""
        if seed not in self._curves:
            curves = self.bench.curves_many(
                np.arange(space.N_ARCHS), self.dataset, self.spec.objective.metric, seed=seed,
                recipe=self.recipe.name, missing="nan",
            ).astype(np.float64, copy=False)
            self._curves[seed] = (curves, np.isnan(curves).all(axis=1))
        curves, missing = self._curves[seed]
        if missing[arch]:  # let the benchmark explain (or fill) the missing run
            return np.asarray(self.bench.curve(arch, self.dataset, self.spec.objective.metric, seed=seed,
                                               recipe=self.recipe.name), dtype=np.float64)
        return curves[arch]

    def cost(self, arch: int, epochs: int) -> float:
        """Simulated seconds to train ``arch`` for ``epochs`` curve columns and evaluate it (0 for 0)."""
        if epochs == 0:
            return 0.0
        if epochs not in self._costs:
            self._costs[epochs] = self.bench.cost_many(
                np.arange(space.N_ARCHS), self.dataset, epochs=epochs, recipe=self.recipe.name, missing="nan")
        value = float(self._costs[epochs][arch])
        if np.isnan(value) and not self.filled[arch].any():  # untrained: the benchmark raises its error
            value = float(self.bench.cost(arch, self.dataset, epochs=epochs, recipe=self.recipe.name))
        return value  # NaN: trained, but the table holds no train/eval time (e.g. an imported CSV)

    def reported(self, indices: np.ndarray) -> np.ndarray:
        """The reported metric (seed mean, last column) of ``indices``, shape ``(n,)``."""
        return np.asarray(self.bench.query_many(
            indices, self.reported_dataset, self.spec.reported.metric, epoch=-1, seed="mean",
            recipe=self.reported_recipe.name,
        ), dtype=np.float64)

    def best_reported(self) -> tuple[int, float]:
        """The arch with the best reported metric in the table and its value."""
        index, value = self.bench.best(self.reported_dataset, self.spec.reported.metric,
                                       recipe=self.reported_recipe.name, epoch=-1)
        return int(index), float(value)

    def proxy(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Proxy scores and compute seconds of ``indices``, each of shape ``(n,)``."""
        assert self.spec.proxy is not None
        name = self.spec.proxy.name
        scores = self.bench.proxy(indices, self.dataset, name, recipe=self.recipe.name)
        seconds = self.bench.proxy_time(indices, self.dataset, name, recipe=self.recipe.name)
        return np.asarray(scores, dtype=np.float64), np.asarray(seconds, dtype=np.float64)


def study_table(spec: StudySpec) -> StudyTable:
    """The :class:`StudyTable` of ``spec`` on its benchmark, cached per process and spec."""
    key = ("table", spec.benchmark, spec.dataset, spec.recipe, spec.objective, spec.reported, spec.proxy)
    if key not in _OPEN:
        _OPEN[key] = StudyTable(open_benchmark(spec.benchmark), spec)
    return _OPEN[key]


def unit_generators(spec: StudySpec, label: str, seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The strategy's and the objective's generators of unit (``label``, ``seed``).

    Both come from ``SeedSequence(spec.seed, spawn_key=...)``: the strategy's from (seed, label), so
    adding a strategy changes no other unit; the objective's from the seed alone (common random
    numbers across strategies).
    """
    label_key = int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "little")
    strategy = np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec.seed, spawn_key=(seed, 1, label_key))))
    objective = np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec.seed, spawn_key=(seed, 0))))
    return strategy, objective


class Simulator:
    """Answers one unit's proposals from the table and keeps its simulated clock.

    Args:
        table: what the study reads.
        rng: the objective generator (seed draws).
        label: strategy label, for error messages.
    """

    def __init__(self, table: StudyTable, rng: np.random.Generator, label: str) -> None:
        self.table = table
        self.rng = rng
        self.label = label
        self.clock = 0.0
        self.mean_seed = table.spec.objective.seed == "mean"
        self._paid: dict[int, int] = {}  # arch -> curve columns paid
        self._curves: dict[int, np.ndarray] = {}  # arch -> objective curve of its run
        self._proxy_paid = np.zeros(space.N_ARCHS, dtype=bool)

    def evaluate(self, proposal: Proposal) -> tuple[Observation, int]:
        """The observation of ``proposal`` and the curve columns it trained to; advances the clock.

        Raises:
            NasbenchLabError: a bad proposal, or an objective the table does not hold.
        """
        arch, epochs = self._check(proposal)
        arch = int(arch)
        curve = self._curves.get(arch)
        if curve is None:
            seed = "mean" if self.mean_seed else self.table.draw_seed(arch, self.rng)
            curve = self._curves[arch] = self.table.curve(arch, seed)
        value = float(curve[epochs - 1])
        if not math.isfinite(value):
            raise NasbenchLabError(
                f"{self.table.spec.objective.metric} of arch {arch} at curve column {epochs} is not recorded in "
                f"{self.table.dataset}/{self.table.recipe.name} (NaN); strategy {self.label!r} cannot observe it: "
                "search a recipe whose curves are complete, or ask for full-fidelity runs"
            )
        paid = self._paid.get(arch, 0)
        cost = 0.0
        if epochs > paid:
            cost = self.table.cost(arch, epochs) - (self.table.cost(arch, paid) if paid else 0.0)
            if math.isnan(cost) and self.table.spec.budget.seconds is not None:
                raise NasbenchLabError(
                    f"the table has no train/eval time for arch {arch} in {self.table.dataset}/{self.table.recipe.name}, "
                    "so a budget in seconds cannot be charged: use budget.queries only, or a table with times"
                )
            self._paid[arch] = epochs
            self.clock += cost  # stays NaN (unknown) once a cost is unknown
        return Observation(value=value, cost=cost, curve=curve[:epochs].copy()), epochs

    def _check(self, proposal: Proposal) -> tuple[int, int]:
        if not isinstance(proposal, Proposal):
            raise NasbenchLabError(f"strategy {self.label!r} asked {proposal!r}, not a Proposal")
        arch = proposal.arch
        if type(arch) is not int and (isinstance(arch, bool) or not isinstance(arch, (int, np.integer))):
            raise NasbenchLabError(f"strategy {self.label!r} proposed arch {arch!r}, not an integer index")
        if not 0 <= arch < space.N_ARCHS:
            raise NasbenchLabError(f"strategy {self.label!r} proposed arch {arch}, outside 0..{space.N_ARCHS - 1}")
        epochs = self.table.n_epochs if proposal.epochs is None else proposal.epochs
        if type(epochs) is not int and (isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer))):
            raise NasbenchLabError(f"strategy {self.label!r} asked for {epochs!r} epochs, not an integer")
        if not 1 <= epochs <= self.table.n_epochs:
            raise NasbenchLabError(
                f"strategy {self.label!r} asked for {proposal.epochs!r} epochs; the recipe has 1..{self.table.n_epochs}"
            )
        return arch, int(epochs)

    def proxy_oracle(self, indices: np.ndarray) -> np.ndarray:
        """Proxy scores of ``indices`` (shape ``(n,)``); charges each arch's compute time once."""
        indices = space.check_indices(indices).reshape(-1)
        scores, seconds = self.table.proxy(indices)
        if self.table.spec.proxy is not None and self.table.spec.proxy.charge:
            new = ~self._proxy_paid[indices]
            _, first = np.unique(indices, return_index=True)
            once = np.zeros(indices.size, dtype=bool)
            once[first] = True
            self.clock += float(np.sum(seconds[new & once]))
            self._proxy_paid[indices] = True
        return scores


def build_strategy(spec: StudySpec, label: str, rng: np.random.Generator, max_epochs: int,
                   proxy_oracle: Any) -> Strategy:
    """The strategy of ``label`` built with its spec parameters.

    Raises:
        ConfigError: the strategy refuses its parameters; the message names the strategy's TOML entry.
    """
    entry = spec.strategy(label)
    cls = strategy_class(entry.name)
    oracle = proxy_oracle if getattr(cls, "uses_proxies", False) and spec.proxy is not None else None
    try:
        return cls(rng, max_epochs=max_epochs, proxy_oracle=oracle, **entry.params)
    except (ConfigError, TypeError, ValueError) as exc:
        raise ConfigError(f"strategies[{spec.labels.index(label)}] ({entry.name}): {exc}") from None


def run_unit(spec: StudySpec, label: str, seed: int) -> UnitResult:
    """Run the search of strategy ``label`` with seed value ``seed`` to the end of its budget.

    Picklable top-level function: process pools and Ray call it in their workers.
    """
    table = study_table(spec)
    strategy_rng, objective_rng = unit_generators(spec, label, seed)
    sim = Simulator(table, objective_rng, label)
    strategy = build_strategy(spec, label, strategy_rng, table.n_epochs, sim.proxy_oracle)
    max_queries = spec.budget.queries or np.iinfo(np.int64).max
    max_seconds = spec.budget.seconds if spec.budget.seconds is not None else np.inf
    archs: list[int] = []
    epochs: list[int] = []
    values: list[float] = []
    clock: list[float] = []
    wall: list[float] = []
    incumbent: list[int] = []
    best_value, best_arch, cached_run = -np.inf, -1, 0
    start = time.perf_counter()
    while len(archs) < max_queries and not sim.clock >= max_seconds:  # a NaN clock has no time budget
        proposal = strategy.ask()
        observation, trained = sim.evaluate(proposal)
        strategy.tell(proposal, observation)
        cached_run = cached_run + 1 if observation.cost == 0 else 0  # NaN cost: not cached
        if cached_run >= MAX_CACHED_IN_A_ROW and spec.budget.queries is None:
            raise NasbenchLabError(f"strategy {label!r} (seed {seed}) re-asked paid archs {cached_run} times in a row; "
                                   "its time budget would never be spent: add budget.queries")
        if observation.value > best_value:
            best_value, best_arch = observation.value, int(proposal.arch)
        archs.append(int(proposal.arch))
        epochs.append(trained)
        values.append(observation.value)
        clock.append(sim.clock)
        wall.append(time.perf_counter() - start)
        incumbent.append(best_arch)
    return UnitResult(
        strategy=label, seed=seed, arch=np.asarray(archs, dtype=np.int64), epochs=np.asarray(epochs, dtype=np.int64),
        objective=np.asarray(values, dtype=np.float64), reported=_reported(table, np.asarray(incumbent, dtype=np.int64)),
        simulated_time=np.asarray(clock, dtype=np.float64), wall_time=np.asarray(wall, dtype=np.float64),
    )


def _reported(table: StudyTable, incumbent: np.ndarray) -> np.ndarray:
    """Reported metric of each step's incumbent (looked up once per distinct arch)."""
    unique, inverse = np.unique(incumbent, return_inverse=True)
    values = table.reported(unique)
    bad = ~np.isfinite(values)
    if bad.any():
        raise NasbenchLabError(
            f"{table.spec.reported.metric} of arch {int(unique[bad][0])} is not in "
            f"{table.reported_dataset}/{table.reported_recipe.name}: the study cannot report it; fill it first"
        )
    return values[inverse]


# --------------------------------------------------------------------------- executors
Unit = tuple[str, int]  # (strategy label, seed value)


def run_units(spec: StudySpec, units: list[Unit], *, workers: int = 1, executor: str = "local",
              address: str | None = None) -> Iterator[UnitResult]:
    """Run ``units`` and yield their results as they finish (in completion order).

    Args:
        spec: the study spec (its benchmark path must be readable by every worker).
        units: the (label, seed) units to run.
        workers: processes (``local``) or CPUs of a local Ray instance (``ray`` without ``address``).
        executor: ``"local"`` (in this process for one worker, else a process pool) or ``"ray"``.
        address: address of an existing Ray cluster (``ray`` only).

    Raises:
        ConfigError: unknown executor, bad ``workers``, or ray asked for but not installed.
    """
    check_executor(workers, executor, address)
    if executor == "local":
        yield from (_run_in_process(spec, units) if workers == 1 else _run_in_pool(spec, units, workers))
    else:
        yield from _run_on_ray(spec, units, workers, address)


def check_executor(workers: int, executor: str, address: str | None) -> None:
    """Check the executor arguments of :func:`run_units`.

    Raises:
        ConfigError: unknown executor, ``workers`` not a positive integer, or ``address`` without ray.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers must be a positive integer, got {workers!r}")
    if executor not in ("local", "ray"):
        raise ConfigError(f"unknown executor {executor!r}; choose local or ray")
    if executor == "local" and address is not None:
        raise ConfigError("--address is for the ray executor; add --executor ray")


def run_unit_task(spec: StudySpec, label: str, seed: int) -> UnitResult:
    """:func:`run_unit` for worker processes: errors come back as a plain, picklable
    :class:`NasbenchLabError` naming the unit (some library errors cannot be rebuilt from their message)."""
    try:
        return run_unit(spec, label, seed)
    except NasbenchLabError as exc:
        raise NasbenchLabError(f"strategy {label!r}, seed {seed}: {exc}") from None


def _run_in_process(spec: StudySpec, units: list[Unit]) -> Iterator[UnitResult]:
    for label, seed in units:
        yield run_unit_task(spec, label, seed)


def _run_in_pool(spec: StudySpec, units: list[Unit], workers: int) -> Iterator[UnitResult]:
    # "spawn": the parent may hold torch threads, which fork does not copy safely.
    context = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        futures = [pool.submit(run_unit_task, spec, label, seed) for label, seed in units]
        for future in concurrent.futures.as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_on_ray(spec: StudySpec, units: list[Unit], workers: int, address: str | None) -> Iterator[UnitResult]:
    try:
        ray = importlib.import_module("ray")
    except ModuleNotFoundError:
        raise ConfigError("the ray executor needs ray: pip install 'nasbench-lab[ray]'") from None
    started = not ray.is_initialized()
    if started:
        if address is None:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_unit_task)
        pending = [remote.remote(spec, label, seed) for label, seed in units]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                result = ray.get(done[0])
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if isinstance(cause, NasbenchLabError):
                    raise NasbenchLabError(str(cause)) from None
                raise
            yield result
    finally:
        if started:
            ray.shutdown()
