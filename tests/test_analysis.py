"""Tests for sim.analysis on hand-built time-series tables with known answers."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import (
    SUMMARY_COLUMNS,
    band,
    describe,
    flow_columns,
    format_table,
    item_classes,
    summarise_replications,
    time_to_share,
)

NAN = float("nan")

# share_aware per replication over steps 0..4: replication 0 reaches 0.5 at step 2 and 0.9 at
# step 3 (exactly 0.9, so >= must count it); replication 1 at steps 3 and 4; replication 2 never.
SHARE_AWARE = {
    0: [0.0, 0.2, 0.5, 0.9, 1.0],
    1: [0.0, 0.1, 0.3, 0.6, 0.95],
    2: [0.0, 0.1, 0.2, 0.3, 0.4],
}


def make_ts() -> pd.DataFrame:
    """Three replications, steps 0..4, every quantity a known function of (r, t)."""
    rows = []
    for r, shares in SHARE_AWARE.items():
        for t, share in enumerate(shares):
            rows.append(
                {
                    "replication": r,
                    "seed": 1000 + r,
                    "step": t,
                    "share_aware": share,
                    "share_aware__facts": share,
                    "share_aware__practices": share / 2,
                    "mean_depth": 0.1 * t,
                    "share_deep": 0.0,
                    # NaN at step 0 (no exposures) and step 3: mean over steps is NaN-aware.
                    "redundancy": [NAN, 0.25, 1.0, NAN, 0.25][t],
                    "exposures": float(t),  # total over steps 0..4 = 10
                    "redundant_exposures": 1.0,  # total 5
                    "novel_exposures_weak": float(r),  # total 5r
                    "novel_exposures_strong": 1.0,  # total 5
                    "gain_via_weak": [0.0, 1.0, 2.0, 0.0, 0.0][t] if r < 2 else 0.0,  # 3 or 0
                    "gain_via_strong": 0.25 if r < 2 else 0.0,  # total 1.25 or 0
                    "n_weak_ties": float(10 + r - t),
                    "n_strong_ties": float(t),
                    # Recorded at steps 0 and 2 only; NaN at the last step.
                    "clustering": 0.3 if t in (0, 2) else NAN,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def ts() -> pd.DataFrame:
    return make_ts()


@pytest.fixture
def shuffled(ts) -> pd.DataFrame:
    return ts.sample(frac=1.0, random_state=3).reset_index(drop=True)


def test_time_to_share_first_step_at_or_above_level(ts):
    out = time_to_share(ts, "share_aware", 0.5)
    assert out.index.tolist() == [0, 1, 2]
    assert out.index.name == "replication"
    assert out.iloc[:2].tolist() == [2.0, 3.0]
    assert math.isnan(out.loc[2])


def test_time_to_share_counts_exact_level_and_ignores_row_order(shuffled):
    out = time_to_share(shuffled, "share_aware", 0.9)
    assert out.loc[0] == 3.0
    assert out.loc[1] == 4.0
    assert math.isnan(out.loc[2])


def test_time_to_share_is_nan_when_never_reached_by_anyone(ts):
    out = time_to_share(ts, "share_aware", 1.01)
    assert out.isna().all() and len(out) == 3


def test_time_to_share_uses_step_numbers_not_positions(ts):
    later = ts.assign(step=ts["step"] + 10)
    assert time_to_share(later, level=0.5).iloc[:2].tolist() == [12.0, 13.0]


def test_time_to_share_missing_column_raises(ts):
    with pytest.raises(KeyError, match="nope"):
        time_to_share(ts, "nope")


def test_summary_has_one_row_per_replication_with_ids(shuffled):
    summary = summarise_replications(shuffled)
    assert summary["replication"].tolist() == [0, 1, 2]
    assert summary["seed"].tolist() == [1000, 1001, 1002]


def test_summary_final_values_come_from_the_last_step(shuffled):
    summary = summarise_replications(shuffled)
    assert summary["share_aware"].tolist() == [1.0, 0.95, 0.4]
    assert summary["n_weak_ties"].tolist() == [6.0, 7.0, 8.0]
    assert summary["redundancy"].tolist() == [0.25, 0.25, 0.25]
    # Not the last recorded value: the last step itself, NaN because not recorded there.
    assert summary["clustering"].isna().all()


def test_summary_time_to_columns(ts):
    summary = summarise_replications(ts)
    assert summary["time_to_50"].tolist()[:2] == [2.0, 3.0]
    assert summary["time_to_90"].tolist()[:2] == [3.0, 4.0]
    assert summary.loc[2, ["time_to_50", "time_to_90"]].isna().all()


def test_summary_redundancy_is_a_ratio_of_sums_not_a_mean_of_ratios(ts):
    summary = summarise_replications(ts)
    assert "mean_redundancy" not in summary.columns
    # Sum of redundant_exposures (1 per step, 5) over sum of exposures (0..4, 10); the mean of
    # the per-step ratios would be (0.25 + 1 + 0.25) / 3 = 0.5.
    assert summary["redundancy_total"].tolist() == [0.5, 0.5, 0.5]
    # Up to time_to_50 (steps 0..2 for r0, 0..3 for r1): 3 / 3 and 4 / 6; r2 never: NaN.
    assert summary["redundancy_to_50"].tolist()[:2] == [1.0, 4.0 / 6.0]
    assert summary["redundancy_to_90"].tolist()[:2] == [4.0 / 6.0, 5.0 / 10.0]
    assert summary.loc[2, ["redundancy_to_50", "redundancy_to_90"]].isna().all()
    assert summary["last_step"].tolist() == [4, 4, 4]


def test_summary_totals(ts):
    summary = summarise_replications(ts)
    assert summary["total_exposures"].tolist() == [10.0, 10.0, 10.0]
    assert summary["total_redundant_exposures"].tolist() == [5.0, 5.0, 5.0]
    assert summary["total_novel_exposures_weak"].tolist() == [0.0, 5.0, 10.0]
    assert summary["total_gain_via_weak"].tolist() == [3.0, 3.0, 0.0]
    assert summary["total_gain_via_strong"].tolist() == [1.25, 1.25, 0.0]


def test_summary_totals_only_for_flow_columns_present(ts):
    summary = summarise_replications(ts)
    for absent in ["ties_formed", "questions", "repository_hits", "gain_via_community"]:
        assert f"total_{absent}" not in summary.columns
    # Stocks and shares are not summed.
    assert "total_n_weak_ties" not in summary.columns
    assert "total_share_aware" not in summary.columns


def test_summary_share_gain_via_weak_exact_and_nan_on_zero(ts):
    summary = summarise_replications(ts)
    assert summary["share_gain_via_weak"].iloc[0] == 3.0 / 4.25
    assert summary["share_gain_via_weak"].iloc[1] == 3.0 / 4.25
    assert math.isnan(summary["share_gain_via_weak"].iloc[2])


def test_summary_share_novel_via_weak(ts):
    summary = summarise_replications(ts)
    assert summary["share_novel_via_weak"].tolist() == [0.0, 0.5, 10.0 / 15.0]


def test_summary_without_gain_columns_has_no_share_gain_via_weak(ts):
    summary = summarise_replications(ts.drop(columns=["gain_via_strong"]))
    assert "share_gain_via_weak" not in summary.columns
    assert "total_gain_via_weak" in summary.columns


def test_summary_rejects_repeated_replication_step(ts):
    with pytest.raises(ValueError, match="repeated"):
        summarise_replications(pd.concat([ts, ts.iloc[[0]]]))


def test_summary_rejects_two_seeds_in_one_replication(ts):
    bad = ts.copy()
    bad.loc[0, "seed"] = 7
    with pytest.raises(ValueError, match="seed"):
        summarise_replications(bad)


def test_summary_columns_are_all_produced(ts):
    summary = summarise_replications(ts)
    assert set(SUMMARY_COLUMNS) <= set(summary.columns)
    assert describe(summary).index.tolist() == SUMMARY_COLUMNS


def test_flow_columns_and_item_classes(ts):
    assert flow_columns(ts) == [
        "exposures",
        "redundant_exposures",
        "novel_exposures_weak",
        "novel_exposures_strong",
        "gain_via_weak",
        "gain_via_strong",
    ]
    assert item_classes(ts) == ["facts", "practices"]
    assert item_classes(ts, "mean_depth") == []


def test_describe_matches_hand_t_interval():
    # CI = mean +/- t.ppf(0.975, n - 1) * sd / sqrt(n), sd with ddof=1, NaN dropped.
    summary = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, NAN]})
    out = describe(summary, ["x"]).loc["x"]
    sd = math.sqrt(5.0 / 3.0)  # squared deviations 2.25+0.25+0.25+2.25 = 5, over n-1 = 3
    half = stats.t.ppf(0.975, 3) * sd / math.sqrt(4)
    assert out["n"] == 4
    assert out["mean"] == 2.5
    assert out["sd"] == pytest.approx(sd, rel=1e-12)
    assert out["ci_lo"] == pytest.approx(2.5 - half, rel=1e-12)
    assert out["ci_hi"] == pytest.approx(2.5 + half, rel=1e-12)
    assert (out["min"], out["max"]) == (1.0, 4.0)


def test_describe_other_confidence_level():
    summary = pd.DataFrame({"x": [0.0, 2.0]})
    out = describe(summary, ["x"], confidence=0.5).loc["x"]
    half = stats.t.ppf(0.75, 1) * math.sqrt(2.0) / math.sqrt(2.0)
    assert out["ci_hi"] == pytest.approx(1.0 + half, rel=1e-12)


def test_describe_single_value_has_no_spread():
    out = describe(pd.DataFrame({"x": [3.0, NAN]}), ["x"]).loc["x"]
    assert out["n"] == 1 and out["mean"] == 3.0
    assert math.isnan(out["sd"]) and math.isnan(out["ci_lo"]) and math.isnan(out["ci_hi"])


def test_describe_all_nan_column():
    out = describe(pd.DataFrame({"x": [NAN, NAN]}), ["x"]).loc["x"]
    assert out["n"] == 0 and math.isnan(out["mean"])


def test_describe_missing_column_raises():
    with pytest.raises(KeyError, match="y"):
        describe(pd.DataFrame({"x": [1.0]}), ["x", "y"])


def band_ts() -> pd.DataFrame:
    """Eleven replications: value r at step 0 and 2r at step 1, plus a NaN replication."""
    rows = [{"replication": r, "step": 0, "v": float(r)} for r in range(11)]
    rows += [{"replication": r, "step": 1, "v": 2.0 * r} for r in range(11)]
    rows += [{"replication": 11, "step": s, "v": NAN} for s in (0, 1)]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)


def test_band_quantiles_on_hand_data():
    # Quantiles 0.1 and 0.9 of 0..10 with linear interpolation are exactly 1 and 9.
    out = band(band_ts(), "v", level=0.8)
    assert out.index.tolist() == [0, 1]
    assert out.index.name == "step"
    assert out["mean"].tolist() == [5.0, 10.0]
    assert out["lo"].tolist() == pytest.approx([1.0, 2.0])
    assert out["hi"].tolist() == pytest.approx([9.0, 18.0])
    assert out["n"].tolist() == [11, 11]


def test_band_default_level_interpolates():
    # Quantile 0.05 of 0..10: position 0.5 -> 0.5; quantile 0.95: position 9.5 -> 9.5.
    out = band(band_ts(), "v")
    assert out.loc[0, "lo"] == pytest.approx(0.5)
    assert out.loc[0, "hi"] == pytest.approx(9.5)


def test_band_ci_of_mean():
    out = band(band_ts(), "v")
    values = np.arange(11.0)
    half = stats.t.ppf(0.975, 10) * values.std(ddof=1) / math.sqrt(11)
    assert out.loc[0, "ci_lo"] == pytest.approx(5.0 - half, rel=1e-12)
    assert out.loc[0, "ci_hi"] == pytest.approx(5.0 + half, rel=1e-12)


def test_band_step_without_values_is_nan():
    ts = pd.DataFrame({"replication": [0, 1, 0, 1], "step": [0, 0, 1, 1], "v": [1, 3, NAN, NAN]})
    out = band(ts, "v")
    assert out.loc[0, "mean"] == 2.0
    assert out.loc[1].drop("n").isna().all() and out.loc[1, "n"] == 0


def test_band_rejects_bad_level():
    with pytest.raises(ValueError, match="level"):
        band(band_ts(), "v", level=1.5)


def test_format_table_three_significant_figures_and_alignment():
    df = pd.DataFrame(
        {"value": [0.123456, 1234.5, 12.0, 0.5, NAN, 1e-5], "n": [1, 22, 333, 4, 5, 6]},
        index=pd.Index(["a", "bb", "c", "d", "e", "f"], name="column"),
    )
    text = format_table(df)
    lines = text.splitlines()
    assert lines[0].split() == ["column", "value", "n"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    cells = [line.split() for line in lines[2:]]
    assert [c[1] for c in cells] == ["0.123", "1230", "12.0", "0.500", "nan", "1.00e-05"]
    assert [c[2] for c in cells] == ["1", "22", "333", "4", "5", "6"]
    # Numbers are right-aligned: every data line ends at the same column.
    assert len({len(line) for line in lines[2:]}) == 1


def test_format_table_hides_default_index():
    text = format_table(pd.DataFrame({"x": [1.0, 2.5]}))
    assert text.splitlines() == ["   x", "----", "1.00", "2.50"]


def test_format_table_of_describe_lists_every_column(ts):
    text = format_table(describe(summarise_replications(ts)))
    for column in SUMMARY_COLUMNS:
        assert column in text
    assert len(text.splitlines()) == 2 + len(SUMMARY_COLUMNS)
