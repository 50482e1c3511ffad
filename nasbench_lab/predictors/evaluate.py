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
* ``n_test``, ``n_dropped``: test archs scored, and archs of the training and test sets left out because
  the predictor cannot use their inputs (:meth:`Predictor.usable`, e.g. a NaN zero-cost score: NaN is
  never replaced by a value). The simulated ``train_time`` still charges the whole split.
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
evaluation points. Tasks (predictor, trial, train size) may run on an executor of
:mod:`nasbench_lab.execution` (worker processes, Ray); rows are sorted
by (predictor order, trial, train size, fidelity), so ``workers > 1`` gives the same table as 1.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.execution import Executor, make_executor, run_all
from nasbench_lab.predictors import metrics as M
from nasbench_lab.predictors.base import Predictor, clone
from nasbench_lab.predictors.protocol import (
    DEFAULT_TRAIN_SIZES,
    EvaluationData,
    Protocol,
    default_fidelities,
    load_data,
    split,
)
from nasbench_lab.predictors.results import COLUMNS, SCORE_COLUMNS, TIME_COLUMNS, EvaluationResult

__all__ = [
    "COLUMNS", "DEFAULT_TRAIN_SIZES", "SCORE_COLUMNS", "TIME_COLUMNS", "EvaluationData", "EvaluationResult",
    "PredictorSpec", "Protocol", "default_fidelities", "evaluate", "load_data", "resolve_predictor", "run_task",
    "split",
]

log = logging.getLogger(__name__)

PredictorSpec = str | os.PathLike | Predictor | Callable[[], Predictor]


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

# ----------------------------------------------------------------------------- one task
def _instance(prototype: Predictor, data: EvaluationData, seed: int) -> Predictor:
    """An unfitted copy of ``prototype`` with the task's seed and, if it asks for them, the recipe's points."""
    predictor = clone(prototype)
    params = predictor.get_params()
    if "seed" in params:
        predictor.set_params(seed=seed)
    if "eval_points" in params and params["eval_points"] is None:
        predictor.set_params(eval_points=data.eval_points)
    return predictor


def _inputs(predictor: Predictor, data: EvaluationData, pos: np.ndarray, k: int | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if predictor.needs_curves and k is not None:
        assert data.curves is not None and data.train_losses is not None  # loaded when a curve predictor takes part
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


def _drop_unusable(predictor: Predictor, data: EvaluationData, pos: np.ndarray, k: int | None) -> np.ndarray:
    """The positions of ``pos`` whose inputs ``predictor`` can use (see :meth:`Predictor.usable`)."""
    if pos.size == 0:
        return pos
    return pos[predictor.usable(data.archs[pos], **_inputs(predictor, data, pos, k))]


def _score_one(
    prototype: Predictor, data: EvaluationData, train: np.ndarray, test: np.ndarray, k: int | None, seed: int
) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray]:
    """Fit and score one predictor on one split at one fidelity: (row fields, test predictions, test positions).

    Archs the predictor cannot use (e.g. a NaN proxy score) are left out of both sets and counted in
    ``n_dropped``; the test positions returned are the ones scored.
    """
    predictor = _instance(prototype, data, seed)
    row: dict[str, Any] = {"status": "ok", "error": "", **dict.fromkeys(SCORE_COLUMNS, float("nan"))}
    start = time.perf_counter()
    try:
        kept_train, kept_test = _drop_unusable(predictor, data, train, k), _drop_unusable(predictor, data, test, k)
        row["n_dropped"] = int(train.size - kept_train.size + test.size - kept_test.size)
        row["n_test"] = int(kept_test.size)
        train, test = kept_train, kept_test
        if test.size < 2:
            raise NasbenchLabError(f"only {test.size} test archs have inputs this predictor can use")
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
    except Exception as exc:
        log.warning("%s failed (k=%s, n=%d): %s", type(predictor).__name__, k, train.size, exc)
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        row.setdefault("fit_time", float("nan"))
        row.setdefault("query_time", float("nan"))
        row.setdefault("n_dropped", 0)
        row.setdefault("n_test", int(test.size))
        return row, None, test
    row.update(_scores(data.y[test], y_pred, data.maximise, getattr(predictor, "predicts_scores", False)))
    row["diagnostics"] = _diagnostics(predictor)
    return row, y_pred, test


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
        fields, y_pred, scored = _score_one(prototype, data, train, test, k, seed)
        sim = float(data.full_cost[train].sum())
        if k is not None:
            sim += float(data.partial_cost[k][test].sum())
        if prototype.needs_proxies and data.proxy_cost is not None:
            sim += float(data.proxy_cost[train].sum() + data.proxy_cost[test].sum())
        rows.append({
            "predictor": label, "name": getattr(prototype, "registry_name", type(prototype).__name__),
            "trial": trial, "train_size": train_size, "fidelity": k, "train_time": sim, "diagnostics": "", **fields,
        })
        if trial == 0 and y_pred is not None:
            predictions[(label, train_size, k)] = (data.y[scored], y_pred)
    return rows, predictions


