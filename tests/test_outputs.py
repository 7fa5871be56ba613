"""Outputs by tie kind, by group and by learner: the parts add up to the population columns.

Every identity below holds exactly (up to float rounding) for any seed, so each test would
fail if a rule counted an event twice, missed one, or attributed it to the wrong learner,
group or tie kind.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import api
from sim.analysis.breakdown_plots import lorenz_curve
from sim.engines import make_model
from sim.experiment.jobs import run_replication
from sim.experiment.side_tables import SIDE_TABLES
from sim.experiment.storage import ResultsFolder
from sim.metrics.groups import groups_table
from sim.metrics.kernels import gini, gini_of_counts, top_share
from sim.metrics.learners import CUT_COLUMNS, GAIN_COLUMNS
from sim.rules.pull import _split
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["population.n_agents=120", "network.n_groups=6", "steps=25"]
# A time budget of one contact a step binds often, so cuts happen at both ends of answers
# and conversations.
TIGHT = ["population.time_budget=1", "sharing.policy=gossip", "help.p_ask=0.5"]


def _model(name: str, extra: list[str], engine: str = "array", seed: int = 3):
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml", SMALL + extra + [f"engine={engine}"])
    m = make_model(sc, rng=seed)
    for _ in range(sc.steps):
        m.step()
    return m


CASES = [
    ("hybrid", []),
    ("hybrid", TIGHT),
    ("social_network", TIGHT),
    ("closed_community", []),
    # broadcast with fixed attention and nothing that needs a redundant exposure listed: the
    # array engine counts redundant exposures as one binomial and splits it by tie kind
    (
        "weak_ties",
        [
            "population.time_budget=null",
            "ties.enabled=false",
            "forgetting.enabled=false",
            "sharing.p_notice_min=0.3",
            "sharing.p_notice_max=0.3",
        ],
    ),
]
ENGINES = ["array", "agents"]


@pytest.fixture(scope="module", params=[(c, e) for c in range(len(CASES)) for e in ENGINES])
def model(request):
    case, engine = request.param
    name, extra = CASES[case]
    return _model(name, extra, engine)


def test_tie_kinds_sum_to_the_totals(model):
    ts = model.timeseries()
    for part in ("exposures", "redundant_exposures"):
        np.testing.assert_array_equal(ts[f"{part}_weak"] + ts[f"{part}_strong"], ts[part])
    assert (ts["novel_exposures_weak"] <= ts["exposures_weak"]).all()
    assert (ts["novel_exposures_strong"] <= ts["exposures_strong"]).all()
    assert (ts["redundant_exposures_strong"] <= ts["exposures_strong"]).all()
    answers = ts[["answers_via_weak", "answers_via_strong", "answers_via_community"]].sum(axis=1)
    np.testing.assert_array_equal(answers, ts["answers"])


def _group_sums(groups: pd.DataFrame, grouping: str) -> pd.DataFrame:
    g = groups[groups["grouping"] == grouping]
    return g.groupby("step").sum(numeric_only=True)


def test_groups_add_up_to_the_population(model):
    ts = model.timeseries().set_index("step")
    groups = model.groups()
    expected = ["group", "member"] if model.scenario.community.enabled else ["group"]
    assert sorted(set(groups["grouping"])) == sorted(expected)
    n = model.n_agents
    for grouping in expected:
        g = groups[groups["grouping"] == grouping]
        sums = _group_sums(groups, grouping)
        np.testing.assert_array_equal(sums["n_learners"], n)
        for c in [*GAIN_COLUMNS, "questions"]:
            np.testing.assert_allclose(sums[c], ts[c], rtol=1e-9, atol=1e-12, err_msg=c)
        np.testing.assert_array_equal(sums["answers_given"], ts["answers"])
        np.testing.assert_array_equal(sums["answers_received"], ts["answers"])
        # Stocks: share_aware and share_deep average with weights n_learners; mean_depth
        # with weights the aware pairs of each group.
        w = g["n_learners"] / n
        for c in ("share_aware", "share_deep"):
            avg = (g[c] * w).groupby(g["step"]).sum()
            np.testing.assert_allclose(avg, ts[c], rtol=1e-9, atol=1e-12, err_msg=c)
        aware = g["share_aware"] * g["n_learners"]
        depth = (g["mean_depth"].fillna(0) * aware).groupby(g["step"]).sum()
        total = aware.groupby(g["step"]).sum()
        known = total > 0
        np.testing.assert_allclose((depth / total)[known], ts["mean_depth"][known], rtol=1e-9)


def test_learners_add_up_to_the_run_totals(model):
    ts = model.timeseries()
    learners = model.learner_table()
    assert len(learners) == model.n_agents
    assert (learners["step"] == model.steps).all()
    for c in [*GAIN_COLUMNS, "questions"]:
        np.testing.assert_allclose(learners[c].sum(), ts[c].sum(), rtol=1e-9, err_msg=c)
    assert learners["answers_given"].sum() == ts["answers"].sum()
    assert learners["answers_received"].sum() == ts["answers"].sum()
    # A cut interaction had no room at one end at least, and at most at both.
    for kind in ("weak", "strong", "community"):
        cut = ts[f"budget_cut_{kind}"].sum()
        assert cut <= learners[f"no_time_{kind}"].sum() <= 2 * cut, kind
    # Ties, from the model's tie table.
    t = model.ties
    degree = np.bincount(np.concatenate([t.u, t.v]), minlength=model.n_agents)
    np.testing.assert_array_equal(learners["degree"], degree)
    np.testing.assert_array_equal(learners["n_weak_ties"] + learners["n_strong_ties"], degree)
    assert learners["n_strong_ties"].sum() == 2 * ts["n_strong_ties"].iloc[-1]
    np.testing.assert_allclose(
        learners["mean_knowledge"].mean() * model.n_items,
        ts["share_aware"].iloc[-1] * ts["mean_depth"].iloc[-1] * model.n_items,
        rtol=1e-6,
    )


def test_the_tight_budget_cuts_both_ends():
    # The test above can only fail if cuts happen: make sure the tight cases produce them.
    m = _model("hybrid", TIGHT)
    ts, learners = m.timeseries(), m.learner_table()
    cut = ts[["budget_cut_weak", "budget_cut_strong", "budget_cut_community"]].to_numpy().sum()
    assert cut > 0
    assert learners[CUT_COLUMNS].to_numpy().sum() > cut


def test_concentration_of_answers_matches_its_definition():
    m = _model("hybrid", [])
    given = m.tally.answers_given
    assert given.sum() > 0
    ts = m.timeseries()
    assert ts["gini_answers_given"].iloc[-1] == pytest.approx(gini(given.astype(float)))
    top = np.sort(given)[::-1][: int(np.ceil(0.1 * len(given)))].sum() / given.sum()
    assert ts["top10_share_answers_given"].iloc[-1] == pytest.approx(top)
    assert np.isnan(ts["gini_answers_given"].iloc[0])  # nothing given before step 1


@pytest.mark.parametrize("seed", range(5))
def test_gini_of_counts_equals_the_sorted_formula(seed):
    x = np.random.default_rng(seed).poisson(2.0, size=997)
    assert gini_of_counts(x) == pytest.approx(gini(x.astype(float)), abs=1e-12)
    assert top_share(x, 0.1) == pytest.approx(np.sort(x)[-100:].sum() / x.sum())
    assert np.isnan(gini_of_counts(np.zeros(5, dtype=int)))
    assert gini_of_counts(np.array([0, 0, 0, 7])) == pytest.approx(0.75)  # (n - 1) / n


def test_the_split_of_a_counted_total_is_hypergeometric():
    rng = np.random.default_rng(11)
    # Edge cases: all weak, all strong, nothing counted.
    assert _split(5, 10, 0, rng).tolist() == [5, 0]
    assert _split(5, 10, 10, rng).tolist() == [0, 5]
    assert _split(0, 10, 4, rng).tolist() == [0, 0]
    # Drawing 30 of 100 triples of which 40 are strong: the strong count has mean
    # 30 * 0.4 = 12 and variance 30 * 0.4 * 0.6 * (100 - 30) / 99 = 5.09. Over R = 4000
    # draws the sample mean has sd sqrt(5.09 / 4000) = 0.036; 5 sd = 0.18.
    draws = np.array([_split(30, 100, 40, rng) for _ in range(4000)])
    assert (draws.sum(axis=1) == 30).all()
    assert abs(draws[:, 1].mean() - 12.0) < 0.18
    assert abs(draws[:, 1].var() - 5.09) < 0.6  # sd of a sample variance ~ 5.09 * sqrt(2/R)


def test_groups_table_from_no_steps_has_the_columns():
    m = _model("closed_community", ["steps=1"])
    empty = groups_table(m, [])
    assert list(empty.columns) == list(m.groups().columns)
    assert empty.empty


def test_metrics_switches_turn_the_tables_off():
    sc = load_scenario(
        ROOT / "scenarios" / "closed_community.yaml",
        [*SMALL, "metrics.groups=false", "metrics.learners=false"],
    )
    side: dict[str, list[pd.DataFrame]] = {}
    off = run_replication(sc, 0, 5, side=side)
    assert set(side) == {"ties"}
    on = run_replication(sc.model_copy(update={"metrics": sc.metrics.model_copy(
        update={"groups": True, "learners": True})}), 0, 5)  # fmt: skip
    pd.testing.assert_frame_equal(off, on)  # the outputs change nothing in the run


def test_a_run_writes_every_side_table_and_they_round_trip(tmp_path):
    overrides = [*SMALL, "replications=2", "metrics.snapshot_every=10"]
    res = api.run_scenario(
        ROOT / "scenarios" / "hybrid.yaml", overrides=overrides, out=tmp_path, figures=False
    )
    folder = Path(res.folder)
    assert res.read_table("learners", step=25)["step"].eq(25).all()
    for table in SIDE_TABLES:
        assert (folder / f"{table}.parquet").is_file(), table
    learners = pd.read_parquet(folder / "learners.parquet")
    assert sorted(set(learners["step"])) == [10, 20, 25]
    assert learners.groupby(["replication", "step"]).size().eq(120).all()
    groups = pd.read_parquet(folder / "groups.parquet")
    assert sorted(set(groups["step"])) == list(range(26))
    ts = pd.read_parquet(folder / "timeseries.parquet")
    sums = (
        groups[groups["grouping"] == "member"]
        .groupby(["replication", "step"])
        .sum(numeric_only=True)
    )
    np.testing.assert_allclose(
        sums["gain_via_help"].to_numpy(), ts.set_index(["replication", "step"])["gain_via_help"]
    )
    # The learner table at a snapshot step agrees with the tie snapshot of that step.
    ties = pd.read_parquet(folder / "ties.parquet")
    at = ties[(ties["replication"] == 1) & (ties["step"] == 20)]
    degree = np.bincount(np.concatenate([at["u"], at["v"]]), minlength=120)
    row = learners[(learners["replication"] == 1) & (learners["step"] == 20)]
    np.testing.assert_array_equal(row["degree"].to_numpy(), degree)
    # A run missing one of its side tables is not finished (a resume runs it again).
    store = ResultsFolder(folder)
    done = store.finished_keys()
    victim = next((folder / "runs" / "groups").glob("*.parquet"))
    victim.unlink()
    assert store.finished_keys() == done - {victim.stem}


def test_lorenz_curve_of_equal_and_concentrated_helping():
    xs, ys = lorenz_curve(np.array([3, 3, 3, 3]))
    np.testing.assert_allclose(ys, xs)  # equal helping: the diagonal
    xs, ys = lorenz_curve(np.array([0, 0, 0, 8]))
    np.testing.assert_allclose(ys, [0, 0, 0, 0, 1])  # one learner gives every answer
    assert lorenz_curve(np.zeros(3, dtype=int))[1].tolist() == [0, 0, 0, 0]


def test_a_scenario_folder_gets_the_group_and_learner_figures(tmp_path):
    res = api.run_scenario(
        ROOT / "scenarios" / "closed_community.yaml",
        overrides=[*SMALL, "replications=2", "population.time_budget=1"],
        out=tmp_path,
    )
    figures = Path(res.folder) / "figures"
    for name in ("groups.png", "learners.png"):
        assert (figures / name).stat().st_size > 10_000, name


def test_karate_groups_are_the_two_factions():
    sc = load_scenario(ROOT / "scenarios" / "karate.yaml", ["steps=3"])
    m = make_model(sc, rng=1)
    for _ in range(3):
        m.step()
    groups = m.groups()
    last = groups[groups["step"] == 3]
    assert dict(zip(last["group"], last["n_learners"], strict=True)) == {
        "Mr. Hi": 17,
        "Officer": 17,
    }
    assert set(m.learner_table()["group"]) == {"Mr. Hi", "Officer"}
