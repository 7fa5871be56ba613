"""Summaries a reviewer accepts: run-length-free redundancy, censored times, Holm, figures."""

import math
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim import run_scenario
from sim.analysis import (
    by_point,
    by_value,
    describe,
    holm,
    km_median,
    paired_differences,
    summarise_replications,
)
from sim.analysis.compare_plots import plot_outcomes
from sim.analysis.plotting import LABELS, axis_label, label_for
from sim.analysis.sweep_plots import CENSORED_LABEL, censored_points, plot_vs_parameter
from sim.experiment.orchestrate import summary_text

ROOT = Path(__file__).resolve().parent.parent
GOSSIP = ROOT / "scenarios" / "validation" / "gossip_complete.yaml"
NAN = float("nan")

# ---------------------------------------------------------------------------------------------
# Redundancy that does not grow with run length


def hand_ts() -> pd.DataFrame:
    """Three replications, steps 0..4, with exposures chosen so every ratio is exact.

    r0: share_aware 0, .3, .5, .9, 1 -> time_to_50 = 2, time_to_90 = 3;
        exposures 0, 2, 4, 8, 10 and redundant 0, 0, 1, 4, 9:
        redundancy_to_50 = (0+0+1)/(0+2+4) = 1/6, redundancy_to_90 = (0+0+1+4)/(0+2+4+8)
        = 5/14, redundancy_total = 14/24 = 7/12.
    r1: share_aware 0, .2, .4, .6, .7 -> time_to_50 = 3, 90 % never reached;
        exposures 0, 4, 4, 4, 4 and redundant 0, 1, 1, 2, 3:
        redundancy_to_50 = 4/12 = 1/3, redundancy_to_90 NaN (censored), total = 7/16.
    r2: reaches 0.9 at step 1 but has no exposures: every redundancy is NaN (0/0).
    """
    spec = {
        0: ([0, 0.3, 0.5, 0.9, 1.0], [0, 2, 4, 8, 10], [0, 0, 1, 4, 9]),
        1: ([0, 0.2, 0.4, 0.6, 0.7], [0, 4, 4, 4, 4], [0, 1, 1, 2, 3]),
        2: ([0, 0.95, 1.0, 1.0, 1.0], [0] * 5, [0] * 5),
    }
    rows = []
    for r, (share, exposures, redundant) in spec.items():
        for t in range(5):
            rows.append(
                {
                    "replication": r,
                    "seed": 7 + r,
                    "step": t,
                    "share_aware": share[t],
                    "exposures": float(exposures[t]),
                    "redundant_exposures": float(redundant[t]),
                }
            )
    return pd.DataFrame(rows)


def test_redundancy_columns_exact_on_a_hand_table():
    summary = summarise_replications(hand_ts())
    assert "mean_redundancy" not in summary.columns
    assert summary["redundancy_total"].iloc[:2].tolist() == [14 / 24, 7 / 16]
    assert summary["redundancy_to_50"].iloc[:2].tolist() == [1 / 6, 4 / 12]
    assert summary["redundancy_to_90"].iloc[0] == 5 / 14
    assert math.isnan(summary["redundancy_to_90"].iloc[1])  # never reached: censored
    assert summary.loc[2, ["redundancy_total", "redundancy_to_50", "redundancy_to_90"]].isna().all()
    assert summary["time_to_90"].tolist()[:1] == [3.0] and summary["time_to_90"].iloc[2] == 1.0
    assert summary["last_step"].tolist() == [4, 4, 4]


def test_redundancy_to_level_ignores_steps_after_the_level():
    ts = hand_ts()
    longer = summarise_replications(ts)
    shorter = summarise_replications(ts[ts["step"] <= 3])
    # r0 reaches 90 % at step 3, so cutting step 4 changes the total but not the level ratios.
    assert shorter["redundancy_to_90"].iloc[0] == longer["redundancy_to_90"].iloc[0]
    assert shorter["redundancy_to_50"].iloc[0] == longer["redundancy_to_50"].iloc[0]
    assert shorter["redundancy_total"].iloc[0] == 5 / 14 != longer["redundancy_total"].iloc[0]
    assert shorter["last_step"].tolist() == [3, 3, 3]


