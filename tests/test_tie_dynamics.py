"""Tests of sim.rules.tie_dynamics: strengthen, decay, dissolve, form."""

import numpy as np
import pytest
from test_ties import triangle_plus_tail

from sim.rules import tie_dynamics
from sim.world.ties import TieOrigin, TieTable, tie_between


def test_strengthen_closes_the_gap_by_rate():
    out = tie_dynamics.strengthen(np.array([0.2, 0.5]), np.array([True, False]), rate=0.5)
    assert out.tolist() == pytest.approx([0.6, 0.5])


def test_decay_shrinks_every_tie_by_the_rate():
    assert tie_dynamics.decay(np.array([1.0, 0.5]), 0.1).tolist() == pytest.approx([0.9, 0.45])


def test_dissolving_uses_the_floor_of_the_ties_origin():
    s = np.array([0.05, 0.05, 0.2])
    origin = np.array([TieOrigin.INITIAL, TieOrigin.CHANCE, TieOrigin.HELP])
    assert tie_dynamics.dissolving(s, origin, floor=0.1, floor_initial=0.0).tolist() == [
        False,
        True,
        False,
    ]


def test_age_ties_is_decay_then_strengthen_then_the_dissolving_mask():
    rng = np.random.default_rng(3)
    s = rng.random(1000)
    used = rng.random(1000) < 0.3
    origin = rng.integers(0, 5, 1000).astype(np.int8)
    last = np.full(1000, -1, dtype=np.int32)
    expected = tie_dynamics.strengthen(tie_dynamics.decay(s, 0.01), used, 0.2)
    before = s.copy()
    got, gone = tie_dynamics.age_ties(s, used, last, 7, 0.01, 0.2, origin, 0.3, 0.1)
    assert np.array_equal(got, expected)  # the same floats, not just close
    assert np.array_equal(s, before)  # a new array: one kept from before is not changed
    assert np.array_equal(gone, tie_dynamics.dissolving(expected, origin, 0.3, 0.1))
    assert np.array_equal(last == 7, used)


def test_new_pairs_drops_self_existing_and_repeated_pairs():
    t = triangle_plus_tail()
    a = np.array([0, 3, 1, 3, 0, 1])
    b = np.array([0, 0, 0, 1, 3, 3])
    tied = tie_between(t.indptr, t.nbr, t.tie_of, a, b) >= 0
    u, v, idx = tie_dynamics.new_pairs(a, b, tied, 4)
    # (0,0) self; (3,0) new; (1,0) exists; (3,1) new; (0,3) repeats (3,0); (1,3) repeats.
    assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(0, 3), (1, 3)]
    assert idx.tolist() == [1, 3]


def test_triadic_candidates_are_friends_of_friends():
    # A path 0-1-2: the only friend of a friend of 0 is 0 itself or 2.
    t = TieTable.from_edges(3, np.array([0, 1]), np.array([1, 2]), np.array([0.5, 0.5]))
    rng = np.random.default_rng(1)
    who, far = tie_dynamics.triadic_candidates(t.indptr, t.nbr, np.zeros(200, dtype=np.int64), rng)
    assert set(far.tolist()) == {0, 2}
    assert (who == 0).all()
