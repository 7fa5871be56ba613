"""Learning rules as array operations: gains, attention, answering, budgets, forgetting.

Every function works on whole arrays of events or agents at once; none imports Mesa. The
step in `sim.model` strings them together.
"""

from __future__ import annotations

from enum import IntEnum

import numba
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


def first_per_group(
    group: np.ndarray, score: np.ndarray, tiebreak: np.ndarray, n_groups: int | None = None
) -> np.ndarray:
    """Index of the event with the highest score in each group (ties broken by `tiebreak`).

    Args:
        group: group id per event (e.g. flat learner*items+item index).
        score: value to maximise.
        tiebreak: random numbers; among equal scores the largest wins (distinct values).
        n_groups: when given (group ids are in 0..n_groups-1) and the events are many, the
            winners are found by scattering into scratch arrays of that size (linear time)
            instead of sorting.

    Returns:
        Indices into the events, one per distinct group: sorted by group, or in event order
        when found by scattering.
    """
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    if n_groups is not None and 8 * len(group) >= n_groups:
        best = np.full(n_groups, -np.inf)
        np.maximum.at(best, group, score)
        top = np.flatnonzero(score == best[group])
        key = np.full(n_groups, -np.inf)
        np.maximum.at(key, group[top], tiebreak[top])
        return top[tiebreak[top] == key[group[top]]]
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
    x = np.sort(np.asarray(x))  # sorted in its own precision; summed in float64
    n = len(x)
    total = x.sum(dtype=np.float64)
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float((2.0 * np.dot(ranks, x.astype(np.float64))) / (n * total) - (n + 1.0) / n)


@numba.njit(cache=True)
def noticed_shares(
    indptr, nbr, tie_of, strength, sharer, item, k_flat, n_items, p_lo, p_hi, skip_redundant, rng
):  # pragma: no cover - compiled
    """Broadcast: every tie of every (sharer, item) notices with its attention probability.

    One compiled pass over the sharers' ties. Attention is linear in strength, from `p_lo`
    (strength 0) to `p_hi` (strength 1); candidates are drawn at the larger of the two by
    geometric skips (time proportional to the candidates, not the ties) and thinned to each
    tie's own probability, so every tie notices independently with exactly p(s).

    Args:
        indptr: CSR row pointer of the ties (`sim.ties.build_index`).
        nbr: CSR neighbour per entry.
        tie_of: CSR tie id per entry.
        strength: per tie.
        sharer: agent of each shared (agent, item) row.
        item: item of each row.
        k_flat: mastery at the start of the step, flattened (agent * n_items + item).
        n_items: items per agent.
        p_lo: attention at strength 0.
        p_hi: attention at strength 1.
        skip_redundant: count, instead of returning, the noticed shares whose learner already
            knows at least as much as the sharer (allowed when such an exposure changes
            nothing but the counters: no time budget, tie dynamics or forgetting).
        rng: the model's numpy Generator (its stream advances as if drawn in Python).

    Returns:
        (src, dst, item, tie, n_skipped): the noticed shares, and how many redundant ones
        were counted only.
    """
    cap = 1024
    out_src = np.empty(cap, np.int64)
    out_dst = np.empty(cap, np.int64)
    out_item = np.empty(cap, np.int64)
    out_tie = np.empty(cap, np.int64)
    n_out = 0
    skipped = 0
    p_top = max(p_lo, p_hi)
    if p_top <= 0.0:
        return out_src[:0], out_dst[:0], out_item[:0], out_tie[:0], 0
    log_q = np.log1p(-p_top) if p_top < 1.0 else 0.0
    for r in range(len(sharer)):
        a = sharer[r]
        it = item[r]
        lo = indptr[a]
        d = indptr[a + 1] - lo
        k_src = k_flat[a * n_items + it]
        j = -1
        while True:
            if p_top < 1.0:
                gap = np.floor(np.log1p(-rng.random()) / log_q) + 1.0
                if gap >= d - j:
                    break
                j += int(gap)
            else:
                j += 1
                if j >= d:
                    break
            pos = lo + j
            t = tie_of[pos]
            if p_lo != p_hi:
                if rng.random() * p_top >= p_lo + (p_hi - p_lo) * strength[t]:
                    continue
            b = nbr[pos]
            if skip_redundant and k_flat[b * n_items + it] >= k_src:
                skipped += 1
                continue
            if n_out == cap:
                cap *= 2
                out_src, out_dst, out_item, out_tie = _grow4(
                    out_src, out_dst, out_item, out_tie, cap
                )
            out_src[n_out] = a
            out_dst[n_out] = b
            out_item[n_out] = it
            out_tie[n_out] = t
            n_out += 1
    return out_src[:n_out], out_dst[:n_out], out_item[:n_out], out_tie[:n_out], skipped


@numba.njit(cache=True)
def _grow(x, cap):  # pragma: no cover - compiled
    y = np.empty(cap, x.dtype)
    y[: len(x)] = x
    return y


