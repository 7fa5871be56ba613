"""Figures of a sweep: outcomes against each swept parameter, and heatmaps of pairs.

Summary tables in, PNG files out (matplotlib set up by `sim.analysis.plotting`). Times to a
level (``time_to_<x>``) are censored data: they are drawn as Kaplan-Meier medians with their
interval, and the runs that never reached the level as hollow markers at the run length.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.analysis.comparisons import EXPERIMENT_COLUMNS, POINT_COLUMN, by_point, by_value
from sim.analysis.plotting import (
    _has_values,
    axis_label,
    color_for,
    save_figure,
)
from sim.analysis.survival import CENSOR_COLUMN, is_time_column, km_median

CENSORED_LABEL = "not reached (censored at run length); k/n: runs not reached / runs"
"""Legend entry of the hollow markers of runs that never reached a level."""

MEDIAN_LABEL = "Kaplan-Meier median, 95% CI (open bar end: not bounded)"
"""Legend entry of the median of a time column."""

MAX_LEVELS = 12
"""A swept parameter with at most this many values is drawn per value (pooled over the other
parameters); with more (lhs, sobol), every point is drawn on its own."""

SERIES_LIMIT = 6
"""With two grid parameters, the second is drawn as one line per value up to this many."""


def _panel_grid(n: int) -> tuple[int, int]:
    cols = min(n, 3)
    return math.ceil(n / cols), cols


def _errorbar(ax: Axes, x, mean, lo, hi, **kwargs) -> None:
    mean = np.asarray(mean, dtype=float)
    yerr = np.vstack([mean - np.asarray(lo, float), np.asarray(hi, float) - mean])
    ax.errorbar(x, mean, yerr=np.nan_to_num(yerr), capsize=3, marker="o", markersize=4, **kwargs)


def _drawable(summary: pd.DataFrame, column: str) -> bool:
    """Whether a column has something to draw: a value, or, for a time, censored runs."""
    if _has_values(summary, column):
        return True
    return (
        is_time_column(column)
        and column in summary.columns
        and CENSOR_COLUMN in summary.columns
        and len(summary) > 0
    )


def _centre(table: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The centre and bounds drawn for a column: KM median and interval for a time."""
    if is_time_column(column):
        return table["km_median"], table["km_ci_lo"], table["km_ci_hi"]
    return table["mean"], table["ci_lo"], table["ci_hi"]


def censored_points(summary: pd.DataFrame, parameter: str, column: str) -> pd.DataFrame:
    """Per value of `parameter`, the runs in which a time column was never reached.

    Args:
        summary: one row per run, with `parameter`, `column` and, if present, ``last_step``.
        parameter: the column grouped by (the x axis).
        column: a ``time_to_<x>`` column (NaN: never reached).

    Returns:
        Table indexed by the values with at least one such run: ``missed`` (runs that never
        reached the level), ``n`` (runs) and ``at`` (the largest run length, ``last_step``;
        without it the largest time reached, NaN if none).
    """
    missed = summary[column].isna()
    if CENSOR_COLUMN in summary.columns:
        at = summary[CENSOR_COLUMN].astype(float)
    else:
        at = pd.Series(summary[column].max(), index=summary.index, dtype=float)
    table = (
        pd.DataFrame({"key": summary[parameter], "missed": missed, "at": at})
        .groupby("key", sort=True, dropna=False)
        .agg(missed=("missed", "sum"), n=("missed", "size"), at=("at", "max"))
    )
    table.index.name = parameter
    return table[table["missed"] > 0]


def _draw_censored(
    ax: Axes, summary: pd.DataFrame, parameter: str, column: str, color, labelled: bool
) -> bool:
    """Runs' times as dots, hollow markers at the run length where runs never reached.

    Returns True once the censored markers have their legend entry.
    """
    reached = summary.dropna(subset=[column])
    ax.scatter(
        reached[parameter], reached[column], s=9, color=color or "tab:gray", alpha=0.35, zorder=2
    )
    table = censored_points(summary, parameter, column).dropna(subset=["at"])
    if table.empty:
        return labelled
    ax.scatter(
        table.index,
        table["at"],
        marker="o",
        s=46,
        facecolors="none",
        edgecolors=color or "tab:gray",
        linewidths=1.3,
        zorder=3,
        label=None if labelled else CENSORED_LABEL,
    )
    for x, row in table.iterrows():
        ax.annotate(
            f"{int(row['missed'])}/{int(row['n'])}",
            (x, row["at"]),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize="xx-small",
            color=color or "tab:gray",
        )
    return True


