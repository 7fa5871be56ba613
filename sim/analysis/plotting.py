"""Figures of a run's time series: mean across replications with a band of their spread.

Tables in, PNG files out. With `sim.analysis.sweep_plots`, the only modules that import
matplotlib; they never import the model.
Every axis label and legend entry is a column name, so a figure says exactly what was recorded.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

# Files only: no display is needed or assumed, so pick the non-interactive backend first.
matplotlib.use("Agg")

import io  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from sim.analysis.comparisons import SCENARIO_COLUMN  # noqa: E402
from sim.analysis.files import write_atomic  # noqa: E402
from sim.analysis.stats import CLASS_SEPARATOR, band, item_classes  # noqa: E402

BAND_LEVEL = 0.9
"""Share of replications inside the shaded band (the central quantile range)."""

COLORS = {
    "share_aware": "tab:blue",
    "mean_depth": "tab:purple",
    "share_deep": "tab:red",
    "redundancy": "tab:gray",
    "n_weak_ties": "tab:orange",
    "n_strong_ties": "tab:green",
    "mean_strength": "tab:brown",
}
"""One colour per metric, the same in every figure."""

CLASS_COLORS = ("tab:cyan", "tab:olive", "tab:pink", "#1b9e77", "#d95f02", "#7570b3", "#e7298a")
"""Colours for per-class lines, given to item classes in sorted order (cycled if more)."""

PANEL_HEIGHT = 3.2
"""Height of one panel, in inches."""

FIGURE_WIDTH = 7.5
"""Width of every figure, in inches."""

DPI = 120
"""Resolution of the written PNG files, in dots per inch."""


def color_for(column: str, classes: list[str] | None = None) -> str | None:
    """The colour of a metric column, or None to let matplotlib choose.

    Args:
        column: column name; a per-class column ``<metric>__<class>`` gets its class's colour.
        classes: item classes that share the class palette (sorted here); defaults to the
            column's own class alone.

    Returns:
        A matplotlib colour, or None for a column without an assigned colour.
    """
    if column in COLORS:
        return COLORS[column]
    if CLASS_SEPARATOR in column:
        item_class = column.split(CLASS_SEPARATOR, 1)[1]
        ordered = sorted(set(classes or []) | {item_class})
        return CLASS_COLORS[ordered.index(item_class) % len(CLASS_COLORS)]
    return None


def _has_values(ts: pd.DataFrame, column: str) -> bool:
    """Whether `column` is in `ts` and has at least one non-NaN value."""
    return column in ts.columns and bool(ts[column].notna().any())


def plot_band(
    ax: Axes,
    ts: pd.DataFrame,
    column: str,
    label: str | None = None,
    color: str | None = None,
    level: float = BAND_LEVEL,
) -> Line2D | None:
    """Draw the mean of `column` across replications and shade the central `level` band.

    Steps where no replication has a value (e.g. a structural metric recorded every k steps)
    are left out, so the line joins the recorded steps.

    Args:
        ax: axes to draw on.
        ts: time-series table, one row per (replication, step).
        column: metric column to draw.
        label: legend entry; defaults to `column`.
        color: line and band colour; defaults to `color_for(column)`.
        level: share of replications inside the shaded band, in (0, 1).

    Returns:
        The mean line, or None (nothing drawn) if `column` is missing or all NaN.
    """
    if not _has_values(ts, column):
        return None
    summary = band(ts, column, level=level).dropna(subset=["mean"])
    (line,) = ax.plot(
        summary.index,
        summary["mean"],
        label=column if label is None else label,
        color=color_for(column) if color is None else color,
        linewidth=1.8,
    )
    ax.fill_between(
        summary.index,
        summary["lo"],
        summary["hi"],
        color=line.get_color(),
        alpha=0.2,
        linewidth=0,
    )
    return line


def _figure_panels(ts: pd.DataFrame) -> dict[str, list[list[str]]]:
    """Columns to draw per figure file stem, one list per panel (stacked, shared x)."""
    classes = [c for c in item_classes(ts, "share_aware") if _has_values(ts, f"share_aware__{c}")]
    spread = ["share_aware"]
    if len(classes) > 1:
        spread += [f"share_aware{CLASS_SEPARATOR}{c}" for c in classes]
    return {
        "spread": [spread],
        "depth": [["mean_depth"], ["share_deep"]],
        "redundancy": [["redundancy"]],
        "ties": [["n_weak_ties", "n_strong_ties"], ["mean_strength"]],
    }


def _band_note(ts: pd.DataFrame, level: float) -> str:
    """Legend title saying what the line and the shading are."""
    n = ts["replication"].nunique() if "replication" in ts.columns else 1
    noun = "replication" if n == 1 else "replications"
    return f"mean, band = central {level:.0%} of {n} {noun}"


def _draw_figure(
    ts: pd.DataFrame, panels: list[list[str]], title: str = "", level: float = BAND_LEVEL
) -> Figure | None:
    """Draw one figure with a panel per non-empty column group; None if nothing to draw."""
    panels = [[c for c in columns if _has_values(ts, c)] for columns in panels]
    panels = [columns for columns in panels if columns]
    if not panels:
        return None
    classes = item_classes(ts, "share_aware")
    fig, axes = plt.subplots(
        len(panels),
        1,
        sharex=True,
        squeeze=False,
        figsize=(FIGURE_WIDTH, PANEL_HEIGHT * len(panels)),
    )
    try:
        note = _band_note(ts, level)
        for ax, columns in zip(axes[:, 0], panels, strict=True):
            for column in columns:
                plot_band(ax, ts, column, color=color_for(column, classes), level=level)
            # Per-class columns are one concept split by class: label the axis by the base.
            base = [c for c in columns if CLASS_SEPARATOR not in c] or columns
            ax.set_ylabel(", ".join(base))
            if all(c.startswith("share_") for c in columns):
                ax.set_ylim(-0.02, 1.02)
            ax.grid(True, alpha=0.3)
            ax.legend(title=note, fontsize="small", title_fontsize="small", loc="best")
        axes[-1, 0].set_xlabel("step")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    except BaseException:
        plt.close(fig)
        raise
    return fig


def plot_run(
    ts: pd.DataFrame, out_dir: str | Path, title: str = "", level: float = BAND_LEVEL
) -> list[Path]:
    """Write the standard figures of one run (all its replications) as PNG files.

    Files: ``spread.png`` (share_aware, plus ``share_aware__<class>`` when there is more than
    one item class), ``depth.png`` (mean_depth; share_deep), ``redundancy.png``
    (redundancy) and ``ties.png`` (n_weak_ties and n_strong_ties; mean_strength). Each line is
    the mean across replications with the central `level` band shaded. A column that is
    missing or all NaN is left out; a figure left with nothing to draw is not written.

    Args:
        ts: time-series table, one row per (replication, step).
        out_dir: folder for the PNG files; created if missing.
        title: title put above every figure (e.g. the scenario name); none if empty.
        level: share of replications inside the shaded band, in (0, 1).

    Returns:
        Paths of the files written, in the order listed above.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, panels in _figure_panels(ts).items():
        fig = _draw_figure(ts, panels, title=title, level=level)
        if fig is None:
            continue
        try:
            path = out_dir / f"{stem}.png"
            save_figure(fig, path)
            written.append(path)
        finally:
            plt.close(fig)
    return written


