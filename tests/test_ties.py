import numpy as np
import pytest

from sim.world.tie_index import pointer_dtype
from sim.world.ties import TieKind, TieOrigin, TieTable, degree_sum, tie_between, tie_kind


def triangle_plus_tail():
    # 0-1, 0-2, 1-2 (a triangle) and 2-3 (a tail).
    return TieTable.from_edges(
        4, np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3]), np.array([0.9, 0.2, 0.5, 0.1])
    )


def test_tie_kind_is_strong_at_the_threshold():
    kinds = tie_kind(np.array([0.49, 0.5, 1.0]), 0.5)
    assert kinds.tolist() == [TieKind.WEAK, TieKind.STRONG, TieKind.STRONG]


def test_index_lists_each_agents_neighbours_and_ties():
    t = triangle_plus_tail()
    assert t.degree.tolist() == [2, 2, 3, 1]
    lo, hi = t.indptr[2], t.indptr[3]
    assert t.nbr[lo:hi].tolist() == [0, 1, 3]
    assert t.tie_of[lo:hi].tolist() == [1, 2, 3]
    assert (t.src[lo:hi] == 2).all()


def test_degree_sum_counts_repeated_rows():
    t = triangle_plus_tail()
    assert degree_sum(t.indptr, np.array([3, 2, 3]), 1) == 1 + 3 + 1
    # Flat (agent, item) indices with 2 items: 7 -> agent 3, 4 -> agent 2, 6 -> agent 3.
    assert degree_sum(t.indptr, np.array([7, 4, 6]), 2) == 1 + 3 + 1
    assert degree_sum(t.indptr, np.zeros(0, dtype=np.int64), 1) == 0


def test_tie_between_finds_the_tie_id_or_minus_one():
    t = triangle_plus_tail()
    a, b = np.array([0, 2, 3, 1, 3]), np.array([2, 1, 2, 3, 3])
    assert tie_between(t.indptr, t.nbr, t.tie_of, a, b).tolist() == [1, 2, 3, -1, -1]


def test_change_keeps_the_columns_aligned():
    t = triangle_plus_tail()
    t.change(
        np.array([False, True, False, False]),
        np.array([1]),
        np.array([3]),
        0.1,
        np.array([TieOrigin.CHANCE]),
        step=7,
    )
    assert list(zip(t.u.tolist(), t.v.tolist(), strict=True)) == [(0, 1), (1, 2), (2, 3), (1, 3)]
    assert t.strength.tolist() == [0.9, 0.5, 0.1, 0.1]
    assert t.origin.tolist() == [0, 0, 0, TieOrigin.CHANCE]
    assert t.last_used.tolist() == [-1, -1, -1, 7]
    assert t.formed.tolist() == [0, 0, 0, 7]
    assert t.degree.tolist() == [1, 3, 2, 2]


@pytest.mark.parametrize("seed", range(20))
def test_the_endpoints_read_from_the_index_are_the_ones_given(seed):
    # The table keeps no endpoint arrays: ends() reads each tie's (u, v) back from the
    # index. On random graphs given in a random tie order, it must return that order.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    pairs = np.array([(a, b) for a in range(n) for b in range(a + 1, n)])
    pairs = pairs[rng.permutation(len(pairs))][: int(rng.integers(0, len(pairs) + 1))]
    t = TieTable.from_edges(n, pairs[:, 0], pairs[:, 1], rng.random(len(pairs)))
    u, v = t.ends()
    assert u.tolist() == pairs[:, 0].tolist() and v.tolist() == pairs[:, 1].tolist()
    assert u.dtype == np.int32 and t._given is None  # the given arrays are let go


def test_a_table_without_endpoints_is_refused():
    with pytest.raises(ValueError, match="endpoints of its ties"):
        TieTable(n_agents=2, strength=np.ones(1), origin=np.zeros(1), last_used=np.zeros(1))


def test_a_table_whose_ties_never_change_holds_one_stamp_each():
    s = np.array([0.9, 0.2, 0.5, 0.1])
    still = TieTable.from_edges(4, np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3]), s, dynamic=False)
    assert still.last_used.tolist() == [-1] * 4 and still.formed.tolist() == [0] * 4
    assert still.last_used.base.size == 1 and still.formed.base.size == 1  # not per tie
    with pytest.raises(ValueError, match="read-only"):
        still.last_used[0] = 3


