"""Named encodings of NB201 architectures, each vectorised over many archs at once.

Every registered encoding is a function ``encoding(indices, **params) -> ndarray`` whose first
argument is a 1-d integer array of NB201 indices (shape ``(n,)``) and whose result has one row per
arch. Call them by name with :func:`encode`; add one with ``@register_encoding("name")``.

Registered encodings (all computed from :func:`nasbench_lab.space.ops_matrix`, never per arch):

* ``onehot``: ``(n, 30)``, column ``5 * edge + op`` (edges in :data:`~nasbench_lab.space.EDGES` order,
  ops in :data:`~nasbench_lab.space.OPS` order).
* ``path``: ``(n, 155)`` indicator over op sequences of the input->output paths. The cell has 4 such
  paths, written with their edges in the official edge order ``0->1; 0->2, 1->2; 0->3, 1->3, 2->3``
  (edge positions 0..5): ``0->3`` = (e3,), ``0->1->3`` = (e0, e4), ``0->2->3`` = (e1, e5) and
  ``0->1->2->3`` = (e0, e2, e5). A path's op sequence ``(a,)``, ``(a, b)`` or ``(a, b, c)`` (ops from
  input to output) sets column ``a``, ``5 + 5a + b`` or ``30 + 25a + 5b + c``: 5 + 25 + 125 = 155
  columns. The two length-2 paths share the 25 length-2 columns (BANANAS indexes paths by their op
  sequence, not by their route), so an arch whose two length-2 paths carry the same ops sets one
  column. With ``pruned=True`` only live paths (no ``none`` op) are set.
* ``live_path``: ``(n, 100)`` BANANAS's variant: one block per path (4 + 16 + 16 + 64 columns) over
  its sequences of non-``none`` ops, set only for live paths; see :func:`live_path`.
* ``graph``: the op-on-node DAG flattened to ``(n, 64 + 56)``: adjacency ``(8, 8)`` then node labels
  ``(8, 7)``; see :func:`graph_tensors` for the tensors and :func:`to_networkx` for ``networkx``.
* ``wl``: Weisfeiler-Lehman subtree label counts of the op-on-node graph for depths ``0..h``
  side by side, as a sparse CSR matrix (the vocabulary spans the space); see :func:`wl_features`.

Op-on-node graph: node 0 is the cell input, node ``1 + e`` carries the op of edge ``e`` and node 7 is
the cell output; node ``1 + e`` for edge ``i->j`` feeds every edge leaving node ``j`` (or the output
when ``j == 3``). Node labels are the 5 op ids, then 5 = input and 6 = output. The *pruned* form drops
``none`` nodes and every op node that is no longer on an input->output path; an invalid arch keeps only
its input and output nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse

from nasbench_lab.errors import ConfigError
from nasbench_lab.registry import Registry
from nasbench_lab.space import EDGES, N_ARCHS, N_EDGES, N_OPS, NONE, all_indices, check_indices, ops_matrix

Encoding = Callable[..., np.ndarray]
ENCODINGS: Registry[Encoding] = Registry("encoding")
register_encoding = ENCODINGS.register

N_GRAPH_NODES = N_EDGES + 2  # input, 6 op nodes, output
INPUT_NODE, OUTPUT_NODE = 0, N_GRAPH_NODES - 1
INPUT_LABEL, OUTPUT_LABEL = N_OPS, N_OPS + 1
N_NODE_LABELS = N_OPS + 2

# The 4 input->output paths as edge positions, ops read from input to output.
PATHS: tuple[tuple[int, ...], ...] = tuple(
    tuple(EDGES.index(edge) for edge in route)
    for route in (
        ((0, 3),),
        ((0, 1), (1, 3)),
        ((0, 2), (2, 3)),
        ((0, 1), (1, 2), (2, 3)),
    )
)
PATH_OFFSETS = {1: 0, 2: N_OPS, 3: N_OPS + N_OPS**2}
PATH_DIM = N_OPS + N_OPS**2 + N_OPS**3  # 155
LIVE_PATH_DIM = sum((N_OPS - 1) ** len(route) for route in PATHS)  # 4 + 16 + 16 + 64 = 100


def encode(name: str, archs: np.ndarray, **params: Any) -> np.ndarray:
    """Encode ``archs`` (NB201 indices, shape ``(n,)``) with the encoding registered as ``name``.

    Raises:
        ConfigError: ``name`` is not a registered encoding or ``params`` do not fit it.
    """
    func = ENCODINGS.get(name)
    try:
        return func(archs, **params)
    except TypeError as exc:
        raise ConfigError(f"encoding {name!r} does not take parameters {sorted(params)}: {exc}") from None


def check_encoding_name(name: str) -> None:
    """Refuse a name that is not a registered encoding.

    Raises:
        ConfigError: naming the ``encoding`` key and listing the registered names.
    """
    if name not in ENCODINGS:
        raise ConfigError(f"encoding: no encoding named {name!r}; registered: {', '.join(ENCODINGS.names())}")


@lru_cache(maxsize=8)
def space_table(name: str, pruned: bool = False) -> np.ndarray:
    """Dense encoding ``name`` of every NB201 arch, row ``i`` = index ``i``, cached and read-only.

    Search strategies score candidates over the whole space; they index this table instead of
    encoding the same archs again at every step.

    Raises:
        ConfigError: ``name`` is not a registered dense (array-valued) encoding.
    """
    table = encode(name, all_indices(), pruned=pruned)
    if not isinstance(table, np.ndarray):
        raise ConfigError(f"encoding {name!r} is not dense; space_table needs an array-valued encoding")
    table.setflags(write=False)
    return table


# --------------------------------------------------------------------------- vectors
def _effective_ops(indices: np.ndarray, pruned: bool) -> np.ndarray:
    """Op ids ``(n, 6)``; with ``pruned`` the ops of edges off every live path become ``none``."""
    ops = ops_matrix(indices).astype(np.int64)
    if pruned:
        alive = live_nodes(indices)[:, 1:-1]
        ops = np.where(alive, ops, NONE)
    return ops


def unique_cells(archs: np.ndarray, pruned: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Distinct cells among ``archs``: ``(representatives, inverse)`` with ``archs`` equivalent to
    ``representatives[inverse]``.

    With ``pruned`` two archs are the same cell when their pruned forms are equal (every pruned
    encoding here is a function of the pruned ops): the 15,625 archs have 9,445 distinct pruned
    cells. Predictors use this to evaluate each distinct input once.
    """
    archs = check_indices(archs)
    codes = _effective_ops(archs, pruned) @ (N_OPS ** np.arange(N_EDGES - 1, -1, -1))
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    return archs[first], inverse.reshape(-1)


