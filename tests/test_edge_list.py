import networkx as nx
import numpy as np
import pytest

from sim.cli import EXIT_INVALID, main
from sim.experiment.spec import scenario_spec
from sim.scenario import NetworkConfig, ScenarioError
from sim.world.edge_list import EdgeListError, read_edge_list, read_start_network
from sim.world.network import build_network


def tie_list(net):
    return list(zip(net.u.tolist(), net.v.tolist(), strict=True))


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_round_trip_with_strength(tmp_path):
    f = write(
        tmp_path / "ties.csv", "source,target,strength,note\n3,1,0.5,x\n\n0,1,1.0,y\n2,4,0.25,z\n"
    )
    u, v, s = read_edge_list(f, 6)
    assert list(zip(u.tolist(), v.tolist(), s.tolist(), strict=True)) == [
        (0, 1, 1.0),
        (1, 3, 0.5),
        (2, 4, 0.25),
    ]
    net = read_start_network(NetworkConfig(generator="edge_list", path=str(f)), 6)
    assert tie_list(net) == [(0, 1), (1, 3), (2, 4)]
    assert net.strength.tolist() == [1.0, 0.5, 0.25]
    assert net.n_agents == 6 and net.degrees().tolist() == [1, 2, 1, 1, 1, 0]


def test_csv_without_strength_uses_the_configured_strength(tmp_path):
    f = write(tmp_path / "ties.csv", " Target , Source \n1,0\n2,1\n")
    u, v, s = read_edge_list(f, 3)
    assert (u.tolist(), v.tolist(), s) == ([0, 1], [1, 2], None)
    net = read_start_network(NetworkConfig(generator="edge_list", path=str(f), strength=0.3), 3)
    assert net.strength.tolist() == [0.3, 0.3]


def test_csv_text_labels_map_to_sorted_indices(tmp_path):
    f = write(tmp_path / "ties.csv", "source,target\nbob,alice\ncarol,bob\n")
    u, v, _ = read_edge_list(f, 5)
    # alice -> 0, bob -> 1, carol -> 2
    assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(0, 1), (1, 2)]


def test_csv_integer_labels_out_of_range_map_in_numeric_order(tmp_path):
    # 1-based ids on 3 agents: 2 -> 0, 9 -> 1, 10 -> 2 (numeric, not text, order).
    f = write(tmp_path / "ties.csv", "source,target\n10,2\n9,10\n")
    u, v, _ = read_edge_list(f, 3)
    assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(0, 2), (1, 2)]


def test_csv_integer_labels_in_range_are_agent_indices(tmp_path):
    f = write(tmp_path / "ties.csv", "source,target\n7,2\n")
    u, v, _ = read_edge_list(f, 8)
    assert (u.tolist(), v.tolist()) == ([2], [7])


def test_graphml_round_trip_with_strength_and_isolates(tmp_path):
    g = nx.Graph()
    g.add_edge("b", "a", strength=0.25)
    g.add_edge("b", "c", strength=1.0)
    g.add_node("d")  # an isolate still takes an agent index
    nx.write_graphml(g, tmp_path / "g.graphml")
    u, v, s = read_edge_list(tmp_path / "g.graphml", 4)
    assert list(zip(u.tolist(), v.tolist(), s.tolist(), strict=True)) == [(0, 1, 0.25), (1, 2, 1.0)]
    with pytest.raises(EdgeListError, match="4 nodes but n_agents is 3"):
        read_edge_list(tmp_path / "g.graphml", 3)


def test_graphml_weight_is_read_when_there_is_no_strength(tmp_path):
    g = nx.Graph()
    g.add_edge(0, 2, weight=0.5)
    nx.write_graphml(g, tmp_path / "g.xml")
    u, v, s = read_edge_list(tmp_path / "g.xml", 3)
    assert (u.tolist(), v.tolist(), s.tolist()) == ([0], [2], [0.5])


