"""The NASLib-style predictor evaluation protocol (White et al. 2021), made stricter.

:func:`evaluate` scores predictors on a tabular benchmark. For every trial ``t`` a generator seeded
by ``SeedSequence(seed, spawn_key=(t,))`` shuffles the archs that have the target (and, when curve
predictors take part, finite curves up to the largest fidelity). The first ``test_size`` form the
test set; the training set of size ``n`` is the next ``n`` (so training sets are nested and always
disjoint from the test set). Every predictor sees the same splits.

Per (predictor, train size, fidelity, trial) one row is recorded (see :data:`COLUMNS`):

* ``train_size``: 0 for training-free predictors (``needs_training = False``), which are scored
  once per trial and fidelity since the training set cannot change their predictions.
* ``fidelity``: for curve predictors (``needs_curves``) the number ``k`` of evaluation points seen;
  the curves of train and test archs are truncated to their first ``k`` columns. Empty otherwise.
* ``train_time``: simulated seconds to obtain the predictor's inputs, as NASLib charges them: the
  full training of every training arch (its target needs the whole run), plus, for curve
  predictors, the first ``k`` evaluation points of every test arch (``bench.cost_many(...,
  epochs=k)``), plus, for proxy predictors (``needs_proxies``), the stored compute time of every
  proxy on the train and test archs (``bench.proxy_time``). Training-free predictors pay no training
  part. NaN when the benchmark has no recorded time for some of those archs (an unknown time is not
  taken as zero).
* ``fit_time`` (s) and ``query_time`` (s per test arch): wall-clock, hence the only columns that
  differ between two runs with the same arguments.
* ``kendall_tau``, ``spearman``, ``pearson``, ``mae``, ``rmse``, ``precision_at_10``,
  ``precision_at_20`` (:mod:`~nasbench_lab.predictors.metrics`). ``mae``/``rmse`` are NaN for
  predictors whose output is a score rather than the target (class attribute ``predicts_scores``).
  Correlations of a constant prediction are NaN (undefined), not zero.
* ``status``: ``ok`` or ``failed``; a failed row holds the exception (or "non-finite predictions")
  in ``error`` and NaN scores. Failures are never dropped from the CSV and are counted in the summary.

A predictor with a ``seed`` parameter gets ``SeedSequence(seed, spawn_key=(trial, train_size,
fidelity)).generate_state(1)[0]``; an LCE-like one with ``eval_points=None`` gets the recipe's
evaluation points. Tasks (predictor, trial, train size) may run in worker processes; rows are sorted
by (predictor order, trial, train size, fidelity), so ``workers > 1`` gives the same table as 1.
"""

from __future__ import annotations

import copy
import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from nasbench_lab.benchmark.schema import MAXIMISED
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.predictors import metrics as M
from nasbench_lab.predictors.base import Predictor

log = logging.getLogger(__name__)

