"""Real networks: both directions merged, weights to strengths, node attributes, ids kept,
and the shipped karate club."""

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sim.api import run_scenario
from sim.experiment import storage
from sim.experiment.jobs import start_network
from sim.experiment.spec import scenario_spec
from sim.model import LearningModel
from sim.scenario import NetworkConfig, ScenarioError, load_scenario
from sim.world.edge_list import EdgeListError, FileNetwork, read_edge_list, read_start_network
from sim.world.graph_files import learner_indices, weights_to_strengths
from sim.world.learners import draw_traits, seed_knowledge

ROOT = Path(__file__).resolve().parent.parent


SMALL = "knowledge: {item_classes: [{name: facts, n_items: 2, seeding: {n_holders: 1}}]}\n"


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def ties(u, v, s):
    return list(zip(u.tolist(), v.tolist(), s.tolist(), strict=True))


def graphml(path, edges, nodes=(), directed=False):
    g = nx.DiGraph() if directed else nx.Graph()
    for n, attrs in nodes:
        g.add_node(n, **attrs)
    for a, b, attrs in edges:
        g.add_edge(a, b, **attrs)
    nx.write_graphml(g, path)
    return path


def network(tmp_path, text, n=4, **fields):
    f = write(tmp_path / "ties.csv", text)
    return read_start_network(NetworkConfig(generator="edge_list", path=str(f), **fields), n)


# ---------------------------------------------------------------------------------------------
# Both directions: one tie, the larger value


def test_a_tie_listed_both_ways_is_one_tie_with_the_larger_weight(tmp_path):
    f = write(tmp_path / "t.csv", "source,target,weight\n0,1,0.4\n1,2,0.5\n1,0,0.6\n2,1,0.5\n")
    assert ties(*read_edge_list(f, 3)) == [(0, 1, 0.6), (1, 2, 0.5)]


def test_a_tie_listed_both_ways_keeps_the_larger_strength_and_the_mapping_follows(tmp_path):
    f = write(tmp_path / "t.csv", "source,target,strength\n1,0,0.2\n0,1,0.9\n")
    assert ties(*read_edge_list(f, 2)) == [(0, 1, 0.9)]
    f = write(tmp_path / "w.csv", "source,target,weight\n0,1,2\n1,0,6\n1,2,3\n")
    # max of (2, 6) is 6, the largest weight: strength 1; 3 / 6 = 0.5
    assert ties(*read_edge_list(f, 3, "max")) == [(0, 1, 1.0), (1, 2, 0.5)]


def test_directed_graphml_listed_both_ways_is_merged_too(tmp_path):
    f = graphml(
        tmp_path / "d.graphml",
        [(0, 1, {"weight": 0.3}), (1, 0, {"weight": 0.7})],
        directed=True,
    )
    assert ties(*read_edge_list(f, 2)) == [(0, 1, 0.7)]


def test_the_same_direction_twice_is_still_refused(tmp_path):
    f = write(tmp_path / "t.csv", "source,target\n0,1\n1,0\n0,1\n")
    with pytest.raises(EdgeListError, match=r"line 4: repeated tie 0-1 \(first at line 2\)"):
        read_edge_list(f, 2)


# ---------------------------------------------------------------------------------------------
# Weights to strengths: the same in CSV and GraphML


def test_weights_to_strengths_by_mode():
    w = np.array([2.0, 4.0, 4.0, 8.0, 3.0])
    assert weights_to_strengths(w, "max").tolist() == [0.25, 0.5, 0.5, 1.0, 0.375]
    assert weights_to_strengths(w, "rank").tolist() == [0.25, 0.75, 0.75, 1.0, 0.5]
    assert weights_to_strengths(w / 8, "none").tolist() == (w / 8).tolist()


