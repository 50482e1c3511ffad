"""The table's verdict on a oneshot search, and its files: trajectory, per-seed finals and the summary.

The runner owns the benchmark: it looks every pick up in the table (valid and test accuracy at the
judging recipe's last evaluation point, mean over the seeds the table holds). An entry the table lacks is
NaN and counted as missing, never guessed (or trained first, through the fill path, if the user asked).

The summary gives each method's mean ± standard error over search seeds, beside two reference rows from
the same table: **random search at the same time** (per search seed: as many uniformly random archs as
the run's search seconds buy at the table's mean cost per arch (``train_time`` + ``eval_time``), the best
by table valid accuracy) and the **table optimum** (the best valid accuracy in the table).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nasbench_lab.oneshot.engine import SeedRun
from nasbench_lab.space import EDGES, N_ARCHS, NONE, OPS, POOL, SKIP, Arch
from nasbench_lab.study.report import mean_se, plus_minus

PROB_COLUMNS = tuple(f"p_{s}{d}_{op}" for s, d in EDGES for op in OPS)
TRAJECTORY_COLUMNS = ("searcher", "seed", "epoch", "arch_index", "arch", "oneshot_valid_acc", "table_valid_acc",
                      "table_test_acc", "search_seconds", *PROB_COLUMNS)
FINALS_COLUMNS = ("searcher", "seed", "arch_index", "arch", "oneshot_valid_acc", "table_valid_acc", "table_test_acc",
                  "search_seconds", "wall_seconds", "param_free_edges", "skip_edges")
SUMMARY_COLUMNS = ("method", "seeds", "table_valid_acc", "table_valid_se", "table_test_acc", "table_test_se",
                   "oneshot_valid_acc", "search_seconds", "param_free_share", "skip_share", "missing")
PARAM_FREE = (NONE, SKIP, POOL)


@dataclass(frozen=True)
class Table:
    """The judging table as arrays over all 15,625 archs (NaN where the table has no entry).

    Attributes:
        valid_acc, test_acc: accuracy at the recipe's last evaluation point, mean over seeds, ``(15625,)``.
        cost: seconds to train and evaluate the arch under the recipe, mean over seeds, ``(15625,)``.
        dataset, recipe: what the numbers are of.
    """

    valid_acc: np.ndarray
    test_acc: np.ndarray
    cost: np.ndarray
    dataset: str
    recipe: str

    def lookup(self, index: int) -> tuple[float, float]:
        """``(valid_acc, test_acc)`` of one arch (NaN when missing)."""
        return float(self.valid_acc[index]), float(self.test_acc[index])


def read_table(bench: Any, dataset: str, recipe: str | None, needed: Sequence[int] = ()) -> Table:
    """The judging table of ``bench``; ``needed`` archs are queried with ``missing="raise"`` first.

    With a benchmark opened with ``fill_missing`` that trains the missing ``needed`` entries (the fill path);
    without one it raises for them, so call it with ``needed=()`` to report them missing instead.
    """
    recipe = recipe or bench.default_recipe(dataset)
    if len(needed):
        bench.query_many(sorted(set(needed)), dataset, "valid_acc", recipe=recipe)
    everything = np.arange(N_ARCHS)
    return Table(
        valid_acc=bench.query_many(everything, dataset, "valid_acc", recipe=recipe, missing="nan"),
        test_acc=bench.query_many(everything, dataset, "test_acc", recipe=recipe, missing="nan"),
        cost=bench.cost_many(everything, dataset, recipe=recipe, missing="nan"),
        dataset=dataset, recipe=recipe,
    )


def random_search_at(table: Table, seconds: float, seed: int) -> tuple[int, int]:
    """Random search given ``seconds`` of table time: ``(n_archs, best index by table valid_acc)``.

    ``n_archs = max(1, floor(seconds / mean cost per arch))`` distinct uniform archs, drawn from
    ``numpy.random.default_rng([seed, 201])``; archs the table lacks are drawn but never picked.
    """
    n = max(1, int(seconds // float(np.nanmean(table.cost))))
    drawn = np.random.default_rng([seed, 201]).choice(N_ARCHS, size=min(n, N_ARCHS), replace=False)
    valid = table.valid_acc[drawn]
    if not np.isfinite(valid).any():
        return n, int(drawn[0])
    return n, int(drawn[np.nanargmax(valid)])


def _csv(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def trajectory_csv(runs: Sequence[SeedRun], table: Table) -> str:
    """One row per (seed, search epoch): the pick, its one-shot and table accuracies, the clock and the probs."""
    rows = []
    for run in runs:
        for e in run.epochs:
            valid, test = table.lookup(e.arch_index)
            rows.append([run.searcher, run.seed, e.epoch, e.arch_index, str(Arch.from_index(e.arch_index)),
                         e.oneshot_valid_acc, valid, test, e.search_seconds, *np.ravel(e.probs).tolist()])
    return _csv(rows, TRAJECTORY_COLUMNS)


def finals(runs: Sequence[SeedRun], table: Table) -> list[list[Any]]:
    """One row per seed (:data:`FINALS_COLUMNS`): the run's final pick and what the table says of it."""
    rows = []
    for run in runs:
        last, arch = run.epochs[-1], run.final_arch
        valid, test = table.lookup(arch.index)
        rows.append([run.searcher, run.seed, arch.index, str(arch), last.oneshot_valid_acc, valid, test,
                     last.search_seconds, run.wall_seconds, sum(op in PARAM_FREE for op in arch.ops),
                     sum(op == SKIP for op in arch.ops)])
    return rows


