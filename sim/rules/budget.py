"""The time budget (MODEL.md step 3): each learner's contacts per step are limited.

"Strong ties cost time to maintain, so less time is left for weak ties" (seed 001). Each
learner can use at most `population.time_budget` distinct contacts (ties or community
strangers) in a step, shares and answers together; the strongest contacts are served first,
equal strengths in a random order. A share costs only its receiver time (broadcast,
cascade); a conversation (gossip) and an answer cost both ends.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from sim.rules.events import Events
from sim.rules.ordering import _order_key, _sort3
from sim.world.ties import pair_keys


class Budgeted(NamedTuple):
    """What the time budget let through, and whom it stopped.

    Attributes:
        fits: per event, whether every participant had room for it.
        cut_learner: per (learner, event) incidence without room: the learner.
        cut_event: the event of that incidence (an event can be cut at both its ends).
    """

    fits: np.ndarray
    cut_learner: np.ndarray
    cut_event: np.ndarray


def fits_budget(
    ev: Events, n_ties: int, n_agents: int, budget: int, rng: np.random.Generator
) -> Budgeted:
    """Which events' participants all have room in their time budget, and who had none.

    Args:
        ev: the step's shares and answers.
        n_ties: ties in the table (tie ids are 0..n_ties-1).
        n_agents: learners.
        budget: distinct contacts per learner per step.
        rng: the run's random generator.
    """
    # A contact is a tie, or a (helper, asker) stranger pair in the community.
    contact = np.where(ev.tie >= 0, ev.tie, n_ties + pair_keys(ev.src, ev.dst, n_agents))
    who = np.concatenate([ev.dst, ev.src[ev.both_spend]])
    idx = np.concatenate([np.arange(len(ev)), np.flatnonzero(ev.both_spend)])
    key = contact[idx]
    # The same random order for an agent's equal-strength contacts, whoever they are.
    tiebreak = rng.random(len(ev))[idx]
    keep = within_budget(who, key, ev.strength[idx], budget, tiebreak)
    bad = np.bincount(idx[~keep], minlength=len(ev)) > 0
    return Budgeted(~bad, who[~keep], idx[~keep])


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
    Compiled, in time linear in the incidences for typical inputs (agent ids not far more
    spread than the incidences, a few dozen contacts per agent).

    Args:
        agent: agent id per incidence (integers).
        contact: contact key per incidence (integers; the same key for the same tie).
        strength: strength of the contact per incidence.
        budget: distinct contacts per agent per step; None = unlimited.
        tiebreak: a random number per incidence; among equal strengths the lower value is
            served first (with repeated contacts, the strength and value of the contact's
            first incidence count); equal strengths and values go by the lower contact key.
            NaN strengths are served last, NaN values after all others.

    Returns:
        Boolean mask over incidences.
    """
    n = len(agent)
    if budget is None or n == 0 or budget >= n:  # an agent's rank is always below n
        return np.ones(n, dtype=bool)
    k = int(np.ceil(budget)) if budget > 0 else 0  # rank < budget (none for a NaN budget)
    if k == 0:
        return np.zeros(n, dtype=bool)
    return _within_budget_kernel(
        np.ascontiguousarray(agent, dtype=np.int64),
        np.ascontiguousarray(contact, dtype=np.int64),
        # The floats' bits, viewed here: a view inside the kernel costs ~0.5 s of compiling.
        np.ascontiguousarray(strength, dtype=np.float64).view(np.int64),
        np.ascontiguousarray(tiebreak, dtype=np.float64).view(np.int64),
        k,
    )


