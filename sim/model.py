"""The Mesa model: learners' state in arrays, and one synchronous step of MODEL.md.

A step reads only the state at its start and applies every change at its end, so a run
does not depend on agent order, and each phase is one array operation over all agents and
ties (rules in `sim.learning` and `sim.ties`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim import learning, metrics, ties
from sim.agents import Learner
from sim.config import Engine, Generator, PartnerChoice, Policy, Scenario, SeedStrategy
from sim.learning import Channel
from sim.network import StartNetwork, build_network
from sim.ties import TieKind, TieOrigin, TieTable


@dataclass
class StepRecord:
    """Counters of what happened during one step (the flows behind the metrics)."""

    exposures: int = 0
    redundant_exposures: int = 0
    novel_exposures: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))
    gain_by_channel: np.ndarray = field(default_factory=lambda: np.zeros(len(Channel)))
    questions: int = 0
    answers: int = 0
    answers_by_channel: np.ndarray = field(
        default_factory=lambda: np.zeros(len(Channel), dtype=np.int64)
    )
    repository_hits: int = 0
    ties_formed: int = 0
    ties_dissolved: int = 0


@dataclass
class _Events:
    """Candidate interactions of a step, before the time budget."""

    src: np.ndarray  # sharer / helper
    dst: np.ndarray  # learner / asker
    item: np.ndarray
    tie: np.ndarray  # tie id, or -1 for a community stranger
    strength: np.ndarray
    both_spend: np.ndarray  # does the source spend budget too (gossip, answers)

    @staticmethod
    def empty() -> _Events:
        z = np.zeros(0, dtype=np.int64)
        return _Events(z, z, z, z, np.zeros(0), np.zeros(0, dtype=bool))

    @staticmethod
    def received(src, dst, item, tie, strength) -> _Events:
        """Shares over ties that cost only the receiver's time (broadcast, cascade)."""
        return _Events(src, dst, item, tie, strength, np.zeros(len(src), dtype=bool))

    def __len__(self) -> int:
        return len(self.src)

    def subset(self, mask: np.ndarray) -> _Events:
        return _Events(
            self.src[mask],
            self.dst[mask],
            self.item[mask],
            self.tie[mask],
            self.strength[mask],
            self.both_spend[mask],
        )


