"""Scenario files that build on others (`extends:`): merging, chains, errors, paths, results."""

import textwrap
from pathlib import Path

import pytest
import yaml

import sim.scenario.extends as extends_module
from sim.cli import EXIT_INVALID, EXIT_OK, main
from sim.experiment.jobs import start_network
from sim.scenario import ScenarioError, load_experiment, load_scenario
from sim.scenario.extends import EXTENDS_KEY, MAX_CHAIN, merge

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

BASE = """\
name: base
steps: 7
seed: 11
population: {n_agents: 40, helpfulness_mean: 0.3, time_budget: 4}
network: {generator: clustered, n_groups: 5, p_within: 0.6, strength: 0.7}
knowledge:
  n_topics: 3
  item_classes:
    - {name: facts, n_items: 4}
    - {name: practices, n_items: 2, sources_required: 2}
community: {enabled: true, topics: [0, 1]}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def only_problem(path: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(ScenarioError) as info:
        load_experiment(path, overrides)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert "\n" not in problems[0]
    return problems[0]


# ---------------------------------------------------------------------------------------------
# Merging


def test_a_nested_mapping_merges_and_keeps_the_base_siblings(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\nname: child\nnetwork: {n_groups: 4}\npopulation: {n_agents: 60}\n",
    )
    sc = load_scenario(child)
    assert sc.name == "child"
    assert sc.network.n_groups == 4
    assert (sc.network.generator.value, sc.network.p_within, sc.network.strength) == (
        "clustered",
        0.6,
        0.7,
    )
    assert (sc.population.n_agents, sc.population.helpfulness_mean) == (60, 0.3)
    assert sc.population.time_budget == 4
    assert (sc.steps, sc.seed) == (7, 11)


def test_lists_are_replaced_not_concatenated(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        """\
        extends: base.yaml
        knowledge:
          item_classes:
            - {name: rumours, n_items: 3}
        community: {topics: [2]}
        """,
    )
    sc = load_scenario(child)
    assert [c.name for c in sc.knowledge.item_classes] == ["rumours"]
    assert sc.knowledge.n_topics == 3  # a sibling of the replaced list
    assert sc.community.topics == [2]
    assert sc.community.enabled


def test_the_extending_file_equals_the_merged_file_written_out(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nties: {decay: 0.03}\n")
    merged = yaml.safe_load(BASE)
    merged["ties"] = {"decay": 0.03}
    whole = write(tmp_path, "whole.yaml", yaml.safe_dump(merged))
    assert load_scenario(child) == load_scenario(whole)


def test_a_chain_of_three_files_in_three_folders(tmp_path):
    write(tmp_path, "a/base.yaml", BASE)
    write(
        tmp_path,
        "a/b/middle.yaml",
        "extends: ../base.yaml\nname: middle\nsteps: 9\nties: {decay: 0.02, floor: 0.05}\n",
    )
    top = write(
        tmp_path,
        "a/b/c/top.yaml",
        "extends: ../middle.yaml\nname: top\nties: {decay: 0.04}\n",
    )
    sc = load_scenario(top)
    assert sc.name == "top"  # the file itself over the middle one
    assert sc.steps == 9  # the middle one over the base
    assert sc.seed == 11  # the base
    assert (sc.ties.decay, sc.ties.floor) == (0.04, 0.05)


def test_overrides_apply_after_the_merge(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nnetwork: {n_groups: 4}\n")
    sc = load_scenario(child, ["network.strength=0.9", "steps=3"])
    assert (sc.network.strength, sc.network.n_groups, sc.steps) == (0.9, 4, 3)


def test_a_null_in_the_file_replaces_the_base_value(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\npopulation: {time_budget: null}\n")
    sc = load_scenario(child)
    assert sc.population.time_budget is None
    assert sc.population.n_agents == 40


def test_merge_changes_neither_argument():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    own = {"a": {"y": [3]}, "c": 3}
    out = merge(base, own)
    assert out == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 3}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    assert own == {"a": {"y": [3]}, "c": 3}


def test_merge_walks_a_mapping_reached_through_many_aliases_once(monkeypatch):
    # YAML aliases can make a mapping of 2**depth paths out of `depth` mappings.
    def nest(depth):
        node = {"leaf": 1}
        for _ in range(depth):
            node = {"left": node, "right": node}
        return node

    calls = []
    real = extends_module.merge

    def counting(base, own, _memo=None):
        calls.append(1)
        return real(base, own, _memo)

    monkeypatch.setattr(extends_module, "merge", counting)
    out = extends_module.merge(nest(30), nest(30))
    assert out["left"] is out["right"]
    assert len(calls) <= 2 * 31


def test_merge_of_recursive_mappings_ends():
    a: dict = {"x": 1}
    a["self"] = a
    b: dict = {"y": 2}
    b["self"] = b
    out = merge(a, b)
    assert out["x"] == 1 and out["y"] == 2
    assert out["self"] is out


# ---------------------------------------------------------------------------------------------
# Sweeps


def test_a_sweep_block_in_the_extending_file(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\nname: swept\nsweep:\n  ties.decay: [0.01, 0.02, 0.03]\n",
    )
    exp = load_experiment(child)
    assert exp.swept == ["ties.decay"]
    assert [p.scenario.ties.decay for p in exp.points] == [0.01, 0.02, 0.03]
    assert all(p.scenario.network.n_groups == 5 for p in exp.points)
    assert exp.base.name == "swept"


def test_the_base_sweep_block_merges_like_any_mapping(tmp_path):
    write(
        tmp_path,
        "base.yaml",
        BASE + "sweep:\n  method: grid\n  ties.decay: [0.01, 0.02]\n  steps: [2, 3]\n",
    )
    child = write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\nsweep:\n  steps: [4]\n  population.time_budget: [1, 2]\n",
    )
    exp = load_experiment(child)
    assert exp.swept == ["ties.decay", "steps", "population.time_budget"]
    assert exp.sweep.parameters["steps"] == [4]  # the file's list replaces the base's
    assert len(exp.points) == 2 * 1 * 2


def test_a_base_with_a_sweep_makes_the_extending_file_a_sweep(tmp_path):
    write(tmp_path, "base.yaml", BASE + "sweep:\n  ties.decay: [0.01, 0.02]\n")
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\n")
    assert len(load_experiment(child).points) == 2


# ---------------------------------------------------------------------------------------------
# Errors: one line each, naming the files


def test_a_cycle_of_two_files_names_both(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short paths: a long chain is shown shorter (below)
    write(tmp_path, "a.yaml", "extends: sub/b.yaml\nsteps: 3\n")
    write(tmp_path, "sub/b.yaml", "extends: ../a.yaml\nsteps: 4\n")
    assert only_problem(Path("a.yaml")) == "a.yaml: extends: cycle: a.yaml -> sub/b.yaml -> a.yaml"


def test_a_file_that_extends_itself_is_a_cycle(tmp_path):
    a = write(tmp_path, "a.yaml", "extends: ./a.yaml\n")
    assert only_problem(a) == f"{a}: extends: cycle: {a} -> {a}"


def test_a_cycle_further_down_the_chain_names_every_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "top.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: c.yaml\n")
    write(tmp_path, "c.yaml", "extends: b.yaml\n")
    expected = "top.yaml: extends: cycle: top.yaml -> b.yaml -> c.yaml -> b.yaml"
    assert only_problem(Path("top.yaml")) == expected


def test_a_missing_base_names_the_file_and_the_field(tmp_path):
    child = write(tmp_path, "sub/child.yaml", "extends: ../nowhere/base.yaml\nsteps: 3\n")
    line = only_problem(child)
    assert line == f"{child}: extends: no such file: {tmp_path / 'nowhere' / 'base.yaml'}"


def test_a_missing_base_further_down_names_the_file_that_extends_it(tmp_path):
    top = write(tmp_path, "top.yaml", "extends: middle.yaml\n")
    middle = write(tmp_path, "middle.yaml", "extends: gone.yaml\n")
    assert only_problem(top) == f"{middle}: extends: no such file: {tmp_path / 'gone.yaml'}"


@pytest.mark.parametrize(
    ("value", "kind"),
    [("''", "empty text"), ("null", "nothing"), ("[a.yaml]", "a list"), ("3", "a number")],
)
def test_extends_must_be_a_path(tmp_path, value, kind):
    child = write(tmp_path, "child.yaml", f"extends: {value}\nsteps: 3\n")
    expected = f"{child}: extends: expected the path of a scenario file as text (got {kind})"
    assert only_problem(child) == expected


def test_a_base_that_is_not_a_scenario_mapping(tmp_path):
    write(tmp_path, "empty.yaml", "# nothing\n")
    write(tmp_path, "list.yaml", "- 1\n- 2\n")
    write(tmp_path, "broken.yaml", "steps: [1\n")
    a = write(tmp_path, "a.yaml", "extends: empty.yaml\n")
    b = write(tmp_path, "b.yaml", "extends: list.yaml\n")
    c = write(tmp_path, "c.yaml", "extends: broken.yaml\n")
    assert only_problem(a) == f"{tmp_path / 'empty.yaml'}: file is empty (extended by {a})"
    assert only_problem(b) == f"{tmp_path / 'list.yaml'}: <top>: must be a mapping of sections"
    assert only_problem(c).startswith(f"{tmp_path / 'broken.yaml'}: line ")


def test_a_base_that_is_a_folder_or_a_device_is_refused(tmp_path):
    (tmp_path / "folder").mkdir()
    a = write(tmp_path, "a.yaml", "extends: folder\n")
    b = write(tmp_path, "b.yaml", "extends: /dev/null\n")
    assert only_problem(a) == f"{a}: extends: not a file: {tmp_path / 'folder'}"
    if Path("/dev/null").exists():
        assert only_problem(b) == f"{b}: extends: not a file: /dev/null"


def test_a_cycle_in_a_long_chain_is_shown_from_the_file_reached_again(tmp_path):
    names = [f"{'x' * 50}{i}.yaml" for i in range(8)]
    for i, name in enumerate(names[:-1]):
        write(tmp_path, name, f"extends: {names[i + 1]}\n")
    write(tmp_path, names[-1], f"extends: {names[5]}\n")
    top = tmp_path / names[0]
    line = only_problem(top)
    loop = " -> ".join([*names[5:], names[5]])  # without their long folder
    assert line == f"{top}: extends: cycle: ... -> {loop}"
    assert len(line.replace(str(top), "<file>")) <= 300


@pytest.mark.parametrize(
    "value",
    ["x" * 5000, '"a\\0b"', ".", "~", "10000000000000000000000000000", "{a: 1}", "true", "/"],
)
def test_odd_extends_values_give_one_short_line_naming_the_file(tmp_path, value):
    path = write(tmp_path, "odd.yaml", f"extends: {value}\nsteps: 2\n")
    line = only_problem(path)
    assert line.startswith(f"{path}: extends: ")
    assert len(line.replace(str(path), "<file>")) <= 300


def test_a_too_long_chain_is_an_error(tmp_path):
    for i in range(MAX_CHAIN + 1):
        write(tmp_path, f"f{i}.yaml", f"extends: f{i + 1}.yaml\n")
    write(tmp_path, f"f{MAX_CHAIN + 1}.yaml", "steps: 3\n")
    line = only_problem(tmp_path / "f0.yaml")
    assert line == f"{tmp_path / 'f0.yaml'}: extends: more than {MAX_CHAIN} files"
    # one file fewer is fine
    assert load_scenario(tmp_path / "f2.yaml").steps == 3


def test_extends_is_no_field_to_override(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\n")
    line = only_problem(child, ["extends=other.yaml"])
    assert line.startswith(f"{child}: extends: unknown field")


# ---------------------------------------------------------------------------------------------
# Relative network.path: relative to the file it is written in


def edge_list(path: Path, n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("source,target\n" + "".join(f"{i},{i + 1}\n" for i in range(n - 1)))
    return path


def test_a_relative_network_path_in_a_base_resolves_from_the_base_folder(tmp_path):
    graph = edge_list(tmp_path / "bases" / "graph.csv", 12)
    edge_list(tmp_path / "child" / "graph.csv", 5)  # a decoy beside the extending file
    write(
        tmp_path,
        "bases/base.yaml",
        "population: {n_agents: 12}\nnetwork: {generator: edge_list, path: graph.csv}\n",
    )
    child = write(tmp_path, "child/x.yaml", "extends: ../bases/base.yaml\nsteps: 2\n")
    sc = load_scenario(child)
    assert sc.network.path == str(graph.resolve())
    assert len(start_network(sc).u) == 11
    # also when the caller names another folder for the file's own paths
    assert load_scenario(child, base_dir=tmp_path).network.path == str(graph.resolve())


def test_a_relative_network_path_in_a_chain_resolves_from_its_own_file(tmp_path):
    graph = edge_list(tmp_path / "a" / "data" / "g.csv", 10)
    write(
        tmp_path,
        "a/base.yaml",
        "population: {n_agents: 10}\nnetwork: {generator: edge_list, path: data/g.csv}\n",
    )
    write(tmp_path, "a/b/middle.yaml", "extends: ../base.yaml\nsteps: 4\n")
    top = write(tmp_path, "a/b/c/top.yaml", "extends: ../middle.yaml\n")
    assert load_scenario(top).network.path == str(graph.resolve())


def test_the_extending_file_own_network_path_resolves_from_its_folder(tmp_path):
    edge_list(tmp_path / "bases" / "graph.csv", 12)
    own = edge_list(tmp_path / "child" / "mine.csv", 12)
    write(
        tmp_path,
        "bases/base.yaml",
        "population: {n_agents: 12}\nnetwork: {generator: edge_list, path: graph.csv}\n",
    )
    child = write(
        tmp_path, "child/x.yaml", "extends: ../bases/base.yaml\nnetwork: {path: mine.csv}\n"
    )
    assert load_scenario(child).network.path == str(own.resolve())


def test_a_network_path_that_cannot_be_a_file_is_a_scenario_error(tmp_path):
    bad = write(tmp_path, "bad.yaml", 'network: {generator: edge_list, path: "a\\0b.csv"}\n')
    line = only_problem(bad)
    assert line.startswith(f"{bad}: network.path: not a usable file path")


# ---------------------------------------------------------------------------------------------
# Shipped files and the command line


def test_the_shipped_sweeps_are_their_scenario_plus_a_sweep_block():
    for sweep, scenario in [
        ("weak_ties_bridges", "weak_ties"),
        ("closed_community_decay_budget", "closed_community"),
        ("closed_community_help_lhs", "closed_community"),
    ]:
        path = SCENARIOS / "sweeps" / f"{sweep}.yaml"
        assert yaml.safe_load(path.read_text())[EXTENDS_KEY] == f"../{scenario}.yaml"
        base = load_experiment(path).base
        plain = load_scenario(SCENARIOS / f"{scenario}.yaml")
        assert base.model_copy(update={"name": plain.name, "description": plain.description}) == (
            plain
        )
        assert base.name == sweep


TINY = """\
name: tiny_child
extends: ../bases/tiny.yaml
steps: 2
sweep:
  ties.decay: [0.01, 0.03]
