"""Tests of nasbench_lab/search/hyperband.py: schedules, promotions and curve-predictor early stopping."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab import space
from nasbench_lab.errors import ConfigError
from nasbench_lab.search import hyperband
from nasbench_lab.search.base import Observation
from nasbench_lab.search.hyperband import Hyperband, SuccessiveHalving, bracket_schedule

MAX_EPOCHS = 9
_rng = np.random.default_rng(0)
FINAL = _rng.uniform(60, 95, space.N_ARCHS)
RATE = _rng.uniform(0.1, 1.0, space.N_ARCHS)  # fast learners look good early, whatever their final value
CURVES = FINAL[:, None] * (1 - np.exp(-RATE[:, None] * np.arange(1, MAX_EPOCHS + 1)[None, :]))


def test_bracket_schedule_matches_hyperband():
    assert bracket_schedule(3, 3, 3, 27) == [(27, 1), (9, 3), (3, 9), (1, 27)]
    assert bracket_schedule(0, 3, 3, 27) == [(4, 27)]
    assert bracket_schedule(1, 3, 3, 27) == [(6, 9), (2, 27)]


def drive(strategy, n):
    out = []
    for _ in range(n):
        p = strategy.ask()
        e = MAX_EPOCHS if p.epochs is None else p.epochs
        strategy.tell(p, Observation(float(CURVES[p.arch, e - 1]), float(e), CURVES[p.arch, :e]))
        out.append((p.arch, e))
    return out


def test_successive_halving_promotes_the_best_third():
    sh = SuccessiveHalving(np.random.default_rng(1), max_epochs=MAX_EPOCHS, eta=3)
    runs = drive(sh, 9 + 3 + 1)
    first = [a for a, e in runs[:9]]
    assert all(e == 1 for _, e in runs[:9])
    best3 = set(np.array(first)[np.argsort(-CURVES[first, 0])[:3]])
    assert {a for a, e in runs[9:12]} == best3 and all(e == 3 for _, e in runs[9:12])
    assert runs[12][1] == 9
    nxt = drive(sh, 1)[0]
    assert nxt[1] == 1 and nxt[0] not in first  # a fresh bracket with new archs


def test_hyperband_cycles_its_brackets():
    hb = Hyperband(np.random.default_rng(2), max_epochs=MAX_EPOCHS, eta=3)
    runs = drive(hb, 9 + 3 + 1 + 5 + 1 + 3)
    epochs = [e for _, e in runs]
    assert epochs[:13] == [1] * 9 + [3] * 3 + [9]
    assert epochs[13:19] == [3] * 5 + [9]  # bracket s=1: 5 archs at 3 epochs, the best at 9
    assert epochs[19:] == [9] * 3  # bracket s=0: 3 archs at full fidelity


class FinalFromCurveOracle:
    """A learning-curve predictor that knows each arch's final value (to see it is used)."""

    def fit(self, archs, y, curves=None):
        assert curves is not None and curves.shape[0] == len(archs)
        return self

    def predict(self, archs, curves=None):
        return FINAL[archs]


def test_curve_predictor_ranks_promotions_by_predicted_final_value(monkeypatch):
    monkeypatch.setattr(hyperband, "make_predictor_factory", lambda name, params: FinalFromCurveOracle)
    sh = SuccessiveHalving(np.random.default_rng(3), max_epochs=MAX_EPOCHS, eta=3, curve_predictor="oracle", curve_min_train=2)
    runs = drive(sh, 13 * 3)  # three brackets: the first two give the predictor full curves
    first = [a for a, e in runs[26:35]]
    promoted = {a for a, e in runs[35:38]}
    assert promoted == set(np.array(first)[np.argsort(-FINAL[first])[:3]])
    assert promoted != set(np.array(first)[np.argsort(-CURVES[first, 0])[:3]])  # not the early leaders


def test_min_epochs_beyond_max_is_an_error():
    with pytest.raises(ConfigError, match="min_epochs"):
        SuccessiveHalving(np.random.default_rng(0), max_epochs=3, min_epochs=4)


@pytest.mark.parametrize("name", ["successive_halving", "hyperband"])
def test_single_curve_column_runs_as_full_fidelity_search_with_a_warning(name: str, caplog: pytest.LogCaptureFixture) -> None:
    from nasbench_lab.search.base import STRATEGIES

    with caplog.at_level("WARNING"):
        strategy = STRATEGIES.get(name)(np.random.default_rng(0), max_epochs=1)
    assert "plain random search" in caplog.text
    asked = []
    for _ in range(20):
        p = strategy.ask()
        assert p.epochs == 1
        strategy.tell(p, Observation(float(p.arch % 7), 1.0, np.array([float(p.arch % 7)])))
        asked.append(p.arch)
    assert len(set(asked)) == 20 and len(strategy.history) == 20
