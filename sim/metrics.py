"""One function per recorded quantity; each function's name is its column name.

Every reporter takes the model after a step and returns a number. Flows (exposures, gains,
questions, ties formed) count what happened during that step; stocks (awareness, depth, tie
counts) describe the state at its end. Step 0 is the initial state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import connected_components

from sim import learning
from sim.learning import Channel
from sim.ties import TieKind

if TYPE_CHECKING:
    from sim.model import LearningModel

NAN = float("nan")


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else NAN


# ----------------------------------------------------------------------------- knowledge


def _shared(m: LearningModel, key: str, compute):
    """`compute()`, once per `collect` for the reporters that share it (every call outside)."""
    cache = getattr(m, "_metric_cache", None)
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _item_stats(m: LearningModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per item: aware learners, summed mastery and deep learners; per learner: total mastery.

    One compiled pass over the knowledge, shared by the overall and per-class knowledge
    metrics within one `collect`.
    """
    return _shared(
        m,
        "items",
        lambda: learning.item_stats(
            np.ascontiguousarray(m.knowledge), float(m.scenario.knowledge.deep_threshold)
        ),
    )


def _knowledge_metrics(m: LearningModel, items: np.ndarray | None = None) -> tuple[float, ...]:
    """(share_aware, mean_depth, share_deep) over all items or the given ones."""
    if items is None:
        return _shared(m, "knowledge", lambda: _knowledge_over(m, None))
    return _knowledge_over(m, items)


def _knowledge_over(m: LearningModel, items: np.ndarray | None) -> tuple[float, ...]:
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


def share_aware(m: LearningModel) -> float:
    """Share of agents aware of an item (mastery > 0), mean over items."""
    return _knowledge_metrics(m)[0]


def mean_depth(m: LearningModel) -> float:
    """Mean mastery among aware (agent, item) pairs; NaN when nobody knows anything."""
    return _knowledge_metrics(m)[1]


def share_deep(m: LearningModel) -> float:
    """Share of agents whose mastery of an item is deep (>= deep_threshold), mean over items."""
    return _knowledge_metrics(m)[2]


def gini_knowledge(m: LearningModel) -> float:
    """Gini coefficient of each agent's total mastery over all items."""
    return learning.gini(_item_stats(m)[3])


# ----------------------------------------------------------------------------- exposures


def exposures(m: LearningModel) -> float:
    """Noticed shares this step (after the time budget)."""
    return float(m.record.exposures)


def redundant_exposures(m: LearningModel) -> float:
    """Exposures whose learner already knew at least as much as the sharer."""
    return float(m.record.redundant_exposures)


def redundancy(m: LearningModel) -> float:
    """redundant_exposures / exposures; NaN in a step without exposures."""
    return _ratio(m.record.redundant_exposures, m.record.exposures)


def novel_exposures_weak(m: LearningModel) -> float:
    """Exposures over weak ties that made an unaware learner aware."""
    return float(m.record.novel_exposures[TieKind.WEAK])


def novel_exposures_strong(m: LearningModel) -> float:
    """Exposures over strong ties that made an unaware learner aware."""
    return float(m.record.novel_exposures[TieKind.STRONG])


# ----------------------------------------------------------------------------- gains


def _gain(m: LearningModel, *channels: int) -> float:
    by_channel = _shared(m, "gains", m.record.gain_by_channel.tolist)
    return float(sum(by_channel[c] for c in channels))


def gain_via_weak(m: LearningModel) -> float:
    """Mastery gained this step over weak ties (shares and answers), summed over agents."""
    return _gain(m, Channel.PUSH_WEAK, Channel.ANSWER_WEAK)


def gain_via_strong(m: LearningModel) -> float:
    """Mastery gained this step over strong ties (shares and answers)."""
    return _gain(m, Channel.PUSH_STRONG, Channel.ANSWER_STRONG)


def gain_via_community(m: LearningModel) -> float:
    """Mastery gained from answers by community members without a tie to the asker."""
    return _gain(m, Channel.ANSWER_COMMUNITY)


def gain_via_repository(m: LearningModel) -> float:
    """Mastery gained from answers found in the community repository."""
    return _gain(m, Channel.REPOSITORY)


def gain_via_innovation(m: LearningModel) -> float:
    """Mastery gained on one's own (innovation)."""
    return _gain(m, Channel.INNOVATION)


def gain_via_sharing(m: LearningModel) -> float:
    """Mastery gained from unsolicited shares (push), over any tie."""
    return _gain(m, Channel.PUSH_WEAK, Channel.PUSH_STRONG)


def gain_via_help(m: LearningModel) -> float:
    """Mastery gained from asking (pull): answers from ties or strangers and the repository."""
    return _gain(
        m,
        Channel.ANSWER_WEAK,
        Channel.ANSWER_STRONG,
        Channel.ANSWER_COMMUNITY,
        Channel.REPOSITORY,
    )


# ----------------------------------------------------------------------------- help


def questions(m: LearningModel) -> float:
    """Questions asked this step."""
    return float(m.record.questions)


def answers(m: LearningModel) -> float:
    """Questions answered by a peer this step (one per answered question)."""
    return float(m.record.answers)


def answers_via_weak(m: LearningModel) -> float:
    """Answered questions whose answer came over a weak tie."""
    return float(m.record.answers_by_channel[Channel.ANSWER_WEAK])


def answers_via_strong(m: LearningModel) -> float:
    """Answered questions whose answer came over a strong tie."""
    return float(m.record.answers_by_channel[Channel.ANSWER_STRONG])


def answers_via_community(m: LearningModel) -> float:
    """Answered questions whose answer came from a community member without a tie."""
    return float(m.record.answers_by_channel[Channel.ANSWER_COMMUNITY])