@register_encoding("onehot")
def onehot(archs: np.ndarray, pruned: bool = False) -> np.ndarray:
    """One-hot op per edge, shape ``(n, 30)``, float32; column ``5 * edge + op``.

    Args:
        archs: NB201 indices, shape ``(n,)``.
        pruned: encode ops of edges that are on no live input->output path as ``none``.
    """
    ops = _effective_ops(archs, pruned)
    out = np.zeros((len(ops), N_EDGES * N_OPS), dtype=np.float32)
    cols = ops + N_OPS * np.arange(N_EDGES)[None, :]
    np.put_along_axis(out, cols, 1.0, axis=1)
    return out


@register_encoding("path")
def path(archs: np.ndarray, pruned: bool = False) -> np.ndarray:
    """Indicator over op sequences of the 4 input->output paths, shape ``(n, 155)``, float32.

    Args:
        archs: NB201 indices, shape ``(n,)``.
        pruned: set only paths without a ``none`` op (the paths that carry data).
    """
    ops = ops_matrix(archs).astype(np.int64)
    out = np.zeros((len(ops), PATH_DIM), dtype=np.float32)
    rows = np.arange(len(ops))
    for route in PATHS:
        col = np.full(len(ops), PATH_OFFSETS[len(route)], dtype=np.int64)
        weight = 1
        for edge in reversed(route):  # last op fastest
            col += weight * ops[:, edge]
            weight *= N_OPS
        keep = (ops[:, list(route)] != NONE).all(axis=1) if pruned else np.ones(len(ops), dtype=bool)
        out[rows[keep], col[keep]] = 1.0
    return out


