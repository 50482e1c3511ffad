"""Several studies compared in one table and one plot (``nasbench-lab study report DIR1 DIR2 ... --out OUT``).

Every strategy of every study becomes one row and one curve, labelled ``study/strategy``. Regret is
measured, for each study, to the best reported value of *its own* table (the table says so and gives
that best): studies run on different benchmark files compare by regret, not by raw reported values.
Studies whose reported metric or reported dataset differ are refused unless ``allow_mixed`` is given.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.study.folder import StudyFolder, read_study, study_labels
from nasbench_lab.study.plots import plot_regret_groups
from nasbench_lab.study.report import SUMMARY_HEADER, StrategySummary, summarize, summary_cells
from nasbench_lab.study.results import UnitResult, group_units, write_atomic

# The files of a comparison in its output folder.
COMPARISON_FILES: tuple[str, ...] = ("comparison.csv", "comparison.md", "comparison.png", "comparison.pdf")


@dataclass(frozen=True)
class ComparedStrategy:
    """One strategy of one study in a comparison.

    Attributes:
        study: the study's label (its name, or its folder where names repeat).
        reported: ``"<reported dataset> <reported metric>"`` of the study.
        best: the study's table best (its regret is measured to this).
        summary: the strategy's summary over its seeds.
    """

    study: str
    reported: str
    best: float
    summary: StrategySummary

    @property
    def label(self) -> str:
        """``study/strategy``."""
        return f"{self.study}/{self.summary.strategy}"


def check_comparable(studies: Sequence[StudyFolder], labels: Sequence[str], allow_mixed: bool) -> None:
    """Refuse studies whose reported metric or dataset differ, unless ``allow_mixed``.

    Raises:
        ConfigError: the studies report different metrics or datasets and ``allow_mixed`` is false.
    """
    reported = {(s.reported_dataset, s.reported_metric) for s in studies}
    if len(reported) > 1 and not allow_mixed:
        what = ", ".join(f"{label}: {s.reported_dataset} {s.reported_metric}" for s, label in zip(studies, labels))
        raise ConfigError(f"these studies report different metrics or datasets ({what}): their regrets do not "
                          "compare; pass --allow-mixed to compare them anyway")


def compared_strategies(studies: Sequence[StudyFolder], labels: Sequence[str]) -> list[ComparedStrategy]:
    """One :class:`ComparedStrategy` per (study, strategy) with finished units, in the order given."""
    rows = []
    for study, label in zip(studies, labels):
        reported = f"{study.reported_dataset} {study.reported_metric}"
        rows += [ComparedStrategy(label, reported, study.best, r) for r in summarize(study.units, study.best, study.labels, study.sign)]
    return rows


def comparison_markdown(rows: Sequence[ComparedStrategy], metric: str) -> str:
    """The comparison table as Markdown, with the note that regret is to each study's own table best."""
    header = ["reported", "table best", *(h.format(metric=metric) for h in SUMMARY_HEADER)]
    lines = [
        "Regret is measured for each study to the best reported value of its own table (`table best`).", "",
        "| study/strategy | " + " | ".join(header) + " |", "|---|---|" + "---:|" * (len(header) - 1),
    ]
    lines += [f"| {r.label} | {r.reported} | {r.best:.3f} | " + " | ".join(summary_cells(r.summary)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def comparison_csv(rows: Sequence[ComparedStrategy]) -> str:
    """The comparison table as CSV text (floats as ``repr``)."""
    fields = [f for f in StrategySummary.__dataclass_fields__ if f != "strategy"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["study", "strategy", "reported", "table_best", *fields])
    for r in rows:
        values = [getattr(r.summary, f) for f in fields]
        writer.writerow([r.study, r.summary.strategy, r.reported, repr(r.best),
                         *(v if isinstance(v, int) else repr(v) for v in values)])
    return buf.getvalue()


def compare_studies(dirs: Sequence[str | Path], out: str | Path, *, allow_mixed: bool = False) -> str:
    """Compare the study folders ``dirs`` in one table and one regret plot written to ``out``.

    Writes ``comparison.csv``, ``comparison.md`` and ``comparison.{png,pdf}`` (``COMPARISON_FILES``).

    Args:
        dirs: study output folders (finished or partial).
        out: the folder to write to (created).
        allow_mixed: compare studies whose reported metric or dataset differ.

    Returns:
        The comparison table as Markdown.

    Raises:
        ConfigError: a folder is not a study, or the studies report different metrics and not ``allow_mixed``.
        NasbenchLabError: no study has a finished unit.
    """
    studies = [read_study(d) for d in dirs]
    labels = study_labels(studies)
    check_comparable(studies, labels, allow_mixed)
    rows = compared_strategies(studies, labels)
    if not rows:
        raise NasbenchLabError("none of these studies has a finished unit: nothing to compare")
    metrics = sorted({s.reported_metric for s in studies})
    datasets = sorted({s.reported_dataset for s in studies})
    text = comparison_markdown(rows, metrics[0] if len(metrics) == 1 else "reported")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "comparison.csv", comparison_csv(rows))
    write_atomic(out / "comparison.md", text)
    grouped: dict[str, list[UnitResult]] = {}
    best: dict[str, float] = {}
    signs: dict[str, float] = {}
    for study, label in zip(studies, labels):
        for strategy, units in group_units(study.units, study.labels).items():
            key = f"{label}/{strategy}"
            grouped[key], best[key], signs[key] = units, study.best, study.sign
    plot_regret_groups(grouped, best, out / "comparison", ylabel=f"regret of {' / '.join(metrics)} (to own table best)",
                       title=f"{', '.join(labels)}: regret of {' / '.join(metrics)} on {' / '.join(datasets)}", sign=signs)
    return text
