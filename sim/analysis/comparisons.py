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

POINT_COLUMN = "point"
"""Identifies a sweep point (or a compared scenario) in the tables of an experiment."""

SCENARIO_COLUMN = "scenario"
"""Names the compared scenario in the tables of a comparison."""

EXPERIMENT_COLUMNS = [c for c in SUMMARY_COLUMNS if c != "time_to_90"]
"""Summary columns drawn against swept parameters and compared between scenarios."""


def _ci(values: pd.Series, confidence: float) -> tuple[float, float, float, int]:
    """Mean, and t-interval bounds, and n of the non-NaN values."""
    v = values.astype(float).dropna()
    n = len(v)
    mean = float(v.mean()) if n else float("nan")
    sd = float(v.std(ddof=1)) if n >= 2 else float("nan")
    half = float(_t_halfwidth(np.array([sd]), np.array([n]), confidence)[0])
    return mean, mean - half, mean + half, n


def by_value(
    summary: pd.DataFrame,
    parameter: str,
    columns: Sequence[str] = tuple(EXPERIMENT_COLUMNS),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and t confidence interval of each column at each value of a swept parameter.

    Rows of all other parameters' values are pooled (the marginal effect of `parameter`).

    Args:
        summary: one row per run, with the `parameter` column (e.g. a sweep's summary.csv).
        parameter: the swept column (a dotted field path).
        columns: outcome columns; missing ones are skipped.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        Long table with `parameter`, ``column``, ``mean``, ``ci_lo``, ``ci_hi``, ``n``; sorted
        by column then value.
    """
    _require(summary, [parameter])
    rows = []
    for column in [c for c in columns if c in summary.columns]:
        for value, group in summary.groupby(parameter, sort=True, dropna=False):
            mean, lo, hi, n = _ci(group[column], confidence)
            rows.append((value, column, mean, lo, hi, n))
    return pd.DataFrame(rows, columns=[parameter, "column", "mean", "ci_lo", "ci_hi", "n"])


def by_point(
    summary: pd.DataFrame,
    labels: Sequence[str],
    columns: Sequence[str] = tuple(EXPERIMENT_COLUMNS),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and t confidence interval of each column at each point, over replications.

    Args:
        summary: one row per run, with ``point`` and the label columns.
        labels: the label columns (swept field paths) kept in the output.
        columns: outcome columns; missing ones are skipped.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        Long table with ``point``, the labels, ``column``, ``mean``, ``ci_lo``, ``ci_hi``,
        ``n``.
    """
    _require(summary, [POINT_COLUMN, *labels])
    rows = []
    for column in [c for c in columns if c in summary.columns]:
        for point, group in summary.groupby(POINT_COLUMN, sort=True):
            mean, lo, hi, n = _ci(group[column], confidence)
            rows.append((point, *group.iloc[0][list(labels)], column, mean, lo, hi, n))
    names = [POINT_COLUMN, *labels, "column", "mean", "ci_lo", "ci_hi", "n"]
    return pd.DataFrame(rows, columns=names)


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
    NaN on either side, are left out of that pair.

    Args:
        summary: one row per run, with `by`, ``replication`` and the columns.
        by: the column naming the group (the scenario).
        baseline: the group others are compared with; default: the first in table order.
        columns: outcome columns; missing ones are skipped.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        One row per (group other than the baseline, column): `by`, ``baseline``, ``column``,
        ``mean_baseline``, ``mean``, ``difference``, ``sd``, ``n``, ``ci_lo``, ``ci_hi``,
        ``d_z``, ``p_value``.
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
            rows.append(
                {
                    by: group,
                    "baseline": baseline,
                    "column": column,
                    "mean_baseline": float(a[ok].mean()) if n else float("nan"),
                    "mean": float(b[ok].mean()) if n else float("nan"),
                    "difference": mean,
                    "sd": sd,
                    "n": n,
                    "ci_lo": mean - half,
                    "ci_hi": mean + half,
                    "d_z": d_z,
                    "p_value": p,
                }
            )
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
