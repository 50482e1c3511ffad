"""``nasbench-lab proxies compute`` and ``nasbench-lab proxies evaluate``."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.execution import EXECUTORS


def _archs(text: str) -> np.ndarray | None:
    """``all`` -> None; ``N`` (with ``--sample-seed``) handled by the caller; ``i,j,k`` -> indices."""
    if text == "all":
        return None
    try:
        return np.array([int(t) for t in text.split(",") if t.strip()], dtype=np.int64)
    except ValueError:
        raise ConfigError(f"--archs takes 'all', a count, or comma-separated indices, got {text!r}") from None


def _bench(args: argparse.Namespace) -> Path:
    from nasbench_lab.benchmark.store import default_benchmark_path

    return Path(args.bench) if args.bench else default_benchmark_path()


def _compute(args: argparse.Namespace) -> int:
    from nasbench_lab.proxies.compute import compute_proxies

    archs = _archs(args.archs)
    if archs is not None and len(archs) == 1 and "," not in args.archs:
        archs = np.random.default_rng(args.sample_seed).choice(15625, size=int(archs[0]), replace=False)
    seeds = list(range(args.seeds)) if args.seeds > 0 else []
    if not seeds:
        raise ConfigError("--seeds must be at least 1")
    proxies = [p for p in args.proxies.split(",") if p] if args.proxies else None
    n = compute_proxies(
        _bench(args), args.dataset, recipe=args.recipe, proxies=proxies, archs=archs, seeds=seeds,
        batch_size=args.batch_size, workers=args.workers, executor=args.executor, address=args.address,
        chunk_size=args.chunk_size, data_root=args.data_root, recompute=args.recompute,
    )
    print(f"scored {n} (arch, seed) pairs; stored in {_bench(args)}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from nasbench_lab.proxies.evaluate import evaluate_proxies, format_table, write_outputs

    proxies = [p for p in args.proxies.split(",") if p] if args.proxies else None
    rows = evaluate_proxies(
        _bench(args), args.dataset, recipe=args.recipe, metric=args.metric, accuracy_dataset=args.accuracy_dataset,
        accuracy_recipe=args.accuracy_recipe, proxies=proxies, top_fraction=args.top,
    )
    print(format_table(rows, args.top))
    if args.out:
        paths = write_outputs(rows, args.out, title=f"{args.dataset}: proxies vs {args.metric}")
        print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``proxies`` command group."""
    parser = subparsers.add_parser(
        "proxies", help="compute and evaluate zero-cost proxies",
        description="Zero-cost proxies score untrained networks from one minibatch. `compute` stores "
        "scores in a benchmark file; `evaluate` correlates them with accuracy.",
    )
    sub = parser.add_subparsers(dest="proxies_command", metavar="ACTION", required=True)

    compute = sub.add_parser(
        "compute", help="score archs and store the scores in the benchmark file",
        description="Score archs with zero-cost proxies on the network of a (dataset, recipe) entry "
        "and store the scores (per arch and proxy seed) in the benchmark file. Resumable: pairs "
        "already stored are skipped, finished chunks are written atomically.",
    )
    compute.add_argument("--bench", help="benchmark file (default: the embedded data/nb201-digits.h5)")
    compute.add_argument("--dataset", required=True, help="dataset key (its training images form the minibatch)")
    compute.add_argument("--recipe", help="recipe whose network (C, N) is scored (default: the dataset's only one)")
    compute.add_argument("--proxies", help="comma-separated proxy names (default: all registered)")
    compute.add_argument("--archs", default="all", help="'all', a count N (random sample), or comma-separated indices")
    compute.add_argument("--sample-seed", type=int, default=0, help="seed of the random sample for --archs N")
    compute.add_argument("--seeds", type=int, default=1, help="number of proxy seeds (init + minibatch) per arch")
    compute.add_argument("--batch-size", type=int, default=64, help="minibatch size (default 64)")
    compute.add_argument("--workers", type=int, default=1, help="local worker processes (1: in this process)")
    compute.add_argument(
        "--executor", choices=EXECUTORS.names(), default="local",
        help="where chunks run (default local); Ctrl-C stops every worker and keeps the chunks already stored",
    )
    compute.add_argument("--address", help="Ray cluster address (ray executor)")
    compute.add_argument("--chunk-size", type=int, default=128, help="archs per task and per write")
    compute.add_argument("--data-root", help="directory of file-based datasets")
    compute.add_argument(
        "--recompute", action="store_true",
        help="first drop every stored score of the named proxies (all archs and seeds), e.g. after a proxy's "
        "definition changed; without it, stored (arch, seed) pairs are skipped",
    )
    compute.set_defaults(func=_compute)

    evaluate = sub.add_parser(
        "evaluate", help="correlate stored proxies with accuracy",
        description="Spearman and Kendall tau of every stored proxy against an accuracy, over all archs "
        "and over the top 10% by accuracy; prints a table and, with --out, writes a CSV and a plot.",
    )
    evaluate.add_argument("--bench", help="benchmark file (default: the embedded data/nb201-digits.h5)")
    evaluate.add_argument("--dataset", required=True, help="dataset key holding the proxy scores")
    evaluate.add_argument("--recipe", help="recipe holding the proxy scores")
    evaluate.add_argument("--metric", default="valid_acc", help="accuracy metric (final epoch, seed mean)")
    evaluate.add_argument("--accuracy-dataset", help="take the accuracy from another dataset key")
    evaluate.add_argument("--accuracy-recipe", help="take the accuracy from another recipe")
    evaluate.add_argument("--proxies", help="comma-separated proxy names (default: all stored)")
    evaluate.add_argument("--top", type=float, default=0.1, help="fraction of best archs for the top columns")
    evaluate.add_argument("--out", help="folder for correlations.csv and the plot")
    evaluate.set_defaults(func=_evaluate)
