"""``nasbench-lab study ...``: run a search study from a TOML spec, and re-render a study's report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``study`` command and its ``run`` and ``report`` sub-commands."""
    study = subparsers.add_parser("study", help="run search studies (strategies x seeds) against a benchmark",
                                  description="Run reproducible search studies and report them.")
    sub = study.add_subparsers(dest="study_command", metavar="SUBCOMMAND", required=True)

    run = sub.add_parser(
        "run", help="run a study spec and write its output folder",
        description="Run every (strategy, seed) unit of a study spec (TOML). Writes trajectory.csv, "
        "summary.{csv,md}, wins.csv, regret.{png,pdf}, manifest.json and one file per finished unit "
        "under OUT/units/, then prints the summary table.",
    )
    run.add_argument("spec", type=Path, metavar="SPEC", help="study spec file (TOML), e.g. studies/quickstart.toml")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: results/<study name>)")
    run.add_argument("--bench", type=Path, default=None, metavar="PATH",
                     help="benchmark file to use instead of the spec's (default: the spec's, else the embedded one)")
    run.add_argument("--workers", type=int, default=1, metavar="N", help="parallel workers (default: 1)")
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="local processes, or Ray (a local instance, or a cluster with --address)")
    run.add_argument("--address", default=None, metavar="ADDR", help="address of an existing Ray cluster")
    run.add_argument("--resume", action="store_true", help="continue the finished units already in the output folder")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.set_defaults(func=_run)

    report = sub.add_parser(
        "report", help="re-render the summary, tables and plots of a study output folder",
        description="Recompute the summary table, wins and plots from the units saved in DIR (works on "
        "a partial, interrupted study too) and print the summary.",
    )
    report.add_argument("dir", type=Path, metavar="DIR", help="a study output folder")
    report.set_defaults(func=_report)


def _run(args: argparse.Namespace) -> int:
    from nasbench_lab.study.runner import run_study
    from nasbench_lab.study.spec import load_spec

    spec = load_spec(args.spec, benchmark=args.bench)
    out = args.out if args.out is not None else Path("results") / spec.name
    try:
        outcome = run_study(
            spec, out, workers=args.workers, executor=args.executor, address=args.address, resume=args.resume,
            spec_text=args.spec.read_text(encoding="utf-8"), progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        sys.stderr.write(f"partial results of the finished units are in {out}; continue with "
                         f"`nasbench-lab study run {args.spec} --out {out} --resume`\n")
        raise
    sys.stdout.write(outcome.summary)
    sys.stdout.write(f"\nresults in {outcome.out} ({outcome.units_done}/{outcome.units_total} units)\n")
    return 0


def _report(args: argparse.Namespace) -> int:
    from nasbench_lab.study.report import report_study

    outcome = report_study(args.dir)
    sys.stdout.write(outcome.summary)
    if not outcome.complete:
        sys.stdout.write(f"\npartial: {outcome.units_done}/{outcome.units_total} units finished; "
                         "resume with `nasbench-lab study run SPEC --out DIR --resume`\n")
    return 0
