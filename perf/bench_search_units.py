"""CPU seconds of one 100-query study unit per strategy, this code against a reference checkout, one core.

Run: ``python perf/bench_search_units.py --ref /tmp/ref [--seeds 3]`` where ``/tmp/ref`` is a checkout of
the reference code (e.g. ``git worktree add /tmp/ref fe0a257``, the code before issue 16). Both sides
run the same units in the same run, each in its own process pinned to one core (``sched_setaffinity``,
``threadpoolctl`` one BLAS thread, ``torch.set_num_threads(1)``): every registered strategy x ``--seeds``
seeds x 100 queries against a synthetic NB201-sized objective (15,625 archs, a 4-column learning curve
for the multi-fidelity strategies, a synthetic proxy for the warm start). The figure is process CPU
time per unit (``time.process_time``), so other load on the machine inflates it less than wall time.

Prints, per strategy: seconds per unit now and in the reference, the ratio, and whether the proposals
are identical; then the estimate for issue 16's goal (every strategy x 500 seeds x 3 tasks on 2 cores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

N_QUERIES = 100
MAX_EPOCHS = 4


def _pin_one_core() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def _table():
    """Synthetic objective of every arch ``(15625,)``, its curves ``(15625, 4)`` and a proxy ``(15625,)``."""
    import numpy as np

    from nasbench_lab import space

    rng = np.random.default_rng(0)
    onehot = np.zeros((space.N_ARCHS, 30))
    ops = space.ops_matrix(space.all_indices()).astype(np.int64)
    onehot[np.arange(space.N_ARCHS)[:, None], np.arange(6)[None, :] * 5 + ops] = 1.0
    final = 85 + 3 * (onehot @ rng.normal(size=30)) + rng.normal(0, 0.5, space.N_ARCHS)
    curves = final[:, None] * (1 - 0.5 ** np.arange(1, MAX_EPOCHS + 1))[None, :]
    return final, curves, final + rng.normal(0, 2.0, space.N_ARCHS)


def _unit(name: str, seed: int, curves, proxy) -> list[int]:
    """One 100-query unit of ``name``; returns the proposed archs."""
    import numpy as np

    from nasbench_lab.search.base import STRATEGIES, Observation

    strategy = STRATEGIES.get(name)(np.random.default_rng(seed), max_epochs=MAX_EPOCHS, proxy_oracle=lambda i: proxy[i])
    archs = []
    for _ in range(N_QUERIES):
        p = strategy.ask()
        epochs = MAX_EPOCHS if p.epochs is None else p.epochs
        strategy.tell(p, Observation(float(curves[p.arch, epochs - 1]), float(epochs), curves[p.arch, :epochs]))
        archs.append(int(p.arch))
    return archs


def worker(names: list[str], seeds: int) -> dict[str, dict[str, float | str]]:
    """Per strategy: CPU seconds per unit and a digest of all proposals (runs in this process)."""
    _pin_one_core()
    from nasbench_lab.search.base import STRATEGIES

    _, curves, proxy = _table()
    out: dict[str, dict[str, float | str]] = {}
    for name in names:
        if name not in STRATEGIES:
            continue
        _unit(name, 10_000, curves, proxy)  # warm caches (tables, imports) outside the timing
        digest = hashlib.sha256()
        start = time.process_time()
        for seed in range(seeds):
            digest.update(json.dumps(_unit(name, seed, curves, proxy)).encode())
        out[name] = {"seconds": (time.process_time() - start) / seeds, "digest": digest.hexdigest()}
    return out


def _run(code_root: Path, names: list[str], seeds: int) -> dict[str, dict[str, float | str]]:
    env = dict(os.environ, PYTHONPATH=str(code_root), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--seeds", str(seeds), *names]
    done = subprocess.run(cmd, env=env, cwd="/", capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", type=Path, help="checkout of the reference code (e.g. fe0a257)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.names, args.seeds)))
        return
    here = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(here))
    from nasbench_lab.search.base import STRATEGIES

    names = args.names or STRATEGIES.names()
    now = _run(here, names, args.seeds)
    ref = _run(args.ref, names, args.seeds) if args.ref else {}
    print(f"{args.seeds} seeds x {N_QUERIES} queries per strategy, one core; CPU seconds per unit")
    print("| strategy | now (s/unit) | reference (s/unit) | speed-up | same proposals |")
    print("|---|---|---|---|---|")
    for name in names:
        r = ref.get(name)
        cells = [f"{now[name]['seconds']:.3f}", "-", "-", "-"]
        if r:
            cells[1:] = [f"{r['seconds']:.3f}", f"{float(r['seconds']) / float(now[name]['seconds']):.2f}x",
                         "yes" if r["digest"] == now[name]["digest"] else "no"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for label, figures in (("now", now), ("reference", ref)):
        if figures:
            total = sum(float(f["seconds"]) for f in figures.values()) * 500 * 3 / 2
            print(f"goal estimate ({label}): {len(figures)} strategies x 500 seeds x 3 tasks on 2 cores = "
                  f"{total / 60:.1f} min of CPU-bound units (target < 5 min)")


if __name__ == "__main__":
    main()
