"""Oneshot runner: every seed of a spec on an executor, resumable, then the table's verdict and the files.

Seeds are units of :mod:`nasbench_lab.execution` (one process per seed with ``local``/``ray``; ``local``
with one worker runs in this process). Each finished seed is written at once, atomically, to
``OUT/units/seed-<seed>.json``, so an interrupted run resumes: a folder that holds this spec's runs (same
fingerprint) runs only the missing seeds; one holding another spec is refused unless ``overwrite``
(which removes this module's files and nothing else). The table lookups happen here, in the main
process, after the searches (:mod:`nasbench_lab.oneshot.report`).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from nasbench_lab.errors import ConfigError
from nasbench_lab.execution import make_executor, run_all
from nasbench_lab.oneshot.engine import SearchWork, SeedRun
from nasbench_lab.oneshot.plots import plot_alpha, plot_op_share, plot_trajectory
from nasbench_lab.oneshot.report import (
    finals,
    finals_csv,
    read_table,
    summary_csv,
    summary_line,
    summary_markdown,
    summary_rows,
    trajectory_csv,
)
from nasbench_lab.oneshot.spec import OneshotSpec
from nasbench_lab.provenance import sha256_file, utc_now
from nasbench_lab.study.manifest import manifest_environment, write_manifest
from nasbench_lab.study.results import write_atomic

log = logging.getLogger(__name__)

MANIFEST_FORMAT = "nasbench-lab-oneshot"
OUTPUT_FILES = ("manifest.json", "trajectory.csv", "finals.csv", "summary.csv", "summary.md", "op_share.png",
                "op_share.pdf", "trajectory.png", "trajectory.pdf")


@dataclass(frozen=True)
class OneshotOutcome:
    """What a run (or a re-report) produced.

    Attributes:
        out: the output folder.
        summary: the summary as Markdown.
        seeds_done: seeds with a finished run in the folder.
        seeds_total: the spec's seeds.
        note: what the run did with results already in the folder (empty if none).
    """

    out: Path
    summary: str
    seeds_done: int
    seeds_total: int
    note: str = ""


def unit_path(out: Path, seed: int) -> Path:
    """The file of seed ``seed``'s finished run."""
    return out / "units" / f"seed-{seed}.json"


def _bench_path(spec: OneshotSpec) -> Path:
    from nasbench_lab.resources import default_benchmark_path

    return Path(spec.benchmark) if spec.benchmark is not None else default_benchmark_path()


def _check_folder(out: Path, spec: OneshotSpec, overwrite: bool) -> str:
    """Refuse a folder holding another spec's runs (unless ``overwrite``: remove them); returns a note."""
    units = sorted((out / "units").glob("seed-*.json"))
    if not units:
        return ""
    try:
        same = _read_manifest(out).get("spec_fingerprint") == spec.fingerprint()
    except ConfigError:  # seed files without a readable oneshot manifest: not known to be this spec's
        same = False
    if same and not overwrite:
        return f"{out} held {len(units)} finished seed(s) of this spec: resumed, ran only the missing ones"
    if not overwrite:
        raise ConfigError(f"{out} holds oneshot runs of another spec: pass --overwrite to replace them, or choose another --out")
    for path in units + [out / name for name in OUTPUT_FILES] + sorted(out.glob("alpha-seed*.p*")):
        path.unlink(missing_ok=True)
    return f"{out}: replaced {len(units)} finished seed(s) of an earlier run (--overwrite)"


def run_oneshot(spec: OneshotSpec, out: str | Path, *, workers: int = 1, executor: str = "local",
                address: str | None = None, gpus_per_task: float = 0.0, device: str = "cpu", threads: int = 1,
                data_root: str | None = None, overwrite: bool = False, fill_missing: bool | None = None,
                progress: bool = True, plots: bool = True) -> OneshotOutcome:
    """Run every seed of ``spec`` (those not finished in ``out`` yet) and write the output folder.

    Args:
        spec: the search.
        out: output folder (created).
        workers: parallel seeds (processes); results do not depend on it.
        executor: ``local``, ``ray`` or ``inline`` (:mod:`nasbench_lab.execution`).
        address: Ray cluster address (``ray`` only).
        gpus_per_task: GPUs each Ray task reserves (``ray`` only).
        device: ``cpu`` or a CUDA device, for every seed.
        threads: CPU threads per seed.
        data_root: data directory of file-based datasets.
        overwrite: replace another spec's runs in ``out``.
        fill_missing: train the picks' missing table entries (default: the spec's ``fill_missing``).
        progress: show a progress bar over seeds.
        plots: draw the figures (PNG and PDF; about a second each).

    Raises:
        ConfigError: bad spec or options, or ``out`` holds another spec's runs.
        NasbenchLabError: a seed's run failed (the message names it).
    """
    from nasbench_lab.benchmark.store import Benchmark

    out = Path(out)
    bench_path = _bench_path(spec)
    with Benchmark.open(bench_path) as bench:
        recipe = bench.recipe(spec.dataset, spec.recipe)
    cfg = spec.search.training_config(recipe.config)
    runner = make_executor(executor, workers=workers, address=address, gpus_per_task=gpus_per_task, isolate=False)
    note = _check_folder(out, spec, overwrite)
    (out / "units").mkdir(parents=True, exist_ok=True)
    manifest = {"format": MANIFEST_FORMAT, "name": spec.name, "spec": spec.to_dict(), "spec_fingerprint": spec.fingerprint(),
                "search_config": cfg, "benchmark": {"path": str(bench_path), "sha256": sha256_file(bench_path)},
                "executor": executor, "workers": workers, "device": device, "threads": threads, **manifest_environment()}
    write_manifest(out / "manifest.json", dict(manifest, complete=False))
    todo = [s for s in spec.seeds if not unit_path(out, s).exists()]
    log.info("oneshot %s: %d seeds, %d to run (%s executor, %d workers)", spec.name, len(spec.seeds), len(todo), executor, workers)
    work = SearchWork(spec, cfg, device, threads, data_root)
    bar = tqdm(total=len(spec.seeds), initial=len(spec.seeds) - len(todo), desc=f"{spec.name}: seeds", unit="seed",
               disable=None if progress else True)
    with bar, closing(run_all(runner, work, todo)) as outcomes:
        for outcome in outcomes:
            run = outcome.unwrap(f"{spec.name}, seed {outcome.item}")
            write_atomic(unit_path(out, run.seed), json.dumps(run.to_json()))
            bar.update(1)
    fill = spec.fill_missing if fill_missing is None else fill_missing
    report = report_oneshot(out, fill_missing=fill, device=device, threads=threads, plots=plots)
    write_manifest(out / "manifest.json", dict(manifest, complete=report.seeds_done == len(spec.seeds), finished=utc_now()))
    return OneshotOutcome(report.out, report.summary, report.seeds_done, len(spec.seeds), note)