@register_encoding("live_path")
def live_path(archs: np.ndarray, pruned: bool = False) -> np.ndarray:
    """BANANAS's path encoding restricted to live paths, shape ``(n, 100)``, float32.

    One block per input->output path of :data:`PATHS` (in that order), with one column per sequence
    of non-``none`` ops on it: 4 + 16 + 16 + 64 = 100 columns. A path's ops ``(a, b, ...)`` (from input
    to output, each in 1..4) set column ``offset + sum((op - 1) * 4**(L - 1 - position))`` of its
    block, only when no op on the path is ``none``. Unlike ``path``, the two length-2 paths have
    separate blocks.

    Args:
        archs: NB201 indices, shape ``(n,)``.
        pruned: accepted for a uniform interface; pruning only removes ops off every live path, so
            it does not change this encoding.
    """
    ops = ops_matrix(archs).astype(np.int64)
    live_ops = N_OPS - 1
    out = np.zeros((len(ops), LIVE_PATH_DIM), dtype=np.float32)
    offset = 0
    for route in PATHS:
        sub = ops[:, list(route)]
        rows = np.flatnonzero((sub != NONE).all(axis=1))
        code = (sub[rows] - 1) @ (live_ops ** np.arange(len(route) - 1, -1, -1))
        out[rows, offset + code] = 1.0
        offset += live_ops ** len(route)
    return out


# --------------------------------------------------------------------------- graphs
@lru_cache(maxsize=1)
def static_adjacency() -> np.ndarray:
    """Adjacency of the full op-on-node graph, shape ``(8, 8)``, ``A[k, l] = 1`` if k feeds l."""
    adj = np.zeros((N_GRAPH_NODES, N_GRAPH_NODES), dtype=np.int8)
    for e, (src, dst) in enumerate(EDGES):
        if src == 0:
            adj[INPUT_NODE, 1 + e] = 1
        for f, (src2, _) in enumerate(EDGES):
            if src2 == dst:
                adj[1 + e, 1 + f] = 1
        if dst == 3:
            adj[1 + e, OUTPUT_NODE] = 1
    adj.setflags(write=False)
    return adj


def live_nodes(archs: np.ndarray) -> np.ndarray:
    """Which op-on-node graph nodes lie on an input->output path of non-``none`` ops, ``(n, 8)`` bool.

    Input and output are always live. Nodes are in topological order (input, edges, output), so one
    forward and one backward sweep suffice.
    """
    ops = ops_matrix(archs)
    n = len(ops)
    usable = np.ones((n, N_GRAPH_NODES), dtype=bool)
    usable[:, 1:-1] = ops != NONE
    adj = static_adjacency().astype(bool)
    fwd = np.zeros_like(usable)
    fwd[:, INPUT_NODE] = True
    for k in range(1, N_GRAPH_NODES):
        fwd[:, k] = usable[:, k] & fwd[:, adj[:, k]].any(axis=1)
    bwd = np.zeros_like(usable)
    bwd[:, OUTPUT_NODE] = True
    for k in range(N_GRAPH_NODES - 2, -1, -1):
        bwd[:, k] = usable[:, k] & bwd[:, adj[k, :]].any(axis=1)
    alive = fwd & bwd
    alive[:, [INPUT_NODE, OUTPUT_NODE]] = True
    return alive


