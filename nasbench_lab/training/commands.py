"""``nasbench-lab fill`` (train a benchmark's missing entries) and ``nasbench-lab train`` (one run)."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nasbench_lab.errors import ConfigError
from nasbench_lab.execution import EXECUTORS
from nasbench_lab.parsing import parse_seed, parse_seed_list
from nasbench_lab.space import Arch

log = logging.getLogger(__name__)


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, help="dataset key (digits, cifar10-valid, cifar10, cifar100, ImageNet16-120)")
    parser.add_argument("--recipe", required=True, help="recipe name (digits, nb201-12, nb201-200, or one stored in BENCH)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:k] (default cpu)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per run (default 1)")
    parser.add_argument("--data-root", default=None, help="directory of file-based datasets (CIFAR, ImageNet16)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the network (long CUDA runs)")
    parser.add_argument(
        "--download", action="store_true",
        help="fetch the dataset's archive into --data-root first if its files are absent (CIFAR-10/100 only)",
    )
    parser.add_argument("--download-url", default=None, help="archive URL for --download (default: the official one)")
    parser.add_argument(
        "--trainer", default=None, metavar="MODULE:FUNCTION",
        help="use another train function with nasbench-lab's signature (tests, custom trainers)",
    )


def _ensure_data(args: argparse.Namespace) -> None:
    """With ``--download``, fetch the dataset into the data root when its files are not there yet."""
    if not args.download:
        return
    from nasbench_lab.training.data import DatasetMissing, load_dataset
    from nasbench_lab.training.image_datasets import download

    try:
        load_dataset(args.dataset, root=args.data_root)
    except DatasetMissing:
        download(args.dataset, args.data_root, url=args.download_url)


def register(subparsers: Any) -> None:
    """Add the ``fill`` and ``train`` sub-commands."""
    fill = subparsers.add_parser(
        "fill",
        help="train a benchmark's missing entries (crash-safe, resumable)",
        description="Train the missing (arch, seed) entries of BENCH for one dataset and recipe and store "
        "them. Every finished entry is journalled (BENCH.journal) before it counts and folded into BENCH "
        "atomically; run the same command again after any interruption to resume. A second fill of the "
        "same file is refused while one runs (BENCH.lock).",
    )
    fill.add_argument("bench", help="benchmark file (created if absent)")
    _add_training_options(fill)
    fill.add_argument(
        "--archs", default="all",
        help="all | classes (one per NB201 isomorphism class, mapped to the rest) | random:N (a sample of N "
        "archs drawn with --sample-seed) | indices: 6111 (that one arch), 1,2,3, 0-99,200  [default all]",
    )
    fill.add_argument("--sample-seed", default="0", help="seed of --archs random:N (default 0)")
    fill.add_argument("--seeds", default=None, help="seeds to fill, e.g. 0,1 (default: the recipe's)")
    fill.add_argument("--executor", choices=EXECUTORS.names(), default="local", help="where runs execute (default local)")
    fill.add_argument("--workers", type=int, default=None, help="local worker processes (default one per core)")
    fill.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    fill.add_argument("--gpus-per-task", type=float, default=0.0, help="GPUs each Ray task reserves (default 0)")
    fill.add_argument("--retries", type=int, default=2, help="extra attempts for a failed entry (default 2)")
    fill.add_argument("--fold-every", type=int, default=100, help="fold the journal into BENCH every N entries (default 100)")
    fill.add_argument("--no-progress", action="store_true", help="no progress bar")
    fill.set_defaults(func=run_fill)

    status = subparsers.add_parser(
        "fill-status",
        help="how far a fill of BENCH has got: filled, trained and mapped runs per seed, journal, failures",
    )
    status.add_argument("bench", help="benchmark file")
    status.add_argument("--dataset", default=None, help="dataset key (default: all)")
    status.set_defaults(func=run_fill_status)

    train = subparsers.add_parser("train", help="train one arch with one seed and print its results")
    train.add_argument("arch", help="arch string or NB201 index")
    _add_training_options(train)
    train.add_argument("--seed", default="0", help="seed (default 0)")
    train.add_argument("--json", action="store_true", help="print the whole record as JSON")
    train.set_defaults(func=run_train)


def _trainer(spec: str | None) -> Callable[..., Any] | None:
    if spec is None:
        return None
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(f"--trainer {spec!r}: no function {name!r} in an importable module {module!r}") from None


def _default_trainer() -> Callable[..., Any]:
    """The real trainer (imported on use: it pulls in torch)."""
    from nasbench_lab.training.trainer import train

    return train


def _recipe(name: str, dataset: str, bench: str | None) -> Any:
    """The recipe stored in ``bench`` under ``name`` for ``dataset``, else the registered one."""
    from nasbench_lab.training.recipes import get_recipe

    if bench is not None and Path(bench).exists():
        from nasbench_lab.benchmark.store import Benchmark

        with Benchmark.open(bench) as stored:
            if dataset in stored.datasets and name in stored.recipes(dataset):
                return stored.recipe(dataset, name)
    return get_recipe(name)


def run_fill(args: argparse.Namespace) -> int:
    """Handler of ``nasbench-lab fill``."""
    from nasbench_lab.execution import make_executor
    from nasbench_lab.training.fill import ArchSelection, fill
    from nasbench_lab.training.jobs import default_job, fill_provenance
    from nasbench_lab.training.journal import BenchmarkTarget

    selection = ArchSelection.parse(args.archs, sample_seed=parse_seed(args.sample_seed, "--sample-seed"))
    seeds = parse_seed_list(args.seeds, "--seeds") if args.seeds is not None else None
    _ensure_data(args)
    recipe = _recipe(args.recipe, args.dataset, args.bench)
    seeds = seeds or [int(s) for s in recipe.config.get("seeds", [0])]
    executor = make_executor(args.executor, workers=args.workers, address=args.address, gpus_per_task=args.gpus_per_task)
    job = default_job(
        device=args.device, threads=args.threads, data_root=args.data_root, compile=args.compile,
        train_fn=_trainer(args.trainer),
    )
    report = fill(
        args.bench, args.dataset, recipe, seeds, selection, executor=executor, job=job,
        target=BenchmarkTarget(args.bench, fill_provenance(args.device)), retries=args.retries,
        fold_every=args.fold_every, progress=not args.no_progress,
    )
    rate = f", {report.entries_per_hour:.0f} entries/hour" if report.trained else ""
    print(
        f"{args.bench}: {report.trained} of {report.planned} planned entries trained, {report.mapped} mapped copies, "
        f"{report.recovered} recovered from the journal, {len(report.failed)} failed "
        f"({report.seconds:.0f} s{rate})"
    )
    for arch, seed, error in report.failed:
        print(f"  failed: arch {arch} seed {seed}: {error}")
    return 1 if report.failed else 0


def run_fill_status(args: argparse.Namespace) -> int:
    """Handler of ``nasbench-lab fill-status``."""
    from nasbench_lab.benchmark.lock import lock_path
    from nasbench_lab.benchmark.store import Benchmark
    from nasbench_lab.training.journal import BenchmarkTarget, Journal, journal_path

    with Benchmark.open(args.bench) as bench:
        datasets = [args.dataset] if args.dataset else bench.datasets
        for dataset in datasets:
            for recipe in bench.recipes(dataset):
                filled, mapped = bench.filled(dataset, recipe), bench.mapped_from(dataset, recipe)
                for k, seed in enumerate(bench.seeds(dataset, recipe)):
                    trained = int((filled[:, k] & (mapped[:, k] < 0)).sum())
                    print(
                        f"{dataset}/{recipe} seed {seed}: {int(filled[:, k].sum())} of {filled.shape[0]} filled "
                        f"({trained} trained, {int(filled[:, k].sum()) - trained} mapped)"
                    )
                failures = BenchmarkTarget(args.bench, {}).failures(dataset, recipe)
                for failure in failures:
                    print(f"  unresolved failure: arch {failure['arch_index']} seed {failure['seed']} "
                          f"({failure['attempts']} attempts): {failure['error']}")
    pending = Journal(journal_path(args.bench)).read()
    holder = lock_path(args.bench)
    pid = holder.read_text().strip() if holder.exists() else ""
    print(f"journal: {len(pending)} entries not yet folded; lock file last taken by pid {pid or '-'}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    """Handler of ``nasbench-lab train``."""
    from nasbench_lab.training.journal import record_to_json

    arch = Arch.coerce(args.arch)
    seed = parse_seed(args.seed, "--seed")
    train_fn = _trainer(args.trainer) or _default_trainer()
    recipe = _recipe(args.recipe, args.dataset, None)
    _ensure_data(args)
    record = train_fn(
        arch, args.dataset, recipe, seed, device=args.device, threads=args.threads,
        data_root=args.data_root, compile=args.compile,
    )
    if args.json:
        print(json.dumps(record_to_json(record), indent=1))
        return 0
    curves = record.curves
    print(f"arch {arch.index} {arch}")
    print(f"  {args.dataset} / recipe {recipe.name} / seed {seed}")
    for name in ("train_acc", "valid_acc", "test_acc", "valid_loss"):
        if name in curves:
            print(f"  final {name}: {curves[name][-1]:.4f}")
    if "train_time" in curves:
        print(f"  train time: {float(sum(curves['train_time'])):.2f} s, eval time {record.eval_time:.4f} s")
    print(f"  params {record.params:.6f} M, FLOPs {record.flops:.6f} M, latency {record.latency * 1e3:.3f} ms/batch")
    return 0
