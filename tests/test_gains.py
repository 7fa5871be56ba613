"""Tests of sim.rules.gains: the gain formula and choosing the best offer."""

import numpy as np
import pytest
from test_ordering import _first_per_group_numpy

from sim.rules import gains


def test_gain_closes_a_share_of_the_gap_and_never_goes_down():
    g = gains.gain(
        np.array([1.0, 0.2]),
        np.array([0.0, 0.6]),
        rate=0.5,
        bandwidth=np.array([0.8, 1.0]),
        complexity=np.array([0.25, 0.0]),
    )
    # 0.5 * 0.8 * 0.75 * (1 - 0) = 0.3; a source that knows less gives nothing.
    assert g.tolist() == pytest.approx([0.3, 0.0])


def test_first_per_group_takes_the_largest_score():
    group = np.array([5, 2, 5, 2, 7])
    score = np.array([0.1, 0.3, 0.4, 0.3, 0.0])
    tiebreak = np.array([0.0, 0.9, 0.0, 0.1, 0.5])
    assert gains.first_per_group(group, score, tiebreak).tolist() == [1, 2, 4]


def test_first_per_group_scatter_rejects_out_of_range_groups():
    for group in (np.array([4, 0]), np.array([-5, 0])):
        with pytest.raises(IndexError):
            _first_per_group_numpy(group, np.zeros(2), np.zeros(2), 4)
        with pytest.raises(IndexError):
            gains.first_per_group(group, np.zeros(2), np.zeros(2), 4)


def test_first_per_group_keeps_full_ties_when_scattering():
    # Equal score and tiebreak in group 0: sorting keeps the last, scattering both.
    group, score, tiebreak = np.array([0, 1, 0]), np.ones(3), np.zeros(3)
    assert gains.first_per_group(group, score, tiebreak).tolist() == [2, 1]
    assert gains.first_per_group(group, score, tiebreak, 2).tolist() == [0, 1, 2]


def test_scattering_scratch_is_left_as_found_and_reused():
    # apply_best keeps one Scratch per model between steps: every call must leave it all -1
    # (else a later step would see a group as present that has no event), also after an
    # out-of-range group stopped the kernel half way, and give what fresh scratch gives.
    rng = np.random.default_rng(3)
    scratch = gains.Scratch()
    for _ in range(5):
        group = rng.integers(0, 40, 30)
        score, tiebreak = rng.integers(0, 3, 30).astype(float), rng.random(30)
        got = gains.first_per_group(group, score, tiebreak, 40, scratch)
        assert got.tolist() == _first_per_group_numpy(group, score, tiebreak, 40).tolist()
        assert (scratch.local == -1).all()
    with pytest.raises(IndexError):
        gains.first_per_group(np.array([3, 7, 3, 40, 1]), np.zeros(5), np.zeros(5), 40, scratch)
    assert (scratch.local == -1).all()
    first = scratch.local
    gains.first_per_group(np.arange(5), np.ones(5), np.ones(5), 40, scratch)
    assert scratch.local is first  # the same array, not a new one per call


def test_scattering_with_scratch_gives_what_sorting_gives_for_few_events():
    # apply_best passes its scratch, so few events (8 x events < groups) are scattered too and
    # then put in group order: with distinct tiebreaks (random, as in the model) the winners
    # and their order must be exactly those of sorting, which the steps' sums depend on.
    rng = np.random.default_rng(11)
    scratch = gains.Scratch()
    for _ in range(20):
        n_groups = 1000
        group = rng.integers(0, n_groups, 60)  # 8 x 60 < 1000: the sorted regime
        score = rng.integers(0, 4, 60).astype(float)
        tiebreak = rng.random(60)
        want = gains.first_per_group(group, score, tiebreak, n_groups)
        got = gains.first_per_group(group, score, tiebreak, n_groups, scratch)
        assert got.tolist() == want.tolist()
        assert np.all(np.diff(group[got]) > 0)
