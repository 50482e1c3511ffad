"""Tests of nasbench_lab/study/rerun.py (and run_study's use of it): running a study into a folder that holds one."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.study.pareto_report import PARETO_FILES
from nasbench_lab.study.report import OUTPUT_FILES
from nasbench_lab.study.rerun import Rerun, plan_rerun, remove_study_files
from nasbench_lab.study.runner import run_study
from study.study_fakes import make_spec

SINGLE_OBJECTIVE_FILES = set(OUTPUT_FILES) - set(PARETO_FILES)  # a study without [[objectives]] writes these


def _copy(finished_study: Path, tmp_path: Path) -> Path:
    out = tmp_path / "o"
    shutil.copytree(finished_study, out)
    return out


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_plan_for_an_empty_folder_is_new(tmp_path: Path) -> None:
    assert plan_rerun(tmp_path / "absent", "f", "h", 0, 4).action is Rerun.NEW
    assert plan_rerun(tmp_path, "f", "h", 0, 4, resume=True).action is Rerun.NEW


def test_plan_matches_spec_and_benchmark(finished_study: Path) -> None:
    old = _manifest(finished_study)
    fingerprint, sha = old["spec_fingerprint"], old["benchmark"]["sha256"]
    assert plan_rerun(finished_study, fingerprint, sha, 4, 4).action is Rerun.REPORT
    assert plan_rerun(finished_study, fingerprint, sha, 3, 4).action is Rerun.RESUME
    assert plan_rerun(finished_study, fingerprint, sha, 4, 4, overwrite=True).action is Rerun.REPLACE
    with pytest.raises(ConfigError, match=r"different spec: pass --overwrite"):
        plan_rerun(finished_study, "other", sha, 0, 4)
    with pytest.raises(ConfigError, match=r"different spec and benchmark file"):
        plan_rerun(finished_study, "other", "other", 0, 4, resume=True)
    with pytest.raises(ConfigError, match=r"different benchmark file"):
        plan_rerun(finished_study, fingerprint, "other", 4, 4)
    with pytest.raises(ConfigError, match="pass one"):
        plan_rerun(finished_study, fingerprint, sha, 4, 4, resume=True, overwrite=True)


def test_unit_files_without_manifest_are_refused(finished_study: Path, tmp_path: Path) -> None:
    out = _copy(finished_study, tmp_path)
    (out / "manifest.json").unlink()
    with pytest.raises(ConfigError, match="no manifest.json: pass --overwrite"):
        plan_rerun(out, "f", "h", 0, 4)
    assert plan_rerun(out, "f", "h", 0, 4, overwrite=True).action is Rerun.REPLACE


def test_a_trajectory_without_unit_files_is_a_study(finished_study: Path, tmp_path: Path) -> None:
    """A folder whose unit files were deleted still holds results (report_study reads its trajectory)."""
    out = _copy(finished_study, tmp_path)
    shutil.rmtree(out / "units")
    sha = _manifest(out)["benchmark"]["sha256"]
    with pytest.raises(ConfigError, match="different spec"):
        plan_rerun(out, "other", sha, 0, 4)
    (out / "trajectory.csv").write_text((out / "trajectory.csv").read_text().splitlines()[0] + "\n")
    assert plan_rerun(out, "other", sha, 0, 4).action is Rerun.NEW  # a header only: no results to lose


def test_remove_study_files_keeps_other_files(finished_study: Path, tmp_path: Path) -> None:
    out = _copy(finished_study, tmp_path)
    (out / "notes.txt").write_text("mine")
    (out / "units" / "keep.txt").write_text("mine too")
    removed = remove_study_files(out)
    assert len(removed) == len(SINGLE_OBJECTIVE_FILES) + 4
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["notes.txt", "units", "units/keep.txt"]


def test_a_study_writes_only_the_files_overwrite_removes(finished_study: Path) -> None:
    """Every file a study writes is a study file, so --overwrite leaves no stale output behind."""
    assert {p.name for p in finished_study.iterdir() if p.is_file()} == SINGLE_OBJECTIVE_FILES


def test_rerun_of_a_complete_study_reports_without_running(finished_study: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from nasbench_lab.study import runner

    out = _copy(finished_study, tmp_path)
    trajectory = (out / "trajectory.csv").read_bytes()
    (out / "summary.md").unlink()
    monkeypatch.setattr(runner, "run_units", lambda *a, **k: pytest.fail("a complete study ran units"))
    outcome = run_study(make_spec(Path(_manifest(out)["benchmark"]["path"])), out, progress=False)
    assert outcome.complete and "re-reported" in outcome.note and "--overwrite" in outcome.note
    assert (out / "summary.md").read_text() == outcome.summary and "| REA | 2 |" in outcome.summary
    assert (out / "trajectory.csv").read_bytes() == trajectory


def test_overwrite_replaces_another_study(finished_study: Path, tmp_path: Path) -> None:
    out = _copy(finished_study, tmp_path)
    (out / "notes.txt").write_text("mine")
    bench = Path(_manifest(out)["benchmark"]["path"])
    other = dataclasses.replace(make_spec(bench), seeds=(5,))
    with pytest.raises(ConfigError, match="different spec"):
        run_study(other, out, progress=False)
    outcome = run_study(other, out, overwrite=True, progress=False)
    assert outcome.complete and outcome.units_done == 2 and "replaced" in outcome.note
    assert len(list((out / "units").glob("*.json"))) == 2 and (out / "notes.txt").read_text() == "mine"
    assert _manifest(out)["spec"]["seeds"] == [5]
    run_study(other, tmp_path / "fresh", progress=False)
    assert (out / "trajectory.csv").read_bytes() == (tmp_path / "fresh" / "trajectory.csv").read_bytes()
