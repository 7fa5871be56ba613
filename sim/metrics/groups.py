"""Per group: the population metrics of each group of learners, step by step (``groups.parquet``).

Two groupings: ``group``, the starting network's groups (the clustered generator's groups,
or a network file's; one group otherwise), and, when the community is on, ``member``
(``member`` / ``non_member``). Each step the model records, per group, the knowledge stocks
and the step's flows (`group_step`); `groups_table` lays them out, one row per (step,
grouping, group). Within a grouping the groups partition the learners, so the flows sum to
the population columns and the stocks average to them, weighted by `n_learners` (share
aware, share deep) or by the aware pairs (mean depth) (tested).

| column | meaning |
|---|---|
| `step` | the step |
| `grouping` | `group` or `member` |
| `group` | the group's label (`member` / `non_member` for the membership grouping) |
| `n_learners` | learners in the group |
| `share_aware`, `mean_depth`, `share_deep` | as the population columns, over the group's learners |
| `gain_via_<channel>` | mastery the group's learners gained this step, by channel |
| `questions` | questions the group's learners asked this step |
| `answers_given`, `answers_received` | answers learned from, given by / to the group's learners |
| `no_time_<kind>` | shares and answers the group's learners had no time for this step, by kind |
| `share_misinformed` | share of the group's (learner, misconception) pairs held (0 if none) |
| `corrected` | the group's learners corrected this step (`sim.rules.misinformation`) |
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.metrics.kernels import group_knowledge
from sim.metrics.learners import CUT_COLUMNS, GAIN_COLUMNS, HELP_COLUMNS, gain_matrix, group_labels
from sim.rules.common import at_knowledge_precision
from sim.rules.events import CONTACT_KINDS, Channel, LearnerFlows

MEMBER_LABELS = ["non_member", "member"]
"""Labels of the membership grouping, by membership (False, True)."""

STOCK_COLUMNS = ["share_aware", "mean_depth", "share_deep"]
MISINFORMATION_COLUMNS = ["share_misinformed", "corrected"]
VALUE_COLUMNS = [
    "n_learners",
    *STOCK_COLUMNS,
    *GAIN_COLUMNS,
    *HELP_COLUMNS,
    *CUT_COLUMNS,
    *MISINFORMATION_COLUMNS,
]
"""The measured columns of a group row, in order."""


class Grouping(NamedTuple):
    """One way of splitting the learners into groups."""

    name: str  # ``group`` or ``member``
    codes: np.ndarray  # each learner's group number
    labels: list[str]  # the label of each group number
    sizes: np.ndarray  # learners per group


def groupings(m: Any) -> list[Grouping]:
    """The model's groupings (`Grouping`), worked out once per model.

    Groups and membership do not change during a run, so neither do the group sizes.
    """
    kept = getattr(m, "_groupings", None)
    if kept is not None:
        return kept
    # The model's own arrays, not copies (the membership as 0/1 bytes): nothing per learner
    # is added to the state.
    out = [("group", m.group, group_labels(m))]
    if m.scenario.community.enabled:
        out.append(("member", np.asarray(m.member, dtype=bool).view(np.int8), MEMBER_LABELS))
    m._groupings = [
        Grouping(name, codes, labels, np.bincount(codes, minlength=len(labels)))
        for name, codes, labels in out
    ]
    return m._groupings


def group_step(m: Any) -> np.ndarray:
    """Every group's `VALUE_COLUMNS` at the model's current step, groupings one after another.

    One row per group, in `groupings` order; the flows are those of `m.record.flows`.
    """
    flows: LearnerFlows = m.record.flows
    k = np.ascontiguousarray(m.knowledge)
    deep = float(at_knowledge_precision(m.scenario.knowledge.deep_threshold, k))
    wrong = np.flatnonzero(m.items.rival >= 0)
    held = (k[:, wrong] > 0).sum(axis=1) if len(wrong) else None
    parts = []
    for _, codes, labels, n in groupings(m):
        g = len(labels)
        out = np.zeros((g, len(VALUE_COLUMNS)))
        out[:, 0] = n
        # One compiled signature (int32 codes): the membership's bytes are widened here.
        aware, total, n_deep = group_knowledge(k, codes.astype(np.int32, copy=False), g, deep)
        cells = n * k.shape[1]
        out[:, 1] = _divide(aware, cells)
        out[:, 2] = _divide(total, aware)
        out[:, 3] = _divide(n_deep, cells)
        if len(flows.gain):
            at = codes[flows.gain_learner] * len(Channel) + flows.gain_channel
            by_channel = np.bincount(at, flows.gain, minlength=g * len(Channel))
            out[:, _GAINS] = by_channel.reshape(g, len(Channel)) @ _CHANNEL_TO_GAIN
        for j, who in zip(_HELP, _help_events(flows), strict=True):
            if len(who):
                out[:, j] = np.bincount(codes[who], minlength=g)
        if len(flows.cut_kind):
            at = codes[flows.cut_learner] * len(CONTACT_KINDS) + flows.cut_kind
            out[:, _CUTS] = np.bincount(at, minlength=g * len(CONTACT_KINDS)).reshape(g, -1)
        if held is not None:
            out[:, _CUTS.stop] = _divide(np.bincount(codes, held, minlength=g), n * len(wrong))
        if len(flows.corrected):
            out[:, _CUTS.stop + 1] = np.bincount(codes[flows.corrected], minlength=g)
        parts.append(out)
    return parts[0] if len(parts) == 1 else np.vstack(parts)


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Divide a by b, NaN where b is 0."""
    out = np.full(len(a), np.nan)
    np.divide(a, b, out=out, where=b > 0)
    return out


