"""Time per arch of every zero-cost proxy on one CPU core, for the embedded digits network and for
NB201's CIFAR-sized network (C=16, N=5, 3x32x32, 10 classes).

Reference measured in the same run: one SGD training step (forward + backward + update) of the same
network on the same minibatch; the ratio says how many training steps a proxy costs.

    .venv/bin/python perf/bench_proxies.py [--archs 20] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch.nn import functional as F

from nasbench_lab.proxies import PROXIES
from nasbench_lab.training.network import build_network


def _time(fn, repeats: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def bench(label: str, C: int, N: int, shape: tuple[int, int, int], archs: np.ndarray, batch: int) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((batch, *shape), generator=gen)
    y = torch.randint(0, 10, (batch,), generator=gen)
    times = {name: [] for name in PROXIES.names()}
    step = []
    for index in archs:
        torch.manual_seed(0)
        net = build_network(int(index), C=C, N=N, in_channels=shape[0], num_classes=10)
        for name in PROXIES.names():
            times[name].append(_time(lambda: PROXIES.get(name)().score(net, x, y, F.cross_entropy)))
        opt = torch.optim.SGD(net.parameters(), lr=0.01)

        def train_step() -> None:
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()

        train_step()
        step.append(_time(train_step, 3))
    ref = float(np.mean(step))
    print(f"\n{label}: C={C} N={N} input {shape} batch {batch}, {len(archs)} archs; "
          f"reference: one SGD step = {1000 * ref:.1f} ms")
    print(f"{'proxy':<12} {'ms/arch':>9} {'x SGD step':>11}")
    for name, values in sorted(times.items(), key=lambda kv: np.mean(kv[1])):
        print(f"{name:<12} {1000 * np.mean(values):>9.2f} {np.mean(values) / ref:>11.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=20, help="random archs to average over")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    archs = np.random.default_rng(0).choice(15625, args.archs, replace=False)
    from nasbench_lab.training.recipes import get_recipe

    cfg = get_recipe("digits").config
    bench("digits network", int(cfg["C"]), int(cfg["N"]), (1, 8, 8), archs, args.batch_size)
    bench("NB201 CIFAR network", 16, 5, (3, 32, 32), archs, args.batch_size)


if __name__ == "__main__":
    main()
