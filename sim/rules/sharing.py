"""Sharing, or push (MODEL.md step 1): who shares what with which ties, and who notices.

An agent shares each item it knows with probability `p_share` times its activity (cascade:
only the items it learned in the previous step). How a share reaches the sharer's ties is a
policy, because the diffusion literature distinguishes them and their redundancy differs:
`broadcast` (a status update: every tie notices with its attention probability), `gossip` (a
conversation with one tie a step, chosen uniformly or by strength; push rumour spreading,
Frieze & Grimmett 1985) and `cascade` (the independent cascade, Kempe et al. 2003).
Attention grows linearly with tie strength (Granovetter 1973: weak ties get less of it).

Much learning through networks is serendipitous: you learn what you did not know you needed
when others share (seeds 000 and 003).
"""

from __future__ import annotations

import numba
import numpy as np

from sim.rules.common import linear_in_strength
from sim.rules.events import Events
from sim.scenario.kinds import PartnerChoice, Policy
from sim.scenario.schema import Scenario
from sim.world.ties import TieTable, degree_sum


def share(
    k0: np.ndarray,
    ties: TieTable,
    sc: Scenario,
    p_share: np.ndarray,
    p_share_min: float,
    newly_aware: np.ndarray,
    rng: np.random.Generator,
) -> tuple[Events, int]:
    """The noticed shares of a step, from the start-of-step knowledge.

    Args:
        k0: mastery per (learner, item) at the start of the step.
        ties: the tie table.
        sc: the scenario.
        p_share: probability of sharing a known item, per learner (activity included).
        p_share_min: the smallest of them.
        newly_aware: flat (learner * n_items + item) indices learned in the last step
            (what `cascade` passes on).
        rng: the run's random generator.

    Returns:
        (events, redundant_counted): the noticed shares, and how many further noticed
        shares were redundant and only counted, not listed (see `noticed_shares`).
    """
    sh = sc.sharing
    n_items = k0.shape[1]
    # What is shared, as flat (agent * n_items + item) indices.
    every_known = False  # is every known item shared (no thinning by p_share)?
    if sh.policy == Policy.CASCADE:
        cand = newly_aware
        keep = rng.random(len(cand)) < p_share[cand // n_items]
        shared = cand[keep]
    else:
        # One draw per known (agent, item), none for the unknown ones.
        shared = np.flatnonzero(k0.reshape(-1) > 0)
        every_known = p_share_min >= 1.0
        if not every_known:
            shared = shared[rng.random(len(shared)) < p_share[shared // n_items]]
    if len(shared) == 0 or len(ties) == 0:
        return Events.empty(), 0
    if sh.policy == Policy.GOSSIP:
        return _gossip(shared, ties, n_items, sc, rng), 0
    return _broadcast(k0, shared, every_known, ties, sc, rng)


def redundant_can_be_skipped(sc: Scenario) -> bool:
    """Whether a redundant exposure changes nothing but the counters in this scenario.

    It does change more when it costs time (budget), strengthens a tie (tie dynamics) or
    keeps knowledge from being forgotten.
    """
    return (
        sc.population.time_budget is None
        and not sc.ties.enabled
        and not (sc.forgetting.enabled and sc.forgetting.rate > 0)
    )


def _gossip(
    shared: np.ndarray, t: TieTable, n_items: int, sc: Scenario, rng: np.random.Generator
) -> Events:
    """One conversation per sharer per step: one tie, all the items it shares now."""
    sh = sc.sharing
    sharer, item = np.divmod(shared, n_items)
    agents = np.unique(sharer)
    deg = t.indptr[agents + 1] - t.indptr[agents]
    agents = agents[deg > 0]
    pos = pick_partner(t, agents, sh.partner, rng)
    partner_pos = np.full(t.n_agents, -1, dtype=np.int64)
    partner_pos[agents] = pos
    p = partner_pos[sharer]
    ok = p >= 0
    src, item, pos = sharer[ok], item[ok], p[ok]
    tie = t.tie_of[pos].astype(np.int64)
    s = t.strength[tie]
    noticed = rng.random(len(pos)) < linear_in_strength(s, sh.p_notice_min, sh.p_notice_max)
    return Events(
        src=src[noticed],
        dst=t.nbr[pos][noticed].astype(np.int64),
        item=item[noticed],
        tie=tie[noticed],
        strength=s[noticed],
        both_spend=np.ones(len(pos), dtype=bool)[noticed],
    )


def _broadcast(
    k0: np.ndarray,
    shared: np.ndarray,
    every_known: bool,
    t: TieTable,
    sc: Scenario,
    rng: np.random.Generator,
) -> tuple[Events, int]:
    """Broadcast / cascade: every tie of every sharer notices with its attention.

    In one compiled pass (`noticed_shares`). A redundant exposure (the learner already knows
    as much) changes nothing but the counters unless it costs time, strengthens a tie or
    keeps knowledge from being forgotten: then it is counted, not listed.
    """
    sh = sc.sharing
    n_items = k0.shape[1]
    p_lo, p_hi = sh.p_notice_min, sh.p_notice_max
    skip = redundant_can_be_skipped(sc)
    if skip and p_lo == p_hi and sh.policy == Policy.BROADCAST:
        pulled = _pull_if_cheaper(k0, shared, every_known, t, float(p_hi), rng)
        if pulled is not None:
            return pulled
    src, dst, item, tie, redundant = noticed_shares(
        t.indptr,
        t.nbr,
        t.tie_of,
        t.strength,
        shared,
        k0.reshape(-1),
        n_items,
        float(p_lo),
        float(p_hi),
        skip,
        rng,
    )
    return Events.received(src, dst, item, tie, t.strength[tie]), redundant


def _pull_if_cheaper(
    k0: np.ndarray,
    shared: np.ndarray,
    every_known: bool,
    t: TieTable,
    p: float,
    rng: np.random.Generator,
) -> tuple[Events, int] | None:
    """Broadcast with equal attention seen from the learners' side, when that is less work.

    Returns None when visiting the sharers (`noticed_shares`) is cheaper.
    """
    n_items = k0.shape[1]
    # (sharer, item, tie) triples; when everything known is shared by everyone, every tie
    # twice per item
    if len(shared) == k0.size:
        push_work = 2 * len(t) * n_items
    else:
        push_work = degree_sum(t.indptr, shared, n_items)
    cand = np.flatnonzero(k0.reshape(-1) < 1.0)
    push_cost = push_work * p + len(shared)
    # Pull costs about the candidates' degrees: skip counting them when even the mean
    # degree says push is cheaper (early in a spread, when few know).
    mean_deg = 2.0 * len(t) / t.n_agents
    if len(cand) * mean_deg > 4 * push_cost:
        pull_work = np.inf
    else:
        pull_work = degree_sum(t.indptr, cand, n_items)
    if pull_work == 0:  # nobody who can learn has a tie: every share is redundant
        return Events.empty(), int(rng.binomial(push_work, p))
    if pull_work >= push_cost:
        return None
    if every_known:
        sharing = k0.reshape(-1) > 0
    else:
        sharing = np.zeros(k0.size, dtype=bool)
        sharing[shared] = True
    src, dst, item, tie, informative = pulled_shares(
        t.indptr, t.nbr, t.tie_of, sharing, k0.reshape(-1), n_items, cand, p, rng
    )
    # Each redundant triple is noticed independently with p: one binomial.
    redundant = int(rng.binomial(push_work - informative, p))
    return Events.received(src, dst, item, tie, t.strength[tie]), redundant


def pick_partner(
    t: TieTable, agents: np.ndarray, how: PartnerChoice, rng: np.random.Generator
) -> np.ndarray:
    """CSR position of one tie per agent: uniform, or in proportion to strength."""
    start, end = t.indptr[agents], t.indptr[agents + 1]
    if how == PartnerChoice.UNIFORM:
        return start + (rng.random(len(agents)) * (end - start)).astype(np.int64)
    w = t.strength[t.tie_of]
    cum = np.concatenate([[0.0], np.cumsum(w)])
    lo, hi = cum[start], cum[end]
    x = lo + rng.random(len(agents)) * (hi - lo)
    pos = np.searchsorted(cum, x, side="right") - 1
    return np.clip(pos, start, end - 1)


def noticed_shares(
    indptr, nbr, tie_of, strength, shared, k_flat, n_items, p_lo, p_hi, skip_redundant, rng
):
    """Broadcast: every tie of every (sharer, item) notices with its attention probability.

    One compiled pass over the sharers' ties. Attention is linear in strength, from `p_lo`
    (strength 0) to `p_hi` (strength 1); candidates are drawn at the larger of the two by
    geometric skips (time proportional to the candidates, not the ties) and thinned to each
    tie's own probability, so every tie notices independently with exactly p(s).

    Args:
        indptr: CSR row pointer of the ties (`sim.world.ties.build_index`).
        nbr: CSR neighbour per entry.
        tie_of: CSR tie id per entry.
        strength: per tie.
        shared: what is shared, as flat (agent * n_items + item) indices (int64).
        k_flat: mastery at the start of the step, flattened (agent * n_items + item).
        n_items: items per agent.
        p_lo: attention at strength 0.
        p_hi: attention at strength 1.
        skip_redundant: count, instead of returning, the noticed shares whose learner already
            knows at least as much as the sharer (allowed when such an exposure changes
            nothing but the counters: no time budget, tie dynamics or forgetting).
        rng: the model's numpy Generator (its stream advances as if drawn in Python).

    Returns:
        (src, dst, item, tie, n_skipped): the noticed shares (int64), and how many redundant
        ones were counted only.
    """
    p_top = max(p_lo, p_hi)
    if p_top <= 0.0 or len(shared) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z, 0
    expected = min(p_top, 1.0) * degree_sum(indptr, shared, n_items)
    return _in_blocks(
        _noticed_rows,
        (indptr, nbr, tie_of, strength, shared, k_flat, n_items, p_lo, p_hi, skip_redundant, rng),
        len(shared),
        expected,
        lambda r: _degree(indptr, shared[r] // n_items),
    )


def _in_blocks(kernel, args, n_rows, expected, row_bound):
    """Run a row kernel that appends (src, dst, item, tie) to buffers, block by block.

    The kernel takes `args`, the first row and four int64 buffers, and stops before a row
    that might not fit (at most `row_bound(row)` outputs); it returns (next row, outputs
    written, its count). Buffers are sized for the expected output, so there is usually one
    block (a further one is twice as large); the random numbers are drawn in the same order
    whatever the blocks. (A kernel that grows its own outputs was 3x slower: numba does not
    keep arrays reassigned in a loop in registers.)
    """
    cap = int(expected * 1.1) + 1024
    parts, total, row = [], 0, 0
    while True:
        bufs = tuple(np.empty(cap, np.int64) for _ in range(4))
        row, n, count = kernel(*args, row, *bufs)
        parts.append(tuple(b[:n] for b in bufs))
        total += count
        if row >= n_rows:
            break
        cap = max(2 * cap, row_bound(row))
    if len(parts) == 1:
        return (*parts[0], total)
    return (*(np.concatenate(col) for col in zip(*parts, strict=True)), total)


def _degree(indptr, agent):
    return int(indptr[agent + 1] - indptr[agent])


@numba.njit(cache=True)
def _noticed_rows(
    indptr,
    nbr,
    tie_of,
    strength,
    shared,
    k_flat,
    n_items,
    p_lo,
    p_hi,
    skip_redundant,
    rng,
    row,
    out_src,
    out_dst,
    out_item,
    out_tie,
):  # pragma: no cover - compiled
    """`noticed_shares` from row `row` on, until a row might not fit in the buffers."""
    cap = len(out_src)
    n_out = 0
    skipped = 0
    p_top = max(p_lo, p_hi)
    log_q = np.log1p(-p_top) if p_top < 1.0 else 0.0
    for r in range(row, len(shared)):
        a = shared[r] // n_items
        it = shared[r] - a * n_items
        lo = indptr[a]
        d = indptr[a + 1] - lo
        if n_out + d > cap:
            return r, n_out, skipped
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
            out_src[n_out] = a
            out_dst[n_out] = b
            out_item[n_out] = it
            out_tie[n_out] = t
            n_out += 1
    return len(shared), n_out, skipped


def pulled_shares(indptr, nbr, tie_of, sharing, k_flat, n_items, cand, p, rng):
    """Broadcast seen from the receiving side: the informative noticed shares only.

    For each candidate (learner, item) -- one that could still learn it -- every tie that
    shares the item this step and knows more is noticed with probability `p` (attention
    independent of strength). Visiting the learners that can still learn instead of the
    sharers is the "pull" direction of Beamer et al. (2012, direction-optimising BFS): far
    less work once most learners know what their ties share. The redundant shares are then
    drawn as one binomial count by the caller (`_pull_if_cheaper`).

    Args:
        indptr: CSR row pointer of the ties.
        nbr: CSR neighbour per entry.
        tie_of: CSR tie id per entry.
        sharing: bool per flat (agent * n_items + item): shares it this step.
        k_flat: mastery at the start of the step, flattened.
        n_items: items per agent.
        cand: flat (learner, item) indices that could learn (every one with mastery below
            some tie's must be included; int64).
        p: attention, the same for every tie.
        rng: the model's numpy Generator.

    Returns:
        (src, dst, item, tie, n_informative): the noticed informative shares (int64), and how
        many informative (sharer, learner, item) triples there were, noticed or not.
    """
    if len(cand) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z, 0
    # Few of the candidates' ties are informative: expect a tenth of them, grow if not.
    expected = 0.1 * p * degree_sum(indptr, cand, n_items)
    return _in_blocks(
        _pulled_rows,
        (indptr, nbr, tie_of, sharing, k_flat, n_items, cand, p, rng),
        len(cand),
        expected,
        lambda r: _degree(indptr, cand[r] // n_items),
    )


@numba.njit(cache=True)
def _pulled_rows(
    indptr,
    nbr,
    tie_of,
    sharing,
    k_flat,
    n_items,
    cand,
    p,
    rng,
    row,
    out_src,
    out_dst,
    out_item,
    out_tie,
):  # pragma: no cover - compiled
    """`pulled_shares` from candidate `row` on, until one might not fit in the buffers."""
    cap = len(out_src)
    n_out = 0
    informative = 0
    for c in range(row, len(cand)):
        flat = cand[c]
        b = flat // n_items
        it = flat - b * n_items
        if n_out + indptr[b + 1] - indptr[b] > cap:
            return c, n_out, informative
        k_b = k_flat[flat]
        for pos in range(indptr[b], indptr[b + 1]):
            s = nbr[pos]
            f = s * n_items + it
            if not sharing[f] or k_flat[f] <= k_b:
                continue
            informative += 1
            if rng.random() >= p:
                continue
            out_src[n_out] = s
            out_dst[n_out] = b
            out_item[n_out] = it
            out_tie[n_out] = tie_of[pos]
            n_out += 1
    return len(cand), n_out, informative
