"""Sweep blocks: parsing, expansion (grid, lhs, sobol), validation of every point, seeds."""

from pathlib import Path

import numpy as np
import pytest

from sim.experiment import plan_jobs, replication_seeds, run_key
from sim.scenario import ScenarioError, dump_scenario, load_scenario
from sim.scenario.sweep import Method, Range, Sweep, leaf_type, load_experiment, parse_sweep

ROOT = Path(__file__).resolve().parent.parent
SWEEPS = ROOT / "scenarios" / "sweeps"

BASE = """\
name: tiny
steps: 3
replications: 2
population: {n_agents: 30}
network: {generator: clustered, n_groups: 3, bridges_per_agent: 1.0}
"""


def write(tmp_path: Path, sweep: str, base: str = BASE) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(base + sweep)
    return path


def problems(path: Path, overrides=None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_experiment(path, overrides)
    return info.value.problems


# ---------------------------------------------------------------------------------------------
# Grid


def test_grid_is_the_full_product_last_field_fastest(tmp_path):
    path = write(tmp_path, "sweep:\n  ties.decay: [0.01, 0.02]\n  help.p_ask: [0.1, 0.2, 0.3]\n")
    exp = load_experiment(path)
    assert exp.sweep.method == Method.GRID
    assert exp.swept == ["ties.decay", "help.p_ask"]
    assert [p.index for p in exp.points] == list(range(6))
    assert [tuple(p.values.values()) for p in exp.points] == [
        (0.01, 0.1),
        (0.01, 0.2),
        (0.01, 0.3),
        (0.02, 0.1),
        (0.02, 0.2),
        (0.02, 0.3),
    ]
    for p in exp.points:
        assert p.scenario.ties.decay == p.values["ties.decay"]
        assert p.scenario.help.p_ask == p.values["help.p_ask"]
        assert p.scenario.population.n_agents == 30  # the base is kept


def test_grid_values_are_resolved_by_the_schema(tmp_path):
    path = write(
        tmp_path,
        "sweep:\n  network.bridges_per_agent: [0, 2]\n  sharing.policy: [broadcast, gossip]\n"
        "  population.time_budget: [null, 4]\n",
    )
    exp = load_experiment(path)
    assert exp.points[0].values == {
        "network.bridges_per_agent": 0.0,
        "sharing.policy": "broadcast",
        "population.time_budget": None,
    }
    assert isinstance(exp.points[0].values["network.bridges_per_agent"], float)


def test_item_class_fields_can_be_swept(tmp_path):
    path = write(tmp_path, "sweep:\n  knowledge.item_classes.0.sources_required: [1, 2]\n")
    exp = load_experiment(path)
    assert [p.scenario.knowledge.item_classes[0].sources_required for p in exp.points] == [1, 2]


def test_a_file_without_sweep_is_one_point(tmp_path):
    exp = load_experiment(write(tmp_path, ""))
    assert exp.sweep is None and exp.swept == []
    assert len(exp.points) == 1 and exp.points[0].values == {}
    assert exp.points[0].scenario == exp.base


def test_load_scenario_of_a_sweep_file_gives_the_base(tmp_path):
    path = write(tmp_path, "sweep:\n  ties.decay: [0.01, 0.02]\n")
    assert load_scenario(path) == load_experiment(path).base


# ---------------------------------------------------------------------------------------------
# Sampled sweeps


def test_lhs_has_one_point_per_stratum_in_every_field(tmp_path):
    path = write(
        tmp_path,
        "sweep:\n  method: lhs\n  samples: 10\n  ties.decay: {min: 0.0, max: 0.1}\n"
        "  help.p_ask: {min: 0.2, max: 0.4}\n",
    )
    exp = load_experiment(path)
    assert len(exp.points) == 10
    decay = np.array([p.values["ties.decay"] for p in exp.points])
    ask = np.array([p.values["help.p_ask"] for p in exp.points])
    assert sorted(np.floor(decay / 0.01).astype(int)) == list(range(10))
    assert sorted(np.floor((ask - 0.2) / 0.02).astype(int)) == list(range(10))
    # deterministic: the sampler is seeded (default: the scenario's root seed)
    again = load_experiment(path)
    assert [p.values for p in again.points] == [p.values for p in exp.points]


def test_sampler_seed_changes_the_points(tmp_path):
    spec = "sweep:\n  method: lhs\n  samples: 4\n  ties.decay: {min: 0.0, max: 0.1}\n"
    a = load_experiment(write(tmp_path, spec))
    b = load_experiment(write(tmp_path, spec + "  seed: 5\n"))
    assert [p.values for p in a.points] != [p.values for p in b.points]


def test_sobol_log_scale_and_integer_fields(tmp_path):
    path = write(
        tmp_path,
        "sweep:\n  method: sobol\n  samples: 16\n"
        "  community.p_meet: {min: 0.001, max: 0.1, scale: log}\n"
        "  population.time_budget: {min: 2, max: 16}\n",
    )
    exp = load_experiment(path)
    assert len(exp.points) == 16
    meet = np.array([p.values["community.p_meet"] for p in exp.points])
    budget = [p.values["population.time_budget"] for p in exp.points]
    assert ((meet >= 0.001) & (meet <= 0.1)).all()
    # log-uniform: about half the points below the geometric middle 0.01
    assert 4 <= (meet < 0.01).sum() <= 12
    assert all(isinstance(b, int) and 2 <= b <= 16 for b in budget)


def test_sobol_needs_a_power_of_two(tmp_path):
    path = write(
        tmp_path, "sweep:\n  method: sobol\n  samples: 10\n  ties.decay: {min: 0, max: 1}\n"
    )
    assert problems(path) == [
        f"{path}: sweep.samples: sobol needs a power of 2 to keep its balance (got 10; use 8 or 16)"
    ]


def test_sweep_round_trips_through_its_block():
    sweep = Sweep(
        Method.LHS, {"ties.decay": Range(0.001, 0.1, "log"), "help.p_ask": Range(0, 1)}, 8, 3
    )
    assert parse_sweep(sweep.to_dict(), "x") == sweep
    grid = Sweep(Method.GRID, {"ties.decay": [0.1, 0.2]})
    assert parse_sweep(grid.to_dict(), "x") == grid


def test_resolved_scenario_with_its_sweep_reloads_to_the_same_points(tmp_path):
    path = write(
        tmp_path,
        "sweep:\n  method: lhs\n  samples: 3\n  ties.decay: {min: 0.0, max: 0.1}\n",
    )
    exp = load_experiment(path)
    saved = tmp_path / "saved.yaml"
    saved.write_text(dump_scenario(exp.base, exp.sweep.to_dict()))
    again = load_experiment(saved)
    assert again.base == exp.base
    assert [p.scenario for p in again.points] == [p.scenario for p in exp.points]


# ---------------------------------------------------------------------------------------------
# Validation: file, point and field named; every point checked before anything runs


def test_a_bad_value_names_the_file_the_point_and_the_field(tmp_path):
    path = write(tmp_path, "sweep:\n  ties.decay: [0.1, 1.5]\n  help.p_ask: [0.1, 0.2]\n")
    assert problems(path) == [
        f"{path}: sweep point 2 (ties.decay=1.5, help.p_ask=0.1): ties.decay: must be between "
        "0 and 1 (got 1.5) (and 1 more point)"
    ]


def test_a_cross_field_problem_at_one_point_is_reported(tmp_path):
    path = write(tmp_path, "sweep:\n  ties.new_strength: [0.1, 0.6]\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}: sweep point 1 (ties.new_strength=0.6): ties.new_strength: ")
    assert "below ties.strong_threshold" in line


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("  ties.decayy: [0.1]\n", "sweep.ties.decayy: unknown field (did you mean 'ties.decay'?)"),
        ("  seed: [1, 2]\n", "sweep.seed: must be a whole number >= 0 (got [1, 2])"),
        ("  replications: [1, 2]\n", "sweep.replications: cannot be swept (every point shares it)"),
        ("  ties: [1]\n", "sweep.ties: unknown field"),
        (
            "  ties.decay: 0.1\n",
            "sweep.ties.decay: grid needs a non-empty list of values (got 0.1)",
        ),
        ("  ties.decay: [0.1, 0.1]\n", "sweep.ties.decay: value 0.1 repeats"),
        ("  community.topics: [[0], [1]]\n", "sweep.community.topics: only fields holding one"),
        (
            "  method: random\n  ties.decay: [0.1]\n",
            "sweep.method: must be one of grid, lhs, sobol",
        ),
        ("  method: lhs\n  ties.decay: {min: 0, max: 1}\n", "sweep.samples: lhs needs a number"),
        (
            "  method: lhs\n  samples: 4\n  ties.decay: [0.1]\n",
            "sweep.ties.decay: lhs needs a range",
        ),
        (
            "  method: lhs\n  samples: 4\n  ties.decay: {min: 0.5, max: 0.1}\n",
            "sweep.ties.decay: min must be at most max (got 0.5 > 0.1)",
        ),
        (
            "  method: lhs\n  samples: 4\n  ties.decay: {min: 0, max: 1, scale: log}\n",
            "sweep.ties.decay.min: a log scale needs min > 0 (got 0)",
        ),
        (
            "  method: lhs\n  samples: 4\n  sharing.policy: {min: 0, max: 1}\n",
            "sweep.sharing.policy: lhs samples numbers; sweep this field with a grid",
        ),
        (
            "  samples: 4\n  ties.decay: [0.1]\n",
            "sweep.samples: only used with method lhs, sobol, sobol_indices, morris",
        ),
        (
            "  method: lhs\n  samples: 4\n  population.time_budget: {min: 1.5, max: 4}\n",
            "sweep.population.time_budget: a whole-number field needs whole-number min and max",
        ),
        ("  knowledge.item_classes.3.n_items: [1]\n", "sweep.knowledge.item_classes.3.n_items: no"),
    ],
)
def test_sweep_block_problems(tmp_path, block, expected):
    path = write(tmp_path, "sweep:\n" + block)
    lines = problems(path)
    assert any(line.startswith(f"{path}: {expected}") for line in lines), lines


