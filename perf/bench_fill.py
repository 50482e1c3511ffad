"""Fill throughput: entries/hour of ``nasbench-lab fill`` on this machine's cores vs a plain loop.

Reference (same run, same archs, same recipe): a sequential Python loop of ``train()`` calls in one
process with one thread, results kept in memory (no journal, no file). The fill runs the same archs
through the local executor (``--workers`` processes, worker start-up included), journalling and
fsyncing every entry and folding into a fresh HDF5 file every ``--fold-every`` entries.

A second figure isolates the engine's own overhead: the same fill with a trainer that returns at once,
so the rate is bounded only by the journal, the folds and the process pool.

Usage: .venv/bin/python perf/bench_fill.py [--archs 24] [--workers 2] [--recipe digits]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nasbench_lab.benchmark.schema import CURVE_METRICS, RunRecord
from nasbench_lab.execution.local import LocalExecutor
from nasbench_lab.space import Arch
from nasbench_lab.training.fill import ArchSelection, fill
from nasbench_lab.training.jobs import TrainJob, default_job, fill_provenance
from nasbench_lab.training.journal import BenchmarkTarget
from nasbench_lab.training.recipes import get_recipe
from nasbench_lab.training.trainer import train


def instant_train(arch: Arch, dataset: str, recipe, seed: int, **_options) -> RunRecord:
    """A trainer that costs nothing: isolates the engine's overhead."""
    curves = {name: np.full(recipe.n_epochs, float(arch.index % 97)) for name in CURVE_METRICS}
    return RunRecord(arch_index=arch.index, seed=seed, curves=curves, eval_time=0.0)


def run_fill(path: Path, archs: np.ndarray, recipe, workers: int, fold_every: int, job: TrainJob) -> tuple[float, float]:
    """Seconds for the whole fill and seconds until its first entry came back."""
    selection = ArchSelection("list", tuple(int(a) for a in archs))
    start = time.perf_counter()
    report = fill(
        str(path), "digits", recipe, [0], selection, executor=LocalExecutor(workers), job=job,
        target=BenchmarkTarget(path, fill_provenance("cpu")), fold_every=fold_every, progress=False,
    )
    seconds = time.perf_counter() - start
    assert report.trained == len(archs) and not report.failed, report
    return seconds, report.startup_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=24, help="entries per measurement")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--recipe", default="digits")
    parser.add_argument("--fold-every", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    recipe = get_recipe(args.recipe)
    archs = np.random.default_rng(0).choice(15625, size=args.archs, replace=False)

    start = time.perf_counter()
    for arch in archs:
        train(int(arch), "digits", recipe, 0, threads=1)
    loop_seconds = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        fill_seconds, startup = run_fill(Path(tmp) / "a.h5", archs, recipe, args.workers, args.fold_every, default_job())
        n_overhead = 20 * args.archs
        overhead_archs = np.random.default_rng(1).choice(15625, size=n_overhead, replace=False)
        overhead_seconds, _ = run_fill(
            Path(tmp) / "b.h5", overhead_archs, recipe, args.workers, args.fold_every, TrainJob(instant_train)
        )

    loop_rate = 3600 * args.archs / loop_seconds
    fill_rate = 3600 * args.archs / fill_seconds
    print(f"recipe {args.recipe}, {args.archs} entries, {args.workers} workers, fold every {args.fold_every}")
    print(f"reference: sequential train() loop, 1 process: {loop_rate:8.0f} entries/hour ({loop_seconds:.1f} s)")
    print(f"nasbench-lab fill, {args.workers} workers:         {fill_rate:8.0f} entries/hour ({fill_seconds:.1f} s)")
    print(f"ratio fill / reference: {fill_rate / loop_rate:.2f}x")
    steady = 3600 * (args.archs - 1) / (fill_seconds - startup)
    print(
        f"  of which worker start-up until the first entry: {startup:.1f} s; after it: {steady:.0f} entries/hour "
        f"({steady / loop_rate:.2f}x the reference)"
    )
    print(
        f"engine overhead bound (instant trainer, {n_overhead} entries): "
        f"{3600 * n_overhead / overhead_seconds:.0f} entries/hour ({overhead_seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