def plot_vs_parameter(
    summary: pd.DataFrame,
    parameter: str,
    out_path: str | Path,
    columns: list[str] | None = None,
    others: list[str] | None = None,
    title: str = "",
) -> Path | None:
    """One figure of each outcome against one swept parameter, with 95% t intervals.

    A panel per column. With few values of the parameter (a grid), the mean at each value
    over replications (and, pooled, over the other parameters; with one other grid parameter
    of few values, one line per value of it). With many values (lhs, sobol), each point's mean
    over replications with its interval. A time column (``time_to_<x>``) shows the
    Kaplan-Meier median and its interval instead of the mean, each run's time as a faint dot,
    and, at every value where some runs never reached the level, a hollow marker at the run
    length labelled ``<runs not reached>/<runs>`` (see `censored_points`).

    Args:
        summary: one row per run, with ``point``, `parameter` and the columns.
        parameter: the swept field path (the x axis label).
        out_path: the PNG file.
        columns: outcome columns (default `EXPERIMENT_COLUMNS`); missing or all-NaN skipped
            (a time column never reached is kept when ``last_step`` gives its censoring).
        others: the other swept parameters.
        title: figure title.

    Returns:
        The file written, or None if there was nothing to draw.
    """
    columns = [c for c in (columns or EXPERIMENT_COLUMNS) if _drawable(summary, c)]
    if not columns:
        return None
    others = [o for o in (others or []) if o != parameter]
    levels = summary[parameter].nunique(dropna=False)
    series = None
    if levels <= MAX_LEVELS and len(others) == 1:
        if summary[others[0]].nunique(dropna=False) <= SERIES_LIMIT:
            series = others[0]
    rows, cols = _panel_grid(len(columns))
    fig, axes = plt.subplots(rows, cols, squeeze=False, figsize=(4.2 * cols, 3.2 * rows))
    try:
        for ax, column in zip(axes.flat, columns, strict=False):
            time = is_time_column(column)
            _draw_vs(ax, summary, parameter, column, levels, series)
            if time:
                ax.set_ylim(bottom=0)
            if series is not None or time:
                ax.legend(fontsize="xx-small")
            if pd.api.types.is_numeric_dtype(summary[parameter]):
                low, high = float(summary[parameter].min()), float(summary[parameter].max())
                pad = 0.05 * (high - low) if high > low else 0.5
                ax.set_xlim(low - pad, high + pad)  # the same range in every panel
            ax.set_xlabel(parameter)
            ax.set_ylabel(axis_label(column), fontsize="small")
            ax.grid(True, alpha=0.3)
        for ax in list(axes.flat)[len(columns) :]:
            ax.set_visible(False)
        fig.suptitle(title or f"mean and 95% CI over replications, by {parameter}")
        fig.tight_layout()
        save_figure(fig, out_path)
    finally:
        plt.close(fig)
    return Path(out_path)


def _draw_vs(
    ax: Axes,
    summary: pd.DataFrame,
    parameter: str,
    column: str,
    levels: int,
    series: str | None,
) -> None:
    """One panel of `plot_vs_parameter`: `column` against `parameter`.

    Per point (many levels), per value of `parameter` with one line per value of `series`,
    or per value pooled over the other parameters; times as Kaplan-Meier medians with the
    censored runs marked.
    """
    time = is_time_column(column)
    labelled = False
    if levels > MAX_LEVELS:
        table = by_point(summary, [parameter], [column]).sort_values(parameter)
        _errorbar(
            ax,
            table[parameter],
            *_centre(table, column),
            linestyle="none",
            color=color_for(column),
            label=MEDIAN_LABEL if time else None,
        )
        if time:
            labelled = _draw_censored(ax, summary, parameter, column, color_for(column), labelled)
    elif series is not None:
        for i, (value, group) in enumerate(summary.groupby(series, sort=True, dropna=False)):
            t = by_value(group, parameter, [column])
            color = f"C{i}"
            _errorbar(
                ax,
                t[parameter],
                *_centre(t, column),
                color=color,
                label=f"{series}={value}",
            )
            if time:
                labelled = _draw_censored(ax, group, parameter, column, color, labelled)
    else:
        t = by_value(summary, parameter, [column])
        _errorbar(
            ax,
            t[parameter],
            *_centre(t, column),
            color=color_for(column),
            label=MEDIAN_LABEL if time else None,
        )
        if time:
            labelled = _draw_censored(ax, summary, parameter, column, color_for(column), labelled)