def save_figure(fig: Figure, path: str | Path) -> None:
    """Write a figure as PNG atomically (rendered in memory, then written in one go)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format="png")
    write_atomic(Path(path), buffer.getvalue())


# ---------------------------------------------------------------------------------------------
# Sweeps

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


def plot_compare(
    ts: pd.DataFrame,
    out_dir: str | Path,
    order: list[str] | None = None,
    by: str = SCENARIO_COLUMN,
    level: float = BAND_LEVEL,
) -> list[Path]:
    """Write overlay figures of compared scenarios: one line and band per scenario.

    Files: ``spread.png`` (share_aware), ``depth.png`` (mean_depth; share_deep),
    ``redundancy.png`` and ``ties.png`` (n_weak_ties; n_strong_ties). Each line is the mean
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
        panels = [[c for c in cols if _has_values(ts, c)] for cols in panels]
        panels = [cols for cols in panels if cols]
        if not panels:
            continue
        fig, axes = plt.subplots(
            len(panels),
            1,
            sharex=True,
            squeeze=False,
            figsize=(FIGURE_WIDTH, PANEL_HEIGHT * len(panels)),
        )
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
                ax.set_ylabel(", ".join(cols))
                if all(c.startswith("share_") for c in cols):
                    ax.set_ylim(-0.02, 1.02)
                ax.grid(True, alpha=0.3)
                n = ts["replication"].nunique() if "replication" in ts.columns else 1
                ax.legend(
                    title=f"mean, band = central {level:.0%} of {n} replications",
                    fontsize="small",
                    title_fontsize="small",
                    loc="best",
                )
            axes[-1, 0].set_xlabel("step")
            fig.suptitle(" vs ".join(str(o) for o in order))
            fig.tight_layout()
            path = out_dir / f"{stem}.png"
            save_figure(fig, path)
            written.append(path)
        finally:
            plt.close(fig)
    return written


# ---------------------------------------------------------------------------------------------
# Tie removal (Onnela et al. 2007)


def plot_removal(curves: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Largest component against the share of ties removed, weakest-first and strongest-first.

    Args:
        curves: rows of `sim.analysis.structure.removal_curve`, possibly from several
            replications and scenarios (columns `order`, `fraction_removed`,
            `share_largest_component`, and optionally `scenario`); the mean over
            replications is drawn with its range.
        path: the PNG to write.
        title: figure title.
    """
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, PANEL_HEIGHT))
    groups = ["scenario", "order"] if "scenario" in curves.columns else ["order"]
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colors: dict[object, str] = {}
    for key, part in curves.groupby(groups, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        stats = part.groupby("fraction_removed")["share_largest_component"].agg(
            ["mean", "min", "max"]
        )
        label = " ".join(str(k) for k in key)
        style = "-" if key[-1] == "weak_first" else "--"
        # One colour per scenario; the line style tells the order.
        owner = key[0] if len(key) > 1 else None
        color = colors.setdefault(owner, palette[len(colors) % len(palette)])
        ax.plot(stats.index, stats["mean"], style, color=color, label=label)
        ax.fill_between(
            stats.index, stats["min"], stats["max"], color=color, alpha=0.15, linewidth=0
        )
    ax.set_xlabel("fraction_removed")
    ax.set_ylabel("share_largest_component")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="mean, band = range over replications", title_fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
    return Path(path)