# long: one compiled pass (bucket, hash the contacts, rank) keeps its arrays in registers
@numba.njit(cache=True)
def _within_budget_kernel(agent, contact, s_bits, t_bits, k):  # pragma: no cover - compiled
    """`within_budget` for a budget 1 <= k < len(agent), with integer agents and contacts.

    The incidences are bucketed by agent (counting sort, or a stable sort when the ids are
    sparse), each agent's in index order, so the first incidence of a contact -- found with
    a small hash table -- heads it. The heads are ranked by (-strength, tiebreak, contact)
    (distinct contacts, so a strict order), the order of the former numpy implementation's
    two stable lexsorts (kept as the test oracle), and the first k kept. `s_bits` and
    `t_bits` are the bits of the float64 strengths and tiebreaks.

    Written with loops where numpy's functions (min, max, arange, full, views) would do:
    numba compiles each of those for seconds on an empty kernel cache (issue 16, target 1).
    """
    n = len(agent)
    # Bucket by agent: per incidence in agent order, one record of its index, contact and
    # the bits of its strength and tiebreak (one scattered write per incidence, not four).
    rec = np.empty((n, 4), np.int64)
    lo_id = agent[0]
    hi_id = agent[0]
    for i in range(1, n):
        a = agent[i]
        if a < lo_id:
            lo_id = a
        elif a > hi_id:
            hi_id = a
    if float(hi_id) - float(lo_id) <= 4.0 * n + 1024.0:
        span = hi_id - lo_id + 1
        bounds = np.zeros(span + 1, np.int64)
        for i in range(n):
            bounds[agent[i] - lo_id + 1] += 1
        for a in range(span):
            bounds[a + 1] += bounds[a]
        fill = bounds[:-1].copy()
        for i in range(n):
            a = agent[i] - lo_id
            p = fill[a]
            fill[a] = p + 1
            rec[p, 0] = i
            rec[p, 1] = contact[i]
            rec[p, 2] = s_bits[i]
            rec[p, 3] = t_bits[i]
    else:
        order = np.empty(n, np.int64)
        for i in range(n):
            order[i] = i
        _sort3(agent, agent, agent, order, np.empty(n, np.int64), n)
        bounds = np.empty(n + 1, np.int64)
        n_runs = 0
        for p in range(n):
            i = order[p]
            if p == 0 or agent[i] != agent[order[p - 1]]:
                bounds[n_runs] = p
                n_runs += 1
            rec[p, 0] = i
            rec[p, 1] = contact[i]
            rec[p, 2] = s_bits[i]
            rec[p, 3] = t_bits[i]
        bounds[n_runs] = n
        bounds = bounds[: n_runs + 1]
    longest = 0
    for s in range(len(bounds) - 1):
        longest = max(longest, bounds[s + 1] - bounds[s])
    bits_max = 1
    while (1 << bits_max) < 2 * longest:
        bits_max += 1
    stamp = np.empty(1 << bits_max, np.int64)  # slot in use for the agent `stamp`
    for h in range(1 << bits_max):
        stamp[h] = -1
    slot = np.empty(1 << bits_max, np.int64)  # the pair in the slot
    pair_of = np.empty(longest, np.int64)
    neg_s = np.empty(longest, np.int64)  # per pair, from its first incidence, as order keys
    tb = np.empty(longest, np.int64)
    pc = np.empty(longest, np.int64)
    rank = np.empty(longest, np.int64)
    tmp = np.empty(longest, np.int64)
    chosen = np.empty(longest, np.bool_)
    keep = np.zeros(n, np.bool_)
    golden = np.uint64(0x9E3779B97F4A7C15)
    sign = np.int64(-(2**63))  # the sign bit: the bits of -x are those of x ^ sign
    for s in range(len(bounds) - 1):
        lo = bounds[s]
        m = bounds[s + 1] - lo
        if m <= k:
            for p in range(lo, lo + m):
                keep[rec[p, 0]] = True
            continue
        bits = 1
        while (1 << bits) < 2 * m:
            bits += 1
        shift = np.uint64(64 - bits)
        mask = (1 << bits) - 1
        n_pairs = np.int64(0)  # not the literal 0: numba would compile _sort3 for it too
        for j in range(m):
            c = rec[lo + j, 1]
            h = np.int64((np.uint64(c) * golden) >> shift)
            while True:
                if stamp[h] != s:  # a new contact: its first incidence heads it
                    stamp[h] = s
                    slot[h] = n_pairs
                    neg_s[n_pairs] = _order_key(rec[lo + j, 2] ^ sign)  # -strength
                    tb[n_pairs] = _order_key(rec[lo + j, 3])
                    pc[n_pairs] = c
                    rank[n_pairs] = n_pairs
                    pair_of[j] = n_pairs
                    n_pairs += 1
                    break
                p = slot[h]
                if pc[p] == c:
                    pair_of[j] = p
                    break
                h = (h + 1) & mask
        if n_pairs <= k:
            for p in range(lo, lo + m):
                keep[rec[p, 0]] = True
            continue
        if n_pairs <= 64:
            # Rank = how many pairs come first, counted without branches (vectorisable).
            for p in range(n_pairs):
                a1 = neg_s[p]
                a2 = tb[p]
                ac = pc[p]
                r = 0
                for q in range(n_pairs):
                    r += (neg_s[q] < a1) | (
                        (neg_s[q] == a1) & ((tb[q] < a2) | ((tb[q] == a2) & (pc[q] < ac)))
                    )
                chosen[p] = r < k
        else:
            _sort3(neg_s, tb, pc, rank, tmp, n_pairs)
            for r in range(n_pairs):
                chosen[rank[r]] = r < k
        for j in range(m):
            keep[rec[lo + j, 0]] = chosen[pair_of[j]]
    return keep
