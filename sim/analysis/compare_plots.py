"""Figures that set scenarios side by side: overlaid curves, final outcomes, tie removal.

Tables in, PNG files out; the helpers and axis labels are those of `sim.analysis.plotting`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis.comparisons import OUTCOME_COLUMNS, SCENARIO_COLUMN
from sim.analysis.plotting import (
    BAND_LEVEL,
    FIGURE_NOTES,
    _has_values,
    add_note,
    axis_label,
    drawable_panels,
    plot_band,
    save_figure,
    stacked_axes,
)
from sim.analysis.stats import _t_halfwidth

SCENARIO_COLORS = (
    "tab:blue",
    "tab:orange",
    "tab:green",
    "tab:red",
    "tab:purple",
    "tab:brown",
    "tab:pink",
    "tab:gray",
    "tab:olive",
    "tab:cyan",
)
"""One colour per compared scenario, in the order given on the command line."""


COMPARE_FIGURES = {
    "spread": [["share_aware"]],
    "depth": [["mean_depth"], ["share_deep"]],
    "redundancy": [["redundancy"]],
    "ties": [["n_weak_ties"], ["n_strong_ties"]],
}
"""Overlay figures of a comparison: file stem -> panels -> columns."""


LEGEND_INSIDE_MAX = 3
"""Most scenarios whose legend goes inside the panel; with more it goes beside it."""

TITLE_MAX = 70
"""Longest figure title naming the scenarios; a longer one counts them instead."""


def compare_title(order: list[str]) -> str:
    """``a vs b vs c``, or ``6 scenarios`` when that would not fit the figure."""
    title = " vs ".join(str(o) for o in order)
    return title if len(title) <= TITLE_MAX else f"{len(order)} scenarios"


def plot_compare(
    ts: pd.DataFrame,
    out_dir: str | Path,
    order: list[str] | None = None,
    by: str = SCENARIO_COLUMN,
    level: float = BAND_LEVEL,
) -> list[Path]:
    """Write overlay figures of compared scenarios: one line and band per scenario.

    Files: ``spread.png`` (share_aware), ``depth.png`` (mean_depth; share_deep; with
    `DEPTH_NOTE` under it), ``redundancy.png`` and ``ties.png`` (n_weak_ties; n_strong_ties).
    The final outcomes per scenario are `plot_outcomes`. Each line is the mean
    over replications with the central `level` band shaded.

    Args:
        ts: time-series table with a `by` column.
        out_dir: folder for the PNG files; created if missing.
        order: scenarios in legend order (default: table order).
        by: the column naming the scenario.
        level: share of replications inside the shaded band, in (0, 1).

    Returns:
        Paths of the files written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    order = order or list(dict.fromkeys(ts[by]))
    groups = {name: ts[ts[by] == name] for name in order}
    written = []
    for stem, panels in COMPARE_FIGURES.items():
        panels = drawable_panels(ts, panels)
        if not panels:
            continue
        fig, axes = stacked_axes(len(panels))
        try:
            for ax, cols in zip(axes[:, 0], panels, strict=True):
                for column in cols:
                    for i, (name, group) in enumerate(groups.items()):
                        plot_band(
                            ax,
                            group,
                            column,
                            label=str(name),
                            color=SCENARIO_COLORS[i % len(SCENARIO_COLORS)],
                            level=level,
                        )
                ax.set_ylabel(axis_label(cols))
                if all(c.startswith("share_") for c in cols):
                    ax.set_ylim(-0.02, 1.02)
                ax.grid(True, alpha=0.3)
                n = ts["replication"].nunique() if "replication" in ts.columns else 1
                # Beyond a few scenarios the legend would hide curves: put it beside them.
                beside = len(groups) > LEGEND_INSIDE_MAX
                ax.legend(
                    title=f"mean, band = central {level:.0%}\nof {n} replications",
                    fontsize="small",
                    title_fontsize="small",
                    loc="upper left" if beside else "best",
                    bbox_to_anchor=(1.02, 1.0) if beside else None,
                )
            axes[-1, 0].set_xlabel(axis_label("step"))
            fig.suptitle(compare_title(order))
            fig.tight_layout()
            if stem in FIGURE_NOTES:
                add_note(fig, FIGURE_NOTES[stem])
            path = out_dir / f"{stem}.png"
            save_figure(fig, path)
            written.append(path)
        finally:
            plt.close(fig)
    return written


OUTCOMES_FILE = "outcomes.png"
"""File name of a comparison's final outcomes per scenario (`plot_outcomes`)."""


