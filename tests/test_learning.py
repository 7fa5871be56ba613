import numpy as np
import pytest

from sim import learning


def test_linear_in_strength_interpolates():
    out = learning.linear_in_strength(np.array([0.0, 0.5, 1.0]), 0.2, 1.0)
    assert out.tolist() == pytest.approx([0.2, 0.6, 1.0])


def test_gain_closes_a_share_of_the_gap_and_never_goes_down():
    g = learning.gain(
        np.array([1.0, 0.2]),
        np.array([0.0, 0.6]),
        rate=0.5,
        bandwidth=np.array([0.8, 1.0]),
        complexity=np.array([0.25, 0.0]),
    )
    # 0.5 * 0.8 * 0.75 * (1 - 0) = 0.3; a source that knows less gives nothing.
    assert g.tolist() == pytest.approx([0.3, 0.0])


def test_p_answer_without_bystanders_is_helpfulness_times_willingness():
    p = learning.p_answer(
        np.array([0.5, 0.5]),
        np.array([0.0, 1.0]),
        np.array([1, 1]),
        stranger_willingness=0.2,
        bystander_exponent=1.0,
    )
    assert p.tolist() == pytest.approx([0.1, 0.5])


def test_bystander_effect_divides_strangers_but_not_strong_ties():
    # n = 4 able helpers, gamma = 1: a stranger answers with 1/4 of its alone probability,
    # a tie of strength 1 as if alone, a tie of 0.5 with 4 ** -0.5 = 1/2 of it.
    h = np.ones(3)
    s = np.array([0.0, 1.0, 0.5])
    alone = learning.p_answer(h, s, np.ones(3), 0.2, 1.0)
    crowd = learning.p_answer(h, s, np.full(3, 4), 0.2, 1.0)
    assert (crowd / alone).tolist() == pytest.approx([0.25, 1.0, 0.5])


def test_forget_shrinks_unused_and_drops_below_floor():
    k = np.array([0.5, 0.5, 0.0105, 0.3], dtype=np.float32)
    used = np.array([True, False, False, False])
    out = learning.forget(k, used, rate=0.1, floor=0.01)
    assert out.tolist() == pytest.approx([0.5, 0.45, 0.0, 0.27], rel=1e-6)
    assert out.dtype == np.float32


def test_first_per_group_takes_the_largest_score():
    group = np.array([5, 2, 5, 2, 7])
    score = np.array([0.1, 0.3, 0.4, 0.3, 0.0])
    tiebreak = np.array([0.0, 0.9, 0.0, 0.1, 0.5])
    assert learning.first_per_group(group, score, tiebreak).tolist() == [1, 2, 4]


def test_budget_serves_strongest_contacts_first():
    # Agent 0 has contacts 10 (s=0.9), 11 (s=0.1), 12 (s=0.5); budget 2 drops contact 11.
    # Two incidences on contact 10 are one contact. Agent 1 has one contact, always kept.
    agent = np.array([0, 0, 0, 0, 1])
    contact = np.array([10, 11, 12, 10, 11])
    strength = np.array([0.9, 0.1, 0.5, 0.9, 0.1])
    keep = learning.within_budget(agent, contact, strength, 2, np.zeros(5))
    assert keep.tolist() == [True, False, True, True, True]


def test_budget_none_keeps_everything():
    keep = learning.within_budget(np.zeros(3, int), np.arange(3), np.zeros(3), None, np.zeros(3))
    assert keep.all()


def test_budget_breaks_equal_strengths_by_tiebreak():
    keep = learning.within_budget(
        np.zeros(3, int), np.arange(3), np.full(3, 0.5), 1, np.array([0.1, 0.7, 0.3])
    )
    assert keep.tolist() == [True, False, False]


def test_random_true_column_picks_only_true_columns_uniformly():
    rng = np.random.default_rng(0)
    mask = np.tile(np.array([[False, True, True, False], [False] * 4]), (4000, 1))
    pick = learning.random_true_column(mask, rng)
    assert set(pick[0::2].tolist()) == {1, 2}
    assert (pick[1::2] == -1).all()
    # 4000 Bernoulli(1/2) picks of column 1: sd = sqrt(4000 / 4) ~ 31.6; allow 5 sd.
    assert abs((pick[0::2] == 1).sum() - 2000) < 5 * 31.6


def test_gini_of_equal_and_concentrated():
    assert learning.gini(np.ones(5)) == pytest.approx(0.0)
    # One of n holds everything: G = (n - 1) / n.
    assert learning.gini(np.array([0, 0, 0, 4.0])) == pytest.approx(0.75)