@pytest.mark.parametrize("mode", ["none", "max", "rank"])
def test_csv_and_graphml_give_the_same_strengths_for_the_same_weights(tmp_path, mode):
    weights = [0.2, 0.4, 0.4, 0.8] if mode == "none" else [2, 4, 4, 8]
    pairs = [(0, 1), (1, 2), (2, 3), (0, 3)]
    rows = "".join(f"{a},{b},{w}\n" for (a, b), w in zip(pairs, weights, strict=True))
    csv = write(tmp_path / "t.csv", "source,target,weight\n" + rows)
    gml = graphml(
        tmp_path / "t.graphml",
        [(a, b, {"weight": w}) for (a, b), w in zip(pairs, weights, strict=True)],
    )
    from_csv = read_edge_list(csv, 4, mode)
    from_graphml = read_edge_list(gml, 4, mode)
    expected = {
        "none": [0.2, 0.8, 0.4, 0.4],  # ties sorted: (0,1) (0,3) (1,2) (2,3)
        "max": [0.25, 1.0, 0.5, 0.5],
        "rank": [1 / 3, 1.0, 2 / 3, 2 / 3],
    }[mode]
    for u, v, s in (from_csv, from_graphml):
        assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(0, 1), (0, 3), (1, 2), (2, 3)]
        assert s.tolist() == pytest.approx(expected, abs=0, rel=1e-15)
    assert from_csv[2].tolist() == from_graphml[2].tolist()


def test_a_csv_weight_column_is_read_no_longer_ignored(tmp_path):
    net = network(tmp_path, "source,target,weight\n0,1,0.25\n", n=2, strength=0.9)
    assert net.strength.tolist() == [0.25]


def test_a_strength_column_keeps_its_meaning_and_wins_over_weight(tmp_path):
    net = network(tmp_path, "source,target,strength,weight\n0,1,0.5,7\n", n=2)
    assert net.strength.tolist() == [0.5]


# ---------------------------------------------------------------------------------------------
# Node attributes: groups and membership


NODES = [
    ("a", {"group": "red", "member": True}),
    ("b", {"group": "blue", "member": False}),
    ("c", {"group": "red", "member": True}),
    ("d", {"group": "blue", "member": False}),
]


def test_graphml_group_and_member_become_the_learners(tmp_path):
    f = graphml(tmp_path / "g.graphml", [("a", "b", {}), ("c", "d", {})], NODES)
    net = read_start_network(NetworkConfig(generator="edge_list", path=str(f)), 4)
    assert isinstance(net, FileNetwork)
    assert net.group_labels == ("blue", "red")  # numbered in sorted order
    assert net.group.tolist() == [1, 0, 1, 0]
    assert net.member.tolist() == [True, False, True, False]
    sc = load_scenario(
        write(tmp_path / "s.yaml", f"population: {{n_agents: 4}}\n{SMALL}"),
        ["network.generator=edge_list", f"network.path={f}"],
    )
    model = LearningModel(sc, rng=1)
    assert model.group.tolist() == [1, 0, 1, 0]


def test_a_csv_node_table_gives_the_same_as_graphml_and_lists_isolates(tmp_path):
    write(
        tmp_path / "nodes.csv",
        "id,member,group,age\nc,yes,red,30\na,1,red,\nb,no,blue,\nd,0,blue,\n",
    )
    net = network(tmp_path, "source,target\na,b\n", n=4, nodes_path="nodes.csv")
    assert net.ids.tolist() == ["a", "b", "c", "d"]  # d is an isolate, known from the table
    assert net.n_ties == 1 and net.degrees().tolist() == [1, 1, 0, 0]
    assert net.group.tolist() == [1, 0, 1, 0] and net.group_labels == ("blue", "red")
    assert net.member.tolist() == [True, False, True, False]


def test_integer_group_labels_are_numbered_as_numbers(tmp_path):
    write(tmp_path / "nodes.csv", "id,group\n0,10\n1,9\n2,10\n")
    net = network(tmp_path, "source,target\n0,1\n1,2\n", n=3, nodes_path="nodes.csv")
    assert net.group.tolist() == [1, 0, 1] and net.group_labels == ("9", "10")


