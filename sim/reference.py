"""The reference engine: the rules of one step written per learner, as a Mesa user would.

Select it with `engine: agents` in a scenario. Each `ReferenceLearner.step()` does its own
sharing, asking, innovating and tie seeking, reading only the state at the start of the step
(the model's arrays are not touched while the learners act) and appending what it did to the
model's pending lists. The model then applies the step's changes together: the time budget,
one answer per question, the best gain per (learner, item), forgetting, the repository and the
ties. So the result does not depend on the (shuffled) agent order: the same synchronous
semantics as the array engine in `sim.model`, the same rules (README 'One step') and the same
metrics (`sim.metrics.collect` reads the same arrays). It is the readable specification and
the baseline for `benchmarks/`; it is slow (Python loops over agents, ties and items).

The scalar rules (gain, attention, willingness, bystander effect, forgetting, tie decay and
formation filters) are the functions of `sim.rules`; what differs from the
array engine is only how events are generated and coordinated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import reference_misinformation as rm
from sim.agents import Learner
from sim.model import LearningModel
from sim.rules.common import at_knowledge_precision, linear_in_strength
from sim.rules.events import (
    COMMUNITY_CONTACT,
    CORRECTION_CHANNELS,
    Channel,
    LearnerFlows,
    StepRecord,
    correction_channel,
)
from sim.rules.forgetting import forget, forgotten
from sim.rules.gains import gain
from sim.rules.help import p_answer
from sim.rules.tie_dynamics import decay, dissolve_and_form, strengthen
from sim.scenario import Engine, PartnerChoice, Policy
from sim.world.ties import TieKind, TieOrigin


@dataclass
class Interaction:
    """One candidate interaction of a step: a noticed share or an answer."""

    src: int  # sharer / helper
    dst: int  # learner / asker
    item: int
    tie: int  # tie id, or -1 for a community member without a tie to the asker
    strength: float
    both_spend: bool  # does the source spend time budget too (gossip, answers)


class ReferenceLearner(Learner):
    """A learner that acts on its own in `step()` (the per-agent reference engine)."""

    model: ReferenceModel

    def contacts(self) -> list[tuple[int, int, float]]:
        """(neighbour, tie id, strength) of every tie at the start of the step."""
        t = self.model.ties
        lo, hi = int(t.indptr[self.index]), int(t.indptr[self.index + 1])
        return [
            (int(t.nbr[p]), int(t.tie_of[p]), float(t.strength[t.tie_of[p]])) for p in range(lo, hi)
        ]

    def step(self) -> None:
        """Share, ask, innovate and look for new ties, on the start-of-step state."""
        sc = self.model.scenario
        if sc.sharing.enabled:
            self.share()
        if sc.help.enabled:
            self.ask()
        if sc.innovation.enabled and sc.innovation.p_innovate > 0:
            self.innovate()
        if sc.ties.enabled:
            self.seek_ties()

    # ------------------------------------------------------------------ push

    def share(self) -> None:
        """MODEL.md step 1: share known items with ties, who notice with their attention."""
        m, rng, sh = self.model, self.model.streams["sharing"], self.model.scenario.sharing
        p_share = min(sh.p_share * m.activity[self.index], 1.0)
        if sh.policy == Policy.CASCADE:
            candidates = m.new_items.get(self.index, [])  # learned last step: passed on once
        else:
            candidates = np.flatnonzero(m.k0[self.index] > 0).tolist()
        if m.stifled is not None:  # items it lost interest in are not shared (stifling)
            candidates = [j for j in candidates if not m.stifled[self.index * m.n_items + j]]
        shared = [j for j in candidates if rng.random() < p_share]
        contacts = self.contacts()
        if not shared or not contacts:
            return
        both = False
        if sh.policy == Policy.GOSSIP:
            # One conversation per step: one tie, all the items shared now.
            if sh.partner == PartnerChoice.UNIFORM:
                pick = int(rng.integers(len(contacts)))
            else:
                w = np.array([s for _, _, s in contacts])
                pick = int(rng.choice(len(contacts), p=w / w.sum()))
            contacts = [contacts[pick]]
            both = True
        for nbr, tie, s in contacts:
            p_notice = float(linear_in_strength(s, sh.p_notice_min, sh.p_notice_max))
            for item in shared:
                if rng.random() < p_notice:
                    m.pending_push.append(Interaction(self.index, nbr, item, tie, s, both))

    # ------------------------------------------------------------------ pull

    def ask(self) -> None:
        """MODEL.md step 2: ask about one need: the repository, then ties and the community."""
        m, rng = self.model, self.model.streams["help"]
        hc, cm = m.scenario.help, m.scenario.community
        if rng.random() >= min(hc.p_ask * m.activity[self.index], 1.0):
            return
        k = m.k0[self.index]
        goal = at_knowledge_precision(hc.goal, k)  # at goal, no longer a need
        needs = [
            j
            for j in range(m.n_items)
            if m.interest[self.index, m.items.item_topic[j]] and k[j] < goal
            and not rm.refused(m, self.index, j)  # a misconception it knows to be wrong
        ]  # fmt: skip
        if not needs:
            return
        item = needs[int(rng.integers(len(needs)))]
        level = float(k[item])
        m.questions += 1
        m.askers.append(self.index)
        m.asked_items.append(item)
        member = bool(m.member[self.index])
        mi = m.misinformation
        if cm.enabled and cm.repository and member and mi is not None and mi.withdrawn[item]:
            if rng.random() < cm.p_find:  # the correction that replaced a wrong answer
                m.pending_fixes.append((self.index, item))
                return
        elif cm.enabled and cm.repository and member and m.repository[item] > level:
            if rng.random() < cm.p_find:
                m.pending_repository.append((self.index, item))
                return

        at_least = at_knowledge_precision(hc.able_threshold, m.k0)

        def able(helper: int) -> bool:
            lh = m.k0[helper, item]
            return bool(lh >= at_least and lh > level)

        contacts = self.contacts()
        tied = [(h, tie, s) for h, tie, s in contacts if able(h)]
        strangers: list[int] = []
        if cm.enabled and member:
            mine = {h for h, _, _ in contacts}
            strangers = [h for h in m.members if h != self.index and h not in mine and able(h)]
        # Everyone able who sees the question counts for the bystander effect (seed 004).
        n_able = len(tied) + len(strangers)
        for h, tie, s in tied + [(h, -1, 0.0) for h in strangers]:
            p = float(
                p_answer(
                    m.helpfulness[h], s, n_able, hc.stranger_willingness, hc.bystander_exponent
                )
            )
            if rng.random() < p:
                m.pending_answers.append(Interaction(h, self.index, item, tie, s, True))
        if mi is not None and mi.column[item] >= 0:
            rm.correct_question(m, self.index, item, contacts, member)

    # ------------------------------------------------------------------ on one's own

    def innovate(self) -> None:
        """MODEL.md step 5: learn an item of one's interests (any item without interests)."""
        m, rng, inn = self.model, self.model.streams["innovation"], self.model.scenario.innovation
        if rng.random() >= inn.p_innovate:
            return
        wanted = [j for j in range(m.n_items) if m.interest[self.index, m.items.item_topic[j]]]
        if not wanted:
            wanted = list(range(m.n_items))
        item = wanted[int(rng.integers(len(wanted)))]
        m.pending_innovation.append(
            (self.index, item, inn.gain * (1.0 - float(m.k0[self.index, item])))
        )

    # ------------------------------------------------------------------ ties

    def seek_ties(self) -> None:
        """New weak-tie candidates: a community meeting, a friend of a friend, chance."""
        m, rng = self.model, self.model.streams["ties"]
        tc, cm = m.scenario.ties, m.scenario.community
        me = self.index
        if cm.enabled and cm.p_meet > 0 and m.member[me] and len(m.members) > 1:
            if rng.random() < cm.p_meet:
                others = [h for h in m.members if h != me]
                m.pending_ties.append(
                    (me, others[int(rng.integers(len(others)))], TieOrigin.COMMUNITY)
                )
        if tc.p_triadic > 0 and rng.random() < tc.p_triadic:
            contacts = self.contacts()
            if contacts:
                mid = contacts[int(rng.integers(len(contacts)))][0]
                friends = m.learner(mid).contacts()
                far = friends[int(rng.integers(len(friends)))][0]
                m.pending_ties.append((me, far, TieOrigin.TRIADIC))
        if tc.p_chance > 0 and rng.random() < tc.p_chance:
            other = int(rng.integers(m.n_agents - 1))
            other += other >= me  # anyone but oneself
            m.pending_ties.append((me, other, TieOrigin.CHANCE))


