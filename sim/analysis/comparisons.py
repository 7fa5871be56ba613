"""Statistics across the points of a sweep and between compared scenarios.

Means with t intervals per swept value or point, and paired differences against a baseline
scenario (common random numbers: replication r has the same seed in every scenario).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.stats import SUMMARY_COLUMNS, _require, _t_halfwidth
from sim.analysis.survival import KM_COLUMNS, is_time_column, time_summary

POINT_COLUMN = "point"
"""Identifies a sweep point (or a compared scenario) in the tables of an experiment."""

SCENARIO_COLUMN = "scenario"
"""Names the compared scenario in the tables of a comparison."""

EXPERIMENT_COLUMNS = [c for c in SUMMARY_COLUMNS if c not in ("time_to_90", "redundancy_to_90")]
"""Summary columns drawn against swept parameters and compared between scenarios: the
printed ones, following the 50 % level only (90 % is often not reached in short runs)."""

OUTCOME_COLUMNS = [
    "share_aware",
    "mean_depth",
    "share_deep",
    "redundancy_total",
    "share_gain_via_weak",
]
"""Final outcomes drawn per compared scenario (``outcomes.png``) and printed per point."""

AGGREGATE_COLUMNS = ["mean", "ci_lo", "ci_hi", "n", *KM_COLUMNS]
"""Statistics columns of `by_value` and `by_point`, after the labels and ``column``."""


def _aggregate(group: pd.DataFrame, column: str, confidence: float) -> list[object]:
    """Mean, t-interval bounds and n of a column, plus the Kaplan-Meier columns for times.

    For a non-time column: n counts the non-NaN values and the Kaplan-Meier columns are
    NaN. For a time column (see `sim.analysis.stats.describe`): n counts every
    replication, the mean and its interval are NaN unless every replication reached the
    level, and ``n_reached``, ``km_median``, ``km_ci_lo``, ``km_ci_hi`` are filled.
    """
    v = group[column].astype(float).dropna()
    n = len(v)
    mean = float(v.mean()) if n else float("nan")
    sd = float(v.std(ddof=1)) if n >= 2 else float("nan")
    half = float(_t_halfwidth(np.array([sd]), np.array([n]), confidence)[0])
    row: list[object] = [mean, mean - half, mean + half, n, np.nan, np.nan, np.nan, np.nan]
    if is_time_column(column):
        km = time_summary(group, column, confidence)
        if km["n_reached"] < km["n"]:
            row[:3] = [np.nan] * 3
        row[3:] = [km["n"], km["n_reached"], km["km_median"], km["km_ci_lo"], km["km_ci_hi"]]
    return row


def _long_table(rows: list[list[object]], names: list[str]) -> pd.DataFrame:
    """A long statistics table (``n_reached`` float, NaN for non-time columns)."""
    table = pd.DataFrame(rows, columns=names)
    table["n_reached"] = table["n_reached"].astype(float)
    return table


def by_value(
    summary: pd.DataFrame,
    parameter: str,
    columns: Sequence[str] = tuple(EXPERIMENT_COLUMNS),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and t confidence interval of each column at each value of a swept parameter.

    Rows of all other parameters' values are pooled (the marginal effect of `parameter`).
    Time columns (``time_to_<x>``) are treated as right-censored at ``last_step``: see
    `_aggregate` for what ``mean``, ``n`` and the Kaplan-Meier columns hold for them.

    Args:
        summary: one row per run, with the `parameter` column (e.g. a sweep's summary.csv).
        parameter: the swept column (a dotted field path).
        columns: outcome columns; missing ones are skipped.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        Long table with `parameter`, ``column``, ``mean``, ``ci_lo``, ``ci_hi``, ``n``,
        ``n_reached``, ``km_median``, ``km_ci_lo``, ``km_ci_hi``; sorted by column then value.
    """
    _require(summary, [parameter])
    rows = []
    for column in [c for c in columns if c in summary.columns]:
        for value, group in summary.groupby(parameter, sort=True, dropna=False):
            rows.append([value, column, *_aggregate(group, column, confidence)])
    return _long_table(rows, [parameter, "column", *AGGREGATE_COLUMNS])