"""


def tiny_base(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bases/tiny.yaml",
        """\
        name: tiny
        replications: 1
        population: {n_agents: 30}
        network: {generator: clustered, n_groups: 3, strength: 0.7}
        knowledge: {item_classes: [{name: facts, n_items: 2}]}
        """,
    )


def test_results_scenario_yaml_is_the_expanded_scenario(tmp_path):
    tiny_base(tmp_path)
    child = write(tmp_path, "files/child.yaml", TINY)
    out = tmp_path / "results"
    assert main([str(child), "--out", str(out), "--quiet", "--no-figures"]) == EXIT_OK
    (folder,) = sorted((out / "tiny_child").iterdir())
    saved = folder / "scenario.yaml"
    data = yaml.safe_load(saved.read_text())
    assert EXTENDS_KEY not in data
    assert data["network"]["n_groups"] == 3 and data["sweep"]["ties.decay"] == [0.01, 0.03]
    again, expected = load_experiment(saved), load_experiment(child)
    assert again.base == expected.base
    assert [p.scenario for p in again.points] == [p.scenario for p in expected.points]


def test_the_command_line_exits_2_with_the_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = write(Path(), "a.yaml", "extends: b.yaml\n")
    b = write(Path(), "b.yaml", "extends: a.yaml\n")
    out = tmp_path / "results"
    assert main([str(a), "--out", str(out), "--quiet"]) == EXIT_INVALID
    assert capsys.readouterr().err == f"{a}: extends: cycle: {a} -> {b} -> {a}\n"
    missing = write(Path(), "m.yaml", "extends: gone.yaml\n")
    assert main(["compare", str(missing), str(a), "--out", str(out)]) == EXIT_INVALID
    assert capsys.readouterr().err.splitlines() == [  # one line per broken file
        "m.yaml: extends: no such file: gone.yaml",
        f"{a}: extends: cycle: {a} -> {b} -> {a}",
    ]
    assert not out.exists()
