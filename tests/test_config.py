"""The scenario schema: error messages for bad files, overrides, round trips, defaults, docs."""

import textwrap
import time
from enum import Enum
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from sim.scenario import (
    Scenario,
    ScenarioError,
    dump_scenario,
    load_scenario,
)

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path, overrides: list[str] | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    problems = info.value.problems
    assert problems, "a ScenarioError must carry at least one problem"
    assert str(info.value) == "\n".join(problems)
    return problems


def only_problem(path: Path, overrides: list[str] | None = None) -> str:
    problems = problems_of(path, overrides)
    assert len(problems) == 1, problems
    return problems[0]


# ---------------------------------------------------------------------------------------------
# A catalogue of bad files: (yaml, field path, parts the message must contain)

CATALOGUE = {
    # unknown keys, with a did-you-mean when one is close
    "unknown_top_level_key": ("nmae: x\n", "nmae", ["unknown field", "did you mean 'name'?"]),
    "unknown_nested_key": (
        "network:\n  generatr: clustered\n",
        "network.generatr",
        ["unknown field", "did you mean 'generator'?"],
    ),
    "unknown_key_in_item_class": (
        "knowledge:\n  item_classes:\n    - n_itemz: 3\n",
        "knowledge.item_classes.0.n_itemz",
        ["unknown field", "did you mean 'n_items'?"],
    ),
    "unknown_key_in_seeding": (
        "knowledge:\n  item_classes:\n    - seeding: {stratgy: hubs}\n",
        "knowledge.item_classes.0.seeding.stratgy",
        ["unknown field", "did you mean 'strategy'?"],
    ),
    "unknown_key_without_close_match_lists_allowed": (
        "ties:\n  zzzzzz: 1\n",
        "ties.zzzzzz",
        ["unknown field", "allowed:", "decay", "strong_threshold"],
    ),
    # out of range: the message states the bounds and the value given
    "probability_above_one": ("ties:\n  decay: 1.5\n", "ties.decay", ["between 0 and 1", "1.5"]),
    "probability_below_zero": (
        "sharing:\n  p_share: -0.1\n",
        "sharing.p_share",
        ["between 0 and 1", "-0.1"],
    ),
    "negative_steps": ("steps: -1\n", "steps", ["between 0 and 1000000", "-1"]),
    "too_few_agents": (
        "population:\n  n_agents: 1\n",
        "population.n_agents",
        ["between 2 and 50000000", "(got 1)"],
    ),
    "zero_replications": ("replications: 0\n", "replications", ["between 1 and", "(got 0)"]),
    "open_lower_bound": (
        "network:\n  strength: 0\n",
        "network.strength",
        ["greater than 0", "at most 1", "(got 0)"],
    ),
    "open_upper_bound": (
        "knowledge:\n  item_classes:\n    - complexity: 1.0\n",
        "knowledge.item_classes.0.complexity",
        ["less than 1", "(got 1.0)"],
    ),
    "lower_bound_only": (
        "network:\n  bridges_per_agent: -1\n",
        "network.bridges_per_agent",
        ["at least 0", "(got -1)"],
    ),
    "optional_field_out_of_range": (
        "population:\n  time_budget: 0\n",
        "population.time_budget",
        ["at least 1", "(got 0)"],
    ),
    "infinity": (
        "network:\n  bridges_per_agent: .inf\n",
        "network.bridges_per_agent",
        ["finite", "inf"],
    ),
    "not_a_number": ("ties:\n  decay: .nan\n", "ties.decay", ["nan"]),
    # wrong types
    "string_for_integer": (
        "population:\n  n_agents: lots\n",
        "population.n_agents",
        ["integer", "'lots'"],
    ),
    "fraction_for_integer": ("steps: 1.5\n", "steps", ["integer", "1.5"]),
    "string_for_number": ("ties:\n  decay: fast\n", "ties.decay", ["number", "'fast'"]),
    "string_for_boolean": ("sharing:\n  enabled: maybe\n", "sharing.enabled", ["boolean"]),
    "scalar_for_section": ("network: 5\n", "network", ["dictionary", "(got 5)"]),
    "scalar_for_list": ("community:\n  topics: abc\n", "community.topics", ["list"]),
    "string_in_int_list": (
        "knowledge:\n  item_classes:\n    - seeding: {agents: [a]}\n",
        "knowledge.item_classes.0.seeding.agents.0",
        ["integer", "'a'"],
    ),
    "empty_item_class_list": (
        "knowledge:\n  item_classes: []\n",
        "knowledge.item_classes",
        ["at least 1 item"],
    ),
    "bad_name": ("name: a/b\n", "name", ["pattern", "'a/b'"]),
    "non_string_key": ("network:\n  1: x\n", "network.1", ["string"]),
    # enums list their allowed values
    "unknown_policy": (
        "sharing:\n  policy: shout\n",
        "sharing.policy",
        ["one of", "'broadcast'", "'gossip'", "'cascade'", "(got 'shout')"],
    ),
    "unknown_generator": (
        "network:\n  generator: small_world\n",
        "network.generator",
        ["one of", "'watts_strogatz'", "'clustered'", "'edge_list'", "(got 'small_world')"],
    ),
    "unknown_seed_strategy": (
        "knowledge:\n  item_classes:\n    - seeding: {strategy: everywhere}\n",
        "knowledge.item_classes.0.seeding.strategy",
        ["one of", "'random'", "'hubs'", "'one_group'"],
    ),
    # cross-field constraints
    "ring_lattice_degree_not_below_n_agents": (
        "population: {n_agents: 10}\nnetwork: {generator: ring_lattice, degree: 10}\n",
        "network.degree",
        ["less than population.n_agents (10)"],
    ),
    "ring_lattice_odd_degree": (
        "network: {generator: ring_lattice, degree: 5}\n",
        "network.degree",
        ["even", "ring_lattice", "(got 5)"],
    ),
    "watts_strogatz_odd_degree": (
        "network: {generator: watts_strogatz, degree: 7}\n",
        "network.degree",
        ["even", "watts_strogatz"],
    ),
    "random_regular_odd_total_degree": (
        "population: {n_agents: 11}\nnetwork: {generator: random_regular, degree: 3}\n",
        "network.degree",
        ["even"],
    ),
    "erdos_renyi_degree_too_high": (
        "population: {n_agents: 10}\nnetwork: {generator: erdos_renyi, degree: 10}\n",
        "network.degree",
        ["at most population.n_agents - 1 (9)"],
    ),
    "barabasi_albert_degree_too_low": (
        "network: {generator: barabasi_albert, degree: 1}\n",
        "network.degree",
        ["barabasi_albert", "(got 1)"],
    ),
    "more_groups_than_agents": (
        "population: {n_agents: 10, n_interests: 1}\n"
        "network: {generator: clustered, n_groups: 11, bridges_per_agent: 0}\n"
        "knowledge: {item_classes: [{seeding: {n_holders: 1}}]}\n",
        "network.n_groups",
        ["at most population.n_agents (10)"],
    ),
    "more_bridges_than_cross_group_pairs": (
        "population: {n_agents: 20}\n"
        "network: {generator: clustered, n_groups: 2, bridges_per_agent: 11}\n",
        "network.bridges_per_agent",
        ["at most 10", "only 100 pairs"],
    ),
    "n_holders_above_n_agents": (
        "population: {n_agents: 10}\n"
        "network: {generator: complete}\n"
        "knowledge: {item_classes: [{seeding: {n_holders: 11}}]}\n",
        "knowledge.item_classes.0.seeding.n_holders",
        ["at most population.n_agents (10)"],
    ),
    "seeding_agents_out_of_range": (
        "population: {n_agents: 10}\n"
        "network: {generator: complete}\n"
        "knowledge: {item_classes: [{seeding: {agents: [0, 10, -1]}}]}\n",
        "knowledge.item_classes.0.seeding.agents",
        ["0..9", "10", "-1"],
    ),
    "seeding_agents_repeat": (
        "knowledge: {item_classes: [{seeding: {agents: [3, 3]}}]}\n",
        "knowledge.item_classes.0.seeding.agents",
        ["repeat"],
    ),
    "one_group_without_clustered": (
        "network: {generator: watts_strogatz}\n"
        "knowledge: {item_classes: [{seeding: {strategy: one_group}}]}\n",
        "knowledge.item_classes.0.seeding.strategy",
        ["one_group", "network.generator: clustered"],
    ),
    "one_group_more_holders_than_group": (
        "population: {n_agents: 40}\n"
        "network: {generator: clustered, n_groups: 10}\n"
        "knowledge: {item_classes: [{seeding: {strategy: one_group, n_holders: 5}}]}\n",
        "knowledge.item_classes.0.seeding.n_holders",
        ["group size (4)"],
    ),
    "n_interests_above_n_topics": (
        "population: {n_interests: 5}\nknowledge: {n_topics: 4}\n",
        "population.n_interests",
        ["at most knowledge.n_topics (4)"],
    ),
    "community_topic_out_of_range": (
        "knowledge: {n_topics: 4}\ncommunity: {enabled: true, topics: [0, 4]}\n",
        "community.topics",
        ["0..3"],
    ),
    "bandwidth_min_above_max": (
        "learning: {bandwidth_min: 0.9, bandwidth_max: 0.5}\n",
        "learning.bandwidth_min",
        ["at most learning.bandwidth_max"],
    ),
    "new_tie_not_weak": (
        "ties: {new_strength: 0.5, strong_threshold: 0.5}\n",
        "ties.new_strength",
        ["below ties.strong_threshold"],
    ),
    "edge_list_without_path": (
        "network: {generator: edge_list}\n",
        "network.path",
        ["edge_list needs a path"],
    ),
    "path_without_edge_list": (
        "network: {generator: clustered, path: ties.csv}\n",
        "network.path",
        ["only used with generator edge_list"],
    ),
}


