"""``nasbench-lab predictors evaluate|compare``: run the evaluation protocol from the command line.

``evaluate`` writes ``results.csv`` (one row per predictor, train size, fidelity and trial),
``summary.json`` (mean/std/s.e. over trials) and, per predictor, ``<label>/kendall_tau.png|pdf``
(score vs training archs and vs simulated time) and ``<label>/scatter.png|pdf``. ``compare`` writes
the same CSV and JSON, plus ``comparison.csv`` (one table), ``comparison.png|pdf`` (every predictor in
one figure) and ``scatter.png|pdf``, and prints the table's Kendall tau column.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from nasbench_lab.execution import EXECUTORS

log = logging.getLogger(__name__)

_SPEC_HELP = (
    "predictor specs: TOML files (e.g. predictors/lce.toml) or registered predictor names (e.g. lce); "
    "results are labelled by the file stem or the name"
)


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.replace(",", " ").split())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None


# Defaults of `evaluate`: the NASLib protocol's own grid (hours for the slow predictors).
EVALUATE_DEFAULTS: dict[str, Any] = {
    "train_sizes": (5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000), "test_size": 200, "trials": 20, "workers": 1,
}
# Defaults of `compare`: one train size, two trials, so that every spec in predictors/ runs in about a
# minute on the embedded benchmark with 2 cores (docs/predictors.md has the measurement).
COMPARE_DEFAULTS: dict[str, Any] = {"train_sizes": (100,), "test_size": 100, "trials": 2, "workers": 2}


def _add_protocol_arguments(parser: argparse.ArgumentParser, defaults: dict[str, Any]) -> None:
    sizes = ",".join(str(n) for n in defaults["train_sizes"])
    parser.add_argument("specs", nargs="+", metavar="SPEC", help=_SPEC_HELP)
    parser.add_argument("--bench", required=True, type=Path, help="benchmark file (HDF5)")
    parser.add_argument("--dataset", required=True, help="dataset key in the benchmark, e.g. cifar10-valid")
    parser.add_argument("--recipe", default=None, help="recipe name (default: the dataset's only recipe)")
    parser.add_argument("--metric", default="valid_acc", help="target metric at the last evaluation point (default: valid_acc)")
    parser.add_argument("--train-sizes", type=_int_list, default=defaults["train_sizes"],
                        help=f"comma-separated training-set sizes (default: {sizes})")
    parser.add_argument("--test-size", type=int, default=defaults["test_size"],
                        help=f"test archs per trial (default: {defaults['test_size']}, at least 20)")
    parser.add_argument("--trials", type=int, default=defaults["trials"],
                        help=f"random train/test splits (default: {defaults['trials']})")
    parser.add_argument(
        "--fidelities", type=_int_list, default=None,
        help="evaluation points shown to learning-curve predictors, comma-separated "
        "(default: about 5,10,25,50 %% of the recipe's points)",
    )
    parser.add_argument("--seed", type=int, default=0, help="root seed of the splits and predictors (default: 0)")
    parser.add_argument("--workers", type=int, default=defaults["workers"],
                        help=f"processes running tasks in parallel, one thread each (default: {defaults['workers']})")
    parser.add_argument("--executor", choices=EXECUTORS.names(), default="local",
                        help="where tasks run (default local; 1 worker: in this process)")
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if absent)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def register(subparsers: Any) -> None:
    """Add the ``predictors`` command group to the top-level parser."""
    group = subparsers.add_parser(
        "predictors", help="evaluate performance predictors against a benchmark",
        description="Evaluate performance predictors with the NASLib-style protocol: random disjoint "
        "train/test splits per trial, a fidelity sweep for learning-curve predictors, rank and error "
        "scores, fit/query time and simulated training time.",
    )
    sub = group.add_subparsers(dest="predictors_command", metavar="ACTION", required=True)
    evaluate = sub.add_parser(
        "evaluate", help="score predictors; CSV, JSON summary and per-predictor plots",
        description="Score each SPEC on the same splits, print the Kendall tau table and write OUT/results.csv, "
        "OUT/summary.json and OUT/<label>/kendall_tau.png|pdf and OUT/<label>/scatter.png|pdf. The defaults are "
        "the NASLib grid (11 train sizes x 20 trials): hours for the neural predictors (bananas, gcn, gin); "
        "`compare` has quick defaults.",
    )
    _add_protocol_arguments(evaluate, EVALUATE_DEFAULTS)
    evaluate.set_defaults(func=_run_evaluate)
    compare = sub.add_parser(
        "compare", help="score several predictors into one table and one plot",
        description="Score every SPEC on the same splits, print the Kendall tau table and write OUT/results.csv, "
        "OUT/summary.json, OUT/comparison.csv, OUT/comparison.png|pdf and OUT/scatter.png|pdf. The defaults "
        "(100 training archs, 2 trials, 100 test archs, 2 workers) make `compare predictors/*.toml` on the "
        "embedded benchmark take about a minute on 2 idle cores (the neural ensembles bananas, gcn and gin "
        "are most of it); pass --train-sizes and --trials for the full protocol.",
    )
    _add_protocol_arguments(compare, COMPARE_DEFAULTS)
    compare.set_defaults(func=_run_compare)


def _labels(specs: list[str]) -> dict[str, str]:
    """Label -> spec; the label is the file stem or the name, made unique with ``#2``, ``#3``..."""
    out: dict[str, str] = {}
    for spec in specs:
        base = Path(spec).stem if spec.endswith(".toml") else spec
        label, n = base, 1
        while label in out:
            n += 1
            label = f"{base}#{n}"
        out[label] = spec
    return out


def _run(args: argparse.Namespace):
    from nasbench_lab.benchmark.store import Benchmark
    from nasbench_lab.predictors.evaluate import evaluate

    args.out.mkdir(parents=True, exist_ok=True)
    with Benchmark.open(args.bench) as bench:
        result = evaluate(
            _labels(args.specs), bench, args.dataset, recipe=args.recipe, metric=args.metric,
            train_sizes=args.train_sizes, test_size=args.test_size, trials=args.trials,
            fidelities=args.fidelities, seed=args.seed, workers=args.workers, progress=not args.no_progress,
            executor=args.executor,
        )
    result.write_csv(args.out / "results.csv")
    result.write_summary(args.out / "summary.json")
    return result


def _report_failures(result) -> None:
    failed = sum(r["status"] == "failed" for r in result.rows)
    if failed:
        log.warning("%d of %d evaluations failed: see the status/error columns of results.csv", failed, len(result.rows))


def _run_evaluate(args: argparse.Namespace) -> int:
    from nasbench_lab.predictors.plots import write_evaluation_plots

    result = _run(args)
    write_evaluation_plots(result, args.out)
    _report_failures(result)
    print(result.format_table())
    print(f"wrote {args.out}/results.csv, summary.json and plots for {len(result.labels)} predictor(s)")
    return 0


def _run_compare(args: argparse.Namespace) -> int:
    from nasbench_lab.predictors.plots import write_comparison_plots

    result = _run(args)
    result.write_table(args.out / "comparison.csv")
    write_comparison_plots(result, args.out)
    _report_failures(result)
    print(result.format_table())
    print(f"wrote {args.out}/results.csv, summary.json, comparison.csv, comparison.png|pdf, scatter.png|pdf")
    return 0
