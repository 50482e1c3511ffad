"""Split the seed-to-seed noise of the digits recipe into its init and data-order parts.

For ``--n-archs`` random archs, trains three runs with final-only evaluation: (init 0, data 0),
(init 1, data 0) and (init 0, data 1), where "init" seeds the network weights and "data" the batch
order and augmentation; prints the per-run standard deviation of final valid accuracy due to each.

Usage::

    .venv/bin/python perf/digits_noise_sources.py --set lr=0.01 --n-archs 20
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np
import torch

from nasbench_lab.space import sample_indices
from nasbench_lab.training import trainer
from nasbench_lab.training.recipes import get_recipe


def main() -> None:
    """Train the three runs per arch and print the two noise figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", nargs="*", default=[], help="recipe config overrides key=value")
    parser.add_argument("--n-archs", type=int, default=20)
    parser.add_argument("--arch-seed", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    recipe = get_recipe("digits")
    config = {**recipe.config, **{k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}}
    recipe = replace(recipe, config=config, eval_points=(float(config["epochs"]),))
    build, init_seed = trainer._build, {"value": 0}
    # the trainer seeds init and data with the same seed; decouple them for this measurement only
    trainer._build = lambda arch, cfg, data, seed, rt: build(arch, cfg, data, init_seed["value"], rt)
    final = []
    for arch in sample_indices(np.random.default_rng(args.arch_seed), args.n_archs):
        row = []
        for init, data_seed in ((0, 0), (1, 0), (0, 1)):
            init_seed["value"] = init
            row.append(trainer.train(int(arch), "digits", recipe, data_seed).curves["valid_acc"][-1])
        final.append(row)
    f = np.array(final)
    print(json.dumps({
        "config": {k: v for k, v in config.items() if k != "seeds"},
        "n_archs": args.n_archs,
        "init_sd": round(float(np.std(f[:, 0] - f[:, 1]) / np.sqrt(2)), 2),
        "data_order_sd": round(float(np.std(f[:, 0] - f[:, 2]) / np.sqrt(2)), 2),
    }))


if __name__ == "__main__":
    main()
