"""`run.py removal` and `run.py export` on the saved tie networks (no rerun).

The removal command must give exactly the curves of `removal_curve` called on the same
network (rebuilt here by running the model again), and the overlap must be Onnela's O_ij.
"""

import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import api
from sim.analysis import export
from sim.analysis.structure import (
    ALL_ORDERS,
    OVERLAP_ORDERS,
    collapse_fraction,
    removal_curve,
    tie_overlap,
)
from sim.cli import EXIT_INVALID, EXIT_OK, main
from sim.engines import make_model
from sim.experiment.jobs import replication_seeds
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
WEAK_TIES = ROOT / "scenarios" / "weak_ties.yaml"
SMALL = ["population.n_agents=120", "network.n_groups=12", "ties.p_triadic=0.01"]
STEPS = 8


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("removal")
    res = api.run_scenario(
        WEAK_TIES, replications=3, steps=STEPS, overrides=SMALL, out=out, figures=False
    )
    return res.folder


def final_ties(sc, seed: int, steps: int = STEPS):
    model = make_model(sc, rng=seed)
    for _ in range(steps):
        model.step()
    return model


# ---------------------------------------------------------------------------------------------
# Overlap (Onnela et al. 2007)


def test_overlap_by_hand_on_a_triangle_with_a_tail():
    # Triangle 0-1-2, tail 2-3, dyad 4-5. Tie 0-1: one common neighbour (2), others
    # (k0 - 1) + (k1 - 1) - 1 = 1 + 1 - 1 = 1 -> 1. Tie 0-2: common 1, (1 + 2 - 1) = 2 -> 1/2.
    # Tie 2-3: no common neighbour -> 0. Dyad 4-5: 0 / 0 -> 0.
    u = np.array([0, 0, 1, 2, 4])
    v = np.array([1, 2, 2, 3, 5])
    assert tie_overlap(u, v, 6).tolist() == [1.0, 0.5, 0.5, 0.0, 0.0]


def test_overlap_equals_its_definition_on_a_random_graph():
    g = nx.gnm_random_graph(60, 240, seed=3)
    u, v = (np.array(x) for x in zip(*g.edges(), strict=True))
    expected = []
    for a, b in g.edges():
        common = len(set(g[a]) & set(g[b]))
        others = (g.degree(a) - 1) + (g.degree(b) - 1) - common
        expected.append(common / others if others else 0.0)
    assert tie_overlap(u, v, 60) == pytest.approx(expected, abs=1e-15)


def test_overlap_orders_remove_low_overlap_ties_first():
    # Two triangles joined by the bridge 2-3 (overlap 0): removing it first splits the network.
    u = np.array([0, 0, 1, 2, 3, 3, 4])
    v = np.array([1, 2, 2, 3, 4, 5, 5])
    s = np.full(7, 0.5)
    low = removal_curve(u, v, s, 6, "low_overlap_first", np.array([0, 1 / 7]), refine=0)
    assert low["share_largest_component"].tolist() == [1.0, 0.5]
    high = removal_curve(u, v, s, 6, "high_overlap_first", np.array([0, 1 / 7]), refine=0)
    assert high["share_largest_component"].tolist() == [1.0, 1.0]
    assert set(OVERLAP_ORDERS) < set(ALL_ORDERS)


# ---------------------------------------------------------------------------------------------
# The command


