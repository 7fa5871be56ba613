"""Misconceptions, correction and self-policing (issue 13; seeds 002 and 003).

An item of a class with `misconception_of` is a wrong version of a correct item, its rival,
on the same topic. Learners do not know it is wrong: it is shared, asked about, answered,
stored and discovered by the same rules as any item (a class of its own may need several
sources, `sources_required`). With `correction.enabled` off that is all, so a misconception
class with the same parameters as a correct class spreads like it. With it on:

1. **Competition.** A learner who holds the rival deeply (mastery >= `deep_threshold` at the
   start of the step) refuses the misconception: it does not ask about it and learns nothing
   of it from a share, an answer, the repository or a discovery. One whose mastery of the
   rival reaches the deep level during a step drops the misconception (displaced).
2. **Correction over a tie, or by the community.** A noticed share (within the time budget)
   of a misconception that reaches a deep holder of the rival makes that holder correct the
   sharer with probability ``k_c * (p_correct_min + (p_correct_max - p_correct_min) * s)``
   (`k_c` the corrector's mastery of the rival, `s` the tie's strength). A question about a
   misconception put to ties (and, for a member, to the community) is corrected by each tie
   who holds the rival deeply and better than the asker with the same probability, and by
   each such member without a tie with ``k_c * p_correct_min`` (strength 0). A question
   corrected by a tie counts as a tie correction, otherwise as a community one.
3. **The corrected learner** drops the misconception at the end of the step, learns the rival
   as from an answer (``deep_rate`` times the tie's bandwidth, from the corrector's level),
   and refuses the misconception for `resistance_steps` steps after. Corrections cost no time
   budget and do not strengthen ties.
4. **Policing the repository.** Each step, each member who holds the rival deeply flags a
   stored wrong answer with probability `p_flag` (a member flags it once). When
   `flags_to_withdraw` distinct members have flagged it, it is withdrawn and replaced by a
   correction: the stored answer on the rival rises to the best flagger's mastery, wrong
   answers to that question are no longer stored, and a member who looks the question up
   (`community.p_find`) finds the correction (a repository correction, taught at the
   repository's bandwidth).

The rule leans on three simplifications, stated in docs/ODD.md: one misconception per
correct item, correction only by those who hold the correct item deeply, and a fixed
resistance window instead of a gradual one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.rules.common import at_knowledge_precision, linear_in_strength
from sim.rules.events import (
    CORRECTION_CHANNELS,
    Channel,
    Events,
    StepRecord,
    correction_channel,
)
from sim.rules.gains import Offers, first_per_group, gain
from sim.rules.help import Questions, able_members, able_neighbours
from sim.scenario.schema import Scenario
from sim.world.ties import TieKind, TieTable, tie_between, tie_kind


@dataclass
class Misinformation:
    """The state of correction between steps (only when some class is a misconception).

    Attributes:
        wrong: the misconception items (ascending).
        rival: per misconception, the correct item it competes with.
        column: per item, its index in `wrong`, or -1 for a correct item.
        resist_until: per (learner, misconception), the last step at which it refuses the
            misconception after a correction (-1: never corrected).
        flagged: per (learner, misconception), whether the learner flagged its stored answer.
        withdrawn: per item, whether its stored wrong answer was withdrawn (a correction
            stands in the repository instead).
    """

    wrong: np.ndarray
    rival: np.ndarray
    column: np.ndarray
    resist_until: np.ndarray
    flagged: np.ndarray
    withdrawn: np.ndarray

    @staticmethod
    def create(rival_of_item: np.ndarray, n_agents: int) -> Misinformation:
        """The initial state: nobody corrected, nothing flagged or withdrawn."""
        wrong = np.flatnonzero(rival_of_item >= 0)
        column = np.full(len(rival_of_item), -1, dtype=np.int64)
        column[wrong] = np.arange(len(wrong))
        return Misinformation(
            wrong=wrong,
            rival=rival_of_item[wrong].astype(np.int64),
            column=column,
            resist_until=np.full((n_agents, len(wrong)), -1, dtype=np.int64),
            flagged=np.zeros((n_agents, len(wrong)), dtype=bool),
            withdrawn=np.zeros(len(rival_of_item), dtype=bool),
        )

    def refused(self, k0: np.ndarray, deep: float, step: int) -> np.ndarray:
        """Per (learner, misconception): refused this step (rival held deeply, or resisting)."""
        return (k0[:, self.rival] >= at_knowledge_precision(deep, k0)) | (self.resist_until >= step)

    def refused_flat(self, refused: np.ndarray, n_items: int) -> np.ndarray:
        """`refused` as a mask over flat (learner * n_items + item) knowledge."""
        mask = np.zeros(refused.shape[0] * n_items, dtype=bool)
        who, col = np.nonzero(refused)
        mask[who * n_items + self.wrong[col]] = True
        return mask


@dataclass
class Corrections:
    """The corrections of a step, one per corrected (learner, misconception).

    Attributes:
        learner: the corrected learner.
        item: the misconception it drops.
        level: the corrector's mastery of the rival (the stored answer's, from the repository).
        bandwidth: of the contact the correction came over.
        channel: the `Channel` its gain on the rival is counted in (which also says where
            the correction came from, `sim.rules.events.correction_channel`).
    """

    learner: np.ndarray
    item: np.ndarray
    level: np.ndarray
    bandwidth: np.ndarray
    channel: np.ndarray

    @staticmethod
    def none() -> Corrections:
        """No corrections."""
        z = np.zeros(0, dtype=np.int64)
        return Corrections(z, z, np.zeros(0), np.zeros(0), z)

    def __len__(self) -> int:
        return len(self.learner)

    @staticmethod
    def first_of(parts: list[Corrections], n_items: int) -> Corrections:
        """The parts together, keeping the first correction of each (learner, misconception)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return Corrections.none()
        fields = ("learner", "item", "level", "bandwidth", "channel")
        cat = {f: np.concatenate([getattr(p, f) for p in parts]) for f in fields}
        _, first = np.unique(cat["learner"] * n_items + cat["item"], return_index=True)
        first.sort()
        return Corrections(**{f: v[first] for f, v in cat.items()})