def test_graphml_without_attributes_has_no_strength(tmp_path):
    nx.write_graphml(nx.path_graph(3), tmp_path / "g.graphml")
    u, v, s = read_edge_list(tmp_path / "g.graphml", 3)
    assert (u.tolist(), v.tolist(), s) == ([0, 1], [1, 2], None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "source,target,strength\n0,1,0.5\n1,2,1.5\n",
            r"line 3: strength must be in \(0, 1\] \(got 1.5\)",
        ),
        ("source,target,strength\n0,1,0\n", r"line 2: strength must be in \(0, 1\]"),
        ("source,target,strength\n0,1,nan\n", r"line 2: strength must be in \(0, 1\]"),
        ("source,target,strength\n0,1,high\n", "line 2: strength must be a number"),
        ("source,target,strength\n0,1,\n", "line 2: missing strength"),
        ("source,target\n0,1\n2,2\n", r"line 3: self-loop"),
        ("source,target\n0,1\n1,2\n0,1\n", r"line 4: repeated tie 0-1 \(first at line 2\)"),
        # The same direction twice is refused; both directions are one tie (test_real_networks).
        ("source,target\n0,1\n1,2\n\n1,2\n", r"line 5: repeated tie 1-2 \(first at line 3\)"),
        ("source,target\n0,1\n1,2\n2,1\n1,2\n", r"line 5: repeated tie 1-2 \(first at line 3\)"),
        ("source,target\na,b\nc,d\ne,f\n", "6 nodes but n_agents is 5"),
        ("from,to\n0,1\n", "line 1: the header must name the columns source and target"),
        ("", "empty"),
        ("source,target,strength\n0,1\n", "line 2: expected 3 columns"),
        ("source,target\n0,\n", "line 2: empty source or target"),
    ],
)
def test_csv_errors_say_what_is_wrong_and_where(tmp_path, text, message):
    f = write(tmp_path / "bad.csv", text)
    with pytest.raises(EdgeListError, match=message):
        read_edge_list(f, 5)


def test_missing_file_and_folder_and_no_path_are_errors(tmp_path):
    with pytest.raises(EdgeListError, match="file not found: .*nope.csv"):
        read_edge_list(tmp_path / "nope.csv", 5)
    with pytest.raises(EdgeListError, match="not a file"):
        read_edge_list(tmp_path, 5)
    with pytest.raises(EdgeListError, match="no edge-list file"):
        read_edge_list(None, 5)


def test_non_utf8_csv_is_an_error(tmp_path):
    (tmp_path / "bad.csv").write_bytes(b"source,target\n\xff\xfe,1\n")
    with pytest.raises(EdgeListError, match="not UTF-8"):
        read_edge_list(tmp_path / "bad.csv", 5)


def test_graphml_errors(tmp_path):
    write(tmp_path / "broken.graphml", "<graphml><node")
    with pytest.raises(EdgeListError, match="cannot parse GraphML"):
        read_edge_list(tmp_path / "broken.graphml", 5)

    g = nx.Graph()
    g.add_edge(0, 1, strength=0.5)
    g.add_edge(1, 2)
    nx.write_graphml(g, tmp_path / "partial.graphml")
    with pytest.raises(EdgeListError, match="missing strength"):
        read_edge_list(tmp_path / "partial.graphml", 5)

    g = nx.Graph()
    g.add_edge(0, 1, strength=2.0)
    nx.write_graphml(g, tmp_path / "strong.graphml")
    with pytest.raises(EdgeListError, match=r"strength must be in \(0, 1\] \(got 2.0\)"):
        read_edge_list(tmp_path / "strong.graphml", 5)

    g = nx.Graph()
    g.add_edge(3, 3)
    nx.write_graphml(g, tmp_path / "loop.graphml")
    with pytest.raises(EdgeListError, match="self-loop"):
        read_edge_list(tmp_path / "loop.graphml", 5)

    g = nx.MultiDiGraph()
    g.add_edges_from([(0, 1), (0, 1)])
    nx.write_graphml(g, tmp_path / "same_way_twice.graphml")
    with pytest.raises(EdgeListError, match="repeated tie"):
        read_edge_list(tmp_path / "same_way_twice.graphml", 5)

    g = nx.MultiGraph()
    g.add_edges_from([(0, 1), (0, 1)])
    nx.write_graphml(g, tmp_path / "parallel.graphml")
    with pytest.raises(EdgeListError, match="repeated tie"):
        read_edge_list(tmp_path / "parallel.graphml", 5)


