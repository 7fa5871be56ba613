"""Figures of the outputs by group and by learner (``groups.png``, ``learners.png``).

Drawn from the saved tables (``groups.parquet``, ``learners.parquet``; `sim.metrics.groups`,
`sim.metrics.learners`), for a single scenario's results folder.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis.plotting import BAND_LEVEL, add_note, save_figure
from sim.analysis.stats import band

MAX_BANDED_GROUPS = 8
"""Above this many groups in a grouping, each group is one thin line (no band)."""

GROUP_PANELS = [("share_aware", "share of (learner, item) pairs aware"), ("mean_depth", "mastery")]


def plot_groups(groups: pd.DataFrame, path: str | Path, title: str = "") -> Path | None:
    """Spread and depth per group over time: one column of panels per grouping.

    Each line is a group's mean over replications; with at most `MAX_BANDED_GROUPS` groups
    the central `BAND_LEVEL` band of the replications is shaded. None (no file) when the
    table has no rows.
    """
    if groups.empty:
        return None
    groupings = list(dict.fromkeys(groups["grouping"]))
    fig, axes = plt.subplots(
        len(GROUP_PANELS), len(groupings), figsize=(5.5 * len(groupings), 7.5), squeeze=False
    )
    try:
        for col, grouping in enumerate(groupings):
            part = groups[groups["grouping"] == grouping]
            labels = list(dict.fromkeys(part["group"]))
            for row, (metric, unit) in enumerate(GROUP_PANELS):
                ax = axes[row, col]
                _group_lines(ax, part, labels, metric)
                ax.set_title(f"{metric} by {grouping}", fontsize=10)
                ax.set_xlabel("step")
                ax.set_ylabel(unit)
                if len(labels) <= MAX_BANDED_GROUPS:
                    ax.legend(fontsize=8, loc="best")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        many = any(groups[groups["grouping"] == g]["group"].nunique() > MAX_BANDED_GROUPS
                   for g in groupings)  # fmt: skip
        note = f"Lines: mean over replications; shaded: central {BAND_LEVEL:.0%} of them."
        if many:
            note += f" Groupings with more than {MAX_BANDED_GROUPS} groups: one thin line each."
        _note(fig, note)
        save_figure(fig, path)
    finally:
        plt.close(fig)
    return Path(path)


def _group_lines(ax, part: pd.DataFrame, labels: list[str], metric: str) -> None:
    banded = len(labels) <= MAX_BANDED_GROUPS
    for label in labels:
        rows = part[part["group"] == label]
        b = band(rows, metric, BAND_LEVEL)
        if banded:
            (line,) = ax.plot(b.index, b["mean"], label=str(label))
            ax.fill_between(b.index, b["lo"], b["hi"], color=line.get_color(), alpha=0.2)
        else:
            ax.plot(b.index, b["mean"], lw=0.8, alpha=0.7)


def plot_learners(learners: pd.DataFrame, path: str | Path, title: str = "") -> Path | None:
    """Learners at the last step: crowding out, and who does the helping.

    Left, each learner's strong ties against the weak-tie contacts the time budget cut;
    right, the Lorenz curve of the answers given. None (no file) when the table has no rows.
    """
    if learners.empty:
        return None
    last = learners[learners["step"] == learners["step"].max()]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    try:
        _strong_vs_cut(left, last)
        _lorenz(right, last)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        _note(
            fig,
            f"Step {int(last['step'].iloc[0])}, every learner of every replication. Left: "
            "weak-tie shares and answers a learner had no time for (its time budget was full), "
            "by its strong ties; dots jittered, line: mean per number of strong ties. Right: "
            "share of all answers given by the least helpful x share of learners, per "
            "replication (grey) and pooled (black).",
        )
        save_figure(fig, path)
    finally:
        plt.close(fig)
    return Path(path)


def _note(fig, note: str) -> None:
    """`add_note`, wrapped to the figure's width."""
    add_note(fig, textwrap.fill(note, width=int(fig.get_figwidth() * 19)))


def _strong_vs_cut(ax, last: pd.DataFrame) -> None:
    ax.set_xlabel("strong ties")
    ax.set_ylabel("weak-tie shares and answers without time (no_time_weak)")
    ax.set_title("Do strong ties crowd out weak ones?", fontsize=10)
    if not last["no_time_weak"].any():
        text = "the time budget never cut a weak-tie contact\n(no time budget, or it never bound)"
        ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9)
        return
    rng = np.random.default_rng(0)  # jitter only: the figure is the same every time
    x = last["n_strong_ties"].to_numpy(dtype=float)
    y = last["no_time_weak"].to_numpy(dtype=float)
    ax.scatter(x + rng.uniform(-0.25, 0.25, len(x)), y, s=4, alpha=0.25, color="tab:blue")
    means = last.groupby("n_strong_ties")["no_time_weak"].mean()
    ax.plot(means.index, means.to_numpy(), color="black", lw=1.5, label="mean")
    ax.legend(fontsize=8)


def _lorenz(ax, last: pd.DataFrame) -> None:
    for _, rows in last.groupby("replication"):
        xs, ys = lorenz_curve(rows["answers_given"].to_numpy())
        ax.plot(xs, ys, color="grey", lw=0.6, alpha=0.4)
    xs, ys = lorenz_curve(last["answers_given"].to_numpy())
    ax.plot(xs, ys, color="black", lw=1.5, label="pooled")
    ax.plot([0, 1], [0, 1], ls=":", color="grey", label="equal helping")
    ax.set_xlabel("share of learners (least helpful first)")
    ax.set_ylabel("share of answers given")
    ax.set_title("Who does the helping?", fontsize=10)
    ax.legend(fontsize=8)


def lorenz_curve(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points of the Lorenz curve of non-negative values (from (0, 0) to (1, 1)).

    A flat line at 0 when every value is 0 (nothing to share out).
    """
    v = np.sort(np.asarray(values, dtype=float))
    xs = np.linspace(0.0, 1.0, len(v) + 1)
    total = v.sum()
    ys = np.concatenate([[0.0], np.cumsum(v) / total]) if total > 0 else np.zeros(len(v) + 1)
    return xs, ys