def load_runs(out: Path, seeds: list[int]) -> list[SeedRun]:
    """The finished runs in ``out`` among ``seeds``, in seed order."""
    return [SeedRun.from_json(json.loads(unit_path(out, s).read_text(encoding="utf-8")))
            for s in seeds if unit_path(out, s).exists()]


def report_oneshot(out: str | Path, *, fill_missing: bool = False, device: str = "cpu", threads: int = 1,
                   plots: bool = True) -> OneshotOutcome:
    """(Re-)write the trajectory, finals, summary and plots of the runs saved in ``out`` and return the summary.

    Args:
        out: a oneshot output folder.
        fill_missing: train the picks' missing table entries through the fill path (else: reported missing).
        device, threads: where such entries train.
        plots: draw the figures too.

    Raises:
        ConfigError: ``out`` is not a oneshot output folder, or holds no finished run.
    """
    from nasbench_lab.benchmark.store import Benchmark
    from nasbench_lab.training.fill import OnDemandFiller, default_job

    out = Path(out)
    manifest = _read_manifest(out)
    seeds = list(manifest["spec"]["seeds"])
    runs = load_runs(out, seeds)
    if not runs:
        raise ConfigError(f"{out} holds no finished seed yet: run the spec first (nasbench-lab oneshot run SPEC --out {out})")
    bench_path = manifest["benchmark"]["path"]
    filler = OnDemandFiller(bench_path, default_job(device=device, threads=threads)) if fill_missing else None
    needed = sorted({e.arch_index for r in runs for e in r.epochs}) if fill_missing else []
    with Benchmark.open(bench_path, fill_missing=filler) as bench:
        table = read_table(bench, manifest["spec"]["dataset"], manifest["spec"]["recipe"], needed)
    label = str(manifest["name"])
    rows, final_rows = summary_rows(label, runs, table), finals(runs, table)
    summary = summary_markdown(rows, table, final_rows)
    for name, text in (("trajectory.csv", trajectory_csv(runs, table)), ("finals.csv", finals_csv(final_rows)),
                       ("summary.csv", summary_csv(rows)), ("summary.md", f"# {label}\n\n{summary}")):
        write_atomic(out / name, text)
    if plots:
        for run in runs:
            plot_alpha(run, out / f"alpha-seed{run.seed}", f"{label}, seed {run.seed}")
        plot_op_share(runs, out / "op_share", label)
        best = int(np.nanargmax(table.valid_acc))
        plot_trajectory(runs, table.valid_acc, table.test_acc, out / "trajectory", label, float(table.test_acc[best]))
    return OneshotOutcome(out, summary, len(runs), len(seeds))


def compare_oneshot(dirs: Sequence[Path]) -> str:
    """One Markdown table of several oneshot folders: each method's row and its random-search row.

    Reads each folder's ``summary.csv``, written by :func:`report_oneshot` when it has none yet.
    """
    lines = ["| method | seeds | table valid acc | table test acc | one-shot valid acc | search s | param-free edges | "
             "skip edges | missing |", "|---|---|---|---|---|---|---|---|---|"]
    for folder in dirs:
        if not (Path(folder) / "summary.csv").is_file():
            report_oneshot(folder, plots=False)
        with open(Path(folder) / "summary.csv", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))[1:3]  # the method, then random search at its time
        lines += [summary_line(row) for row in rows]
    return "\n".join(lines) + "\n"


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        raise ConfigError(f"{out} has no readable manifest.json: is it a oneshot output folder?") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ConfigError(f"{out}/manifest.json is not a oneshot manifest")
    return manifest
