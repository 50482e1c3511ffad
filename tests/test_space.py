"""Tests of nasbench_lab/space.py (codecs, NB201 index order, validity, isomorphism, moves) and parsing.py."""

from __future__ import annotations

import csv
import itertools
import random

import numpy as np
import pytest
from conftest import nb201_file
from hypothesis import given
from hypothesis import strategies as st

from nasbench_lab import parsing, space
from nasbench_lab.errors import ArchError
from nasbench_lab.space import OPS, Arch

indices = st.integers(min_value=0, max_value=space.N_ARCHS - 1)
op_tuples = st.tuples(*[st.integers(0, 4)] * 6)


def test_shipped_order_regenerates_from_nb201_shuffle() -> None:
    # NB201 builds its list as the product of ops over the edges (last edge fastest) and shuffles it
    # once with random.seed(88); the package ships the result so nothing depends on `random` later.
    codes = list(range(space.N_ARCHS))
    random.seed(88)
    random.shuffle(codes)
    assert np.array_equal(space._order(), np.array(codes))


def test_product_order_matches_itertools_product() -> None:
    strings = [str(Arch(ops)) for ops in itertools.product(range(5), repeat=6)]
    assert [str(Arch(tuple(row))) for row in space._ops_table()[space._rank()]] == strings


@pytest.mark.parametrize(
    "index, text",
    [
        (0, "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"),
        (9, "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"),
        (123, "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"),
    ],
)
def test_known_indices(index: int, text: str) -> None:
    assert str(Arch.from_index(index)) == text
    assert Arch.parse(text).index == index


@pytest.mark.parametrize("op, index", [("nor_conv_3x3", 1462), ("skip_connect", 1835), ("none", 1651)])
def test_uniform_cells(op: str, index: int) -> None:
    assert Arch((OPS.index(op),) * 6).index == index


def test_order_equals_real_nb201_table() -> None:
    path = nb201_file("nwot_arch_score_acc.csv")
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == space.N_ARCHS
    assert all(str(Arch.from_index(i)) == row["cellstr"] for i, row in enumerate(rows))


@given(indices)
def test_index_round_trip(index: int) -> None:
    arch = Arch.from_index(index)
    assert arch.index == index
    assert Arch.parse(str(arch)) == arch
    assert Arch.coerce(str(index)) == arch == Arch.coerce(index)


@given(op_tuples)
def test_string_round_trip(ops: tuple[int, ...]) -> None:
    arch = Arch(ops)
    assert Arch.parse(str(arch)).ops == ops
    assert hash(Arch.parse(str(arch))) == hash(arch)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'conv_5x5'"),
        ("|none~0|+|none~0|none~1|", "3 nodes"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|", "3 inputs"),
        ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "must come from node 1"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|x", "node 3"),
        ("|none0|+|none~0|none~1|+|none~0|none~1|none~2|", "op~source"),
        ("", "3 nodes"),
    ],
)
def test_malformed_strings(text: str, fragment: str) -> None:
    with pytest.raises(ArchError, match=fragment):
        Arch.parse(text)


@pytest.mark.parametrize("bad", [-1, 15625, 10**9, 1.5, True, "abc"])
def test_bad_indices(bad: object) -> None:
    with pytest.raises(ArchError):
        Arch.coerce(bad)  # type: ignore[arg-type]


def test_bad_ops() -> None:
    with pytest.raises(ArchError):
        Arch((0, 1, 2))
    with pytest.raises(ArchError):
        Arch((0, 1, 2, 3, 4, 5))
    with pytest.raises(ArchError, match="outside"):
        space.ops_matrix([0, 15625])


def test_validity_count_and_definition() -> None:
    assert int(space.valid_mask().sum()) == 15284
    # Only the edge into the output alive, from a dead node: invalid.
    assert not Arch((0, 0, 0, 0, 0, 3)).is_valid
    assert Arch((3, 0, 0, 0, 0, 0)).is_valid is False
    assert Arch((0, 0, 0, 1, 0, 0)).is_valid  # direct skip input -> output
    assert Arch((3, 0, 3, 0, 0, 3)).is_valid  # chain 0->1->2->3


def test_isomorphism_class_counts() -> None:
    assert len(np.unique(space.class_ids(kind="nb201"))) == 6466
    assert len(np.unique(space.class_ids(kind="strict"))) == 6285
    assert len(np.unique(space.class_ids(kind="functional"))) == 5390
    with pytest.raises(ValueError):
        space.iso_key((0,) * 6, "other")  # type: ignore[arg-type]


def test_nb201_key_quirk_sum_of_zeros() -> None:
    # Node 2 gets two zero inputs: NB201 writes '#+#', so the conv 2->3 is not zeroed (unlike strict).
    ops = (0, 0, 0, 0, 0, 3)
    assert Arch(ops).iso_key("nb201") == "#+#+(#+#)@nor_conv_3x3"
    assert Arch(ops).iso_key("strict") == "#"


def _swap_nodes_1_2(ops: tuple[int, ...]) -> tuple[int, ...] | None:
    """The cell with nodes 1 and 2 relabelled, when that is still a cell (edge 1->2 must be none)."""
    e01, e02, e12, e03, e13, e23 = ops
    if e12 != space.NONE:
        return None
    return (e02, e01, e12, e03, e23, e13)


