"""The Mesa model: the learners' state in arrays, and one synchronous step of MODEL.md.

A step reads only the state at its start and applies every change at its end, so a run
does not depend on agent order. Each phase is a rule of `sim.rules` (one module per rule)
run over all learners and ties at once; this module only sets the state up and sequences
the phases, handing each phase's results to the next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import mesa
import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim import metrics
from sim.agents import Learner
from sim.metrics.groups import group_step, groups_table
from sim.metrics.learners import LearnerTally, learner_table
from sim.rules import misinformation as mis
from sim.rules.budget import fits_budget
from sim.rules.events import Events, LearnerFlows, StepRecord, contact_kind
from sim.rules.forgetting import forget_unused
from sim.rules.gains import Offers, apply_best, share_offers
from sim.rules.help import (
    Questions,
    answer_offers,
    ask,
    choose_answers,
    repository_offers,
    store_answers,
)
from sim.rules.innovation import innovation_offers
from sim.rules.misinformation import Misinformation
from sim.rules.sharing import share
from sim.rules.stifling import stifle
from sim.rules.tie_dynamics import update_ties
from sim.scenario import Engine, Generator, Policy, Scenario, as_scenario
from sim.world.edge_list import read_start_network
from sim.world.learners import (
    Items,
    draw_traits,
    owned_nbytes,
    propensity,
    seed_knowledge,
)
from sim.world.network import StartNetwork, build_network
from sim.world.streams import spawn_streams
from sim.world.ties import TieTable, agent_dtype


class LearningModel(mesa.Model):
    """Learning diffusion through weak and strong ties (docs/ODD.md), the array engine.

    Args:
        scenario: a validated `Scenario`, a mapping of scenario fields, or the path of a
            scenario YAML file (so `mesa.batch_run(LearningModel, {"scenario": ...})` works).
        rng: seed or numpy Generator, as for `mesa.Model`. All randomness comes from it:
            each purpose (network, traits, interests, seeding, each phase of a step) draws
            from its own child stream (`sim.world.streams`), so runs on the same seed are
            paired even when one part of the scenario differs.
        start_network: the starting ties, when the caller has them (an edge list read once
            for many runs); otherwise generated from `scenario.network` with the model's
            generator, or read from its file for generator edge_list.

    Attributes:
        knowledge: mastery per (learner, item), float32 in [0, 1].
        activity: per learner, mean 1, multiplies p_share and p_ask (read-only array: assign
            a new array to change it, so the per-learner probabilities derived from it follow).
        helpfulness: per learner, in [0, 1].
        interest: per (learner, topic), bool.
        group: per learner (clustered generator), int.
        member: per learner, community membership, bool.
        items: the knowledge items (`sim.world.learners.Items`).
        repository: per item, mastery of the best stored answer (0 = none).
        ties: the `TieTable`.
        record: counters of the last step.
        streams: the random generator of each purpose (`sim.world.streams.PURPOSES`).
        rows: one dict of metrics per recorded step (step 0 = the initial state).
        running: False once the scenario's `steps` have run (Mesa's convention).

    The Mesa agents (`learners`, an `AgentSet`) are created on first access: creating a
    million Mesa agents takes seconds and the array step never needs them. To run a
    scenario with its own engine (`engine: agents` selects `sim.reference.ReferenceModel`),
    use `sim.engines.make_model`.
    """

    engine: ClassVar[Engine] = Engine.ARRAY
    """The engine this class is. A scenario asking for `engine: agents` is refused by every
    class that is not the per-agent engine (never run silently by another one); the
    per-agent engine runs any scenario it is given."""

    learner_class: ClassVar[type[Learner]] = Learner
    """The Mesa agent class of the learners."""

    def __init__(
        self,
        scenario: Scenario | dict[str, Any] | str | Path,
        rng: int | np.random.Generator | None = None,
        start_network: StartNetwork | None = None,
    ) -> None:
        super().__init__(rng=rng)
        self.scenario = sc = as_scenario(scenario)
        if sc.engine == Engine.AGENTS and self.engine != Engine.AGENTS:
            raise ValueError(
                f"engine: {sc.engine.value}: {type(self).__name__} runs engine "
                f"{self.engine.value}; use sim.engines.make_model(scenario) to choose by scenario"
            )
        n = self.n_agents = sc.population.n_agents
        self.streams = rs = spawn_streams(self.rng)
        self.items = Items.from_scenario(sc)
        own = start_network is None  # built here: nobody else holds its arrays
        if own and sc.network.generator == Generator.EDGE_LIST:
            start_network = read_start_network(sc.network, n)
        elif own:
            start_network = build_network(sc.network, n, rs["network"])
        _check_network(start_network, n)
        # Group numbers are below n: int32 while agent ids are (4 B per learner less).
        self.group = np.asarray(start_network.group, dtype=agent_dtype(n))
        # A network file's membership and node ids (sim.world.graph_files.FileNetwork).
        file_member = getattr(start_network, "member", None)
        file_ids = getattr(start_network, "ids", None)
        self.group_names = tuple(getattr(start_network, "group_labels", ()) or ())
        t = start_network
        self.ties = TieTable.from_edges(
            n, t.u, t.v, t.strength, index=False, copy=not own, dynamic=sc.ties.enabled
        )
        # Drop the network (int64 endpoints) before the index is built: at 10^6 agents it
        # would otherwise sit beside the index at setup's memory peak.
        del start_network, t
        self.ties.reindex()
        traits = draw_traits(sc, n, rs["traits"], rs["interests"], member=file_member)
        self.activity = traits.activity
        self.helpfulness, self.interest, self.member = (
            traits.helpfulness,
            traits.interest,
            traits.member,
        )
        self.knowledge = seed_knowledge(
            sc, n, self.ties.degree, self.group, rs["seeding"], ids=file_ids
        )
        self.repository = np.zeros(self.items.n_items, dtype=np.float64)
        # Per flat (learner, item): has the learner stopped sharing it (stifling)?
        stifling = sc.sharing.enabled and sc.sharing.p_stifle > 0
        self.stifled = np.zeros(n * self.items.n_items, dtype=bool) if stifling else None
        # Misconceptions and their correction (sim.rules.misinformation): None when off.
        self.has_misconceptions = bool((self.items.rival >= 0).any())
        self.misinformation = None
        if sc.correction.enabled and self.has_misconceptions:
            self.misinformation = Misinformation.create(self.items.rival, n)
        # Items that became known in the last step, as flat indices (cascade passes them on).
        self.newly_aware = np.flatnonzero(self.knowledge.ravel() > 0)
        self.record = StepRecord()
        self.tally = LearnerTally(n, full=sc.metrics.learners)
        self.group_steps: list[np.ndarray] = []
        self.rows: list[dict[str, float]] = []
        self._datacollector = metrics.data_collector(self.items.class_names)
        self._learner_list: list[Learner] | None = None
        self._record_step()

    @property
    def n_items(self) -> int:
        """Number of knowledge items."""
        return self.items.n_items

    @property
    def activity(self) -> np.ndarray:
        """Per learner, mean 1: multiplies p_share and p_ask (read-only; assign to change)."""
        return self._activity

    @activity.setter
    def activity(self, value: np.ndarray) -> None:
        a = np.array(value, dtype=np.float64)
        if a.shape != (self.n_agents,):
            raise ValueError(f"activity needs one value per agent ({self.n_agents})")
        a.flags.writeable = False
        self._activity = a
        # Checked once per change; the probabilities themselves are worked out each step
        # (`_propensity`), not kept: 16 B per learner of state when activity varies.
        self._activity_same = len(a) > 0 and bool((a == a[0]).all())
        p_share = self._propensity(self.scenario.sharing.p_share)
        self._p_share_min = float(p_share.min()) if len(a) else 1.0

    def _propensity(self, p: float) -> np.ndarray:
        """`propensity` of `p` per learner, worked out for this step (not kept)."""
        return propensity(p, self._activity, self._activity_same)

    # ---------------------------------------------------------------- Mesa views

    def _create_learners(self) -> None:
        if self._learner_list is None:
            self._learner_list = []  # before creating: Mesa's properties are called meanwhile
            created = self.learner_class.create_agents(
                self, self.n_agents, index=np.arange(self.n_agents)
            )
            self._learner_list = list(created)

    @property
    def learners(self) -> mesa.agent.AgentSet:
        """The learners (Mesa agents of `learner_class`), in index order."""
        self._create_learners()
        return super().agents_by_type[self.learner_class]

    def learner(self, index: int) -> Learner:
        """The learner of row `index` of the state arrays."""
        self._create_learners()
        return self._learner_list[index]

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All Mesa agents of the model (the learners are created on first access)."""
        if getattr(self, "_learner_list", ()) is None:
            self._create_learners()
        return super().agents

    @property
    def agents_by_type(self) -> dict:
        """Mesa's agent sets by agent class (the learners are created on first access)."""
        self.agents  # noqa: B018 - creates the learners
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Mesa's agent classes in the model."""
        self.agents  # noqa: B018 - creates the learners
        return super().agent_types

    @property
    def datacollector(self) -> mesa.DataCollector:
        """A Mesa `DataCollector` holding every recorded row (the columns of `timeseries`).

        Its reporters come from the metrics registry; it is brought up to date when read, so
        the step pays nothing for it.
        """
        dc = self._datacollector
        done = len(dc.model_vars["step"])
        for row in self.rows[done:]:
            for column, values in dc.model_vars.items():
                values.append(row[column])
        return dc

    def timeseries(self) -> pd.DataFrame:
        """One row per recorded step (step 0 = initial state), one column per metric."""
        return pd.DataFrame(self.rows)

    def groups(self) -> pd.DataFrame:
        """One row per (step, grouping, group) so far (`sim.metrics.groups`); `metrics.groups`."""
        return groups_table(self, self.group_steps)

    def learner_table(self) -> pd.DataFrame:
        """One row per learner now (`sim.metrics.learners`); needs `metrics.learners`."""
        return learner_table(self)

    def adjacency(self) -> sp.csr_matrix:
        """Boolean sparse adjacency of the current ties (cached until ties change)."""
        return self.ties.adjacency()

    def state_nbytes(self) -> dict[str, int]:
        """Bytes held by the model's arrays between steps, by part.

        Returns:
            {"agents": per-learner and per-item arrays (knowledge, traits, derived
            probabilities, misconceptions), "ties": the tie table and its neighbour index,
            "total": these two (the state); "recorded": what the outputs have accumulated so
            far (the learner tally and the per-group rows), not in the total}. Arrays that
            view others (e.g. an equal activity seen as one value) count their memory once.
            Mesa agents, the per-step metric rows and a step's temporaries (also the last
            step's flows, kept until the next) are not included.
        """
        seen: set[int] = set()
        ties_bytes = owned_nbytes([self.ties], seen)
        held = [self, self.items, *([self.misinformation] if self.misinformation else [])]
        agents_bytes = owned_nbytes(held, seen)
        recorded = owned_nbytes([self.tally], seen) + sum(a.nbytes for a in self.group_steps)
        return {
            "agents": agents_bytes,
            "ties": ties_bytes,
            "total": agents_bytes + ties_bytes,
            "recorded": recorded,
        }

    # ---------------------------------------------------------------- the step

    def step(self) -> None:
        """Advance one step (one day): share, ask, then apply all changes together."""
        sc, rs, k0, items = self.scenario, self.streams, self.knowledge, self.items
        rec = StepRecord()
        mi = self.misinformation
        refused = None if mi is None else mi.refused(k0, sc.knowledge.deep_threshold, self.steps)
        push, redundant = Events.empty(), np.zeros(2, dtype=np.int64)
        if sc.sharing.enabled:
            push, redundant = share(
                k0, self.ties, sc, self._propensity(sc.sharing.p_share), self._p_share_min,
                self.newly_aware, rs["sharing"], rs["counting"], self.stifled,
            )  # fmt: skip
        q = Questions.none()
        if sc.help.enabled:
            q = ask(
                k0, self.ties, sc, self._propensity(sc.help.p_ask), self.interest,
                items.item_topic, self.member, self.helpfulness, self.repository, rs["help"],
                *(() if mi is None else ((mi.wrong, refused), mi.withdrawn)),
            )  # fmt: skip
        answers = q.answers
        rec.questions = len(q.asked)

        # The time budget covers pushes and answers together, strongest contacts first.
        budget = sc.population.time_budget
        cut_learner = cut_kind = np.zeros(0, dtype=np.int64)
        if budget is not None and len(push) + len(answers):
            both = push.concat(answers)
            cut = fits_budget(both, len(self.ties), self.n_agents, budget, rs["budget"])
            kinds = contact_kind(both.tie, both.strength, sc.ties.strong_threshold)
            rec.budget_cut_by_kind = np.bincount(kinds[~cut.fits], minlength=3)
            cut_learner, cut_kind = cut.cut_learner, kinds[cut.cut_event]
            fits = cut.fits
            push, answers = push.subset(fits[: len(push)]), answers.subset(fits[len(push) :])

        if self.stifled is not None and len(push):
            p_stifle = sc.sharing.p_stifle
            rec.stifled_sharers = stifle(self.stifled, k0, push, p_stifle, rs["stifling"])
        corr = mis.step_corrections(
            mi, k0, self.ties, push, q, self.member, self.repository, sc, rs["misinformation"]
        )

        # Every source offers its gains; each learner takes the best per item.
        offers, chosen = Offers(), Events.empty()
        if len(push):
            rec.exposures_by_kind, rec.redundant_by_kind, rec.novel_exposures = share_offers(
                offers, k0, push, self.ties, items.complexity, items.sources_required, sc
            )
        if len(answers):
            chosen = choose_answers(answers, rs["gains"])
            rec.answers = len(chosen)
            rec.answers_by_channel = answer_offers(
                offers, k0, answers, chosen, items.complexity, sc
            )
        rec.repository_hits = repository_offers(
            offers, k0, q.repository_hits, self.repository, items.complexity, sc
        )
        innovation_offers(
            offers, k0, sc.innovation, self.interest, items.item_topic, rs["innovation"]
        )
        if mi is not None:
            mis.correction_offers(offers, mi, k0, corr, sc, items.complexity, refused)
        rec.exposures_by_kind = rec.exposures_by_kind + redundant
        rec.redundant_by_kind = rec.redundant_by_kind + redundant
        rec.exposures = int(rec.exposures_by_kind.sum())
        rec.redundant_exposures = int(rec.redundant_by_kind.sum())
        new_k, rec.gain_by_channel, applied = apply_best(k0, offers, rs["gains"])
        rec.flows = LearnerFlows(
            q.asked, chosen.src, chosen.dst, applied.target // items.n_items, applied.channel,
            applied.gain, cut_learner, cut_kind,
        )  # fmt: skip
        rec.knowledge_lost = forget_unused(new_k.reshape(-1), offers.used(), sc.forgetting)
        if self.has_misconceptions:  # corrected learners drop misconceptions, and counters
            mis.finish_step(mi, rec, new_k, corr, items.rival, push, q, chosen, sc, self.steps)
        if sc.sharing.policy == Policy.CASCADE:
            old, flat = k0.reshape(-1), new_k.reshape(-1)
            self.newly_aware = np.flatnonzero((old == 0) & (flat > 0))
        self.knowledge = new_k
        self._store_and_tie(k0, push, answers, chosen, rec)
        self.record = rec
        self._record_step()

    def _store_and_tie(self, k0, push: Events, answers: Events, chosen: Events, rec) -> None:
        """The end of a step: the repository (stored answers, policing), then the ties."""
        sc, rs, mi = self.scenario, self.streams, self.misinformation
        repository = sc.community.enabled and sc.community.repository
        if repository and len(chosen):
            closed = None if mi is None else mi.withdrawn
            store_answers(self.repository, k0, chosen, self.member, closed)
        if repository and mi is not None:
            rs_mi, member = rs["misinformation"], self.member
            rec.withdrawn_answers = mis.police(mi, self.repository, k0, member, sc, rs_mi)
        if sc.ties.enabled:
            rec.ties_formed, rec.ties_dissolved = update_ties(
                self.ties, push, answers, chosen, sc, self.member, self.steps, rs["ties"]
            )

    def _record_step(self) -> None:
        """Record the metrics of the current step; stop `running` after the last step."""
        self.tally.add(self.record.flows)
        if self.scenario.metrics.groups:
            self.group_steps.append(group_step(self))
        self.rows.append(metrics.collect(self))
        self.running = self.steps < self.scenario.steps


def _check_network(network: StartNetwork, n_agents: int) -> None:
    """Refuse a starting network that does not fit the population."""
    if len(network.group) != n_agents:
        raise ValueError(f"start network has {len(network.group)} agents, not {n_agents}")
    u, v = np.asarray(network.u), np.asarray(network.v)
    if len(u) and (u.min() < 0 or v.max() >= n_agents or (u >= v).any()):
        raise ValueError("start network ties must satisfy 0 <= u < v < n_agents")
