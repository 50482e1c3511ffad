"""BANANAS-style predictor: an ensemble of MLPs on the path encoding, plus the ensemble machinery
shared with the GNNs (:mod:`nasbench_lab.predictors.gnn`).

All ``k`` members of an ensemble are trained at once as one batched network: every weight has a
leading member axis, so a step costs one batched matrix product instead of ``k`` small ones. Members
differ by their seeded initialisation and their own minibatch order. ``predict`` is the ensemble mean
and ``predict_dist`` the mean and the spread (standard deviation over members), in target units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from nasbench_lab.encodings import encode, unique_cells
from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors._targets import TargetScaler, check_archs, check_fit_inputs
from nasbench_lab.predictors.base import Predictor, SideInput, register_predictor

_PREDICT_CHUNK = 1024  # cells per forward pass when predicting


def _torch():
    import torch

    return torch


def ensemble_linear(k: int, n_in: int, n_out: int, gen: Any) -> tuple[Any, Any]:
    """Weights ``(k, n_in, n_out)`` and biases ``(k, 1, n_out)`` of ``k`` linear layers (He init)."""
    torch = _torch()
    weight = torch.randn(k, n_in, n_out, generator=gen) * (2.0 / n_in) ** 0.5
    bias = torch.zeros(k, 1, n_out)
    return weight.requires_grad_(), bias.requires_grad_()


def train_ensemble(
    forward: Callable[[list, Any], Any],
    params: list,
    inputs: tuple,
    z: Any,
    *,
    k: int,
    steps: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    gen: Any,
) -> None:
    """Train ``k`` batched members with Adam on the mean squared error.

    Args:
        forward: ``forward(params, batch_inputs) -> (k, b)`` predictions; ``batch_inputs`` is
            ``inputs`` indexed by a ``(k, b)`` long tensor of row ids (one minibatch per member).
        params: tensors to optimise (leading member axis).
        inputs: tensors with the training archs on axis 0.
        z: standardised targets ``(n,)``.
        k, steps, batch_size, lr, weight_decay: ensemble size and Adam settings.
        gen: torch Generator for the minibatch draws.
    """
    torch = _torch()
    n = len(z)
    b = min(batch_size, n)
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    for _ in range(steps):
        rows = torch.rand(k, n, generator=gen).argsort(dim=1)[:, :b]
        pred = forward(params, tuple(t[rows] for t in inputs))
        loss = ((pred - z[rows]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


class EnsemblePredictor(Predictor):
    """Common fit/predict of batched neural ensembles; subclasses define inputs and the network.

    Training runs ``max(steps, ceil(min_epochs * n / batch_size))`` Adam steps (``n_steps_``), so
    large training sets are seen often enough.

    Subclasses set the constructor arguments ``k``, ``steps``, ``min_epochs``, ``batch_size``, ``lr``,
    ``weight_decay``, ``log_error`` and ``seed`` and implement :meth:`_inputs`, :meth:`_init_params`
    and :meth:`_forward`.
    """

    probabilistic: ClassVar[bool] = True
    k: int
    steps: int
    min_epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    log_error: bool
    seed: int

    def _inputs(self, archs: np.ndarray) -> tuple:
        """Torch tensors of the archs, each with the arch on axis 0."""
        raise NotImplementedError

    def _init_params(self, inputs: tuple, gen: Any) -> list:
        """Freshly initialised parameters with a leading member axis of size ``k``."""
        raise NotImplementedError

    def _forward(self, params: list, inputs: tuple) -> Any:
        """Predictions ``(k, b)`` for inputs indexed ``(k, b, ...)``."""
        raise NotImplementedError

    def _check(self) -> None:
        for name in ("k", "steps", "batch_size", "min_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "min_epochs" else 1):
                raise ConfigError(f"{name} must be an integer >= {0 if name == 'min_epochs' else 1}, got {value!r}")

    def fit(self, archs: np.ndarray, y: np.ndarray, *, curves: SideInput = None,
            train_losses: SideInput = None, proxies: SideInput = None) -> EnsemblePredictor:
        """Train the ensemble; see :class:`Predictor`."""
        torch = _torch()
        self._check()
        archs, y = check_fit_inputs(archs, y)
        self.scaler_ = TargetScaler.fit(y, self.log_error)
        z = torch.as_tensor(self.scaler_.transform(y), dtype=torch.float32)
        inputs = self._inputs(archs)
        gen = torch.Generator().manual_seed(int(self.seed))
        params = self._init_params(inputs, gen)
        self.n_steps_ = max(self.steps, -(-self.min_epochs * len(archs) // min(self.batch_size, len(archs))))
        train_ensemble(
            self._forward, params, inputs, z, k=self.k, steps=self.n_steps_, batch_size=self.batch_size,
            lr=self.lr, weight_decay=self.weight_decay, gen=gen,
        )
        self.params_ = [p.detach() for p in params]
        return self

    def _members(self, archs: np.ndarray) -> np.ndarray:
        """Standardised predictions of every member, ``(k, n)``.

        Archs with identical inputs are run through the networks once: with ``pruned`` inputs every
        encoding is a function of the pruned cell's ops, and the 15,625 cells have 9,445 distinct
        pruned forms.
        """
        torch = _torch()
        cells, inverse = unique_cells(check_archs(archs), pruned=bool(getattr(self, "pruned", False)))
        unique = self._inputs(cells)
        blocks = []
        with torch.no_grad():
            for start in range(0, len(cells), _PREDICT_CHUNK):  # blocks that stay in cache
                rows = torch.arange(start, min(start + _PREDICT_CHUNK, len(cells))).expand(self.k, -1)
                blocks.append(self._forward(self.params_, tuple(t[rows] for t in unique)).double().numpy())
        return np.concatenate(blocks, axis=1)[:, inverse]

    def predict(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                proxies: SideInput = None) -> np.ndarray:
        """Ensemble mean in target units, shape ``(n,)``."""
        return self.scaler_.inverse_mean(self._members(archs).mean(axis=0))

    def predict_dist(self, archs: np.ndarray, *, curves: SideInput = None, train_losses: SideInput = None,
                     proxies: SideInput = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation over members, in target units, each ``(n,)``."""
        members = self._members(archs)
        return self.scaler_.inverse_dist(members.mean(axis=0), members.std(axis=0))