@pytest.mark.parametrize("seed", range(30))
def test_change_gives_the_table_and_index_of_a_rebuild(seed):
    # Random graphs, random removals and additions (including re-adding a removed pair and
    # rows that gain several ties): the incrementally updated index must equal a rebuild.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    pairs = np.array([(a, b) for a in range(n) for b in range(a + 1, n)])
    pick = rng.random(len(pairs)) < rng.random()
    u, v = pairs[pick, 0], pairs[pick, 1]
    t = TieTable.from_edges(n, u, v, rng.random(len(u)))
    gone = rng.random(len(t)) < rng.choice([0.0, 0.1, 0.5])
    kept = {(a, b) for a, b, g in zip(u.tolist(), v.tolist(), gone.tolist(), strict=True) if not g}
    free = [p for p in map(tuple, pairs.tolist()) if p not in kept]
    new = [free[i] for i in rng.permutation(len(free))[: int(rng.integers(0, 6))]]
    nu = np.array([p[0] for p in new], dtype=np.int64)
    nv = np.array([p[1] for p in new], dtype=np.int64)
    origin = np.full(len(new), TieOrigin.CHANCE)

    # Built from scratch: the kept ties in their order, then the new ones.
    keep = ~gone
    expected = TieTable.from_edges(
        n,
        np.concatenate([u[keep], nu]),
        np.concatenate([v[keep], nv]),
        np.concatenate([t.strength[keep], np.full(len(new), 0.1)]),
    )
    t.change(gone, nu, nv, 0.1, origin, step=3)
    kept = int(keep.sum())
    assert t.origin.tolist() == [TieOrigin.INITIAL] * kept + [TieOrigin.CHANCE] * len(new)
    assert t.last_used.tolist() == [-1] * kept + [3] * len(new)
    for name in ("u", "v", "strength", "indptr", "nbr", "tie_of"):
        assert np.array_equal(getattr(t, name), getattr(expected, name)), name


def test_a_table_built_without_its_index_gets_the_same_index_later():
    u, v, s = np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3]), np.array([0.9, 0.2, 0.5, 0.1])
    later = TieTable.from_edges(4, u, v, s, index=False, copy=False)
    assert not hasattr(later, "indptr")
    assert later.strength is s  # taken over, not copied
    later.reindex()
    now = TieTable.from_edges(4, u, v, s)
    assert now.strength is not s
    for name in ("indptr", "nbr", "tie_of"):
        assert np.array_equal(getattr(later, name), getattr(now, name))


def test_strong_degree_is_kept_only_while_the_ties_and_strengths_are_the_same():
    # The pull path asks for the strong degrees every step and gets them from a cache; a
    # rule that replaces the strengths or changes the ties must be seen at once.
    def counted(t, threshold):
        strong = t.strength >= threshold
        ends = np.concatenate([t.u[strong], t.v[strong]])
        return np.bincount(ends, minlength=t.n_agents).tolist(), 2 * int(strong.sum())

    t = TieTable.from_edges(4, np.array([0, 0, 1]), np.array([1, 2, 3]), np.array([0.9, 0.2, 0.6]))
    for threshold in (0.5, 0.1, 0.5):
        degree, ends = t.strong_degree(threshold)
        assert (degree.tolist(), ends) == counted(t, threshold)
    t.strength = np.array([0.1, 0.9, 0.9])  # as tie dynamics do: a new array
    assert (t.strong_degree(0.5)[0].tolist(), t.strong_degree(0.5)[1]) == counted(t, 0.5)
    t.change(np.array([True, False, False]), np.array([2]), np.array([3]), 0.7, np.array([2]), 5)
    assert (t.strong_degree(0.5)[0].tolist(), t.strong_degree(0.5)[1]) == counted(t, 0.5)
    t.change(np.array([False, True, False]), np.zeros(0), np.zeros(0), 0.7, np.zeros(0), 6)
    assert len(t) == 2
    assert (t.strong_degree(0.5)[0].tolist(), t.strong_degree(0.5)[1]) == counted(t, 0.5)


def test_the_adjacency_follows_the_index_after_ties_change():
    # The adjacency is kept until the index is replaced (reindex, change): a stale one would
    # give the structural metrics the old network.
    t = TieTable.from_edges(4, np.array([0, 0]), np.array([1, 2]), np.array([0.9, 0.2]))
    assert sorted(zip(*t.adjacency().nonzero(), strict=True)) == [(0, 1), (0, 2), (1, 0), (2, 0)]
    t.change(np.array([True, False]), np.array([2]), np.array([3]), 0.7, np.array([2]), 5)
    assert sorted(zip(*t.adjacency().nonzero(), strict=True)) == [(0, 2), (2, 0), (2, 3), (3, 2)]
    t.change(np.array([True, False]), np.zeros(0), np.zeros(0), 0.7, np.zeros(0), 6)
    assert sorted(zip(*t.adjacency().nonzero(), strict=True)) == [(2, 3), (3, 2)]


def test_the_index_pointer_is_int32_while_its_entries_fit_and_degrees_are_int64():
    # 4 B per learner less than int64; degrees are summed and squared by callers, so the
    # table hands them out widened.
    t = triangle_plus_tail()
    assert t.indptr.dtype == np.int32 and t.degree.dtype == np.int64
    t.change(np.array([True, False, False, False]), np.array([1]), np.array([3]), 0.5,
             np.array([TieOrigin.CHANCE]), step=2)  # fmt: skip
    assert t.indptr.dtype == np.int32 and t.degree.tolist() == [1, 2, 3, 2]
    assert pointer_dtype(2**31 - 2) == np.int32 and pointer_dtype(2**31 - 1) == np.int64
