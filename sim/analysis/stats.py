"""Summaries of saved time-series tables: per-replication outcomes, their spread, and text tables.

The input everywhere is the tidy time-series table, one row per (replication, step), with the
identifier columns ``replication``, ``seed`` and ``step`` and one float column per recorded
metric (the column name is the metric's name, see `sim.metrics`). Nothing here imports the
model or matplotlib: tables in, tables out.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.survival import (
    CENSOR_COLUMN,
    TIME_PREFIX,
    is_time_column,
    time_summary,
)
from sim.metrics import Kind, kind_of

ID_COLUMNS = ("replication", "seed", "step")
"""Columns that identify a row rather than measure something."""

SUMMARY_COLUMNS = [
    "share_aware",
    "mean_depth",
    "share_deep",
    "redundancy_total",
    "redundancy_to_50",
    "redundancy_to_90",
    "n_weak_ties",
    "n_strong_ties",
    "share_gain_via_weak",
    "time_to_50",
    "time_to_90",
]
"""Columns of `summarise_replications` printed by default after a run."""

LEVELS = {"50": 0.5, "90": 0.9}
"""Spread levels watched by the summary: suffix of ``time_to_<x>`` / ``redundancy_to_<x>``
-> share of learner-item pairs aware (``share_aware``)."""


CLASS_SEPARATOR = "__"
"""Separates a metric from an item class in per-class columns (``share_aware__facts``)."""


def _require(table: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise a KeyError naming every column of `columns` missing from `table`."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"missing column(s): {', '.join(missing)}")


def metric_columns(ts: pd.DataFrame) -> list[str]:
    """Names of the numeric metric columns of a time-series table, in table order.

    Args:
        ts: time-series table, one row per (replication, step).

    Returns:
        Every numeric column that is not an identifier (`ID_COLUMNS`).
    """
    return [c for c in ts.columns if c not in ID_COLUMNS and pd.api.types.is_numeric_dtype(ts[c])]


def flow_columns(ts: pd.DataFrame) -> list[str]:
    """Names of the per-step count or flow columns present in `ts`, in table order.

    Args:
        ts: time-series table, one row per (replication, step).

    Returns:
        The columns declared flows in `sim.metrics` (kind_of(column) is Kind.FLOW).
    """
    return [c for c in metric_columns(ts) if kind_of(c) == Kind.FLOW]


def item_classes(ts: pd.DataFrame, metric: str = "share_aware") -> list[str]:
    """Item classes that have a per-class column for `metric`, in table order.

    Args:
        ts: time-series table (or any table with per-class columns).
        metric: base metric name; per-class columns are named ``<metric>__<class>``.

    Returns:
        Class names, e.g. ``["facts", "practices"]``; empty if there are no per-class columns.
    """
    prefix = metric + CLASS_SEPARATOR
    return [c[len(prefix) :] for c in ts.columns if c.startswith(prefix) and len(c) > len(prefix)]


def _t_halfwidth(sd: np.ndarray, n: np.ndarray, confidence: float) -> np.ndarray:
    """Half-width of the t confidence interval of a mean: t_{(1+c)/2, n-1} * sd / sqrt(n).

    NaN where n < 2 (no spread can be estimated from fewer than two values).
    """
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = n >= 2
    dof = np.where(ok, n - 1.0, 1.0)
    half = stats.t.ppf(0.5 + confidence / 2.0, dof) * sd / np.sqrt(np.where(ok, n, 1.0))
    return np.where(ok, half, np.nan)


def time_to_share(ts: pd.DataFrame, column: str = "share_aware", level: float = 0.5) -> pd.Series:
    """First step at which `column` reaches `level`, per replication.

    Args:
        ts: time-series table, one row per (replication, step).
        column: metric to watch, usually a share in [0, 1].
        level: threshold in the metric's unit; reached when ``column >= level``.

    Returns:
        Float series indexed by ``replication`` (every replication in `ts`, sorted): the step
        number, or NaN if the level is never reached (NaN values never count as reached).
    """
    _require(ts, ["replication", "step", column])
    reached = ts.loc[ts[column] >= level]
    first = reached.groupby("replication")["step"].min()
    replications = pd.Index(np.sort(ts["replication"].unique()), name="replication")
    return first.reindex(replications).astype(float).rename(f"time_to_{column}")


def _last_rows(ts: pd.DataFrame) -> pd.DataFrame:
    """The row of each replication's last step, sorted by replication, after checking keys."""
    _require(ts, ID_COLUMNS)
    if ts.duplicated(["replication", "step"]).any():
        raise ValueError(
            "time-series table has repeated (replication, step) rows; "
            "summarise one scenario or sweep point at a time"
        )
    seeds_per_replication = ts.groupby("replication")["seed"].nunique(dropna=False)
    if (seeds_per_replication > 1).any():
        bad = seeds_per_replication.index[seeds_per_replication > 1].tolist()
        raise ValueError(f"replication(s) {bad} have more than one seed")
    ordered = ts.sort_values(["replication", "step"], kind="stable")
    # tail(1), not last(): groupby.last() skips NaN and would report a stale value.
    return ordered.groupby("replication", sort=True).tail(1).reset_index(drop=True)


