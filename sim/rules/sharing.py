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
from sim.rules.pull import _degree, _in_blocks, _pull_if_cheaper
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
    count_rng: np.random.Generator | None = None,
    stifled: np.ndarray | None = None,
) -> tuple[Events, np.ndarray]:
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
        count_rng: the generator that splits by tie kind the redundant shares counted as
            one number (`_pull_if_cheaper`; the ``counting`` stream): it decides no
            outcome, only the weak/strong split of a count. None: a fresh one.
        stifled: per flat (learner * n_items + item), whether the learner has stopped
            sharing the item (`sim.rules.stifling`); None: nobody has.

    Returns:
        (events, redundant_counted): the noticed shares, and how many further noticed
        shares were redundant and only counted, not listed (see `noticed_shares`), per
        `TieKind` (weak, strong).
    """
    sh = sc.sharing
    n_items = k0.shape[1]
    # What is shared, as flat (agent * n_items + item) indices.
    every_known = False  # is every known item shared (no thinning by p_share)?
    if sh.policy == Policy.CASCADE:
        cand = newly_aware if stifled is None else newly_aware[~stifled[newly_aware]]
        keep = rng.random(len(cand)) < p_share[cand // n_items]
        shared = cand[keep]
    else:
        # One draw per known (agent, item), none for the unknown ones.
        known = k0.reshape(-1) > 0
        shared = np.flatnonzero(known if stifled is None else known & ~stifled)
        every_known = p_share_min >= 1.0 and stifled is None
        if not every_known:
            shared = shared[rng.random(len(shared)) < p_share[shared // n_items]]
    if len(shared) == 0 or len(ties) == 0:
        return Events.empty(), np.zeros(2, dtype=np.int64)
    if sh.policy == Policy.GOSSIP:
        return _gossip(shared, ties, n_items, sc, rng), np.zeros(2, dtype=np.int64)
    count_rng = count_rng if count_rng is not None else np.random.default_rng()
    return _broadcast(k0, shared, every_known, ties, sc, rng, count_rng)


def redundant_can_be_skipped(sc: Scenario) -> bool:
    """Whether a redundant exposure changes nothing but the counters in this scenario.

    It does change more when it costs time (budget), strengthens a tie (tie dynamics),
    keeps knowledge from being forgotten or makes its sharer lose interest (stifling); and
    a share of a misconception is counted apart.
    """
    return (
        sc.population.time_budget is None
        and not sc.ties.enabled
        and not (sc.forgetting.enabled and sc.forgetting.rate > 0)
        and sc.sharing.p_stifle == 0  # a redundant share can make its sharer lose interest
        # Shares of a misconception are counted by tie kind (misinformation_exposures_*).
        and all(c.misconception_of is None for c in sc.knowledge.item_classes)
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
    count_rng: np.random.Generator,
) -> tuple[Events, np.ndarray]:
    """Broadcast / cascade: every tie of every sharer notices with its attention.

    In one compiled pass (`noticed_shares`). A redundant exposure (the learner already knows
    as much) changes nothing but the counters unless it costs time, strengthens a tie or
    keeps knowledge from being forgotten: then it is counted, not listed.
    """
    sh = sc.sharing
    n_items = k0.shape[1]
    p_lo, p_hi = sh.p_notice_min, sh.p_notice_max
    skip = redundant_can_be_skipped(sc)
    threshold = float(sc.ties.strong_threshold)
    if skip and p_lo == p_hi and sh.policy == Policy.BROADCAST:
        pulled = _pull_if_cheaper(
            k0, shared, every_known, t, float(p_hi), threshold, rng, count_rng
        )
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
        threshold,
    )
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
    strong_threshold=np.inf,
):
    """Broadcast: every tie of every (sharer, item) notices with its attention probability.

    One compiled pass over the sharers' ties. Attention is linear in strength, from `p_lo`
    (strength 0) to `p_hi` (strength 1); candidates are drawn at the larger of the two by
    geometric skips (time proportional to the candidates, not the ties) and thinned to each
    tie's own probability, so every tie notices independently with exactly p(s).

    Args:
        indptr: CSR row pointer of the ties (`sim.world.tie_index.build_index`).
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
        strong_threshold: strength from which a tie is strong (splits the count).

    Returns:
        (src, dst, item, tie, n_skipped): the noticed shares (int64), and how many redundant
        ones were counted only, per `TieKind` (weak, strong).
    """
    p_top = max(p_lo, p_hi)
    if p_top <= 0.0 or len(shared) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z, np.zeros(2, dtype=np.int64)
    expected = min(p_top, 1.0) * degree_sum(indptr, shared, n_items)
    args = (indptr, nbr, tie_of, strength, shared, k_flat, n_items, p_lo, p_hi, skip_redundant)
    return _in_blocks(
        _noticed_rows,
        (*args, rng, float(strong_threshold)),
        len(shared),
        expected,
        lambda r: _degree(indptr, shared[r] // n_items),
    )


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
    strong_threshold,
    row,
    out_src,
    out_dst,
    out_item,
    out_tie,
):  # pragma: no cover - compiled
    """`noticed_shares` from row `row` on, until a row might not fit in the buffers.

    The draws come first, for a block of rows, and the redundancy check after, in a pass of
    its own (`_drop_redundant`): looking up each receiver's knowledge and each tie's strength
    are independent loads there, which the processor overlaps, rather than waiting on each
    inside the chain of random draws (the kernel took about 2/3 of the time at 10^5 learners
    in the cascade; the same draws and output).
    """
    cap = len(out_src)
    n_out = 0
    p_top = max(p_lo, p_hi)
    log_q = np.log1p(-p_top) if p_top < 1.0 else 0.0
    stop = len(shared)
    for r in range(row, len(shared)):
        a = shared[r] // n_items
        it = shared[r] - a * n_items
        lo = indptr[a]
        d = indptr[a + 1] - lo
        if n_out + d > cap:
            stop = r
            break
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
            out_src[n_out] = a
            out_dst[n_out] = nbr[pos]
            out_item[n_out] = it
            out_tie[n_out] = t
            n_out += 1
    outs = (out_src, out_dst, out_item, out_tie)
    kept, skipped = _drop_redundant(
        k_flat, n_items, strength, skip_redundant, strong_threshold, n_out, *outs
    )
    return stop, kept, skipped


@numba.njit(cache=True)
def _drop_redundant(
    k_flat,
    n_items,
    strength,
    skip_redundant,
    strong_threshold,
    n_out,
    out_src,
    out_dst,
    out_item,
    out_tie,
):  # pragma: no cover - compiled
    """Count, and take out of the first `n_out` outputs, the shares already known as well.

    Returns (outputs kept, count per `TieKind`); the kept ones keep their order.
    """
    skipped = np.zeros(2, np.int64)  # per TieKind
    if not skip_redundant:
        return n_out, skipped
    kept = 0
    for i in range(n_out):
        it = out_item[i]
        if k_flat[out_dst[i] * n_items + it] >= k_flat[out_src[i] * n_items + it]:
            skipped[1 if strength[out_tie[i]] >= strong_threshold else 0] += 1
            continue
        out_src[kept] = out_src[i]
        out_dst[kept] = out_dst[i]
        out_item[kept] = it
        out_tie[kept] = out_tie[i]
        kept += 1
    return kept, skipped