@dataclass(frozen=True)
class GraphTensors:
    """Dense op-on-node graphs of ``n`` archs.

    Attributes:
        adjacency: ``(n, 8, 8)`` float32, ``adjacency[i, k, l] = 1`` when node k feeds node l.
        node_ops: ``(n, 8, 7)`` float32 one-hot node labels (5 ops, input, output); all-zero rows
            for pruned nodes.
        node_mask: ``(n, 8)`` bool, which nodes exist (all True unless pruned).
    """

    adjacency: np.ndarray
    node_ops: np.ndarray
    node_mask: np.ndarray


def node_labels(archs: np.ndarray) -> np.ndarray:
    """Label of each op-on-node graph node, shape ``(n, 8)``: op ids, then 5 = input, 6 = output."""
    ops = ops_matrix(archs).astype(np.int64)
    labels = np.empty((len(ops), N_GRAPH_NODES), dtype=np.int64)
    labels[:, INPUT_NODE] = INPUT_LABEL
    labels[:, 1:-1] = ops
    labels[:, OUTPUT_NODE] = OUTPUT_LABEL
    return labels


def graph_tensors(archs: np.ndarray, pruned: bool = False) -> GraphTensors:
    """Dense adjacency and node-label tensors of many archs (see :class:`GraphTensors`).

    Args:
        archs: NB201 indices, shape ``(n,)``.
        pruned: drop ``none`` nodes and op nodes on no live input->output path.
    """
    archs = check_indices(archs)
    n = len(archs)
    mask = live_nodes(archs) if pruned else np.ones((n, N_GRAPH_NODES), dtype=bool)
    adj = np.broadcast_to(static_adjacency().astype(np.float32), (n, N_GRAPH_NODES, N_GRAPH_NODES))
    adj = adj * (mask[:, :, None] & mask[:, None, :])
    node_ops = np.zeros((n, N_GRAPH_NODES, N_NODE_LABELS), dtype=np.float32)
    np.put_along_axis(node_ops, node_labels(archs)[:, :, None], 1.0, axis=2)
    node_ops *= mask[:, :, None]
    return GraphTensors(adjacency=adj.astype(np.float32), node_ops=node_ops, node_mask=mask)


@register_encoding("graph")
def graph(archs: np.ndarray, pruned: bool = False) -> np.ndarray:
    """Flattened op-on-node graph, shape ``(n, 120)``: adjacency ``(8*8)`` then node labels ``(8*7)``."""
    g = graph_tensors(archs, pruned)
    n = len(g.adjacency)
    return np.concatenate([g.adjacency.reshape(n, -1), g.node_ops.reshape(n, -1)], axis=1)


def to_networkx(arch: int, pruned: bool = False) -> nx.DiGraph:
    """The op-on-node graph of one arch as a ``networkx.DiGraph``.

    Nodes are ``0..7`` (pruned nodes absent) with attributes ``label`` (int, see :func:`node_labels`)
    and ``op`` (op name, ``"input"`` or ``"output"``).
    """
    from nasbench_lab.space import OPS

    names = (*OPS, "input", "output")
    g = graph_tensors(np.array([arch]), pruned)
    labels = node_labels(np.array([arch]))[0]
    out = nx.DiGraph()
    for k in np.flatnonzero(g.node_mask[0]):
        out.add_node(int(k), label=int(labels[k]), op=names[labels[k]])
    for src, dst in zip(*np.nonzero(g.adjacency[0])):
        out.add_edge(int(src), int(dst))
    return out


# --------------------------------------------------------------------------- Weisfeiler-Lehman
MAX_WL_DEPTH = 4  # the longest input->output route has 5 nodes, so depth 4 sees whole cells