def test_an_empty_sweep_block_is_an_error(tmp_path):
    assert problems(write(tmp_path, "sweep: {}\n"))[0].startswith(
        f"{tmp_path / 'sweep.yaml'}: sweep"
    )


def test_overriding_a_swept_field_is_an_error(tmp_path):
    path = write(tmp_path, "sweep:\n  ties.decay: [0.01, 0.02]\n")
    assert problems(path, ["ties.decay=0.5"]) == [
        "--set ties.decay=0.5: ties.decay is swept; change the sweep block instead"
    ]


def test_overrides_reach_every_point_and_the_sweep_block(tmp_path):
    path = write(tmp_path, "sweep:\n  method: lhs\n  samples: 4\n  ties.decay: {min: 0, max: 1}\n")
    exp = load_experiment(path, ["help.p_ask=0.3", "sweep.samples=8"])
    assert len(exp.points) == 8
    assert {p.scenario.help.p_ask for p in exp.points} == {0.3}


def test_leaf_type():
    assert leaf_type("ties.decay") is float
    assert leaf_type("population.time_budget") is int
    assert leaf_type("knowledge.item_classes.2.complexity") is float
    assert leaf_type("knowledge.item_classes.complexity") is None
    assert leaf_type("ties") is None
    assert leaf_type("nosuch.field") is None


