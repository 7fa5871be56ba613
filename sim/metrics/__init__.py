"""The recorded quantities: one named reporter per column, each a stock, a flow or a ratio.

- stock: the state at the end of a step (awareness, depth, tie counts); a run is summarised
  by its value at the last step.
- flow: what happened during a step (exposures, gains, questions, ties formed); a run is
  summarised by its total over all steps (``total_<name>``).
- ratio: one flow divided by another within a step (redundancy); summarised from the run
  totals of its parts, never as a mean of per-step ratios.

`REGISTRY` is the single list of columns: the model's rows, `timeseries.parquet`, the Mesa
`DataCollector`, the summaries and the figures all read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any

import mesa

from sim.metrics import reporters as r

NAN = float("nan")


class Kind(StrEnum):
    """How a column accumulates over a run."""

    STOCK = "stock"
    FLOW = "flow"
    RATIO = "ratio"


@dataclass(frozen=True)
class Metric:
    """One recorded column.

    Attributes:
        reporter: the function computing it from the model (its name is the column name).
        kind: stock, flow or ratio.
        structural: recorded only every `metrics.structure_every` steps (costlier).
    """

    reporter: Callable[[Any], float]
    kind: Kind
    structural: bool = False

    @property
    def name(self) -> str:
        """The column name."""
        return self.reporter.__name__

    @property
    def doc(self) -> str:
        """The first line of the reporter's docstring: what the column means."""
        return (self.reporter.__doc__ or "").strip().splitlines()[0]


S, F, R = Kind.STOCK, Kind.FLOW, Kind.RATIO

REGISTRY: list[Metric] = [
    Metric(r.share_aware, S),
    Metric(r.mean_depth, S),
    Metric(r.share_deep, S),
    Metric(r.exposures, F),
    Metric(r.redundant_exposures, F),
    Metric(r.redundancy, R),
    Metric(r.exposures_weak, F),
    Metric(r.exposures_strong, F),
    Metric(r.redundant_exposures_weak, F),
    Metric(r.redundant_exposures_strong, F),
    Metric(r.redundancy_weak, R),
    Metric(r.redundancy_strong, R),
    Metric(r.novel_exposures_weak, F),
    Metric(r.novel_exposures_strong, F),
    Metric(r.gain_via_weak, F),
    Metric(r.gain_via_strong, F),
    Metric(r.gain_via_community, F),
    Metric(r.gain_via_repository, F),
    Metric(r.gain_via_innovation, F),
    Metric(r.gain_via_sharing, F),
    Metric(r.gain_via_help, F),
    Metric(r.knowledge_lost, F),
    Metric(r.stifled_sharers, F),
    Metric(r.share_misinformed, S),
    Metric(r.misinformation_exposures_weak, F),
    Metric(r.misinformation_exposures_strong, F),
    Metric(r.misconception_questions, F),
    Metric(r.misinformation_answers, F),
    Metric(r.corrections_tie, F),
    Metric(r.corrections_community, F),
    Metric(r.corrections_repository, F),
    Metric(r.misconceptions_displaced, F),
    Metric(r.withdrawn_answers, F),
    Metric(r.questions, F),
    Metric(r.answers, F),
    Metric(r.answers_via_weak, F),
    Metric(r.answers_via_strong, F),
    Metric(r.answers_via_community, F),
    Metric(r.repository_hits, F),
    Metric(r.budget_cut_weak, F),
    Metric(r.budget_cut_strong, F),
    Metric(r.budget_cut_community, F),
    Metric(r.gini_answers_given, S),
    Metric(r.top10_share_answers_given, S),
    Metric(r.n_weak_ties, S),
    Metric(r.n_strong_ties, S),
    Metric(r.mean_strength, S),
    Metric(r.ties_formed, F),
    Metric(r.ties_dissolved, F),
    Metric(r.gini_knowledge, S),
    Metric(r.clustering, S, structural=True),
    Metric(r.n_components, S, structural=True),
    Metric(r.share_largest_component, S, structural=True),
    Metric(r.n_bridging_ties, S, structural=True),
    Metric(r.knowledge_overlap_weak, S, structural=True),
    Metric(r.knowledge_overlap_strong, S, structural=True),
]
"""Every population column, in column order."""

PER_CLASS = ["share_aware", "mean_depth", "share_deep"]
"""Knowledge metrics also recorded per item class, as `<metric>__<class name>`."""

_BY_NAME = {m.name: m for m in REGISTRY}


def kind_of(column: str) -> Kind | None:
    """The kind of a metric column (per-class columns `<metric>__<class>` included).

    None for a column that is not a metric (e.g. ``replication``, ``step``).
    """
    metric = _BY_NAME.get(column.split("__", 1)[0])
    return metric.kind if metric is not None else None


def column_names(class_names: list[str]) -> list[str]:
    """All metric columns of a run with these item classes, in order."""
    cols = [m.name for m in REGISTRY]
    cols += [f"{p}__{c}" for c in class_names for p in PER_CLASS]
    return cols


def column_kinds(class_names: list[str]) -> dict[str, Kind]:
    """Every metric column of a run with these item classes and its kind, in order."""
    return {c: kind_of(c) for c in column_names(class_names)}


def collect(m: Any) -> dict[str, float]:
    """Every metric for the model's current step, as one table row."""
    with r.shared_once(m):
        row: dict[str, float] = {"step": m.steps}
        every = m.scenario.metrics.structure_every
        record = every > 0 and m.steps % every == 0
        for metric in REGISTRY:
            if metric.structural and not record:
                row[metric.name] = NAN
            else:
                row[metric.name] = metric.reporter(m)
        row.update(r.per_class(m, PER_CLASS))
    return row


def data_collector(class_names: list[str]) -> mesa.DataCollector:
    """A Mesa `DataCollector` with one model reporter per column (``step`` included).

    Each reporter reads the model's latest row (`collect` computes a row once per step), so
    collecting costs no recomputation and gives exactly the columns of `timeseries.parquet`.
    """
    names = ["step", *column_names(class_names)]
    return mesa.DataCollector(model_reporters={c: partial(_latest, c) for c in names})


def _latest(column: str, m: Any) -> float:
    return m.rows[-1][column]
