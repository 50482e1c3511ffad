"""The NAS-Bench-201 cell search space.

The cell is a DAG over nodes 0..3: node 0 is the cell input, node 3 its output, and every node sums
its incoming edges. Each of the 6 edges carries one of 5 operations. Edges and operations are kept in
NB201's official order everywhere in the package:

* edges: ``0->1; 0->2, 1->2; 0->3, 1->3, 2->3`` (:data:`EDGES`)
* ops:   ``none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3`` (:data:`OPS`)

An architecture is an :class:`Arch` value. Its ``index`` is NB201's own benchmark index: the product
order of the ops over the edges (last edge fastest), shuffled once by NB201 with Python's
``random.seed(88)``. That permutation is shipped as ``nb201_order.npy`` so that nothing here depends on
Python's ``random`` at run time (``tests/test_space.py`` regenerates it).

Vectorised helpers take and return numpy arrays of indices; shapes are ``(n,)`` for indices and
``(n, 6)`` for op matrices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np

from nasbench_lab.errors import ArchError
from nasbench_lab.parsing import parse_uint

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
N_OPS = len(OPS)
N_EDGES = len(EDGES)
N_NODES = 4
N_ARCHS = N_OPS**N_EDGES  # 15,625

NONE, SKIP, CONV1, CONV3, POOL = range(N_OPS)
_OP_ID = {name: i for i, name in enumerate(OPS)}
# Weight of each edge's op id in the product-order code (last edge fastest).
_CODE_WEIGHTS = np.array([N_OPS ** (N_EDGES - 1 - e) for e in range(N_EDGES)], dtype=np.int64)
_NODE_RE = re.compile(r"^([A-Za-z0-9_]+)~(\d+)$")

IsoKind = Literal["nb201", "strict", "functional"]
ISO_KINDS: tuple[str, ...] = ("nb201", "strict", "functional")


@lru_cache(maxsize=1)
def _order() -> np.ndarray:
    """Product-order code of every NB201 index, shape ``(15625,)``."""
    with resources.files("nasbench_lab").joinpath("nb201_order.npy").open("rb") as fh:
        order = np.load(fh).astype(np.int64)
    order.setflags(write=False)
    return order


@lru_cache(maxsize=1)
def _rank() -> np.ndarray:
    """NB201 index of every product-order code (inverse of :func:`_order`)."""
    rank = np.empty(N_ARCHS, dtype=np.int64)
    rank[_order()] = np.arange(N_ARCHS)
    rank.setflags(write=False)
    return rank


@lru_cache(maxsize=1)
def _ops_table() -> np.ndarray:
    """Op ids of every NB201 index, shape ``(15625, 6)``, dtype int8."""
    codes = _order()
    table = (codes[:, None] // _CODE_WEIGHTS[None, :]) % N_OPS
    table = table.astype(np.int8)
    table.setflags(write=False)
    return table


@dataclass(frozen=True, slots=True)
class Arch:
    """One NB201 cell: the op id on each of the 6 edges, in official edge order.

    Attributes:
        ops: tuple of 6 op ids (indices into :data:`OPS`), edges in :data:`EDGES` order.
    """

    ops: tuple[int, ...]

    def __post_init__(self) -> None:
        ops = tuple(int(o) for o in self.ops)
        if len(ops) != N_EDGES or any(not 0 <= o < N_OPS for o in ops):
            raise ArchError(f"an NB201 cell needs 6 op ids in 0..4, got {self.ops!r}")
        object.__setattr__(self, "ops", ops)

    # ----------------------------------------------------------------- codecs
    @classmethod
    def parse(cls, text: str) -> Arch:
        """Parse NB201's official string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

        Raises:
            ArchError: the string is not a well-formed NB201 cell.
        """
        if not isinstance(text, str):
            raise ArchError(f"an arch string must be a str, got {type(text).__name__}")
        nodes = text.strip().split("+")
        if len(nodes) != N_NODES - 1:
            raise ArchError(f"{text!r}: an NB201 cell has 3 nodes separated by '+', found {len(nodes)}")
        ops: list[int] = []
        for node, part in enumerate(nodes, start=1):
            if not (part.startswith("|") and part.endswith("|")):
                raise ArchError(f"{text!r}: node {node} must be written as |op~src|...|")
            items = part[1:-1].split("|")
            if len(items) != node:
                raise ArchError(f"{text!r}: node {node} must have {node} inputs, found {len(items)}")
            for src, item in enumerate(items):
                match = _NODE_RE.match(item)
                if match is None:
                    raise ArchError(f"{text!r}: cannot read edge {item!r}; expected 'op~source'")
                name, source = match.group(1), int(match.group(2))
                if name not in _OP_ID:
                    raise ArchError(f"{text!r}: unknown op {name!r}; valid ops are {', '.join(OPS)}")
                if source != src:
                    raise ArchError(f"{text!r}: node {node}'s input {src} must come from node {src}, found ~{source}")
                ops.append(_OP_ID[name])
        return cls(tuple(ops))

    def __str__(self) -> str:
        o = [OPS[i] for i in self.ops]
        return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"

    @property
    def code(self) -> int:
        """Position in the unshuffled product order (base-5 number, last edge fastest)."""
        return int(np.dot(self.ops, _CODE_WEIGHTS))

    @property
    def index(self) -> int:
        """NB201's benchmark index (0..15624)."""
        return int(_rank()[self.code])

    @classmethod
    def from_index(cls, index: int) -> Arch:
        """The arch at NB201 benchmark index ``index``.

        Raises:
            ArchError: ``index`` is not an integer in 0..15624.
        """
        return cls(tuple(_ops_table()[check_index(index)]))

    @classmethod
    def coerce(cls, arch: Arch | int | str) -> Arch:
        """Accept an :class:`Arch`, an NB201 index or an arch string (digits are read as an index)."""
        if isinstance(arch, Arch):
            return arch
        if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
            return cls.from_index(int(arch))
        if isinstance(arch, str):
            text = arch.strip()
            return cls.from_index(parse_index(text)) if _looks_numeric(text) else cls.parse(text)
        raise ArchError(f"cannot read an arch from {arch!r}: give an Arch, an index or an arch string")

    # ------------------------------------------------------------ properties
    @property
    def is_valid(self) -> bool:
        """Whether the output is reachable from the input through non-``none`` edges."""
        return bool(_valid_table()[self.index])

    def iso_key(self, kind: IsoKind = "nb201") -> str:
        """Canonical isomorphism key; see :func:`iso_key`."""
        return iso_key(self.ops, kind)

    # -------------------------------------------------------------- moves
    def mutate(self, rng: np.random.Generator) -> Arch:
        """A copy with one uniformly chosen edge set to a different, uniformly chosen op."""
        edge = int(rng.integers(N_EDGES))
        new_op = int(rng.integers(N_OPS - 1))
        if new_op >= self.ops[edge]:
            new_op += 1
        ops = list(self.ops)
        ops[edge] = new_op
        return Arch(tuple(ops))

    def neighbours(self) -> list[Arch]:
        """The 24 archs that differ from this one on exactly one edge (edge-major, op order)."""
        out = []
        for edge in range(N_EDGES):
            for op in range(N_OPS):
                if op != self.ops[edge]:
                    ops = list(self.ops)
                    ops[edge] = op
                    out.append(Arch(tuple(ops)))
        return out


