"""Contract of every registered searcher: a tiny search runs, picks an arch, reports a distribution, and repeats itself."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.oneshot.base import SEARCHERS, searcher_class
from nasbench_lab.oneshot.engine import run_search
from nasbench_lab.oneshot.searchers.setn import sample_archs
from nasbench_lab.oneshot.spec import spec_from_dict
from nasbench_lab.space import Arch

from .conftest import TINY_CANDIDATES, TINY_SEARCH, tiny_cfg

CASES = [("darts", {"order": 1}), ("darts", {"order": 2}), ("gdas", {}), ("setn", TINY_CANDIDATES),
         ("enas", TINY_CANDIDATES | {"controller_steps": 2}), ("rsps", TINY_CANDIDATES)]


def test_every_registered_searcher_is_covered() -> None:
    assert sorted({name for name, _ in CASES}) == SEARCHERS.names() == ["darts", "enas", "gdas", "rsps", "setn"]
    for name in SEARCHERS.names():
        assert searcher_class(name).paper, f"{name} names its paper"


def _spec(name: str, params: dict) -> object:
    return spec_from_dict({"dataset": "digits", "searcher": {"name": name, **params}, "search": TINY_SEARCH})


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}{p.get('order', '')}" for n, p in CASES])
def test_a_tiny_search_records_every_epoch_and_repeats_itself_on_cpu(name: str, params: dict) -> None:
    spec = _spec(name, params)
    first = run_search(spec, tiny_cfg(), seed=5)
    again = run_search(spec, tiny_cfg(), seed=5)
    assert [e.epoch for e in first.epochs] == [1, 2] and first.weight_steps == 2 * 2
    for e in first.epochs:
        assert Arch.from_index(e.arch_index).index == e.arch_index
        probs = np.array(e.probs)
        assert probs.shape == (6, 5) and np.allclose(probs.sum(axis=1), 1.0) and (probs >= 0).all()
        assert 0.0 <= e.oneshot_valid_acc <= 100.0
    strip = lambda run: [(e.arch_index, e.oneshot_valid_acc, e.probs) for e in run.epochs]
    assert strip(first) == strip(again)  # same seed, same trajectory (times aside)


def test_another_seed_gives_another_search() -> None:
    spec = _spec("darts", {"order": 1})
    a, b = run_search(spec, tiny_cfg(), seed=0), run_search(spec, tiny_cfg(), seed=1)
    assert [e.probs for e in a.epochs] != [e.probs for e in b.epochs]


def test_sample_archs_follows_the_distribution() -> None:
    probs = np.zeros((6, 5))
    probs[:, 3] = 0.75
    probs[:, 1] = 0.25
    archs = sample_archs(probs, 2000, np.random.default_rng(0))
    ops = np.array([a.ops for a in archs])
    assert set(np.unique(ops)) == {1, 3}
    assert abs((ops == 3).mean() - 0.75) < 0.02


def test_searcher_parameters_are_validated_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"searcher\.order: must be <= 2"):
        _spec("darts", {"order": 3})
    with pytest.raises(ConfigError, match=r"searcher\.tau_min: must be <= tau_max"):
        _spec("gdas", {"tau_max": 1.0, "tau_min": 2.0})
    with pytest.raises(ConfigError, match=r"searcher\.bogus: unknown key"):
        _spec("rsps", {"bogus": 1})
    with pytest.raises(ConfigError, match=r"searcher\.name: unknown searcher 'nope'"):
        _spec("nope", {})