def p_correct(level: np.ndarray, strength: np.ndarray, sc: Scenario) -> np.ndarray:
    """Probability that a deep holder of the rival corrects: mastery times a line in strength."""
    c = sc.correction
    return np.asarray(level, dtype=np.float64) * linear_in_strength(
        strength, c.p_correct_min, c.p_correct_max
    )


def _answer_channel(strength: np.ndarray, tie: np.ndarray, sc: Scenario) -> np.ndarray:
    """The answer `Channel` of a contact: weak tie, strong tie, or community stranger."""
    kind = tie_kind(strength, sc.ties.strong_threshold)
    ch = np.where(kind == TieKind.STRONG, Channel.ANSWER_STRONG, Channel.ANSWER_WEAK)
    return np.where(tie < 0, Channel.ANSWER_COMMUNITY, ch).astype(np.int64)


def _bandwidth(strength: np.ndarray, sc: Scenario) -> np.ndarray:
    return linear_in_strength(strength, sc.learning.bandwidth_min, sc.learning.bandwidth_max)


def push_corrections(
    mi: Misinformation, k0: np.ndarray, push: Events, sc: Scenario, rng: np.random.Generator
) -> Corrections:
    """Sharers of a misconception corrected by the deep holders of its rival they reached."""
    col = mi.column[push.item]
    rival = np.where(col >= 0, mi.rival[np.maximum(col, 0)], 0)
    level = k0[push.dst, rival].astype(np.float64)
    deep = at_knowledge_precision(sc.knowledge.deep_threshold, k0)
    cand = np.flatnonzero((col >= 0) & (k0[push.dst, rival] >= deep))
    if not len(cand):
        return Corrections.none()
    p = p_correct(level[cand], push.strength[cand], sc)
    hit = cand[rng.random(len(cand)) < p]
    return Corrections(
        learner=push.src[hit],
        item=push.item[hit],
        level=level[hit],
        bandwidth=_bandwidth(push.strength[hit], sc),
        channel=_answer_channel(push.strength[hit], push.tie[hit], sc),
    )