@pytest.mark.parametrize(("text", "field", "parts"), CATALOGUE.values(), ids=CATALOGUE.keys())
def test_bad_file_gives_one_line_naming_file_field_and_what_is_allowed(
    tmp_path, text, field, parts
):
    path = write(tmp_path, text)
    line = only_problem(path)
    assert line.startswith(f"{path}: {field}: "), line
    for part in parts:
        assert part in line, f"{part!r} not in {line!r}"
    assert "\n" not in line


def test_repeated_item_class_name_is_reported_at_each_class(tmp_path):
    path = write(tmp_path, "knowledge: {item_classes: [{name: a}, {name: b}, {name: a}]}\n")
    problems = problems_of(path)
    assert [line.removeprefix(f"{path}: ").split(": ")[0] for line in problems] == [
        "knowledge.item_classes.0.name",
        "knowledge.item_classes.2.name",
    ]
    assert all("unique" in line and "'a'" in line for line in problems)


def test_style_guide_example_messages_verbatim(tmp_path):
    path = write(tmp_path, "ties:\n  decay: 1.5\nnetwork:\n  generatr: clustered\n", "broken.yaml")
    assert sorted(problems_of(path)) == sorted(
        [
            f"{path}: ties.decay: must be between 0 and 1 (got 1.5)",
            f"{path}: network.generatr: unknown field (did you mean 'generator'?)",
        ]
    )


