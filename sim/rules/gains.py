"""Learning gains (MODEL.md steps 1, 2 and 6): what a source teaches, and which one counts.

How much a share, an answer, a stored answer or a discovery teaches, and which one a learner
learns from.

Every source offers a gain: a share of the gap to the source's level, scaled by the tie's
bandwidth (which grows with strength) and the item's complexity. Shares teach at the
surface rate, answers at the deep rate ("strong ties may be needed for deep learning; weak
ties give surface learning", seed 000 comments). Updates are synchronous: each learner takes
the best offer per item this step.

Complex contagion (Centola & Macy 2007): a share of an item of a class with
`sources_required = m` teaches only when at least m of the learner's ties are aware of it
at the start of the step; m = 1 is a simple contagion.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from sim.rules.common import linear_in_strength
from sim.rules.events import Channel, Events
from sim.rules.ordering import _lt3, _sort3
from sim.scenario.schema import Scenario
from sim.world.ties import TieKind, TieTable, tie_kind


class Offers:
    """Every candidate gain of a step, with its channel, and the knowledge used.

    Sources add in a fixed order (shares, answers, repository, innovation): the order
    decides nothing but how the random tie-break numbers are assigned, and is kept so a
    seed gives the same run.
    """

    def __init__(self) -> None:
        self._targets: list[np.ndarray] = []
        self._gains: list[np.ndarray] = []
        self._channels: list[np.ndarray] = []
        self._used: list[np.ndarray] = []
        self._refused: np.ndarray | None = None

    def add(self, targets: np.ndarray, gains: np.ndarray, channels: np.ndarray) -> None:
        """Offer `gains` to the flat (learner * n_items + item) `targets` over `channels`."""
        self._targets.append(targets)
        self._gains.append(gains)
        self._channels.append(channels)

    def use(self, *flat: np.ndarray) -> None:
        """Mark flat (learner * n_items + item) knowledge as used this step (not forgotten)."""
        self._used.extend(flat)

    def refuse(self, refused: np.ndarray) -> None:
        """Offers to the flat (learner * n_items + item) knowledge where `refused` teach nothing.

        A learner refuses a misconception it knows to be wrong (`sim.rules.misinformation`).
        """
        self._refused = refused

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(targets, gains, channels) as flat arrays, one entry per offer."""
        z = np.zeros(0, dtype=np.int64)
        if not self._targets:
            return z, np.zeros(0), z
        targets = np.concatenate(self._targets).astype(np.int64)
        gains = np.concatenate(self._gains)
        if self._refused is not None:
            gains = np.where(self._refused[targets], 0.0, gains)
        return targets, gains, np.concatenate(self._channels).astype(np.int64)

    def used(self) -> np.ndarray:
        """Flat indices of the knowledge used this step (repeats allowed)."""
        if not self._used:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(self._used).astype(np.int64)


