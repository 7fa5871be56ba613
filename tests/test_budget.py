"""Tests of sim.rules.budget: the time budget, strongest contacts first."""

import numpy as np

from sim.rules.budget import within_budget


def test_budget_serves_strongest_contacts_first():
    # Agent 0 has contacts 10 (s=0.9), 11 (s=0.1), 12 (s=0.5); budget 2 drops contact 11.
    # Two incidences on contact 10 are one contact. Agent 1 has one contact, always kept.
    agent = np.array([0, 0, 0, 0, 1])
    contact = np.array([10, 11, 12, 10, 11])
    strength = np.array([0.9, 0.1, 0.5, 0.9, 0.1])
    keep = within_budget(agent, contact, strength, 2, np.zeros(5))
    assert keep.tolist() == [True, False, True, True, True]


def test_budget_none_keeps_everything():
    keep = within_budget(np.zeros(3, int), np.arange(3), np.zeros(3), None, np.zeros(3))
    assert keep.all()


def test_budget_breaks_equal_strengths_by_tiebreak():
    keep = within_budget(
        np.zeros(3, int), np.arange(3), np.full(3, 0.5), 1, np.array([0.1, 0.7, 0.3])
    )
    assert keep.tolist() == [True, False, False]


def test_budget_counts_the_first_incidence_of_a_repeated_contact():
    # Contact 10's first incidence has tiebreak 0.9, its second 0.0: 0.9 counts, so with
    # budget 1 contact 11 (0.5) wins. Equal strengths and tiebreaks go by the lower key.
    agent = np.zeros(3, int)
    keep = within_budget(
        agent, np.array([10, 11, 10]), np.full(3, 0.5), 1, np.array([0.9, 0.5, 0.0])
    )
    assert keep.tolist() == [False, True, False]
    keep = within_budget(agent, np.array([12, 11, 13]), np.ones(3), 1, np.zeros(3))
    assert keep.tolist() == [False, True, False]