DEFAULT_TRAIN_SIZES: tuple[int, ...] = (5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000)
SCORE_COLUMNS: tuple[str, ...] = (
    "kendall_tau", "spearman", "pearson", "mae", "rmse", "precision_at_10", "precision_at_20",
)
TIME_COLUMNS: tuple[str, ...] = ("fit_time", "query_time", "train_time")
COLUMNS: tuple[str, ...] = (
    "predictor", "name", "trial", "train_size", "fidelity", "n_test", "status", "error",
    *SCORE_COLUMNS, *TIME_COLUMNS, "diagnostics",
)
PredictorSpec = str | os.PathLike | Predictor | Callable[[], Predictor]


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
        if fids[-1] > len(points):
            raise ConfigError(f"fidelity {fids[-1]} exceeds the recipe's {len(points)} evaluation points")
        curves = np.asarray(bench.curves_many(every, ds, protocol.metric, recipe=rc, missing="nan"), dtype=np.float64)
        losses = np.asarray(bench.curves_many(every, ds, "train_loss", recipe=rc, missing="nan"), dtype=np.float64)
        seen = slice(0, fids[-1])
        ok &= np.isfinite(curves[:, seen]).all(axis=1) & np.isfinite(losses[:, seen]).all(axis=1)
    archs = every[ok]
    need = protocol.test_size + protocol.train_sizes[-1]
    if archs.size < need:
        raise ConfigError(
            f"only {archs.size} archs of {ds!r} have {protocol.metric}"
            f"{' and curves' if need_curves else ''}; test_size + largest train size = {need}: "
            "lower --train-sizes/--test-size or fill more of the benchmark"
        )
    log.info("%d eligible archs (%d without the target or curves left out)", archs.size, 15625 - archs.size)
    data = EvaluationData(
        archs=archs, y=y_all[ok], maximise=protocol.metric in MAXIMISED, eval_points=points,
        full_cost=np.asarray(bench.cost_many(archs, ds, recipe=rc, missing="nan"), dtype=np.float64), fidelities=fids,
    )
    if need_curves:
        data.curves, data.train_losses = curves[ok], losses[ok]
        data.partial_cost = {
            k: np.asarray(bench.cost_many(archs, ds, epochs=k, recipe=rc, missing="nan"), dtype=np.float64)
            for k in fids
        }
    if need_proxies:
        names = list(bench.proxy_names(ds, rc))
        if names:
            scores = [bench.proxy(archs, ds, name, recipe=rc, missing="nan") for name in names]
            data.proxies = np.column_stack(scores).astype(np.float64)
            times = [bench.proxy_time(archs, ds, name, recipe=rc, missing="nan") for name in names]
            data.proxy_cost = np.sum(times, axis=0, dtype=np.float64)
    return data


# ----------------------------------------------------------------------------- specs
def resolve_predictor(spec: PredictorSpec) -> Predictor:
    """An unfitted predictor from a spec path, a registered name, an instance or a factory.

    Raises:
        ConfigError: unknown name, or a factory that does not return a Predictor.
    """
    if isinstance(spec, Predictor):
        return spec
    if isinstance(spec, (str, os.PathLike)):
        return _from_text(str(spec))
    if callable(spec):
        made = spec()
        if isinstance(made, Predictor):
            return made
    raise ConfigError(f"cannot make a predictor from {spec!r}: give a TOML spec path, a registered name or a Predictor")


def _from_text(spec: str) -> Predictor:
    """A TOML spec path (``*.toml`` or an existing file) or a registered predictor name."""
    from nasbench_lab.predictors.spec import load_predictor, make_predictor

    if spec.endswith(".toml") or os.path.isfile(spec):
        return load_predictor(spec)
    return make_predictor(spec)


def _task_seed(seed: int, *key: int) -> int:
    return int(np.random.SeedSequence(seed, spawn_key=key).generate_state(1)[0])