def test_the_removal_command_reproduces_removal_curve_on_the_same_networks(folder, capsys):
    assert main(["removal", str(folder)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "collapse" in out and "weak_first" in out and "high_overlap_first" in out
    curves = pd.read_csv(folder / "removal.csv")
    assert set(curves["order"]) == set(ALL_ORDERS)
    sc = load_scenario(WEAK_TIES, [*SMALL, f"steps={STEPS}"])
    collapse = {o: [] for o in ALL_ORDERS}
    for r, seed in enumerate(replication_seeds(sc.seed, 3)):
        model = final_ties(sc, seed)
        t = model.ties
        for order in ALL_ORDERS:
            direct = removal_curve(t.u, t.v, t.strength, model.n_agents, order, seed=seed)
            got = curves[(curves["replication"] == r) & (curves["order"] == order)]
            assert (got["step"] == STEPS).all()
            got = got[direct.columns].reset_index(drop=True)
            pd.testing.assert_frame_equal(got, direct, check_exact=True)
            collapse[order].append(collapse_fraction(direct))
    table = pd.read_csv(folder / "removal_collapse.csv").set_index("order")
    for order, values in collapse.items():
        row = table.loc[order]
        assert row["n"] == 3
        assert row["mean"] == pytest.approx(np.mean(values), rel=1e-12)
        half = stats.t.ppf(0.975, 2) * np.std(values, ddof=1) / np.sqrt(3)
        assert row["ci_lo"] == pytest.approx(np.mean(values) - half, rel=1e-9, abs=1e-12)
        assert row["ci_hi"] == pytest.approx(np.mean(values) + half, rel=1e-9, abs=1e-12)
    png = folder / "figures" / "removal.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The Python API gives the same tables.
    res = api.removal_analysis(folder, figures=False)
    pd.testing.assert_frame_equal(res.curves.reset_index(drop=True), curves, check_dtype=False)


def test_removal_of_a_sweep_uses_each_points_learners(tmp_path):
    path = tmp_path / "sizes.yaml"
    path.write_text(
        f"extends: {WEAK_TIES}\nname: sizes\nsteps: 3\nreplications: 2\n"
        "network: {n_groups: 6}\nsweep:\n  population.n_agents: [60, 90]\n"
    )
    res = api.run_sweep(path, out=tmp_path / "out", figures=False)
    assert main(["removal", str(res.folder), "--order", "weak_first", "--quiet"]) == EXIT_OK
    curves = pd.read_csv(res.folder / "removal.csv")
    assert set(curves["order"]) == {"weak_first"}
    for point, sc in enumerate(res.scenarios):
        seed = replication_seeds(sc.seed, 2)[0]
        model = final_ties(sc, seed, 3)
        t = model.ties
        direct = removal_curve(t.u, t.v, t.strength, sc.population.n_agents, seed=seed)
        got = curves[(curves["point"] == point) & (curves["replication"] == 0)]
        got = got[direct.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, direct, check_exact=True)
    collapse = pd.read_csv(res.folder / "removal_collapse.csv")
    assert collapse["point"].tolist() == [0, 1] and (collapse["n"] == 2).all()


def test_removal_and_export_refuse_a_folder_without_snapshots(tmp_path, capsys):
    assert main(["removal", str(tmp_path / "nowhere")]) == EXIT_INVALID
    assert "not a results folder (no manifest.json)" in capsys.readouterr().err
    (tmp_path / "scenario.yaml").write_text("name: x\n")
    (tmp_path / "manifest.json").write_text('{"status": "complete"}\n')
    assert main(["removal", str(tmp_path)]) == EXIT_INVALID
    assert main(["export", str(tmp_path), "--graphml"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.count("no ties.parquet") == 2


# ---------------------------------------------------------------------------------------------
# GraphML export


def test_export_writes_graphml_that_networkx_reads_back_as_the_saved_network(folder, capsys):
    assert main(["export", str(folder), "--graphml"]) == EXIT_OK
    files = sorted((folder / "export").glob("*.graphml"))
    assert [f.name for f in files] == [f"replication{r}_step{STEPS}.graphml" for r in range(3)]
    saved = pd.read_parquet(folder / "ties.parquet")
    for r, path in enumerate(files):
        g = nx.read_graphml(path, node_type=int)
        assert sorted(g.nodes) == list(range(120))  # learners without ties included
        rows = saved[saved["replication"] == r]
        assert g.number_of_edges() == len(rows)
        for row in rows.itertuples(index=False):
            edge = g.edges[row.u, row.v]
            assert edge["strength"] == row.strength  # doubles written in full
            assert (edge["kind"], edge["origin"]) == (row.kind, row.origin)
            assert edge["formed_step"] == row.formed_step
        degree = np.bincount(np.concatenate([rows["u"], rows["v"]]), minlength=120)
        assert [g.nodes[i]["degree"] for i in range(120)] == degree.tolist()
    assert str(files[0]) in capsys.readouterr().out


def test_export_of_an_earlier_step_and_of_a_step_never_saved(tmp_path, capsys):
    res = api.run_scenario(
        WEAK_TIES,
        replications=1,
        steps=6,
        overrides=[*SMALL, "metrics.snapshot_every=2"],
        out=tmp_path,
        figures=False,
    )
    assert main(["export", str(res.folder), "--graphml", "--step", "4"]) == EXIT_OK
    (path,) = (res.folder / "export").glob("*.graphml")
    assert path.name == "replication0_step4.graphml"
    model = final_ties(res.scenario, replication_seeds(res.scenario.seed, 1)[0], 4)
    g = nx.read_graphml(path, node_type=int)
    assert sorted(tuple(sorted(e)) for e in g.edges) == sorted(
        zip(model.ties.u.tolist(), model.ties.v.tolist(), strict=True)
    )
    assert main(["export", str(res.folder), "--graphml", "--step", "5"]) == EXIT_INVALID
    assert "no tie snapshot at step 5 (saved steps: [2, 4, 6])" in capsys.readouterr().err


def test_export_adds_the_file_ids_of_a_renumbered_network(folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    ids = pd.DataFrame({"learner": range(120), "file_id": [f"n{i * 7}" for i in range(120)]})
    ids.to_csv(copy / "learner_ids.csv", index=False)
    (first, *_) = api.export_graphml(copy)
    g = nx.read_graphml(first, node_type=int)
    assert [g.nodes[i]["file_id"] for i in (0, 1, 119)] == ["n0", "n7", "n833"]


def test_tie_graph_keeps_learners_without_ties_and_their_attributes():
    ties = pd.DataFrame(
        {
            "u": [0, 1],
            "v": [1, 2],
            "strength": [0.25, 0.75],
            "kind": pd.Categorical(["weak", "strong"]),
            "origin": pd.Categorical(["initial", "help"]),
            "formed_step": np.array([0, 3], dtype=np.int32),
        }
    )
    nodes = pd.DataFrame({"file_id": [10, 11, 12, 13]}, index=range(4))
    g = export.tie_graph(ties, 4, nodes)
    assert sorted(g.nodes) == [0, 1, 2, 3] and g.degree(3) == 0
    assert g.nodes[1] == {"degree": 2, "strength_sum": 1.0, "file_id": 11}
    assert g.edges[1, 2] == {"strength": 0.75, "kind": "strong", "origin": "help", "formed_step": 3}
    back = nx.parse_graphml(export.graphml_text(g), node_type=int)
    assert dict(back.nodes(data=True)) == dict(g.nodes(data=True))
    assert {frozenset((a, b)): d for a, b, d in back.edges(data=True)} == {
        frozenset((a, b)): d for a, b, d in g.edges(data=True)
    }
