"""Tests of nasbench_lab/encodings.py."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab import encodings as E
from nasbench_lab.errors import ArchError, ConfigError
from nasbench_lab.space import Arch, indices_from_ops, neighbour_indices, ops_matrix

NONE, SKIP, CONV1, CONV3, POOL = range(5)
arch_index = st.integers(0, 15624)


def idx(ops: tuple[int, ...]) -> int:
    return Arch(ops).index


def test_registry_lists_the_encodings() -> None:
    assert {"onehot", "path", "live_path", "graph", "wl"} <= set(E.ENCODINGS.names())
    with pytest.raises(ConfigError, match="known: "):
        E.encode("nope", np.arange(3))
    with pytest.raises(ConfigError, match="parameters"):
        E.encode("onehot", np.arange(3), depth=2)


def test_onehot_by_hand() -> None:
    ops = (CONV3, NONE, SKIP, POOL, CONV1, CONV3)
    row = E.encode("onehot", np.array([idx(ops)]))[0]
    expected = np.zeros(30)
    for edge, op in enumerate(ops):
        expected[5 * edge + op] = 1
    assert row.shape == (30,) and np.array_equal(row, expected)


def test_onehot_pruned_turns_dead_edges_into_none() -> None:
    # 0->1 conv3 feeds node 1, but node 1 leads nowhere (1->2 and 1->3 are none): edge 0->1 is dead.
    ops = (CONV3, SKIP, NONE, NONE, NONE, CONV1)
    row = E.onehot(np.array([idx(ops)]), pruned=True)[0]
    eff = (NONE, SKIP, NONE, NONE, NONE, CONV1)
    assert np.flatnonzero(row).tolist() == [5 * e + o for e, o in enumerate(eff)]


@pytest.mark.parametrize(
    "ops, cols",
    [
        # e01, e02, e12, e03, e13, e23
        # paths: 0->3 = (e03); 0->1->3 = (e01, e13); 0->2->3 = (e02, e23); 0->1->2->3 = (e01, e12, e23)
        ((CONV3, NONE, NONE, SKIP, NONE, CONV3), [SKIP, 5 + 5 * CONV3 + NONE, 5 + 5 * NONE + CONV3,
                                                 30 + 25 * CONV3 + 5 * NONE + CONV3]),
        ((SKIP, CONV1, POOL, CONV3, CONV1, SKIP), [CONV3, 5 + 5 * SKIP + CONV1, 5 + 5 * CONV1 + SKIP,
                                                   30 + 25 * SKIP + 5 * POOL + SKIP]),
        # both length-2 paths are (conv1, conv3): they share one column
        ((CONV1, CONV1, NONE, NONE, CONV3, CONV3), [NONE, 5 + 5 * CONV1 + CONV3, 30 + 25 * CONV1 + 5 * NONE + CONV3]),
        ((CONV3,) * 6, [CONV3, 5 + 5 * CONV3 + CONV3, 30 + 31 * CONV3]),
    ],
)
def test_path_by_hand(ops: tuple[int, ...], cols: list[int]) -> None:
    row = E.encode("path", np.array([idx(ops)]))[0]
    assert row.shape == (155,)
    assert np.flatnonzero(row).tolist() == sorted(set(cols))


def test_path_pruned_keeps_only_live_paths() -> None:
    ops = (CONV3, NONE, NONE, SKIP, NONE, CONV3)
    row = E.path(np.array([idx(ops)]), pruned=True)[0]
    assert np.flatnonzero(row).tolist() == [SKIP]  # only 0->3 carries data
    assert not E.path(np.array([idx((NONE,) * 6)]), pruned=True).any()


def test_path_uses_the_true_edge_order_not_naslibs() -> None:
    # Only e12 (edge position 2) differs: it lies on path 0->1->2->3 only, so exactly the length-3
    # column changes. Under a template applied to the wrong edge order position 2 would be e03.
    a = (CONV1, CONV1, CONV1, CONV1, CONV1, CONV1)
    b = (CONV1, CONV1, POOL, CONV1, CONV1, CONV1)
    pa, pb = E.path(np.array([idx(a), idx(b)]))
    changed = np.flatnonzero(pa != pb)
    assert changed.tolist() == [30 + 25 * CONV1 + 5 * CONV1 + CONV1, 30 + 25 * CONV1 + 5 * POOL + CONV1]


def test_live_path_counts_live_input_output_paths() -> None:
    assert E.encode("live_path", [idx((CONV3,) * 6)]).sum() == 4  # 0-3, 0-1-3, 0-2-3, 0-1-2-3 all live
    enc = E.encode("live_path", [idx((NONE, NONE, NONE, CONV1, NONE, NONE))])[0]
    assert enc.sum() == 1 and enc[CONV1 - 1] == 1  # path 0-3 carrying nor_conv_1x1: live code 1
    # 0-1-3 (edges 0, 4) with skip then pool: block 1 starts at column 4, code (1-1)*4 + (4-1) = 3
    enc = E.encode("live_path", [idx((SKIP, NONE, NONE, NONE, POOL, NONE))])[0]
    assert np.flatnonzero(enc).tolist() == [4 + 3]
    assert E.encode("live_path", [idx((NONE,) * 6)]).sum() == 0
    everything = E.encode("live_path", np.arange(15625))
    assert everything.shape == (15625, E.LIVE_PATH_DIM) == (15625, 100)
    assert np.array_equal(everything, E.encode("live_path", np.arange(15625), pruned=True))


def test_space_table_is_the_cached_read_only_encoding_of_every_arch() -> None:
    table = E.space_table("onehot")
    assert table is E.space_table("onehot") and not table.flags.writeable
    assert np.array_equal(table[[5, 6111]], E.encode("onehot", [5, 6111]))
    with pytest.raises(ConfigError, match="not dense"):
        E.space_table("wl")


def test_vectorised_matches_per_arch() -> None:
    archs = np.random.default_rng(0).choice(15625, 50, replace=False)
    for name in ("onehot", "path", "graph"):
        many = E.encode(name, archs)
        one = np.concatenate([E.encode(name, np.array([a])) for a in archs])
        assert np.array_equal(many, one)
    many = E.wl(archs, h=3).toarray()
    one = np.concatenate([E.wl(np.array([a]), h=3).toarray() for a in archs])
    assert np.array_equal(many, one)


def test_graph_tensors_structure() -> None:
    g = E.graph_tensors(np.array([idx((CONV3, NONE, NONE, SKIP, NONE, CONV3))]))
    assert g.adjacency.shape == (1, 8, 8) and g.node_ops.shape == (1, 8, 7)
    # input feeds e01, e02, e03 (nodes 1, 2, 4); e23 (node 6) feeds the output
    assert np.flatnonzero(g.adjacency[0, 0]).tolist() == [1, 2, 4]
    assert np.flatnonzero(g.adjacency[0, 1]).tolist() == [3, 5]  # e01 ends at node 1: feeds e12, e13
    assert np.flatnonzero(g.adjacency[0, :, 7]).tolist() == [4, 5, 6]
    assert g.node_ops[0].argmax(axis=1).tolist() == [5, CONV3, NONE, NONE, SKIP, NONE, CONV3, 6]
    flat = E.graph(np.array([idx((CONV3, NONE, NONE, SKIP, NONE, CONV3))]))
    assert flat.shape == (1, 120)


def test_pruned_graph_removes_none_and_dead_nodes() -> None:
    # e01=conv3 feeds node 1 whose exits are none: e01 is dead; only e03 (skip) lives.
    i = idx((CONV3, NONE, NONE, SKIP, NONE, NONE))
    g = E.graph_tensors(np.array([i]), pruned=True)
    assert g.node_mask[0].tolist() == [True, False, False, False, True, False, False, True]
    assert sorted(zip(*np.nonzero(g.adjacency[0]))) == [(0, 4), (4, 7)]
    nxg = E.to_networkx(i, pruned=True)
    assert sorted(nxg.nodes) == [0, 4, 7] and nxg.nodes[4]["op"] == "skip_connect"
    full = E.to_networkx(i)
    assert full.number_of_nodes() == 8 and full.number_of_edges() == 10
    assert nx.is_directed_acyclic_graph(full)


def test_invalid_arch_prunes_to_input_and_output() -> None:
    i = idx((NONE,) * 6)
    assert E.live_nodes(np.array([i]))[0].tolist() == [True] + [False] * 6 + [True]


def test_wl_depth0_counts_node_labels() -> None:
    i = idx((CONV3, CONV3, SKIP, POOL, CONV1, CONV3))
    counts = E.wl_features(np.array([i]), h=0, pruned=False)[0].toarray()[0]
    assert counts.sum() == 8 and sorted(counts[counts > 0].tolist()) == [1, 1, 1, 1, 1, 3]


def test_wl_shares_vocabulary_and_rejects_bad_depth() -> None:
    a, b = E.wl(np.array([5]), h=2), E.wl(np.array([5, 77]), h=2)
    assert a.shape[1] == b.shape[1] and np.array_equal(a.toarray()[0], b.toarray()[0])
    with pytest.raises(ConfigError, match="WL depth"):
        E.wl_features(np.array([1]), h=E.MAX_WL_DEPTH + 1)


def test_bad_indices_are_refused() -> None:
    with pytest.raises(ArchError):
        E.onehot(np.array([15625]))


@settings(max_examples=60, deadline=None)
@given(arch_index, st.integers(0, 23))
def test_one_edit_changes_exactly_two_onehot_entries(i: int, k: int) -> None:
    j = neighbour_indices(i)[k]
    a, b = E.onehot(np.array([i, j]))
    assert int((a != b).sum()) == 2


def _swap_nodes_1_2(ops: np.ndarray) -> tuple[int, ...]:
    """The same cell with intermediate nodes 1 and 2 relabelled (needs e12 = none)."""
    e01, e02, e12, e03, e13, e23 = ops
    return (e02, e01, e12, e03, e23, e13)


@settings(max_examples=60, deadline=None)
@given(arch_index)
def test_isomorphic_relabelling_keeps_pruned_graph_encodings(i: int) -> None:
    ops = ops_matrix([i])[0].copy()
    ops[2] = NONE  # with 1->2 absent, nodes 1 and 2 are interchangeable
    a = int(indices_from_ops(ops[None])[0])
    b = int(indices_from_ops(np.array([_swap_nodes_1_2(ops)]))[0])
    wa, wb = E.wl(np.array([a, b]), h=3, pruned=True).toarray()
    assert np.array_equal(wa, wb)
    pa, pb = E.path(np.array([a, b]), pruned=True)
    assert np.array_equal(pa, pb)
    ga, gb = (E.to_networkx(x, pruned=True) for x in (a, b))
    assert nx.is_isomorphic(ga, gb, node_match=lambda u, v: u["label"] == v["label"])


@settings(max_examples=40, deadline=None)
@given(arch_index)
def test_path_pruned_is_subset_and_onehot_is_valid(i: int) -> None:
    full, pruned = E.path(np.array([i])), E.path(np.array([i]), pruned=True)
    assert ((pruned <= full).all()) and 1 <= full.sum() <= 4
    assert E.onehot(np.array([i])).sum() == 6
    live_ops = E.onehot(np.array([i]), pruned=True)[0].reshape(6, 5).argmax(axis=1)
    assert all(p in (o, NONE) for p, o in zip(live_ops, ops_matrix([i])[0]))


def test_unique_cells_groups_equal_pruned_cells() -> None:
    archs = np.arange(15625)
    cells, inverse = E.unique_cells(archs)
    assert len(cells) == 9445
    np.testing.assert_array_equal(E.onehot(cells, pruned=True)[inverse], E.onehot(archs, pruned=True))
    np.testing.assert_array_equal(E.graph(cells, pruned=True)[inverse], E.graph(archs, pruned=True))
    per_cell, per_arch = E.wl(cells, h=3)[inverse], E.wl(archs, h=3)  # sparse: compared without densifying
    assert per_cell.shape == per_arch.shape and (per_cell != per_arch).nnz == 0
    raw, raw_inverse = E.unique_cells(np.array([7, 3, 7]), pruned=False)
    assert sorted(raw.tolist()) == [3, 7] and raw[raw_inverse].tolist() == [7, 3, 7]
