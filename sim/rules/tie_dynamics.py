"""Tie dynamics (MODEL.md step 3): ties strengthen with use, decay, dissolve, and form.

Every interaction strengthens the tie used (``s += rate * (1 - s)``); all ties decay each
step; a tie below a floor dissolves (pre-existing ties may have their own floor). New weak
ties form by triadic closure (a friend of a friend; Rapoport 1953, Granovetter 1973), by
meeting in the community, by chance, and between a community stranger and the asker it
helped ("ties grow none -> weak -> strong", seed 001).
"""

from __future__ import annotations

import numba
import numpy as np

from sim.rules.common import someone_else
from sim.rules.events import Events
from sim.scenario.schema import Scenario, TiesConfig
from sim.world.ties import TieOrigin, TieTable, pair_keys, tie_between


def update_ties(
    ties: TieTable,
    push: Events,
    answers: Events,
    chosen: Events,
    sc: Scenario,
    member: np.ndarray,
    step: int,
    rng: np.random.Generator,
) -> tuple[int, int]:
    """Age the ties, then dissolve the ones below their floor and form new ones (in place).

    Args:
        ties: the tie table (changed in place).
        push: the shares that took place (after the time budget).
        answers: every answer given (after the time budget).
        chosen: the answers learned from (a stranger's forms a tie in the community).
        sc: the scenario.
        member: community membership per learner.
        step: the current step (the new ties' `last_used`).
        rng: the run's random generator.

    Returns:
        (ties formed, ties dissolved).
    """
    tc, t = sc.ties, ties
    t.make_room(step)
    used = np.zeros(len(t), dtype=bool)
    used[push.tie[push.tie >= 0]] = True
    used[answers.tie[answers.tie >= 0]] = True
    # decay, strengthen, last_used and the dissolving mask in one compiled pass
    t.strength, gone = age_ties(
        t.strength,
        used,
        t.last_used,
        step,
        tc.decay,
        tc.strengthen_rate,
        t.origin,
        tc.floor,
        tc.floor_initial,
    )
    cand_a, cand_b, origin = new_tie_candidates(t, chosen, sc, member, rng)
    return dissolve_and_form(t, tc, step, cand_a, cand_b, origin, gone)


