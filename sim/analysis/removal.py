"""Tie removal on saved tie networks: a curve per run and order, and the collapse per order.

Tables in, tables out: the saved snapshots of ``ties.parquet`` (one network per run, see
`sim.experiment.snapshots`) go through `sim.analysis.structure.removal_curve` once per
removal order; nothing is rerun. Ties are removed weakest-first and strongest-first by
strength (Granovetter 1973) and by the topological overlap of their ends' neighbourhoods
(Onnela et al. 2007); the collapse of each order is where its susceptibility peaks
(`collapse_fraction`), summarised over replications with a 95 % t interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from sim.analysis.stats import _t_halfwidth
from sim.analysis.structure import ALL_ORDERS, collapse_fraction, removal_curve

GROUP_COLUMNS = ("point", "scenario")
"""Label columns of a sweep's or comparison's tables that name the networks' setting."""

CONFIDENCE = 0.95
"""Level of the interval of the mean collapse fraction over replications."""


def group_columns(table: pd.DataFrame) -> list[str]:
    """The label columns present (``point``, ``scenario``): one group of replications each."""
    return [c for c in GROUP_COLUMNS if c in table.columns]


def removal_curves(
    ties: pd.DataFrame,
    n_agents: int | Mapping[int, int],
    orders: Sequence[str] = ALL_ORDERS,
) -> pd.DataFrame:
    """The removal curve of every run's network, for each order.

    Args:
        ties: one tie network per run: rows of ``ties.parquet`` for one step per run (e.g.
            `sim.experiment.snapshots.final_snapshots`), with ``replication``, ``seed``,
            ``u``, ``v``, ``strength`` and optionally ``point`` / ``scenario``.
        n_agents: learners of the networks (isolated learners count as components); per
            ``point`` when the points differ.
        orders: removal orders (`sim.analysis.structure.ALL_ORDERS`).

    Returns:
        The rows of `removal_curve` for every run and order, led by the run's label columns,
        ``replication`` and ``step``. Equal values are removed in a random order seeded by
        the run's seed, so a curve equals `removal_curve(..., seed=seed)` on the same ties.
    """
    by = [*group_columns(ties), "replication"]
    frames = []
    for key, run in ties.groupby(by, sort=True, observed=True):
        labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        n = n_agents if isinstance(n_agents, int) else n_agents[int(labels["point"])]
        seed = int(run["seed"].iloc[0])
        u, v = run["u"].to_numpy(), run["v"].to_numpy()
        strength = run["strength"].to_numpy()
        for order in orders:
            curve = removal_curve(u, v, strength, int(n), order, seed=seed)
            lead = {**labels, "step": int(run["step"].iloc[0])} if "step" in run else labels
            for i, (name, value) in enumerate(lead.items()):
                curve.insert(i, name, value)
            frames.append(curve)
    if not frames:
        return pd.DataFrame(columns=[*by, "order", "fraction_removed"])
    return pd.concat(frames, ignore_index=True)


def collapse_table(curves: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """The collapse fraction per order: mean over replications with its t interval.

    Args:
        curves: rows of `removal_curves` (every row of each curve, refinement rows included:
            the collapse is located at single removals).
        confidence: level of the interval.

    Returns:
        One row per (label columns, order): ``n`` (replications), ``mean``, ``sd`` (ddof 1),
        ``ci_lo``, ``ci_hi`` (t interval of the mean; NaN with fewer than 2), ``min``,
        ``max`` of the share of ties removed at the susceptibility peak.
    """
    groups = group_columns(curves)
    per_run = per_run_collapse(curves)
    stats = per_run.groupby([*groups, "order"], sort=False)["collapse_fraction"]
    table = stats.agg(["count", "mean", "std", "min", "max"]).reset_index()
    table = table.rename(columns={"count": "n", "std": "sd"})
    half = _t_halfwidth(table["sd"].to_numpy(), table["n"].to_numpy(), confidence)
    table.insert(table.columns.get_loc("sd") + 1, "ci_lo", table["mean"] - half)
    table.insert(table.columns.get_loc("ci_lo") + 1, "ci_hi", table["mean"] + half)
    return table


def per_run_collapse(curves: pd.DataFrame) -> pd.DataFrame:
    """The collapse fraction (`collapse_fraction`) of each run's curve of each order."""
    by = [*group_columns(curves), "replication", "order"]
    rows = []
    for key, curve in curves.groupby(by, sort=False, observed=True):
        record = dict(zip(by, key, strict=True))
        rows.append({**record, "collapse_fraction": collapse_fraction(curve)})
    return pd.DataFrame(rows, columns=[*by, "collapse_fraction"])


def check_orders(orders: Sequence[str]) -> list[str]:
    """The orders, each checked against `ALL_ORDERS`.

    Raises:
        ValueError: for an unknown order.
    """
    bad = [o for o in orders if o not in ALL_ORDERS]
    if bad:
        raise ValueError(f"unknown removal order {bad[0]!r} (one of {', '.join(ALL_ORDERS)})")
    return list(orders)
