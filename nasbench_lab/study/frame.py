"""Study results as one tidy pandas DataFrame: :func:`load_results`.

One row per query of every finished unit of every study folder given, with the study's name, datasets
and metrics beside each row, so that several studies can be filtered, grouped and plotted together::

    from nasbench_lab.study import load_results
    df = load_results("results/quickstart", "results/qs-other")
    final = df.groupby(["study", "strategy", "seed"]).last()
    final.groupby(["study", "strategy"])["regret"].agg(["mean", "sem"])

pandas is imported when :func:`load_results` is called, not with this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.study.folder import StudyFolder, read_study, study_labels
from nasbench_lab.study.results import UNKNOWN_INCUMBENT, regret

if TYPE_CHECKING:
    import pandas

# Columns of the DataFrame of :func:`load_results`, in order.
RESULT_COLUMNS: tuple[str, ...] = (
    "study", "dataset", "objective_metric", "reported_dataset", "reported_metric", "strategy", "seed", "step",
    "arch", "epochs", "objective", "incumbent", "reported", "regret", "simulated_time",
)


def load_results(*dirs: str | Path) -> pandas.DataFrame:
    """The finished units of one or more study output folders as one tidy DataFrame, one row per query.

    Columns (``RESULT_COLUMNS``): ``study`` (the study's name; its folder's path where two folders hold
    studies of the same name), ``dataset`` and ``objective_metric`` (what
    the strategies observed), ``reported_dataset`` and ``reported_metric``, ``strategy`` (label), ``seed``,
    ``step`` (1-based query number), ``arch`` (index queried), ``epochs`` (curve columns trained),
    ``objective`` (observed), ``incumbent`` (index of the incumbent after the query; ``<NA>`` in studies
    saved before it was recorded), ``reported`` (the incumbent's reported metric), ``regret`` (the study's
    table best minus ``reported``: each study's regret is to its own table's best) and ``simulated_time``
    (cumulative simulated seconds). Rows keep each study's spec order (strategies, then seeds).

    Args:
        dirs: study output folders (``study run``'s ``--out``); a partial study gives its finished units.

    Returns:
        The DataFrame (an empty one, with these columns, if no unit has finished).

    Raises:
        ConfigError: no folder given, or a folder is not a study output folder.
    """
    import pandas as pd

    if not dirs:
        raise ConfigError("load_results needs at least one study output folder")
    studies = [read_study(d) for d in dirs]
    frames = [_study_frame(s, label) for s, label in zip(studies, study_labels(studies))]
    return pd.concat(frames, ignore_index=True)


def _study_frame(study: StudyFolder, label: str) -> pandas.DataFrame:
    """The rows of one study folder, its ``study`` column set to ``label``."""
    import pandas as pd

    units = study.units
    n = np.asarray([u.n_queries for u in units], dtype=np.int64)

    def cat(name: str, dtype: type) -> np.ndarray:
        return np.concatenate([getattr(u, name) for u in units]).astype(dtype) if units else np.zeros(0, dtype)

    reported = cat("reported", np.float64)
    incumbent = cat("incumbent", np.int64)
    data = {
        "study": label, "dataset": study.dataset, "objective_metric": study.objective_metric,
        "reported_dataset": study.reported_dataset, "reported_metric": study.reported_metric,
        "strategy": np.repeat(np.asarray([u.strategy for u in units], dtype=object), n),
        "seed": np.repeat(np.asarray([u.seed for u in units], dtype=np.int64), n),
        "step": np.concatenate([np.arange(1, k + 1) for k in n]) if units else np.zeros(0, np.int64),
        "arch": cat("arch", np.int64), "epochs": cat("epochs", np.int64), "objective": cat("objective", np.float64),
        "incumbent": pd.arrays.IntegerArray(incumbent, mask=incumbent == UNKNOWN_INCUMBENT),
        "reported": reported, "regret": regret(reported, study.best, study.sign), "simulated_time": cat("simulated_time", np.float64),
    }
    return pd.DataFrame(data, index=pd.RangeIndex(int(n.sum())), columns=list(RESULT_COLUMNS))
