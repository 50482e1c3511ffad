"""Sub-commands ``nasbench-lab info`` and ``nasbench-lab query`` (reading a benchmark file)."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.benchmark.extras import imported_provenance
from nasbench_lab.benchmark.schema import ARCH_METRICS, CURVE_METRICS, METRICS, RUN_METRICS
from nasbench_lab.errors import ArchError, ConfigError
from nasbench_lab.parsing import parse_seed, parse_uint
from nasbench_lab.space import Arch

_BENCH_HELP = "benchmark file (default: the embedded data/nb201-digits.h5)"


def register(subparsers: Any) -> None:
    """Add ``info`` and ``query`` to the ``nasbench-lab`` parser."""
    info = subparsers.add_parser(
        "info",
        help="describe a benchmark file",
        description="Describe a benchmark file: per dataset and recipe its curve columns (evaluation "
        "points in epochs), seeds, coverage (filled runs), mapped copies (runs copied from an "
        "isomorphic arch), stored zero-cost proxies, provenance, and the file size.",
    )
    info.add_argument("bench", nargs="?", metavar="BENCH", help=_BENCH_HELP)
    info.set_defaults(func=run_info)

    query = subparsers.add_parser(
        "query",
        help="print a metric of one or more archs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.dedent(
            f"""\
            Print one metric of one or more archs, one value per line in the order given.

            Metrics: curve metrics (per arch, seed and curve column): {', '.join(CURVE_METRICS)};
            per run: {', '.join(RUN_METRICS)}; per arch: {', '.join(ARCH_METRICS)}.
            Accuracies are in percent, losses in nats, times in seconds, params in millions,
            flops in millions of multiply-adds, latency in seconds per batch.
            Values are printed with 6 significant digits (--digits to change); they are stored as
            float32, which carries about 7.

            An entry that was never trained, or a value the run did not record, is an error
            (exit code 2) that says how to fill it; no number is ever made up.

            examples:
              nasbench-lab query 6111 --dataset cifar10-valid --metric valid_acc --bench nb201.h5
              nasbench-lab query '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|' \\
                  --dataset digits --metric test_acc --seed 777 --epoch 5
            """
        ),
    )
    query.add_argument("archs", nargs="+", metavar="ARCH", help="NB201 index (0..15624) or arch string")
    query.add_argument("--dataset", required=True, help="dataset key (see `nasbench-lab info`)")
    query.add_argument("--metric", required=True, choices=METRICS, metavar="METRIC", help="metric name (listed above)")
    query.add_argument(
        "--epoch", default="-1",
        help="curve column, 0-based; negative counts from the end (default -1: the last). Ignored for "
        "per-run and per-arch metrics",
    )
    query.add_argument(
        "--seed", default="mean",
        help="'mean' (default: mean over the filled seeds that recorded the value), a seed value "
        "(e.g. 777), or 'random' (one filled seed drawn per arch, as NB201 does; see --draw-seed)",
    )
    query.add_argument("--draw-seed", default="0", help="seed of the generator behind --seed random (default 0)")
    query.add_argument("--digits", type=int, default=6, help="significant digits printed (default 6)")
    query.add_argument("--recipe", help="recipe name (default: the dataset's only recipe)")
    query.add_argument("--bench", help=_BENCH_HELP)
    query.set_defaults(func=run_query)


def _bench_path(value: str | None) -> Path:
    from nasbench_lab.benchmark.store import default_benchmark_path

    return default_benchmark_path() if value is None else Path(value)


def _parse_seed(text: str) -> int | str | None:
    if text == "mean":
        return "mean"
    if text == "random":
        return None
    try:
        return parse_seed(text, "--seed")
    except ArchError as exc:
        raise ConfigError(f"{exc}, or 'mean' or 'random'") from None


def _parse_epoch(text: str) -> int:
    """A curve column: ASCII digits with an optional leading minus (counting from the end)."""
    negative = text.strip().startswith("-")
    try:
        column = parse_uint(text.strip()[1:] if negative else text, "--epoch", 10**6)
    except ArchError:
        raise ConfigError(f"--epoch {text!r}: give a curve column like 0, 5 or -1 (digits 0-9 only)") from None
    return -column if negative else column


def format_value(value: float, digits: int = 6) -> str:
    """``value`` with ``digits`` significant digits, as C's ``%g`` (91.6067, not 91.60666656494141).

    Values are stored as float32 (about 7 significant digits), so more than 7 shows storage noise.
    """
    return f"{value:.{digits}g}"


def run_query(args: argparse.Namespace) -> int:
    """Handler of ``nasbench-lab query``."""
    from nasbench_lab.benchmark.store import Benchmark
    seed = _parse_seed(args.seed)
    indices = [Arch.coerce(text).index for text in args.archs]
    rng = np.random.default_rng(parse_seed(args.draw_seed, "--draw-seed")) if seed is None else None
    with Benchmark.open(_bench_path(args.bench)) as bench:
        values = bench.query_many(indices, args.dataset, args.metric, _parse_epoch(args.epoch), seed, args.recipe, rng)
    if not 1 <= args.digits <= 17:
        raise ConfigError(f"--digits {args.digits}: give 1..17 significant digits")
    for value in values:
        print(format_value(value, args.digits))
    return 0


def run_info(args: argparse.Namespace) -> int:
    """Handler of ``nasbench-lab info``."""
    from nasbench_lab.benchmark.store import Benchmark

    path = _bench_path(args.bench)
    with Benchmark.open(path) as bench:
        print("\n".join(describe(bench)))
    return 0


def describe(bench: Any) -> list[str]:
    """Lines describing an open :class:`~nasbench_lab.benchmark.store.Benchmark` (what ``info`` prints)."""
    lines = [f"benchmark {bench.path} ({_size(bench.path.stat().st_size)})"]
    attrs = bench.root_attrs
    lines.append(
        f"  format {attrs.get('format')} version {attrs.get('format_version')}, created {attrs.get('created')} "
        f"by nasbench-lab {attrs.get('code_version')}"
    )
    lines.append("  metadata checksums: " + ("verified" if bench.sealed else
                                             "none (a file written before they existed; any write adds them)"))
    extra = bench.extra_datasets
    if not bench.datasets and not extra:
        lines.append("  (no datasets)")
    for dataset in sorted({*bench.datasets, *extra}):
        lines.append(f"dataset {dataset}")
        for recipe in bench.recipes(dataset) if dataset in bench.datasets else []:
            lines.extend("  " + line for line in _describe_recipe(bench, dataset, recipe))
        for name in bench.arch_metric_names(dataset):
            n = int(np.isfinite(bench.arch_metric(name, dataset)).sum())
            lines.append(f"  extra per-arch metric {name}: {n} archs; " + _provenance_text(bench.arch_metric_provenance(name, dataset)))
    return lines


def _provenance_text(prov: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted(prov.items()) if v != "")


def _describe_recipe(bench: Any, dataset: str, recipe: str) -> list[str]:
    points = bench.eval_points(dataset, recipe)
    seeds = bench.seeds(dataset, recipe)
    filled = bench.filled(dataset, recipe)
    mapped = (bench.mapped_from(dataset, recipe) >= 0) & filled
    prov = bench.provenance(dataset, recipe)
    lines = [
        f"recipe {recipe}: {points.size} curve columns at epochs {points[0]:g}..{points[-1]:g}; "
        f"seeds {', '.join(map(str, seeds))}",
        f"  coverage {100 * filled.mean():.1f}% of runs ({int(filled.sum())}/{filled.size}); "
        f"archs with a run {int(filled.any(axis=1).sum())}/{filled.shape[0]}; "
        f"all seeds {int(filled.all(axis=1).sum())}",
        f"  mapped entries (copied from an isomorphic arch): {int(mapped.sum())}",
        "  provenance: " + "; ".join(f"{k}={v}" for k, v in sorted(prov.items())),
    ]
    names = bench.proxy_names(dataset, recipe)
    lines.append("  proxies: " + (", ".join(names) if names else "none"))
    for name in names:
        imported = imported_provenance(bench.proxy_settings(dataset, name, recipe))
        if imported is not None:
            lines.append(f"    proxy {name} imported: " + _provenance_text(imported))
    return lines


def _size(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"  # pragma: no cover
