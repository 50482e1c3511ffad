"""``nasbench-lab study ...``: run a search study from a TOML spec, and re-render a study's report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nasbench_lab.execution import EXECUTORS


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
    run.add_argument("spec", type=Path, metavar="SPEC",
                     help="study spec file (TOML), e.g. studies/quickstart.toml, or the name of a shipped spec "
                     "(quickstart, zc-warmstart, ...) when no such file exists")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: results/<study name>)")
    run.add_argument("--bench", type=Path, default=None, metavar="PATH",
                     help="benchmark file to use instead of the spec's (default: the spec's, else the embedded one)")
    run.add_argument("--workers", type=int, default=1, metavar="N", help="parallel workers (default: 1)")
    run.add_argument("--executor", choices=EXECUTORS.names(), default="local",
                     help="local processes (one worker: in this process), inline, or Ray (a local instance, or a "
                     "cluster with --address); Ctrl-C stops every worker and keeps the finished units")
    run.add_argument("--address", default=None, metavar="ADDR", help="address of an existing Ray cluster")
    run.add_argument("--resume", action="store_true",
                     help="continue the finished units already in the output folder (the default when the folder "
                     "holds this spec's study on this benchmark; kept for scripts)")
    run.add_argument("--overwrite", action="store_true",
                     help="replace a study already in the output folder, of any spec or benchmark: removes its study "
                     "files (trajectories, summaries, plots, manifest, units/), never other files, and runs afresh")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.set_defaults(func=_run)

    report = sub.add_parser(
        "report", help="re-render a study's report, or compare several studies in one table and plot",
        description="With one DIR: recompute the summary table, wins and plots from the units saved in DIR "
        "(works on a partial, interrupted study too) and print the summary. With several DIRs (or --out): "
        "write one comparison table (comparison.{csv,md}, each strategy labelled study/strategy, regret to each "
        "study's own table best) and one regret plot (comparison.{png,pdf}) to OUT, and print the table.",
    )
    report.add_argument("dirs", type=Path, nargs="+", metavar="DIR", help="study output folders")
    report.add_argument("--out", type=Path, default=None,
                        help="folder for the comparison files (required with several DIRs)")
    report.add_argument("--allow-mixed", action="store_true",
                        help="compare studies whose reported metric or reported dataset differ")
    report.set_defaults(func=_report)


def _run(args: argparse.Namespace) -> int:
    from nasbench_lab.resources import spec_argument
    from nasbench_lab.study.runner import run_study
    from nasbench_lab.study.spec import load_spec

    args.spec = spec_argument(args.spec)
    spec = load_spec(args.spec, benchmark=args.bench)
    out = args.out if args.out is not None else Path("results") / spec.name
    try:
        outcome = run_study(
            spec, out, workers=args.workers, executor=args.executor, address=args.address, resume=args.resume,
            overwrite=args.overwrite, spec_text=args.spec.read_text(encoding="utf-8"), progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        sys.stderr.write(f"partial results of the finished units are in {out}; continue with "
                         f"`nasbench-lab study run {args.spec} --out {out}`\n")
        raise
    if outcome.note:
        sys.stderr.write(outcome.note + "\n")
    sys.stdout.write(outcome.summary)
    sys.stdout.write(f"\nresults in {outcome.out} ({outcome.units_done}/{outcome.units_total} units)\n")
    sys.stdout.write(where_to_look(outcome.out))
    return 0


def where_to_look(out: Path) -> str:
    """How to look at the results in ``out``: its files, the report command and the DataFrame loader."""
    pareto = f"{out}/hypervolume.png, {out}/pareto_front.png, fronts in {out}/fronts.csv\n  " \
        if (out / "fronts.csv").is_file() else ""
    return (
        f"  {pareto}{out}/summary.md, {out}/regret.png; one row per query in {out}/trajectory.csv\n"
        f"  re-render or compare: nasbench-lab study report {out} [OTHER_DIR ... --out DIR]\n"
        f"  in Python: from nasbench_lab.study import load_results; df = load_results({str(out)!r})\n"
    )


def _report(args: argparse.Namespace) -> int:
    from nasbench_lab.errors import ConfigError

    if len(args.dirs) > 1 or args.out is not None:
        if args.out is None:
            raise ConfigError("comparing several studies writes a table and a plot: pass --out DIR")
        from nasbench_lab.study.compare import compare_studies

        sys.stdout.write(compare_studies(args.dirs, args.out, allow_mixed=args.allow_mixed))
        sys.stdout.write(f"\ncomparison in {args.out}: comparison.md, comparison.csv, comparison.png\n")
        return 0
    from nasbench_lab.study.report import report_study

    outcome = report_study(args.dirs[0])
    sys.stdout.write(outcome.summary)
    if not outcome.complete:
        sys.stdout.write(f"\npartial: {outcome.units_done}/{outcome.units_total} units finished; finish it with "
                         "`nasbench-lab study run SPEC --out DIR` (same spec and benchmark: it resumes)\n")
    else:
        sys.stdout.write(f"\nreport in {outcome.out}\n")
    return 0
