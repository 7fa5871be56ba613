"""Per learner: what each learner did over a run, and the learner table (``learners.parquet``).

The model adds each step's `sim.rules.events.LearnerFlows` to a `LearnerTally` (a few
scattered additions per event, no pass over all learners), and `learner_table` turns the
tally and the state into one row per learner at the steps the run saves (the tie-snapshot
steps, `sim.experiment.snapshots.snapshot_steps`). Summed over learners, each flow column
gives the run's total of the population column of the same name (tested).

| column | meaning |
|---|---|
| `step` | the step after which the row was taken |
| `learner` | the learner's row in the model's arrays (0 .. n_agents - 1) |
| `group` | its group label: the clustered generator's group number, or a network file's group |
| `member` | whether it is a community member |
| `activity`, `helpfulness` | its traits (activity multiplies p_share and p_ask, mean 1) |
| `degree`, `n_weak_ties`, `n_strong_ties` | its ties now, all and by kind |
| `mean_knowledge` | its mastery averaged over all items, in [0, 1] |
| `items_aware`, `items_deep` | items it knows at all / at deep mastery |
| `questions` | questions it asked so far |
| `answers_given`, `answers_received` | answers learned from, given by / to it so far |
| `gain_via_<channel>` | mastery it gained so far by channel (as the population columns) |
| `no_time_<kind>` | shares and answers it had no time for so far (budget full), by kind |
| `misconceptions` | misconception items it holds now (mastery > 0) |
| `corrected` | times it was corrected so far (`sim.rules.misinformation`) |
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.metrics.kernels import counts_concentration
from sim.rules.common import at_knowledge_precision
from sim.rules.events import CONTACT_KINDS, Channel, LearnerFlows

GAIN_COLUMNS = {
    "gain_via_weak": (Channel.PUSH_WEAK, Channel.ANSWER_WEAK),
    "gain_via_strong": (Channel.PUSH_STRONG, Channel.ANSWER_STRONG),
    "gain_via_community": (Channel.ANSWER_COMMUNITY,),
    "gain_via_repository": (Channel.REPOSITORY,),
    "gain_via_innovation": (Channel.INNOVATION,),
    "gain_via_sharing": (Channel.PUSH_WEAK, Channel.PUSH_STRONG),
    "gain_via_help": (
        Channel.ANSWER_WEAK,
        Channel.ANSWER_STRONG,
        Channel.ANSWER_COMMUNITY,
        Channel.REPOSITORY,
    ),
}
"""The gain columns (per learner, per group, per step) and the `Channel`s each one sums."""

CUT_COLUMNS = [f"no_time_{k}" for k in CONTACT_KINDS]
"""Shares and answers a learner had no time for (its time budget was full), by contact kind.

Counted at the learner without room: an interaction cut at both ends counts for both, so
these sum to at least the population's ``budget_cut_<kind>`` (interactions dropped) and at
most twice it."""

HELP_COLUMNS = ["questions", "answers_given", "answers_received"]
"""Questions asked and answers learned from, given and received."""

TOP_FRACTION = 0.1
"""The helpers counted by ``top10_share_answers_given``: the top tenth of the learners."""


LEARNER_COLUMNS: dict[str, str] = {
    "step": "int64",
    "learner": "int64",
    "group": "string",
    "member": "bool",
    "activity": "float64",
    "helpfulness": "float64",
    "degree": "int64",
    "n_weak_ties": "int64",
    "n_strong_ties": "int64",
    "mean_knowledge": "float64",
    "items_aware": "int64",
    "items_deep": "int64",
    **dict.fromkeys(HELP_COLUMNS, "int64"),
    **dict.fromkeys(GAIN_COLUMNS, "float64"),
    **dict.fromkeys(CUT_COLUMNS, "int64"),
    "misconceptions": "int64",
    "corrected": "int64",
}
"""The columns of the learner table and their types, in order."""


def empty_learner_table() -> pd.DataFrame:
    """A learner table without rows (the columns and types of `learner_table`)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in LEARNER_COLUMNS.items()})


def gain_matrix(by_channel: np.ndarray) -> np.ndarray:
    """The `GAIN_COLUMNS` from gains per `Channel` (last axis), in column order."""
    return np.stack([by_channel[..., list(ch)].sum(axis=-1) for ch in GAIN_COLUMNS.values()], -1)