def _share(part: pd.Series, other: pd.Series) -> pd.Series:
    """Part / (part + other), NaN where the denominator is 0 or NaN."""
    whole = part + other
    return (part / whole.where(whole != 0)).astype(float)


def _exposure_ratio(ts: pd.DataFrame) -> pd.Series:
    """Sum of redundant_exposures / sum of exposures per replication, NaN if no exposures."""
    sums = ts.groupby("replication", sort=True)[["redundant_exposures", "exposures"]].sum()
    exposures = sums["exposures"].astype(float)
    return (sums["redundant_exposures"].astype(float) / exposures.where(exposures > 0)).astype(
        float
    )


def summarise_replications(ts: pd.DataFrame) -> pd.DataFrame:
    """One row of outcomes per replication.

    Columns, in order: ``replication``, ``seed``; the value at the last step of every metric
    column, under the same name (NaN if the metric was not recorded at that step); then

    - ``time_to_50`` and ``time_to_90``: first step with ``share_aware`` >= 0.5 / 0.9, NaN if
      never (right-censored at ``last_step``; see `km_median`);
    - ``last_step``: the replication's last step (its run length, the censoring time);
    - ``redundancy_total``: sum over all steps of ``redundant_exposures`` / sum of
      ``exposures`` (NaN without exposures);
    - ``redundancy_to_50`` and ``redundancy_to_90``: the same ratio over the steps up to and
      including ``time_to_50`` / ``time_to_90`` (step 0, the initial state, has no
      exposures), NaN when the level is never reached (censored) or there were no exposures.
      Unlike a mean of per-step ratios, these do not grow with run length once the spread
      has saturated: they stop at a fixed point of the spread;
    - ``total_<metric>`` (NaN-aware sum over all steps) for each flow column present (see
      `flow_columns`);
    - ``share_gain_via_weak`` = total gain_via_weak / (total gain_via_weak + total
      gain_via_strong) and ``share_novel_via_weak`` likewise from novel exposures, each NaN
      when its denominator is 0;
    - ``redundancy_total_weak`` / ``_strong``: total redundant exposures over weak / strong
      ties divided by the total exposures over them; ``p_novel_weak`` / ``_strong``: total
      novel exposures over weak / strong ties divided by the total exposures over them (the
      probability that an exposure over a tie of that kind made its learner aware); NaN
      without exposures of that kind;
    - ``peak_share_misinformed``: the largest ``share_misinformed`` of the run (how far the
      misconceptions travelled; the last step's value says how much of them is left).

    Derived columns appear only when their inputs are present.

    Args:
        ts: time-series table, one row per (replication, step); one scenario and sweep point.

    Returns:
        Table with one row per replication, sorted by replication.

    Raises:
        KeyError: if an identifier column is missing.
        ValueError: if a (replication, step) pair repeats or a replication has two seeds.
    """
    last = _last_rows(ts)
    metrics = metric_columns(ts)
    summary = last[["replication", "seed", *metrics]].copy()
    by_replication = ts.groupby("replication", sort=True)
    index = pd.Index(summary["replication"], name="replication")

    derived: dict[str, pd.Series] = {}
    times: dict[str, pd.Series] = {}
    if "share_aware" in ts.columns:
        for suffix, level in LEVELS.items():
            times[suffix] = time_to_share(ts, "share_aware", level)
            derived[f"{TIME_PREFIX}{suffix}"] = times[suffix]
    derived[CENSOR_COLUMN] = by_replication["step"].max()
    if "exposures" in ts.columns and "redundant_exposures" in ts.columns:
        derived["redundancy_total"] = _exposure_ratio(ts)
        for suffix, first in times.items():
            until = ts["step"] <= ts["replication"].map(first)  # False where never reached
            derived[f"redundancy_to_{suffix}"] = _exposure_ratio(ts.loc[until])
    flows = flow_columns(ts)
    totals = by_replication[flows].sum(min_count=1) if flows else pd.DataFrame(index=index)
    for column in flows:
        derived[f"total_{column}"] = totals[column]
    for name, weak, strong in [
        ("share_gain_via_weak", "gain_via_weak", "gain_via_strong"),
        ("share_novel_via_weak", "novel_exposures_weak", "novel_exposures_strong"),
    ]:
        if weak in totals.columns and strong in totals.columns:
            derived[name] = _share(totals[weak], totals[strong])
    derived |= _per_kind_shares(totals)
    if "share_misinformed" in ts.columns:
        derived["peak_share_misinformed"] = by_replication["share_misinformed"].max()

    extra = pd.DataFrame(
        {name: s.reindex(index).to_numpy() for name, s in derived.items()}, index=summary.index
    )
    return pd.concat([summary, extra], axis=1)


