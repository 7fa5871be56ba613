"""One function per recorded quantity; each function's name is its column name.

Every reporter takes the model after a step and returns a number. Flows (exposures, gains,
questions, ties formed) count what happened during that step; stocks (awareness, depth, tie
counts) describe the state at its end; ratios divide one flow by another within the step.
Which is which is declared once, in `sim.metrics.REGISTRY`. Step 0 is the initial state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

from sim.metrics.kernels import gini, item_stats, triangles
from sim.metrics.learners import answers_concentration
from sim.rules.common import at_knowledge_precision
from sim.rules.events import CONTACT_KINDS, Channel
from sim.world.ties import TieKind

Model = Any
"""A `sim.model.LearningModel` (metrics sit below the model and do not import it)."""

NAN = float("nan")


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else NAN


# ----------------------------------------------------------------------------- knowledge


_CACHE: ContextVar[dict | None] = ContextVar("metric_cache", default=None)


@contextmanager
def shared_once(m: Model) -> Iterator[None]:
    """Within the block, quantities several reporters share are computed once (`_shared`)."""
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


def _shared(m: Model, key: str, compute):
    """`compute()`, once per `shared_once` block for the reporters that share it."""
    cache = _CACHE.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _item_stats(m: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per item: aware learners, summed mastery and deep learners; per learner: total mastery.

    One compiled pass over the knowledge, shared by the overall and per-class knowledge
    metrics within one `shared_once` block.
    """

    def compute():
        k = np.ascontiguousarray(m.knowledge)
        # In the knowledge's precision: a learner stored at exactly deep_threshold is deep.
        return item_stats(k, at_knowledge_precision(m.scenario.knowledge.deep_threshold, k))

    return _shared(m, "items", compute)


def _knowledge_metrics(m: Model, items: np.ndarray | None = None) -> tuple[float, ...]:
    """(share_aware, mean_depth, share_deep) over all items or the given ones."""
    if items is None:
        return _shared(m, "knowledge", lambda: _knowledge_over(m, None))
    return _knowledge_over(m, items)


def _knowledge_over(m: Model, items: np.ndarray | None) -> tuple[float, ...]:
    aware, total, deep, _ = _item_stats(m)
    if items is not None:
        aware, total, deep = aware[items], total[items], deep[items]
    cells = m.n_agents * len(aware)
    n_aware = int(aware.sum())
    return (
        n_aware / cells if cells else NAN,
        float(total.sum()) / n_aware if n_aware else NAN,
        int(deep.sum()) / cells if cells else NAN,
    )


def share_aware(m: Model) -> float:
    """Share of agents aware of an item (mastery > 0), mean over items."""
    return _knowledge_metrics(m)[0]


def mean_depth(m: Model) -> float:
    """Mean mastery among aware (agent, item) pairs; NaN when nobody knows anything."""
    return _knowledge_metrics(m)[1]


def share_deep(m: Model) -> float:
    """Share of agents whose mastery of an item is deep (>= deep_threshold), mean over items."""
    return _knowledge_metrics(m)[2]


def gini_knowledge(m: Model) -> float:
    """Gini coefficient of each agent's total mastery over all items."""
    return gini(_item_stats(m)[3])


# ----------------------------------------------------------------------------- exposures


def exposures(m: Model) -> float:
    """Noticed shares this step (after the time budget)."""
    return float(m.record.exposures)


def redundant_exposures(m: Model) -> float:
    """Exposures whose learner already knew at least as much as the sharer."""
    return float(m.record.redundant_exposures)


def redundancy(m: Model) -> float:
    """redundant_exposures / exposures; NaN in a step without exposures."""
    return _ratio(m.record.redundant_exposures, m.record.exposures)


def exposures_weak(m: Model) -> float:
    """Exposures over weak ties (strength below strong_threshold)."""
    return float(m.record.exposures_by_kind[TieKind.WEAK])


