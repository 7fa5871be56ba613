"""`run.py compare`: shared seeds, overlay figures, paired differences; `run.py plot`."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import by_point, by_value, failure_counts, holm, paired_differences
from sim.cli import EXIT_INVALID, EXIT_OK, main

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TINY = ["--set", "population.n_agents=60", "--set", "network.n_groups=6"]
FIGURES = {"spread.png", "depth.png", "redundancy.png", "ties.png"}
COMPARE_FIGURES = FIGURES | {"outcomes.png"}


def compare_argv(out: Path, *files: str, replications: int = 3, steps: int = 8) -> list[str]:
    return [
        "compare",
        *[str(SCENARIOS / f"{f}.yaml") for f in files],
        "--replications",
        str(replications),
        "--steps",
        str(steps),
        "--out",
        str(out),
        "--workers",
        "1",
        *TINY,
    ]


def only_folder(out: Path, name: str = "compare") -> Path:
    (folder,) = sorted((out / name).iterdir())
    return folder


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    argv = compare_argv(out, "social_network", "weak_ties", "closed_community")
    assert main([*argv, "--quiet"]) == EXIT_OK
    return only_folder(out)


def test_compare_writes_tables_figures_and_the_resolved_scenarios(compared):
    names = {p.name for p in compared.iterdir()}
    assert {
        "manifest.json",
        "points.csv",
        "timeseries.parquet",
        "summary.csv",
        "differences.csv",
        "figures",
        "scenarios",
        "runs",
    } <= names
    assert {p.name for p in (compared / "figures").iterdir()} == COMPARE_FIGURES
    assert sorted(p.name for p in (compared / "scenarios").iterdir()) == [
        "closed_community.yaml",
        "social_network.yaml",
        "weak_ties.yaml",
    ]
    points = pd.read_csv(compared / "points.csv")
    assert points.to_dict("records") == [
        {"point": 0, "scenario": "social_network"},
        {"point": 1, "scenario": "weak_ties"},
        {"point": 2, "scenario": "closed_community"},
    ]
    manifest = json.loads((compared / "manifest.json").read_text())
    assert manifest["kind"] == "compare"
    assert manifest["scenarios"] == ["social_network", "weak_ties", "closed_community"]
    assert manifest["baseline"] == "social_network"
    assert manifest["status"] == "complete"


def test_compared_scenarios_run_on_shared_seeds(compared):
    summary = pd.read_csv(compared / "summary.csv")
    assert list(summary.columns[:4]) == ["point", "scenario", "replication", "seed"]
    seeds = summary.pivot(index="replication", columns="scenario", values="seed")
    assert (seeds.nunique(axis=1) == 1).all()
    ts = pd.read_parquet(compared / "timeseries.parquet")
    assert set(ts["scenario"]) == {"social_network", "weak_ties", "closed_community"}
    assert len(ts) == 3 * 3 * 9


def test_differences_are_paired_by_replication(compared):
    diff = pd.read_csv(compared / "differences.csv")
    summary = pd.read_csv(compared / "summary.csv")
    assert set(diff["scenario"]) == {"weak_ties", "closed_community"}
    assert (diff["baseline"] == "social_network").all()
    row = diff[(diff["scenario"] == "weak_ties") & (diff["column"] == "share_aware")].iloc[0]
    wide = summary.pivot(index="replication", columns="scenario", values="share_aware")
    d = wide["weak_ties"] - wide["social_network"]
    assert row["difference"] == pytest.approx(d.mean())
    assert row["sd"] == pytest.approx(d.std(ddof=1))
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert (row["ci_lo"], row["ci_hi"]) == pytest.approx((d.mean() - half, d.mean() + half))
    assert row["d_z"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert row["p_value"] == pytest.approx(
        stats.ttest_rel(wide["weak_ties"], wide["social_network"]).pvalue
    )
    assert row["n_pairs"] == 3
    weak = diff[diff["scenario"] == "weak_ties"]
    assert "mean_redundancy" not in set(diff["column"])
    assert {"redundancy_total", "time_to_50"} <= set(weak["column"])
    np.testing.assert_allclose(weak["p_holm"], holm(weak["p_value"]), equal_nan=True)


def test_compare_prints_the_differences(tmp_path, capsys):
    assert main(compare_argv(tmp_path, "social_network", "weak_ties", replications=2, steps=2)) == 0
    out = capsys.readouterr().out
    assert "paired differences against social_network" in out
    assert "d_z" in out


def test_a_scenario_compared_with_a_copy_of_itself_differs_by_exactly_zero(tmp_path):
    copy = tmp_path / "weak_ties_copy.yaml"
    text = (SCENARIOS / "weak_ties.yaml").read_text().replace("name: weak_ties", "name: copy")
    copy.write_text(text)
    argv = compare_argv(tmp_path / "out", "weak_ties", replications=2, steps=4)
    argv.insert(2, str(copy))
    assert main([*argv, "--quiet", "--no-figures"]) == 0
    folder = only_folder(tmp_path / "out")
    diff = pd.read_csv(folder / "differences.csv")
    finite = diff["difference"].dropna()
    assert len(finite) > 0 and (finite == 0).all()
    # equal scenarios share their runs: each run is stored once
    assert len(list((folder / "runs").glob("*.parquet"))) == 2


def test_compare_uses_the_first_scenarios_seed_and_replications(tmp_path, capsys):
    other = tmp_path / "other.yaml"
    other.write_text((SCENARIOS / "hybrid.yaml").read_text().replace("seed: 20261122", "seed: 5"))
    argv = compare_argv(tmp_path / "out", "weak_ties", replications=2, steps=2)
    argv.insert(2, str(other))
    assert main([*argv, "--quiet", "--no-figures"]) == 0
    assert "runs on weak_ties's seed" in capsys.readouterr().err
    summary = pd.read_csv(only_folder(tmp_path / "out") / "summary.csv")
    assert summary.groupby("replication")["seed"].nunique().tolist() == [1, 1]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["weak_ties"], "give at least two scenario files"),
        (["weak_ties", "weak_ties"], "scenario names must differ"),
        (["weak_ties", "sweeps/weak_ties_bridges"], "compare takes scenarios without a sweep"),
    ],
)
def test_compare_input_errors_exit_2(tmp_path, capsys, files, message):
    assert main(compare_argv(tmp_path, *files)) == EXIT_INVALID
    assert message in capsys.readouterr().err
    assert not (tmp_path / "compare").exists()


# ---------------------------------------------------------------------------------------------
# run.py plot: redraw from the saved tables


def test_plot_redraws_a_comparison(compared, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(compared, copy)
    shutil.rmtree(copy / "figures")
    shutil.rmtree(copy / "runs")  # the tables are enough
    assert main(["plot", str(copy)]) == EXIT_OK
    assert {p.name for p in (copy / "figures").iterdir()} == COMPARE_FIGURES


def test_plot_redraws_a_scenario_and_a_sweep(tmp_path):
    tiny = ["--replications", "2", "--steps", "3", "--workers", "1", "--quiet", *TINY]
    out = tmp_path / "out"
    assert main([str(SCENARIOS / "weak_ties.yaml"), "--out", str(out), "--no-figures", *tiny]) == 0
    sweep = SCENARIOS / "sweeps" / "weak_ties_bridges.yaml"
    assert main([str(sweep), "--out", str(out), "--no-figures", *tiny]) == 0
    run = only_folder(out, "weak_ties")
    assert main(["plot", str(run)]) == EXIT_OK
    scenario_figures = FIGURES | {"groups.png", "learners.png"}  # a scenario's side tables
    assert {p.name for p in (run / "figures").iterdir()} == scenario_figures
    swept = only_folder(out, "weak_ties_bridges")
    assert main(["plot", str(swept)]) == EXIT_OK
    assert {p.name for p in (swept / "figures").iterdir()} == {"vs_network.bridges_per_agent.png"}


def test_plot_of_a_folder_without_results_exits_2(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == EXIT_INVALID
    assert "cannot redraw" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# The analysis behind the figures and tables, on exact numbers


def test_paired_differences_exact():
    summary = pd.DataFrame(
        {
            "scenario": ["a"] * 3 + ["b"] * 3,
            "replication": [0, 1, 2] * 2,
            "x": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0],
        }
    )
    (row,) = paired_differences(summary, columns=["x"]).to_dict("records")
    # d = [1, 2, 3]: mean 2, sd 1, t(0.975, 2) = 4.303
    assert row["scenario"] == "b" and row["baseline"] == "a"
    assert row["difference"] == 2.0 and row["sd"] == 1.0 and row["n_pairs"] == 3
    assert row["n_replications"] == 3
    assert row["p_holm"] == row["p_value"]  # a family of one test is not adjusted
    assert row["d_z"] == 2.0
    assert row["ci_lo"] == pytest.approx(2 - 4.302653 / np.sqrt(3))
    assert row["mean_baseline"] == 2.0 and row["mean"] == 4.0


def test_paired_differences_skip_unpaired_and_nan():
    summary = pd.DataFrame(
        {
            "scenario": ["a", "a", "a", "b", "b"],
            "replication": [0, 1, 2, 0, 1],
            "x": [1.0, np.nan, 3.0, 2.0, 5.0],
        }
    )
    (row,) = paired_differences(summary, columns=["x"]).to_dict("records")
    assert row["n_pairs"] == 1 and row["difference"] == 1.0
    assert row["n_replications"] == 2  # replications 0 and 1 are in both; 1 is NaN in a
    assert np.isnan(row["sd"]) and np.isnan(row["d_z"]) and np.isnan(row["ci_lo"])


def test_by_value_pools_other_parameters():
    summary = pd.DataFrame(
        {"point": [0, 0, 1, 1], "p": [1, 1, 2, 2], "q": [0, 0, 0, 0], "x": [1.0, 3.0, 5.0, 5.0]}
    )
    table = by_value(summary, "p", ["x"])
    assert table["p"].tolist() == [1, 2]
    assert table["mean"].tolist() == [2.0, 5.0]
    assert table["n"].tolist() == [2, 2]
    assert table["ci_lo"].iloc[1] == table["ci_hi"].iloc[1] == 5.0
    points = by_point(summary, ["p", "q"], ["x"])
    assert points[["point", "p", "q", "mean"]].values.tolist() == [[0, 1, 0, 2.0], [1, 2, 0, 5.0]]


def test_failure_counts():
    failures = pd.DataFrame(
        {"error_type": ["ValueError", "KeyError", "ValueError"], "error": ["x", "k", "x"]}
    )
    assert failure_counts(failures).values.tolist() == [
        ["ValueError", "x", 2],
        ["KeyError", "k", 1],
    ]


def test_resume_of_a_comparison_folder_reuses_its_runs(compared, tmp_path, monkeypatch):
    import sim.experiment.jobs

    copy = tmp_path / "copy"
    shutil.copytree(compared, copy)
    calls = []
    monkeypatch.setattr(sim.experiment.jobs, "run_replication", lambda *a, **k: calls.append(a))
    assert main(["--resume", str(copy), "--workers", "1", "--quiet", "--no-figures"]) == EXIT_OK
    assert calls == []
    pd.testing.assert_frame_equal(
        pd.read_csv(copy / "differences.csv"), pd.read_csv(compared / "differences.csv")
    )
