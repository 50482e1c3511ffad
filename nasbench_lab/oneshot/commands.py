"""``nasbench-lab oneshot ...``: run a weight-sharing search spec over its seeds, and re-render its report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nasbench_lab.execution import EXECUTORS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``oneshot`` command and its ``run``, ``report`` and ``searchers`` sub-commands."""
    oneshot = subparsers.add_parser(
        "oneshot", help="weight-sharing NAS on the NB201 supernet (DARTS, GDAS, SETN, ENAS, RSPS), judged by the table",
        description="Train one supernet per seed with a weight-sharing searcher, derive an arch per search epoch, "
        "and judge the picks by the benchmark table.")
    sub = oneshot.add_subparsers(dest="oneshot_command", metavar="SUBCOMMAND", required=True)
    run = sub.add_parser(
        "run", help="run a oneshot spec (every seed) and write its output folder",
        description="Run the spec's searcher once per seed (one process per seed with --workers > 1) and write "
        "OUT/units/seed-N.json per finished seed, trajectory.csv (pick, one-shot and table accuracy, alpha per "
        "epoch), finals.csv, summary.{md,csv} (mean ± s.e. over seeds beside random search at the same time and "
        "the table optimum), alpha-seedN.{png,pdf} heat maps, op_share.{png,pdf} and manifest.json. Running it "
        "again resumes: only the missing seeds run.")
    run.add_argument("spec", type=Path, metavar="SPEC", help="oneshot spec (TOML), e.g. specs/oneshot/darts-v1.toml, or the name of a "
                     "shipped one (darts-v1, darts-v2, gdas, setn, enas, rsps) when no such file exists")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: results/oneshot/<spec name>)")
    run.add_argument("--bench", type=Path, default=None, metavar="PATH",
                     help="benchmark file that judges the picks (default: the spec's, else the embedded one)")
    run.add_argument("--workers", type=int, default=1, metavar="N", help="seeds run in parallel (default: 1)")
    run.add_argument("--executor", choices=EXECUTORS.names(), default="local",
                     help="local processes (one worker: in this process), inline, or Ray (--address for a cluster)")
    run.add_argument("--address", default=None, metavar="ADDR", help="address of an existing Ray cluster")
    run.add_argument("--gpus-per-task", type=float, default=0.0, metavar="G", help="GPUs each Ray task reserves (ray only)")
    run.add_argument("--device", default="cpu", help="cpu or a CUDA device such as cuda:0 (bf16 autocast on CUDA)")
    run.add_argument("--threads", type=int, default=1, metavar="N", help="CPU threads per seed (default: 1)")
    run.add_argument("--data-root", default=None, metavar="DIR", help="data directory of CIFAR/ImageNet16")
    run.add_argument("--fill-missing", action="store_true",
                     help="train the table entries the picks need but the table lacks (the fill path; "
                     "default: the spec's fill_missing, else they are reported missing)")
    run.add_argument("--overwrite", action="store_true",
                     help="replace the runs of another spec in the output folder (removes only oneshot files)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument("--no-plots", action="store_true", help="write the tables only (the plots take seconds)")
    run.set_defaults(func=_run)

    report = sub.add_parser("report", help="re-render oneshot output folders; several: one comparison table",
                            description="Rewrite trajectory.csv, finals.csv, summary.{md,csv} and the plots from "
                            "DIR/units (a partial run too) and print the summary. With several DIRs, print one table "
                            "with each folder's method row and its random-search row.")
    report.add_argument("dirs", type=Path, nargs="+", metavar="DIR", help="oneshot output folder(s)")
    report.add_argument("--fill-missing", action="store_true", help="train missing table entries of the picks first")
    report.add_argument("--no-plots", action="store_true", help="write the tables only")
    report.set_defaults(func=_report)

    searchers = sub.add_parser("searchers", help="list the searchers, their parameters and papers")
    searchers.set_defaults(func=_searchers)


def _run(args: argparse.Namespace) -> int:
    from nasbench_lab.oneshot.runner import run_oneshot
    from nasbench_lab.oneshot.spec import load_spec
    from nasbench_lab.resources import spec_argument

    args.spec = spec_argument(args.spec, kind="oneshot")
    spec = load_spec(args.spec, benchmark=args.bench)
    out = args.out if args.out is not None else Path("results") / "oneshot" / spec.name
    try:
        outcome = run_oneshot(spec, out, workers=args.workers, executor=args.executor, address=args.address,
                              gpus_per_task=args.gpus_per_task,
                              device=args.device, threads=args.threads, data_root=args.data_root,
                              overwrite=args.overwrite, fill_missing=args.fill_missing or None,
                              progress=not args.no_progress, plots=not args.no_plots)
    except KeyboardInterrupt:
        sys.stderr.write(f"finished seeds are in {out}/units; continue with `nasbench-lab oneshot run {args.spec} "
                         f"--out {out}`\n")
        raise
    if outcome.note:
        sys.stderr.write(outcome.note + "\n")
    sys.stdout.write(outcome.summary)
    sys.stdout.write(f"\nresults in {outcome.out} ({outcome.seeds_done}/{outcome.seeds_total} seeds): summary.md, "
                     "trajectory.csv, alpha-seed*.png, op_share.png\n")
    return 0


def _report(args: argparse.Namespace) -> int:
    from nasbench_lab.oneshot.runner import compare_oneshot, report_oneshot

    if len(args.dirs) > 1:
        sys.stdout.write(compare_oneshot(args.dirs))
        return 0
    outcome = report_oneshot(args.dirs[0], fill_missing=args.fill_missing, plots=not args.no_plots)
    sys.stdout.write(outcome.summary)
    if outcome.seeds_done < outcome.seeds_total:
        sys.stdout.write(f"\npartial: {outcome.seeds_done}/{outcome.seeds_total} seeds finished; finish with "
                         "`nasbench-lab oneshot run SPEC --out DIR` (it resumes)\n")
    return 0


def _searchers(args: argparse.Namespace) -> int:
    from nasbench_lab.config import markdown_table
    from nasbench_lab.oneshot.base import SEARCHERS

    for name in SEARCHERS.names():
        cls = SEARCHERS.get(name)
        sys.stdout.write(f"## {name}\n\n{cls.paper}\n\n{markdown_table(cls.Params)}\n\n")
    return 0