@pytest.fixture(scope="module")
def gossip_runs():
    return {
        steps: run_scenario(GOSSIP, steps=steps, replications=3, seed=5, out=None).summary
        for steps in (20, 40, 80)
    }


def test_redundancy_to_level_does_not_depend_on_run_length(gossip_runs):
    # Push gossip on K_200 informs everyone in about log2(200) + ln(200) = 12.9 rounds
    # (Frieze & Grimmett 1985), so 90 % is reached well within 20 steps; the same seed gives
    # the same spread up to step 20 whatever the run length.
    base = gossip_runs[20]
    assert base["time_to_90"].notna().all() and (base["time_to_90"] < 20).all()
    for steps in (40, 80):
        other = gossip_runs[steps]
        for column in ["time_to_50", "time_to_90", "redundancy_to_50", "redundancy_to_90"]:
            assert other[column].tolist() == base[column].tolist(), (steps, column)
        assert other["last_step"].tolist() == [steps] * 3


def test_redundancy_total_grows_with_run_length_after_saturation(gossip_runs):
    # After everyone knows, every call is redundant: the whole-run ratio climbs toward 1 with
    # the run length, which is why it is not the outcome to compare across run lengths.
    totals = [gossip_runs[s]["redundancy_total"].to_numpy() for s in (20, 40, 80)]
    assert (totals[0] < totals[1]).all() and (totals[1] < totals[2]).all()


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier medians of censored times


def test_km_median_hand_computed_with_censoring():
    # Events at 2, 3, 3, 5, 7; censored at 4 and 6 (runs that never reached, run lengths 4, 6).
    # t  at risk  events  S(t)                 Greenwood sum d/(n(n-d))     se = S sqrt(sum)
    # 2  7        1       6/7    = 0.857143    1/42           = 0.023810    0.132260
    # 3  6        2       4/7    = 0.571429    + 2/24         = 0.107143    0.187044
    # 5  3        1       8/21   = 0.380952    + 1/6          = 0.273810    0.199341
    # 7  1        1       0                    + 1/0: undefined             nan
    # Median: first S <= 0.5 -> 5. Bands S -+ 1.959964 se, clipped to [0, 1]:
    # lower 0.5979, 0.2048, 0 -> first <= 0.5 at t = 3 (ci_lo);
    # upper 1, 0.9386, 0.7716, nan -> never <= 0.5 (ci_hi NaN: not bounded by the data).
    times = [2, 3, 3, 5, 7, NAN, NAN]
    censor = [9, 9, 9, 9, 9, 4, 6]
    km = km_median(times, censor)
    assert (km.n, km.n_reached) == (7, 5)
    assert km.median == 5.0 and km.ci_lo == 3.0 and math.isnan(km.ci_hi)


def test_km_median_without_censoring_matches_binomial_band():
    # Events at 1..20, none censored: S(k) = 1 - k/20 and Greenwood's variance telescopes,
    # sum_{j<=k} 1/((21-j)(20-j)) = 1/(20-k) - 1/20 = k/(20(20-k)), so
    # Var S(k) = S^2 k/(20(20-k)) = S(1-S)/20, the binomial variance.
    # Median: S(10) = 0.5 -> 10. Lower band S - 1.96 sqrt(S(1-S)/20): 0.560 at S = .75 (k=5),
    # 0.499 at S = .7 (k=6) -> ci_lo 6. Upper band: 0.5008 at S = .3 (k=14), 0.440 at
    # S = .25 (k=15) -> ci_hi 15.
    km = km_median(np.arange(1.0, 21.0))
    assert (km.median, km.ci_lo, km.ci_hi) == (10.0, 6.0, 15.0)


@pytest.mark.parametrize("n", [1, 2, 5, 8, 11, 30])
def test_km_median_without_censoring_is_the_lower_sample_median(n):
    # Documented definition: smallest t with S(t) <= 0.5 = the ceil(n/2)-th smallest value
    # (inverted-CDF quantile), e.g. 2 for 1, 2, 3, 4, where numpy's default median gives 2.5.
    rng = np.random.default_rng(n)
    times = rng.integers(0, 15, size=n).astype(float)  # ties included
    expected = np.quantile(times, 0.5, method="inverted_cdf")
    assert km_median(times).median == expected == np.sort(times)[math.ceil(n / 2) - 1]
    assert km_median([1.0, 2.0, 3.0, 4.0]).median == 2.0