def _cell_values(summary: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """Mean of a column per combination of `keys`; the Kaplan-Meier median for a time."""
    groups = summary.groupby(keys, sort=True)
    if not is_time_column(column):
        return groups[column].mean()
    return groups.apply(
        lambda g: km_median(g[column], g[CENSOR_COLUMN] if CENSOR_COLUMN in g else None).median,
        include_groups=False,
    ).rename(column)


def plot_heatmap(
    summary: pd.DataFrame,
    x: str,
    y: str,
    out_path: str | Path,
    columns: list[str] | None = None,
    title: str = "",
) -> Path | None:
    """Heatmaps of each outcome's mean over two swept parameters, a panel per column.

    A grid gives one cell per pair of values (pooled over any other parameters); scattered
    points (lhs, sobol) are drawn as dots coloured by their mean. A time column
    (``time_to_<x>``) is coloured by its Kaplan-Meier median (see
    `sim.analysis.survival.km_median`), blank where fewer than half the runs reached the level.

    Args:
        summary: one row per run, with `x`, `y` and the columns.
        x: swept field path on the x axis.
        y: swept field path on the y axis.
        out_path: the PNG file.
        columns: outcome columns (default `EXPERIMENT_COLUMNS`); missing or all-NaN skipped.
        title: figure title.

    Returns:
        The file written, or None if there was nothing to draw.
    """
    columns = [c for c in (columns or EXPERIMENT_COLUMNS) if _has_values(summary, c)]
    if not columns:
        return None
    grid = max(summary[x].nunique(), summary[y].nunique()) <= MAX_LEVELS
    rows, cols = _panel_grid(len(columns))
    fig, axes = plt.subplots(rows, cols, squeeze=False, figsize=(4.4 * cols, 3.6 * rows))
    try:
        for ax, column in zip(axes.flat, columns, strict=False):
            means = _cell_values(summary, [y, x], column)
            if grid:
                table = means.unstack(x)
                image = ax.imshow(
                    table.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis"
                )
                ax.set_xticks(
                    range(table.shape[1]),
                    [f"{v:g}" if isinstance(v, float) else str(v) for v in table.columns],
                    fontsize="x-small",
                )
                ax.set_yticks(
                    range(table.shape[0]),
                    [f"{v:g}" if isinstance(v, float) else str(v) for v in table.index],
                    fontsize="x-small",
                )
            else:
                flat = means.reset_index()
                image = ax.scatter(flat[x], flat[y], c=flat[column], cmap="viridis", s=25)
            fig.colorbar(image, ax=ax, label=axis_label(column))
            ax.set_xlabel(x)
            ax.set_ylabel(y)
            what = (
                "Kaplan-Meier median (blank: not reached by half)"
                if is_time_column(column)
                else "mean"
            )
            ax.set_title(f"{column}: {what}", fontsize="small")
        for ax in list(axes.flat)[len(columns) :]:
            ax.set_visible(False)
        fig.suptitle(title or "mean over replications")
        fig.tight_layout()
        save_figure(fig, out_path)
    finally:
        plt.close(fig)
    return Path(out_path)


def plot_sweep(
    summary: pd.DataFrame,
    parameters: list[str],
    out_dir: str | Path,
    columns: list[str] | None = None,
    title: str = "",
) -> list[Path]:
    """Write a sweep's figures: outcomes against each parameter, and heatmaps of each pair.

    Files: ``vs_<parameter>.png`` per swept parameter (see `plot_vs_parameter`) and
    ``heatmap_<x>__<y>.png`` per pair of swept parameters (see `plot_heatmap`).

    Args:
        summary: one row per run, with ``point``, the parameters and the outcome columns.
        parameters: the swept field paths.
        out_dir: folder for the PNG files; created if missing.
        columns: outcome columns (default `EXPERIMENT_COLUMNS`).
        title: prefix of every figure title (e.g. the scenario name).

    Returns:
        Paths of the files written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if summary.empty or POINT_COLUMN not in summary.columns:
        return []
    written = []
    for p in parameters:
        path = plot_vs_parameter(
            summary,
            p,
            out_dir / f"vs_{p}.png",
            columns,
            parameters,
            title=f"{title}: mean and 95% CI over replications, by {p}".lstrip(": "),
        )
        if path is not None:
            written.append(path)
    for i, x in enumerate(parameters):
        for y in parameters[i + 1 :]:
            path = plot_heatmap(
                summary,
                x,
                y,
                out_dir / f"heatmap_{x}__{y}.png",
                columns,
                title=f"{title}: mean over replications".lstrip(": "),
            )
            if path is not None:
                written.append(path)
    return written


# ---------------------------------------------------------------------------------------------
# Comparisons
