"""Figures of a run's time series: mean across replications with a band of their spread.

Tables in, PNG files out. With `sim.analysis.compare_plots` and `sim.analysis.sweep_plots`,
the only modules that import matplotlib; they never import the model.
Every axis label says in words what is drawn, with its unit, and keeps the column name in
view (one mapping, `LABELS`, used by every figure), so one name stays one concept.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

# Files only: no display is needed or assumed, so pick the non-interactive backend first.
matplotlib.use("Agg")

import io  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from sim.analysis.files import write_atomic  # noqa: E402
from sim.analysis.stats import CLASS_SEPARATOR, band, item_classes  # noqa: E402
from sim.rules.events import CORRECTION_CHANNELS  # noqa: E402

PAIRS = "share of learner-item pairs"
"""Unit of the shares over (learner, item) pairs."""

STEPS = "steps, one a day"
"""Unit of times to an event."""

LABELS: dict[str, tuple[str, str]] = {
    "step": ("step", "days"),
    "share_aware": ("share aware", PAIRS),
    "mean_depth": ("mean depth among aware pairs", "mastery, 0 to 1"),
    "share_deep": ("share at deep mastery", PAIRS),
    "redundancy": ("redundant share of the step's exposures", "share of exposures"),
    "redundancy_total": ("redundant share of exposures over the run", "share of exposures"),
    "redundancy_to_50": ("redundant share of exposures until 50 % aware", "share of exposures"),
    "redundancy_to_90": ("redundant share of exposures until 90 % aware", "share of exposures"),
    "n_weak_ties": ("weak ties", "count"),
    "n_strong_ties": ("strong ties", "count"),
    "mean_strength": ("mean tie strength", "0 to 1"),
    "share_gain_via_weak": ("share of tie-borne gains via weak ties", "share of mastery gained"),
    "share_novel_via_weak": ("share of novel exposures via weak ties", "share of exposures"),
    "time_to_50": ("time to 50 % aware", STEPS),
    "time_to_90": ("time to 90 % aware", STEPS),
    "fraction_removed": ("ties removed", "share of ties"),
    "share_largest_component": ("largest component", "share of learners"),
    "susceptibility": ("susceptibility", "learners"),
    "share_misinformed": ("share of (learner, misconception) pairs held", "share of pairs"),
    "peak_share_misinformed": ("largest share misinformed", "share of pairs"),
    # One word for the three, so that their shared axis is labelled once (legend: channels).
    "corrections_tie": ("learners corrected", "learners / step"),
    "corrections_community": ("learners corrected", "learners / step"),
    "corrections_repository": ("learners corrected", "learners / step"),
}
"""Column -> (what it is in words, its unit): the axis labels of every figure. A per-class
column ``<metric>__<class>`` takes its metric's entry."""

DEPTH_NOTE = (
    "mean_depth averages mastery over aware learner-item pairs only: early in a run these are "
    "mostly the seed holders,\nseeded at their full level, so it starts high and falls as "
    "newcomers with shallow mastery join (it is not depth among non-seeded pairs)."
)
"""Note printed under every depth-over-time figure."""

FIGURE_NOTES = {"depth": DEPTH_NOTE}
"""Figure file stem -> note printed under it."""


def label_for(column: str) -> str:
    """One-line label of a column: words, then the column name and unit in parentheses.

    Args:
        column: a column name; ``<metric>__<class>`` is labelled as its metric, for the class.

    Returns:
        E.g. ``"share aware (share_aware; share of learner-item pairs)"``, ``"step (days)"``
        (words that are the column name are not repeated); the bare name if it is not in
        `LABELS`.
    """
    base, _, item_class = str(column).partition(CLASS_SEPARATOR)
    if base not in LABELS:
        return str(column)
    words, unit = LABELS[base]
    if item_class:
        words = f"{words}, {item_class}"
    if words == column:
        return f"{column} ({unit})"
    return f"{words} ({column}; {unit})"


def axis_label(columns: list[str] | str) -> str:
    """Axis label of one or more columns drawn on the same axis, on two lines if long.

    Columns sharing a unit are named together, the words on the first line and the column
    names with the unit on the second (``weak ties, strong ties`` / ``(n_weak_ties,
    n_strong_ties; count)``); otherwise each column's `label_for` is joined with ``"; "``.

    Args:
        columns: a column name, or the columns of one axis.

    Returns:
        The label text.
    """
    columns = [columns] if isinstance(columns, str) else list(columns)
    bases = [c.partition(CLASS_SEPARATOR)[0] for c in columns]
    if not all(b in LABELS for b in bases):
        return "; ".join(label_for(c) for c in columns)
    units = {LABELS[b][1] for b in bases}
    if len(units) > 1:
        return "; ".join(label_for(c) for c in columns)
    if columns == ["step"]:
        return label_for("step")
    words = ", ".join(dict.fromkeys(LABELS[b][0] for b in bases))
    detail = f"({', '.join(columns)}; {units.pop()})"
    # A panel is PANEL_HEIGHT inches high: break the second line where it would not fit.
    return "\n".join([words, *textwrap.wrap(detail, LABEL_WIDTH, break_on_hyphens=False)])