def test_km_median_censoring_at_run_length_or_last_event_is_the_same():
    times = [3, 4, 4, NAN, 6, NAN]
    a = km_median(times, [10] * 6)
    b = km_median(times)  # censored at the largest reached time, 6
    np.testing.assert_equal(tuple(a), tuple(b))
    assert a.median == 4.0  # S(3) = 5/6, S(4) = 5/6 * 3/5 = 1/2
    nothing = km_median([NAN, NAN], [5, 5])
    assert (nothing.n, nothing.n_reached) == (2, 0) and math.isnan(nothing.median)


def test_km_median_of_equal_times_is_bounded_below_by_them():
    # S falls from 1 to 0 at 8: Greenwood's variance is undefined at S = 0, the lower band
    # (<= S = 0) crosses 0.5 at 8, the upper band is undefined (NaN: not bounded).
    km = km_median([8.0, 8.0, 8.0])
    assert (km.median, km.ci_lo) == (8.0, 8.0) and math.isnan(km.ci_hi)


def test_km_median_more_than_half_censored_has_no_median():
    km = km_median([2.0, NAN, NAN], [10, 10, 10])
    assert km.n_reached == 1 and math.isnan(km.median)  # S stays at 2/3 > 0.5


def test_km_median_needs_a_censoring_time_for_every_censored_run():
    with pytest.raises(ValueError, match="censoring"):
        km_median([1.0, NAN], [5, NAN])


def time_summary_table() -> pd.DataFrame:
    """Two points: at point 0 every run reached 50 %; at point 1 two of four never did."""
    return pd.DataFrame(
        {
            "point": [0] * 4 + [1] * 4,
            "p": [1.0] * 4 + [2.0] * 4,
            "replication": [0, 1, 2, 3] * 2,
            "time_to_50": [4.0, 6.0, 5.0, 7.0, 8.0, NAN, 9.0, NAN],
            "last_step": [10] * 8,
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )


def test_describe_treats_times_as_censored():
    table = time_summary_table()
    censored = describe(table[table["point"] == 1], ["x", "time_to_50"])
    row = censored.loc["time_to_50"]
    # 8 (S = 3/4), 9 (S = 3/4 * 1/2 = 3/8 <= 0.5): median 9; n counts the censored runs too.
    assert row["n"] == 4 and row["n_reached"] == 2 and row["km_median"] == 9.0
    assert np.isnan(row[["mean", "sd", "ci_lo", "ci_hi"]].astype(float)).all()
    assert (row["min"], row["max"]) == (8.0, 9.0)
    assert pd.isna(censored.loc["x", "n_reached"]) and np.isnan(censored.loc["x", "km_median"])
    full = describe(table[table["point"] == 0], ["time_to_50"]).loc["time_to_50"]
    # No censoring: the mean is defined again, and the median is the lower median, 5.
    assert full["mean"] == 5.5 and full["n_reached"] == 4 and full["km_median"] == 5.0


def test_by_point_and_by_value_give_km_columns_for_times():
    table = time_summary_table()
    points = by_point(table, ["p"], ["time_to_50", "x"])
    times = points[points["column"] == "time_to_50"].set_index("point")
    assert times["n"].tolist() == [4, 4] and times["n_reached"].tolist() == [4, 2]
    assert times["km_median"].tolist() == [5.0, 9.0]
    assert times["mean"].iloc[0] == 5.5 and math.isnan(times["mean"].iloc[1])
    values = by_value(table, "p", ["time_to_50"])
    assert values["km_median"].tolist() == [5.0, 9.0]
    assert values["n_reached"].tolist() == [4, 2]
    xs = points[points["column"] == "x"]
    assert xs["n_reached"].isna().all() and xs["mean"].tolist() == [2.5, 6.5]


# ---------------------------------------------------------------------------------------------
# Holm-Bonferroni and the differences table


def test_holm_textbook_example():
    # Sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> raised to
    # 0.06 by monotonicity; back in the given order: 0.03, 0.06, 0.06, 0.02.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_keeps_nan_and_is_monotone():
    out = holm([0.3, NAN, 0.8, 0.01])
    # m = 3 finite values: 0.01 x 3 = 0.03, 0.3 x 2 = 0.6, 0.8 x 1 = 0.8.
    assert out[[0, 2, 3]] == pytest.approx([0.6, 0.8, 0.03]) and math.isnan(out[1])
    assert holm([0.6, 0.7])[0] == 1.0  # 0.6 x 2 capped at 1
    rng = np.random.default_rng(3)
    p = rng.uniform(size=20)
    adjusted = holm(p)
    order = np.argsort(p)
    assert (np.diff(adjusted[order]) >= 0).all() and (adjusted >= p).all()
    assert (adjusted <= 1).all()


def differences_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
            "replication": [0, 1, 2, 3] * 3,
            "x": [1.0, 2.0, 3.0, 4.0, 2.0, 4.0, 6.0, 9.0, 1.5, 2.0, 3.5, 4.5],
            "y": [0.0, 1.0, 0.0, 1.0, 0.5, 1.2, 0.1, 1.4, 0.0, 1.0, 0.0, 1.0],
            "time_to_50": [5.0, NAN, 7.0, 8.0, 4.0, 5.0, NAN, 6.0, 5.0, 6.0, 7.0, 8.0],
        }
    )


