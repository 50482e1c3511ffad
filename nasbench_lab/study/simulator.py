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
* **Directions.** Strategies see ``sign * value``: a minimised objective (a loss) is negated, so
  larger is always better for them; the trajectory records the metric as measured.
* **Objectives.** With ``[[objectives]]`` every query is a full-fidelity run of one drawn seed;
  multi-objective strategies are told the oriented objective vector and the constraint slacks, and the
  reported value is the hypervolume of the feasible archs queried so far (seed means); with
  ``[scalarise]`` strategies see the weighted sum and the incumbent's weighted sum is reported.
* **Budget.** A query is made while fewer than ``budget.queries`` were made and the clock is below
  ``budget.seconds``; the query that crosses the time limit counts in full (NB201's protocol).
"""

from __future__ import annotations

import hashlib
import math
import time

import numpy as np

from nasbench_lab import space
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.search.base import Observation, Proposal, ProxyOracle, Strategy
from nasbench_lab.search.multiobjective.base import VectorObservation
from nasbench_lab.study.mo_spec import MultiObjectiveSpec
from nasbench_lab.study.mo_table import objective_columns
from nasbench_lab.study.results import UnitResult
from nasbench_lab.study.spec import StudySpec, strategy_class
from nasbench_lab.study.table import StudyTable, study_table

# A strategy that only re-asks paid archs would never spend a time budget: stop it with an error.
MAX_CACHED_IN_A_ROW = 10_000


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

    def __init__(self, table: StudyTable, rng: np.random.Generator, label: str,
                 multi: MultiObjectiveSpec | None = None) -> None:
        self.table = table
        self.rng = rng
        self.label = label
        self.clock = 0.0
        self.mean_seed = table.spec.objective.seed == "mean"
        self._paid: dict[int, int] = {}  # arch -> curve columns paid
        self._curves: dict[int, np.ndarray] = {}  # arch -> objective curve of its run
        self._seeds: dict[int, int | str] = {}  # arch -> seed of its run ([[objectives]] studies)
        self._proxy_paid = np.zeros(space.N_ARCHS, dtype=bool)
        self.sign = table.spec.objective.sign  # strategies see sign * value: larger is always better
        self.multi = multi
        self.columns = objective_columns(table, multi) if multi is not None else None

    def evaluate(self, proposal: Proposal) -> tuple[Observation, int]:
        """The observation of ``proposal`` and the curve columns it trained to; advances the clock.

        Raises:
            NasbenchLabError: a bad proposal, or an objective the table does not hold.
        """
        arch, epochs = self._check(proposal)
        arch = int(arch)
        if self.columns is not None:
            return self._evaluate_objectives(arch, epochs), epochs
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
        cost = self._charge(arch, epochs)
        return Observation(value=self.sign * value, cost=cost, curve=self.sign * curve[:epochs]), epochs

    def _evaluate_objectives(self, arch: int, epochs: int) -> Observation:
        """The observation of a study with ``[[objectives]]``: a vector (multi-objective) or a weighted sum."""
        assert self.columns is not None and self.multi is not None
        if epochs != self.table.n_epochs:
            raise NasbenchLabError(f"strategy {self.label!r} asked for {epochs} of {self.table.n_epochs} curve columns: "
                                   "studies with [[objectives]] evaluate full-fidelity runs only")
        seed = self._seeds.get(arch)
        if seed is None:
            seed = self._seeds[arch] = "mean" if self.mean_seed else self.table.draw_seed(arch, self.rng)
        raw, slack = self.columns.observe(arch, seed)
        oriented = raw * self.columns.signs
        cost = self._charge(arch, epochs)
        scal = self.multi.scalarisation
        if scal is not None:
            value = float(scal.apply(oriented))
            return Observation(value=value, cost=cost, curve=np.array([value]))
        return VectorObservation.of(oriented, cost, slack=slack)

    def _charge(self, arch: int, epochs: int) -> float:
        """Advance the clock by what training ``arch`` to ``epochs`` columns costs beyond what it paid."""
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
        return cost

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
                   proxy_oracle: ProxyOracle | None) -> Strategy:
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


def refuse_missing_fidelities(spec: StudySpec, table: StudyTable) -> None:
    """Refuse multi-fidelity strategies when the objective has no values before the last curve column.

    A table imported from final accuracies (e.g. a CSV at epoch 200) has a curve of many columns of
    which only the last is recorded; successive halving would fail at its first short run.

    Raises:
        ConfigError: naming the strategy's TOML entry and what to do instead.
    """
    picky = [i for i, entry in enumerate(spec.strategies) if strategy_class(entry.name).multi_fidelity]
    if not picky or table.n_epochs == 1:
        return
    metric = spec.objective.metric
    curves = table.bench.curves_many(np.arange(space.N_ARCHS), table.dataset, metric, seed="mean",
                                     recipe=table.recipe.name, missing="nan")
    trained = ~np.isnan(curves[:, -1])
    partial = trained & np.isnan(curves[:, :-1]).any(axis=1)
    if partial.any():
        i = picky[0]
        raise ConfigError(
            f"strategies[{i}] ({spec.strategies[i].name}) trains archs for fewer epochs, but {metric} of "
            f"{table.dataset}/{table.recipe.name} is missing before the last of its {table.n_epochs} curve columns "
            f"for {int(partial.sum())} of {int(trained.sum())} trained archs: use a full-fidelity strategy or a "
            "benchmark with whole learning curves")


def run_unit(spec: StudySpec, label: str, seed: int) -> UnitResult:
    """Run the search of strategy ``label`` with seed value ``seed`` to the end of its budget.

    Picklable top-level function: process pools and Ray call it in their workers.
    """
    table = study_table(spec)
    strategy_rng, objective_rng = unit_generators(spec, label, seed)
    sim = Simulator(table, objective_rng, label, spec.multi)
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
        values.append(_recorded(sim, observation))
        clock.append(sim.clock)
        wall.append(time.perf_counter() - start)
        incumbent.append(best_arch)
    incumbents = np.asarray(incumbent, dtype=np.int64)
    return UnitResult(
        strategy=label, seed=seed, arch=np.asarray(archs, dtype=np.int64), epochs=np.asarray(epochs, dtype=np.int64),
        objective=np.asarray(values, dtype=np.float64),
        reported=_reported(table, spec.multi, incumbents, np.asarray(archs, dtype=np.int64)),
        simulated_time=np.asarray(clock, dtype=np.float64), wall_time=np.asarray(wall, dtype=np.float64),
        incumbent=incumbents,
    )


def _recorded(sim: Simulator, observation: Observation) -> float:
    """The trajectory's ``objective``: the metric as measured (un-negated), the first objective of a
    multi-objective study, or the weighted sum of a scalarised one."""
    if isinstance(observation, VectorObservation):
        assert sim.columns is not None
        return float(observation.values[0] * sim.columns.signs[0])
    return observation.value if sim.columns is not None else sim.sign * observation.value


def _reported(table: StudyTable, multi: MultiObjectiveSpec | None, incumbent: np.ndarray,
              archs: np.ndarray) -> np.ndarray:
    """Reported metric of each step's incumbent (looked up once per distinct arch); with ``[[objectives]]``,
    the hypervolume of the archs queried so far (multi-objective) or the incumbent's weighted sum."""
    if multi is not None:
        columns = objective_columns(table, multi)
        if multi.multi_objective:
            return columns.hypervolume_trace(archs, columns.reference_point())
        return columns.scalar(incumbent)
    unique, inverse = np.unique(incumbent, return_inverse=True)
    values = table.reported(unique)
    bad = ~np.isfinite(values)
    if bad.any():
        raise NasbenchLabError(
            f"{table.spec.reported.metric} of arch {int(unique[bad][0])} is not in "
            f"{table.reported_dataset}/{table.reported_recipe.name}: the study cannot report it; fill it first"
        )
    return values[inverse]