class MLPEnsemble:
    """An ensemble of independently initialised ReLU MLPs (two hidden layers) trained full-batch with Adam.

    Plain numpy, no torch: every member trains at once as batched matrix products, and all weights,
    gradients and Adam moments live in one flat float32 buffer each, so an Adam step is a handful of
    array operations whatever the number of layers. Targets are standardised internally. This is the
    ensemble the search strategies (BANANAS, NPENAS, PNAS) refit at every batch: small data (tens to
    hundreds of archs), many refits.

    Args:
        rng: source of the initial weights.
        n_members: ensemble size.
        hidden: width of each of the two hidden layers.
        epochs: full-batch Adam steps.
        lr: Adam learning rate.
        weight_decay: L2 penalty on the weights (not the biases).
    """

    def __init__(self, rng: np.random.Generator, *, n_members: int = 5, hidden: int = 32, epochs: int = 200,
                 lr: float = 0.01, weight_decay: float = 1e-4) -> None:
        self.rng = rng
        self.n_members, self.hidden, self.epochs, self.lr, self.weight_decay = n_members, hidden, epochs, lr, weight_decay
        self.flat_: np.ndarray | None = None  # every weight, one float32 buffer (set by fit)
        self.params_: list[np.ndarray] = []  # views of flat_: w1, b1, w2, b2, w3, b3

    def _shapes(self, d: int) -> list[tuple[int, int, int]]:
        e, h = self.n_members, self.hidden
        return [(e, d, h), (e, 1, h), (e, h, h), (e, 1, h), (e, h, 1), (e, 1, 1)]

    @staticmethod
    def _views(flat: np.ndarray, shapes: list[tuple[int, int, int]]) -> list[np.ndarray]:
        out, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            out.append(flat[start : start + size].reshape(shape))
            start += size
        return out

    def _init_weights(self, d: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """He-initialised weights and zero biases in one flat float32 buffer, and its views."""
        shapes = self._shapes(d)
        fan_in = [d, 1, self.hidden, 1, self.hidden, 1]
        flat = np.empty(sum(int(np.prod(s)) for s in shapes), dtype=np.float32)
        views = self._views(flat, shapes)
        for i, (view, shape, fan) in enumerate(zip(views, shapes, fan_in)):
            view[...] = self.rng.standard_normal(shape) * np.sqrt(2.0 / fan) if i % 2 == 0 else 0.0
        return flat, views

    def fit(self, x: np.ndarray, y: np.ndarray, *, warm_steps: int | None = None) -> MLPEnsemble:
        """Train on features ``x`` (``(n, d)``) and targets ``y`` (``(n,)``); return ``self``.

        Args:
            x: features, shape ``(n, d)``.
            y: targets, shape ``(n,)``.
            warm_steps: if given and the ensemble was fitted before (on the same feature width),
                continue from its weights for this many Adam steps (fresh moments) instead of
                ``epochs`` steps from a new initialisation.
        """
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std()) or 1.0
        x = np.asarray(x, dtype=np.float32)
        t = ((y - self.y_mean_) / self.y_std_).astype(np.float32)
        if warm_steps is not None and self.flat_ is not None and self.params_[0].shape[1] == x.shape[1]:
            flat, params, steps = self.flat_, self.params_, warm_steps
        else:
            (flat, params), steps = self._init_weights(x.shape[1]), self.epochs
        grad_flat = np.empty_like(flat)
        grads = self._views(grad_flat, self._shapes(x.shape[1]))
        m1, m2 = np.zeros_like(flat), np.zeros_like(flat)
        for step in range(1, steps + 1):
            self._grads(params, grads, x, t)
            m1 *= 0.9
            m1 += 0.1 * grad_flat
            m2 *= 0.999
            m2 += 0.001 * grad_flat * grad_flat
            flat -= self.lr * (m1 / (1 - 0.9**step)) / (np.sqrt(m2 / (1 - 0.999**step)) + 1e-8)
        self.flat_, self.params_ = flat, params
        return self

    def _grads(self, params: list[np.ndarray], out: list[np.ndarray], x: np.ndarray, t: np.ndarray) -> None:
        """Gradients of the mean squared error plus weight decay, written into ``out``."""
        w1, b1, w2, b2, w3, b3 = params
        g_w1, g_b1, g_w2, g_b2, g_w3, g_b3 = out
        z1 = x @ w1 + b1
        a1 = np.maximum(z1, 0.0)
        z2 = a1 @ w2 + b2
        a2 = np.maximum(z2, 0.0)
        out_ = (a2 @ w3 + b3)[..., 0]
        g_out = (2.0 / len(t)) * (out_ - t)[..., None]  # (e, n, 1)
        g_w3[...] = a2.transpose(0, 2, 1) @ g_out + self.weight_decay * w3
        g_a2 = (g_out @ w3.transpose(0, 2, 1)) * (z2 > 0)
        g_w2[...] = a1.transpose(0, 2, 1) @ g_a2 + self.weight_decay * w2
        g_a1 = (g_a2 @ w2.transpose(0, 2, 1)) * (z1 > 0)
        g_w1[...] = x.T @ g_a1 + self.weight_decay * w1
        g_b1[...] = g_a1.sum(1, keepdims=True)
        g_b2[...] = g_a2.sum(1, keepdims=True)
        g_b3[...] = g_out.sum(1, keepdims=True)

    def predict_members(self, x: np.ndarray) -> np.ndarray:
        """Each member's prediction, shape ``(n_members, n)``, in target units."""
        w1, b1, w2, b2, w3, b3 = self.params_
        x = np.asarray(x, dtype=np.float32)
        a1 = np.maximum(x @ w1 + b1, 0.0)
        a2 = np.maximum(a1 @ w2 + b2, 0.0)
        return (a2 @ w3 + b3)[..., 0].astype(np.float64) * self.y_std_ + self.y_mean_

    def predict_dist(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and standard deviation, each of shape ``(n,)``."""
        preds = self.predict_members(x)
        return preds.mean(0), preds.std(0)


@register_predictor("bananas")
class BananasPredictor(EnsemblePredictor):
    """Ensemble of MLPs on the path encoding (BANANAS, White et al. 2021).

    Args:
        encoding: vector encoding (``path`` as in BANANAS, or ``onehot``).
        pruned: encode only live paths / ops.
        hidden: width of each hidden layer.
        layers: number of hidden layers.
        k: ensemble size.
        steps: minimum number of Adam steps (each member sees one minibatch per step).
        min_epochs: minimum passes over the training set (raises the step count for large sets).
        batch_size: minibatch size.
        lr: Adam learning rate (cosine-annealed to 0).
        weight_decay: L2 penalty.
        log_error: fit ``-log(100 - y)``.
        seed: seeds initialisation and minibatches.
    """

    def __init__(
        self,
        encoding: str = "path",
        pruned: bool = True,
        hidden: int = 64,
        layers: int = 3,
        k: int = 5,
        steps: int = 500,
        min_epochs: int = 100,
        batch_size: int = 64,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        log_error: bool = True,
        seed: int = 0,
    ) -> None:
        self.encoding = encoding
        self.pruned = pruned
        self.hidden = hidden
        self.layers = layers
        self.k = k
        self.steps = steps
        self.min_epochs = min_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.log_error = log_error
        self.seed = seed

    def _inputs(self, archs: np.ndarray) -> tuple:
        x = encode(self.encoding, archs, pruned=self.pruned)
        return (_torch().as_tensor(np.asarray(x, dtype=np.float32)),)

    def _init_params(self, inputs: tuple, gen: Any) -> list:
        sizes = [inputs[0].shape[1]] + [self.hidden] * self.layers + [1]
        params: list = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            params.extend(ensemble_linear(self.k, n_in, n_out, gen))
        return params

    def _forward(self, params: list, inputs: tuple) -> Any:
        torch = _torch()
        h = inputs[0]  # (k, b, d)
        for i in range(0, len(params), 2):
            h = torch.baddbmm(params[i + 1], h, params[i])
            if i + 2 < len(params):
                h = torch.relu(h)
        return h.squeeze(-1)
