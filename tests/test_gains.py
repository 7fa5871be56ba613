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


def test_scattering_sorts_ids_of_any_span_by_radix():
    # The scatter puts the events in group order by a radix sort of 8 bits a pass over the
    # ids' span: ids that share their low bits (passes skipped), ids near 2^62 (eight
    # passes), repeated ids and negative ids (counted from the end) must all give what
    # the numpy scatter gives.
    rng = np.random.default_rng(3)
    n_groups = 2**62
    for group in (
        np.arange(40) * 2**40,  # equal low bits
        n_groups - 1 - rng.integers(0, 5, 200),  # large, much repeated
        rng.integers(0, 3, 500),  # a few groups, many events
        -1 - rng.integers(0, 50, 100),  # negative: n_groups - 1 - ...
    ):
        score, tiebreak = rng.integers(0, 3, len(group)).astype(float), rng.random(len(group))
        got = gains.first_per_group(group, score, tiebreak, n_groups, scatter=True)
        # Distinct tiebreaks: the winners are those of sorting (the oracle's other path; its
        # scatter would need an array of n_groups).
        want = _first_per_group_numpy(group % n_groups, score, tiebreak)
        assert sorted(got.tolist()) == sorted(want.tolist())
    with pytest.raises(IndexError):
        gains.first_per_group(np.array([3, 7, 3, 40, 1]), np.zeros(5), np.zeros(5), 40, True)


def test_scattering_gives_what_sorting_gives_for_few_events():
    # apply_best always scatters, so few events (8 x events < groups) are scattered too and
    # then put in group order: with distinct tiebreaks (random, as in the model) the winners
    # and their order must be exactly those of sorting, which the steps' sums depend on.
    rng = np.random.default_rng(11)
    for _ in range(20):
        n_groups = 1000
        group = rng.integers(0, n_groups, 60)  # 8 x 60 < 1000: the sorted regime
        score = rng.integers(0, 4, 60).astype(float)
        tiebreak = rng.random(60)
        want = gains.first_per_group(group, score, tiebreak, n_groups)
        got = gains.first_per_group(group, score, tiebreak, n_groups, scatter=True)
        assert got.tolist() == want.tolist()
        assert np.all(np.diff(group[got]) > 0)