def _summary_row(method: str, valid: np.ndarray, test: np.ndarray, oneshot: float, seconds: float,
                 free: float, skip: float) -> list[Any]:
    found = np.isfinite(valid) & np.isfinite(test)
    v_mean, v_se = mean_se(valid[found]) if found.any() else (math.nan, math.nan)
    t_mean, t_se = mean_se(test[found]) if found.any() else (math.nan, math.nan)
    return [method, int(found.sum()), v_mean, v_se, t_mean, t_se, oneshot, seconds, free, skip, int((~found).sum())]


def summary_rows(label: str, runs: Sequence[SeedRun], table: Table) -> list[list[Any]]:
    """The method's row, random search at each run's search time, and the table optimum (:data:`SUMMARY_COLUMNS`)."""
    rows = finals(runs, table)
    col = {name: i for i, name in enumerate(FINALS_COLUMNS)}
    get = lambda name: np.array([r[col[name]] for r in rows], dtype=np.float64)
    seconds = get("search_seconds")
    out = [_summary_row(label, get("table_valid_acc"), get("table_test_acc"), float(get("oneshot_valid_acc").mean()),
                        float(seconds.mean()), float(get("param_free_edges").mean() / 6), float(get("skip_edges").mean() / 6))]
    picks = [random_search_at(table, s, run.seed) for s, run in zip(seconds, runs)]
    idx = np.array([p[1] for p in picks])
    n_mean = float(np.mean([p[0] for p in picks]))
    out.append(_summary_row(f"random search, {label}'s time ({n_mean:.0f} archs)", table.valid_acc[idx], table.test_acc[idx],
                            math.nan, float(seconds.mean()), math.nan, math.nan))
    best = int(np.nanargmax(table.valid_acc))
    out.append(_summary_row("table optimum (best valid)", table.valid_acc[[best]], table.test_acc[[best]],
                            math.nan, math.nan, math.nan, math.nan))
    return out


def _escape_pipes(text: str) -> str:
    """An arch string inside a Markdown table cell (its ``|`` would end the cell)."""
    return text.replace("|", "\\|")


SUMMARY_HEADER = ("| method | seeds | table valid acc | table test acc | one-shot valid acc | search s | "
                  "param-free edges | skip edges | missing |\n|---|---|---|---|---|---|---|---|---|\n")


def _num(x: Any, digits: int = 1) -> str:
    value = float(x) if x != "" else math.nan
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def summary_line(r: Sequence[Any]) -> str:
    """One Markdown row of :data:`SUMMARY_HEADER` from a summary row (values or their CSV text)."""
    f = [float(x) if x != "" else math.nan for x in r[2:10]]
    return (f"| {r[0]} | {r[1]} | {plus_minus(f[0], f[1], 2)} | {plus_minus(f[2], f[3], 2)} | {_num(f[4], 2)} | {_num(f[5])} | "
            f"{_num(f[6], 2)} | {_num(f[7], 2)} | {r[10]} |")


def summary_markdown(rows: Sequence[Sequence[Any]], table: Table, finals_rows: Sequence[Sequence[Any]]) -> str:
    """The summary table and the per-seed finals as Markdown."""
    body = "".join(summary_line(r) + "\n" for r in rows)
    seeds = "| seed | final arch | table valid | table test | one-shot valid | search s |\n|---|---|---|---|---|---|\n"
    seeds += "".join(f"| {r[1]} | {r[2]}: `{_escape_pipes(r[3])}` | {_num(r[5], 2)} | {_num(r[6], 2)} | "
                     f"{_num(r[4], 2)} | {_num(r[7])} |\n" for r in finals_rows)
    note = (f"Table: {table.dataset} / recipe {table.recipe}, accuracy (%) at the last evaluation point, mean over "
            "the table's seeds; ± is the standard error over search seeds. Random search draws as many archs as the "
            f"search time buys at the table's mean cost per arch ({np.nanmean(table.cost):.3f} s).\n")
    return SUMMARY_HEADER + body + "\n" + note + "\n" + seeds


def finals_csv(rows: Sequence[Sequence[Any]]) -> str:
    """The per-seed finals as CSV."""
    return _csv(rows, FINALS_COLUMNS)


def summary_csv(rows: Sequence[Sequence[Any]]) -> str:
    """The summary rows as CSV."""
    return _csv(rows, SUMMARY_COLUMNS)