def exposures_strong(m: Model) -> float:
    """Exposures over strong ties (strength at or above strong_threshold)."""
    return float(m.record.exposures_by_kind[TieKind.STRONG])


def redundant_exposures_weak(m: Model) -> float:
    """Redundant exposures over weak ties."""
    return float(m.record.redundant_by_kind[TieKind.WEAK])


def redundant_exposures_strong(m: Model) -> float:
    """Redundant exposures over strong ties."""
    return float(m.record.redundant_by_kind[TieKind.STRONG])


def redundancy_weak(m: Model) -> float:
    """redundant_exposures_weak / exposures_weak; NaN in a step without weak-tie exposures."""
    rec = m.record
    return _ratio(rec.redundant_by_kind[TieKind.WEAK], rec.exposures_by_kind[TieKind.WEAK])


def redundancy_strong(m: Model) -> float:
    """redundant_exposures_strong / exposures_strong; NaN without strong-tie exposures."""
    rec = m.record
    return _ratio(rec.redundant_by_kind[TieKind.STRONG], rec.exposures_by_kind[TieKind.STRONG])


def novel_exposures_weak(m: Model) -> float:
    """Exposures over weak ties that made an unaware learner aware."""
    return float(m.record.novel_exposures[TieKind.WEAK])


def novel_exposures_strong(m: Model) -> float:
    """Exposures over strong ties that made an unaware learner aware."""
    return float(m.record.novel_exposures[TieKind.STRONG])


# ----------------------------------------------------------------------------- gains


def _gain(m: Model, *channels: int) -> float:
    by_channel = _shared(m, "gains", m.record.gain_by_channel.tolist)
    return float(sum(by_channel[c] for c in channels))


def gain_via_weak(m: Model) -> float:
    """Mastery gained this step over weak ties (shares and answers), summed over agents."""
    return _gain(m, Channel.PUSH_WEAK, Channel.ANSWER_WEAK)


def gain_via_strong(m: Model) -> float:
    """Mastery gained this step over strong ties (shares and answers)."""
    return _gain(m, Channel.PUSH_STRONG, Channel.ANSWER_STRONG)


def gain_via_community(m: Model) -> float:
    """Mastery gained from answers by community members without a tie to the asker."""
    return _gain(m, Channel.ANSWER_COMMUNITY)


def gain_via_repository(m: Model) -> float:
    """Mastery gained from answers found in the community repository."""
    return _gain(m, Channel.REPOSITORY)


def gain_via_innovation(m: Model) -> float:
    """Mastery gained on one's own (innovation)."""
    return _gain(m, Channel.INNOVATION)


def gain_via_sharing(m: Model) -> float:
    """Mastery gained from unsolicited shares (push), over any tie."""
    return _gain(m, Channel.PUSH_WEAK, Channel.PUSH_STRONG)


def gain_via_help(m: Model) -> float:
    """Mastery gained from asking (pull): answers from ties or strangers and the repository."""
    return _gain(
        m,
        Channel.ANSWER_WEAK,
        Channel.ANSWER_STRONG,
        Channel.ANSWER_COMMUNITY,
        Channel.REPOSITORY,
    )


def stifled_sharers(m: Model) -> float:
    """(learner, item) pairs whose sharing stopped this step (lost interest; p_stifle)."""
    return float(m.record.stifled_sharers)


# ----------------------------------------------------------------------------- misinformation


def share_misinformed(m: Model) -> float:
    """Share of (learner, misconception) pairs held (mastery > 0); 0 without misconceptions."""
    wrong = m.items.rival >= 0
    cells = m.n_agents * int(wrong.sum())
    return int(_item_stats(m)[0][wrong].sum()) / cells if cells else 0.0


def misinformation_exposures_weak(m: Model) -> float:
    """Noticed shares of a misconception over weak ties this step (after the time budget)."""
    return float(m.record.misinformation_exposures[TieKind.WEAK])