@lru_cache(maxsize=2 * (MAX_WL_DEPTH + 1))
def _wl_label_table(pruned: bool, depth: int) -> np.ndarray:
    """WL labels of every node of every arch at ``depth``, shape ``(15625, 8)``.

    A label at depth ``t`` is a compressed id of (own label at ``t-1``, sorted labels of the node's
    live predecessors at ``t-1``). Ids are numbered over the whole space, so features of any two arch
    sets share one vocabulary. Pruned nodes get label ``-1``.
    """
    archs = all_indices()
    mask = live_nodes(archs) if pruned else np.ones((N_ARCHS, N_GRAPH_NODES), dtype=bool)
    if depth == 0:
        labels = np.where(mask, node_labels(archs), -1)
    else:
        prev = _wl_label_table(pruned, depth - 1)
        adj = static_adjacency().astype(bool)
        max_preds = int(adj.sum(axis=0).max())
        parts = np.full((N_ARCHS, N_GRAPH_NODES, 1 + max_preds), -1, dtype=np.int64)
        parts[:, :, 0] = prev
        for k in range(N_GRAPH_NODES):
            preds = np.flatnonzero(adj[:, k])
            parts[:, k, 1 : 1 + len(preds)] = -np.sort(-prev[:, preds], axis=1)
        # Pack each row into one integer so that np.unique works on a 1-d array (much faster).
        base = int(parts.max()) + 2
        packed = np.zeros(parts.shape[:2], dtype=np.int64)
        for col in range(parts.shape[2]):
            packed = packed * base + (parts[:, :, col] + 1)
        _, ids = np.unique(packed, return_inverse=True)
        labels = np.where(mask, ids.reshape(N_ARCHS, N_GRAPH_NODES), -1)
    labels.setflags(write=False)
    return labels


@lru_cache(maxsize=2 * (MAX_WL_DEPTH + 1))
def _wl_vocab(pruned: bool, depth: int) -> tuple[np.ndarray, int]:
    """Map from raw label id to feature column at ``depth`` (labels seen on live nodes), and its size."""
    table = _wl_label_table(pruned, depth)
    used = np.unique(table[table >= 0])
    lookup = np.full(int(table.max()) + 1, -1, dtype=np.int64)
    lookup[used] = np.arange(len(used))
    return lookup, len(used)


def wl_features(archs: np.ndarray, h: int = 2, pruned: bool = True) -> list[sparse.csr_matrix]:
    """WL subtree label counts per depth: ``h + 1`` sparse matrices of shape ``(n, vocab_t)``.

    The vocabulary at a depth covers every label that occurs anywhere in the space (thousands at
    depth >= 2), while each arch has at most 8 labels per depth, hence sparse CSR float64 matrices.

    Args:
        archs: NB201 indices, shape ``(n,)``.
        h: deepest WL iteration (0 counts the node labels only).
        pruned: run on the pruned op-on-node graph (NAS-BOWL prunes).

    Raises:
        ConfigError: ``h`` is outside ``0..MAX_WL_DEPTH``.
    """
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 0 <= h <= MAX_WL_DEPTH:
        raise ConfigError(f"WL depth h must be an integer in 0..{MAX_WL_DEPTH}, got {h!r}")
    archs = check_indices(archs)
    out = []
    for depth in range(h + 1):
        lookup, size = _wl_vocab(pruned, depth)
        labels = _wl_label_table(pruned, depth)[archs]
        live = labels >= 0
        rows = np.broadcast_to(np.arange(len(archs))[:, None], labels.shape)[live]
        counts = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, lookup[labels[live]])), shape=(len(archs), size)
        )
        counts.sum_duplicates()
        out.append(counts)
    return out


@register_encoding("wl")
def wl(archs: np.ndarray, h: int = 2, pruned: bool = True) -> sparse.csr_matrix:
    """WL subtree label counts for depths ``0..h`` side by side, a sparse ``(n, sum of vocab sizes)``.

    Sparse because the vocabulary spans the whole space (see :func:`wl_features`); call
    ``.toarray()`` for a dense array of a few archs.
    """
    return sparse.hstack(wl_features(archs, h, pruned), format="csr")
