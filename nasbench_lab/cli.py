"""The ``nasbench-lab`` command.

Thin on purpose: each area of the library contributes its sub-commands through a ``register``
function in its own ``commands`` module, and every handler only parses arguments and calls the
library. Errors meant for the user (:class:`~nasbench_lab.errors.NasbenchLabError`, bad files) become
one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from nasbench_lab import __version__
from nasbench_lab.errors import NasbenchLabError

# Modules that add sub-commands; each defines ``register(subparsers) -> None`` and sets
# ``func`` on its parsers (``func(args) -> int``).
_COMMAND_MODULES = (
    "nasbench_lab.benchmark.commands",
    "nasbench_lab.benchmark.import_commands",
    "nasbench_lab.training.commands",
    "nasbench_lab.proxies.commands",
    "nasbench_lab.predictors.commands",
    "nasbench_lab.study.commands",
    "nasbench_lab.oneshot.commands",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="nasbench-lab",
        description="Benchmark-driven NAS on the NAS-Bench-201 cell space: query and import tabular "
        "benchmarks, train and fill entries, evaluate predictors and proxies, run search studies.",
    )
    parser.add_argument("--version", action="version", version=f"nasbench-lab {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency inside the module, not an absent module
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nasbench-lab`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except NasbenchLabError as exc:
        print(f"nasbench-lab: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, KeyboardInterrupt) as exc:
        what = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
        print(f"nasbench-lab: error: {what}", file=sys.stderr)
        return 130 if isinstance(exc, KeyboardInterrupt) else 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
