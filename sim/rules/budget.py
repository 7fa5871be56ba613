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
from sim.rules.ordering import _home, _order_key, _sort3, _table_bits
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
    agent = np.ascontiguousarray(agent, dtype=np.int64)
    lo, hi = int(agent.min()), int(agent.max())
    if hi - lo > 4 * n + 1024:  # sparse ids: numbered 0, 1, ... in the same order
        agent = np.unique(agent, return_inverse=True)[1].reshape(-1).astype(np.int64)
        lo, hi = 0, int(agent.max())
    keep, rec, bounds, crowded = _within_budget_kernel(
        agent,
        np.ascontiguousarray(contact, dtype=np.int64),
        # The floats' bits, viewed here: a view inside the kernel costs ~0.5 s of compiling.
        np.ascontiguousarray(strength, dtype=np.float64).view(np.int64),
        np.ascontiguousarray(tiebreak, dtype=np.float64).view(np.int64),
        k,
        lo,
        hi - lo + 1,
    )
    if len(crowded):  # agents with more than 64 distinct contacts: ranked by sorting
        _rank_by_sorting(rec, bounds, crowded, k, keep)
    return keep


_RANK_BY_COUNTING = 64
"""Up to this many distinct contacts of an agent are ranked by counting; more, by sorting."""


@numba.njit(cache=True)
def _heads(rec, lo, m, s, stamp, slot, pair_of, neg_s, tb, pc, rank):  # pragma: no cover
    """How many distinct contacts bucket `s` (records lo..lo+m-1) has; their keys.

    Each contact is headed by its first incidence, as order keys (-strength, tiebreak,
    contact) in `neg_s`, `tb`, `pc`. A small hash table (`stamp`: the bucket a slot is in
    use for, `slot`: its pair) finds repeated contacts; `pair_of` gets each record's pair,
    `rank` the identity.
    """
    bits = _table_bits(m)
    mask = (1 << bits) - 1
    sign = np.int64(-(2**63))  # the sign bit: the bits of -x are those of x ^ sign
    n_pairs = np.int64(0)
    for j in range(m):
        c = rec[lo + j, 1]
        h = _home(c, bits)
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
    return n_pairs


@numba.njit(cache=True)
def _scratch(longest):  # pragma: no cover - compiled
    """The per-bucket arrays of `_heads` for buckets of up to `longest` records."""
    bits_max = _table_bits(longest)
    stamp = np.empty(1 << bits_max, np.int64)
    for h in range(1 << bits_max):
        stamp[h] = -1
    slot = np.empty(1 << bits_max, np.int64)
    return stamp, slot, np.empty((5, longest), np.int64)


# long: one compiled pass (bucket, hash the contacts, rank) keeps its arrays in registers
@numba.njit(cache=True)
def _within_budget_kernel(agent, contact, s_bits, t_bits, k, lo_id, span):  # pragma: no cover
    """`within_budget` for a budget 1 <= k < len(agent), with agent ids lo_id..lo_id+span-1.

    The incidences are bucketed by agent (counting sort), each agent's in index order, so
    the first incidence of a contact heads it (`_heads`). The heads are ranked by
    (-strength, tiebreak, contact) (distinct contacts, so a strict order), the order of the
    former numpy implementation's two stable lexsorts (kept as the test oracle), and the
    first k kept. `s_bits` and `t_bits` are the bits of the float64 strengths and tiebreaks.

    Returns the mask, the records and bucket bounds, and the buckets left to
    `_rank_by_sorting` (more than 64 distinct contacts): a separate kernel, compiled only
    when such an agent comes. Written with loops where numpy's functions (min, max, arange,
    full, views) would do: each costs numba a fraction of a second to compile on an empty
    kernel cache (issue 16, target 1).
    """
    n = len(agent)
    # Bucket by agent: per incidence in agent order, one record of its index, contact and
    # the bits of its strength and tiebreak (one scattered write per incidence, not four).
    rec = np.empty((n, 4), np.int64)
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
    longest = 0
    for s in range(span):
        longest = max(longest, bounds[s + 1] - bounds[s])
    stamp, slot, work = _scratch(longest)
    pair_of, neg_s, tb, pc, rank = work[0], work[1], work[2], work[3], work[4]
    chosen = np.empty(longest, np.bool_)
    keep = np.zeros(n, np.bool_)
    crowded = np.empty(span, np.int64)
    n_crowded = 0
    for s in range(span):
        lo = bounds[s]
        m = bounds[s + 1] - lo
        n_pairs = m if m <= k else _heads(rec, lo, m, s, stamp, slot, pair_of, neg_s, tb, pc, rank)
        if n_pairs <= k:
            for p in range(lo, lo + m):
                keep[rec[p, 0]] = True
            continue
        if n_pairs > _RANK_BY_COUNTING:
            crowded[n_crowded] = s
            n_crowded += 1
            continue
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
        for j in range(m):
            keep[rec[lo + j, 0]] = chosen[pair_of[j]]
    return keep, rec, bounds, crowded[:n_crowded]


@numba.njit(cache=True)
def _rank_by_sorting(rec, bounds, crowded, k, keep):  # pragma: no cover - compiled
    """`_within_budget_kernel` for the buckets `crowded`: the heads sorted, the first k kept."""
    longest = 0
    for s in crowded:
        longest = max(longest, bounds[s + 1] - bounds[s])
    stamp, slot, work = _scratch(longest)
    pair_of, neg_s, tb, pc, rank = work[0], work[1], work[2], work[3], work[4]
    tmp = np.empty(longest, np.int64)
    chosen = np.empty(longest, np.bool_)
    for s in crowded:
        lo = bounds[s]
        m = bounds[s + 1] - lo
        n_pairs = _heads(rec, lo, m, s, stamp, slot, pair_of, neg_s, tb, pc, rank)
        _sort3(neg_s, tb, pc, rank, tmp, n_pairs)
        for r in range(n_pairs):
            chosen[rank[r]] = r < k
        for j in range(m):
            keep[rec[lo + j, 0]] = chosen[pair_of[j]]