@numba.njit(cache=True)
def _grow4(a, b, c, d, cap):  # pragma: no cover - compiled
    return _grow(a, cap), _grow(b, cap), _grow(c, cap), _grow(d, cap)


@numba.njit(cache=True)
def pulled_shares(
    indptr, nbr, tie_of, sharing, k_flat, n_items, cand, p, rng
):  # pragma: no cover - compiled
    """Broadcast seen from the receiving side: the informative noticed shares only.

    For each candidate (learner, item) -- one that could still learn it -- every tie that
    shares the item this step and knows more is noticed with probability `p` (attention
    independent of strength). Visiting the learners that can still learn instead of the
    sharers is the "pull" direction of Beamer et al. (2012, direction-optimising BFS): far
    less work once most learners know what their ties share. The redundant shares are then
    drawn as one binomial count by the caller (`sim.model`).

    Args:
        indptr: CSR row pointer of the ties.
        nbr: CSR neighbour per entry.
        tie_of: CSR tie id per entry.
        sharing: bool per flat (agent * n_items + item): shares it this step.
        k_flat: mastery at the start of the step, flattened.
        n_items: items per agent.
        cand: flat (learner, item) indices that could learn (every one with mastery below
            some tie's must be included).
        p: attention, the same for every tie.
        rng: the model's numpy Generator.

    Returns:
        (src, dst, item, tie, n_informative): the noticed informative shares, and how many
        informative (sharer, learner, item) triples there were, noticed or not.
    """
    cap = 1024
    out_src = np.empty(cap, np.int64)
    out_dst = np.empty(cap, np.int64)
    out_item = np.empty(cap, np.int64)
    out_tie = np.empty(cap, np.int64)
    n_out = 0
    informative = 0
    for c in range(len(cand)):
        flat = cand[c]
        b = flat // n_items
        it = flat - b * n_items
        k_b = k_flat[flat]
        for pos in range(indptr[b], indptr[b + 1]):
            s = nbr[pos]
            f = s * n_items + it
            if not sharing[f] or k_flat[f] <= k_b:
                continue
            informative += 1
            if rng.random() >= p:
                continue
            if n_out == cap:
                cap *= 2
                out_src, out_dst, out_item, out_tie = _grow4(
                    out_src, out_dst, out_item, out_tie, cap
                )
            out_src[n_out] = s
            out_dst[n_out] = b
            out_item[n_out] = it
            out_tie[n_out] = tie_of[pos]
            n_out += 1
    return out_src[:n_out], out_dst[:n_out], out_item[:n_out], out_tie[:n_out], informative


@numba.njit(cache=True)
def tied_holders(indptr, nbr, k_flat, n_items, agent, item):  # pragma: no cover - compiled
    """For each (agent, item), how many of the agent's ties are aware of the item.

    The reinforcement count of complex contagion (Centola & Macy 2007), computed only for the
    exposures that need it.

    Args:
        indptr: CSR row pointer of the ties.
        nbr: CSR neighbour per entry.
        k_flat: mastery at the start of the step, flattened (agent * n_items + item).
        n_items: items per agent.
        agent: learner of each query.
        item: item of each query.
    """
    out = np.zeros(len(agent), np.int64)
    for e in range(len(agent)):
        a = agent[e]
        it = item[e]
        c = 0
        for pos in range(indptr[a], indptr[a + 1]):
            if k_flat[nbr[pos] * n_items + it] > 0:
                c += 1
        out[e] = c
    return out


@numba.njit(cache=True)
def forget_in_place(k_flat, used, rate, floor):  # pragma: no cover - compiled
    """`forget` on a flat mastery array, in place and in one pass (same rule, same result).

    Args:
        k_flat: mastery, flattened, in [0, 1]; changed in place.
        used: same length; True where the knowledge was used this step (kept as is).
        rate: share lost per step, in [0, 1].
        floor: mastery below which an item is forgotten entirely.
    """
    keep = k_flat.dtype.type(1.0 - rate)
    lost = k_flat.dtype.type(floor)  # compared in the array's precision, as numpy does
    for i in range(len(k_flat)):
        if used[i] or k_flat[i] == 0:
            continue
        x = k_flat[i] * keep
        k_flat[i] = x if x >= lost else 0


@numba.njit(cache=True)
def item_stats(k, deep_threshold):  # pragma: no cover - compiled
    """Per item (column of `k`): learners aware, summed mastery, learners at deep mastery.

    Args:
        k: mastery per (learner, item), 2-D.
        deep_threshold: mastery counted as deep.
    """
    n, m = k.shape
    aware = np.zeros(m, np.int64)
    total = np.zeros(m, np.float64)
    deep = np.zeros(m, np.int64)
    for a in range(n):
        for j in range(m):
            x = k[a, j]
            if x > 0:
                aware[j] += 1
                total[j] += x
            if x >= deep_threshold:
                deep[j] += 1
    return aware, total, deep
