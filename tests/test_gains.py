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
