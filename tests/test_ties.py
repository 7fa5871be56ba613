import numpy as np
import pytest

from sim import ties
from sim.ties import TieKind, TieOrigin, TieTable


def triangle_plus_tail():
    # 0-1, 0-2, 1-2 (a triangle) and 2-3 (a tail).
    return TieTable.from_edges(
        4, np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3]), np.array([0.9, 0.2, 0.5, 0.1])
    )


def test_strengthen_closes_the_gap_by_rate():
    out = ties.strengthen(np.array([0.2, 0.5]), np.array([True, False]), rate=0.5)
    assert out.tolist() == pytest.approx([0.6, 0.5])


def test_decay_shrinks_every_tie_by_the_rate():
    assert ties.decay(np.array([1.0, 0.5]), 0.1).tolist() == pytest.approx([0.9, 0.45])


def test_dissolving_uses_the_floor_of_the_ties_origin():
    s = np.array([0.05, 0.05, 0.2])
    origin = np.array([TieOrigin.INITIAL, TieOrigin.CHANCE, TieOrigin.HELP])
    assert ties.dissolving(s, origin, floor=0.1, floor_initial=0.0).tolist() == [False, True, False]


def test_tie_kind_is_strong_at_the_threshold():
    kinds = ties.tie_kind(np.array([0.49, 0.5, 1.0]), 0.5)
    assert kinds.tolist() == [TieKind.WEAK, TieKind.STRONG, TieKind.STRONG]


def test_index_lists_each_agents_neighbours_and_ties():
    t = triangle_plus_tail()
    assert t.degree.tolist() == [2, 2, 3, 1]
    lo, hi = t.indptr[2], t.indptr[3]
    assert t.nbr[lo:hi].tolist() == [0, 1, 3]
    assert t.tie_of[lo:hi].tolist() == [1, 2, 3]
    assert (t.src[lo:hi] == 2).all()


def test_expand_rows_gives_every_position_of_repeated_rows():
    t = triangle_plus_tail()
    owner, pos = ties.expand_rows(t.indptr, np.array([3, 0, 3]))
    assert owner.tolist() == [0, 1, 1, 2]
    assert t.nbr[pos].tolist() == [2, 1, 2, 2]


def test_new_pairs_drops_self_existing_and_repeated_pairs():
    t = triangle_plus_tail()
    a = np.array([0, 3, 1, 3, 0, 1])
    b = np.array([0, 0, 0, 1, 3, 3])
    u, v, idx = ties.new_pairs(a, b, np.sort(t.keys()), 4)
    # (0,0) self; (3,0) new; (1,0) exists; (3,1) new; (0,3) repeats (3,0); (1,3) repeats.
    assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(0, 3), (1, 3)]
    assert idx.tolist() == [1, 3]


def test_triadic_candidates_are_friends_of_friends():
    # A path 0-1-2: the only friend of a friend of 0 is 0 itself or 2.
    t = TieTable.from_edges(3, np.array([0, 1]), np.array([1, 2]), np.array([0.5, 0.5]))
    rng = np.random.default_rng(1)
    who, far = ties.triadic_candidates(t.indptr, t.nbr, np.zeros(200, dtype=np.int64), rng)
    assert set(far.tolist()) == {0, 2}
    assert (who == 0).all()


def test_add_and_remove_keep_the_columns_aligned():
    t = triangle_plus_tail()
    t.remove(np.array([False, True, False, False]))
    t.add(np.array([1]), np.array([3]), 0.1, np.array([TieOrigin.CHANCE]), step=7)
    t.reindex()
    assert list(zip(t.u.tolist(), t.v.tolist(), strict=True)) == [(0, 1), (1, 2), (2, 3), (1, 3)]
    assert t.strength.tolist() == [0.9, 0.5, 0.1, 0.1]
    assert t.origin.tolist() == [0, 0, 0, TieOrigin.CHANCE]
    assert t.last_used.tolist() == [-1, -1, -1, 7]
    assert t.degree.tolist() == [1, 3, 2, 2]
