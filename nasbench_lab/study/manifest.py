"""The manifest of a study output folder: what was run, on which benchmark, with which code.

``manifest.json`` records the spec (and its fingerprint), the benchmark file's SHA-256, the table's best
reported arch, the executor, package/git/library versions and start/finish times. A resumed study must
match the spec fingerprint and the benchmark hash of the results it continues.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import platform
import subprocess
from pathlib import Path
from typing import Any

from nasbench_lab.errors import ConfigError
from nasbench_lab.provenance import sha256_file, utc_now
from nasbench_lab.study.folder import MANIFEST_FORMAT
from nasbench_lab.study.mo_table import multi_manifest
from nasbench_lab.study.results import write_atomic
from nasbench_lab.study.spec import StudySpec
from nasbench_lab.study.table import StudyTable

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically (sorted keys, indented)."""
    write_atomic(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _git_commit() -> tuple[str | None, bool | None]:
    """Commit of the git checkout holding this package and whether tracked files differ from it."""
    where = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(dirty)


def manifest_environment() -> dict[str, Any]:
    """Package version, git commit, Python/numpy/torch versions, platform and start time, for a manifest."""
    from nasbench_lab import __version__

    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    commit, dirty = _git_commit()
    return {
        "package_version": __version__, "git_commit": commit, "git_dirty": dirty,
        "versions": {"python": platform.python_version(), "numpy": version("numpy"), "torch": version("torch")},
        "platform": platform.platform(), "started": utc_now(),
    }


def start_manifest(spec: StudySpec, out: Path, table: StudyTable, *, resume: bool, executor: str, workers: int,
                   spec_text: str | None) -> dict[str, Any]:
    """The manifest of a starting (or resumed) study in ``out``.

    Raises:
        ConfigError: ``out`` holds results of another spec or benchmark, or results and ``resume`` is false.
    """
    bench_path = Path(getattr(table.bench, "path", spec.benchmark or ""))
    manifest = {
        "format": MANIFEST_FORMAT, "format_version": MANIFEST_VERSION, "name": spec.name,
        "spec": spec.to_dict(), "spec_fingerprint": spec.fingerprint(), "spec_toml": spec_text,
        "benchmark": {"path": str(bench_path), "sha256": sha256_file(bench_path)},
        "reported_best": dict(zip(("arch", "value"), table.best_reported())) | {
            "metric": spec.reported.metric, "dataset": table.reported_dataset, "recipe": table.reported_recipe.name},
        "executor": executor, "workers": workers, **manifest_environment(),
    }
    if spec.multi is not None:  # reported is a hypervolume or a weighted sum
        manifest.update(multi_manifest(table, spec.multi))
    old_path = out / "manifest.json"
    has_units = any((out / "units").glob("*.json"))
    if has_units and not resume:
        raise ConfigError(f"{out} already holds study results: pass --resume to continue them, or choose another --out")
    if has_units:
        old = json.loads(old_path.read_text(encoding="utf-8")) if old_path.exists() else {}
        if old.get("spec_fingerprint") != manifest["spec_fingerprint"]:
            raise ConfigError(f"{out} holds results of a different spec; resume with the same spec or use another --out")
        if old.get("benchmark", {}).get("sha256") != manifest["benchmark"]["sha256"]:
            raise ConfigError(f"{out} was run on a different benchmark file; resume with the same file or use another --out")
        manifest["started"] = old.get("started", manifest["started"])
        if (old.get("git_commit"), old.get("git_dirty")) != (manifest["git_commit"], manifest["git_dirty"]):
            log.warning("resuming %s with other code (commit %s, was %s): resumed units may differ from a fresh run",
                        out, manifest["git_commit"], old.get("git_commit"))
    return manifest