# ----------------------------------------------------------------------------- workers
Task = tuple[str, int, int]  # (predictor label, trial, train size)
TaskOutput = tuple[list[dict[str, Any]], dict[tuple, tuple[np.ndarray, np.ndarray]]]


@dataclass(frozen=True)
class EvaluationWork:
    """What an executor runs for each :data:`Task`: :func:`run_task` on the shared data.

    Attributes:
        data: the benchmark columns the protocol reads.
        protocol: the settings.
        prototypes: label -> unfitted predictor.
    """

    data: EvaluationData
    protocol: Protocol
    prototypes: Mapping[str, Predictor]

    def __call__(self, task: Task) -> TaskOutput:
        """Rows and trial-0 predictions of one (label, trial, train size)."""
        label, trial, train_size = task
        return run_task(self.data, self.protocol, label, self.prototypes[label], trial, train_size)


# ----------------------------------------------------------------------------- the protocol
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
    executor: str = "local",
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
        workers: processes (same rows for any number); 1 runs in this process.
        progress: show a tqdm bar over the (predictor, trial, train size) grid.
        executor: where tasks run (``local``, ``ray``, ``inline``; see :mod:`nasbench_lab.execution`).

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
    runner = make_executor(executor, workers=workers, isolate=False)
    results = _run_all(_grid(prototypes, protocol), EvaluationWork(data, protocol, prototypes), runner, progress)
    rows, predictions = _merge(results, list(prototypes))
    return EvaluationResult(rows, predictions, protocol, list(prototypes))


def _merge(
    results: Iterable[tuple[list[dict[str, Any]], dict[tuple, tuple[np.ndarray, np.ndarray]]]], labels: list[str]
) -> tuple[list[dict[str, Any]], dict[tuple, tuple[np.ndarray, np.ndarray]]]:
    """The tasks' rows in a fixed order (predictor order of ``labels``, trial, train size, fidelity),
    whatever order the tasks finished in, and their predictions; logs how many rows failed."""
    order = {label: i for i, label in enumerate(labels)}
    rows, predictions = [], {}
    for task_rows, task_predictions in results:
        rows += task_rows
        predictions.update(task_predictions)
    rows.sort(key=lambda r: (order[r["predictor"]], r["trial"], r["train_size"], r["fidelity"] or 0))
    failed = sum(r["status"] == "failed" for r in rows)
    if failed:
        log.warning("%d of %d evaluations failed; see the 'error' column", failed, len(rows))
    return rows, predictions


def _run_all(tasks: list[Task], work: EvaluationWork, runner: Executor[Task, TaskOutput],
             progress: bool) -> list[TaskOutput]:
    """Every task's output, in completion order (a crashed task is an error naming it)."""
    from tqdm.auto import tqdm

    results = []
    with tqdm(total=len(tasks), desc="predictor evaluation", unit="task", disable=not progress) as bar:
        for outcome in run_all(runner, work, tasks):
            label, trial, size = outcome.item
            results.append(outcome.unwrap(f"evaluating {label} (trial {trial}, {size} training archs)"))
            bar.update()
    return results
