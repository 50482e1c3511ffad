"""The zero-cost proxy interface and its registry.

A proxy scores an untrained network from one minibatch (or from no data at all). Each is a class
registered by name with :func:`register_proxy`; :meth:`Proxy.score` takes the network, a minibatch and
the loss function and returns one float. Proxies that change the network (synflow replaces parameters
by their absolute values) work on a copy or restore it, so proxies can be computed one after another on
the same network.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from nasbench_lab.registry import Registry

if TYPE_CHECKING:  # torch loads with the proxy modules, not with this registry
    import torch
    from torch import nn

PROXIES: Registry[type[Proxy]] = Registry(
    "proxy", autoload=tuple(f"nasbench_lab.proxies.{m}" for m in ("activation", "datafree", "gradient"))
)
register_proxy = PROXIES.register

LossFn = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]


class Proxy(ABC):
    """Base class of zero-cost proxies.

    Class attributes:
        needs_data: False for data-free proxies (synflow, params, flops): they ignore the minibatch
            except for its shape.
        higher_is_better: the sign convention of the score (all registered proxies are oriented so that
            a larger score is meant to predict a better network).
        definition: a note on a revised definition, stored with the scores (empty for the first one), so
            scores computed under an earlier definition are refused rather than mixed with new ones.
    """

    needs_data: ClassVar[bool] = True
    higher_is_better: ClassVar[bool] = True
    definition: ClassVar[str] = ""

    @abstractmethod
    def score(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> float:
        """The proxy's score of ``net`` on inputs ``x`` (shape ``(B, C, H, W)``) and labels ``y`` (``(B,)``).

        May return NaN where the proxy is undefined for the network (see docs/proxies.md); never inf.
        """


def weight_layers(net: nn.Module) -> list[nn.Conv2d | nn.Linear]:
    """The conv and linear layers of ``net``, in registration order (the layers proxies score)."""
    from torch import nn

    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def grads_of(net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One forward/backward pass; returns ``(weight, grad)`` of every conv/linear layer.

    A layer that takes no part in the output (behind a ``none`` edge) gets a zero gradient.
    """
    import torch

    net.zero_grad(set_to_none=True)
    loss = loss_fn(net(x), y)
    loss.backward()
    out = []
    for layer in weight_layers(net):
        w = layer.weight
        g = w.grad if w.grad is not None else torch.zeros_like(w)
        out.append((w.detach(), g.detach()))
    net.zero_grad(set_to_none=True)
    return out


def finite_or_nan(value: float) -> float:
    """``value`` if finite, else NaN: an overflowing score is undefined, never stored as inf."""
    value = float(value)
    return value if abs(value) != float("inf") else float("nan")