def test_file_membership_replaces_the_drawn_one_and_leaves_every_stream_alone():
    sc = load_scenario(ROOT / "scenarios" / "closed_community.yaml", ["population.n_agents=6"])
    given = np.array([True, False, False, True, False, False])

    def traits(member):
        rngs = np.random.default_rng(5).spawn(2)
        return draw_traits(sc, 6, rngs[0], rngs[1], member=member)

    drawn, from_file = traits(None), traits(given)
    assert drawn.member.all()  # share_members 1.0
    assert from_file.member.tolist() == given.tolist()
    assert from_file.activity.tolist() == drawn.activity.tolist()
    assert from_file.helpfulness.tolist() == drawn.helpfulness.tolist()
    topics = sc.community.topics
    # Members share the community's topics; non-members keep their own interests.
    assert from_file.interest[given][:, topics].all()
    assert (
        from_file.interest[~given].tolist() == traits(np.zeros(6, bool)).interest[~given].tolist()
    )


def test_without_a_community_file_membership_is_not_used(tmp_path):
    text = f"population: {{n_agents: 4}}\nnetwork: {{generator: empty}}\n{SMALL}"
    sc = load_scenario(write(tmp_path / "s.yaml", text))
    assert not sc.community.enabled
    rngs = np.random.default_rng(5).spawn(2)
    t = draw_traits(sc, 4, rngs[0], rngs[1], member=np.ones(4, bool))
    assert not t.member.any()


# ---------------------------------------------------------------------------------------------
# Ids kept


def test_string_ids_are_kept_and_written_to_the_results_folder(tmp_path):
    write(tmp_path / "ties.csv", "source,target\nbob,alice\ncarol,bob\n")
    scenario = write(
        tmp_path / "s.yaml",
        "name: ids\nsteps: 2\nreplications: 1\npopulation: {n_agents: 4}\n"
        "network: {generator: edge_list, path: ties.csv}\n"
        "knowledge: {item_classes: [{name: facts, n_items: 1, seeding: {n_holders: 1}}]}\n",
    )
    net = start_network(load_scenario(scenario))
    assert net.ids.tolist() == ["alice", "bob", "carol"]
    run_scenario(scenario, out=tmp_path / "results", figures=False)
    (found,) = (tmp_path / "results" / "ids").glob(f"*/{storage.LEARNER_IDS}")
    table = pd.read_csv(found, dtype={"file_id": str})
    assert table.to_dict("list") == {"learner": [0, 1, 2], "file_id": ["alice", "bob", "carol"]}


def test_ids_that_are_learner_indices_need_no_mapping_file(tmp_path):
    write(tmp_path / "ties.csv", "source,target\n0,2\n")
    scenario = write(
        tmp_path / "s.yaml",
        "name: same\nsteps: 1\nreplications: 1\npopulation: {n_agents: 4}\n"
        "network: {generator: edge_list, path: ties.csv}\n"
        "knowledge: {item_classes: [{name: facts, n_items: 1, seeding: {n_holders: 1}}]}\n",
    )
    assert start_network(load_scenario(scenario)).ids is None
    run_scenario(scenario, out=tmp_path / "results", figures=False)
    assert not list((tmp_path / "results").rglob(storage.LEARNER_IDS))


def test_seeding_agents_name_file_ids_when_the_ids_are_renumbered(tmp_path):
    # 1-based ids on 4 learners: file id 3 is learner 2.
    net = network(tmp_path, "source,target\n1,2\n2,3\n3,4\n", n=4)
    assert net.ids.tolist() == ["1", "2", "3", "4"]
    sc = load_scenario(
        write(
            tmp_path / "s.yaml",
            "population: {n_agents: 4}\nnetwork: {generator: edge_list, path: ties.csv}\n"
            "knowledge: {item_classes: [{name: facts, n_items: 2, seeding: {agents: [3]}}]}\n",
        )
    )
    k = seed_knowledge(sc, 4, net.degrees(), net.group, np.random.default_rng(0), ids=net.ids)
    assert (k > 0).nonzero()[0].tolist() == [2, 2]
    assert learner_indices(["carol", "alice"], np.array(["alice", "bob", "carol"])).tolist() == [
        2,
        0,
    ]
    with pytest.raises(ValueError, match=r"not ids of the network file: \['zed'\]"):
        learner_indices(["zed"], np.array(["alice"]))