def check_index(index: int) -> int:
    """Return ``index`` as an int, or raise :class:`ArchError` if it is not in 0..15624."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise ArchError(f"an arch index must be an integer, got {index!r}")
    if not 0 <= int(index) < N_ARCHS:
        raise ArchError(f"arch index {index} is outside 0..{N_ARCHS - 1}")
    return int(index)


def check_indices(indices: Iterable[int] | np.ndarray) -> np.ndarray:
    """Return ``indices`` as an int64 array, or raise :class:`ArchError` naming a bad one."""
    arr = np.asarray(indices)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ArchError(f"arch indices must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    bad = (arr < 0) | (arr >= N_ARCHS)
    if bad.any():
        raise ArchError(f"arch index {int(arr[bad][0])} is outside 0..{N_ARCHS - 1}")
    return arr


# --------------------------------------------------------------------------- strict text parsing
# Arch indices written in ASCII digits only, as every number on a command line (nasbench_lab.parsing).
_RANGE = re.compile(r"([0-9]+)-([0-9]+)", flags=re.ASCII)


def _looks_numeric(text: str) -> bool:
    """Whether ``text`` is meant as a number (any Unicode digit or a sign), not an arch string."""
    return bool(text) and ("|" not in text) and any(c.isdigit() for c in text)


def parse_index(text: str, what: str = "arch index") -> int:
    """An NB201 index (0..15624) written in ASCII digits; see :func:`~nasbench_lab.parsing.parse_uint`.

    Raises:
        ArchError: not plainly an index in range.
    """
    return parse_uint(text, what, N_ARCHS - 1)


def parse_index_list(text: str, what: str = "--archs") -> list[int]:
    """Indices and ranges: ``"6111"``, ``"0,11,284"``, ``"0-99,200"``, in the order given, repeats dropped.

    Raises:
        ArchError: a part that is not an index or an ``a-b`` range with ``a <= b``, or an empty list.
    """
    out: list[int] = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        span = _RANGE.fullmatch(part)
        if span is None:
            out.append(parse_index(part, what))
            continue
        first, last = parse_index(span.group(1), what), parse_index(span.group(2), what)
        if first > last:
            raise ArchError(f"{what} range {part!r} runs backwards: write low-high")
        out.extend(range(first, last + 1))
    if not out:
        raise ArchError(f"{what} {text!r}: give indices and ranges like 6111 or 0,11,100-199")
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- enumeration and sampling
def all_indices() -> np.ndarray:
    """All NB201 indices, ``np.arange(15625)``."""
    return np.arange(N_ARCHS, dtype=np.int64)


def all_archs() -> list[Arch]:
    """Every arch in NB201 index order."""
    return [Arch(tuple(row)) for row in _ops_table()]


def sample_indices(rng: np.random.Generator, n: int, *, replace: bool = False) -> np.ndarray:
    """``n`` uniformly drawn indices (distinct unless ``replace``)."""
    return rng.choice(N_ARCHS, size=n, replace=replace).astype(np.int64)


def sample(rng: np.random.Generator) -> Arch:
    """One uniformly drawn arch."""
    return Arch.from_index(int(rng.integers(N_ARCHS)))


# --------------------------------------------------------------------------- vectorised helpers
def ops_matrix(indices: Iterable[int] | np.ndarray) -> np.ndarray:
    """Op ids of many archs, shape ``(n, 6)``, dtype int8."""
    return _ops_table()[check_indices(indices)]


def indices_from_ops(ops: np.ndarray) -> np.ndarray:
    """NB201 indices of op matrices of shape ``(n, 6)`` (inverse of :func:`ops_matrix`)."""
    ops = np.asarray(ops, dtype=np.int64).reshape(-1, N_EDGES)
    if ((ops < 0) | (ops >= N_OPS)).any():
        raise ArchError("op ids must be in 0..4")
    return _rank()[ops @ _CODE_WEIGHTS]


def neighbour_indices(index: int) -> np.ndarray:
    """Indices of the 24 one-edit neighbours of ``index``, in :meth:`Arch.neighbours` order."""
    ops = ops_matrix([index])[0].astype(np.int64)
    rows = []
    for edge in range(N_EDGES):
        for op in range(N_OPS):
            if op != ops[edge]:
                row = ops.copy()
                row[edge] = op
                rows.append(row)
    return indices_from_ops(np.array(rows))


@lru_cache(maxsize=1)
def _valid_table() -> np.ndarray:
    ops = _ops_table()
    live = ops != NONE
    e01, e02, e12, e03, e13, e23 = (live[:, k] for k in range(N_EDGES))
    reach1 = e01
    reach2 = e02 | (reach1 & e12)
    reach3 = e03 | (reach1 & e13) | (reach2 & e23)
    reach3.setflags(write=False)
    return reach3


def valid_mask(indices: Iterable[int] | np.ndarray | None = None) -> np.ndarray:
    """Whether each arch's output is reachable through non-``none`` ops (all archs if ``None``)."""
    table = _valid_table()
    return table.copy() if indices is None else table[check_indices(indices)]