@given(op_tuples)
def test_iso_key_invariant_under_node_swap(ops: tuple[int, ...]) -> None:
    swapped = _swap_nodes_1_2(ops)
    if swapped is None:
        return
    assert space.iso_key(ops, "functional") == space.iso_key(swapped, "functional")
    for kind in ("nb201", "strict"):
        # These keys write zero terms, and node 1 has one input where node 2 has two, so they are
        # symmetric only for cells with no zero term (see the quirk test below).
        if "#" not in space.iso_key(ops, kind):
            assert space.iso_key(ops, kind) == space.iso_key(swapped, kind)


def test_nb201_key_is_not_symmetric_for_zero_nodes() -> None:
    # The documented quirk: relabelling nodes 1 and 2 changes the NB201 key of this all-zero cell.
    ops = (0, 0, 0, 0, 0, 1)
    assert space.iso_key(ops, "nb201") != space.iso_key(_swap_nodes_1_2(ops), "nb201")  # type: ignore[arg-type]
    assert space.iso_key(ops, "strict") == space.iso_key(_swap_nodes_1_2(ops), "strict")  # type: ignore[arg-type]


@given(op_tuples)
def test_skip_chain_equivalent(ops: tuple[int, ...]) -> None:
    # A skip 0->1 makes node 1 the input: the cell equals the one with ops fed from node 0 directly,
    # so its key must depend only on the expressions, which we check by re-deriving with node 1 = input.
    _e01, e02, e12, e03, e13, e23 = ops
    a = space.iso_key((space.SKIP, e02, e12, e03, e13, e23))
    b = space.iso_key((space.SKIP, e12, e02, e13, e03, e23))
    assert a == b


@given(indices, st.integers(0, 2**32 - 1))
def test_mutation_changes_exactly_one_edge(index: int, seed: int) -> None:
    arch = Arch.from_index(index)
    child = arch.mutate(np.random.default_rng(seed))
    assert sum(a != b for a, b in zip(arch.ops, child.ops)) == 1


@given(indices)
def test_neighbourhood(index: int) -> None:
    arch = Arch.from_index(index)
    nbrs = arch.neighbours()
    assert len(nbrs) == 24 == len(set(nbrs))
    assert all(sum(a != b for a, b in zip(arch.ops, n.ops)) == 1 for n in nbrs)
    assert list(space.neighbour_indices(index)) == [n.index for n in nbrs]


def test_mutation_is_uniform_over_neighbours() -> None:
    rng = np.random.default_rng(0)
    arch = Arch.from_index(42)
    counts: dict[Arch, int] = {}
    for _ in range(24_000):
        child = arch.mutate(rng)
        counts[child] = counts.get(child, 0) + 1
    assert set(counts) == set(arch.neighbours())
    assert max(counts.values()) < 1300 and min(counts.values()) > 700


def test_vectorised_helpers_agree_with_scalar() -> None:
    idx = np.array([0, 9, 123, 1462, 15624])
    ops = space.ops_matrix(idx)
    assert ops.shape == (5, 6)
    assert [tuple(r) for r in ops] == [Arch.from_index(int(i)).ops for i in idx]
    assert np.array_equal(space.indices_from_ops(ops), idx)
    assert list(space.valid_mask(idx)) == [Arch.from_index(int(i)).is_valid for i in idx]
    reps = space.representatives()
    ids = space.class_ids()
    assert np.all(ids[reps] == ids)
    assert np.all(reps <= np.arange(space.N_ARCHS))


def test_sampling_is_seeded() -> None:
    a = space.sample_indices(np.random.default_rng(3), 10)
    b = space.sample_indices(np.random.default_rng(3), 10)
    assert np.array_equal(a, b) and len(set(a.tolist())) == 10
    assert len(space.all_archs()) == space.N_ARCHS


def test_strict_parsers_take_only_ascii_digits_in_range() -> None:
    assert space.parse_index(" 6111 ") == 6111
    assert parsing.parse_seed("4294967295") == 2**32 - 1
    assert parsing.parse_seed_list("0,1") == [0, 1]
    assert space.parse_index_list("5,0-2,5") == [5, 0, 1, 2]
    for bad in ("\u00b2", "\u0663", "\uff11", "-1", "+1", "1_0", "1.0", "", "0x1", "15625", "1e3"):
        with pytest.raises(ArchError):
            space.parse_index(bad)
    for bad in ("-1", "\u0663", "4294967296"):
        with pytest.raises(ArchError):
            parsing.parse_seed(bad)
    for bad in ("", ",", "0,0", "-1"):
        with pytest.raises(ArchError):
            parsing.parse_seed_list(bad)
    for bad in ("3-1", "1-", ",", "0-15625"):
        with pytest.raises(ArchError):
            space.parse_index_list(bad)


@given(st.text(min_size=1, max_size=6))
def test_parse_index_accepts_exactly_the_ascii_numerals_in_range(text: str) -> None:
    stripped = text.strip()
    plain = stripped != "" and all(c in "0123456789" for c in stripped) and int(stripped) < space.N_ARCHS
    if plain:
        assert space.parse_index(text) == int(stripped)
    else:
        with pytest.raises(ArchError):
            space.parse_index(text)


@pytest.mark.parametrize("text", ["\u00b2", "\u0663", "-1", "15625"])
def test_arch_coerce_refuses_numbers_that_are_not_plainly_indices(text: str) -> None:
    with pytest.raises(ArchError):
        Arch.coerce(text)
