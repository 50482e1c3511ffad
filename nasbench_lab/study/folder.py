"""A study output folder read back: its manifest and its finished units.

The report (:func:`nasbench_lab.study.report.report_study`), the comparison of several studies
(:mod:`nasbench_lab.study.compare`) and the DataFrame loader (:mod:`nasbench_lab.study.frame`) all read a
folder through :func:`read_study`. Units come from ``units/*.json`` (the source of every output) or, if
those files are gone, from ``trajectory.csv``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nasbench_lab.errors import ConfigError
from nasbench_lab.objectives import reported_sign
from nasbench_lab.study.results import UnitResult, load_units, read_trajectory

MANIFEST_FORMAT = "nasbench-lab-study"  # the manifest's "format" field (written by study/manifest.py)


def read_manifest(out: Path) -> dict[str, Any]:
    """The ``manifest.json`` of the study output folder ``out``.

    Raises:
        ConfigError: ``out`` has no readable manifest, or it is not a study manifest.
    """
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        raise ConfigError(f"{out} has no readable manifest.json: is it a study output folder?") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ConfigError(f"{out}/manifest.json is not a study manifest")
    return manifest


@dataclass(frozen=True)
class StudyFolder:
    """A study output folder read back.

    Attributes:
        path: the folder.
        manifest: its ``manifest.json``.
        units: its finished units, in spec order (strategies, then seeds).
    """

    path: Path
    manifest: dict[str, Any]
    units: list[UnitResult]

    @property
    def name(self) -> str:
        """The study's name (from its spec)."""
        return str(self.manifest["name"])

    @property
    def labels(self) -> list[str]:
        """Strategy labels in spec order."""
        return [str(s["label"]) for s in self.manifest["spec"]["strategies"]]

    @property
    def seeds(self) -> list[int]:
        """Seed values of the spec."""
        return [int(s) for s in self.manifest["spec"]["seeds"]]

    @property
    def dataset(self) -> str:
        """The dataset searched (whose objective the strategies observe)."""
        return str(self.manifest["spec"]["dataset"])

    @property
    def objective_metric(self) -> str:
        """The metric the strategies observe, e.g. ``valid_acc``."""
        return str(self.manifest["spec"]["objective"]["metric"])

    @property
    def reported_metric(self) -> str:
        """The reported metric, e.g. ``test_acc``."""
        return str(self.manifest["reported_best"]["metric"])

    @property
    def reported_dataset(self) -> str:
        """The dataset of the reported metric."""
        return str(self.manifest["reported_best"]["dataset"])

    @property
    def sign(self) -> float:
        """``-1`` when the reported metric is minimised (a loss, a cost), else ``+1``: regret is ``sign * (best - reported)``."""
        return reported_sign(self.reported_metric)

    @property
    def best(self) -> float:
        """The table's best reported value (regret zero)."""
        return float(self.manifest["reported_best"]["value"])

    @property
    def units_total(self) -> int:
        """Units of the whole study (strategies x seeds)."""
        return int(self.manifest["units_total"])


def read_study(out: str | Path) -> StudyFolder:
    """The manifest and finished units of the study output folder ``out``.

    Raises:
        ConfigError: ``out`` is not a study output folder.
        NasbenchLabError: a unit file or the trajectory file is damaged.
    """
    out = Path(out)
    manifest = read_manifest(out)
    folder = StudyFolder(out, manifest, [])
    units = load_units(out / "units", folder.labels, folder.seeds)
    if not units and (out / "trajectory.csv").exists():  # unit files deleted: the trajectory still has them
        units = read_trajectory(out / "trajectory.csv")
    return StudyFolder(out, manifest, units)


def study_labels(studies: list[StudyFolder]) -> list[str]:
    """A label per study for tables and legends: its name, or its folder's path where names repeat."""
    names = [s.name for s in studies]
    labels = [s.name if names.count(s.name) == 1 else str(s.path) for s in studies]
    if len(set(labels)) < len(labels):
        raise ConfigError(f"the same study folder is given twice: {', '.join(labels)}")
    return labels