# --------------------------------------------------------------------------- isomorphism
def iso_key(ops: Iterable[int], kind: IsoKind = "nb201") -> str:
    """Canonical expression of the cell output; equal keys mean isomorphic cells.

    Three kinds, from loosest to most thorough zero handling:

    * ``"nb201"`` (default) reproduces NB201's ``consider_zero`` procedure: ``skip_connect`` passes its
      input's expression through, ``none`` (or any op reading a node written as the zero ``#``) gives
      zero, and the terms at a node are sorted and joined with ``+``. A node whose several inputs are
      all zero is written ``#+#`` rather than ``#``, so the ops it feeds are *not* zeroed: this yields
      NB201's 6,466 classes.
    * ``"strict"`` propagates zero through nodes: a node whose inputs are all zero is ``#``, so every op
      it feeds is zero too (6,285 classes). Zero terms beside non-zero ones are still written.
    * ``"functional"`` also drops zero terms from sums (``x + 0 = x``), the coarsest key that still
      only merges cells computing the same function (5,390 classes).

    Only ``"functional"`` is invariant under every relabelling of the cell: the other two write zero
    terms, and node 1 has one input where node 2 has two, so for cells with zero terms swapping the
    intermediate nodes can change their key (NB201's classes inherit that).

    Raises:
        ValueError: ``kind`` is unknown.
    """
    if kind not in ISO_KINDS:
        raise ValueError(f"unknown isomorphism kind {kind!r}; use one of {', '.join(ISO_KINDS)}")
    ops = tuple(int(o) for o in ops)
    nodes = ["0"]
    edge = 0
    for node in range(1, N_NODES):
        terms = []
        for src in range(node):
            op, expr = ops[edge], nodes[src]
            edge += 1
            if op == NONE or expr == "#":
                terms.append("#")
            elif op == SKIP:
                terms.append(expr)
            else:
                terms.append(f"({expr})@{OPS[op]}")
        if kind != "nb201" and all(t == "#" for t in terms):
            terms = ["#"]
        if kind == "functional":
            terms = [t for t in terms if t != "#"] or ["#"]
        nodes.append("+".join(sorted(terms)))
    return nodes[-1]


@lru_cache(maxsize=3)
def _class_table(kind: IsoKind) -> np.ndarray:
    keys = [iso_key(row, kind) for row in _ops_table()]
    ids: dict[str, int] = {}
    table = np.array([ids.setdefault(k, len(ids)) for k in keys], dtype=np.int64)
    table.setflags(write=False)
    return table


def class_ids(indices: Iterable[int] | np.ndarray | None = None, kind: IsoKind = "nb201") -> np.ndarray:
    """Isomorphism class id of each arch (ids number classes by first appearance in index order)."""
    table = _class_table(kind)
    return table.copy() if indices is None else table[check_indices(indices)]


def representatives(kind: IsoKind = "nb201") -> np.ndarray:
    """For every arch, the smallest NB201 index of its isomorphism class, shape ``(15625,)``."""
    ids = _class_table(kind)
    first = np.full(ids.max() + 1, N_ARCHS, dtype=np.int64)
    np.minimum.at(first, ids, np.arange(N_ARCHS))
    return first[ids]