class ReferenceModel(LearningModel):
    """The same model as `LearningModel`, stepped by its learners one at a time.

    Args:
        scenario: the validated scenario (usually with `engine: agents`).
        rng: seed or numpy Generator.
        start_network: the starting ties for generator edge_list.
    """

    engine = Engine.AGENTS
    learner_class = ReferenceLearner

    def __init__(self, scenario, rng=None, start_network=None) -> None:
        super().__init__(scenario, rng=rng, start_network=start_network)
        self.members = np.flatnonzero(self.member).tolist()
        self.learners  # noqa: B018 - the learners do the work here: create them now

    def step(self) -> None:
        """Learners act on the start-of-step state (shuffled order), then changes apply."""
        sc = self.scenario
        rec = StepRecord()
        self.k0 = self.knowledge.view()  # the start-of-step state, read-only for the learners
        self.k0.flags.writeable = False
        self.new_items: dict[int, list[int]] = {}
        for flat in self.newly_aware.tolist():
            self.new_items.setdefault(flat // self.n_items, []).append(flat % self.n_items)
        self.pending_push: list[Interaction] = []
        self.pending_answers: list[Interaction] = []
        self.pending_repository: list[tuple[int, int]] = []
        self.pending_innovation: list[tuple[int, int, float]] = []
        self.pending_ties: list[tuple[int, int, int]] = []
        self.pending_corrections: list[tuple] = []  # made on questions (reference_misinformation)
        self.pending_fixes: list[tuple[int, int]] = []  # corrections found in the repository
        self.asked_items: list[int] = []
        self.questions = 0
        self.askers: list[int] = []
        self.cut: list[tuple[int, int]] = []  # (learner, contact kind) without time for it
        self.applied: list[tuple[int, int, float]] = []  # (learner, channel, gain)

        self.learners.shuffle_do("step")

        rec.questions = self.questions
        push, answers = self._apply_budget(self.pending_push, self.pending_answers, rec)
        if self.stifled is not None:
            rec.stifled_sharers = self._stifle(push)
        mi = self.misinformation
        self.corrections = [] if mi is None else rm.step_corrections(self, push)
        chosen = self._choose_answers(answers)
        self._apply_learning(push, answers, chosen, rec)
        rec.flows = self._flows(chosen)
        if self.has_misconceptions:
            rm.record(self, rec, push, chosen, self.asked_items)
        if sc.community.enabled and sc.community.repository:
            for a in chosen:
                closed = mi is not None and mi.withdrawn[a.item]  # no more wrong answers stored
                if self.member[a.src] and self.member[a.dst] and not closed:
                    level = float(self.k0[a.src, a.item])
                    self.repository[a.item] = max(self.repository[a.item], level)
            if mi is not None:
                rec.withdrawn_answers = rm.police(self)
        if sc.ties.enabled:
            self._apply_ties(push, answers, chosen, rec)
        self.record = rec
        self._record_step()

    # ------------------------------------------------------------------ coordination

    def _flows(self, chosen: list[Interaction]) -> LearnerFlows:
        """Who asked, answered, gained and had no time this step (per-learner outputs)."""

        def ints(values) -> np.ndarray:
            return np.array(list(values), dtype=np.int64)

        return LearnerFlows(
            asked=ints(self.askers),
            answered_by=ints(a.src for a in chosen),
            answered_to=ints(a.dst for a in chosen),
            gain_learner=ints(a for a, _, _ in self.applied),
            gain_channel=ints(c for _, c, _ in self.applied),
            gain=np.array([g for _, _, g in self.applied], dtype=np.float64),
            cut_learner=ints(a for a, _ in self.cut),
            cut_kind=ints(k for _, k in self.cut),
            corrected=ints(c[0] for c in self.corrections),
        )

    def _stifle(self, push: list[Interaction]) -> int:
        """Sharers lose interest after reaching someone who knew (`sim.rules.stifling`)."""
        p, rng, newly = self.scenario.sharing.p_stifle, self.streams["stifling"], 0
        for e in push:
            flat = e.src * self.n_items + e.item
            if self.k0[e.dst, e.item] > 0 and rng.random() < p and not self.stifled[flat]:
                self.stifled[flat] = True
                newly += 1
        return newly

    def _kind(self, e: Interaction) -> int:
        """The `CONTACT_KINDS` code of an interaction's contact."""
        if e.tie < 0:
            return COMMUNITY_CONTACT
        return int(TieKind.STRONG if e.strength >= self.scenario.ties.strong_threshold else 0)

    def _apply_budget(self, push, answers, rec: StepRecord):
        """Keep the interactions whose participants all have time for them (README step 4).

        Each learner uses at most `time_budget` distinct contacts per step, strongest first;
        equal strengths in a random order: each contact (a tie, or a pair of community
        strangers) gets one random priority per step, shared by both its ends. A share costs
        only its receiver time (broadcast, cascade); a conversation and an answer cost both.
        """
        budget = self.scenario.population.time_budget
        events = push + answers
        if budget is None or not events:
            return push, answers

        def contact(e: Interaction):
            return ("tie", e.tie) if e.tie >= 0 else ("pair", min(e.src, e.dst), max(e.src, e.dst))

        priority: dict = {}
        wanted: dict[int, dict] = {}  # agent -> contact -> strength
        for e in events:
            c = contact(e)
            if c not in priority:
                priority[c] = self.streams["budget"].random()
            wanted.setdefault(e.dst, {})[c] = e.strength
            if e.both_spend:
                wanted.setdefault(e.src, {})[c] = e.strength
        served: set = set()
        for agent, cs in wanted.items():
            ranked = sorted(cs, key=lambda c, cs=cs: (-cs[c], priority[c]))
            served.update((agent, c) for c in ranked[:budget])

        def fits(e: Interaction) -> bool:
            c = contact(e)
            return (e.dst, c) in served and (not e.both_spend or (e.src, c) in served)

        for e in events:
            c, kind = contact(e), self._kind(e)
            ends = [e.dst, e.src] if e.both_spend else [e.dst]
            self.cut.extend((a, kind) for a in ends if (a, c) not in served)
            rec.budget_cut_by_kind[kind] += not fits(e)
        return [e for e in push if fits(e)], [e for e in answers if fits(e)]

    def _choose_answers(self, answers: list[Interaction]) -> list[Interaction]:
        """An asker learns from one of the answers it got, chosen at random."""
        by_asker: dict[int, list[Interaction]] = {}
        for a in answers:
            by_asker.setdefault(a.dst, []).append(a)
        return [got[int(self.streams["gains"].integers(len(got)))] for got in by_asker.values()]

    def _tied_holders(self, agent: int, item: int) -> int:
        """Ties of `agent` aware of `item` at the start of the step (complex contagion)."""
        return sum(self.k0[nbr, item] > 0 for nbr, _, _ in self.learner(agent).contacts())

    def _apply_learning(self, push, answers, chosen, rec: StepRecord) -> None:
        """Gains, the best per (learner, item), forgetting (README steps 1, 2, 3, 5, 6)."""
        sc = self.scenario
        lc, thr = sc.learning, sc.ties.strong_threshold
        k0 = self.k0
        candidates: dict[tuple[int, int], list[tuple[float, int]]] = {}
        used: set[tuple[int, int]] = set()

        corrected = {(c[0], c[1]) for c in self.corrections}

        def offer(agent: int, item: int, g: float, channel: Channel) -> None:
            if (agent, item) in corrected or rm.refused(self, agent, item):
                g = 0.0  # a misconception it knows to be wrong teaches nothing
            candidates.setdefault((agent, item), []).append((g, int(channel)))

        rec.exposures = len(push)
        for e in push:
            k_src, k_dst = float(k0[e.src, e.item]), float(k0[e.dst, e.item])
            bw = float(linear_in_strength(e.strength, lc.bandwidth_min, lc.bandwidth_max))
            g = float(gain(k_src, k_dst, lc.surface_rate, bw, self.items.complexity[e.item]))
            m_req = int(self.items.sources_required[e.item])
            if m_req > 1 and self._tied_holders(e.dst, e.item) < m_req:
                g = 0.0  # not reinforced by enough tied holders (Centola & Macy 2007)
            kind = TieKind.STRONG if e.strength >= thr else TieKind.WEAK
            rec.redundant_exposures += k_dst >= k_src
            rec.exposures_by_kind[kind] += 1
            rec.redundant_by_kind[kind] += k_dst >= k_src
            if k_dst == 0 and g > 0:
                rec.novel_exposures[kind] += 1
            strong = kind == TieKind.STRONG
            offer(e.dst, e.item, g, Channel.PUSH_STRONG if strong else Channel.PUSH_WEAK)
            used.update({(e.dst, e.item), (e.src, e.item)})
        rec.answers = len(chosen)
        for a in chosen:
            bw = float(linear_in_strength(a.strength, lc.bandwidth_min, lc.bandwidth_max))
            g = float(
                gain(
                    float(k0[a.src, a.item]),
                    float(k0[a.dst, a.item]),
                    lc.deep_rate,
                    bw,
                    self.items.complexity[a.item],
                )
            )
            if a.tie < 0:
                channel = Channel.ANSWER_COMMUNITY
            elif a.strength >= thr:
                channel = Channel.ANSWER_STRONG
            else:
                channel = Channel.ANSWER_WEAK
            rec.answers_by_channel[channel] += 1
            offer(a.dst, a.item, g, channel)
            used.add((a.dst, a.item))
        used.update((a.src, a.item) for a in answers)  # every helper who answered used it
        rec.repository_hits = len(self.pending_repository)
        for who, item in self.pending_repository:
            g = float(
                gain(
                    self.repository[item],
                    float(k0[who, item]),
                    lc.deep_rate,
                    sc.community.repository_bandwidth,
                    self.items.complexity[item],
                )
            )
            offer(who, item, g, Channel.REPOSITORY)
            used.add((who, item))
        for who, item, g in self.pending_innovation:
            offer(who, item, g, Channel.INNOVATION)
            used.add((who, item))
        if self.corrections:
            rm.offer_corrections(self, self.corrections, offer, used)

        self._apply_offers(candidates, used, rec)

    def _apply_offers(self, candidates: dict, used: set, rec: StepRecord) -> None:
        """Each (learner, item) takes its best offer, then unused knowledge is forgotten.

        Among equal best offers the channel is drawn at random; the new knowledge replaces
        the snapshot.
        """
        sc, k0 = self.scenario, self.k0
        new_k = k0.copy()
        for (agent, item), offers in candidates.items():
            best = max(g for g, _ in offers)
            if best <= 0:
                continue
            ties_at_best = [c for g, c in offers if g == best]
            channel = ties_at_best[int(self.streams["gains"].integers(len(ties_at_best)))]
            new_k[agent, item] = min(float(new_k[agent, item]) + best, 1.0)
            rec.gain_by_channel[channel] += best
            self.applied.append((agent, channel, best))

        fg = sc.forgetting
        if fg.enabled and fg.rate > 0:
            mask = np.zeros(new_k.shape, dtype=bool)
            for agent, item in used:
                mask[agent, item] = True
            before, new_k = new_k, forget(new_k, mask, fg.rate, fg.floor)
            rec.knowledge_lost = forgotten(before, new_k)
        if self.misinformation is not None:
            rec.misconceptions_displaced = rm.resolve(self, new_k, self.corrections)
            via = correction_channel([c[4] for c in self.corrections])
            rec.corrections = np.bincount(via, minlength=len(CORRECTION_CHANNELS))
        if sc.sharing.policy == Policy.CASCADE:
            self.newly_aware = np.flatnonzero((k0.ravel() == 0) & (new_k.ravel() > 0))
        self.knowledge = new_k

    def _apply_ties(self, push, answers, chosen, rec: StepRecord) -> None:
        """Decay, strengthen used ties, dissolve, form new ties (README step 7)."""
        tc, cm = self.scenario.ties, self.scenario.community
        t = self.ties
        t.make_room(self.steps)
        used = np.zeros(len(t), dtype=bool)
        for e in push + answers:
            if e.tie >= 0:
                used[e.tie] = True
        t.strength = strengthen(decay(t.strength, tc.decay), used, tc.strengthen_rate)
        t.last_used[used] = self.steps

        # Candidates in a fixed order of origin, so a pair proposed twice keeps the first.
        cands: list[tuple[int, int, int]] = []
        if cm.enabled:
            cands += [(a.dst, a.src, TieOrigin.HELP) for a in chosen if a.tie < 0]
        for origin in (TieOrigin.COMMUNITY, TieOrigin.TRIADIC, TieOrigin.CHANCE):
            cands += [c for c in self.pending_ties if c[2] == origin]

        rec.ties_formed, rec.ties_dissolved = dissolve_and_form(
            t,
            tc,
            self.steps,
            np.array([c[0] for c in cands], dtype=np.int64),
            np.array([c[1] for c in cands], dtype=np.int64),
            np.array([c[2] for c in cands], dtype=np.int8),
        )