_GAINS = slice(4, 4 + len(GAIN_COLUMNS))
_HELP = range(_GAINS.stop, _GAINS.stop + len(HELP_COLUMNS))
_CUTS = slice(_HELP.stop, _HELP.stop + len(CUT_COLUMNS))
_CHANNEL_TO_GAIN = gain_matrix(np.eye(len(Channel)))
"""Gains per `Channel` (rows) times this gives the `GAIN_COLUMNS`."""


def _help_events(flows: LearnerFlows) -> list[np.ndarray]:
    """The learners of each `HELP_COLUMNS` event, in column order."""
    return [flows.asked, flows.answered_by, flows.answered_to]


def groups_table(m: Any, steps: list[np.ndarray]) -> pd.DataFrame:
    """One row per (step, grouping, group) from the `group_step` of each recorded step.

    Args:
        m: the model (for the groupings and labels).
        steps: `group_step` of steps 0, 1, ... in order.
    """
    names, labels = [], []
    for name, _, lab, _ in groupings(m):
        names += [name] * len(lab)
        labels += list(lab)
    per_step = len(labels)
    n_steps = len(steps)
    values = np.vstack(steps) if steps else np.zeros((0, len(VALUE_COLUMNS)))
    table = pd.DataFrame(values, columns=VALUE_COLUMNS)
    # StringArray straight from Python strings: 7x faster than pd.array(..., "string").
    table.insert(0, "group", pd.arrays.StringArray(np.tile(np.array(labels, object), n_steps)))
    table.insert(0, "grouping", pd.arrays.StringArray(np.tile(np.array(names, object), n_steps)))
    table.insert(0, "step", np.repeat(np.arange(n_steps, dtype=np.int64), per_step))
    for c in COUNT_COLUMNS:
        table[c] = table[c].astype(np.int64)
    return table


COUNT_COLUMNS = ["n_learners", *HELP_COLUMNS, *CUT_COLUMNS, "corrected"]
"""The whole-number columns of a group row."""


def empty_groups_table() -> pd.DataFrame:
    """A groups table without rows (the columns and types of `groups_table`)."""
    columns = {"step": "int64", "grouping": "string", "group": "string"}
    columns |= {c: "int64" if c in COUNT_COLUMNS else "float64" for c in VALUE_COLUMNS}
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