def test_paired_differences_holm_per_scenario_and_pairs_used():
    diff = paired_differences(differences_table(), columns=["x", "y", "time_to_50"])
    for _scenario, rows in diff.groupby("scenario"):
        # Each scenario is its own family, adjusted over its finite p-values.
        expected = holm(rows["p_value"].to_numpy())
        np.testing.assert_allclose(rows["p_holm"].to_numpy(), expected, equal_nan=True)
    assert (diff["p_holm"].dropna() >= diff.loc[diff["p_holm"].notna(), "p_value"]).all()
    b = diff[diff["scenario"] == "b"].set_index("column")
    # Times: only replications where both reached (0 and 3): d = -1, -2.
    assert b.loc["time_to_50", "n_pairs"] == 2 and b.loc["time_to_50", "n_replications"] == 4
    assert b.loc["time_to_50", "difference"] == -1.5
    assert b.loc["x", "n_pairs"] == 4
    # c vs a in y: d = 0 everywhere: no p-value, and it does not count in c's family.
    c = diff[diff["scenario"] == "c"].set_index("column")
    assert math.isnan(c.loc["y", "p_value"]) and math.isnan(c.loc["y", "p_holm"])
    finite = c["p_value"].dropna()
    assert c.loc[finite.index, "p_holm"].tolist() == pytest.approx(holm(finite.to_numpy()))


def test_summary_text_flags_differences_surviving_holm():
    summary = differences_table().assign(
        point=lambda t: t["scenario"].map({"a": 0, "b": 1, "c": 2})
    )
    summary["last_step"] = 10
    diff = paired_differences(summary, columns=["x", "y", "time_to_50"])
    spec = SimpleNamespace(kind="compare", labels=[], replications=4, extra={"baseline": "a"})
    text = summary_text(spec, summary, diff)
    assert "holm<0.05" in text and "p_holm" in text and "n_pairs" in text
    lines = {
        tuple(line.split()[:2]): line for line in text.splitlines() if line[:2] in ("b ", "c ")
    }
    for row in diff.itertuples():
        flagged = lines[(row.scenario, row.column)].rstrip().endswith("*")
        assert flagged == (row.p_holm < 0.05), (row.scenario, row.column)
    # The times table: Kaplan-Meier median with the runs that reached.
    assert "km_median" in text and "n_reached" in text


def test_summary_text_of_a_scenario_prints_times_as_censored():
    summary = summarise_replications(hand_ts())
    spec = SimpleNamespace(kind="scenario", labels=[], replications=3, extra={})
    text = summary_text(spec, summary, None)
    assert "redundancy_total" in text and "redundancy_to_90" in text
    assert "mean_redundancy" not in text
    times = [line.split() for line in text.splitlines() if line.startswith("time_to_")]
    # time_to_90 reached by r0 (3) and r2 (1), r1 censored at 4: S(1) = 2/3, S(3) = 1/3, so
    # median 3; lower band at 1: 2/3 - 1.96 * (2/3) sqrt(1/(3*2)) = 0.133 <= 0.5 -> ci_lo 1.
    assert times[1][:6] == ["time_to_90", "3", "2", "3.00", "1.00", "nan"]