def new_tie_candidates(
    t: TieTable, chosen: Events, sc: Scenario, member: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate new ties, drawn on the start-of-step network, in a fixed order of origin.

    Returns:
        (one end, other end, `TieOrigin`) per candidate: help between strangers, community
        meetings, triadic closure, chance.
    """
    tc, cm, n = sc.ties, sc.community, t.n_agents
    cand_a, cand_b, origin = [], [], []
    if cm.enabled and len(chosen):
        stranger = chosen.tie < 0
        cand_a.append(chosen.dst[stranger])
        cand_b.append(chosen.src[stranger])
        origin.append(np.full(int(stranger.sum()), TieOrigin.HELP))
    if cm.enabled and cm.p_meet > 0:
        members = np.flatnonzero(member)
        if len(members) > 1:
            who = np.flatnonzero(rng.random(len(members)) < cm.p_meet)
            cand_a.append(members[who])
            cand_b.append(members[someone_else(who, len(members), rng)])
            origin.append(np.full(len(who), TieOrigin.COMMUNITY))
    if tc.p_triadic > 0:
        who = np.flatnonzero(rng.random(n) < tc.p_triadic)
        who, far = triadic_candidates(t.indptr, t.nbr, who, rng)
        cand_a.append(who)
        cand_b.append(far)
        origin.append(np.full(len(who), TieOrigin.TRIADIC))
    if tc.p_chance > 0:
        who = np.flatnonzero(rng.random(n) < tc.p_chance)
        cand_a.append(who)
        cand_b.append(someone_else(who, n, rng))
        origin.append(np.full(len(who), TieOrigin.CHANCE))
    z = np.zeros(0, dtype=np.int64)
    return (
        np.concatenate(cand_a) if cand_a else z,
        np.concatenate(cand_b) if cand_b else z,
        np.concatenate(origin) if origin else z,
    )


def dissolve_and_form(
    t: TieTable,
    tc: TiesConfig,
    step: int,
    cand_a: np.ndarray,
    cand_b: np.ndarray,
    origin: np.ndarray,
    gone: np.ndarray | None = None,
) -> tuple[int, int]:
    """Dissolve ties below their floor, then add the new candidate pairs (both engines).

    Args:
        t: the tie table (changed in place).
        tc: the scenario's ties section.
        step: the current step (the new ties' `last_used`).
        cand_a: one end of each candidate new tie.
        cand_b: the other end.
        origin: `TieOrigin` per candidate; a pair proposed twice keeps its first origin.
        gone: the ties below their floor, when already known (`age_ties`).

    Returns:
        (ties formed, ties dissolved).
    """
    if gone is None:
        gone = dissolving(t.strength, t.origin, tc.floor, tc.floor_initial)
    dissolved = int(np.count_nonzero(gone))
    u = v = np.zeros(0, dtype=np.int64)
    new_origin = np.zeros(0, dtype=np.int8)
    if len(cand_a):
        # Tied already = tied at the start of the step by a tie that is not dissolving
        # (a dissolving tie can re-form in the same step).
        a, b = cand_a.astype(np.int64), cand_b.astype(np.int64)
        tie = tie_between(t.indptr, t.nbr, t.tie_of, a, b)
        tied = tie >= 0
        tied[tied] = ~gone[tie[tied]]
        u, v, idx = new_pairs(a, b, tied, t.n_agents)
        new_origin = origin[idx]
    formed = len(u)
    if dissolved or formed:
        t.change(gone, u, v, tc.new_strength, new_origin, step)
    return formed, dissolved


_INITIAL = int(TieOrigin.INITIAL)  # for the compiled kernels


def decay(strength: np.ndarray, rate: float) -> np.ndarray:
    """Shrink every strength by the share `rate`.

    Args:
        strength: tie strengths in (0, 1].
        rate: share lost per step, in [0, 1].
    """
    return strength * (1.0 - rate)


def strengthen(strength: np.ndarray, used: np.ndarray, rate: float) -> np.ndarray:
    """Move the strength of every used tie a fraction `rate` of the way to 1.

    Args:
        strength: tie strengths in (0, 1].
        used: boolean mask of ties used this step.
        rate: share of the remaining gap closed per use, in [0, 1].
    """
    return np.where(used, strength + rate * (1.0 - strength), strength)


def dissolving(
    strength: np.ndarray, origin: np.ndarray, floor: float, floor_initial: float
) -> np.ndarray:
    """Mask of ties whose strength fell below their floor (pre-existing ties have their own).

    Args:
        strength: tie strengths.
        origin: `TieOrigin` code per tie.
        floor: floor of ties formed during the run.
        floor_initial: floor of pre-existing ties.
    """
    limit = np.where(origin == TieOrigin.INITIAL, floor_initial, floor)
    return strength < limit


@numba.njit(cache=True)
def age_ties(
    strength, used, last_used, step, decay_rate, strengthen_rate, origin, floor, floor_initial
):  # pragma: no cover - compiled
    """`decay`, then `strengthen` the used ties; stamp their `last_used` (in place).

    One pass with the same arithmetic as the two array rules in turn (the same floats).
    The strengths come back as a new array, as from the array rules: a strength array
    someone kept from an earlier step is not changed under them.

    Returns:
        (strength, gone): the new strengths, and the `dissolving` mask for them.
    """
    keep = 1.0 - decay_rate
    out = np.empty(len(strength), np.float64)
    gone = np.zeros(len(strength), np.bool_)
    for i in range(len(strength)):
        s = strength[i] * keep
        if used[i]:
            s = s + strengthen_rate * (1.0 - s)
            last_used[i] = step
        out[i] = s
        gone[i] = s < (floor_initial if origin[i] == _INITIAL else floor)
    return out, gone


def new_pairs(
    a: np.ndarray, b: np.ndarray, tied: np.ndarray, n_agents: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canonical, unique candidate pairs that are not self-ties and not tied already.

    Args:
        a: one endpoint per candidate (any order, may repeat).
        b: the other endpoint.
        tied: per candidate, whether the pair is tied already (`tie_between`).
        n_agents: number of agents.

    Returns:
        (u, v, index): the surviving pairs with u < v, in order of first appearance, and the
        index into the candidates of each one's first appearance.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ok = (a != b) & ~np.asarray(tied, dtype=bool)
    keys = pair_keys(a, b, n_agents)
    idx = np.flatnonzero(ok)
    _, first = np.unique(keys[idx], return_index=True)
    idx = np.sort(idx[first])
    return np.minimum(a, b)[idx], np.maximum(a, b)[idx], idx


def random_neighbour(
    indptr: np.ndarray, nbr: np.ndarray, agents: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One uniformly chosen neighbour for each agent that has any.

    Returns:
        (who, neighbour): the agents (subset of `agents` with degree > 0) and their pick.
    """
    deg = indptr[agents + 1] - indptr[agents]
    who = agents[deg > 0]
    deg = deg[deg > 0]
    pick = indptr[who] + (rng.random(len(who)) * deg).astype(np.int64)
    return who, nbr[pick]


def triadic_candidates(
    indptr: np.ndarray, nbr: np.ndarray, agents: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A friend of a friend for each agent: a random neighbour's random neighbour.

    Pairs may be self-ties or existing ties; `new_pairs` filters them (triadic closure,
    Rapoport 1953; Granovetter 1973).
    """
    who, mid = random_neighbour(indptr, nbr, agents, rng)
    _, far = random_neighbour(indptr, nbr, mid, rng)
    # mid always has a neighbour (who), so who2 == mid and the arrays align.
    return who, far
