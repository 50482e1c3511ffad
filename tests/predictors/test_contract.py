"""One contract test over every registered predictor (ours and the learning-curve ones).

Every predictor is built by name with its defaults (a few budget arguments made small so the test is
fast), fitted on a small synthetic table and checked against the :class:`Predictor` interface:
``fit`` returns ``self``, ``predict`` gives ``(n,)`` finite floats, the same seed and data give the
same predictions, probabilistic predictors give a positive std, and declared needs are enforced; the
scikit-learn lifecycle holds (clone, get/set_params, a not-fitted error) and overrides are typed.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import nasbench_lab.predictors  # noqa: F401  (registers everything)
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.predictors import PREDICTORS, make_predictor
from nasbench_lab.predictors.base import NotFittedError, Predictor, clone
from nasbench_lab.space import ops_matrix

torch.set_num_threads(1)  # tiny models: extra threads only contend on a shared machine

N_TRAIN, N_TEST, N_POINTS = 40, 15, 8
# Budget arguments shrunk for speed where a predictor takes them.
FAST = {"steps": 100, "n_estimators": 25, "max_iter": 8, "maxfev": 200, "cv_iterations": 2, "select_size": 30}


def _table(seed: int = 0) -> dict[str, np.ndarray]:
    """Archs, accuracy-like targets driven by the ops, partial curves, training losses and proxies."""
    rng = np.random.default_rng(seed)
    archs = rng.choice(15625, N_TRAIN + N_TEST, replace=False)
    ops = ops_matrix(archs)
    y = 60 + 5 * (ops == 3).sum(1) + 3 * (ops == 2).sum(1) - 4 * (ops == 0).sum(1) + rng.normal(0, 1, len(archs))
    epochs = np.arange(1, N_POINTS + 1)
    curves = y[:, None] - 30 * epochs[None, :] ** -0.7 + rng.normal(0, 0.3, (len(archs), N_POINTS))
    losses = 2.0 * epochs[None, :] ** -0.5 * (110 - y[:, None]) / 50
    proxies = np.column_stack([y + rng.normal(0, 3, len(archs)), rng.normal(size=len(archs))])
    return {"archs": archs, "y": y, "curves": curves, "train_losses": losses, "proxies": proxies}


def _build(name: str):
    cls = PREDICTORS.get(name)
    accepted = inspect.signature(cls.__init__).parameters
    params = {k: v for k, v in FAST.items() if k in accepted}
    predictor = make_predictor(name, **params)
    if "eval_points" in accepted and predictor.eval_points is None:
        predictor.eval_points = list(range(1, N_POINTS + 1))  # as the evaluation protocol sets it
    return predictor


def _side(predictor, data: dict, rows: slice) -> dict:
    kw = {}
    if predictor.needs_curves:
        kw["curves"] = data["curves"][rows]
        kw["train_losses"] = data["train_losses"][rows]
    if predictor.needs_proxies:
        kw["proxies"] = data["proxies"][rows]
    return kw


def _fit_predict(name: str, data: dict):
    p = _build(name)
    tr, te = slice(0, N_TRAIN), slice(N_TRAIN, None)
    fitted = p.fit(data["archs"][tr], data["y"][tr], **_side(p, data, tr))
    assert fitted is p
    return p, p.predict(data["archs"][te], **_side(p, data, te))


ALL = PREDICTORS.names()


def test_the_registry_holds_every_predictor_family() -> None:
    expected = {"gp", "gp_wl", "xgb", "xgb_omni", "gcn", "gin", "bananas", "random", "mean", "zc"}
    assert expected <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_init_only_stores_arguments(name: str) -> None:
    p = _build(name)
    assert not [k for k in vars(p) if k.endswith("_")], "learned state before fit"
    params = inspect.signature(type(p).__init__).parameters
    named = {k for k, v in params.items() if k != "self" and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)}
    assert set(p.get_params()) == named


@pytest.mark.parametrize("name", ALL)
def test_fit_predict_shape_and_determinism(name: str) -> None:
    data = _table()
    p, first = _fit_predict(name, data)
    assert first.shape == (N_TEST,) and first.dtype.kind == "f"
    assert np.isfinite(first).all()
    _, again = _fit_predict(name, data)
    np.testing.assert_array_equal(first, again)
    te = slice(N_TRAIN, None)
    if p.probabilistic:
        mean, std = p.predict_dist(data["archs"][te], **_side(p, data, te))
        assert mean.shape == std.shape == (N_TEST,)
        assert np.isfinite(mean).all() and (std > 0).all()
    else:
        with pytest.raises(NotImplementedError):
            p.predict_dist(data["archs"][te], **_side(p, data, te))


@pytest.mark.parametrize("name", [n for n in ALL if PREDICTORS.get(n).needs_training])
def test_trained_predictors_learn_the_signal(name: str) -> None:
    data = _table()
    _, pred = _fit_predict(name, data)
    if name == "mean":
        assert np.ptp(pred) == 0
    else:
        assert np.corrcoef(pred, data["y"][N_TRAIN:])[0, 1] > 0.3


@pytest.mark.parametrize("name", [n for n in ALL if PREDICTORS.get(n).needs_curves or PREDICTORS.get(n).needs_proxies])
def test_declared_inputs_are_required(name: str) -> None:
    data = _table()
    p, _ = _fit_predict(name, data)
    with pytest.raises(NasbenchLabError):
        p.predict(data["archs"][N_TRAIN:])


@pytest.mark.parametrize("name", ALL)
def test_clone_gives_an_unfitted_equal_predictor(name: str) -> None:
    data = _table()
    p, first = _fit_predict(name, data)
    twin = clone(p)
    assert type(twin) is type(p) and twin is not p
    assert twin.get_params() == p.get_params() and repr(twin) == repr(p)
    assert not twin.is_fitted() and p.is_fitted()
    tr, te = slice(0, N_TRAIN), slice(N_TRAIN, None)
    twin.fit(data["archs"][tr], data["y"][tr], **_side(twin, data, tr))
    np.testing.assert_array_equal(twin.predict(data["archs"][te], **_side(twin, data, te)), first)


@pytest.mark.parametrize("name", ALL)
def test_predict_before_fit_says_to_call_fit(name: str) -> None:
    data = _table()
    p = _build(name)
    te = slice(N_TRAIN, None)
    with pytest.raises(NotFittedError, match=r"not fitted yet: call fit\(archs, y, \.\.\.\) first"):
        p.predict(data["archs"][te], **_side(p, data, te))
    if p.probabilistic:
        with pytest.raises(NotFittedError):
            p.predict_dist(data["archs"][te], **_side(p, data, te))


@pytest.mark.parametrize("name", ALL)
def test_set_params_changes_arguments_and_refuses_unknown_ones(name: str) -> None:
    p = _build(name)
    params = p.get_params()
    assert p.set_params(**params) is p and p.get_params() == params
    with pytest.raises(ConfigError, match="has no parameter 'no_such_knob'"):
        p.set_params(no_such_knob=1)
    if "seed" in params:
        assert clone(p).set_params(seed=12345).get_params()["seed"] == 12345
        assert p.get_params()["seed"] == params["seed"]  # the clone's change does not leak back


@pytest.mark.parametrize("name", ALL)
def test_overrides_are_typed_like_the_base(name: str) -> None:
    cls = PREDICTORS.get(name)
    for method in ("fit", "predict", "predict_dist"):
        base = inspect.signature(getattr(Predictor, method))
        ours = inspect.signature(getattr(cls, method))
        assert list(ours.parameters) == list(base.parameters), f"{name}.{method} takes other arguments"
        untyped = [k for k, v in ours.parameters.items() if k != "self" and v.annotation is inspect.Parameter.empty]
        assert not untyped, f"{name}.{method} leaves {untyped} untyped"
        assert ours.return_annotation is not inspect.Signature.empty, f"{name}.{method} has no return type"