def split(data: EvaluationData, protocol: Protocol, trial: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (into ``data.archs``) of the test set and of the training pool of ``trial``.

    Returns:
        ``(test, pool)``: shapes ``(test_size,)`` and ``(largest train size,)``, disjoint.
    """
    rng = np.random.default_rng(np.random.SeedSequence(protocol.seed, spawn_key=(trial,)))
    order = rng.permutation(data.archs.size)
    return order[: protocol.test_size], order[protocol.test_size : protocol.test_size + protocol.train_sizes[-1]]


# ----------------------------------------------------------------------------- one task
def _instance(prototype: Predictor, data: EvaluationData, seed: int) -> Predictor:
    predictor = copy.deepcopy(prototype)
    if "seed" in predictor.get_params():
        predictor.seed = seed
    if getattr(predictor, "eval_points", False) is None:
        predictor.eval_points = data.eval_points
    return predictor


def _inputs(predictor: Predictor, data: EvaluationData, pos: np.ndarray, k: int | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if predictor.needs_curves and k is not None:
        kwargs["curves"] = data.curves[pos, :k]
        kwargs["train_losses"] = data.train_losses[pos, :k]
    if predictor.needs_proxies:
        kwargs["proxies"] = None if data.proxies is None else data.proxies[pos]
    return kwargs


def _scores(y_true: np.ndarray, y_pred: np.ndarray, maximise: bool, scores_only: bool) -> dict[str, float]:
    nan = float("nan")
    return {
        "kendall_tau": M.kendall_tau(y_true, y_pred),
        "spearman": M.spearman(y_true, y_pred),
        "pearson": M.pearson(y_true, y_pred),
        "mae": nan if scores_only else M.mae(y_true, y_pred),
        "rmse": nan if scores_only else M.rmse(y_true, y_pred),
        "precision_at_10": M.precision_at_k(y_true, y_pred, 10, maximise=maximise),
        "precision_at_20": M.precision_at_k(y_true, y_pred, 20, maximise=maximise),
    }


def _diagnostics(predictor: Predictor) -> str:
    """Integer counters a predictor exposes (``n_failed_fits_``, ...), as ``key=value;...``."""
    items = sorted((k, v) for k, v in vars(predictor).items() if k.startswith("n_") and k.endswith("_"))
    return ";".join(f"{k.rstrip('_')}={v}" for k, v in items if isinstance(v, (int, np.integer)))


def _score_one(
    prototype: Predictor, data: EvaluationData, train: np.ndarray, test: np.ndarray, k: int | None, seed: int
) -> tuple[dict[str, Any], np.ndarray | None]:
    """Fit and score one predictor on one split at one fidelity: (row fields, test predictions)."""
    predictor = _instance(prototype, data, seed)
    row: dict[str, Any] = {"status": "ok", "error": "", **dict.fromkeys(SCORE_COLUMNS, float("nan"))}
    start = time.perf_counter()
    try:
        predictor.fit(data.archs[train], data.y[train], **_inputs(predictor, data, train, k))
        row["fit_time"] = time.perf_counter() - start
        start = time.perf_counter()
        y_pred = np.asarray(predictor.predict(data.archs[test], **_inputs(predictor, data, test, k)), dtype=np.float64)
        row["query_time"] = (time.perf_counter() - start) / test.size
        if y_pred.shape != (test.size,):
            raise NasbenchLabError(f"predict returned shape {y_pred.shape}, expected ({test.size},)")
        bad = int(np.count_nonzero(~np.isfinite(y_pred)))
        if bad:
            raise NasbenchLabError(f"predict returned {bad} non-finite values")
    except Exception as exc:  # noqa: BLE001 - any predictor failure is recorded, never dropped
        log.warning("%s failed (k=%s, n=%d): %s", type(predictor).__name__, k, train.size, exc)
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        row.setdefault("fit_time", float("nan"))
        row.setdefault("query_time", float("nan"))
        return row, None
    row.update(_scores(data.y[test], y_pred, data.maximise, getattr(predictor, "predicts_scores", False)))
    row["diagnostics"] = _diagnostics(predictor)
    return row, y_pred


def run_task(
    data: EvaluationData, protocol: Protocol, label: str, prototype: Predictor, trial: int, train_size: int
) -> tuple[list[dict[str, Any]], dict[tuple, tuple[np.ndarray, np.ndarray]]]:
    """All fidelities of one (predictor, trial, train size); ``train_size`` 0 means training-free.

    Returns:
        ``(rows, predictions)``; predictions (``(y_true, y_pred)`` per ``(label, train_size,
        fidelity)``) are kept for trial 0 only, for the scatter plots.
    """
    test, pool = split(data, protocol, trial)
    train = pool[:train_size]
    fids: Sequence[int | None] = data.fidelities if prototype.needs_curves else (None,)
    rows, predictions = [], {}
    for k in fids:
        seed = _task_seed(protocol.seed, trial, train_size, k or 0)
        fields, y_pred = _score_one(prototype, data, train, test, k, seed)
        sim = float(data.full_cost[train].sum())
        if k is not None:
            sim += float(data.partial_cost[k][test].sum())
        if prototype.needs_proxies and data.proxy_cost is not None:
            sim += float(data.proxy_cost[train].sum() + data.proxy_cost[test].sum())
        rows.append({
            "predictor": label, "name": getattr(prototype, "registry_name", type(prototype).__name__),
            "trial": trial, "train_size": train_size, "fidelity": k, "n_test": int(test.size),
            "train_time": sim, "diagnostics": "", **fields,
        })
        if trial == 0 and y_pred is not None:
            predictions[(label, train_size, k)] = (data.y[test], y_pred)
    return rows, predictions


# ----------------------------------------------------------------------------- workers
_WORKER: dict[str, Any] = {}


def _init_worker(data: EvaluationData, protocol: Protocol, prototypes: dict[str, Predictor]) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # for libraries imported from here on
    torch = sys.modules.get("torch")
    if torch is not None:  # one thread per worker process; don't import torch just for this
        torch.set_num_threads(1)
    _WORKER.update(data=data, protocol=protocol, prototypes=prototypes)


def _worker_task(label: str, trial: int, train_size: int):
    return run_task(_WORKER["data"], _WORKER["protocol"], label, _WORKER["prototypes"][label], trial, train_size)


# ----------------------------------------------------------------------------- the protocol
@dataclass
class EvaluationResult:
    """Rows of one evaluation plus the trial-0 predictions for scatter plots.

    Attributes:
        rows: one dict per (predictor, train size, fidelity, trial), keys :data:`COLUMNS`.
        predictions: ``(label, train_size, fidelity)`` -> ``(y_true, y_pred)`` of trial 0.
        protocol: the settings.
        labels: predictor labels in the order given.
    """

    rows: list[dict[str, Any]]
    predictions: dict[tuple, tuple[np.ndarray, np.ndarray]]
    protocol: Protocol
    labels: list[str]

    def summary(self) -> list[dict[str, Any]]:
        """Per (predictor, train size, fidelity): trial counts, errors, and mean/std/se of each score.

        Statistics are over the ``ok`` trials; ``std`` uses ``ddof=1`` and is NaN with one trial; a
        score that is NaN in any ok trial (e.g. a constant prediction's correlation) has a NaN mean.
        """
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for row in self.rows:
            groups.setdefault((row["predictor"], row["train_size"], row["fidelity"]), []).append(row)
        out = []
        for (label, size, k), rows in groups.items():
            ok = [r for r in rows if r["status"] == "ok"]
            entry: dict[str, Any] = {
                "predictor": label, "name": rows[0]["name"], "train_size": size, "fidelity": k,
                "trials": len(rows), "failed": len(rows) - len(ok),
                "errors": sorted({r["error"] for r in rows if r["error"]}),
            }
            for col in (*SCORE_COLUMNS, *TIME_COLUMNS):
                values = np.array([r[col] for r in ok], dtype=np.float64)
                entry[col] = _stats(values)
            out.append(entry)
        return out

    def write_csv(self, path: str | os.PathLike) -> None:
        """All rows, columns :data:`COLUMNS`; NaN written as ``nan``, a missing fidelity as empty."""
        import csv

        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: "" if row[k] is None else row[k] for k in COLUMNS})

    def write_summary(self, path: str | os.PathLike) -> None:
        """The settings and :meth:`summary` as JSON (NaN written as ``null``)."""
        import dataclasses
        import json

        doc = {"protocol": dataclasses.asdict(self.protocol), "predictors": self.labels, "summary": self.summary()}
        with open(path, "w") as fh:
            json.dump(_json_safe(doc), fh, indent=1)

    def table(self) -> list[dict[str, Any]]:
        """:meth:`summary` flattened to one row per (predictor, train size, fidelity): ``<score>_mean``,
        ``<score>_se`` for every score and the mean of each time column."""
        out = []
        for entry in self.summary():
            row = {k: entry[k] for k in ("predictor", "train_size", "fidelity", "trials", "failed")}
            for col in SCORE_COLUMNS:
                row[f"{col}_mean"], row[f"{col}_se"] = entry[col]["mean"], entry[col]["se"]
            row.update({f"{col}_mean": entry[col]["mean"] for col in TIME_COLUMNS})
            out.append(row)
        return out

    def write_table(self, path: str | os.PathLike) -> None:
        """:meth:`table` as CSV."""
        import csv

        rows = self.table()
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _stats(values: np.ndarray) -> dict[str, float]:
    n = values.size
    if n == 0:
        return {"mean": float("nan"), "std": float("nan"), "se": float("nan")}
    std = float(np.std(values, ddof=1)) if n > 1 else float("nan")
    return {"mean": float(np.mean(values)), "std": std, "se": std / np.sqrt(n)}


def _grid(prototypes: Mapping[str, Predictor], protocol: Protocol) -> list[tuple[str, int, int]]:
    tasks = []
    for label, proto in prototypes.items():
        sizes: Iterable[int] = protocol.train_sizes if proto.needs_training else (0,)
        tasks += [(label, trial, size) for trial in range(protocol.trials) for size in sizes]
    return tasks


def evaluate(
    predictors: Mapping[str, PredictorSpec],
    bench: Any,
    dataset: str,
    recipe: str | None = None,
    metric: str = "valid_acc",
    train_sizes: Sequence[int] = DEFAULT_TRAIN_SIZES,
    test_size: int = 200,
    trials: int = 20,
    fidelities: Sequence[int] | None = None,
    seed: int = 0,
    workers: int = 1,
    progress: bool = True,
    mp_context: str = "spawn",
) -> EvaluationResult:
    """Score predictors on random train/test splits of a benchmark (see the module docstring).

    Args:
        predictors: label -> TOML spec path, registered name, unfitted Predictor, or factory.
        bench: an open Benchmark.
        dataset, recipe, metric: what to predict (the metric at the recipe's last evaluation point).
        train_sizes: training-set sizes, increasing.
        test_size: archs per test set.
        trials: independent random splits.
        fidelities: evaluation points shown to curve predictors (``None``: about 5/10/25/50 %).
        seed: root seed.
        workers: processes; ``> 1`` runs tasks in a ProcessPoolExecutor (same rows as 1).
        progress: show a tqdm bar over the (predictor, trial, train size) grid.
        mp_context: ``"spawn"`` or ``"fork"`` start method of the worker processes.

    Returns:
        The rows, trial-0 predictions and settings.

    Raises:
        ConfigError: invalid settings, unknown predictors, too few archs with the target.
    """
    if not predictors:
        raise ConfigError("give at least one predictor to evaluate")
    protocol = Protocol(dataset, recipe, metric, tuple(train_sizes), test_size, trials,
                        None if fidelities is None else tuple(fidelities), seed)
    prototypes = {label: resolve_predictor(spec) for label, spec in predictors.items()}
    data = load_data(
        bench, protocol,
        need_curves=any(p.needs_curves for p in prototypes.values()),
        need_proxies=any(p.needs_proxies for p in prototypes.values()),
    )
    tasks = _grid(prototypes, protocol)
    results = _run_all(tasks, data, protocol, prototypes, workers, progress, mp_context)
    order = {label: i for i, label in enumerate(prototypes)}
    rows, predictions = [], {}
    for task_rows, task_predictions in results:
        rows += task_rows
        predictions.update(task_predictions)
    rows.sort(key=lambda r: (order[r["predictor"]], r["trial"], r["train_size"], r["fidelity"] or 0))
    failed = sum(r["status"] == "failed" for r in rows)
    if failed:
        log.warning("%d of %d evaluations failed; see the 'error' column", failed, len(rows))
    return EvaluationResult(rows, predictions, protocol, list(prototypes))


def _run_all(tasks, data, protocol, prototypes, workers, progress, mp_context) -> list:
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc="predictor evaluation", unit="task", disable=not progress)
    results = []
    try:
        if workers <= 1:
            for label, trial, size in tasks:
                bar.set_postfix_str(f"{label} trial={trial} n={size}", refresh=False)
                results.append(run_task(data, protocol, label, prototypes[label], trial, size))
                bar.update()
            return results
        ctx = multiprocessing.get_context(mp_context)
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(data, protocol, prototypes)) as pool:
            futures = [pool.submit(_worker_task, *task) for task in tasks]
            for future in as_completed(futures):
                results.append(future.result())
                bar.update()
        return results
    finally:
        bar.close()