def question_corrections(
    mi: Misinformation,
    k0: np.ndarray,
    ties: TieTable,
    put: tuple[np.ndarray, np.ndarray],
    member: np.ndarray,
    sc: Scenario,
    rng: np.random.Generator,
) -> Corrections:
    """Askers of a misconception corrected by a tie, or else by the community.

    Args:
        mi: the correction state.
        k0: mastery at the start of the step.
        ties: the tie table.
        put: (asker, item) of the questions put to ties and the community this step.
        member: community membership per learner.
        sc: the scenario.
        rng: the ``misinformation`` stream.
    """
    askers, item = put
    wrong = mi.column[item] >= 0
    askers, item = askers[wrong], item[wrong]
    if not len(askers):
        return Corrections.none()
    rival = mi.rival[mi.column[item]]
    n_items = k0.shape[1]
    deep = at_knowledge_precision(sc.knowledge.deep_threshold, k0)
    k_flat = k0.reshape(-1)
    owner, pos = able_neighbours(ties.indptr, ties.nbr, k_flat, n_items, askers, rival, deep)
    corrector = ties.nbr[pos].astype(np.int64)
    tie = ties.tie_of[pos].astype(np.int64)
    s = ties.strength[tie]
    level = k0[corrector, rival[owner]].astype(np.float64)
    ok = rng.random(len(owner)) < p_correct(level, s, sc)
    owner, tie, s, level = owner[ok], tie[ok], s[ok], level[ok]
    pick = first_per_group(owner, np.zeros(len(owner)), rng.random(len(owner)))
    by_tie = np.zeros(len(askers), dtype=bool)
    by_tie[owner[pick]] = True
    parts = [
        Corrections(
            learner=askers[owner[pick]],
            item=item[owner[pick]],
            level=level[pick],
            bandwidth=_bandwidth(s[pick], sc),
            channel=_answer_channel(s[pick], tie[pick], sc),
        )
    ]
    if sc.community.enabled:
        rest = np.flatnonzero(~by_tie & member[askers])
        parts.append(
            _community_corrections(k0, ties, askers[rest], item[rest], rival[rest], member, sc, rng)
        )
    return Corrections.first_of(parts, n_items)


def _community_corrections(k0, ties, askers, item, rival, member, sc, rng) -> Corrections:
    """Member askers corrected by a member without a tie (strength 0), one at random."""
    if not len(askers):
        return Corrections.none()
    deep = at_knowledge_precision(sc.knowledge.deep_threshold, k0)
    start, count, ptr, sorted_members = able_members(
        k0.reshape(-1),
        k0.shape[1],
        np.flatnonzero(member),
        askers,
        rival,
        np.ones(len(askers), dtype=bool),
        deep,
    )
    # Thinning: each able member corrects with p_correct_min times its mastery (<= 1).
    p_min = sc.correction.p_correct_min
    n_cand = rng.binomial(count.astype(np.int64), p_min)
    learner, its, levels = [], [], []
    for q in np.flatnonzero(n_cand > 0).tolist():
        first = ptr[rival[q]] + start[q]
        who = sorted_members[first + rng.choice(int(count[q]), int(n_cand[q]), replace=False)]
        lv = k0[who, rival[q]].astype(np.float64)
        keep = rng.random(len(who)) < lv
        keep &= (
            tie_between(ties.indptr, ties.nbr, ties.tie_of, who, np.full(len(who), askers[q])) < 0
        )
        if keep.any():
            j = int(rng.integers(int(keep.sum())))
            learner.append(askers[q])
            its.append(item[q])
            levels.append(float(lv[keep][j]))
    m = len(learner)
    zero = np.zeros(m)
    return Corrections(
        learner=np.array(learner, dtype=np.int64),
        item=np.array(its, dtype=np.int64),
        level=np.array(levels, dtype=np.float64),
        bandwidth=_bandwidth(zero, sc),
        channel=np.full(m, Channel.ANSWER_COMMUNITY, dtype=np.int64),
    )