def test_a_bad_edge_list_is_one_line_and_exit_2_before_any_folder(tmp_path, capsys):
    write(tmp_path / "ties.csv", "source,target\n0,1\n1,1\n")
    scenario = write(
        tmp_path / "s.yaml",
        "population: {n_agents: 10}\nnetwork: {generator: edge_list, path: ties.csv}\n",
    )
    out = tmp_path / "results"
    assert main([str(scenario), "--out", str(out), "--quiet"]) == EXIT_INVALID
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{scenario}: network.path: line 3: self-loop (1)"]
    assert not out.exists()


def test_build_network_refuses_edge_list():
    with pytest.raises(ValueError, match="sim.world.edge_list"):
        build_network(
            NetworkConfig(generator="edge_list", path="x.csv"), 3, np.random.default_rng(0)
        )


# ---------------------------------------------------------------------------------------------
# A bad file is one problem naming the scenario and network.path, when a run is prepared


def edge_list_scenario(tmp_path, csv_name):
    path = tmp_path / "edges.yaml"
    path.write_text(
        f"population: {{n_agents: 10}}\nnetwork: {{generator: edge_list, path: {csv_name}}}\n",
        encoding="utf-8",
    )
    return path


def prepared_problem(path):
    with pytest.raises(ScenarioError) as info:
        scenario_spec(path)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


def test_edge_list_file_missing(tmp_path):
    path = edge_list_scenario(tmp_path, "nope.csv")
    line = prepared_problem(path)
    assert line.startswith(f"{path}: network.path: ")
    assert "not found" in line
    assert "nope.csv" in line


EDGE_LISTS = {
    "strength_out_of_range": ("source,target,strength\n0,1,0.5\n1,2,1.5\n", ["line 3", "1.5"]),
    "strength_not_a_number": (
        "source,target,strength\n0,1,0.5\n1,2,strong\n",
        ["line 3", "'strong'"],
    ),
    "no_header": ("0,1\n1,2\n", ["line 1", "source", "target"]),
    "empty": ("", ["empty"]),
    "self_loop": ("source,target\n0,0\n", ["line 2", "self-loop"]),
    "repeated_tie": ("source,target\n0,1\n0,1\n", ["line 3", "repeated"]),
    "too_many_nodes": (
        "source,target\n" + "".join(f"{i},{i + 1}\n" for i in range(20)),
        ["21 nodes", "n_agents is 10"],
    ),
}


@pytest.mark.parametrize(("content", "parts"), EDGE_LISTS.values(), ids=EDGE_LISTS.keys())
def test_edge_list_file_malformed(tmp_path, content, parts):
    (tmp_path / "ties.csv").write_text(content, encoding="utf-8")
    path = edge_list_scenario(tmp_path, "ties.csv")
    line = prepared_problem(path)
    assert line.startswith(f"{path}: network.path: ")
    for part in parts:
        assert part in line, f"{part!r} not in {line!r}"


def test_edge_list_graphml_malformed(tmp_path):
    (tmp_path / "ties.graphml").write_text("<graphml><oops", encoding="utf-8")
    path = edge_list_scenario(tmp_path, "ties.graphml")
    line = prepared_problem(path)
    assert line.startswith(f"{path}: network.path: ")
    assert "GraphML" in line
