"""Tests for sim.analysis.plotting: run figures are written, valid, robust to gaps, leak-free."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from sim.analysis.plotting import (
    COLORS,
    DEPTH_NOTE,
    LABEL_WIDTH,
    _draw_figure,
    _figure_panels,
    axis_label,
    color_for,
    plot_band,
    plot_run,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STEMS = ["spread", "depth", "redundancy", "ties"]


def make_ts(n_replications: int = 3, n_steps: int = 6) -> pd.DataFrame:
    """A contract-shaped table: every plotted column present, two item classes."""
    rows = []
    for r in range(n_replications):
        for t in range(n_steps):
            share = min(1.0, 0.15 * t * (1 + 0.2 * r))
            rows.append(
                {
                    "replication": r,
                    "seed": 10 + r,
                    "step": t,
                    "share_aware": share,
                    "share_aware__facts": min(1.0, 1.2 * share),
                    "share_aware__practices": 0.6 * share,
                    "mean_depth": 0.2 + 0.05 * t,
                    "share_deep": 0.02 * t * r,
                    "redundancy": np.nan if t == 0 else 0.2 + 0.05 * r,
                    "n_weak_ties": 40.0 - t + r,
                    "n_strong_ties": 5.0 + t,
                    "mean_strength": 0.3 + 0.02 * t,
                    "clustering": 0.4 if t % 3 == 0 else np.nan,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(autouse=True)
def no_open_figures():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a test left figures open"


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 5_000  # a drawn figure, not an empty canvas


def test_plot_run_writes_four_valid_pngs_and_closes_figures(tmp_path):
    out = tmp_path / "figures" / "nested"  # created on demand
    paths = plot_run(make_ts(), out, title="test run")
    assert paths == [out / f"{stem}.png" for stem in STEMS]
    for path in paths:
        assert_png(path)
    assert plt.get_fignums() == []


def test_plot_run_skips_an_all_nan_figure(tmp_path):
    ts = make_ts().assign(redundancy=np.nan)
    paths = plot_run(ts, tmp_path)
    assert [p.stem for p in paths] == ["spread", "depth", "ties"]
    assert not (tmp_path / "redundancy.png").exists()
    for path in paths:
        assert_png(path)


def test_plot_run_survives_missing_columns(tmp_path):
    ts = make_ts().drop(columns=["mean_strength", "share_deep", "share_aware__practices"])
    paths = plot_run(ts, tmp_path)
    assert [p.stem for p in paths] == STEMS
    for path in paths:
        assert_png(path)


def test_plot_run_with_nothing_to_draw_writes_nothing(tmp_path):
    ts = make_ts()[["replication", "seed", "step"]]
    assert plot_run(ts, tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_plot_run_single_replication(tmp_path):
    paths = plot_run(make_ts(n_replications=1), tmp_path)
    assert len(paths) == 4


def test_plot_band_draws_mean_and_central_band():
    ts = make_ts()
    fig, ax = plt.subplots()
    try:
        line = plot_band(ax, ts, "n_strong_ties", color="red")
        assert line is not None
        assert line.get_label() == "n_strong_ties"
        assert line.get_color() == "red"
        assert list(line.get_xdata()) == [0, 1, 2, 3, 4, 5]
        assert list(line.get_ydata()) == [5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(bands) == 1
        # n_weak_ties spans r = 0..2 at each step: the 5%..95% band is 40-t+0.1 .. 40-t+1.9.
        plot_band(ax, ts, "n_weak_ties")
        vertices = ax.collections[-1].get_paths()[0].vertices
        at_step0 = sorted(round(y, 9) for x, y in vertices if x == 0)
        assert at_step0[0] == pytest.approx(40.1) and at_step0[-1] == pytest.approx(41.9)
    finally:
        plt.close(fig)


def test_plot_band_default_label_and_color_come_from_the_column():
    fig, ax = plt.subplots()
    try:
        line = plot_band(ax, make_ts(), "share_aware")
        assert line.get_label() == "share_aware"
        assert line.get_color() == COLORS["share_aware"]
        other = plot_band(ax, make_ts(), "share_aware", label="custom")
        assert other.get_label() == "custom"
    finally:
        plt.close(fig)


def test_plot_band_skips_missing_and_all_nan_columns():
    ts = make_ts().assign(redundancy=np.nan)
    fig, ax = plt.subplots()
    try:
        assert plot_band(ax, ts, "redundancy") is None
        assert plot_band(ax, ts, "not_a_column") is None
        assert len(ax.lines) == 0 and len(ax.collections) == 0
    finally:
        plt.close(fig)


def test_plot_band_joins_steps_recorded_every_k():
    fig, ax = plt.subplots()
    try:
        line = plot_band(ax, make_ts(), "clustering")
        assert list(line.get_xdata()) == [0, 3]
    finally:
        plt.close(fig)


def test_per_class_lines_only_with_more_than_one_class():
    ts = make_ts()
    assert _figure_panels(ts)["spread"] == [
        ["share_aware", "share_aware__facts", "share_aware__practices"]
    ]
    one_class = ts.drop(columns=["share_aware__practices"])
    assert _figure_panels(one_class)["spread"] == [["share_aware"]]


def test_figure_labels_are_column_names_and_say_what_the_band_is():
    ts = make_ts()
    fig = _draw_figure(ts, _figure_panels(ts)["ties"])
    try:
        top, bottom = fig.axes
        assert top.get_ylabel() == axis_label(["n_weak_ties", "n_strong_ties"])
        assert top.get_ylabel() == "weak ties, strong ties\n(n_weak_ties, n_strong_ties; count)"
        assert bottom.get_ylabel() == "mean tie strength\n(mean_strength; 0 to 1)"
        assert bottom.get_xlabel() == "step (days)"
        note = top.get_legend().get_title().get_text()
        assert note == "mean, band = central 90% of 3 replications"
        labels = [t.get_text() for t in top.get_legend().get_texts()]
        assert labels == ["n_weak_ties", "n_strong_ties"]
    finally:
        plt.close(fig)


def test_spread_axis_is_labelled_by_the_base_metric():
    ts = make_ts()
    fig = _draw_figure(ts, _figure_panels(ts)["spread"])
    try:
        assert fig.axes[0].get_ylabel() == axis_label("share_aware")
        assert "share_aware" in fig.axes[0].get_ylabel()
        assert "share_aware__facts" not in fig.axes[0].get_ylabel()
    finally:
        plt.close(fig)


def test_a_long_axis_label_is_broken_to_fit_the_panel():
    # "(share_aware; share of learner-item pairs)" is 42 characters: wider than a panel is
    # high, so it is broken between words, and nothing is lost.
    label = axis_label("share_aware")
    lines = label.split("\n")
    assert lines[0] == "share aware" and len(lines) == 3
    assert all(len(line) <= LABEL_WIDTH for line in lines[1:])
    assert " ".join(lines[1:]) == "(share_aware; share of learner-item pairs)"


def test_class_colors_are_stable_and_distinct():
    classes = ["practices", "facts"]
    facts = color_for("share_aware__facts", classes)
    practices = color_for("share_aware__practices", classes)
    assert facts != practices
    assert facts == color_for("mean_depth__facts", ["facts", "practices"])
    assert color_for("share_aware") == COLORS["share_aware"]


def test_plot_removal_writes_a_png(tmp_path):
    import numpy as np

    from sim.analysis.compare_plots import plot_removal
    from sim.analysis.structure import removal_curve

    u, v, s = np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([0.9, 0.1, 0.5])
    curves = pd.concat(
        [
            removal_curve(u, v, s, 4, order).assign(scenario="x")
            for order in ("weak_first", "strong_first")
        ]
    )
    out = plot_removal(curves, tmp_path / "removal.png", title="t")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == []


def test_depth_figure_carries_the_seed_holder_note(tmp_path):
    ts = make_ts()
    fig = _draw_figure(ts, _figure_panels(ts)["depth"], note=DEPTH_NOTE)
    try:
        assert DEPTH_NOTE in [t.get_text() for t in fig.texts]
    finally:
        plt.close(fig)
    fig = _draw_figure(ts, _figure_panels(ts)["spread"])
    try:
        assert fig.texts == []
    finally:
        plt.close(fig)
