"""What running a study into a folder that already holds one does: resume, re-report, replace or refuse.

``nasbench-lab study run`` can be run twice. With the same spec (fingerprint) and benchmark file
(SHA-256) as the study already in the folder, the run resumes it: only the missing units run, and a complete
study is only re-reported. A study of another spec or benchmark is refused unless ``overwrite`` is given,
which removes the folder's study files (:data:`~nasbench_lab.study.report.OUTPUT_FILES` and the unit files)
and nothing else, then runs the study afresh.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from nasbench_lab.errors import ConfigError
from nasbench_lab.study.folder import read_manifest
from nasbench_lab.study.report import OUTPUT_FILES


class Rerun(enum.Enum):
    """What a run does with its output folder."""

    NEW = "new"  # the folder holds no study results: run every unit
    RESUME = "resume"  # same spec and benchmark, some units missing: run those
    REPORT = "report"  # same spec and benchmark, every unit done: re-report, run nothing
    REPLACE = "replace"  # overwrite asked: remove the study files, run every unit


@dataclass(frozen=True)
class RerunPlan:
    """The decision of :func:`plan_rerun`.

    Attributes:
        action: what the run does.
        units_found: units already in the folder (the spec's when resuming; all unit files when replacing).
    """

    action: Rerun
    units_found: int


def unit_files(out: Path) -> list[Path]:
    """The unit files in ``out/units/`` (finished units of whatever study the folder holds)."""
    return sorted((out / "units").glob("*.json"))


def plan_rerun(out: Path, fingerprint: str, bench_sha256: str, done: int, total: int, *, overwrite: bool = False,
               resume: bool = False) -> RerunPlan:
    """Decide what a run of a study (``fingerprint`` on the benchmark ``bench_sha256``) does in ``out``.

    Args:
        out: the output folder (may not exist).
        fingerprint: the spec's fingerprint (``StudySpec.fingerprint()``).
        bench_sha256: SHA-256 of the benchmark file.
        done: how many of the spec's units already have a unit file in ``out``.
        total: the spec's number of units.
        overwrite: replace a study of another spec or benchmark (and re-run a matching one afresh).
        resume: the user asked to resume (now the default for a matching folder; refused with ``overwrite``).

    Raises:
        ConfigError: ``resume`` and ``overwrite`` together; ``out`` holds a study of another spec or benchmark
            (or unit files without a readable manifest) and ``overwrite`` is false.
    """
    if resume and overwrite:
        raise ConfigError("--resume keeps the results in the output folder and --overwrite removes them: pass one")
    found = len(unit_files(out))
    has_manifest = (out / "manifest.json").exists()
    if not has_manifest and not found:
        return RerunPlan(Rerun.NEW, 0)
    old = read_manifest(out) if has_manifest else None  # a manifest that is not a study's is an error
    if overwrite:
        return RerunPlan(Rerun.REPLACE, found)
    if old is None:
        raise ConfigError(f"{out} holds {found} unit files but no manifest.json: pass --overwrite to replace them, "
                          "or choose another --out")
    differ = [what for what, same in (("spec", old.get("spec_fingerprint") == fingerprint),
                                      ("benchmark file", old.get("benchmark", {}).get("sha256") == bench_sha256))
              if not same]
    if differ and (found or _has_trajectory_rows(out)):
        raise ConfigError(
            f"{out} holds the results of study {old.get('name')!r} run with a different {' and '.join(differ)}: "
            "pass --overwrite to replace its study files, or choose another --out")
    if differ or not found:  # no results of another study (or none of this one's units yet): run every unit
        return RerunPlan(Rerun.NEW, 0)
    return RerunPlan(Rerun.REPORT if done == total else Rerun.RESUME, done)


def _has_trajectory_rows(out: Path) -> bool:
    """Whether ``out/trajectory.csv`` holds rows (results whose unit files may have been deleted)."""
    try:
        with open(out / "trajectory.csv", encoding="utf-8") as fh:
            fh.readline()  # the header
            return bool(fh.readline())
    except FileNotFoundError:
        return False


def remove_study_files(out: Path) -> list[Path]:
    """Remove the study files of ``out`` (its outputs and unit files) and nothing else.

    Returns:
        The files removed.
    """
    removed = [out / name for name in OUTPUT_FILES if (out / name).is_file()]
    units = out / "units"
    removed += unit_files(out) + sorted(units.glob(".*.part"))  # .part: a unit file being written when stopped
    for path in removed:
        path.unlink()
    if units.is_dir() and not any(units.iterdir()):
        units.rmdir()
    return removed


def rerun_note(plan: RerunPlan, out: Path, total: int) -> str:
    """One line for the user saying what the run did with the results already in ``out`` (empty if none)."""
    if plan.action is Rerun.RESUME:
        return (f"{out} held {plan.units_found} of the {total} units of this study (same spec and benchmark): "
                f"resumed it and ran the {total - plan.units_found} missing units")
    if plan.action is Rerun.REPORT:
        return (f"{out} already holds this complete study (same spec and benchmark): ran nothing, re-reported it; "
                "pass --overwrite to run it again")
    if plan.action is Rerun.REPLACE:
        return f"{out} held a study ({plan.units_found} units): replaced its study files (--overwrite)"
    return ""
