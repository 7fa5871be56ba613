"""Figures of a sweep: outcomes against each swept parameter, and heatmaps of pairs.

Summary tables in, PNG files out (matplotlib set up by `sim.analysis.plotting`).
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
    color_for,
    save_figure,
)

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
    over replications with its interval.

    Args:
        summary: one row per run, with ``point``, `parameter` and the columns.
        parameter: the swept field path (the x axis label).
        out_path: the PNG file.
        columns: outcome columns (default `EXPERIMENT_COLUMNS`); missing or all-NaN skipped.
        others: the other swept parameters.
        title: figure title.

    Returns:
        The file written, or None if there was nothing to draw.
    """
    columns = [c for c in (columns or EXPERIMENT_COLUMNS) if _has_values(summary, c)]
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
            if levels > MAX_LEVELS:
                table = by_point(summary, [parameter], [column]).sort_values(parameter)
                _errorbar(
                    ax,
                    table[parameter],
                    table["mean"],
                    table["ci_lo"],
                    table["ci_hi"],
                    linestyle="none",
                    color=color_for(column),
                )
            elif series is not None:
                for value, group in summary.groupby(series, sort=True, dropna=False):
                    t = by_value(group, parameter, [column])
                    _errorbar(
                        ax,
                        t[parameter],
                        t["mean"],
                        t["ci_lo"],
                        t["ci_hi"],
                        label=f"{series}={value}",
                    )
                ax.legend(fontsize="x-small")
            else:
                t = by_value(summary, parameter, [column])
                _errorbar(
                    ax, t[parameter], t["mean"], t["ci_lo"], t["ci_hi"], color=color_for(column)
                )
            ax.set_xlabel(parameter)
            ax.set_ylabel(column)
            ax.grid(True, alpha=0.3)
        for ax in list(axes.flat)[len(columns) :]:
            ax.set_visible(False)
        fig.suptitle(title or f"mean and 95% CI over replications, by {parameter}")
        fig.tight_layout()
        save_figure(fig, out_path)
    finally:
        plt.close(fig)
    return Path(out_path)


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
    points (lhs, sobol) are drawn as dots coloured by their mean.

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
            means = summary.groupby([y, x], sort=True)[column].mean()
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
            fig.colorbar(image, ax=ax, label=column)
            ax.set_xlabel(x)
            ax.set_ylabel(y)
            ax.set_title(column, fontsize="small")
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
