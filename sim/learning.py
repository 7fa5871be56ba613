"""Learning rules as array operations: gains, attention, answering, budgets, forgetting.

Every function works on whole arrays of events or agents at once; none imports Mesa. The
step in `sim.model` strings them together.
"""

from __future__ import annotations

from enum import IntEnum

import numba
import numpy as np

from sim.ties import degree_sum


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

    Compiled, in linear time unless the group ids are spread far wider than the events.

    Args:
        group: group id per event (e.g. flat learner*items+item index).
        score: value to maximise.
        tiebreak: random numbers; among equal scores the largest wins (distinct values).
        n_groups: when given (group ids are in 0..n_groups-1) and the events are many, the
            winners are found by scattering into scratch arrays of that size (linear time)
            instead of sorting.

    Returns:
        Indices into the events, one per distinct group: sorted by group, or in event order
        when found by scattering. Should events of a group tie in both score and tiebreak,
        the sorted result keeps the last of them and the scattered one all of them. NaN
        counts as the largest value when sorting (numpy's order) and, when scattering, makes
        its group (score) or its top-scoring events (tiebreak) give no winner.
    """
    group = np.ascontiguousarray(group, dtype=np.int64)
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    if n_groups is not None and 8 * len(group) >= n_groups:
        # Scattering compares in float64, as the scratch arrays of the numpy version did.
        score = np.ascontiguousarray(score, dtype=np.float64)
        tiebreak = np.ascontiguousarray(tiebreak, dtype=np.float64)
        return _first_per_group_scatter(group, score, tiebreak, int(n_groups))
    # Sorting compares in the keys' own type: integers exactly, floats as float64.
    score, tiebreak = (
        np.ascontiguousarray(x, dtype=x.dtype if x.dtype.kind in "biu" else np.float64)
        for x in (np.asarray(score), np.asarray(tiebreak))
    )
    return _first_per_group_sorted(group, score, tiebreak)


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
        np.ascontiguousarray(strength, dtype=np.float64),
        np.ascontiguousarray(tiebreak, dtype=np.float64),
        k,
    )


@numba.njit(cache=True)
def _lt(a, b):  # pragma: no cover - compiled
    """``a < b`` in numpy's sort order: NaN after every number, NaNs equal to each other."""
    return a < b or (b != b and a == a)


@numba.njit(cache=True)
def _lt3(k1, k2, k3, x, y):  # pragma: no cover - compiled
    """Whether entry x comes strictly before entry y by the keys (k1, k2, k3), k1 first."""
    if _lt(k1[x], k1[y]):
        return True
    if _lt(k1[y], k1[x]):
        return False
    if _lt(k2[x], k2[y]):
        return True
    if _lt(k2[y], k2[x]):
        return False
    return _lt(k3[x], k3[y])


@numba.njit(cache=True)
def _sort3(k1, k2, k3, perm, tmp, m):  # pragma: no cover - compiled
    """Stable sort of perm[:m] by (k1, k2, k3)[perm], as ``np.lexsort((k3, k2, k1))`` orders.

    Insertion sort of runs of 16, then bottom-up merges through `tmp` (at least m long).
    """
    run = 16
    for lo in range(0, m, run):
        hi = min(lo + run, m)
        for i in range(lo + 1, hi):
            x = perm[i]
            j = i - 1
            while j >= lo and _lt3(k1, k2, k3, x, perm[j]):
                perm[j + 1] = perm[j]
                j -= 1
            perm[j + 1] = x
    src = perm
    dst = tmp
    in_tmp = False
    width = run
    while width < m:
        for lo in range(0, m, 2 * width):
            mid = min(lo + width, m)
            hi = min(lo + 2 * width, m)
            i = lo
            j = mid
            o = lo
            while i < mid and j < hi:
                if _lt3(k1, k2, k3, src[j], src[i]):
                    dst[o] = src[j]
                    j += 1
                else:
                    dst[o] = src[i]
                    i += 1
                o += 1
            while i < mid:
                dst[o] = src[i]
                i += 1
                o += 1
            while j < hi:
                dst[o] = src[j]
                j += 1
                o += 1
        src, dst = dst, src
        in_tmp = not in_tmp
        width *= 2
    if in_tmp:
        perm[:m] = tmp[:m]


@numba.njit(cache=True)
def _first_per_group_scatter(group, score, tiebreak, n_groups):  # pragma: no cover - compiled
    """`first_per_group` by scattering, in event order: the former numpy implementation's passes.

    Every event with its group's best score and, among those, the best tiebreak (maxima
    propagate NaN, as np.maximum.at does). Branch-free, so the scattered loads overlap.
    """
    n = len(group)
    slot = np.empty(n, np.int64)
    best = np.full(n_groups, -np.inf)
    for i in range(n):
        g = group[i]
        if g < 0:
            g += n_groups
        if g < 0 or g >= n_groups:
            raise IndexError("group id out of range 0..n_groups-1")
        slot[i] = g
        b = best[g]
        s = score[i]
        best[g] = b if (b != b or s <= b) else s
    top = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        top[m] = i
        m += score[i] == best[slot[i]]
    key = np.full(n_groups, -np.inf)
    for j in range(m):
        i = top[j]
        g = slot[i]
        c = key[g]
        t = tiebreak[i]
        key[g] = c if (c != c or t <= c) else t
    n_out = 0
    for j in range(m):
        i = top[j]
        top[n_out] = i
        n_out += tiebreak[i] == key[slot[i]]
    return top[:n_out]


@numba.njit(cache=True)
def _first_per_group_sorted(group, score, tiebreak):  # pragma: no cover - compiled
    """`first_per_group` in group order.

    Per group the last event with the largest (score, tiebreak) in numpy's sort order: the
    last of the group after a stable lexsort.
    """
    n = len(group)
    lo = group.min()
    hi = group.max()
    if float(hi) - float(lo) <= 32.0 * n + 4096.0:
        # Dense ids: the winner so far per id, then the ids in increasing order.
        span = hi - lo + 1
        win = np.full(span, -1, np.int64)
        count = 0
        for i in range(n):
            g = group[i] - lo
            w = win[g]
            if w < 0:
                count += 1
                win[g] = i
            elif not _lt3(score, tiebreak, tiebreak, i, w):
                win[g] = i
        out = np.empty(count, np.int64)
        m = 0
        for g in range(span):
            if win[g] >= 0:
                out[m] = win[g]
                m += 1
        return out
    # Sparse ids: the stable lexsort itself, then the last event of each group.
    order = np.arange(n)
    _sort3(group, score, tiebreak, order, np.empty(n, np.int64), n)
    out = np.empty(n, np.int64)
    m = 0
    for j in range(n):
        if j == n - 1 or group[order[j + 1]] != group[order[j]]:
            out[m] = order[j]
            m += 1
    return out[:m]


@numba.njit(cache=True)
def _order_key(x, bits):  # pragma: no cover - compiled
    """An int64 that orders and equates as numpy sorts the float x (whose bits are `bits`).

    -0.0 and 0.0 are equal, NaN comes after every number and equals NaN.
    """
    if x != x:
        return np.int64(2**63 - 1)
    if x == 0:
        return np.int64(0)
    if bits < 0:  # negative: a larger magnitude is smaller
        return bits ^ np.int64(2**63 - 1)
    return bits


@numba.njit(cache=True)
def _within_budget_kernel(agent, contact, strength, tiebreak, k):  # pragma: no cover - compiled
    """`within_budget` for a budget 1 <= k < len(agent), with integer agents and contacts.

    The incidences are bucketed by agent (counting sort, or a stable sort when the ids are
    sparse), each agent's in index order, so the first incidence of a contact -- found with
    a small hash table -- heads it. The heads are ranked by (-strength, tiebreak, contact)
    (distinct contacts, so a strict order), the order of the former numpy implementation's
    two stable lexsorts (kept as the test oracle), and the first k kept.
    """
    n = len(agent)
    # Bucket by agent: per incidence in agent order, one record of its index, contact and
    # the bits of its strength and tiebreak (one scattered write per incidence, not four).
    rec = np.empty((n, 4), np.int64)
    s_bits = strength.view(np.int64)
    t_bits = tiebreak.view(np.int64)
    lo_id = agent.min()
    hi_id = agent.max()
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
        order = np.arange(n)
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
    rec_f = rec.view(np.float64)
    longest = 0
    for s in range(len(bounds) - 1):
        longest = max(longest, bounds[s + 1] - bounds[s])
    bits_max = 1
    while (1 << bits_max) < 2 * longest:
        bits_max += 1
    stamp = np.full(1 << bits_max, -1, np.int64)  # slot in use for the agent `stamp`
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
        n_pairs = 0
        for j in range(m):
            c = rec[lo + j, 1]
            h = np.int64((np.uint64(c) * golden) >> shift)
            while True:
                if stamp[h] != s:  # a new contact: its first incidence heads it
                    stamp[h] = s
                    slot[h] = n_pairs
                    neg_s[n_pairs] = _order_key(-rec_f[lo + j, 2], rec[lo + j, 2] ^ sign)
                    tb[n_pairs] = _order_key(rec_f[lo + j, 3], rec[lo + j, 3])
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
    """Gini coefficient of non-negative values (0 = equal, towards 1 = concentrated).

    ``G = 2 * sum_i i * x_(i) / (n * sum x) - (n + 1) / n`` over the values sorted
    ascending (ranks i from 1). Zeros add nothing whatever their rank, and the values equal
    to the maximum take the top ranks in any order, so only the values in between are sorted
    (none when every learner knows all or nothing, as in simple contagion): the result is
    the same, in a fraction of the time on a million learners.
    """
    x = np.asarray(x)
    n = len(x)
    if n == 0:
        return 0.0
    z, top, c, total, mid = _gini_parts(x)
    if total <= 0:
        return 0.0
    mid = np.sort(mid)
    ranks = np.arange(z + 1, z + len(mid) + 1, dtype=np.float64)
    # Ranks of the c maxima: n - c + 1 .. n, summing to c * (2n - c + 1) / 2.
    s = np.dot(ranks, mid.astype(np.float64)) + float(top) * c * (2.0 * n - c + 1.0) / 2.0
    return float(2.0 * s / (n * total) - (n + 1.0) / n)


@numba.njit(cache=True)
def _gini_parts(x):  # pragma: no cover - compiled
    """(zeros, maximum, how many equal it, float64 sum, the values strictly in between)."""
    top = x[0]
    for v in x:
        top = max(top, v)
    zeros = 0
    at_top = 0
    total = 0.0
    mid = np.empty(len(x), x.dtype)
    w = 0
    for v in x:
        total += v
        if v <= 0:
            zeros += 1
        elif v == top:
            at_top += 1
        else:
            mid[w] = v
            w += 1
    return zeros, top, at_top, total, mid[:w]


@numba.njit(cache=True)
def able_members(
    k_flat, n_items, members, askers, item, asker_is_member, at_least
):  # pragma: no cover - compiled
    """The community members able to answer each member's question (MODEL.md step 2).

    For every item some member asks about, the members who know it at least `at_least`,
    sorted by level (stable: equal levels in member order); for each member asker, where in
    that list the members who know more than the asker begin.

    Args:
        k_flat: mastery, flattened (agent * n_items + item).
        n_items: items per agent.
        members: the community members, ascending.
        askers: the asking agents.
        item: the item each asks about.
        asker_is_member: per asker.
        at_least: the able threshold, in the precision of `k_flat`.

    Returns:
        (start, count, ptr, sorted_members): item i's list is
        `sorted_members[ptr[i]:ptr[i + 1]]`; asker q's able members are the `count[q]`
        (float64) from `ptr[item[q]] + start[q]` on; 0 for askers who are not members.
    """
    needed = np.zeros(n_items, np.bool_)
    for q in range(len(askers)):
        if asker_is_member[q]:
            needed[item[q]] = True
    ptr = np.zeros(n_items + 1, np.int64)
    sorted_members = np.empty(len(members) * needed.sum(), np.int64)
    sorted_level = np.empty(len(sorted_members), k_flat.dtype)
    ids = np.empty(len(members), np.int64)
    levels = np.empty(len(members), k_flat.dtype)
    for it in range(n_items):
        w = ptr[it]
        if needed[it]:
            n = 0
            for m in members:
                x = k_flat[m * n_items + it]
                if x >= at_least:
                    ids[n] = m
                    levels[n] = x
                    n += 1
            order = np.argsort(levels[:n], kind="mergesort")
            for j in range(n):
                sorted_members[w + j] = ids[order[j]]
                sorted_level[w + j] = levels[order[j]]
            w += n
        ptr[it + 1] = w
    start = np.zeros(len(askers), np.int64)
    count = np.zeros(len(askers), np.float64)
    for q in range(len(askers)):
        if not asker_is_member[q]:
            continue
        it = item[q]
        lo, hi = ptr[it], ptr[it + 1]
        mine = k_flat[askers[q] * n_items + it]
        first = lo + np.searchsorted(sorted_level[lo:hi], mine, side="right")
        start[q] = first - lo
        count[q] = hi - first
    return start, count, ptr, sorted_members


def noticed_shares(
    indptr, nbr, tie_of, strength, shared, k_flat, n_items, p_lo, p_hi, skip_redundant, rng
):
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
    drawn as one binomial count by the caller (`sim.model`).

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

    Also each learner's total mastery (float64), for the Gini coefficient: one pass over
    the knowledge for every knowledge metric.

    Args:
        k: mastery per (learner, item), 2-D.
        deep_threshold: mastery counted as deep.

    Returns:
        (aware, total, deep, per_learner): per item, per item, per item, per learner.
    """
    n, m = k.shape
    aware = np.zeros(m, np.int64)
    total = np.zeros(m, np.float64)
    deep = np.zeros(m, np.int64)
    per_learner = np.zeros(n, np.float64)
    if m == 1:  # scalar accumulators: a million learners in under a millisecond
        c, t, d = 0, 0.0, 0
        for a in range(n):
            x = k[a, 0]
            c += x > 0
            t += x
            d += x >= deep_threshold
            per_learner[a] = x
        aware[0], total[0], deep[0] = c, t, d
        return aware, total, deep, per_learner
    for a in range(n):
        row = 0.0
        for j in range(m):
            x = k[a, j]
            # Without branches: adding a zero changes no sum.
            aware[j] += x > 0
            total[j] += x
            deep[j] += x >= deep_threshold
            row += x
        per_learner[a] = row
    return aware, total, deep, per_learner
