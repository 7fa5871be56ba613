"""Help seeking, or pull (MODEL.md step 2): questions, the repository, and who answers.

A learner with a learning need (an item of its interests below `goal`) asks with probability
`p_ask` times its activity. In a community it first searches the repository of answers
already given ("a community keeps a searchable history, so one answer serves many", seed 001
comments); then it asks its ties and, if a member, the whole community. Each able helper
answers with a probability that grows with tie strength and shrinks with the number of
other able helpers: the bystander effect (Darley & Latane 1968), weakened by tie strength
("weak bonds give 'someone else will help'", seed 004). An asker learns from one of the
answers it got; answers between members go into the repository.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from sim.rules.common import at_knowledge_precision, linear_in_strength, random_true_column
from sim.rules.events import Channel, Events
from sim.rules.gains import Offers, first_per_group, gain
from sim.scenario.schema import CommunityConfig, HelpConfig, Scenario
from sim.world.ties import TieKind, TieTable, tie_between, tie_kind


@dataclass
class Questions:
    """The questions of a step and what they found.

    Attributes:
        asked: the learners who asked (one question each).
        repository_hits: (asker, item) of the questions answered from the repository.
        answers: every answer given by a tie or a community member (before the time budget).
        put: (asker, item) of the questions put to ties and the community.
        repository_corrections: (asker, item) of the questions about a misconception whose
            stored answer was withdrawn, answered by the correction that replaced it
            (`sim.rules.misinformation`).
    """

    asked: np.ndarray
    repository_hits: tuple[np.ndarray, np.ndarray]
    answers: Events
    put: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    repository_corrections: tuple[np.ndarray, np.ndarray] = (
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
    )

    @staticmethod
    def none() -> Questions:
        """No questions (help seeking off)."""
        z = np.zeros(0, np.int64)
        return Questions(z, (z, z), Events.empty())


def ask(
    k0: np.ndarray,
    ties: TieTable,
    sc: Scenario,
    p_ask: np.ndarray,
    interest: np.ndarray,
    item_topic: np.ndarray,
    member: np.ndarray,
    helpfulness: np.ndarray,
    repository: np.ndarray,
    rng: np.random.Generator,
    refused: tuple[np.ndarray, np.ndarray] | None = None,
    withdrawn: np.ndarray | None = None,
) -> Questions:
    """Who asks what, what the repository holds for them, and who answers.

    Args:
        k0: mastery per (learner, item) at the start of the step.
        ties: the tie table.
        sc: the scenario.
        p_ask: probability of asking this step, per learner (activity included).
        interest: per (learner, topic), bool.
        item_topic: topic per item.
        member: community membership per learner.
        helpfulness: per learner, in [0, 1].
        repository: per item, mastery of the best stored answer (0 = none).
        rng: the run's random generator.
        refused: (misconception items, per (learner, misconception) whether it is refused):
            refused misconceptions are no need (`sim.rules.misinformation`); None: none are.
        withdrawn: per item, whether its stored wrong answer was replaced by a correction,
            which members who look the question up find; None: none was.
    """
    hc, cm = sc.help, sc.community
    askers = np.flatnonzero(rng.random(len(p_ask)) < p_ask)
    # At `goal` (in the knowledge's precision) an item is no longer a need.
    needs = interest[askers][:, item_topic] & (k0[askers] < at_knowledge_precision(hc.goal, k0))
    if refused is not None:
        needs[:, refused[0]] &= ~refused[1][askers]
    item = random_true_column(needs, rng)
    askers, item = askers[item >= 0], item[item >= 0]
    asked = askers
    z = np.zeros(0, np.int64)
    repo_hits = repo_fixes = (z, z)
    if cm.enabled and cm.repository and len(askers):
        level = k0[askers, item]
        stored = member[askers] & (repository[item] > level)
        fixed = np.zeros(len(askers), dtype=bool)
        if withdrawn is not None:  # the correction stands where the wrong answer was
            fixed = member[askers] & withdrawn[item]
            stored &= ~fixed
        found = (stored | fixed) & (rng.random(len(askers)) < cm.p_find)
        if withdrawn is not None:
            repo_fixes = (askers[found & fixed], item[found & fixed])
        repo_hits = (askers[found & stored], item[found & stored])
        askers, item = askers[~found], item[~found]
    if len(askers) == 0:
        return Questions(asked, repo_hits, Events.empty(), (askers, item), repo_fixes)
    answers = _answers(k0, ties, askers, item, hc, cm, member, helpfulness, rng)
    return Questions(asked, repo_hits, answers, (askers, item), repo_fixes)


def _answers(k0, t, askers, item, hc: HelpConfig, cm: CommunityConfig, member, helpfulness, rng):
    """The answers of the ties (and community members) able to answer each question."""
    # Able from `able_threshold` on, in the knowledge's precision.
    able = at_knowledge_precision(hc.able_threshold, k0)
    # Ties who see the question.
    owner, pos = able_neighbours(
        t.indptr,
        t.nbr,
        k0.reshape(-1),
        k0.shape[1],
        askers.astype(np.int64),
        item.astype(np.int64),
        able,
    )
    helper = t.nbr[pos].astype(np.int64)
    qi = item[owner]
    n_able = np.bincount(owner, minlength=len(askers)).astype(np.float64)

    # Community members who see it (askers who are members ask the whole community).
    comm = None
    if cm.enabled:
        comm = able_members(
            k0.reshape(-1),
            k0.shape[1],
            np.flatnonzero(member),
            askers.astype(np.int64),
            item.astype(np.int64),
            member[askers],
            able,
        )
        n_able_members = comm[1]
        tied_members = np.bincount(owner[member[helper]], minlength=len(askers)).astype(np.float64)
        n_able += np.where(member[askers], n_able_members - tied_members, 0.0)

    tie = t.tie_of[pos].astype(np.int64)
    s = t.strength[tie]
    p = p_answer(
        helpfulness[helper],
        s,
        n_able[owner],
        hc.stranger_willingness,
        hc.bystander_exponent,
    )
    answer = rng.random(len(p)) < p
    ev = Events(
        src=helper[answer],
        dst=askers[owner[answer]],
        item=qi[answer],
        tie=tie[answer],
        strength=s[answer],
        both_spend=np.ones(int(answer.sum()), dtype=bool),
    )
    if comm is not None:
        ev = ev.concat(_stranger_answers(t, askers, item, n_able, comm, hc, helpfulness, rng))
    return ev


def _stranger_answers(t, askers, item, n_able, comm, hc: HelpConfig, helpfulness, rng) -> Events:
    """Answers from able community members who have no tie to the asker.

    Each such member answers independently with probability
    `p_answer(helpfulness, 0, n_able)`; drawn by thinning: candidates at the largest
    helpfulness, then accepted in proportion to their own.
    """
    start, count, ptr, sorted_members = comm
    h_max = float(helpfulness.max()) if len(helpfulness) else 0.0
    p_max = p_answer(
        np.full(len(askers), h_max),
        np.zeros(len(askers)),
        n_able,
        hc.stranger_willingness,
        hc.bystander_exponent,
    )
    k = rng.binomial(count.astype(np.int64), np.clip(p_max, 0.0, 1.0))
    who = np.flatnonzero(k > 0)
    if not len(who):
        return Events.empty()
    first = ptr[item[who]] + start[who]
    runs = zip(first.tolist(), count[who].tolist(), k[who].tolist(), strict=True)
    src = np.concatenate(
        [sorted_members[f + rng.choice(int(c), int(n), replace=False)] for f, c, n in runs]
    )
    dst, its = np.repeat(askers[who], k[who]), np.repeat(item[who], k[who])
    accept = rng.random(len(src)) < helpfulness[src] / max(h_max, 1e-300)
    tied = tie_between(t.indptr, t.nbr, t.tie_of, src, dst) >= 0
    keep = accept & ~tied
    m = int(keep.sum())
    return Events(
        src=src[keep],
        dst=dst[keep],
        item=its[keep],
        tie=np.full(m, -1, dtype=np.int64),
        strength=np.zeros(m),
        both_spend=np.ones(m, dtype=bool),
    )


def choose_answers(answers: Events, rng: np.random.Generator) -> Events:
    """The one answer each asker learns from, chosen at random among those it got."""
    pick = first_per_group(answers.dst, np.zeros(len(answers)), rng.random(len(answers)))
    return answers.subset(pick)


def answer_offers(
    offers: Offers,
    k0: np.ndarray,
    answers: Events,
    chosen: Events,
    complexity: np.ndarray,
    sc: Scenario,
) -> np.ndarray:
    """Offer the gains of the chosen answers (deep learning, MODEL.md step 2).

    Every helper who answered used the item, whether or not its answer was chosen.

    Returns:
        Answered questions per `Channel` (weak tie, strong tie, community stranger).
    """
    lc, n_items = sc.learning, k0.shape[1]
    a = chosen
    k_h = k0[a.src, a.item].astype(np.float64)
    k_a = k0[a.dst, a.item].astype(np.float64)
    bw = linear_in_strength(a.strength, lc.bandwidth_min, lc.bandwidth_max)
    g = gain(k_h, k_a, lc.deep_rate, bw, complexity[a.item])
    kind = tie_kind(a.strength, sc.ties.strong_threshold)
    ch = np.where(kind == TieKind.STRONG, Channel.ANSWER_STRONG, Channel.ANSWER_WEAK)
    ch = np.where(a.tie < 0, Channel.ANSWER_COMMUNITY, ch)
    offers.add(a.dst * n_items + a.item, g, ch)
    offers.use(a.dst * n_items + a.item, answers.src * n_items + answers.item)
    return np.bincount(ch, minlength=len(Channel)).astype(np.int64)


def repository_offers(
    offers: Offers,
    k0: np.ndarray,
    hits: tuple[np.ndarray, np.ndarray],
    repository: np.ndarray,
    complexity: np.ndarray,
    sc: Scenario,
) -> int:
    """Offer the gains of the answers found in the repository; returns how many were found.

    A stored answer teaches like an answer (deep_rate), at the repository's bandwidth.
    """
    who, it = hits
    if not len(who):
        return 0
    g = gain(
        repository[it],
        k0[who, it].astype(np.float64),
        sc.learning.deep_rate,
        sc.community.repository_bandwidth,
        complexity[it],
    )
    offers.add(who * k0.shape[1] + it, g, np.full(len(who), Channel.REPOSITORY))
    offers.use(who * k0.shape[1] + it)
    return len(who)


def store_answers(
    repository: np.ndarray,
    k0: np.ndarray,
    chosen: Events,
    member: np.ndarray,
    closed: np.ndarray | None = None,
) -> None:
    """Answers learned from, between members, go into the repository (seed 001 comments).

    The repository keeps, per item, the mastery of the best answer stored (in place).
    `closed` (per item) marks questions whose wrong answer was withdrawn: nothing more is
    stored for them.
    """
    stored = member[chosen.src] & member[chosen.dst]
    if closed is not None:
        stored &= ~closed[chosen.item]
    if stored.any():
        level = k0[chosen.src[stored], chosen.item[stored]].astype(np.float64)
        np.maximum.at(repository, chosen.item[stored], level)


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


@numba.njit(cache=True)
def able_neighbours(indptr, nbr, k_flat, n_items, rows, item, at_least):  # pragma: no cover
    """The neighbours of each row who know an item at least `at_least` and better than it.

    For query q, every CSR position p of agent `rows[q]` whose neighbour b = nbr[p] has
    `k[b, item[q]] >= at_least` and `k[b, item[q]] > k[rows[q], item[q]]` (the able helpers
    of a question, MODEL.md step 2).

    Args:
        indptr: CSR row pointer of the ties.
        nbr: CSR neighbour per entry.
        k_flat: mastery, flattened (agent * n_items + item).
        n_items: items per agent.
        rows: the agent of each query.
        item: the item of each query.
        at_least: the threshold, in the precision of `k_flat`.

    Returns:
        (owner, pos): for each able neighbour, the query it belongs to and its CSR position,
        by query and then by position.
    """
    n = 0
    for q in range(len(rows)):
        n += indptr[rows[q] + 1] - indptr[rows[q]]
    owner = np.empty(n, np.int64)
    pos = np.empty(n, np.int64)
    w = 0
    for q in range(len(rows)):
        it = item[q]
        mine = k_flat[rows[q] * n_items + it]
        for p in range(indptr[rows[q]], indptr[rows[q] + 1]):
            x = k_flat[nbr[p] * n_items + it]
            if x >= at_least and x > mine:
                owner[w] = q
                pos[w] = p
                w += 1
    return owner[:w], pos[:w]


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
    # Two passes over the members' rows (learner-major, as the knowledge is stored): count
    # the able per item, then fill each item's list in member order; then sort each list.
    ptr = np.zeros(n_items + 1, np.int64)
    for m in members:
        row = m * n_items
        for it in range(n_items):
            if needed[it] and k_flat[row + it] >= at_least:
                ptr[it + 1] += 1
    for it in range(n_items):
        ptr[it + 1] += ptr[it]
    ids = np.empty(ptr[n_items], np.int64)
    levels = np.empty(ptr[n_items], k_flat.dtype)
    fill = ptr[:-1].copy()
    for m in members:
        row = m * n_items
        for it in range(n_items):
            x = k_flat[row + it]
            if needed[it] and x >= at_least:
                ids[fill[it]] = m
                levels[fill[it]] = x
                fill[it] += 1
    sorted_members = np.empty(len(ids), np.int64)
    sorted_level = np.empty(len(ids), k_flat.dtype)
    for it in range(n_items):
        lo, hi = ptr[it], ptr[it + 1]
        order = np.argsort(levels[lo:hi], kind="mergesort")
        for j in range(hi - lo):
            sorted_members[lo + j] = ids[lo + order[j]]
            sorted_level[lo + j] = levels[lo + order[j]]
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
