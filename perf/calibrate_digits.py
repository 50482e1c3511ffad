"""Calibrate the embedded ``digits`` recipe: seed-to-seed ranking stability, spread and cost.

Trains ``--n-archs`` random archs (seeded) with two seeds under the ``digits`` recipe with the given
overrides, on one CPU thread, and prints one JSON line: Kendall tau between the two seeds' final valid
accuracy (all archs, and archs whose output is connected), the 10th-90th percentile spread of the final
valid accuracy (seed mean), and seconds per arch-seed (wall, and CPU time of this process, which
is the fairer figure on a shared machine). Results are appended to ``--out``.

Usage::

    .venv/bin/python perf/calibrate_digits.py --set epochs=3 batch_size=64 --per-epoch 4 --out /tmp/cal.jsonl
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import torch
from scipy.stats import kendalltau
from tqdm import tqdm

from nasbench_lab.space import sample_indices, valid_mask
from nasbench_lab.training import data
from nasbench_lab.training.recipes import get_recipe
from nasbench_lab.training.trainer import TrainingFailed, train


def parse_value(text: str) -> object:
    """JSON value if it parses (numbers, true/false/null), else the raw string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main() -> None:
    """Run one calibration candidate and print/append its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", nargs="*", default=[], help="recipe config overrides key=value")
    parser.add_argument("--per-epoch", type=float, default=None, help="evaluation points per epoch")
    parser.add_argument("--n-archs", type=int, default=100)
    parser.add_argument("--arch-seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs=2, default=[0, 1])
    parser.add_argument("--final-only", action="store_true",
                        help="evaluate only at the end (final accuracies are unchanged: evaluation neither draws "
                        "random numbers nor touches BN statistics); the cost of the other points is added from "
                        "the measured eval_time")
    parser.add_argument("--digits-split", default=None,
                        help="try other digits split sizes 'train,valid,test' (patches data.DIGITS_SIZES)")
    parser.add_argument("--digits-pad", type=int, default=None,
                        help="try another crop padding for digits (patches the registered loader; shipped: 1)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.digits_split:
        data.DIGITS_SIZES = tuple(int(v) for v in args.digits_split.split(","))
    if args.digits_pad is not None:
        shipped = data.DATASETS.get("digits")
        data.DATASETS._items["digits"] = lambda root=None: replace(shipped(root), pad=args.digits_pad)
    recipe = get_recipe("digits")
    config = dict(recipe.config)
    config.update({k: parse_value(v) for k, v in (item.split("=", 1) for item in args.set)})
    points = recipe.eval_points
    if args.per_epoch:
        n = int(round(config["epochs"] * args.per_epoch))
        points = tuple(config["epochs"] * (k + 1) / n for k in range(n))
    n_points = len(points)
    recipe = replace(recipe, config=config, eval_points=(float(config["epochs"]),) if args.final_only else points)
    archs = sample_indices(np.random.default_rng(args.arch_seed), args.n_archs)
    final = np.full((len(archs), 2), np.nan)
    eval_times = []
    failures = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for i, arch in enumerate(tqdm(archs, desc="calibration", mininterval=30)):
        for j, seed in enumerate(args.seeds):
            try:
                record = train(int(arch), "digits", recipe, seed)
                final[i, j] = record.curves["valid_acc"][-1]
                eval_times.append(record.eval_time)
            except TrainingFailed:
                failures += 1
    per_run = (time.perf_counter() - start) / (2 * len(archs))
    cpu_per_run = (time.process_time() - cpu_start) / (2 * len(archs))
    extra_evals = (n_points - recipe.n_epochs) * float(np.mean(eval_times))
    ok = ~np.isnan(final).any(axis=1)
    live = ok & valid_mask(archs)
    mean = final[ok].mean(axis=1)
    result = {
        "config": {k: v for k, v in config.items() if k != "seeds"},
        "digits_split": list(data.DIGITS_SIZES),
        "digits_pad": args.digits_pad if args.digits_pad is not None else 1,
        "eval_points": n_points,
        "final_only": args.final_only,
        "n_archs": int(len(archs)),
        "arch_seed": args.arch_seed,
        "failures": failures,
        "kendall_tau": round(float(kendalltau(final[ok, 0], final[ok, 1]).statistic), 4),
        "kendall_tau_connected": round(float(kendalltau(final[live, 0], final[live, 1]).statistic), 4),
        "spread_p10_p90": round(float(np.percentile(mean, 90) - np.percentile(mean, 10)), 3),
        "valid_acc_p10_p50_p90": [round(float(np.percentile(mean, q)), 2) for q in (10, 50, 90)],
        "s_per_arch_seed": round(per_run, 3),
        "final_valid_acc": final.round(2).tolist(),
        "cpu_s_per_arch_seed": round(cpu_per_run, 3),
        "eval_s_per_point": round(float(np.mean(eval_times)), 4),
        "est_full_cpu_s_per_arch_seed": round(cpu_per_run + extra_evals, 3),
    }
    print(json.dumps(result), flush=True)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