def test_several_problems_give_one_line_each(tmp_path):
    path = write(
        tmp_path,
        """\
        ties: {decay: 1.5}
        network: {generatr: clustered}
        sharing: {policy: shout}
        population: {n_agents: lots}
        """,
    )
    problems = problems_of(path)
    assert len(problems) == 4, problems
    fields = sorted(line.removeprefix(f"{path}: ").split(": ")[0] for line in problems)
    assert fields == ["network.generatr", "population.n_agents", "sharing.policy", "ties.decay"]


def test_several_cross_field_problems_give_one_line_each(tmp_path):
    path = write(
        tmp_path,
        """\
        population: {n_agents: 10, n_interests: 5}
        network: {generator: ring_lattice, degree: 11}
        knowledge:
          n_topics: 4
          item_classes: [{seeding: {n_holders: 11}}]
        ties: {new_strength: 0.6, strong_threshold: 0.5}
        """,
    )
    problems = problems_of(path)
    assert all(line.startswith(f"{path}: ") for line in problems)
    fields = [line.removeprefix(f"{path}: ").split(": ")[0] for line in problems]
    assert set(fields) == {
        "network.degree",
        "knowledge.item_classes.0.seeding.n_holders",
        "population.n_interests",
        "ties.new_strength",
    }
    # degree 11 is both too high and odd: two problems, two lines
    assert fields.count("network.degree") == 2
    assert len(problems) == 5


# ---------------------------------------------------------------------------------------------
# Files that are not scenarios at all


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "ties:\n  decay: [1, 2\nfoo: bar\n")
    line = only_problem(path)
    assert line.startswith(f"{path}: line 3")
    assert "invalid YAML" in line


