"""Learning rules as array operations: gains, attention, answering, budgets, forgetting.

Every function works on whole arrays of events or agents at once; none imports Mesa. The
step in `sim.model` strings them together.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Channel(IntEnum):
    """Where a learner's gain came from (for attributing learning to tie kinds)."""

    PUSH_WEAK = 0
    PUSH_STRONG = 1
    ANSWER_WEAK = 2
    ANSWER_STRONG = 3
    ANSWER_COMMUNITY = 4
    REPOSITORY = 5
    INNOVATION = 6


def linear_in_strength(strength: np.ndarray, at_zero: float, at_one: float) -> np.ndarray:
    """A quantity that moves linearly from `at_zero` (strength 0) to `at_one` (strength 1).

    Used for attention (probability of noticing a share), bandwidth (how much of a gap one
    interaction can close) and willingness to answer.
    """
    return at_zero + (at_one - at_zero) * np.asarray(strength, dtype=np.float64)


def gain(
    k_source: np.ndarray,
    k_learner: np.ndarray,
    rate: float,
    bandwidth: np.ndarray | float,
    complexity: np.ndarray | float,
) -> np.ndarray:
    """Mastery gained from one source: a share of the gap to the source's level.

    ``gain = rate * bandwidth * (1 - complexity) * max(0, k_source - k_learner)``

    Args:
        k_source: mastery of the sharer, helper or stored answer, in [0, 1].
        k_learner: mastery of the learner, in [0, 1].
        rate: surface_rate (push) or deep_rate (pull), in [0, 1].
        bandwidth: of the tie carrying the interaction, in [0, 1].
        complexity: of the item, in [0, 1).

    Returns:
        The gain, in [0, k_source - k_learner]; never below zero, so a learner never learns
        down to a source that knows less.
    """
    gap = np.maximum(np.asarray(k_source, dtype=np.float64) - k_learner, 0.0)
    return rate * np.asarray(bandwidth) * (1.0 - np.asarray(complexity)) * gap


def p_answer(
    helpfulness: np.ndarray,
    strength: np.ndarray,
    n_able: np.ndarray,
    stranger_willingness: float,
    bystander_exponent: float,
) -> np.ndarray:
    """Probability that an able helper answers a question it sees.

    ``p = helpfulness * w(s) * n_able ** (-gamma * (1 - s))`` with
    ``w(s) = stranger_willingness + (1 - stranger_willingness) * s``.

    Willingness grows with tie strength (seed 004: weak bonds get excuses, strong bonds a
    commitment to each other's success). With `n_able` able helpers seeing the question, each
    feels less responsible: the bystander effect (Darley & Latane 1968), here weakened by tie
    strength, so a strong tie answers as if alone.

    Args:
        helpfulness: of each helper, in [0, 1].
        strength: of the tie between asker and helper (0 for a community stranger).
        n_able: able helpers who see the question, >= 1.
        stranger_willingness: willingness at strength 0 relative to strength 1, in [0, 1].
        bystander_exponent: gamma >= 0; 0 = no bystander effect.
    """
    s = np.asarray(strength, dtype=np.float64)
    willing = linear_in_strength(s, stranger_willingness, 1.0)
    n = np.maximum(np.asarray(n_able, dtype=np.float64), 1.0)
    return np.asarray(helpfulness) * willing * n ** (-bystander_exponent * (1.0 - s))


def forget(k: np.ndarray, used: np.ndarray, rate: float, floor: float) -> np.ndarray:
    """Unused mastery shrinks by the share `rate`; below `floor` it is lost (back to 0).

    Args:
        k: mastery, any shape, in [0, 1].
        used: same shape; True where the knowledge was used this step (kept as is).
        rate: share lost per step, in [0, 1].
        floor: mastery below which an item is forgotten entirely.
    """
    out = np.where(used, k, k * (1.0 - rate))
    out[(out < floor) & ~used] = 0.0
    return out.astype(k.dtype, copy=False)


def first_per_group(group: np.ndarray, score: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Index of the event with the highest score in each group (ties broken by `tiebreak`).

    Args:
        group: group id per event (e.g. flat learner*items+item index).
        score: value to maximise.
        tiebreak: random numbers; among equal scores the largest wins.

    Returns:
        Indices into the events, one per distinct group, sorted by group.
    """
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((tiebreak, score, group))
    g = group[order]
    last = np.ones(len(g), dtype=bool)
    last[:-1] = g[1:] != g[:-1]
    return order[last]


def within_budget(
    agent: np.ndarray,
    contact: np.ndarray,
    strength: np.ndarray,
    budget: int | None,
    tiebreak: np.ndarray,
) -> np.ndarray:
    """Which (agent, contact) incidences fit in each agent's time budget, strongest first.

    An agent can use at most `budget` distinct contacts (ties or community strangers) in a
    step; when it has more candidate contacts, the strongest are served first (seed 001:
    strong ties cost time, leaving less for weak ones), equal strengths in random order.

    Args:
        agent: agent id per incidence.
        contact: contact key per incidence (the same key for the same tie).
        strength: strength of the contact per incidence.
        budget: distinct contacts per agent per step; None = unlimited.
        tiebreak: a random number per incidence; among equal strengths the lower value is
            served first (with repeated contacts, the value of the first occurrence counts).

    Returns:
        Boolean mask over incidences.
    """
    n = len(agent)
    if budget is None or n == 0:
        return np.ones(n, dtype=bool)
    # Distinct (agent, contact) pairs, then rank contacts within each agent.
    order = np.lexsort((contact, agent))
    a, c = agent[order], contact[order]
    new_pair = np.ones(n, dtype=bool)
    new_pair[1:] = (a[1:] != a[:-1]) | (c[1:] != c[:-1])
    pair_id = np.cumsum(new_pair) - 1
    heads = order[new_pair]
    pa, ps, pt = agent[heads], strength[heads], tiebreak[heads]
    rank_order = np.lexsort((pt, -ps, pa))
    pa_sorted = pa[rank_order]
    start = np.ones(len(pa_sorted), dtype=bool)
    start[1:] = pa_sorted[1:] != pa_sorted[:-1]
    first_of_agent = np.maximum.accumulate(np.where(start, np.arange(len(pa_sorted)), 0))
    rank = np.empty(len(pa_sorted), dtype=np.int64)
    rank[rank_order] = np.arange(len(pa_sorted)) - first_of_agent
    keep_pair = rank < budget
    keep = np.empty(n, dtype=bool)
    keep[order] = keep_pair[pair_id]
    return keep


def random_true_column(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row with any True, a uniformly chosen column where the row is True.

    Rows with no True give -1.
    """
    if mask.size == 0:
        return np.full(mask.shape[0], -1, dtype=np.int64)
    keys = np.where(mask, rng.random(mask.shape), -1.0)
    pick = keys.argmax(axis=1)
    pick[~mask.any(axis=1)] = -1
    return pick


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, towards 1 = concentrated)."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2.0 * (ranks * x).sum()) / (n * total) - (n + 1.0) / n)
