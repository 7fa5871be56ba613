"""The reference engine's misconception rules, one learner and one event at a time.

The same rules as `sim.rules.misinformation` (read its docstring for what they are and what
they lean on), written as loops over learners and interactions for the per-agent engine
`sim.reference`. Only the order of the random draws differs from the array engine: the two
agree in distribution (tests/test_misinformation.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.rules.common import at_knowledge_precision, linear_in_strength
from sim.rules.events import Channel, StepRecord
from sim.rules.gains import gain

Model = Any
"""A `sim.reference.ReferenceModel`."""


def refused(m: Model, learner: int, item: int) -> bool:
    """Whether `learner` refuses `item` this step.

    It does for a misconception whose rival it holds deeply at the start of the step, or one
    it resists after a correction.
    """
    mi = m.misinformation
    if mi is None or mi.column[item] < 0:
        return False
    col = int(mi.column[item])
    deep = at_knowledge_precision(m.scenario.knowledge.deep_threshold, m.k0)
    return bool(m.k0[learner, mi.rival[col]] >= deep or mi.resist_until[learner, col] >= m.steps)


def _p(m: Model, level: float, strength: float) -> float:
    c = m.scenario.correction
    return level * float(linear_in_strength(strength, c.p_correct_min, c.p_correct_max))


def _channel(m: Model, tie: int, strength: float) -> int:
    if tie < 0:
        return int(Channel.ANSWER_COMMUNITY)
    strong = strength >= m.scenario.ties.strong_threshold
    return int(Channel.ANSWER_STRONG if strong else Channel.ANSWER_WEAK)


def _bandwidth(m: Model, strength: float) -> float:
    lc = m.scenario.learning
    return float(linear_in_strength(strength, lc.bandwidth_min, lc.bandwidth_max))


def correct_question(m: Model, asker: int, item: int, contacts, member: bool) -> None:
    """A question about a misconception: corrected by a tie, or else by a community member.

    Each tie who holds the rival deeply and better than the asker corrects with
    `p_correct` at its strength; then, for a member, each other such member without a tie at
    strength 0. One correction is kept, drawn uniformly among those who made it.
    """
    mi, sc, rng = m.misinformation, m.scenario, m.streams["misinformation"]
    rival = int(mi.rival[mi.column[item]])
    deep = at_knowledge_precision(sc.knowledge.deep_threshold, m.k0)
    mine = m.k0[asker, rival]

    def able(h: int) -> bool:
        return bool(m.k0[h, rival] >= deep and m.k0[h, rival] > mine)

    made = [
        (float(m.k0[h, rival]), tie, s)
        for h, tie, s in contacts
        if able(h) and rng.random() < _p(m, float(m.k0[h, rival]), s)
    ]
    if not made and sc.community.enabled and member:
        tied = {h for h, _, _ in contacts}
        made = [
            (float(m.k0[h, rival]), -1, 0.0)
            for h in m.members
            if h != asker and h not in tied and able(h)
            and rng.random() < _p(m, float(m.k0[h, rival]), 0.0)
        ]  # fmt: skip
    if made:
        level, tie, s = made[int(rng.integers(len(made)))]
        m.pending_corrections.append((asker, item, level, _bandwidth(m, s), _channel(m, tie, s)))


def step_corrections(m: Model, push) -> list[tuple]:
    """The step's corrections, the first per (learner, misconception).

    Sharers corrected by those they reached, then those made on questions and found in the
    repository.
    """
    mi, sc, rng = m.misinformation, m.scenario, m.streams["misinformation"]
    deep = at_knowledge_precision(sc.knowledge.deep_threshold, m.k0)
    out = []
    for e in push:
        col = mi.column[e.item]
        if col < 0:
            continue
        level = m.k0[e.dst, mi.rival[col]]
        if level >= deep and rng.random() < _p(m, float(level), e.strength):
            out.append(
                (e.src, e.item, float(level), _bandwidth(m, e.strength),
                 _channel(m, e.tie, e.strength))
            )  # fmt: skip
    out += m.pending_corrections
    bw = sc.community.repository_bandwidth
    for who, item in m.pending_fixes:
        level = float(m.repository[mi.rival[mi.column[item]]])
        out.append((who, item, level, bw, int(Channel.REPOSITORY)))
    seen: set[tuple[int, int]] = set()
    first = []
    for c in out:
        if (c[0], c[1]) not in seen:
            seen.add((c[0], c[1]))
            first.append(c)
    return first


def offer_corrections(m: Model, corrections: list[tuple], offer, used: set) -> None:
    """Each corrected learner is offered the rival, as an answer from its corrector would."""
    mi, lc = m.misinformation, m.scenario.learning
    for who, item, level, bw, channel in corrections:
        rival = int(mi.rival[mi.column[item]])
        g = float(gain(level, float(m.k0[who, rival]), lc.deep_rate, bw, m.items.complexity[rival]))
        offer(who, rival, g, Channel(channel))
        used.add((who, rival))


def resolve(m: Model, new_k: np.ndarray, corrections: list[tuple]) -> int:
    """The corrected drop the misconception and resist it; a deep rival displaces it.

    Returns:
        The (learner, misconception) pairs displaced (the corrected not included).
    """
    mi, sc = m.misinformation, m.scenario
    for who, item, *_ in corrections:
        new_k[who, item] = 0.0
        mi.resist_until[who, mi.column[item]] = m.steps + sc.correction.resistance_steps
    deep = at_knowledge_precision(sc.knowledge.deep_threshold, new_k)
    displaced = 0
    for who in range(m.n_agents):
        for w, r in zip(mi.wrong.tolist(), mi.rival.tolist(), strict=True):
            if new_k[who, w] > 0 and new_k[who, r] >= deep:
                new_k[who, w] = 0.0
                displaced += 1
    return displaced


def police(m: Model) -> int:
    """Members flag stored wrong answers; `flags_to_withdraw` flags withdraw one."""
    mi, c, rng = m.misinformation, m.scenario.correction, m.streams["misinformation"]
    deep = at_knowledge_precision(m.scenario.knowledge.deep_threshold, m.k0)
    withdrawn = 0
    for col, (w, r) in enumerate(zip(mi.wrong.tolist(), mi.rival.tolist(), strict=True)):
        if c.p_flag == 0 or m.repository[w] <= 0 or mi.withdrawn[w]:
            continue
        for a in m.members:
            if m.k0[a, r] >= deep and not mi.flagged[a, col] and rng.random() < c.p_flag:
                mi.flagged[a, col] = True
        flaggers = [a for a in m.members if mi.flagged[a, col]]
        if len(flaggers) >= c.flags_to_withdraw:
            m.repository[w] = 0.0
            mi.withdrawn[w] = True
            best = max(float(m.k0[a, r]) for a in flaggers)
            m.repository[r] = max(float(m.repository[r]), best)
            withdrawn += 1
    return withdrawn


def record(m: Model, rec: StepRecord, push, chosen, asked_items: list[int]) -> None:
    """The step's misinformation counters (also without correction)."""
    wrong = m.items.rival >= 0
    thr = m.scenario.ties.strong_threshold
    for e in push:
        if wrong[e.item]:
            rec.misinformation_exposures[int(e.strength >= thr)] += 1
    rec.misconception_questions = sum(bool(wrong[j]) for j in asked_items)
    found = [item for _, item in m.pending_repository]
    rec.misinformation_answers = sum(bool(wrong[a.item]) for a in chosen) + sum(
        bool(wrong[j]) for j in found
    )