def test_tab_indentation_is_invalid_yaml_with_line(tmp_path):
    path = write(tmp_path, "ties:\n\tdecay: 0.1\n")
    line = only_problem(path)
    assert line.startswith(f"{path}: line 2")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_file_that_is_not_a_mapping(tmp_path, text):
    path = write(tmp_path, text)
    line = only_problem(path)
    assert line.startswith(f"{path}: ")
    assert "mapping" in line


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    line = only_problem(path)
    assert line.startswith(f"{path}: ")
    assert "cannot read" in line
    assert "No such file" in line


def test_directory_instead_of_file(tmp_path):
    line = only_problem(tmp_path)
    assert line.startswith(f"{tmp_path}: cannot read")


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00\x01garbage")
    line = only_problem(path)
    assert line.startswith(f"{path}: cannot read")
    assert "UTF-8" in line


# ---------------------------------------------------------------------------------------------
# Edge-list files: a relative path is resolved against the scenario file (the file itself is
# read when a run is prepared: tests/test_edge_list.py)


def edge_list_scenario(tmp_path: Path, csv_name: str) -> Path:
    return write(
        tmp_path,
        f"population: {{n_agents: 10}}\nnetwork: {{generator: edge_list, path: {csv_name}}}\n",
        "edges.yaml",
    )


def test_edge_list_relative_path_is_resolved_against_the_scenario_file(tmp_path):
    (tmp_path / "ties.csv").write_text("source,target,strength\n0,1,0.5\n1,2,0.9\n")
    scenario = load_scenario(edge_list_scenario(tmp_path, "ties.csv"))
    assert Path(scenario.network.path) == (tmp_path / "ties.csv").resolve()


# ---------------------------------------------------------------------------------------------
# Overrides (--set section.field=value), validated like the file


@pytest.fixture
def empty_file(tmp_path) -> Path:
    # An explicit empty mapping: every field at its default, on purpose (an empty file is
    # an error, see test_an_empty_file_is_refused).
    return write(tmp_path, "{}\n", "defaults.yaml")


def test_override_sets_a_field(empty_file):
    assert load_scenario(empty_file, ["ties.decay=0.5"]).ties.decay == 0.5


def test_override_is_parsed_as_yaml(empty_file):
    s = load_scenario(
        empty_file,
        ["sharing.enabled=false", "community.topics=[0, 1]", "population.time_budget=null"],
    )
    assert s.sharing.enabled is False
    assert s.community.topics == [0, 1]
    assert s.population.time_budget is None


def test_overrides_apply_in_order(empty_file):
    assert load_scenario(empty_file, ["ties.decay=0.5", "ties.decay=0.25"]).ties.decay == 0.25


def test_override_out_of_range_names_the_field(empty_file):
    line = only_problem(empty_file, ["ties.decay=2"])
    assert "ties.decay: " in line
    assert "between 0 and 1" in line
    assert "(got 2)" in line


def test_override_of_unknown_section(empty_file):
    line = only_problem(empty_file, ["nosuch.field=1"])
    assert "nosuch" in line
    assert "unknown field" in line or "did you mean" in line


def test_override_with_typo_gets_did_you_mean(empty_file):
    line = only_problem(empty_file, ["network.generatr=clustered"])
    assert "network.generatr: unknown field (did you mean 'generator'?)" in line


def test_override_without_equals_sign(empty_file):
    line = only_problem(empty_file, ["ties.decay"])
    assert line.startswith("--set ties.decay: ")
    assert "section.field=value" in line


def test_override_of_item_class_on_default_list(empty_file):
    s = load_scenario(empty_file, ["knowledge.item_classes.0.n_items=3"])
    assert s.knowledge.item_classes[0].n_items == 3
    assert s.knowledge.item_classes[0].name == "facts"


def test_override_of_item_class_in_file():
    path = next(p for p in SCENARIOS if p.name == "weak_ties.yaml")
    base = load_scenario(path)
    s = load_scenario(path, ["knowledge.item_classes.1.seeding.n_holders=7"])
    assert s.knowledge.item_classes[1].seeding.n_holders == 7
    assert s.knowledge.item_classes[0] == base.knowledge.item_classes[0]


def test_override_of_missing_item_class_is_an_error(empty_file):
    line = only_problem(empty_file, ["knowledge.item_classes.5.n_items=3"])
    assert "knowledge.item_classes.5.n_items" in line


