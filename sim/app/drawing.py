"""The app's pictures as PNG bytes: a tie network, and the curves of the plotted columns.

matplotlib through `matplotlib.figure.Figure` and the Agg canvas only (no pyplot): no global
state, so pages and threads draw independently.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .layout import (
    COMMUNITY_STRONG,
    COMMUNITY_WEAK,
    STRONG,
    STYLE_NAMES,
    WEAK,
    NetworkView,
    tie_styles,
)

TIE_LOOK = {
    WEAK: ("#9a9a9a", 0.5, 0.45),
    STRONG: ("#27408b", 1.1, 0.6),
    COMMUNITY_WEAK: ("#e67e22", 0.6, 0.55),
    COMMUNITY_STRONG: ("#e67e22", 1.4, 0.8),
}
"""Colour, line width and opacity of each tie style."""

SIDE_COLOURS = ("#1f77b4", "#c0392b")
"""Colour of each scenario's curves."""

CMAP = "viridis"
"""Colour map of knowledge (0 to 1)."""

PANELS = (
    ("spread: share aware", ("share_aware",)),
    ("depth: mean mastery", ("mean_depth",)),
    ("redundancy of exposures", ("redundancy",)),
    ("tie mix: weak (solid), strong (dashed)", ("n_weak_ties", "n_strong_ties")),
)
"""The plot panels: title and the columns of `model.rows` drawn in it."""


def png(fig: Figure) -> bytes:
    """A figure as PNG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def network_figure(
    model, view: NetworkView, item: int | None = None, title: str = "", size: float = 5.0
) -> Figure:
    """A model's tie network: learners coloured by knowledge, ties by style.

    Args:
        model: the model.
        view: its drawn learners and their positions.
        item: colour by this item's mastery (None: mean mastery over the items).
        title: the figure's title.
        size: width and height in inches.
    """
    fig = Figure(figsize=(size, size + 0.35), dpi=90)
    ax = fig.add_axes((0.0, 0.07, 1.0, 0.86))
    ax.set_axis_off()
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    i, j, styles = view.ties(model)
    for code, (colour, width, alpha) in TIE_LOOK.items():
        pick = styles == code
        if pick.any():
            segs = np.stack([view.pos[i[pick]], view.pos[j[pick]]], axis=1)
            ax.add_collection(LineCollection(segs, colors=colour, linewidths=width, alpha=alpha))
    n = len(view.nodes)
    dot = max(2.0, min(30.0, 6000.0 / max(n, 1)))
    points = ax.scatter(
        view.pos[:, 0],
        view.pos[:, 1],
        c=view.knowledge(model, item),
        cmap=CMAP,
        vmin=0.0,
        vmax=1.0,
        s=dot,
        edgecolors="white",
        linewidths=0.2,
        zorder=3,
    )
    cax = fig.add_axes((0.15, 0.04, 0.7, 0.022))
    bar = fig.colorbar(points, cax=cax, orientation="horizontal")
    bar.ax.tick_params(labelsize=7)
    what = "mean mastery" if item is None else f"mastery of item {item}"
    bar.set_label(what, fontsize=7, labelpad=1)
    handles = [
        Line2D([], [], color=TIE_LOOK[WEAK][0], lw=1, label="weak"),
        Line2D([], [], color=TIE_LOOK[STRONG][0], lw=2, label="strong"),
        Line2D([], [], color=TIE_LOOK[COMMUNITY_WEAK][0], lw=1.5, label="community"),
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.7)
    sample = f"; a sample of {n:,} of {view.n_agents:,} learners" if view.sampled else ""
    fig.suptitle(title + sample, fontsize=9, y=0.99)
    return fig


def curves_figure(sides: list[tuple[str, list[dict[str, float]]]]) -> Figure:
    """The plotted columns over the steps, one panel each, every scenario overlaid.

    Args:
        sides: per scenario, its name and its `model.rows`.
    """
    fig = Figure(figsize=(10.0, 3.1), dpi=90, layout="constrained")
    axes = fig.subplots(1, len(PANELS))
    for ax, (title, columns) in zip(axes, PANELS, strict=True):
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("step", fontsize=7)
        for (name, rows), colour in zip(sides, SIDE_COLOURS, strict=False):
            steps = [row["step"] for row in rows]
            for column, style in zip(columns, ("-", "--"), strict=False):
                values = [_number(row.get(column)) for row in rows]
                label = name if column == columns[0] else None
                ax.plot(steps, values, style, color=colour, lw=1.3, label=label)
    axes[0].legend(fontsize=7, loc="upper left")
    return fig


def _number(value) -> float:
    """A row's value as a float (NaN when missing: a gap in the curve)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return math.nan
    return x


def tie_counts(model) -> dict[str, int]:
    """Numbers of ties of the whole model by style name (for the page's text)."""
    styles = tie_styles(
        model.ties.strength, model.ties.origin, model.scenario.ties.strong_threshold
    )
    counts = np.bincount(styles, minlength=len(STYLE_NAMES))
    return {name: int(c) for name, c in zip(STYLE_NAMES, counts, strict=True)}