class LearnerTally:
    """What each learner did over the run so far.

    Args:
        n_agents: learners.
        full: keep everything (`metrics.learners`); otherwise only the answers given (for
            the run's concentration of helping, `answers_concentration`).
    """

    def __init__(self, n_agents: int, full: bool = True) -> None:
        self.full = full
        self.answers_given = np.zeros(n_agents, dtype=np.int64)
        self.concentration: tuple[float, float] | None = None  # of answers_given, until it changes
        if full:
            self.questions = np.zeros(n_agents, dtype=np.int64)
            self.answers_received = np.zeros(n_agents, dtype=np.int64)
            self.gains = np.zeros((n_agents, len(Channel)))
            self.no_time = np.zeros((n_agents, len(CONTACT_KINDS)), dtype=np.int64)
            self.corrected = np.zeros(n_agents, dtype=np.int64)

    def add(self, flows: LearnerFlows) -> None:
        """Add one step's flows."""
        if len(flows.answered_by):
            np.add.at(self.answers_given, flows.answered_by, 1)
            self.concentration = None
        if not self.full:
            return
        np.add.at(self.questions, flows.asked, 1)
        np.add.at(self.answers_received, flows.answered_to, 1)
        # On the flat arrays: numpy's 1-D add.at is about 6x faster than with a 2-D index,
        # and adds in the same order.
        gains, no_time = self.gains.reshape(-1), self.no_time.reshape(-1)
        np.add.at(gains, flows.gain_learner * len(Channel) + flows.gain_channel, flows.gain)
        np.add.at(no_time, flows.cut_learner * len(CONTACT_KINDS) + flows.cut_kind, 1)
        np.add.at(self.corrected, flows.corrected, 1)


def answers_concentration(tally: LearnerTally) -> tuple[float, float]:
    """(Gini of the answers given so far, share given by the top tenth of the learners).

    Both NaN before any answer was given.
    """
    if tally.concentration is None:  # worked out again only after answers were given
        tally.concentration = counts_concentration(tally.answers_given, TOP_FRACTION)
    return tally.concentration


def group_labels(m: Any) -> list[str]:
    """The label of each group number of the model (a network file's names, else numbers)."""
    n_groups = int(m.group.max()) + 1 if len(m.group) else 1
    named = list(getattr(m, "group_names", ()) or ())
    return [named[g] if g < len(named) else str(g) for g in range(n_groups)]


def tie_counts(m: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per learner: (weak ties, strong ties) now."""
    strong_n = m.ties.strong_degree(m.scenario.ties.strong_threshold)[0]
    return m.ties.degree.astype(np.int64) - strong_n, strong_n.copy()


def learner_table(m: Any) -> pd.DataFrame:
    """One row per learner at the model's current step (see the module docstring).

    Raises:
        ValueError: if the model keeps only part of the tally (`metrics.learners` off).
    """
    tally: LearnerTally = m.tally
    if not tally.full:
        raise ValueError("metrics.learners is off: the run keeps no per-learner tally")
    k = m.knowledge
    deep = at_knowledge_precision(m.scenario.knowledge.deep_threshold, k)
    weak_n, strong_n = tie_counts(m)
    labels = group_labels(m)
    table = {
        "step": np.full(m.n_agents, m.steps, dtype=np.int64),
        "learner": np.arange(m.n_agents, dtype=np.int64),
        "group": pd.arrays.StringArray(np.asarray(labels, dtype=object)[m.group]),
        "member": np.asarray(m.member, dtype=bool),
        "activity": np.asarray(m.activity, dtype=np.float64),
        "helpfulness": np.asarray(m.helpfulness, dtype=np.float64),
        "degree": weak_n + strong_n,
        "n_weak_ties": weak_n,
        "n_strong_ties": strong_n,
        "mean_knowledge": k.mean(axis=1, dtype=np.float64),
        "items_aware": (k > 0).sum(axis=1).astype(np.int64),
        "items_deep": (k >= deep).sum(axis=1).astype(np.int64),
        "questions": tally.questions.copy(),
        "answers_given": tally.answers_given.copy(),
        "answers_received": tally.answers_received.copy(),
    }
    gains = gain_matrix(tally.gains)
    for j, name in enumerate(GAIN_COLUMNS):
        table[name] = gains[:, j]
    for j, name in enumerate(CUT_COLUMNS):
        table[name] = tally.no_time[:, j].copy()
    table["misconceptions"] = (k[:, m.items.rival >= 0] > 0).sum(axis=1).astype(np.int64)
    table["corrected"] = tally.corrected.copy()
    return pd.DataFrame(table)[list(LEARNER_COLUMNS)]