class LearningModel(mesa.Model):
    """Learning diffusion through weak and strong ties (MODEL.md).

    Args:
        scenario: the validated scenario.
        rng: seed or numpy Generator, as for `mesa.Model` (all randomness comes from it).
        start_network: the starting ties, when they come from data (generator edge_list);
            otherwise they are generated from `scenario.network` with the model's generator.

    Attributes:
        knowledge: mastery per (agent, item), float32 in [0, 1].
        activity: per agent, mean 1, multiplies p_share and p_ask (read-only array: assign a
            new array to change it, so the per-agent probabilities derived from it follow).
        helpfulness: per agent, in [0, 1].
        interest: per (agent, topic), bool.
        group: per agent (clustered generator), int.
        member: per agent, community membership, bool.
        repository: per item, mastery of the best stored answer (0 = none).
        ties: the `TieTable`.
        record: counters of the last step.

    The Mesa agents (`agents`, `learners`) are created on first access: creating a million
    Mesa agents takes seconds and the array step never needs them, so a run that never looks
    at them does not pay for them. `engine: agents` in the scenario returns the per-agent
    reference engine (`sim.reference.ReferenceModel`) instead, which creates them at once.
    """

    learner_class: type[Learner] = Learner
    """The Mesa agent class of the learners (the reference engine uses a subclass)."""

    def __new__(cls, scenario: Scenario, *args, **kwargs):
        """Return the reference engine's model when the scenario asks for `engine: agents`."""
        if cls is LearningModel and scenario.engine == Engine.AGENTS:
            from sim.reference import ReferenceModel

            cls = ReferenceModel
        return super().__new__(cls)

    def __init__(
        self,
        scenario: Scenario,
        rng: int | np.random.Generator | None = None,
        start_network: StartNetwork | None = None,
    ) -> None:
        super().__init__(rng=rng)
        self.scenario = sc = scenario
        n = sc.population.n_agents
        self.n_agents = n
        self._items_setup()
        own = start_network is None  # built here: nobody else holds its arrays
        if own:
            if sc.network.generator == Generator.EDGE_LIST:
                raise ValueError("generator edge_list: pass the network as start_network")
            start_network = build_network(sc.network, n, self.rng)
        _check_network(start_network, n)
        self.group = np.asarray(start_network.group, dtype=np.int64)
        t = start_network
        self.ties = TieTable.from_edges(n, t.u, t.v, t.strength, index=False, copy=not own)
        # Drop the network (int64 endpoints) before the index is built: at 10^6 agents it
        # would otherwise sit beside the index at setup's memory peak.
        del start_network, t
        self.ties.reindex()
        self._traits_setup()
        self.knowledge = np.zeros((n, self.n_items), dtype=np.float32)
        self._seed_knowledge()
        self.repository = np.zeros(self.n_items, dtype=np.float64)
        self._adjacency: sp.csr_matrix | None = None
        # Items that became known in the last step, as flat indices (cascade passes them on).
        self.newly_aware = np.flatnonzero(self.knowledge.ravel() > 0)
        self.record = StepRecord()
        self.rows: list[dict[str, float]] = []
        self._learners: list[Learner] | None = None
        self.rows.append(metrics.collect(self))

    # ---------------------------------------------------------------- setup

    def _items_setup(self) -> None:
        k = self.scenario.knowledge
        classes = k.item_classes
        self.class_names = [c.name for c in classes]
        self.item_class = np.repeat(np.arange(len(classes)), [c.n_items for c in classes])
        self.n_items = len(self.item_class)
        self.item_topic = np.arange(self.n_items) % k.n_topics
        self.complexity = np.array([classes[c].complexity for c in self.item_class])
        self.sources_required = np.array([classes[c].sources_required for c in self.item_class])

    def _traits_setup(self) -> None:
        sc, rng, n = self.scenario, self.rng, self.n_agents
        pop = sc.population
        sigma = pop.activity_sigma
        # Log-normal with mean exactly 1: exp(sigma Z - sigma^2 / 2).
        self.activity = np.exp(sigma * rng.standard_normal(n) - sigma * sigma / 2.0)
        if pop.helpfulness_concentration is None:
            self.helpfulness = np.full(n, pop.helpfulness_mean)
        else:
            mu, c = pop.helpfulness_mean, pop.helpfulness_concentration
            mu = min(max(mu, 1e-9), 1 - 1e-9)
            self.helpfulness = rng.beta(mu * c, (1.0 - mu) * c, size=n)
        n_topics = sc.knowledge.n_topics
        self.interest = np.zeros((n, n_topics), dtype=bool)
        if pop.n_interests > 0:
            # The first n_interests columns of a random permutation per agent.
            perm = np.argsort(rng.random((n, n_topics)), axis=1)[:, : pop.n_interests]
            np.put_along_axis(self.interest, perm, True, axis=1)
        cm = sc.community
        self.member = np.zeros(n, dtype=bool)
        if cm.enabled:
            n_members = int(round(cm.share_members * n))
            self.member[rng.choice(n, n_members, replace=False)] = True
            self.interest[np.ix_(self.member, np.asarray(cm.topics, dtype=np.int64))] = True

    def _seed_knowledge(self) -> None:
        sc, rng = self.scenario, self.rng
        degree = self.ties.degree
        first = 0
        for cls in sc.knowledge.item_classes:
            sd = cls.seeding
            for item in range(first, first + cls.n_items):
                if sd.agents is not None:
                    holders = np.asarray(sd.agents, dtype=np.int64)
                elif sd.strategy == SeedStrategy.RANDOM:
                    holders = rng.choice(self.n_agents, sd.n_holders, replace=False)
                elif sd.strategy == SeedStrategy.HUBS:
                    # Highest degree first; equal degrees by agent id, so hubs are the same
                    # agents for every item of the class.
                    holders = np.lexsort((np.arange(self.n_agents), -degree))[: sd.n_holders]
                else:  # one_group: group 0
                    pool = np.flatnonzero(self.group == 0)
                    holders = rng.choice(pool, sd.n_holders, replace=False)
                self.knowledge[holders, item] = sd.level
            first += cls.n_items

    @property
    def activity(self) -> np.ndarray:
        """Per agent, mean 1: multiplies p_share and p_ask (read-only; assign to change)."""
        return self._activity

    @activity.setter
    def activity(self, value: np.ndarray) -> None:
        a = np.array(value, dtype=np.float64)
        if a.shape != (self.n_agents,):
            raise ValueError(f"activity needs one value per agent ({self.n_agents})")
        a.flags.writeable = False
        self._activity = a
        sc = self.scenario
        # Derived once per change, not per step (a pass over every agent at 10^6 of them);
        # with equal activity (activity_sigma 0) as one value seen as an array, no memory.
        same = len(a) > 0 and bool((a == a[0]).all())
        part = a[:1] if same else a
        p_share = np.minimum(sc.sharing.p_share * part, 1.0)
        p_ask = np.minimum(sc.help.p_ask * part, 1.0)
        self._p_share = np.broadcast_to(p_share, a.shape) if same else p_share
        self._p_ask = np.broadcast_to(p_ask, a.shape) if same else p_ask
        self._p_share_min = float(p_share.min()) if len(a) else 1.0

    # ---------------------------------------------------------------- public views

    @property
    def learners(self) -> list[Learner]:
        """The Mesa agents, in index order (created on first access)."""
        if getattr(self, "_learners", None) is None:
            self.learner_class.create_agents(self, self.n_agents, index=np.arange(self.n_agents))
            self._learners = list(self._all_agents)
        return self._learners

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All Mesa agents of the model (the learners, created on first access)."""
        if getattr(self, "_learners", None) is None and hasattr(self, "n_agents"):
            self.learners  # noqa: B018 - creates them
        return self._all_agents

    @property
    def agents_by_type(self) -> dict:
        """Mesa's agent sets by agent class (the learners, created on first access)."""
        self.agents  # noqa: B018
        return self._agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Mesa's agent classes in the model."""
        self.agents  # noqa: B018
        return list(self._agents_by_type)

    def state_nbytes(self) -> dict[str, int]:
        """Bytes held by the model's state arrays, by part (what a run keeps between steps).

        Returns:
            {"agents": per-learner arrays (knowledge, traits, derived probabilities),
            "ties": the tie table and its neighbour index, "total": both}. Arrays that view
            others (e.g. an equal activity seen as one value) count their memory once. The
            recorded rows, Mesa agents and a step's temporaries are not included.
        """
        seen: set[int] = set()

        def owned(obj: object) -> int:
            total = 0
            for x in vars(obj).values():
                if not isinstance(x, np.ndarray):
                    continue
                while isinstance(x.base, np.ndarray):
                    x = x.base
                if id(x) not in seen:
                    seen.add(id(x))
                    total += x.nbytes
            return total

        ties_bytes = owned(self.ties)
        agents_bytes = owned(self)
        return {"agents": agents_bytes, "ties": ties_bytes, "total": agents_bytes + ties_bytes}

    def timeseries(self) -> pd.DataFrame:
        """One row per recorded step (step 0 = initial state), one column per metric."""
        return pd.DataFrame(self.rows)

    def adjacency(self) -> sp.csr_matrix:
        """Boolean sparse adjacency of the current ties (cached until ties change)."""
        if self._adjacency is None:
            t = self.ties
            data = np.ones(len(t.nbr), dtype=np.int32)
            self._adjacency = sp.csr_matrix(
                (data, t.nbr, t.indptr), shape=(self.n_agents, self.n_agents)
            )
        return self._adjacency

    # ---------------------------------------------------------------- the step

    def step(self) -> None:
        """Advance one step (one day): share, ask, then apply all changes together."""
        sc = self.scenario
        rng = self.rng
        k0 = self.knowledge
        self.record = rec = StepRecord()
        self._redundant_counted = 0  # redundant exposures counted but not listed (_share)

        push = self._share(k0) if sc.sharing.enabled else _Events.empty()
        asked, repo_hits, answers = (
            self._ask(k0) if sc.help.enabled else (np.zeros(0, np.int64), None, _Events.empty())
        )
        rec.questions = len(asked)

        # The time budget covers pushes and answers together, strongest contacts first.
        if sc.population.time_budget is not None and len(push) + len(answers):
            fits = self._fits_budget(_concat_events(push, answers))
            push, answers = push.subset(fits[: len(push)]), answers.subset(fits[len(push) :])

        targets, gains, channels, used, chosen = self._gains(k0, push, answers, repo_hits, rec)
        rec.exposures += self._redundant_counted
        rec.redundant_exposures += self._redundant_counted

        # Apply: each learner takes the best source per item this step (synchronous update).
        # Only positive gains can be best (most exposures are redundant once an item spread).
        new_k = k0.copy()
        flat = new_k.reshape(-1)
        pos = np.flatnonzero(gains > 0)
        tiebreak = rng.random(len(pos))
        best = pos[learning.first_per_group(targets[pos], gains[pos], tiebreak, flat.size)]
        flat[targets[best]] = np.minimum(flat[targets[best]] + gains[best], 1.0)
        rec.gain_by_channel = np.bincount(
            channels[best], weights=gains[best], minlength=len(Channel)
        ).astype(np.float64)
        if sc.forgetting.enabled and sc.forgetting.rate > 0:
            used_mask = np.zeros(flat.shape, dtype=bool)
            used_mask[used] = True
            learning.forget_in_place(flat, used_mask, sc.forgetting.rate, sc.forgetting.floor)
        if sc.sharing.policy == Policy.CASCADE:
            old = k0.reshape(-1)
            self.newly_aware = np.flatnonzero((old == 0) & (flat > 0))
        self.knowledge = new_k

        if sc.community.enabled and sc.community.repository and len(chosen):
            self._store_answers(k0, chosen)

        if sc.ties.enabled:
            self._update_ties(push, answers, chosen, rng, rec)
        self.rows.append(metrics.collect(self))

    # ---------------------------------------------------------------- phases

    def _share(self, k0: np.ndarray) -> _Events:
        """Push: who shares which item with which tie, and who notices (MODEL.md step 1)."""
        sc, rng, t = self.scenario, self.rng, self.ties
        sh = sc.sharing
        n_items = self.n_items
        p_share = self._p_share
        # What is shared, as flat (agent * n_items + item) indices.
        every_known = False  # is every known item shared (no thinning by p_share)?
        if sh.policy == Policy.CASCADE:
            cand = self.newly_aware
            keep = rng.random(len(cand)) < p_share[cand // n_items]
            shared = cand[keep]
        else:
            # One draw per known (agent, item), none for the unknown ones.
            shared = np.flatnonzero(k0.reshape(-1) > 0)
            every_known = self._p_share_min >= 1.0
            if not every_known:
                shared = shared[rng.random(len(shared)) < p_share[shared // n_items]]
        if len(shared) == 0 or len(t) == 0:
            return _Events.empty()
        p_lo, p_hi = sh.p_notice_min, sh.p_notice_max
        if sh.policy == Policy.GOSSIP:
            # One conversation per sharer per step: one tie, all the items it shares now.
            sharer, item = np.divmod(shared, n_items)
            agents = np.unique(sharer)
            deg = t.indptr[agents + 1] - t.indptr[agents]
            agents = agents[deg > 0]
            pos = self._pick_partner(agents, sh.partner)
            partner_pos = np.full(self.n_agents, -1, dtype=np.int64)
            partner_pos[agents] = pos
            p = partner_pos[sharer]
            ok = p >= 0
            src, item, pos = sharer[ok], item[ok], p[ok]
            both = np.ones(len(pos), dtype=bool)
            tie = t.tie_of[pos].astype(np.int64)
            s = t.strength[tie]
            noticed = rng.random(len(pos)) < learning.linear_in_strength(s, p_lo, p_hi)
        else:
            # Broadcast / cascade: every tie of every sharer notices with its attention, in
            # one compiled pass (`learning.noticed_shares`). A redundant exposure (the learner
            # already knows as much) changes nothing but the counters unless it costs time,
            # strengthens a tie or keeps knowledge from being forgotten: then it is counted,
            # not listed.
            skip = (
                sc.population.time_budget is None
                and not sc.ties.enabled
                and not (sc.forgetting.enabled and sc.forgetting.rate > 0)
            )
            if skip and p_lo == p_hi and sh.policy == Policy.BROADCAST:
                # (sharer, item, tie) triples; when everything known is shared by everyone,
                # every tie twice per item
                if len(shared) == k0.size:
                    push_work = 2 * len(t) * n_items
                else:
                    push_work = ties.degree_sum(t.indptr, shared, n_items)
                cand = np.flatnonzero(k0.reshape(-1) < 1.0)
                push_cost = push_work * p_hi + len(shared)
                # Pull costs about the candidates' degrees: skip counting them when even the
                # mean degree says push is cheaper (early in a spread, when few know).
                mean_deg = 2.0 * len(t) / self.n_agents
                if len(cand) * mean_deg > 4 * push_cost:
                    pull_work = np.inf
                else:
                    pull_work = ties.degree_sum(t.indptr, cand, n_items)
                if pull_work == 0:  # nobody who can learn has a tie: every share is redundant
                    self._redundant_counted = int(rng.binomial(push_work, p_hi))
                    return _Events.empty()
                if pull_work < push_cost:
                    if every_known:
                        sharing = k0.reshape(-1) > 0
                    else:
                        sharing = np.zeros(k0.size, dtype=bool)
                        sharing[shared] = True
                    src, dst, item, tie, informative = learning.pulled_shares(
                        t.indptr,
                        t.nbr,
                        t.tie_of,
                        sharing,
                        k0.reshape(-1),
                        n_items,
                        cand,
                        float(p_hi),
                        rng,
                    )
                    # Each redundant triple is noticed independently with p: one binomial.
                    self._redundant_counted = int(rng.binomial(push_work - informative, p_hi))
                    return _Events.received(src, dst, item, tie, t.strength[tie])
            src, dst, item, tie, self._redundant_counted = learning.noticed_shares(
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
            return _Events.received(src, dst, item, tie, t.strength[tie])
        return _Events(
            src=src[noticed],
            dst=t.nbr[pos][noticed].astype(np.int64),
            item=item[noticed],
            tie=tie[noticed],
            strength=s[noticed],
            both_spend=both[noticed],
        )

    def _pick_partner(self, agents: np.ndarray, how: PartnerChoice) -> np.ndarray:
        """CSR position of one tie per agent: uniform, or in proportion to strength."""
        t, rng = self.ties, self.rng
        start, end = t.indptr[agents], t.indptr[agents + 1]
        if how == PartnerChoice.UNIFORM:
            return start + (rng.random(len(agents)) * (end - start)).astype(np.int64)
        w = t.strength[t.tie_of]
        cum = np.concatenate([[0.0], np.cumsum(w)])
        lo, hi = cum[start], cum[end]
        x = lo + rng.random(len(agents)) * (hi - lo)
        pos = np.searchsorted(cum, x, side="right") - 1
        return np.clip(pos, start, end - 1)

    def _ask(self, k0: np.ndarray) -> tuple[np.ndarray, tuple | None, _Events]:
        """Pull: who asks what, the repository, and who answers (MODEL.md step 2).

        Returns:
            (askers, repository hits as (asker, item) or None, candidate answers).
        """
        sc, rng, t = self.scenario, self.rng, self.ties
        hc, cm = sc.help, sc.community
        askers = np.flatnonzero(rng.random(self.n_agents) < self._p_ask)
        needs = self.interest[askers][:, self.item_topic] & (k0[askers] < hc.goal)
        item = learning.random_true_column(needs, rng)
        askers, item = askers[item >= 0], item[item >= 0]
        asked = askers
        repo_hits = None
        if cm.enabled and cm.repository and len(askers):
            level = k0[askers, item]
            stored = self.member[askers] & (self.repository[item] > level)
            found = stored & (rng.random(len(askers)) < cm.p_find)
            repo_hits = (askers[found], item[found])
            askers, item = askers[~found], item[~found]
        if len(askers) == 0:
            return asked, repo_hits, _Events.empty()

        # Ties who see the question.
        owner, pos = ties.able_neighbours(
            t.indptr,
            t.nbr,
            k0.reshape(-1),
            self.n_items,
            askers.astype(np.int64),
            item.astype(np.int64),
            k0.dtype.type(hc.able_threshold),  # compared in the knowledge's precision
        )
        helper = t.nbr[pos].astype(np.int64)
        qi = item[owner]
        n_able = np.bincount(owner, minlength=len(askers)).astype(np.float64)

        # Community members who see it (askers who are members ask the whole community).
        comm = None
        if cm.enabled:
            comm = self._able_members(k0, askers, item)
            n_able_members = comm[1]
            tied_members = np.bincount(owner[self.member[helper]], minlength=len(askers)).astype(
                np.float64
            )
            n_able += np.where(self.member[askers], n_able_members - tied_members, 0.0)

        tie = t.tie_of[pos].astype(np.int64)
        s = t.strength[tie]
        p = learning.p_answer(
            self.helpfulness[helper],
            s,
            n_able[owner],
            hc.stranger_willingness,
            hc.bystander_exponent,
        )
        answer = rng.random(len(p)) < p
        ev = _Events(
            src=helper[answer],
            dst=askers[owner[answer]],
            item=qi[answer],
            tie=tie[answer],
            strength=s[answer],
            both_spend=np.ones(int(answer.sum()), dtype=bool),
        )
        if comm is not None:
            ev = _concat_events(ev, self._stranger_answers(askers, item, n_able, comm, hc))
        return asked, repo_hits, ev

    def _able_members(
        self, k0: np.ndarray, askers: np.ndarray, item: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For each asker, the able community members as a suffix of members sorted by level.

        Returns:
            (start, count, ptr, sorted_members): the members who know item i at least
            `able_threshold` are `sorted_members[ptr[i]:ptr[i + 1]]`, by level (stable); the
            able ones of asker q are the `count[q]` from `ptr[item[q]] + start[q]` on (those
            who know more than q); count is 0 for non-member askers.
        """
        return learning.able_members(
            k0.reshape(-1),
            self.n_items,
            np.flatnonzero(self.member),
            askers.astype(np.int64),
            item.astype(np.int64),
            self.member[askers],
            k0.dtype.type(self.scenario.help.able_threshold),  # in the knowledge's precision
        )

    def _stranger_answers(self, askers, item, n_able, comm, hc) -> _Events:
        """Answers from able community members who have no tie to the asker.

        Each such member answers independently with probability
        `p_answer(helpfulness, 0, n_able)`; drawn by thinning: candidates at the largest
        helpfulness, then accepted in proportion to their own.
        """
        rng = self.rng
        start, count, ptr, sorted_members = comm
        h_max = float(self.helpfulness.max()) if self.n_agents else 0.0
        p_max = learning.p_answer(
            np.full(len(askers), h_max),
            np.zeros(len(askers)),
            n_able,
            hc.stranger_willingness,
            hc.bystander_exponent,
        )
        k = rng.binomial(count.astype(np.int64), np.clip(p_max, 0.0, 1.0))
        who = np.flatnonzero(k > 0)
        if not len(who):
            return _Events.empty()
        first = ptr[item[who]] + start[who]
        runs = zip(first.tolist(), count[who].tolist(), k[who].tolist(), strict=True)
        src = np.concatenate(
            [sorted_members[f + rng.choice(int(c), int(n), replace=False)] for f, c, n in runs]
        )
        dst, its = np.repeat(askers[who], k[who]), np.repeat(item[who], k[who])
        accept = rng.random(len(src)) < self.helpfulness[src] / max(h_max, 1e-300)
        t = self.ties
        tied = ties.tie_between(t.indptr, t.nbr, t.tie_of, src, dst) >= 0
        keep = accept & ~tied
        m = int(keep.sum())
        return _Events(
            src=src[keep],
            dst=dst[keep],
            item=its[keep],
            tie=np.full(m, -1, dtype=np.int64),
            strength=np.zeros(m),
            both_spend=np.ones(m, dtype=bool),
        )

    def _fits_budget(self, ev: _Events) -> np.ndarray:
        """Mask of events whose participants all have room in their time budget."""
        n_ties = len(self.ties)
        # A contact is a tie, or a (helper, asker) stranger pair in the community.
        contact = np.where(
            ev.tie >= 0, ev.tie, n_ties + ties.pair_keys(ev.src, ev.dst, self.n_agents)
        )
        who = np.concatenate([ev.dst, ev.src[ev.both_spend]])
        idx = np.concatenate([np.arange(len(ev)), np.flatnonzero(ev.both_spend)])
        key = contact[idx]
        # The same random order for an agent's equal-strength contacts, whoever they are.
        tiebreak = self.rng.random(len(ev))[idx]
        keep = learning.within_budget(
            who, key, ev.strength[idx], self.scenario.population.time_budget, tiebreak
        )
        bad = np.bincount(idx[~keep], minlength=len(ev)) > 0
        return ~bad

    def _gains(self, k0, push: _Events, answers: _Events, repo_hits, rec: StepRecord):
        """Every candidate gain of the step, with its channel, and the knowledge used.

        Returns:
            (targets, gains, channels, used, chosen): flat (learner, item) index, gain and
            `Channel` per candidate; flat indices of knowledge used this step; and the one
            answer each asker learns from.
        """
        sc, rng = self.scenario, self.rng
        lc = sc.learning
        n_items = self.n_items
        thr = sc.ties.strong_threshold
        targets, gains, channels, used = [], [], [], []
        chosen = _Events.empty()

        if len(push):
            k_src = k0[push.src, push.item].astype(np.float64)
            k_dst = k0[push.dst, push.item].astype(np.float64)
            bw = learning.linear_in_strength(push.strength, lc.bandwidth_min, lc.bandwidth_max)
            g = learning.gain(k_src, k_dst, lc.surface_rate, bw, self.complexity[push.item])
            g = np.where(self._reinforced(push), g, 0.0)
            kind = ties.tie_kind(push.strength, thr)
            rec.exposures = len(push)
            rec.redundant_exposures = int((k_dst >= k_src).sum())
            novel = (k_dst == 0) & (g > 0)
            rec.novel_exposures = np.bincount(kind[novel], minlength=2).astype(np.int64)
            targets.append(push.dst * n_items + push.item)
            gains.append(g)
            channels.append(
                np.where(kind == TieKind.STRONG, Channel.PUSH_STRONG, Channel.PUSH_WEAK)
            )
            used += [push.dst * n_items + push.item, push.src * n_items + push.item]

        if len(answers):
            # Each asker learns from one of the answers it got, chosen at random.
            pick = learning.first_per_group(
                answers.dst, np.zeros(len(answers)), rng.random(len(answers))
            )
            a = chosen = answers.subset(pick)
            rec.answers = len(a)
            k_h = k0[a.src, a.item].astype(np.float64)
            k_a = k0[a.dst, a.item].astype(np.float64)
            bw = learning.linear_in_strength(a.strength, lc.bandwidth_min, lc.bandwidth_max)
            g = learning.gain(k_h, k_a, lc.deep_rate, bw, self.complexity[a.item])
            kind = ties.tie_kind(a.strength, thr)
            ch = np.where(kind == TieKind.STRONG, Channel.ANSWER_STRONG, Channel.ANSWER_WEAK)
            ch = np.where(a.tie < 0, Channel.ANSWER_COMMUNITY, ch)
            rec.answers_by_channel = np.bincount(ch, minlength=len(Channel)).astype(np.int64)
            targets.append(a.dst * n_items + a.item)
            gains.append(g)
            channels.append(ch)
            used += [a.dst * n_items + a.item, answers.src * n_items + answers.item]

        if repo_hits is not None and len(repo_hits[0]):
            who, it = repo_hits
            rec.repository_hits = len(who)
            g = learning.gain(
                self.repository[it],
                k0[who, it].astype(np.float64),
                lc.deep_rate,
                sc.community.repository_bandwidth,
                self.complexity[it],
            )
            targets.append(who * n_items + it)
            gains.append(g)
            channels.append(np.full(len(who), Channel.REPOSITORY))
            used.append(who * n_items + it)

        inn = sc.innovation
        if inn.enabled and inn.p_innovate > 0:
            who = np.flatnonzero(rng.random(self.n_agents) < inn.p_innovate)
            if len(who):
                wanted = self.interest[who][:, self.item_topic]
                # No topic of interest: anything can be discovered.
                wanted[~wanted.any(axis=1)] = True
                it = learning.random_true_column(wanted, rng)
                g = inn.gain * (1.0 - k0[who, it].astype(np.float64))
                targets.append(who * n_items + it)
                gains.append(g)
                channels.append(np.full(len(who), Channel.INNOVATION))
                used.append(who * n_items + it)

        if not targets:
            z = np.zeros(0, dtype=np.int64)
            return z, np.zeros(0), z, z, chosen
        return (
            np.concatenate(targets).astype(np.int64),
            np.concatenate(gains),
            np.concatenate(channels).astype(np.int64),
            np.concatenate(used).astype(np.int64),
            chosen,
        )

    def _reinforced(self, push: _Events) -> np.ndarray:
        """Whether each exposure's learner has enough tied holders (complex contagion).

        An exposure to an item of a class with `sources_required = m` takes effect only when
        at least m of the learner's ties are aware of the item at the start of the step
        (Centola & Macy 2007). Simple items (m = 1) always pass.
        """
        m = self.sources_required[push.item]
        ok = m <= 1
        if ok.all():
            return ok
        need = ~ok
        t = self.ties
        have = learning.tied_holders(
            t.indptr,
            t.nbr,
            self.knowledge.reshape(-1),
            self.n_items,
            push.dst[need],
            push.item[need],
        )
        ok = ok.copy()
        ok[need] = have >= m[need]
        return ok

    def _store_answers(self, k0: np.ndarray, a: _Events) -> None:
        """Answers learned from, between members, go into the repository (seed 001 comments)."""
        stored = self.member[a.src] & self.member[a.dst]
        if stored.any():
            level = k0[a.src[stored], a.item[stored]].astype(np.float64)
            np.maximum.at(self.repository, a.item[stored], level)

    def _update_ties(
        self, push: _Events, answers: _Events, chosen: _Events, rng, rec: StepRecord
    ) -> None:
        """Decay, strengthen used ties, dissolve weak ones, form new ones (MODEL.md step 3)."""
        sc, t = self.scenario, self.ties
        tc, cm = sc.ties, sc.community
        n = self.n_agents
        used = np.zeros(len(t), dtype=bool)
        used[push.tie[push.tie >= 0]] = True
        used[answers.tie[answers.tie >= 0]] = True
        # decay, strengthen, last_used and the dissolving mask in one compiled pass
        t.strength, gone = ties.age_ties(
            t.strength,
            used,
            t.last_used,
            self.steps,
            tc.decay,
            tc.strengthen_rate,
            t.origin,
            tc.floor,
            tc.floor_initial,
        )

        # Candidates for new ties are drawn on the start-of-step network.
        cand_a, cand_b, origin = [], [], []
        a = chosen
        if cm.enabled and len(a):
            stranger = a.tie < 0
            cand_a.append(a.dst[stranger])
            cand_b.append(a.src[stranger])
            origin.append(np.full(int(stranger.sum()), TieOrigin.HELP))
        if cm.enabled and cm.p_meet > 0:
            members = np.flatnonzero(self.member)
            if len(members) > 1:
                who = np.flatnonzero(rng.random(len(members)) < cm.p_meet)
                cand_a.append(members[who])
                cand_b.append(members[_someone_else(who, len(members), rng)])
                origin.append(np.full(len(who), TieOrigin.COMMUNITY))
        if tc.p_triadic > 0:
            who = np.flatnonzero(rng.random(n) < tc.p_triadic)
            who, far = ties.triadic_candidates(t.indptr, t.nbr, who, rng)
            cand_a.append(who)
            cand_b.append(far)
            origin.append(np.full(len(who), TieOrigin.TRIADIC))
        if tc.p_chance > 0:
            who = np.flatnonzero(rng.random(n) < tc.p_chance)
            cand_a.append(who)
            cand_b.append(_someone_else(who, n, rng))
            origin.append(np.full(len(who), TieOrigin.CHANCE))

        z = np.zeros(0, dtype=np.int64)
        self._dissolve_and_form(
            np.concatenate(cand_a) if cand_a else z,
            np.concatenate(cand_b) if cand_b else z,
            np.concatenate(origin) if origin else z,
            rec,
            gone,
        )

    def _dissolve_and_form(
        self,
        cand_a: np.ndarray,
        cand_b: np.ndarray,
        origin: np.ndarray,
        rec: StepRecord,
        gone: np.ndarray | None = None,
    ) -> None:
        """Dissolve ties below their floor, then add the new candidate pairs (both engines).

        Args:
            cand_a: one end of each candidate new tie.
            cand_b: the other end.
            origin: `TieOrigin` per candidate; a pair proposed twice keeps its first origin.
            rec: the step's counters (ties_dissolved, ties_formed are set).
            gone: the ties below their floor, when already known (`ties.age_ties`).
        """
        t, tc = self.ties, self.scenario.ties
        if gone is None:
            gone = ties.dissolving(t.strength, t.origin, tc.floor, tc.floor_initial)
        rec.ties_dissolved = int(np.count_nonzero(gone))
        u = v = np.zeros(0, dtype=np.int64)
        new_origin = np.zeros(0, dtype=np.int8)
        if len(cand_a):
            # Tied already = tied at the start of the step by a tie that is not dissolving
            # (a dissolving tie can re-form in the same step).
            a, b = cand_a.astype(np.int64), cand_b.astype(np.int64)
            tie = ties.tie_between(t.indptr, t.nbr, t.tie_of, a, b)
            tied = tie >= 0
            tied[tied] = ~gone[tie[tied]]
            u, v, idx = ties.new_pairs(a, b, tied, self.n_agents)
            new_origin = origin[idx]
        rec.ties_formed = len(u)
        if rec.ties_dissolved or rec.ties_formed:
            t.change(gone, u, v, tc.new_strength, new_origin, self.steps)
            self._adjacency = None


def _check_network(network: StartNetwork, n_agents: int) -> None:
    """Refuse a starting network that does not fit the population."""
    if len(network.group) != n_agents:
        raise ValueError(f"start network has {len(network.group)} agents, not {n_agents}")
    u, v = np.asarray(network.u), np.asarray(network.v)
    if len(u) and (u.min() < 0 or v.max() >= n_agents or (u >= v).any()):
        raise ValueError("start network ties must satisfy 0 <= u < v < n_agents")


def _someone_else(who: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """For each index in `who` (in 0..n-1), a uniformly drawn other index in 0..n-1."""
    return (who + 1 + rng.integers(0, n - 1, len(who))) % n


def _concat_events(a: _Events, b: _Events) -> _Events:
    return _Events(
        np.concatenate([a.src, b.src]).astype(np.int64),
        np.concatenate([a.dst, b.dst]).astype(np.int64),
        np.concatenate([a.item, b.item]).astype(np.int64),
        np.concatenate([a.tie, b.tie]).astype(np.int64),
        np.concatenate([a.strength, b.strength]).astype(np.float64),
        np.concatenate([a.both_spend, b.both_spend]).astype(bool),
    )