def _per_kind_shares(totals: pd.DataFrame) -> dict[str, pd.Series]:
    """``redundancy_total_<kind>`` and ``p_novel_<kind>`` from the run totals of the flows."""
    out = {}
    for kind in ("weak", "strong"):
        for name, part in [
            (f"redundancy_total_{kind}", f"redundant_exposures_{kind}"),
            (f"p_novel_{kind}", f"novel_exposures_{kind}"),
        ]:
            if part in totals.columns and f"exposures_{kind}" in totals.columns:
                whole = totals[f"exposures_{kind}"].astype(float)
                out[name] = (totals[part].astype(float) / whole.where(whole > 0)).astype(float)
    return out


def describe(
    summary: pd.DataFrame,
    columns: Sequence[str] = tuple(SUMMARY_COLUMNS),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean, spread and confidence interval of each column across replications.

    The interval is mean ± t_{(1+confidence)/2, n-1} * sd / sqrt(n), with sd the sample
    standard deviation (ddof=1) and n the number of non-NaN values; NaN values are ignored
    throughout. With n < 2, ``sd``, ``ci_lo`` and ``ci_hi`` are NaN.

    Time columns (``time_to_<x>``, see `is_time_column`) are censored data: NaN means the
    level was never reached, and the run's length (``last_step``) is the censoring time.
    For them ``n`` counts every replication, ``n_reached`` those that reached the level,
    ``km_median``, ``km_ci_lo`` and ``km_ci_hi`` are the Kaplan-Meier median and its
    interval (see `km_median`), ``min`` and ``max`` are over the replications that reached
    it, and ``mean``, ``sd``, ``ci_lo``, ``ci_hi`` are given only when every replication
    reached it (the mean of censored times is not estimable without a model), else NaN.
    For other columns the four Kaplan-Meier columns are NaN.

    Args:
        summary: one row per replication, e.g. from `summarise_replications`.
        columns: columns of `summary` to describe.
        confidence: coverage of the intervals, in (0, 1).

    Returns:
        Table indexed by column name (index name ``column``) with ``mean``, ``sd``, ``n``,
        ``ci_lo``, ``ci_hi``, ``min``, ``max``, ``n_reached`` (float: NaN for non-time
        columns), ``km_median``, ``km_ci_lo`` and ``km_ci_hi``.

    Raises:
        KeyError: if a column is missing from `summary`.
    """
    columns = list(columns)
    _require(summary, columns)
    values = summary[columns].astype(float)
    mean = values.mean()
    sd = values.std(ddof=1)
    n = values.count()
    half = pd.Series(_t_halfwidth(sd.to_numpy(), n.to_numpy(), confidence), index=mean.index)
    table = pd.DataFrame(
        {
            "mean": mean,
            "sd": sd.where(n >= 2),
            "n": n.astype(int),
            "ci_lo": mean - half,
            "ci_hi": mean + half,
            "min": values.min(),
            "max": values.max(),
            "n_reached": np.nan,
            "km_median": np.nan,
            "km_ci_lo": np.nan,
            "km_ci_hi": np.nan,
        }
    )
    for column in filter(is_time_column, columns):
        times = time_summary(summary, column, confidence)
        if times["n_reached"] < times["n"]:
            table.loc[column, ["mean", "sd", "ci_lo", "ci_hi"]] = np.nan
        for key, value in times.items():
            table.loc[column, key] = value
    table.index.name = "column"
    return table


def band(ts: pd.DataFrame, column: str, level: float = 0.9) -> pd.DataFrame:
    """Mean of `column` across replications at each step, with a spread band and a CI.

    ``lo`` and ``hi`` are the (1 - level)/2 and (1 + level)/2 quantiles across replications
    (linear interpolation), so they hold the central `level` share of replications.
    ``ci_lo`` and ``ci_hi`` are the 95% t confidence interval of the mean (see `describe`).
    NaN values are ignored; a step with no values gives NaN everywhere.

    Args:
        ts: time-series table, one row per (replication, step).
        column: metric column to summarise.
        level: share of replications inside the band, in (0, 1).

    Returns:
        Table indexed by ``step`` (sorted) with ``mean``, ``lo``, ``hi``, ``ci_lo``,
        ``ci_hi`` and ``n`` (replications with a value at that step).

    Raises:
        KeyError: if `column` or ``step`` is missing.
        ValueError: if `level` is not in (0, 1).
    """
    _require(ts, ["step", column])
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (got {level})")
    values = ts[column].astype(float).groupby(ts["step"], sort=True)
    mean = values.mean()
    n = values.count()
    half = _t_halfwidth(values.std(ddof=1).to_numpy(), n.to_numpy(), 0.95)
    q_lo, q_hi = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    table = pd.DataFrame(
        {
            "mean": mean,
            "lo": values.quantile(q_lo),
            "hi": values.quantile(q_hi),
            "ci_lo": mean - half,
            "ci_hi": mean + half,
            "n": n.astype(int),
        }
    )
    table.index.name = "step"
    return table


def _format_value(value: object) -> str:
    """Text for one cell: integers exact, other numbers to 3 significant figures."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if value is None or (not isinstance(value, Sequence) and pd.isna(value)):
        return "nan"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if x == 0.0 or not math.isfinite(x):
            return "0" if x == 0.0 else str(x)
        rounded = float(f"{x:.2e}")
        exponent = math.floor(math.log10(abs(rounded)))
        if -3 <= exponent < 6:
            return f"{rounded:.{max(0, 2 - exponent)}f}"
        return f"{x:.2e}"
    return str(value)


def format_table(df: pd.DataFrame) -> str:
    """A plain-text table with aligned columns, for printing in a terminal.

    Integers are printed exactly, other numbers to 3 significant figures (scientific notation
    below 0.001 or from 1e6), NaN as ``nan``. Numbers are right-aligned, text left-aligned.
    The index is printed as the first column unless it is a default 0..n-1 range.

    Args:
        df: table to print.

    Returns:
        The table as lines joined by newlines: header, a rule of dashes, one line per row.
    """
    show_index = not (
        isinstance(df.index, pd.RangeIndex)
        and df.index.start == 0
        and df.index.step == 1
        and df.index.name is None
    )
    headers: list[str] = []
    cells: list[list[str]] = []
    numeric: list[bool] = []
    if show_index:
        headers.append("" if df.index.name is None else str(df.index.name))
        cells.append([_format_value(v) for v in df.index])
        numeric.append(pd.api.types.is_numeric_dtype(df.index.dtype))
    for position, name in enumerate(df.columns):
        column = df.iloc[:, position]
        headers.append(str(name))
        cells.append([_format_value(v) for v in column.tolist()])
        numeric.append(pd.api.types.is_numeric_dtype(column.dtype))
    widths = [max([len(h), *map(len, col)]) for h, col in zip(headers, cells, strict=True)]

    def line(texts: Sequence[str]) -> str:
        parts = [
            t.rjust(w) if is_number else t.ljust(w)
            for t, w, is_number in zip(texts, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rows = [line(row) for row in zip(*cells, strict=True)] if cells else []
    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *rows])
