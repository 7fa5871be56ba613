"""Tests of sim.rules.help: willingness, the bystander effect, who is able to answer."""

import numpy as np
import pytest
from test_ties import triangle_plus_tail

from sim.rules import help


def test_p_answer_without_bystanders_is_helpfulness_times_willingness():
    p = help.p_answer(
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
    alone = help.p_answer(h, s, np.ones(3), 0.2, 1.0)
    crowd = help.p_answer(h, s, np.full(3, 4), 0.2, 1.0)
    assert (crowd / alone).tolist() == pytest.approx([0.25, 1.0, 0.5])


@pytest.mark.parametrize("seed", range(10))
def test_able_members_are_the_members_who_know_enough_and_more_than_the_asker(seed):
    # Oracle: for each member asker, the members whose level is >= the threshold and above
    # the asker's, listed in the order of a stable sort by level; non-members get none.
    rng = np.random.default_rng(seed)
    n, n_items = int(rng.integers(2, 60)), int(rng.integers(1, 5))
    # Levels on a coarse grid, so equal levels (and levels equal to the asker's) are common.
    k = (rng.integers(0, 5, (n, n_items)) / 4).astype(np.float32)
    member = rng.random(n) < 0.6
    members = np.flatnonzero(member)
    askers = rng.integers(0, n, int(rng.integers(0, 30)))
    item = rng.integers(0, n_items, len(askers))
    thr = np.float32(0.5)
    start, count, ptr, sorted_members = help.able_members(
        k.ravel(), n_items, members, askers, item, member[askers], thr
    )
    for q, (a, it) in enumerate(zip(askers.tolist(), item.tolist(), strict=True)):
        if not member[a]:
            assert count[q] == 0
            continue
        col = k[members, it]
        order = members[np.argsort(col, kind="stable")]
        expected = [b for b in order.tolist() if k[b, it] >= thr and k[b, it] > k[a, it]]
        first = ptr[it] + start[q]
        got = sorted_members[first : first + int(count[q])].tolist()
        assert got == expected
        assert first + count[q] == ptr[it + 1]  # the able ones are the end of the list


def test_able_neighbours_are_the_ties_who_know_enough_and_more():
    t = triangle_plus_tail()
    # Agent 2's ties are 0, 1, 3. Item 0: 0 knows 0.9, 1 knows 0.5, 3 knows 0.4; 2 knows 0.45.
    k = np.array([[0.9], [0.5], [0.45], [0.4]], dtype=np.float32)
    owner, pos = help.able_neighbours(
        t.indptr, t.nbr, k.ravel(), 1, np.array([2, 3, 2]), np.array([0, 0, 0]), np.float32(0.5)
    )
    # Queries 0 and 2 (agent 2): 0 and 1 are able (>= 0.5 and > 0.45); 3 is not.
    # Query 1 (agent 3): its only tie, 2, knows 0.45 < 0.5.
    assert owner.tolist() == [0, 0, 2, 2]
    assert t.nbr[pos].tolist() == [0, 1, 0, 1]