def misinformation_exposures_strong(m: Model) -> float:
    """Noticed shares of a misconception over strong ties this step."""
    return float(m.record.misinformation_exposures[TieKind.STRONG])


def misconception_questions(m: Model) -> float:
    """Questions asked about a misconception this step (the wrong answer is what they get)."""
    return float(m.record.misconception_questions)


def misinformation_answers(m: Model) -> float:
    """Answers about a misconception received: from a helper learned from, or stored ones."""
    return float(m.record.misinformation_answers)


def corrections_tie(m: Model) -> float:
    """Learners corrected over a tie this step (as sharers or askers of a misconception)."""
    return float(m.record.corrections[0])


def corrections_community(m: Model) -> float:
    """Askers of a misconception corrected by a community member without a tie."""
    return float(m.record.corrections[1])


def corrections_repository(m: Model) -> float:
    """Askers who found the correction that replaced a withdrawn wrong answer."""
    return float(m.record.corrections[2])


def misconceptions_displaced(m: Model) -> float:
    """(learner, misconception) pairs dropped because the learner now holds the rival deeply."""
    return float(m.record.misconceptions_displaced)


def withdrawn_answers(m: Model) -> float:
    """Stored wrong answers withdrawn this step (flagged by `flags_to_withdraw` members)."""
    return float(m.record.withdrawn_answers)


def knowledge_lost(m: Model) -> float:
    """Mastery lost to forgetting this step, summed over (learner, item) pairs."""
    return float(m.record.knowledge_lost)


# ----------------------------------------------------------------------------- help


def questions(m: Model) -> float:
    """Questions asked this step."""
    return float(m.record.questions)


def answers(m: Model) -> float:
    """Questions answered by a peer this step (one per answered question)."""
    return float(m.record.answers)


def answers_via_weak(m: Model) -> float:
    """Answered questions whose answer came over a weak tie."""
    return float(m.record.answers_by_channel[Channel.ANSWER_WEAK])


def answers_via_strong(m: Model) -> float:
    """Answered questions whose answer came over a strong tie."""
    return float(m.record.answers_by_channel[Channel.ANSWER_STRONG])


def answers_via_community(m: Model) -> float:
    """Answered questions whose answer came from a community member without a tie."""
    return float(m.record.answers_by_channel[Channel.ANSWER_COMMUNITY])


def budget_cut_weak(m: Model) -> float:
    """Shares and answers over weak ties dropped because a participant's time budget was full."""
    return float(m.record.budget_cut_by_kind[CONTACT_KINDS.index("weak")])


def budget_cut_strong(m: Model) -> float:
    """Shares and answers over strong ties dropped by the time budget."""
    return float(m.record.budget_cut_by_kind[CONTACT_KINDS.index("strong")])


def budget_cut_community(m: Model) -> float:
    """Answers between community members without a tie dropped by the time budget."""
    return float(m.record.budget_cut_by_kind[CONTACT_KINDS.index("community")])


def _answers_concentration(m: Model) -> tuple[float, float]:
    return _shared(m, "answers_given", lambda: answers_concentration(m.tally))


def gini_answers_given(m: Model) -> float:
    """Gini coefficient of the answers each learner has given so far; NaN before any."""
    return _answers_concentration(m)[0]


def top10_share_answers_given(m: Model) -> float:
    """Share of the answers so far given by the top tenth of learners; NaN before any."""
    return _answers_concentration(m)[1]


def repository_hits(m: Model) -> float:
    """Questions answered from the community repository this step."""
    return float(m.record.repository_hits)


# ----------------------------------------------------------------------------- ties