def share_offers(
    offers: Offers,
    k0: np.ndarray,
    push: Events,
    ties: TieTable,
    complexity: np.ndarray,
    sources_required: np.ndarray,
    sc: Scenario,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offer the gains of the noticed shares (surface learning).

    Returns:
        (exposures, redundant exposures, novel exposures), each per `TieKind` (weak,
        strong): a redundant exposure's learner already knew at least as much as the
        sharer; a novel one made an unaware learner aware.
    """
    lc, n_items = sc.learning, k0.shape[1]
    k_src = k0[push.src, push.item].astype(np.float64)
    k_dst = k0[push.dst, push.item].astype(np.float64)
    bw = linear_in_strength(push.strength, lc.bandwidth_min, lc.bandwidth_max)
    g = gain(k_src, k_dst, lc.surface_rate, bw, complexity[push.item])
    g = np.where(reinforced(push, k0, ties, sources_required), g, 0.0)
    kind = tie_kind(push.strength, sc.ties.strong_threshold)
    novel = (k_dst == 0) & (g > 0)
    offers.add(
        push.dst * n_items + push.item,
        g,
        np.where(kind == TieKind.STRONG, Channel.PUSH_STRONG, Channel.PUSH_WEAK),
    )
    offers.use(push.dst * n_items + push.item, push.src * n_items + push.item)
    return (
        np.bincount(kind, minlength=2).astype(np.int64),
        np.bincount(kind[k_dst >= k_src], minlength=2).astype(np.int64),
        np.bincount(kind[novel], minlength=2).astype(np.int64),
    )


def reinforced(
    push: Events, k0: np.ndarray, ties: TieTable, sources_required: np.ndarray
) -> np.ndarray:
    """Whether each exposure's learner has enough tied holders (complex contagion).

    An exposure to an item of a class with `sources_required = m` takes effect only when
    at least m of the learner's ties are aware of the item at the start of the step
    (Centola & Macy 2007). Simple items (m = 1) always pass.
    """
    m = sources_required[push.item]
    ok = m <= 1
    if ok.all():
        return ok
    need = ~ok
    have = tied_holders(
        ties.indptr, ties.nbr, k0.reshape(-1), k0.shape[1], push.dst[need], push.item[need]
    )
    ok = ok.copy()
    ok[need] = have >= m[need]
    return ok


class Applied(NamedTuple):
    """The offers a step applied, one entry per (learner, item) that gained."""

    target: np.ndarray  # flat (learner * n_items + item)
    channel: np.ndarray  # its `Channel`
    gain: np.ndarray  # the offered gain (the knowledge is capped at 1)


def apply_best(
    k0: np.ndarray,
    offers: Offers,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, Applied]:
    """The knowledge after the step's gains: each learner takes the best offer per item.

    Only positive gains can be best (most exposures are redundant once an item spread);
    equal best offers are settled at random, in time per offer (`first_per_group`
    scatters), with nothing of the knowledge's size kept between steps.

    Returns:
        (new knowledge, gain per `Channel` summed over the applied offers, the applied
        offers).
    """
    targets, gains, channels = offers.arrays()
    new_k = k0.copy()
    flat = new_k.reshape(-1)
    pos = np.flatnonzero(gains > 0)
    tiebreak = rng.random(len(pos))
    best = pos[first_per_group(targets[pos], gains[pos], tiebreak, flat.size, scatter=True)]
    flat[targets[best]] = np.minimum(flat[targets[best]] + gains[best], 1.0)
    by_channel = np.bincount(channels[best], weights=gains[best], minlength=len(Channel))
    return new_k, by_channel.astype(np.float64), Applied(targets[best], channels[best], gains[best])


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


def first_per_group(
    group: np.ndarray,
    score: np.ndarray,
    tiebreak: np.ndarray,
    n_groups: int | None = None,
    scatter: bool = False,
) -> np.ndarray:
    """Index of the event with the highest score in each group (ties broken by `tiebreak`).

    Compiled, in linear time unless the group ids are spread far wider than the events.

    Args:
        group: group id per event (e.g. flat learner*items+item index).
        score: value to maximise.
        tiebreak: random numbers; among equal scores the largest wins (distinct values).
        n_groups: when given (group ids are in 0..n_groups-1, or -n_groups..-1 counted
            from the end) and the events are many (8 x events >= n_groups), the winners are
            found by scattering (linear time, in event order) instead of sorting.
        scatter: always scatter when `n_groups` is given (`apply_best`): when the events
            are few the winners are then put in group order, as sorting gives them (the
            same winners unless two events of a group tie in both score and tiebreak, or a
            key is NaN).

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
    if n_groups is not None and (8 * len(group) >= n_groups or scatter):
        # Scattering compares in float64, as the scratch arrays of the numpy version did.
        score = np.ascontiguousarray(score, dtype=np.float64)
        tiebreak = np.ascontiguousarray(tiebreak, dtype=np.float64)
        found = _first_per_group_radix(group, score, tiebreak, int(n_groups))
        if 8 * len(group) < n_groups:
            return found  # few events: in group order, as sorting gives them
        winner = np.zeros(len(group), dtype=bool)  # many: in event order
        winner[found] = True
        return np.flatnonzero(winner)
    # Sorting compares in the keys' own type: integers exactly, floats as float64.
    score, tiebreak = (
        np.ascontiguousarray(x, dtype=x.dtype if x.dtype.kind in "biu" else np.float64)
        for x in (np.asarray(score), np.asarray(tiebreak))
    )
    lo, hi = int(group.min()), int(group.max())
    if hi - lo <= 32 * len(group) + 4096:  # dense ids: one pass, in group order
        return _first_per_group_dense(group, score, tiebreak, lo, hi - lo + 1)
    # Its own kernel, compiled only when sparse ids come (issue 16: compiling the lexsort
    # took about a second on every empty kernel cache).
    return _first_per_group_lexsorted(group, score, tiebreak)


# long: a radix sort of the group ids, then the maxima of each run, in one compiled pass
@numba.njit(cache=True)
def _first_per_group_radix(group, score, tiebreak, n_groups):  # pragma: no cover - compiled
    """`first_per_group` by scattering's rule, in group order (event order within a group).

    Every event with its group's best score and, among those, the best tiebreak (maxima
    propagate NaN, as np.maximum.at does). The events are put in group order by a stable
    least-significant-digit radix sort of their ids (8 bits a pass, over the ids' span; a
    pass whose digit is the same for every event is skipped), carrying their scores and
    tiebreaks along, then each group's run is scanned in sequence. Time and memory per
    event, nothing of the groups' size: `apply_best` has a group per (learner, item) and its
    offers are a few per cent of them (issue 16). It replaced numbering the groups through a
    hash table and then sorting the winners by group (numpy's stable argsort), slower once
    the offers were hundreds of thousands (random accesses into a table beyond the caches).
    """
    n = len(group)
    if n == 0:
        return np.empty(0, np.int64)
    key = np.empty(n, np.int64)
    lo = np.int64(0)
    hi = np.int64(0)
    for i in range(n):
        g = group[i]
        if g < 0:
            g += n_groups
        if g < 0 or g >= n_groups:
            raise IndexError("group id out of range 0..n_groups-1")
        key[i] = g
        if i == 0 or g < lo:
            lo = g
        if i == 0 or g > hi:
            hi = g
    passes = 1
    while passes < 8 and ((hi - lo) >> (8 * passes)) > 0:
        passes += 1
    count = np.zeros(passes * 257, np.int64)  # per pass, events per digit (shifted by 1)
    for i in range(n):
        x = key[i] - lo
        for p in range(passes):
            count[p * 257 + ((x >> (8 * p)) & 255) + 1] += 1
    # The events' ids, numbers, scores and tiebreaks move together, so that the scan below
    # reads them in sequence rather than gathering them at random.
    order = np.empty(n, np.int64)
    sc = np.empty(n)
    tb = np.empty(n)
    for i in range(n):
        order[i] = i
        sc[i] = score[i]
        tb[i] = tiebreak[i]
    k_tmp = np.empty(n, np.int64)
    o_tmp = np.empty(n, np.int64)
    s_tmp = np.empty(n)
    t_tmp = np.empty(n)
    for p in range(passes):
        c0 = p * 257  # one dimension: less for numba to compile than two
        if count[c0 + (((key[0] - lo) >> (8 * p)) & 255) + 1] == n:
            continue  # one digit for every event: the pass would keep the order
        for d in range(256):
            count[c0 + d + 1] += count[c0 + d]
        for i in range(n):
            d = ((key[i] - lo) >> (8 * p)) & 255
            at = count[c0 + d]
            count[c0 + d] = at + 1
            k_tmp[at] = key[i]
            o_tmp[at] = order[i]
            s_tmp[at] = sc[i]
            t_tmp[at] = tb[i]
        key, k_tmp = k_tmp, key
        order, o_tmp = o_tmp, order
        sc, s_tmp = s_tmp, sc
        tb, t_tmp = t_tmp, tb
    out = np.empty(n, np.int64)
    n_out = 0
    i = 0
    while i < n:
        j = i
        best = -np.inf
        while j < n and key[j] == key[i]:
            s = sc[j]
            best = best if (best != best or s <= best) else s
            j += 1
        top = -np.inf
        for q in range(i, j):
            if sc[q] == best:
                t = tb[q]
                top = top if (top != top or t <= top) else t
        for q in range(i, j):
            if sc[q] == best and tb[q] == top:
                out[n_out] = order[q]
                n_out += 1
        i = j
    return out[:n_out]


@numba.njit(cache=True)
def _first_per_group_dense(group, score, tiebreak, lo, span):  # pragma: no cover - compiled
    """`first_per_group` in group order, for ids in lo..lo+span-1.

    Per group the last event with the largest (score, tiebreak) in numpy's sort order: the
    last of the group after a stable lexsort. The winner so far per id, then the ids in
    increasing order.
    """
    win = np.empty(span, np.int64)
    for g in range(span):  # a loop, not np.full: less to compile
        win[g] = -1
    count = 0
    for i in range(len(group)):
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


@numba.njit(cache=True)
def _first_per_group_lexsorted(group, score, tiebreak):  # pragma: no cover - compiled
    """`first_per_group` in group order, for any ids.

    The stable lexsort itself, then the last event of each group.
    """
    n = len(group)
    order = np.empty(n, np.int64)
    for i in range(n):
        order[i] = i
    _sort3(group, score, tiebreak, order, np.empty(n, np.int64), n)
    out = np.empty(n, np.int64)
    m = 0
    for j in range(n):
        if j == n - 1 or group[order[j + 1]] != group[order[j]]:
            out[m] = order[j]
            m += 1
    return out[:m]


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