def plot_outcomes(
    summary: pd.DataFrame,
    path: str | Path,
    order: list[str] | None = None,
    by: str = SCENARIO_COLUMN,
    columns: list[str] | None = None,
    confidence: float = 0.95,
) -> Path | None:
    """Final outcomes per compared scenario: mean and t interval over replications.

    One panel per outcome (default `OUTCOME_COLUMNS`; missing or all-NaN ones skipped),
    scenarios on the x axis in `order`. Each scenario shows its replications' values as
    small grey dots and their mean with the `confidence` t interval,
    mean ± t_{(1+c)/2, n-1} sd / sqrt(n) over the n non-NaN values (no bar with n < 2).

    Args:
        summary: one row per run (a comparison's summary.csv), with `by` and the columns.
        path: the PNG file.
        order: scenarios from left to right (default: table order).
        by: the column naming the scenario.
        columns: outcome columns.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        The file written, or None if there was nothing to draw.
    """
    columns = [c for c in (columns or OUTCOME_COLUMNS) if _has_values(summary, c)]
    if not columns or by not in summary.columns:
        return None
    order = [o for o in (order or list(dict.fromkeys(summary[by]))) if o in set(summary[by])]
    n_cols = min(len(columns), 3)
    n_rows = -(-len(columns) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False, figsize=(4.2 * n_cols, 3.4 * n_rows))
    try:
        x = np.arange(len(order))
        jitter = np.random.default_rng(0).uniform(-0.12, 0.12, size=len(summary))
        for ax, column in zip(axes.flat, columns, strict=False):
            means, halves = [], []
            for i, name in enumerate(order):
                values = summary.loc[summary[by] == name, column].astype(float).dropna()
                ax.plot(i + jitter[: len(values)], values, "o", color="0.6", markersize=3, zorder=1)
                sd = values.std(ddof=1) if len(values) >= 2 else np.nan
                means.append(values.mean() if len(values) else np.nan)
                halves.append(_t_halfwidth(np.array([sd]), np.array([len(values)]), confidence)[0])
            colors = [SCENARIO_COLORS[i % len(SCENARIO_COLORS)] for i in range(len(order))]
            for i in range(len(order)):
                ax.errorbar(
                    x[i],
                    means[i],
                    yerr=np.nan_to_num([halves[i]]),
                    fmt="s",
                    color=colors[i],
                    capsize=5,
                    markersize=7,
                    zorder=2,
                )
            ax.set_xticks(x, [str(o) for o in order], rotation=20, ha="right", fontsize="small")
            ax.set_ylabel(axis_label(column), fontsize="small")
            ax.grid(True, axis="y", alpha=0.3)
            ax.set_xlim(-0.5, len(order) - 0.5)
        for ax in list(axes.flat)[len(columns) :]:
            ax.set_visible(False)
        n = summary.groupby(by)["replication"].nunique().max() if "replication" in summary else 0
        fig.suptitle(
            f"final outcomes: mean and {confidence:.0%} t interval over {n} replications "
            "(dots: replications)"
        )
        fig.tight_layout()
        save_figure(fig, path)
    finally:
        plt.close(fig)
    return Path(path)


ORDER_STYLES = {
    "weak_first": "-",
    "strong_first": "--",
    "low_overlap_first": "-.",
    "high_overlap_first": ":",
}
"""Line style of each removal order (`sim.analysis.structure.ALL_ORDERS`)."""


def plot_removal(
    curves: pd.DataFrame,
    path: str | Path,
    title: str = "",
    columns: tuple[str, ...] = ("share_largest_component",),
) -> Path:
    """Largest component (and more) against the share of ties removed, per removal order.

    Args:
        curves: rows of `sim.analysis.structure.removal_curve`, possibly from several
            replications and scenarios (columns `order`, `fraction_removed`, the `columns`,
            and optionally `scenario`); the mean over replications is drawn with its range.
        path: the PNG to write.
        title: figure title.
        columns: one panel each, e.g. ``("share_largest_component", "susceptibility")``.
    """
    fig, axes = stacked_axes(len(columns))
    groups = ["scenario", "order"] if "scenario" in curves.columns else ["order"]
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colors: dict[object, str] = {}
    if "on_grid" in curves.columns:  # refined rows near the peak differ per replication
        curves = curves[curves["on_grid"]]
    for key, part in curves.groupby(groups, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        label = " ".join(str(k) for k in key)
        # One colour per scenario (per order without scenarios); the line style tells the order.
        owner = key[0] if len(key) > 1 else key[-1]
        color = colors.setdefault(owner, palette[len(colors) % len(palette)])
        for ax, column in zip(axes[:, 0], columns, strict=True):
            stats = part.groupby("fraction_removed")[column].agg(["mean", "min", "max"])
            style = ORDER_STYLES.get(str(key[-1]), "-")
            ax.plot(stats.index, stats["mean"], style, color=color, label=label)
            ax.fill_between(
                stats.index, stats["min"], stats["max"], color=color, alpha=0.15, linewidth=0
            )
    for ax, column in zip(axes[:, 0], columns, strict=True):
        ax.set_ylabel(axis_label(column))
        if column.startswith("share_"):
            ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(axis_label("fraction_removed"))
    axes[0, 0].legend(fontsize=8, title="mean, band = range over replications", title_fontsize=8)
    if title:
        axes[0, 0].set_title(title)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
    return Path(path)