# ---------------------------------------------------------------------------------------------
# Messages name the file, the field and what is allowed


def spec_problem(tmp_path, network_yaml, n=4):
    path = write(
        tmp_path / "s.yaml", f"population: {{n_agents: {n}}}\nnetwork: {network_yaml}\n{SMALL}"
    )
    with pytest.raises(ScenarioError) as info:
        scenario_spec(path)
    (line,) = info.value.problems
    return path, line


def test_an_unknown_mode_names_the_file_the_field_and_the_choices(tmp_path):
    write(tmp_path / "ties.csv", "source,target,weight\n0,1,3\n")
    path, line = spec_problem(
        tmp_path, "{generator: edge_list, path: ties.csv, weight_to_strength: log}"
    )
    assert line.startswith(f"{path}: network.weight_to_strength: ")
    assert "'none', 'max' or 'rank'" in line


def test_a_weight_above_1_without_a_mapping_says_how_to_map_it(tmp_path):
    write(tmp_path / "ties.csv", "source,target,weight\n0,1,0.5\n1,2,3\n")
    path, line = spec_problem(tmp_path, "{generator: edge_list, path: ties.csv}")
    assert line.startswith(f"{path}: network.path: line 3: weight must be in (0, 1]")
    assert "max or rank" in line


def test_a_mapping_without_weights_names_the_field(tmp_path):
    write(tmp_path / "ties.csv", "source,target,strength\n0,1,0.5\n")
    path, line = spec_problem(
        tmp_path, "{generator: edge_list, path: ties.csv, weight_to_strength: rank}"
    )
    assert line.startswith(f"{path}: network.weight_to_strength: rank maps weights")
    assert "ties.csv gives strength" in line


@pytest.mark.parametrize(
    ("table", "parts"),
    [
        ("name,group\na,x\n", ["nodes.csv: line 1: the header must name the column id"]),
        ("id,member\na,maybe\nb,no\n", ["nodes.csv: line 2: member must be true or false"]),
        ("id,group\na,x\nb,\n", ["nodes.csv: line 3: missing group (id 'b')"]),
        ("id,group\na,x\na,y\nb,x\n", ["nodes.csv: line 3: id a repeated (first at line 2)"]),
        ("id,group\na,x\n", ["nodes.csv: ids with ties but no row in the node table: 'b'"]),
    ],
)
def test_a_bad_node_table_names_its_file_and_field(tmp_path, table, parts):
    write(tmp_path / "ties.csv", "source,target\na,b\n")
    write(tmp_path / "nodes.csv", table)
    path, line = spec_problem(
        tmp_path, "{generator: edge_list, path: ties.csv, nodes_path: nodes.csv}", n=2
    )
    assert line.startswith(f"{path}: network.nodes_path: ")
    for part in parts:
        assert part in line, line


def test_groups_for_some_learners_only_are_refused(tmp_path):
    write(tmp_path / "nodes.csv", "id,group\n0,x\n1,y\n")
    with pytest.raises(EdgeListError, match=r"population.n_agents is 3.*\[2\]") as info:
        network(tmp_path, "source,target\n0,1\n", n=3, nodes_path="nodes.csv")
    assert info.value.field == "network.nodes_path"


def test_a_node_table_with_graphml_is_refused(tmp_path):
    f = graphml(tmp_path / "g.graphml", [(0, 1, {})])
    cfg = NetworkConfig(generator="edge_list", path=str(f), nodes_path="nodes.csv")
    with pytest.raises(EdgeListError, match="remove network.nodes_path") as info:
        read_start_network(cfg, 2)
    assert info.value.field == "network.nodes_path"


# ---------------------------------------------------------------------------------------------
# The shipped karate club