# ---------------------------------------------------------------------------------------------
# Seeds and run keys: common random numbers


def test_replication_r_has_the_same_seed_at_every_point(tmp_path):
    exp = load_experiment(write(tmp_path, "sweep:\n  ties.decay: [0.01, 0.02, 0.03]\n"))
    jobs = plan_jobs(exp.points, replications=4, root_seed=exp.base.seed)
    assert len(jobs) == 12
    seeds = replication_seeds(exp.base.seed, 4)
    for job in jobs:
        assert job.seed == seeds[job.replication]
    assert len({j.key for j in jobs}) == 12


def test_run_key_depends_on_the_resolved_scenario_and_seed_only(tmp_path):
    exp = load_experiment(write(tmp_path, "sweep:\n  ties.decay: [0.01, 0.02]\n"))
    a, b = (p.scenario for p in exp.points)
    assert run_key(a, 1) != run_key(b, 1)
    assert run_key(a, 1) != run_key(a, 2)
    renamed = a.model_copy(update={"name": "other", "replications": 99, "description": "x"})
    assert run_key(renamed, 1) == run_key(a, 1)
    assert len(run_key(a, 1)) == 64


# ---------------------------------------------------------------------------------------------
# Shipped sweeps


def test_shipped_sweeps_load_and_cover_the_asked_questions():
    loaded = {p.stem: load_experiment(p) for p in sorted(SWEEPS.glob("*.yaml"))}
    assert loaded["weak_ties_bridges"].swept == ["network.bridges_per_agent"]
    assert len(loaded["weak_ties_bridges"].points) >= 4
    assert loaded["closed_community_decay_budget"].swept == ["ties.decay", "population.time_budget"]
    for name, exp in loaded.items():
        assert exp.base.name == name
        assert len(exp.points) >= 4
    # the sweeps are their scenarios plus a sweep block
    wt = load_scenario(ROOT / "scenarios" / "weak_ties.yaml")
    base = loaded["weak_ties_bridges"].base
    assert base.model_copy(update={"name": wt.name, "description": wt.description}) == wt
