"""NAS-Bench-201's TinyNetwork, and exact parameter and FLOP counts without building it.

The network (Dong & Yang, 2020) is a stem, three stages of ``N`` cells at ``C``, ``2C`` and ``4C``
channels separated by two ResNet basic blocks that halve the resolution, and a head:

* stem: ``Conv3x3(in_channels -> C, bias=False)`` + BN (no ReLU);
* reduction: ``ReLU-Conv3x3(stride 2)-BN, ReLU-Conv3x3-BN`` plus the shortcut
  ``AvgPool2d(2, 2) -> Conv1x1(bias=False)``, summed with no ReLU after;
* cell: nodes 0..3, every node sums its incoming edges, the cell returns node 3. Edge ops are
  ``nor_conv_kxk`` = ReLU-Conv(k, bias=False)-BN, ``avg_pool_3x3`` = ``AvgPool2d(3, 1, 1,
  count_include_pad=False)``, ``skip_connect`` = identity and ``none`` = zeros. Every edge gets its own
  module even when it lies on a dead path (NB201 does the same, so such weights count as parameters);
* head: BN, ReLU, global average pooling, Linear.

Counting conventions are NB201's: params are trainable parameters in millions (BN affine weights and
biases included, running statistics not); FLOPs are multiply-accumulates of the convolutions and the
linear layer in millions (the linear bias counted as NB201's counter does; BN, pooling and sums
not counted).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from nasbench_lab.errors import ConfigError
from nasbench_lab.space import CONV1, CONV3, EDGES, N_NODES, OPS, POOL, SKIP, Arch, ops_matrix

_KERNEL = {CONV1: 1, CONV3: 3}


class ReLUConvBN(nn.Sequential):
    """``ReLU -> Conv(k, stride, padding (k-1)/2, bias=False) -> BN`` (NB201's ``nor_conv_kxk``).

    Args:
        c_in: input channels.
        c_out: output channels.
        kernel: kernel size (odd).
        stride: convolution stride.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=(kernel - 1) // 2, bias=False),
            nn.BatchNorm2d(c_out, affine=True, track_running_stats=True),
        )


class Zero(nn.Module):
    """NB201's ``none`` op: zeros of the input's shape."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x * 0`` (keeps dtype, device and memory format)."""
        return x.mul(0.0)


def make_op(op: int, channels: int) -> nn.Module:
    """The module of edge op ``op`` (an id into :data:`~nasbench_lab.space.OPS`) at ``channels``."""
    if op in _KERNEL:
        return ReLUConvBN(channels, channels, _KERNEL[op])
    if op == POOL:
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    if op == SKIP:
        return nn.Identity()
    return Zero()


class Cell(nn.Module):
    """One NB201 cell with fixed ops.

    Args:
        arch: the cell's ops.
        channels: channels of every node.
    """

    def __init__(self, arch: Arch, channels: int) -> None:
        super().__init__()
        self.arch = arch
        self.edges = nn.ModuleList(make_op(op, channels) for op in arch.ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the cell DAG and return node 3."""
        nodes = [x]
        edge = 0
        for node in range(1, N_NODES):
            total = self.edges[edge](nodes[0])
            for src in range(1, node):
                total = total + self.edges[edge + src](nodes[src])
            edge += node
            nodes.append(total)
        return nodes[-1]

    def extra_repr(self) -> str:
        return str(self.arch)


class ResNetBasicBlock(nn.Module):
    """NB201's reduction block: halves the resolution and maps ``c_in`` to ``c_out`` channels."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Sum of the main path and the shortcut (no ReLU after)."""
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    """NB201's TinyNetwork for one cell, stacked ``N`` times per stage.

    Args:
        arch: the cell.
        C: channels of the first stage.
        N: cells per stage.
        in_channels: image channels.
        num_classes: outputs of the classifier.
    """

    def __init__(self, arch: Arch, C: int, N: int, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.arch = arch
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C)
        )
        layers: list[nn.Module] = []
        c_prev = C
        for stage, channels in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResNetBasicBlock(c_prev, channels))
            layers.extend(Cell(arch, channels) for _ in range(N))
            c_prev = channels
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(batch, num_classes)`` for images ``(batch, in_channels, H, W)``."""
        out = self.lastact(self.cells(self.stem(x)))
        return self.classifier(self.global_pooling(out).flatten(1))


def _check_sizes(C: int, N: int, in_channels: int, num_classes: int) -> None:
    for name, value, low in (("C", C, 1), ("N", N, 0), ("in_channels", in_channels, 1), ("num_classes", num_classes, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"network {name} must be an integer >= {low}, got {value!r}")


def build_network(
    arch: Arch | int | str, *, C: int = 16, N: int = 5, in_channels: int = 3, num_classes: int = 10
) -> nn.Module:
    """Build NB201's TinyNetwork for ``arch`` (freshly initialised from torch's global RNG).

    Args:
        arch: an :class:`~nasbench_lab.space.Arch`, NB201 index or arch string.
        C: channels of the first stage (NB201: 16).
        N: cells per stage (NB201: 5).
        in_channels: image channels.
        num_classes: classifier outputs.

    Returns:
        The network as a :class:`TinyNetwork` module.

    Raises:
        ArchError: ``arch`` cannot be read.
        ConfigError: a size is not a positive integer.
    """
    _check_sizes(C, N, in_channels, num_classes)
    return TinyNetwork(Arch.coerce(arch), int(C), int(N), int(in_channels), int(num_classes))


def _op_counts(indices: Iterable[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ops = ops_matrix(indices)
    return (ops == CONV3).sum(axis=1).astype(np.int64), (ops == CONV1).sum(axis=1).astype(np.int64)


def params_many(
    indices: Iterable[int] | np.ndarray, *, C: int = 16, N: int = 5, in_channels: int = 3, num_classes: int = 10
) -> np.ndarray:
    """Exact parameter counts (millions) of many archs, shape ``(n,)``, without building modules.

    Args:
        indices: NB201 indices, shape ``(n,)``.
        C, N, in_channels, num_classes: network sizes as in :func:`build_network`.

    Returns:
        float64 array of parameter counts in millions (NB201 convention, BN affine included).
    """
    _check_sizes(C, N, in_channels, num_classes)
    n3, n1 = _op_counts(indices)
    widths = (C, 2 * C, 4 * C)
    total = np.zeros(n3.shape, dtype=np.int64)
    for c in widths:  # ReLU-Conv-BN: k*k*c*c weights + 2c BN affine
        total += N * (n3 * (9 * c * c + 2 * c) + n1 * (c * c + 2 * c))
    fixed = in_channels * C * 9 + 2 * C  # stem conv + BN
    for c_in, c_out in zip(widths, widths[1:]):  # reduction blocks
        fixed += 9 * c_in * c_out + 2 * c_out + 9 * c_out * c_out + 2 * c_out + c_in * c_out
    c_last = widths[-1]
    fixed += 2 * c_last + c_last * num_classes + num_classes  # head BN + linear
    return (total + fixed) / 1e6


def count_params(
    arch: Arch | int | str, *, C: int = 16, N: int = 5, in_channels: int = 3, num_classes: int = 10
) -> float:
    """Exact parameter count of ``arch``'s network in millions (see :func:`params_many`)."""
    index = Arch.coerce(arch).index
    return float(params_many([index], C=C, N=N, in_channels=in_channels, num_classes=num_classes)[0])