def test_override_problems_are_all_reported(empty_file):
    problems = problems_of(empty_file, ["ties.decay=2", "sharing.p_share=-1"])
    assert len(problems) == 2
    assert any("ties.decay" in line for line in problems)
    assert any("sharing.p_share" in line for line in problems)


def test_override_can_fix_an_invalid_file(tmp_path):
    path = write(tmp_path, "ties:\n  decay: 1.5\n")
    assert load_scenario(path, ["ties.decay=0.5"]).ties.decay == 0.5


def test_override_is_checked_across_fields(empty_file):
    line = only_problem(empty_file, ["population.n_agents=5", "network.degree=6"])
    assert "network.degree: must be less than population.n_agents (5)" in line


def test_overrides_do_not_change_the_other_fields():
    path = next(p for p in SCENARIOS if p.name == "weak_ties.yaml")
    base = load_scenario(path)
    s = load_scenario(path, ["ties.decay=0.5"])
    assert s.model_copy(update={"ties": base.ties}) == base


# ---------------------------------------------------------------------------------------------
# Round trip, defaults, schema documentation


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_round_trips(tmp_path, path):
    scenario = load_scenario(path)
    out = tmp_path / "again.yaml"
    out.write_text(dump_scenario(scenario), encoding="utf-8")
    again = load_scenario(out)
    assert again == scenario
    assert dump_scenario(again) == dump_scenario(scenario)


def test_shipped_scenarios_exist():
    assert {p.stem for p in SCENARIOS} >= {
        "weak_ties",
        "social_network",
        "closed_community",
        "hybrid",
    }


def test_round_trip_with_overrides_and_edge_list(tmp_path):
    (tmp_path / "ties.csv").write_text("source,target,strength\n0,1,0.5\n1,2,0.9\n")
    path = edge_list_scenario(tmp_path, "ties.csv")
    scenario = load_scenario(path, ["knowledge.item_classes.0.n_items=3", "ties.decay=0.5"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = elsewhere / "scenario.yaml"
    out.write_text(dump_scenario(scenario), encoding="utf-8")
    assert load_scenario(out) == scenario


def test_an_explicit_empty_mapping_is_the_default_scenario(tmp_path):
    # "{}" says "every default" on purpose; an empty file is refused (see below).
    path = write(tmp_path, "{}\n", "empty.yaml")
    assert load_scenario(path) == Scenario()


def test_a_commented_empty_mapping_is_the_default_scenario(tmp_path):
    path = write(tmp_path, "# every field at its default\n{}\n", "comments.yaml")
    assert load_scenario(path) == Scenario()


def test_default_scenario_round_trips(tmp_path):
    out = tmp_path / "default.yaml"
    out.write_text(dump_scenario(Scenario()), encoding="utf-8")
    assert load_scenario(out) == Scenario()


def test_scenario_is_frozen():
    s = Scenario()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError
        s.ties.decay = 0.5  # type: ignore[misc]


def schema_models(model: type[BaseModel] = Scenario, seen=None) -> list[type[BaseModel]]:
    seen = [] if seen is None else seen
    if model in seen:
        return seen
    seen.append(model)
    for field in model.model_fields.values():
        for t in (field.annotation, *getattr(field.annotation, "__args__", ())):
            if isinstance(t, type) and issubclass(t, BaseModel):
                schema_models(t, seen)
    return seen


def test_schema_walk_finds_every_section():
    names = {m.__name__ for m in schema_models()}
    assert {"Scenario", "TiesConfig", "ItemClassConfig", "SeedingConfig"} <= names
    assert "CorrectionConfig" in names  # a section defined in sim/scenario/sections.py
    assert len(names) == 15


@pytest.mark.parametrize("model", schema_models(), ids=lambda m: m.__name__)
def test_every_field_has_a_description(model):
    missing = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        section = isinstance(ann, type) and issubclass(ann, BaseModel)
        if section:
            # A section's meaning is its class docstring.
            ok = bool((field.description or ann.__doc__ or "").strip())
        else:
            ok = bool((field.description or "").strip())
        if not ok:
            missing.append(name)
    assert not missing, f"{model.__name__}: no description for {missing}"
    assert (model.__doc__ or "").strip()


@pytest.mark.parametrize("model", schema_models(), ids=lambda m: m.__name__)
def test_every_field_has_a_default(model):
    assert all(not f.is_required() for f in model.model_fields.values())


@pytest.mark.parametrize("model", schema_models(), ids=lambda m: m.__name__)
def test_enum_defaults_are_enum_members(model):
    for field in model.model_fields.values():
        if isinstance(field.annotation, type) and issubclass(field.annotation, Enum):
            assert isinstance(field.default, field.annotation)


def test_a_key_given_twice_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("forgetting:\n  rate: 0.1\n  rate: 0.2\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [
        f"{path}: line 3, column 3: invalid YAML: key 'rate' appears twice (first on line 2)"
    ]


def test_an_empty_section_means_its_defaults(tmp_path):
    path = tmp_path / "empty_section.yaml"
    path.write_text("ties:\nsteps: 3\n")
    sc = load_scenario(path)
    assert sc.ties == Scenario().ties and sc.steps == 3


@pytest.mark.parametrize(
    "network",
    [
        {"generator": "clustered", "n_groups": 2},
        {"generator": "complete"},
        {"generator": "erdos_renyi", "degree": 400},
    ],
)
def test_a_network_too_large_for_memory_is_refused_at_load(tmp_path, network):
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump({"population": {"n_agents": 1_000_000}, "network": network}))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems[0].startswith(f"{path}: network: asks for about")


def test_barabasi_albert_degree_must_be_even(tmp_path):
    path = tmp_path / "ba.yaml"
    path.write_text("network: {generator: barabasi_albert, degree: 5}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [
        f"{path}: network.degree: must be even for barabasi_albert (got 5)"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_refused(tmp_path, text):
    path = write(tmp_path, text, "empty.yaml")
    assert only_problem(path) == f"{path}: file is empty (a scenario needs at least one field)"


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "-x", "_x", "a/b", "../up"])
def test_a_name_cannot_leave_the_results_root(tmp_path, name):
    path = write(tmp_path, f"name: '{name}'\n")
    line = only_problem(path)
    assert line.startswith(f"{path}: name: ") and repr(name) in line


