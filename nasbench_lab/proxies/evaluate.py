"""How well stored zero-cost proxies rank architectures: Spearman and Kendall tau against an accuracy,
over all archs that have both and over the top 10 % of them by accuracy (as Abdelfattah et al. 2021
report), plus plots.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from nasbench_lab.errors import ConfigError
from nasbench_lab.objectives import is_maximised


@dataclass(frozen=True)
class ProxyCorrelation:
    """Rank correlations of one proxy with the accuracy.

    Attributes:
        proxy: proxy name.
        n: archs with both a score and an accuracy (NaN scores, i.e. undefined, are left out).
        n_undefined: archs whose score is NaN.
        spearman, kendall_tau: over those ``n`` archs.
        spearman_top, kendall_tau_top: over the top ``top_fraction`` of them by accuracy.
        mean_time: mean compute seconds per arch.
    """

    proxy: str
    n: int
    n_undefined: int
    spearman: float
    kendall_tau: float
    spearman_top: float
    kendall_tau_top: float
    mean_time: float


def correlate(scores: np.ndarray, accuracy: np.ndarray, top_fraction: float = 0.1,
              maximise: bool = True) -> tuple[int, float, float, float, float]:
    """``(n, spearman, kendall, spearman_top, kendall_top)`` of ``scores`` vs ``accuracy`` (shape ``(n,)``).

    Pairs with a NaN on either side are left out; a correlation that is undefined (fewer than 3
    pairs, or a constant side) is NaN. The top archs are the largest ``accuracy`` values, or the
    smallest ones with ``maximise=False`` (a loss).
    """
    if not 0 < top_fraction <= 1:
        raise ConfigError(f"top fraction must be in (0, 1], got {top_fraction}")
    keep = np.isfinite(scores) & np.isfinite(accuracy)
    s, a = scores[keep], accuracy[keep]
    top = np.argsort(-a if maximise else a, kind="stable")[: max(int(math.ceil(top_fraction * len(a))), 0)]

    def pair(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
            return math.nan, math.nan
        return float(stats.spearmanr(x, y).statistic), float(stats.kendalltau(x, y).statistic)

    return (int(keep.sum()), *pair(s, a), *pair(s[top], a[top]))


def evaluate_proxies(
    bench_path: str | Path,
    dataset: str,
    *,
    recipe: str | None = None,
    metric: str = "valid_acc",
    accuracy_dataset: str | None = None,
    accuracy_recipe: str | None = None,
    proxies: Sequence[str] | None = None,
    top_fraction: float = 0.1,
) -> list[ProxyCorrelation]:
    """Correlate every stored proxy of (``dataset``, ``recipe``) with an accuracy.

    Args:
        bench_path: the benchmark file.
        dataset, recipe: where the proxy scores are stored.
        metric: accuracy metric (final epoch, mean over seeds).
        accuracy_dataset, accuracy_recipe: where the accuracy comes from (default: the same entry).
        proxies: proxy names (all stored ones if None).
        top_fraction: the fraction of best archs for the "top" columns.

    Returns:
        One :class:`ProxyCorrelation` per proxy, in the order given (or sorted by name).

    Raises:
        ConfigError: no proxies stored, or a proxy that is not stored.
    """
    from nasbench_lab.benchmark.store import Benchmark
    from nasbench_lab.space import N_ARCHS

    indices = np.arange(N_ARCHS)
    with Benchmark.open(bench_path) as bench:
        stored = bench.proxy_names(dataset, recipe)
        names = list(proxies) if proxies else stored
        if not names:
            raise ConfigError(f"{bench_path} holds no proxy scores for {dataset}; run `nasbench-lab proxies compute` first")
        missing = [n for n in names if n not in stored]
        if missing:
            raise ConfigError(f"proxies not stored for {dataset}: {', '.join(missing)}; stored: {', '.join(stored) or 'none'}")
        acc = bench.query_many(indices, accuracy_dataset or dataset, metric, recipe=accuracy_recipe or recipe, missing="nan")
        out = []
        for name in names:
            scores = bench.proxy(indices, dataset, name, recipe, missing="nan")
            times = bench.proxy_time(indices, dataset, name, recipe, missing="nan")
            computed = np.isfinite(times)
            n, rho, tau, rho_top, tau_top = correlate(np.where(computed, scores, np.nan), acc, top_fraction,
                                                         is_maximised(metric))
            out.append(ProxyCorrelation(
                proxy=name, n=n, n_undefined=int((computed & ~np.isfinite(scores)).sum()),
                spearman=rho, kendall_tau=tau, spearman_top=rho_top, kendall_tau_top=tau_top,
                mean_time=float(np.nanmean(times)) if computed.any() else math.nan,
            ))
    return out


def format_table(rows: Sequence[ProxyCorrelation], top_fraction: float = 0.1) -> str:
    """A fixed-width text table of ``rows``, best Spearman first."""
    pct = f"top{round(top_fraction * 100)}%"
    head = f"{'proxy':<12} {'n':>6} {'undef':>6} {'spearman':>9} {'kendall':>8} {pct + ' rho':>10} {pct + ' tau':>10} {'ms/arch':>8}"
    lines = [head, "-" * len(head)]
    for r in sorted(rows, key=lambda r: -r.spearman if math.isfinite(r.spearman) else math.inf):
        lines.append(
            f"{r.proxy:<12} {r.n:>6} {r.n_undefined:>6} {r.spearman:>9.3f} {r.kendall_tau:>8.3f} "
            f"{r.spearman_top:>10.3f} {r.kendall_tau_top:>10.3f} {1000 * r.mean_time:>8.2f}"
        )
    return "\n".join(lines)


def write_outputs(rows: Sequence[ProxyCorrelation], out_dir: str | Path, *, title: str = "",
                  top_fraction: float = 0.1) -> list[Path]:
    """Write ``correlations.csv`` and a bar plot (``correlations.png`` and ``.pdf``) into ``out_dir``; each
    proxy's label gives the number of archs its bars were computed over (all, and the top ``top_fraction``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = out / "correlations.csv"
    with table.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
    order = sorted(rows, key=lambda r: r.spearman if math.isfinite(r.spearman) else -math.inf)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(order) + 1.5))
    y = np.arange(len(order))
    ax.barh(y - 0.2, [r.spearman for r in order], height=0.4, label="all archs with a score (n)")
    ax.barh(y + 0.2, [r.spearman_top for r in order], height=0.4, label=f"top {top_fraction:.0%} of them by accuracy")
    ax.set_yticks(y, [f"{r.proxy} (n={r.n:,}; top {math.ceil(top_fraction * r.n):,})" for r in order])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("Spearman rank correlation with accuracy")
    ax.set_title(title or "zero-cost proxies")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, fontsize="small")  # below: hides no bar
    fig.tight_layout()
    paths = [table]
    for ext in ("png", "pdf"):
        fig.savefig(out / f"correlations.{ext}", dpi=120)
        paths.append(out / f"correlations.{ext}")
    plt.close(fig)
    return paths