def _stage_sizes(image_size: int) -> tuple[int, int, int]:
    """Spatial side of each stage; the stride-2 conv and the 2x2 pool must agree, so sides stay even."""
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or image_size < 4 or image_size % 4:
        raise ConfigError(f"image_size must be a multiple of 4 (>= 4) for NB201's two reductions, got {image_size!r}")
    return int(image_size), int(image_size) // 2, int(image_size) // 4


def flops_many(
    indices: Iterable[int] | np.ndarray,
    *,
    C: int = 16,
    N: int = 5,
    in_channels: int = 3,
    num_classes: int = 10,
    image_size: int = 32,
) -> np.ndarray:
    """Multiply-accumulates (millions) of one forward pass of one image, shape ``(n,)``.

    Counts convolutions and the linear layer with its bias (NB201 convention); BN, pooling and sums
    are free.

    Args:
        indices: NB201 indices, shape ``(n,)``.
        C, N, in_channels, num_classes: network sizes as in :func:`build_network`.
        image_size: side of the square input image.

    Returns:
        float64 array of MACs in millions.
    """
    _check_sizes(C, N, in_channels, num_classes)
    sides = _stage_sizes(image_size)
    widths = (C, 2 * C, 4 * C)
    n3, n1 = _op_counts(indices)
    total = np.zeros(n3.shape, dtype=np.int64)
    for c, s in zip(widths, sides):
        total += N * (n3 * 9 + n1) * c * c * s * s
    fixed = 9 * in_channels * C * sides[0] ** 2
    for (c_in, c_out), s in zip(zip(widths, widths[1:]), sides[1:]):
        fixed += (9 * c_in * c_out + 9 * c_out * c_out + c_in * c_out) * s * s
    fixed += widths[-1] * num_classes + num_classes  # NB201's counter adds the linear bias
    return (total + fixed) / 1e6


def count_flops(
    arch: Arch | int | str,
    *,
    C: int = 16,
    N: int = 5,
    in_channels: int = 3,
    num_classes: int = 10,
    image_size: int = 32,
) -> float:
    """MACs (millions) of one forward pass of one ``image_size`` image (see :func:`flops_many`)."""
    index = Arch.coerce(arch).index
    return float(
        flops_many([index], C=C, N=N, in_channels=in_channels, num_classes=num_classes, image_size=image_size)[0]
    )


def module_params(module: nn.Module) -> float:
    """Trainable parameters of ``module`` in millions (the count :func:`params_many` predicts)."""
    return sum(p.numel() for p in module.parameters()) / 1e6


__all__ = [
    "EDGES",
    "OPS",
    "Cell",
    "TinyNetwork",
    "build_network",
    "count_flops",
    "count_params",
    "flops_many",
    "module_params",
    "params_many",
]