def by_point(
    summary: pd.DataFrame,
    labels: Sequence[str],
    columns: Sequence[str] = tuple(EXPERIMENT_COLUMNS),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and t confidence interval of each column at each point, over replications.

    Time columns (``time_to_<x>``) are treated as right-censored at ``last_step``: see
    `_aggregate` for what ``mean``, ``n`` and the Kaplan-Meier columns hold for them.

    Args:
        summary: one row per run, with ``point`` and the label columns.
        labels: the label columns (swept field paths) kept in the output.
        columns: outcome columns; missing ones are skipped.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        Long table with ``point``, the labels, ``column``, ``mean``, ``ci_lo``, ``ci_hi``,
        ``n``, ``n_reached``, ``km_median``, ``km_ci_lo``, ``km_ci_hi``.
    """
    _require(summary, [POINT_COLUMN, *labels])
    rows = []
    for column in [c for c in columns if c in summary.columns]:
        for point, group in summary.groupby(POINT_COLUMN, sort=True):
            label_values = list(group.iloc[0][list(labels)])
            rows.append([point, *label_values, column, *_aggregate(group, column, confidence)])
    return _long_table(rows, [POINT_COLUMN, *labels, "column", *AGGREGATE_COLUMNS])


def holm(p_values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (Holm 1979), in the order given.

    With the m finite p-values sorted, p_(1) <= ... <= p_(m), the adjusted value of p_(i) is
    max over j <= i of min(1, (m - j + 1) p_(j)): step-down Bonferroni, made monotone.
    Rejecting where the adjusted value is below alpha controls the family-wise error rate at
    alpha under any dependence between the tests. NaN p-values stay NaN and do not count in m.

    Args:
        p_values: the raw p-values of one family of tests.

    Returns:
        Adjusted p-values, same length and order as `p_values`.
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    finite = np.flatnonzero(~np.isnan(p))
    m = len(finite)
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def paired_differences(
    summary: pd.DataFrame,
    by: str = SCENARIO_COLUMN,
    baseline: str | None = None,
    columns: Sequence[str] = tuple(EXPERIMENT_COLUMNS),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Differences from a baseline, paired by replication (common random numbers).

    Replication r of every scenario ran on the same seed, so the differences
    d_r = x_r - baseline_r are paired: their mean, its t interval (n - 1 degrees of freedom),
    the paired t-test p-value, and Cohen's d_z = mean(d) / sd(d) (the standardised mean of
    paired differences; Cohen 1988, Lakens 2013). Replications missing from either side, or
    NaN on either side, are left out of that pair; for a time column (``time_to_<x>``) that
    means only pairs in which both replications reached the level are compared (a
    conditional difference: ``n_pairs`` against ``n_replications`` says how many). The
    p-values of one compared group's rows form one family and are adjusted with Holm's
    method (`holm`) in ``p_holm``.

    Args:
        summary: one row per run, with `by`, ``replication`` and the columns.
        by: the column naming the group (the scenario).
        baseline: the group others are compared with; default: the first in table order.
        columns: outcome columns; missing ones are skipped.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        One row per (group other than the baseline, column): `by`, ``baseline``, ``column``,
        ``mean_baseline``, ``mean`` (both over the pairs used), ``difference``, ``sd``,
        ``n_replications`` (replications present in both groups), ``n_pairs`` (pairs used:
        both values non-NaN), ``ci_lo``, ``ci_hi``, ``d_z``, ``p_value`` and ``p_holm``.
    """
    _require(summary, [by, "replication"])
    groups = list(dict.fromkeys(summary[by]))
    if not groups:
        return pd.DataFrame()
    baseline = groups[0] if baseline is None else baseline
    base = summary[summary[by] == baseline].set_index("replication")
    rows = []
    for group in groups:
        if group == baseline:
            continue
        other = summary[summary[by] == group].set_index("replication")
        common = base.index.intersection(other.index)
        family = []
        for column in [c for c in columns if c in summary.columns]:
            a = base.loc[common, column].astype(float)
            b = other.loc[common, column].astype(float)
            ok = a.notna() & b.notna()
            d = (b - a)[ok]
            n = len(d)
            mean = float(d.mean()) if n else float("nan")
            sd = float(d.std(ddof=1)) if n >= 2 else float("nan")
            half = float(_t_halfwidth(np.array([sd]), np.array([n]), confidence)[0])
            d_z = mean / sd if n >= 2 and sd > 0 else float("nan")
            p = float(stats.ttest_1samp(d, 0.0).pvalue) if n >= 2 and sd > 0 else float("nan")
            family.append(
                {
                    by: group,
                    "baseline": baseline,
                    "column": column,
                    "mean_baseline": float(a[ok].mean()) if n else float("nan"),
                    "mean": float(b[ok].mean()) if n else float("nan"),
                    "difference": mean,
                    "sd": sd,
                    "n_replications": len(common),
                    "n_pairs": n,
                    "ci_lo": mean - half,
                    "ci_hi": mean + half,
                    "d_z": d_z,
                    "p_value": p,
                }
            )
        adjusted = holm([row["p_value"] for row in family])
        for row, p_holm in zip(family, adjusted, strict=True):
            row["p_holm"] = float(p_holm)
        rows.extend(family)
    return pd.DataFrame(rows)


def failure_counts(failures: pd.DataFrame) -> pd.DataFrame:
    """How many runs failed with each error (type and message), most frequent first.

    Args:
        failures: one row per failed run, with ``error_type`` and ``error``.

    Returns:
        Table with ``error_type``, ``error`` and ``runs``.
    """
    if failures.empty:
        return pd.DataFrame(columns=["error_type", "error", "runs"])
    counts = failures.groupby(["error_type", "error"], dropna=False).size().rename("runs")
    return counts.reset_index().sort_values("runs", ascending=False, kind="stable")
