"""``nasbench-lab import {nats,nb201,csv,arch-metrics,proxy-scores}``: bring results and scores into a benchmark.

Thin on purpose: parses arguments and calls :mod:`nasbench_lab.benchmark.importers` (NB201 / NATS-Bench),
:mod:`nasbench_lab.benchmark.csv_import` (tables of results) or :mod:`nasbench_lab.benchmark.extra_import`
(per-arch cost metrics and proxy scores computed elsewhere).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nasbench_lab.benchmark.csv_import import ColumnMap, import_table
from nasbench_lab.benchmark.extra_import import import_arch_metrics, import_proxy_scores
from nasbench_lab.benchmark.importers import import_nats, import_nb201
from nasbench_lab.benchmark.schema import METRICS
from nasbench_lab.parsing import parse_seed
from nasbench_lab.space import parse_index_list

_EPILOG_CSV = """example (the NWOT table of NB201 results, seed means at epoch 200):
  nasbench-lab import csv ../shared/nb201/nwot_arch_score_acc.csv --out nb.h5 \\
      --recipe nb201-200 --epoch 200 --seed 0 --dataset cifar10-valid \\
      --map valid_top1=valid_acc --map valid_test_top1=test_acc --map params=params \\
      --map cifar10:test_top1=test_acc --map cifar10:params=params
"""


def _add_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="BENCH",
                        help="benchmark file to create, or to merge into when it exists")


def _add_results_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--archs", type=str, default=None, metavar="LIST",
                        help="only these NB201 indices, e.g. 0,11,100-199 (default: every arch in the source)")
    parser.add_argument("--hp", action="append", choices=("12", "200"), default=None,
                        help="protocol to import (repeatable): 12 -> recipe nb201-12, 200 -> nb201-200 (default both)")
    parser.add_argument("--dataset", action="append", default=None, metavar="DATASET",
                        help="only this dataset (repeatable): cifar10-valid, cifar10, cifar100, ImageNet16-120")


def register(subparsers: Any) -> None:
    """Add the ``import`` command and its ``nats``, ``nb201`` and ``csv`` sub-commands."""
    parser = subparsers.add_parser(
        "import", help="import NB201/NATS-Bench results, a CSV/TSV table, per-arch cost metrics or proxy scores",
        description="Import results into a benchmark file (created, or merged into when it exists). "
        "Pickled NB201/NATS-Bench files are read with a restricted unpickler.",
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)

    nats = kinds.add_parser("nats", help="NATS-Bench topology: a 'simple' directory or a single .pickle.pbz2",
                            description="Import NATS-Bench topology results (hp 12 and 200) as recipes "
                            "nb201-12 and nb201-200.")
    nats.add_argument("source",
                      help="the 'simple' directory (meta.pickle.pbz2 + NNNNNN.pickle.pbz2) or the single file")
    _add_out(nats)
    _add_results_options(nats)
    nats.set_defaults(func=_run_nats)

    nb201 = kinds.add_parser("nb201", help="NAS-Bench-201 .pth (v1_0, v1_1)",
                             description="Import a NAS-Bench-201 .pth file ('less' -> nb201-12, 'full' -> "
                             "nb201-200), read with torch's weights-only unpickler.")
    nb201.add_argument("source", help="NAS-Bench-201-v1_*.pth")
    _add_out(nb201)
    _add_results_options(nb201)
    nb201.set_defaults(func=_run_nb201)

    table = kinds.add_parser("csv", help="a CSV/TSV table with one row per arch",
                             description="Import columns of a CSV/TSV table (one row per arch) as metrics.",
                             epilog=_EPILOG_CSV, formatter_class=argparse.RawDescriptionHelpFormatter)
    table.add_argument("source", help="the table (.csv, .tsv, optionally .gz); delimiter from the extension")
    _add_out(table)
    table.add_argument("--map", action="append", required=True, metavar="[DATASET:]COLUMN=METRIC",
                       help="import COLUMN as METRIC (repeatable); DATASET defaults to --dataset; METRIC is "
                       f"one of {', '.join(METRICS)}")
    table.add_argument("--dataset", default=None, help="dataset of maps that name none")
    table.add_argument("--recipe", required=True,
                       help="recipe name (nb201-12 / nb201-200 get NB201's protocol; "
                       "a new name gets eval points 1..EPOCH)")
    table.add_argument("--epoch", type=float, required=True, help="eval point of the values, in epochs (e.g. 200)")
    table.add_argument("--seed", default="0", help="seed value to store the values under (default 0)")
    table.add_argument("--units", choices=("percent", "fraction"), default="percent", help="units of accuracy columns")
    table.add_argument("--arch-column", default="arch",
                       help="column holding the NB201 index or arch string (default arch)")
    table.add_argument("--delimiter", default=None, help="field separator (default: tab for .tsv, comma otherwise)")
    table.set_defaults(func=_run_csv)
    _register_scores(kinds)


def _add_score_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("source", help="the table (.csv, .tsv, optionally .gz), one row per arch")
    parser.add_argument("--out", required=True, metavar="BENCH", help=f"benchmark file to add the {what} to")
    parser.add_argument("--map", action="append", required=True, metavar="[DATASET:]COLUMN=NAME",
                        help=f"store COLUMN as {what} NAME of DATASET (repeatable); DATASET defaults to --dataset")
    parser.add_argument("--dataset", default=None, help="dataset of maps that name none")
    parser.add_argument("--note", default="", help="free text kept in the provenance (paper, device, version)")
    parser.add_argument("--arch-column", default="arch",
                        help="column holding the NB201 index or arch string (default arch)")
    parser.add_argument("--delimiter", default=None, help="field separator (default: tab for .tsv, comma otherwise)")
    parser.add_argument("--replace", action="store_true", help=f"overwrite stored {what} of the same name")


_EPILOG_SCORES = """Provenance (source file, its SHA-256, column, note, date) is stored with every column and
shown by `nasbench-lab info`. Values must be finite numbers; empty cells and nan mean "no value".