def repository_corrections(
    mi: Misinformation, hits: tuple[np.ndarray, np.ndarray], repository: np.ndarray, sc: Scenario
) -> Corrections:
    """Members who looked a misconception up and found the correction that replaced it."""
    who, item = hits
    m = len(who)
    return Corrections(
        learner=who.astype(np.int64),
        item=item.astype(np.int64),
        level=repository[mi.rival[mi.column[item]]].astype(np.float64),
        bandwidth=np.full(m, sc.community.repository_bandwidth),
        channel=np.full(m, Channel.REPOSITORY, dtype=np.int64),
    )


def step_corrections(
    mi: Misinformation | None,
    k0: np.ndarray,
    ties: TieTable,
    push: Events,
    q: Questions,
    member: np.ndarray,
    repository: np.ndarray,
    sc: Scenario,
    rng: np.random.Generator,
) -> Corrections:
    """The step's corrections, the first of each (learner, misconception) in this order.

    Sharers corrected by those they reached, askers corrected by a tie or the community,
    askers who found the correction in the repository. None when correction is off.
    """
    if mi is None:
        return Corrections.none()
    return Corrections.first_of(
        [
            push_corrections(mi, k0, push, sc, rng),
            question_corrections(mi, k0, ties, q.put, member, sc, rng),
            repository_corrections(mi, q.repository_corrections, repository, sc),
        ],
        k0.shape[1],
    )


def correction_offers(
    offers: Offers, mi: Misinformation, k0: np.ndarray, corr: Corrections, sc: Scenario,
    complexity: np.ndarray, refused: np.ndarray,
) -> None:  # fmt: skip
    """Offer each corrected learner the rival, as an answer from its corrector would.

    The refused and the corrected learn nothing of the misconception this step.

    Args:
        offers: the step's offers (updated).
        mi: the correction state.
        k0: mastery at the start of the step.
        corr: the step's corrections.
        sc: the scenario.
        complexity: per item.
        refused: per (learner, misconception), `Misinformation.refused` at the step's start.
    """
    n_items = k0.shape[1]
    mask = mi.refused_flat(refused, n_items)
    mask[corr.learner * n_items + corr.item] = True
    offers.refuse(mask)
    if not len(corr):
        return
    rival = mi.rival[mi.column[corr.item]]
    g = gain(
        corr.level,
        k0[corr.learner, rival].astype(np.float64),
        sc.learning.deep_rate,
        corr.bandwidth,
        complexity[rival],
    )
    offers.add(corr.learner * n_items + rival, g, corr.channel)
    offers.use(corr.learner * n_items + rival)


def resolve(
    mi: Misinformation, new_k: np.ndarray, corr: Corrections, sc: Scenario, step: int
) -> int:
    """End of step: the corrected drop the misconception and resist it; deep rivals displace.

    Returns:
        How many (learner, misconception) pairs were displaced by deep mastery of the rival
        (the corrected ones not included).
    """
    new_k[corr.learner, corr.item] = 0.0
    mi.resist_until[corr.learner, mi.column[corr.item]] = step + sc.correction.resistance_steps
    deep = at_knowledge_precision(sc.knowledge.deep_threshold, new_k)
    held = new_k[:, mi.wrong]
    displaced = (held > 0) & (new_k[:, mi.rival] >= deep)
    who, col = np.nonzero(displaced)
    new_k[who, mi.wrong[col]] = 0.0
    return len(who)