def test_the_karate_scenario_reads_zacharys_club():
    sc = load_scenario(ROOT / "scenarios" / "karate.yaml")
    net = start_network(sc)
    club = nx.karate_club_graph()
    assert (sc.population.n_agents, net.n_agents, net.n_ties) == (34, 34, 78)
    assert net.ids is None  # networkx's 0..33 are the learner indices
    assert net.group_labels == ("Mr. Hi", "Officer")
    assert np.bincount(net.group).tolist() == [17, 17]
    assert [net.group_labels[g] for g in net.group] == [club.nodes[i]["club"] for i in range(34)]
    weight = np.array([club[a][b]["weight"] for a, b in zip(net.u, net.v, strict=True)])
    assert net.strength.tolist() == (weight / 7).tolist()
    # Strengths keep the order of weights: a heavier tie never starts weaker.
    order = np.argsort(weight, kind="stable")
    assert (np.diff(net.strength[order]) >= 0).all()
    assert net.member is None


def test_the_karate_scenario_runs():
    sc = load_scenario(ROOT / "scenarios" / "karate.yaml", ["steps=5"])
    model = LearningModel(sc, rng=3, start_network=start_network(sc))
    for _ in range(sc.steps):
        model.step()
    ts = model.timeseries()
    assert ts["n_bridging_ties"].iloc[0] == 11  # ties between the two factions
    assert model.knowledge[[0, 1, 2]].min() > 0  # the instructor's faction holds the items


# ---------------------------------------------------------------------------------------------
# Through the model: file ids name the seed holders, file membership replaces the drawn one


def test_seed_holders_name_file_ids_in_both_engines(tmp_path):
    # ids 10, 20, 30 are not 0..n-1: learners are numbered in sorted id order (10 -> 0,
    # 20 -> 1, 30 -> 2), so the holder "30" is learner 2, in every item of the class.
    from sim.reference import ReferenceModel

    (tmp_path / "ties.csv").write_text("source,target\n20,10\n30,20\n", encoding="utf-8")
    s = tmp_path / "s.yaml"
    s.write_text(
        "population: {n_agents: 4}\nnetwork: {generator: edge_list, path: ties.csv}\n"
        "knowledge: {item_classes: [{name: facts, n_items: 2, seeding: {agents: [30]}}]}\n",
        encoding="utf-8",
    )
    sc = load_scenario(s)
    for cls in (LearningModel, ReferenceModel):
        m = cls(sc, rng=1, start_network=start_network(sc))
        assert (m.knowledge > 0).nonzero()[0].tolist() == [2, 2]


def test_a_seed_holder_that_is_no_node_of_the_file_is_an_input_error(tmp_path):

    (tmp_path / "ties.csv").write_text("source,target\n20,10\n", encoding="utf-8")
    s = tmp_path / "s.yaml"
    s.write_text(
        "population: {n_agents: 4}\nnetwork: {generator: edge_list, path: ties.csv}\n"
        "knowledge: {item_classes: [{name: facts, n_items: 2, seeding: {agents: [99]}}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"item_classes.0.seeding.agents"):
        scenario_spec(s)


def test_file_membership_reaches_the_model(tmp_path):
    # share_members 0.5 would draw 2 members at random; the file's membership wins.
    from sim.reference import ReferenceModel

    g = nx.Graph()
    for n, mem in enumerate([True, False, True, False]):
        g.add_node(n, member=mem)
    g.add_edges_from([(0, 1), (2, 3)])
    nx.write_graphml(g, tmp_path / "g.graphml")
    s = tmp_path / "s.yaml"
    s.write_text(
        "population: {n_agents: 4}\nnetwork: {generator: edge_list, path: g.graphml}\n"
        "community: {enabled: true, share_members: 0.5}\n"
        "knowledge: {item_classes: [{name: facts, n_items: 2, seeding: {n_holders: 1}}]}\n",
        encoding="utf-8",
    )
    sc = load_scenario(s)
    for cls in (LearningModel, ReferenceModel):
        assert cls(sc, rng=1).member.tolist() == [True, False, True, False]