examples:
  nasbench-lab import proxy-scores ../shared/nb201/nwot_arch_score_acc.csv --out nb.h5 \
      --dataset cifar10-valid --map score=naswot_published --note "NASWOT v1, BayesWatch a1aa24c"
  nasbench-lab import arch-metrics hw.csv --out nb.h5 --unit ms \
      --map cifar10:edgegpu_latency=edgegpu_latency --map cifar100:edgegpu_latency=edgegpu_latency
"""


def _register_scores(kinds: Any) -> None:
    metrics = kinds.add_parser(
        "arch-metrics", help="per-arch cost metrics from a table (e.g. latency/energy per device)",
        description="Store columns of a table as extra per-arch metrics of a dataset (e.g. HW-NAS-Bench "
        "latency and energy per device). They belong to the dataset, not to a recipe; read them with "
        "Benchmark.arch_metric(name, dataset). Values must be >= 0.",
        epilog=_EPILOG_SCORES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_score_options(metrics, "extra metric")
    metrics.add_argument("--unit", default="", help="unit of the values (e.g. ms, mJ), kept in the provenance")
    metrics.set_defaults(func=_run_arch_metrics)

    proxies = kinds.add_parser(
        "proxy-scores", help="zero-cost proxy scores computed elsewhere (e.g. published NASWOT scores)",
        description="Store columns of a table as zero-cost proxy scores of a recipe, like the proxies "
        "`nasbench-lab proxies compute` stores but without compute times. The dataset and recipe must "
        "exist in BENCH.",
        epilog=_EPILOG_SCORES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_score_options(proxies, "proxy")
    proxies.add_argument("--recipe", default=None, help="recipe the proxies join (default: the dataset's only one)")
    proxies.add_argument("--seed", default="0", help="proxy seed value to store the scores under (default 0)")
    proxies.set_defaults(func=_run_proxy_scores)


def _results_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "archs": parse_index_list(args.archs, "--archs") if args.archs else None,
        "hps": tuple(dict.fromkeys(args.hp or ("12", "200"))),
        "datasets": args.dataset,
        "progress": not args.no_progress,
    }


def _report(counts: dict[tuple[str, str], int], out: str, what: str) -> int:
    for (dataset, recipe), n in sorted(counts.items()):
        print(f"{dataset}/{recipe}: {n} {what}")
    if not counts:
        print(f"nothing imported into {out}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


def _run_nats(args: argparse.Namespace) -> int:
    return _report(import_nats(args.source, args.out, **_results_options(args)), args.out, "runs")


def _run_nb201(args: argparse.Namespace) -> int:
    return _report(import_nb201(args.source, args.out, **_results_options(args)), args.out, "runs")


def _run_csv(args: argparse.Namespace) -> int:
    maps = [ColumnMap.parse(text, args.dataset) for text in args.map]
    counts = import_table(
        args.source, args.out, maps, recipe=args.recipe, epoch=args.epoch, seed=parse_seed(args.seed, "--seed"),
        units=args.units, arch_column=args.arch_column, delimiter=args.delimiter,
    )
    return _report(counts, args.out, "runs")


def _run_arch_metrics(args: argparse.Namespace) -> int:
    maps = [ColumnMap.parse(text, args.dataset, metrics=None) for text in args.map]
    counts = import_arch_metrics(args.source, args.out, maps, note=args.note, unit=args.unit,
                                 arch_column=args.arch_column, delimiter=args.delimiter, replace=args.replace)
    return _report(counts, args.out, "archs")


def _run_proxy_scores(args: argparse.Namespace) -> int:
    maps = [ColumnMap.parse(text, args.dataset, metrics=None) for text in args.map]
    counts = import_proxy_scores(args.source, args.out, maps, recipe=args.recipe, seed=parse_seed(args.seed, "--seed"),
                                 note=args.note, arch_column=args.arch_column, delimiter=args.delimiter,
                                 replace=args.replace)
    return _report(counts, args.out, "archs")