def police(
    mi: Misinformation,
    repository: np.ndarray,
    k0: np.ndarray,
    member: np.ndarray,
    sc: Scenario,
    rng: np.random.Generator,
) -> int:
    """Members flag stored wrong answers; enough flags withdraw one. Returns how many were."""
    c = sc.correction
    stored = np.flatnonzero((repository[mi.wrong] > 0) & ~mi.withdrawn[mi.wrong])
    if c.p_flag == 0 or not len(stored):
        return 0
    deep = at_knowledge_precision(sc.knowledge.deep_threshold, k0)
    withdrawn = 0
    for col in stored.tolist():
        rival = mi.rival[col]
        cand = np.flatnonzero(member & (k0[:, rival] >= deep) & ~mi.flagged[:, col])
        mi.flagged[cand[rng.random(len(cand)) < c.p_flag], col] = True
        flaggers = np.flatnonzero(mi.flagged[:, col])
        if len(flaggers) >= c.flags_to_withdraw:
            w = mi.wrong[col]
            repository[w] = 0.0
            mi.withdrawn[w] = True
            best = float(k0[flaggers, rival].max())
            repository[rival] = max(repository[rival], best)
            withdrawn += 1
    return withdrawn


def exposures_by_kind(rival_of_item: np.ndarray, push: Events, sc: Scenario) -> np.ndarray:
    """Noticed shares of misconceptions this step, per `TieKind` (weak, strong)."""
    wrong = rival_of_item[push.item] >= 0
    kind = tie_kind(push.strength[wrong], sc.ties.strong_threshold)
    return np.bincount(kind, minlength=2).astype(np.int64)


def finish_step(
    mi: Misinformation | None,
    rec: StepRecord,
    new_k: np.ndarray,
    corr: Corrections,
    rival: np.ndarray,
    push: Events,
    q: Questions,
    chosen: Events,
    sc: Scenario,
    step: int,
) -> None:
    """After the gains and forgetting: `resolve` (correction on), then the step's counters.

    Args:
        mi: the correction state, None when correction is off.
        rec: the step's record (updated in place).
        new_k: the knowledge after the step (updated in place).
        corr: the step's corrections.
        rival: per item, its rival (-1 for a correct item).
        push: the noticed shares after the time budget.
        q: the step's questions.
        chosen: the answers learned from.
        sc: the scenario.
        step: the step number.
    """
    if mi is not None:
        rec.misconceptions_displaced = resolve(mi, new_k, corr, sc, step)
        rec.corrections, rec.flows.corrected = counts_by_channel(corr), corr.learner
    record_misinformation(rec, rival, push, q, chosen, sc)


def record_misinformation(
    rec: StepRecord, rival: np.ndarray, push: Events, q: Questions, chosen: Events, sc: Scenario
) -> None:
    """The step's misinformation counters, whether or not correction is on.

    Args:
        rec: the step's record (updated in place).
        rival: per item, its rival (-1 for a correct item).
        push: the noticed shares after the time budget.
        q: the step's questions.
        chosen: the answers learned from.
        sc: the scenario.
    """
    wrong = rival >= 0
    rec.misinformation_exposures = exposures_by_kind(rival, push, sc)
    asked = (q.put[1], q.repository_hits[1], q.repository_corrections[1])
    rec.misconception_questions = int(sum(wrong[x].sum() for x in asked))
    got = (chosen.item, q.repository_hits[1])
    rec.misinformation_answers = int(sum(wrong[x].sum() for x in got))


def counts_by_channel(corr: Corrections) -> np.ndarray:
    """Corrections per `CORRECTION_CHANNELS` code."""
    via = correction_channel(corr.channel)
    return np.bincount(via, minlength=len(CORRECTION_CHANNELS)).astype(np.int64)