def _tie_stats(m: Model) -> tuple[float, float]:
    """(strong ties, mean strength), once per `shared_once` block (per run without tie dynamics).

    With tie dynamics off the model never changes its tie table, so a run over millions of
    ties does not recount them every step.
    """
    s = m.ties.strength
    static = not m.scenario.ties.enabled
    kept = getattr(m, "_static_tie_stats", None) if static else None
    if kept is not None and kept[0] == (id(s), len(s)):
        return kept[1]

    def count() -> tuple[float, float]:
        n_strong = float(np.count_nonzero(s >= m.scenario.ties.strong_threshold))
        return n_strong, float(s.mean()) if len(s) else NAN

    stats = _shared(m, "ties", count)
    if static:
        m._static_tie_stats = ((id(s), len(s)), stats)
    return stats


def n_weak_ties(m: Model) -> float:
    """Ties with strength below strong_threshold."""
    return float(len(m.ties) - n_strong_ties(m))


def n_strong_ties(m: Model) -> float:
    """Ties with strength at or above strong_threshold."""
    return _tie_stats(m)[0]


def mean_strength(m: Model) -> float:
    """Mean tie strength; NaN without ties."""
    return _tie_stats(m)[1]


def ties_formed(m: Model) -> float:
    """Ties formed this step (triadic closure, community, chance, help)."""
    return float(m.record.ties_formed)


def ties_dissolved(m: Model) -> float:
    """Ties dissolved this step (strength fell below the floor)."""
    return float(m.record.ties_dissolved)


# ----------------------------------------------------------------------------- structure


def clustering(m: Model) -> float:
    """Average local clustering coefficient of the tie network (nodes of degree < 2 count 0).

    As networkx.average_clustering and Watts & Strogatz (1998). Triangles are counted from
    the tie table's sorted rows (`triangles`), without forming A @ A.
    """
    t = m.ties
    deg = np.diff(t.indptr).astype(np.float64)
    tri = triangles(t.indptr, t.nbr)
    pairs = deg * (deg - 1) / 2.0
    local = np.divide(tri, pairs, out=np.zeros_like(tri), where=pairs > 0)
    return float(local.mean()) if len(local) else NAN


def _components(m: Model) -> np.ndarray:
    _, labels = connected_components(m.adjacency(), directed=False)
    return np.bincount(labels)


def n_components(m: Model) -> float:
    """Connected components of the tie network (an isolated learner is one)."""
    return float(len(_components(m)))


def share_largest_component(m: Model) -> float:
    """Share of learners in the largest connected component."""
    return float(_components(m).max() / m.n_agents)


def n_bridging_ties(m: Model) -> float:
    """Ties between learners of different groups (clustered networks)."""
    u, v = m.ties.ends()
    return float((m.group[u] != m.group[v]).sum())


def _overlap(m: Model, kind: TieKind) -> float:
    t = m.ties
    sel = t.kind(m.scenario.ties.strong_threshold) == kind
    if not sel.any():
        return NAN
    aware = m.knowledge > 0
    u, v = t.ends()
    au, av = aware[u[sel]], aware[v[sel]]
    inter = (au & av).sum(axis=1)
    union = (au | av).sum(axis=1)
    ok = union > 0
    return float((inter[ok] / union[ok]).mean()) if ok.any() else NAN


def knowledge_overlap_weak(m: Model) -> float:
    """Mean Jaccard overlap of the items known at both ends of a weak tie."""
    return _overlap(m, TieKind.WEAK)


def knowledge_overlap_strong(m: Model) -> float:
    """Mean Jaccard overlap of the items known at both ends of a strong tie."""
    return _overlap(m, TieKind.STRONG)


def per_class(m: Model, metrics: list[str]) -> dict[str, float]:
    """`share_aware`, `mean_depth` and `share_deep` for each item class.

    Args:
        m: the model.
        metrics: the column names of the three, in that order (`sim.metrics.PER_CLASS`).
    """
    out: dict[str, float] = {}
    for c, name in enumerate(m.items.class_names):
        values = _knowledge_metrics(m, np.flatnonzero(m.items.item_class == c))
        for metric, value in zip(metrics, values, strict=True):
            out[f"{metric}__{name}"] = value
    return out