@pytest.mark.parametrize("name", ["weak_ties", "a.b-c_1", "9lives"])
def test_ordinary_names_are_accepted(tmp_path, name):
    assert load_scenario(write(tmp_path, f"name: '{name}'\n")).name == name


# ---------------------------------------------------------------------------------------------
# YAML oddities: one clear line each, never a traceback or a hang


def test_a_list_as_a_key_is_one_line_with_its_place(tmp_path):
    path = write(tmp_path, "? [a, b]\n: 1\n")
    assert only_problem(path) == (
        f"{path}: line 1, column 3: invalid YAML: a key must be a plain value (text or a "
        "number), not a list or mapping"
    )


def test_yaml_nested_thousands_deep_is_one_line(tmp_path):
    path = write(tmp_path, "a: " + "[" * 3000 + "]" * 3000 + "\n")
    assert only_problem(path) == f"{path}: invalid YAML: nested too deeply"
    # The same through an override: the value is kept as text and refused in one line.
    lines = problems_of(write(tmp_path, "{}\n", "ok.yaml"), ["ties.decay=" + "[" * 3000])
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / 'ok.yaml'}: ties.decay: ")
    assert len(lines[0]) < 300


def test_merge_keys_work_and_the_mappings_own_keys_win(tmp_path):
    path = write(
        tmp_path,
        """\
        sharing:
          <<: {p_share: 0.3, p_notice_min: 0.2}
          p_share: 0.5
        """,
    )
    sc = load_scenario(path)
    assert (sc.sharing.p_share, sc.sharing.p_notice_min) == (0.5, 0.2)
    # A key written twice in the mapping itself is still an error.
    twice = write(tmp_path, "sharing:\n  p_share: 0.3\n  p_share: 0.5\n", "twice.yaml")
    assert "appears twice" in only_problem(twice)


def test_an_alias_bomb_is_refused_quickly_with_short_messages(tmp_path):
    # 1 KB that expands to 9^8 = 43 million integers if anything walks it: the message must
    # quote a bounded piece of the value (the old loader echoed it whole: minutes, gigabytes).
    levels = ["a: &a [1,1,1,1,1,1,1,1,1]"]
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = write(tmp_path, "\n".join(levels) + "\ncommunity: {topics: *h}\n")
    t0 = time.perf_counter()
    lines = problems_of(path)
    assert time.perf_counter() - t0 < 30
    topics = [line for line in lines if "community.topics" in line]
    assert topics and all(len(line) < 300 for line in lines)