LABEL_WIDTH = 36
"""Characters per line of an axis label's column-and-unit line (it fits a panel's height)."""


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


def drawable_panels(ts: pd.DataFrame, panels: list[list[str]]) -> list[list[str]]:
    """The panels' columns that have values in `ts`, without the panels left empty."""
    kept = [[c for c in columns if _has_values(ts, c)] for columns in panels]
    return [columns for columns in kept if columns]


def stacked_axes(n_panels: int) -> tuple[Figure, np.ndarray]:
    """A figure of `n_panels` panels stacked over one shared time axis."""
    return plt.subplots(
        n_panels,
        1,
        sharex=True,
        squeeze=False,
        figsize=(FIGURE_WIDTH, PANEL_HEIGHT * n_panels),
    )


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
    panels = {
        "spread": [spread],
        "depth": [["mean_depth"], ["share_deep"]],
        "redundancy": [["redundancy"]],
        "ties": [["n_weak_ties", "n_strong_ties"], ["mean_strength"]],
    }
    if has_misconceptions(ts):
        corrections = [f"corrections_{c}" for c in CORRECTION_CHANNELS]
        panels["misinformation"] = [["share_misinformed"], corrections]
    return panels


def has_misconceptions(table: pd.DataFrame) -> bool:
    """Whether a time-series or summary table comes from runs with misconceptions."""
    column = table.get("share_misinformed")
    return column is not None and bool((column > 0).any())


def _band_note(ts: pd.DataFrame, level: float) -> str:
    """Legend title saying what the line and the shading are."""
    n = ts["replication"].nunique() if "replication" in ts.columns else 1
    noun = "replication" if n == 1 else "replications"
    return f"mean, band = central {level:.0%} of {n} {noun}"


def add_note(fig: Figure, note: str) -> None:
    """Print `note` in small type under the panels of `fig` (call after tight_layout)."""
    lines = note.count("\n") + 1
    bottom = (0.14 * lines + 0.1) / fig.get_figheight()
    fig.subplots_adjust(bottom=fig.subplotpars.bottom + bottom)
    fig.text(0.01, 0.01, note, fontsize="x-small", va="bottom", ha="left", color="0.3")


def _draw_figure(
    ts: pd.DataFrame,
    panels: list[list[str]],
    title: str = "",
    level: float = BAND_LEVEL,
    note: str = "",
) -> Figure | None:
    """Draw one figure with a panel per non-empty column group; None if nothing to draw.

    `note`, if given, is printed in small type under the panels.
    """
    panels = drawable_panels(ts, panels)
    if not panels:
        return None
    classes = item_classes(ts, "share_aware")
    fig, axes = stacked_axes(len(panels))
    try:
        band_note = _band_note(ts, level)
        for ax, columns in zip(axes[:, 0], panels, strict=True):
            for column in columns:
                plot_band(ax, ts, column, color=color_for(column, classes), level=level)
            # Per-class columns are one concept split by class: label the axis by the base.
            base = [c for c in columns if CLASS_SEPARATOR not in c] or columns
            ax.set_ylabel(axis_label(base))
            if all(c.startswith("share_") for c in columns):
                ax.set_ylim(-0.02, 1.02)
            ax.grid(True, alpha=0.3)
            ax.legend(title=band_note, fontsize="small", title_fontsize="small", loc="best")
        axes[-1, 0].set_xlabel(axis_label("step"))
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        if note:
            add_note(fig, note)
    except BaseException:
        plt.close(fig)
        raise
    return fig


def plot_run(
    ts: pd.DataFrame, out_dir: str | Path, title: str = "", level: float = BAND_LEVEL
) -> list[Path]:
    """Write the standard figures of one run (all its replications) as PNG files.

    Files: ``spread.png`` (share_aware, plus ``share_aware__<class>`` when there is more than
    one item class), ``depth.png`` (mean_depth; share_deep; with `DEPTH_NOTE` under it),
    ``redundancy.png`` (redundancy), ``ties.png`` (n_weak_ties and n_strong_ties;
    mean_strength) and, for runs with misconceptions, ``misinformation.png``
    (share_misinformed; the corrections by channel). Each line is the mean across
    replications with the central `level` band shaded. A column that is missing or all NaN
    is left out; a figure left with nothing to draw is not written.

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
        fig = _draw_figure(ts, panels, title=title, level=level, note=FIGURE_NOTES.get(stem, ""))
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


# ---------------------------------------------------------------------------------------------
# Tie removal (Onnela et al. 2007)
