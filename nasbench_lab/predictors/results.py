"""The rows of a predictor evaluation and what is made of them: summary, tables, CSV and JSON files.

One row per (predictor, train size, fidelity, trial), keys :data:`COLUMNS` (what each column means:
:mod:`.evaluate`). :class:`EvaluationResult` summarises the rows over trials and writes them out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from nasbench_lab.predictors.protocol import Protocol

SCORE_COLUMNS: tuple[str, ...] = (
    "kendall_tau", "spearman", "pearson", "mae", "rmse", "precision_at_10", "precision_at_20",
)
TIME_COLUMNS: tuple[str, ...] = ("fit_time", "query_time", "train_time")
COLUMNS: tuple[str, ...] = (
    "predictor", "name", "trial", "train_size", "fidelity", "n_test", "n_dropped", "status", "error",
    *SCORE_COLUMNS, *TIME_COLUMNS, "diagnostics",
)


@dataclass
class EvaluationResult:
    """Rows of one evaluation plus the trial-0 predictions for scatter plots.

    Attributes:
        rows: one dict per (predictor, train size, fidelity, trial), keys :data:`COLUMNS`.
        predictions: ``(label, train_size, fidelity)`` -> ``(y_true, y_pred)`` of trial 0.
        protocol: the settings.
        labels: predictor labels in the order given.
    """

    rows: list[dict[str, Any]]
    predictions: dict[tuple, tuple[np.ndarray, np.ndarray]]
    protocol: Protocol
    labels: list[str]

    def summary(self) -> list[dict[str, Any]]:
        """Per (predictor, train size, fidelity): trial counts, archs dropped over all trials (inputs the
        predictor cannot use), errors, and mean/std/se of each score.

        Statistics are over the ``ok`` trials; ``std`` uses ``ddof=1`` and is NaN with one trial; a
        score that is NaN in any ok trial (e.g. a constant prediction's correlation) has a NaN mean.
        """
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for row in self.rows:
            groups.setdefault((row["predictor"], row["train_size"], row["fidelity"]), []).append(row)
        out = []
        for (label, size, k), rows in groups.items():
            ok = [r for r in rows if r["status"] == "ok"]
            entry: dict[str, Any] = {
                "predictor": label, "name": rows[0]["name"], "train_size": size, "fidelity": k,
                "trials": len(rows), "failed": len(rows) - len(ok),
                "dropped": int(sum(r.get("n_dropped", 0) for r in rows)),
                "errors": sorted({r["error"] for r in rows if r["error"]}),
            }
            for col in (*SCORE_COLUMNS, *TIME_COLUMNS):
                values = np.array([r[col] for r in ok], dtype=np.float64)
                entry[col] = _stats(values)
            out.append(entry)
        return out

    def write_csv(self, path: str | os.PathLike) -> None:
        """All rows, columns :data:`COLUMNS`; NaN written as ``nan``, a missing fidelity as empty."""
        import csv

        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: "" if row[k] is None else row[k] for k in COLUMNS})

    def write_summary(self, path: str | os.PathLike) -> None:
        """The settings and :meth:`summary` as JSON (NaN written as ``null``)."""
        import dataclasses
        import json

        doc = {"protocol": dataclasses.asdict(self.protocol), "predictors": self.labels, "summary": self.summary()}
        with open(path, "w") as fh:
            json.dump(_json_safe(doc), fh, indent=1)

    def table(self) -> list[dict[str, Any]]:
        """:meth:`summary` flattened to one row per (predictor, train size, fidelity): ``<score>_mean``,
        ``<score>_se`` for every score and the mean of each time column."""
        out = []
        for entry in self.summary():
            row = {k: entry[k] for k in ("predictor", "train_size", "fidelity", "trials", "failed", "dropped")}
            for col in SCORE_COLUMNS:
                row[f"{col}_mean"], row[f"{col}_se"] = entry[col]["mean"], entry[col]["se"]
            row.update({f"{col}_mean": entry[col]["mean"] for col in TIME_COLUMNS})
            out.append(row)
        return out

    def format_table(self) -> str:
        """:meth:`table`'s Kendall tau column as aligned text, one line per (predictor, train size, fidelity)."""
        lines = [f"{'predictor':<20} {'train':>6} {'k':>4} {'kendall_tau':>12} {'s.e.':>6} {'failed':>7} {'dropped':>8}"]
        for row in self.table():
            k = "" if row["fidelity"] is None else row["fidelity"]
            lines.append(
                f"{row['predictor']:<20} {row['train_size']:>6} {k:>4} {row['kendall_tau_mean']:>12.3f} "
                f"{row['kendall_tau_se']:>6.3f} {row['failed']:>3}/{row['trials']:<3} {row['dropped']:>8}"
            )
        return "\n".join(lines)

    def write_table(self, path: str | os.PathLike) -> None:
        """:meth:`table` as CSV."""
        import csv

        rows = self.table()
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _stats(values: np.ndarray) -> dict[str, float]:
    n = values.size
    if n == 0:
        return {"mean": float("nan"), "std": float("nan"), "se": float("nan")}
    std = float(np.std(values, ddof=1)) if n > 1 else float("nan")
    return {"mean": float(np.mean(values)), "std": std, "se": std / np.sqrt(n)}
