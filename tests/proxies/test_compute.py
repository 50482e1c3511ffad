"""Computing, storing, resuming and evaluating proxies on a small digits benchmark."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from nasbench_lab.benchmark.lock import FileLock, lock_path
from nasbench_lab.benchmark.schema import Recipe, RunRecord
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.writer import BenchmarkWriter
from nasbench_lab.cli import main
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.execution import InlineExecutor
from nasbench_lab.proxies import PROXIES
from nasbench_lab.proxies.compute import ProxyJob, compute_proxies, minibatch, score_arch
from nasbench_lab.proxies.evaluate import correlate, evaluate_proxies
from nasbench_lab.training.network import build_network

ARCHS = np.array([0, 9, 123, 1462, 1651, 1835, 4000, 6111, 9930, 15000])


@pytest.fixture()
def bench(tmp_path: Path) -> Path:
    """A digits benchmark whose recipe uses a tiny network, with a final valid_acc for ARCHS."""
    path = tmp_path / "bench.h5"
    recipe = Recipe("tiny", (1.0,), {"C": 4, "N": 1}, "tiny test recipe")
    records = [
        RunRecord(int(i), 0, {"valid_acc": np.array([50.0 + k])}) for k, i in enumerate(ARCHS)
    ]
    with BenchmarkWriter(path) as writer:
        writer.add_recipe("digits", recipe, [0], {"source": "test"})
        writer.write_runs("digits", "tiny", records)
    return path


def test_every_proxy_scores_a_real_network_without_changing_it() -> None:
    torch.manual_seed(0)
    net = build_network(6111, C=4, N=1, in_channels=1, num_classes=10)
    x, y = minibatch("digits", 16, seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    for name in PROXIES.names():
        first = PROXIES.get(name)().score(net, x, y, F.cross_entropy)
        second = PROXIES.get(name)().score(net, x, y, F.cross_entropy)
        assert math.isfinite(first), name
        assert first == pytest.approx(second, rel=1e-6), f"{name} is not deterministic"
    for key, value in net.state_dict().items():
        if not key.endswith(("running_mean", "running_var", "num_batches_tracked")):
            assert torch.equal(before[key], value), f"a proxy changed {key}"


def test_score_arch_is_seeded() -> None:
    job = ProxyJob("digits", ("snip", "nwot"), C=4, N=1, in_channels=1, num_classes=10, batch_size=16)
    x, y = minibatch("digits", 16, seed=3)
    a, ta = score_arch(9, job, 3, x, y)
    b, _ = score_arch(9, job, 3, x, y)
    c, _ = score_arch(9, job, 4, *minibatch("digits", 16, seed=4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert (ta > 0).all()


def test_compute_store_resume_and_evaluate(bench: Path, tmp_path: Path) -> None:
    names = ["synflow", "snip", "params"]
    n = compute_proxies(bench, "digits", proxies=names, archs=ARCHS, seeds=[0, 1], batch_size=16, chunk_size=4, progress=False)
    assert n == 2 * len(ARCHS)
    with Benchmark.open(bench) as b:
        assert set(b.proxy_names("digits")) == set(names)
        params = b.proxy(ARCHS, "digits", "params")
        synflow_seed0 = b.proxy(ARCHS, "digits", "synflow", seed=0)
        assert np.all(b.proxy_time(ARCHS, "digits", "snip") > 0)
    from nasbench_lab.training.network import params_many

    assert np.allclose(params, params_many(ARCHS, C=4, N=1, in_channels=1, num_classes=10))
    assert np.isfinite(synflow_seed0).all()
    # A rerun finds everything stored and computes nothing; more archs compute only the new ones.
    assert compute_proxies(bench, "digits", proxies=names, archs=ARCHS, seeds=[0, 1], batch_size=16, progress=False) == 0
    assert compute_proxies(bench, "digits", proxies=names, archs=[1, 2], seeds=[0], batch_size=16, progress=False) == 2
    rows = {r.proxy: r for r in evaluate_proxies(bench, "digits", proxies=names)}
    assert rows["params"].n == len(ARCHS)
    acc = 50.0 + np.arange(len(ARCHS))
    assert rows["params"].spearman == pytest.approx(correlate(params, acc)[1])


def test_changed_definition_is_refused_until_recomputed(bench: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compute_proxies(bench, "digits", proxies=["params", "snip"], archs=ARCHS, batch_size=16, progress=False)
    monkeypatch.setattr(PROXIES.get("params"), "definition", "v2: test revision")
    # resuming with a new definition would mix two definitions in one column: refused
    with pytest.raises(ConfigError, match="--recompute"):
        compute_proxies(bench, "digits", proxies=["params"], archs=[1, 2], batch_size=16, progress=False)
    with Benchmark.open(bench) as b:
        snip_before = b.proxy(ARCHS, "digits", "snip")
    # --recompute drops every stored params score (not only the archs asked for) and computes afresh
    assert compute_proxies(bench, "digits", proxies=["params"], archs=[1, 2], batch_size=16, progress=False,
                           recompute=True) == 2
    with Benchmark.open(bench) as b:
        assert np.isfinite(b.proxy([1, 2], "digits", "params")).all()
        assert np.isnan(b.proxy(ARCHS, "digits", "params", missing="nan")).all()
        np.testing.assert_array_equal(b.proxy(ARCHS, "digits", "snip"), snip_before)  # other proxies kept
        assert b.proxy_settings("digits", "params")["definition"] == "v2: test revision"
        assert "definition" not in b.proxy_settings("digits", "snip")


def test_compute_refuses_a_locked_file(bench: Path) -> None:
    with FileLock(lock_path(bench)), pytest.raises(Exception, match="another process"):
        compute_proxies(bench, "digits", proxies=["params"], archs=[0], progress=False)


def test_bad_input(bench: Path) -> None:
    with pytest.raises(ConfigError, match="unknown proxy 'nope'"):
        compute_proxies(bench, "digits", proxies=["nope"], archs=[0], progress=False)
    with pytest.raises(ConfigError, match="no proxy scores|not stored"):
        evaluate_proxies(bench, "digits")
    with pytest.raises(ConfigError, match="executor"):
        compute_proxies(bench, "digits", proxies=["params"], archs=[0], executor="slurm", progress=False)


def test_correlate_handles_nan_and_top_fraction() -> None:
    acc = np.arange(20, dtype=float)
    scores = acc.copy()
    scores[3] = np.nan
    n, rho, tau, rho_top, _tau_top = correlate(scores, acc, top_fraction=0.25)
    assert n == 19 and rho == pytest.approx(1.0) and tau == pytest.approx(1.0)
    assert rho_top == pytest.approx(1.0)
    n, rho, *_ = correlate(-acc, acc)
    assert rho == pytest.approx(-1.0)
    assert math.isnan(correlate(np.ones(5), np.arange(5.0))[1])


def test_cli_compute_and_evaluate(bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["proxies", "compute", "--bench", str(bench), "--dataset", "digits", "--proxies", "params,l2_norm",
                 "--archs", ",".join(map(str, ARCHS)), "--batch-size", "16"]) == 0
    out_dir = tmp_path / "eval"
    assert main(["proxies", "evaluate", "--bench", str(bench), "--dataset", "digits", "--out", str(out_dir)]) == 0
    text = capsys.readouterr().out
    assert "params" in text and "l2_norm" in text and "spearman" in text
    assert (out_dir / "correlations.csv").exists() and (out_dir / "correlations.png").stat().st_size > 1000
    assert main(["proxies", "evaluate", "--bench", str(bench), "--dataset", "cifar10"]) == 2


# all-none; output fed by nothing (but convs on nodes 1, 2 see the input); output fed by dead nodes only
@pytest.mark.parametrize("index, nwot_defined", [(1651, False), (10, True), (12, False)])
def test_input_independent_cells_give_nan_not_numbers(index: int, nwot_defined: bool) -> None:
    from nasbench_lab.space import Arch

    assert not Arch.from_index(index).is_valid
    torch.manual_seed(0)
    net = build_network(index, C=4, N=1, in_channels=1, num_classes=10)
    x, y = minibatch("digits", 16, seed=0)
    for name in ("jacob_cov", "epe_nas", "zen"):
        assert math.isnan(PROXIES.get(name)().score(net, x, y, F.cross_entropy)), name
    # NASWOT reads ReLU patterns, not the output: defined as long as some ReLU sees the input.
    assert math.isfinite(PROXIES.get("nwot")().score(net, x, y, F.cross_entropy)) == nwot_defined
    for name in ("synflow", "snip", "params"):
        assert math.isfinite(PROXIES.get(name)().score(net, x, y, F.cross_entropy)), name


# connected cells with a conv behind none edges only (a BN whose input is identically zero)
@pytest.mark.parametrize("index", [6, 9, 13, 42])
def test_zen_leaves_dead_path_bn_out(index: int) -> None:
    from nasbench_lab.space import Arch

    assert Arch.from_index(index).is_valid
    torch.manual_seed(0)
    net = build_network(index, C=4, N=1, in_channels=1, num_classes=10)
    x, y = minibatch("digits", 16, seed=0)
    variances: list[float] = []
    hooks = [m.register_forward_pre_hook(lambda _m, inp: variances.append(float(inp[0].var())))
             for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        net.train()(x)
    for hook in hooks:
        hook.remove()
    assert 0.0 in variances  # the cell really has a dead-path BN
    assert math.isfinite(PROXIES.get("zen")().score(net, x, y, F.cross_entropy))



class _InterruptedAfterOne(InlineExecutor):
    """Runs chunks inline; the second outcome asked for is a Ctrl-C."""

    def __init__(self) -> None:
        super().__init__()
        self.taken = 0
        self.stopped = False

    def next_outcome(self):
        self.taken += 1
        if self.taken == 2:
            raise KeyboardInterrupt
        return super().next_outcome()

    def shutdown(self) -> None:
        self.stopped = True
        super().shutdown()


def test_ctrl_c_stops_the_workers_and_keeps_finished_chunks(bench: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    executor = _InterruptedAfterOne()
    monkeypatch.setattr("nasbench_lab.proxies.compute.make_executor", lambda *a, **k: executor)
    with pytest.raises(KeyboardInterrupt):
        compute_proxies(bench, "digits", proxies=["params"], archs=ARCHS, batch_size=16, chunk_size=4, progress=False)
    assert executor.stopped
    with Benchmark.open(bench) as b:
        stored = np.isfinite(b.proxy(ARCHS, "digits", "params", missing="nan"))
    np.testing.assert_array_equal(stored, np.arange(len(ARCHS)) < 4)  # the first chunk, and only it
    # the lock is released and a rerun computes only what is missing
    assert compute_proxies(bench, "digits", proxies=["params"], archs=ARCHS, batch_size=16, progress=False) == 6


def test_a_failing_chunk_is_an_error_naming_it(bench: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(indices, job, seed):
        raise RuntimeError("proxy exploded")

    monkeypatch.setattr("nasbench_lab.proxies.compute.score_chunk", broken)
    with pytest.raises(NasbenchLabError, match=r"proxies of archs 0\.\.1462 \(seed 0\) crashed: RuntimeError: proxy exploded"):
        compute_proxies(bench, "digits", proxies=["params"], archs=ARCHS, batch_size=16, chunk_size=4, progress=False)