def repository_hits(m: LearningModel) -> float:
    """Questions answered from the community repository this step."""
    return float(m.record.repository_hits)


# ----------------------------------------------------------------------------- ties


def _tie_stats(m: LearningModel) -> tuple[float, float]:
    """(strong ties, mean strength): once per `collect`, and once per run without tie dynamics.

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


def n_weak_ties(m: LearningModel) -> float:
    """Ties with strength below strong_threshold."""
    return float(len(m.ties) - n_strong_ties(m))


def n_strong_ties(m: LearningModel) -> float:
    """Ties with strength at or above strong_threshold."""
    return _tie_stats(m)[0]


def mean_strength(m: LearningModel) -> float:
    """Mean tie strength; NaN without ties."""
    return _tie_stats(m)[1]


def ties_formed(m: LearningModel) -> float:
    """Ties formed this step (triadic closure, community, chance, help)."""
    return float(m.record.ties_formed)


def ties_dissolved(m: LearningModel) -> float:
    """Ties dissolved this step (strength fell below the floor)."""
    return float(m.record.ties_dissolved)


# ----------------------------------------------------------------------------- structure


def clustering(m: LearningModel) -> float:
    """Average local clustering coefficient of the tie network (nodes of degree < 2 count 0).

    As networkx.average_clustering and Watts & Strogatz (1998).
    """
    a = m.adjacency().astype(np.float64)
    deg = np.asarray(a.sum(axis=1)).ravel()
    tri = np.asarray((a @ a).multiply(a).sum(axis=1)).ravel() / 2.0
    pairs = deg * (deg - 1) / 2.0
    local = np.divide(tri, pairs, out=np.zeros_like(tri), where=pairs > 0)
    return float(local.mean()) if len(local) else NAN


def _components(m: LearningModel) -> np.ndarray:
    _, labels = connected_components(m.adjacency(), directed=False)
    return np.bincount(labels)


def n_components(m: LearningModel) -> float:
    """Connected components of the tie network (an isolated learner is one)."""
    return float(len(_components(m)))


def share_largest_component(m: LearningModel) -> float:
    """Share of learners in the largest connected component."""
    return float(_components(m).max() / m.n_agents)


def n_bridging_ties(m: LearningModel) -> float:
    """Ties between learners of different groups (clustered networks)."""
    t = m.ties
    return float((m.group[t.u] != m.group[t.v]).sum())


def _overlap(m: LearningModel, kind: TieKind) -> float:
    t = m.ties
    sel = t.kind(m.scenario.ties.strong_threshold) == kind
    if not sel.any():
        return NAN
    aware = m.knowledge > 0
    au, av = aware[t.u[sel]], aware[t.v[sel]]
    inter = (au & av).sum(axis=1)
    union = (au | av).sum(axis=1)
    ok = union > 0
    return float((inter[ok] / union[ok]).mean()) if ok.any() else NAN


def knowledge_overlap_weak(m: LearningModel) -> float:
    """Mean Jaccard overlap of the items known at both ends of a weak tie."""
    return _overlap(m, TieKind.WEAK)


def knowledge_overlap_strong(m: LearningModel) -> float:
    """Mean Jaccard overlap of the items known at both ends of a strong tie."""
    return _overlap(m, TieKind.STRONG)


# ----------------------------------------------------------------------------- registry

EVERY_STEP = [
    share_aware,
    mean_depth,
    share_deep,
    exposures,
    redundant_exposures,
    redundancy,
    novel_exposures_weak,
    novel_exposures_strong,
    gain_via_weak,
    gain_via_strong,
    gain_via_community,
    gain_via_repository,
    gain_via_innovation,
    gain_via_sharing,
    gain_via_help,
    questions,
    answers,
    answers_via_weak,
    answers_via_strong,
    answers_via_community,
    repository_hits,
    n_weak_ties,
    n_strong_ties,
    mean_strength,
    ties_formed,
    ties_dissolved,
    gini_knowledge,
]
"""Reporters recorded at every step, in column order."""

STRUCTURAL = [
    clustering,
    n_components,
    share_largest_component,
    n_bridging_ties,
    knowledge_overlap_weak,
    knowledge_overlap_strong,
]
"""Costlier reporters, recorded every `metrics.structure_every` steps (NaN otherwise)."""

PER_CLASS = ["share_aware", "mean_depth", "share_deep"]
"""Knowledge metrics also recorded per item class, as `<metric>__<class name>`."""


def per_class(m: LearningModel) -> dict[str, float]:
    """`share_aware`, `mean_depth` and `share_deep` for each item class."""
    out: dict[str, float] = {}
    for c, name in enumerate(m.class_names):
        values = _knowledge_metrics(m, np.flatnonzero(m.item_class == c))
        for metric, value in zip(PER_CLASS, values, strict=True):
            out[f"{metric}__{name}"] = value
    return out


def collect(m: LearningModel) -> dict[str, float]:
    """Every metric for the model's current step, as one table row."""
    m._metric_cache = {}  # quantities several reporters share, for this call only
    try:
        row: dict[str, float] = {"step": m.steps}
        for f in EVERY_STEP:
            row[f.__name__] = f(m)
        every = m.scenario.metrics.structure_every
        record = every > 0 and m.steps % every == 0
        for f in STRUCTURAL:
            row[f.__name__] = f(m) if record else NAN
        row.update(per_class(m))
    finally:
        m._metric_cache = None
    return row


def column_names(class_names: list[str]) -> list[str]:
    """All metric columns of a run with these item classes, in order."""
    cols = [f.__name__ for f in EVERY_STEP] + [f.__name__ for f in STRUCTURAL]
    cols += [f"{p}__{c}" for c in class_names for p in PER_CLASS]
    return cols