# ---------------------------------------------------------------------------------------------
# Figures


@pytest.fixture(autouse=True)
def no_open_figures():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a test left figures open"


def test_labels_keep_the_column_name_in_view():
    for column in LABELS:
        assert column in label_for(column)
    assert label_for("step") == "step (days)"
    assert label_for("share_aware") == "share aware (share_aware; share of learner-item pairs)"
    assert "share_aware__facts" in label_for("share_aware__facts")
    assert label_for("not_a_column") == "not_a_column"
    two = axis_label(["n_weak_ties", "n_strong_ties"])
    assert "n_weak_ties" in two and "n_strong_ties" in two and "count" in two


def test_plot_outcomes_draws_one_panel_per_outcome_with_t_intervals(tmp_path, monkeypatch):
    summary = pd.DataFrame(
        {
            "scenario": ["a"] * 3 + ["b"] * 3,
            "replication": [0, 1, 2] * 2,
            "share_aware": [0.1, 0.2, 0.3, 0.5, 0.5, 0.5],
            "mean_depth": [0.4] * 6,
            "redundancy_total": [0.2, 0.3, 0.4, 0.1, 0.2, 0.3],
        }
    )
    saved = {}
    import sim.analysis.compare_plots as compare_plots

    def keep(fig, path):
        saved["axes"] = [ax for ax in fig.axes if ax.get_visible()]
        saved["path"] = path

    monkeypatch.setattr(compare_plots, "save_figure", keep)
    path = plot_outcomes(summary, tmp_path / "outcomes.png", order=["b", "a"])
    assert path == tmp_path / "outcomes.png"
    axes = saved["axes"]
    assert [ax.get_ylabel() for ax in axes] == [
        axis_label(c) for c in ["share_aware", "mean_depth", "redundancy_total"]
    ]
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["b", "a"]
    # share_aware of a: mean 0.2, sd 0.1, half-width t(0.975, 2) * 0.1 / sqrt(3) = 0.2484.
    bars = [c for c in axes[0].containers]
    a_bar = bars[1].lines[2][0].get_segments()[0]
    assert a_bar[:, 1] == pytest.approx([0.2 - 0.248414, 0.2 + 0.248414], abs=1e-5)


def test_plot_outcomes_writes_a_png(tmp_path):
    summary = pd.DataFrame(
        {"scenario": ["a", "a", "b", "b"], "replication": [0, 1, 0, 1], "share_aware": [0.1] * 4}
    )
    path = plot_outcomes(summary, tmp_path / "outcomes.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot_outcomes(summary.drop(columns="share_aware"), tmp_path / "none.png") is None


def test_sweep_figure_marks_censored_runs_at_the_run_length(tmp_path, monkeypatch):
    table = time_summary_table()
    table.loc[table["point"] == 1, "time_to_50"] = NAN  # none reached at p = 2
    censored = censored_points(table, "p", "time_to_50")
    assert censored.index.tolist() == [2.0]
    assert censored[["missed", "n", "at"]].values.tolist() == [[4, 4, 10.0]]
    import sim.analysis.sweep_plots as sweep_plots

    saved = {}

    def keep(fig, path):
        saved["axes"] = [ax for ax in fig.axes if ax.get_visible()]

    monkeypatch.setattr(sweep_plots, "save_figure", keep)
    plot_vs_parameter(table, "p", tmp_path / "vs_p.png", columns=["time_to_50"])
    (ax,) = saved["axes"]
    hollow = [c for c in ax.collections if c.get_label() == CENSORED_LABEL]
    assert len(hollow) == 1
    assert hollow[0].get_offsets().tolist() == [[2.0, 10.0]]
    assert CENSORED_LABEL in [t.get_text() for t in ax.get_legend().get_texts()]
    # All-NaN times are still drawn (as censored), not dropped.
    everything_censored = table.assign(time_to_50=NAN)
    assert plot_vs_parameter(everything_censored, "p", tmp_path / "x.png", ["time_to_50"])
