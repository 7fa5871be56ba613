"""Sweep designs for sensitivity indices: sobol_indices and morris blocks, switches as factors."""

import numpy as np
import pytest

from sim.scenario import ScenarioError
from sim.scenario.designs import Method, Range, unit_design, unit_to_value
from sim.scenario.sweep import MAX_POINTS, Sweep, load_experiment, parse_sweep

BASE = """\
name: design
steps: 5
replications: 2
population: {n_agents: 30}
knowledge: {n_topics: 2, item_classes: [{name: facts, n_items: 2}]}
"""


def write(tmp_path, sweep: str):
    path = tmp_path / "s.yaml"
    path.write_text(BASE + "sweep:\n" + sweep, encoding="utf-8")
    return path


def only_problem(raw):
    with pytest.raises(ScenarioError) as info:
        parse_sweep(raw, "x.yaml")
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


RANGES = {
    "ties.decay": {"min": 0.001, "max": 0.1, "scale": "log"},
    "help.p_ask": {"min": 0, "max": 1},
}


def test_sobol_indices_expands_to_saltellis_design_size(tmp_path):
    # d = 2 fields: samples * (d + 2) points, or samples * (2d + 2) with second order.
    text = "  method: sobol_indices\n  samples: 8\n"
    text += "  ties.decay: {min: 0.001, max: 0.1, scale: log}\n  help.p_ask: {min: 0, max: 1}\n"
    exp = load_experiment(write(tmp_path, text))
    assert len(exp.points) == 8 * 4
    exp2 = load_experiment(write(tmp_path, text + "  second_order: true\n"))
    assert len(exp2.points) == 8 * 6
    # Saltelli's matrices A, B and the AB_i columns share rows: row 0 of AB_1 (point 1) takes
    # its first column from B (point 3) and its second from A (point 0).
    p = [pt.values for pt in exp.points]
    assert p[1]["ties.decay"] == p[3]["ties.decay"]
    assert p[1]["help.p_ask"] == p[0]["help.p_ask"]


def test_morris_trajectories_move_one_field_at_a_time(tmp_path):
    text = "  method: morris\n  samples: 5\n  levels: 4\n"
    text += "  ties.decay: {min: 0.01, max: 0.1}\n  help.p_ask: {min: 0, max: 1}\n"
    text += "  ties.strengthen_rate: {min: 0.01, max: 0.2}\n"
    exp = load_experiment(write(tmp_path, text))
    assert len(exp.points) == 5 * (3 + 1)
    for t in range(5):
        rows = [exp.points[t * 4 + k].values for k in range(4)]
        for a, b in zip(rows, rows[1:], strict=False):
            changed = [f for f in a if a[f] != b[f]]
            assert len(changed) == 1, (t, a, b)
        # Every field moves once per trajectory, by 2/3 of its range (levels 4: delta p/(2(p-1))).
        moved = {f for a, b in zip(rows, rows[1:], strict=False) for f in a if a[f] != b[f]}
        assert moved == {"ties.decay", "help.p_ask", "ties.strengthen_rate"}
        step = abs(rows[0]["help.p_ask"] - rows[-1]["help.p_ask"])
        assert step == pytest.approx(2 / 3)


def test_the_design_block_round_trips_through_to_dict():
    for raw in (
        {"method": "sobol_indices", "samples": 16, "second_order": True, **RANGES},
        {"method": "morris", "samples": 4, "levels": 6, "seed": 3, **RANGES},
    ):
        sweep = parse_sweep(raw, "x.yaml")
        assert parse_sweep(sweep.to_dict(), "x.yaml") == sweep


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"method": "sobol_indices", "samples": 12}, "sobol_indices needs a power of 2"),
        ({"method": "morris", "samples": 1}, "morris needs at least 2 trajectories"),
        ({"method": "morris", "samples": 4, "levels": 3}, "levels: must be an even whole"),
        ({"method": "morris", "samples": 4, "levels": True}, "levels: must be an even whole"),
        ({"method": "lhs", "samples": 4, "levels": 4}, "levels: only used with method morris"),
        ({"method": "morris", "samples": 4, "second_order": True}, "second_order: only used"),
        ({"method": "sobol_indices", "samples": 4, "second_order": "yes"}, "true or false"),
        ({"samples": 4}, "samples: only used with method lhs, sobol, sobol_indices, morris"),
    ],
)
def test_design_settings_are_checked(raw, expected):
    ranges = {} if raw.get("method") is None else RANGES
    if not ranges:
        raw = {**raw, "help.p_ask": [0.1, 0.2]}
    assert expected in only_problem({**raw, **ranges})


def test_the_point_cap_counts_the_whole_design():
    # 2^12 base samples of 2 fields is 2^12 * 4 = 2^14 points: at the cap; 2^13 is over it.
    ok = parse_sweep({"method": "sobol_indices", "samples": 2**12, **RANGES}, "x.yaml")
    assert ok.n_points == MAX_POINTS
    line = only_problem({"method": "sobol_indices", "samples": 2**13, **RANGES})
    assert (
        line == f"x.yaml: sweep: the sobol_indices design has {2**15} points (at most {MAX_POINTS})"
    )


def test_a_switch_is_a_two_level_factor(tmp_path):
    # Latin hypercube: one point in each of the 8 strata of [0, 1), so exactly the 4 points
    # in the upper half are on; the other field keeps its range.
    text = "  method: lhs\n  samples: 8\n  community.repository: {min: 0, max: 1}\n"
    text += "  help.p_ask: {min: 0, max: 1}\n"
    values = [
        p.values["community.repository"] for p in load_experiment(write(tmp_path, text)).points
    ]
    assert sorted(values) == [False] * 4 + [True] * 4
    assert unit_to_value(Range(0, 1), 0.4999, bool) is False
    assert unit_to_value(Range(0, 1), 0.5, bool) is True
    line = only_problem(
        {"method": "lhs", "samples": 4, "community.repository": {"min": 0, "max": 2}}
    )
    assert "a true/false field is sampled as {min: 0, max: 1}" in line


def test_unit_to_value_gives_each_whole_number_an_equal_share():
    # {min: 2, max: 5}: four whole numbers, each on a quarter of [0, 1].
    u = (np.arange(400) + 0.5) / 400
    got = [unit_to_value(Range(2, 5), float(x), int) for x in u]
    assert {v: got.count(v) for v in set(got)} == {2: 100, 3: 100, 4: 100, 5: 100}
    assert unit_to_value(Range(0.001, 0.1, "log"), 0.5, float) == pytest.approx(0.01)
    assert unit_to_value(Range(0, 10), 1.0, float) == 10.0


def test_unit_designs_stay_in_the_unit_cube_and_depend_on_the_seed():
    for method in (Method.SOBOL_INDICES, Method.MORRIS):
        a = unit_design(method, 3, 8, seed=1)
        assert a.min() >= 0.0 and a.max() <= 1.0
        assert np.array_equal(a, unit_design(method, 3, 8, seed=1))
        assert not np.array_equal(a, unit_design(method, 3, 8, seed=2))
    # Morris on 4 levels: every coordinate is one of 0, 1/3, 2/3, 1.
    grid = unit_design(Method.MORRIS, 2, 3, seed=0, levels=4) * 3
    assert np.allclose(grid, np.round(grid)) and set(np.round(grid).ravel()) <= {0, 1, 2, 3}


def test_sweep_n_points_of_a_grid_is_the_product():
    sweep = Sweep(Method.GRID, {"ties.decay": [0.1, 0.2], "help.p_ask": [0.1, 0.2, 0.3]})
    assert sweep.n_points == 6


def test_a_sweep_of_many_points_prints_where_its_tables_are():
    # A design of hundreds of points would print hundreds of rows before the indices.
    import pandas as pd

    from sim.experiment.orchestrate import MAX_PRINTED_POINTS, summary_text
    from sim.experiment.spec import Spec

    n = MAX_PRINTED_POINTS + 1
    summary = pd.DataFrame(
        {"point": np.repeat(np.arange(n), 2), "replication": np.tile([0, 1], n)}
    ).assign(share_aware=0.5)
    spec = Spec(kind="sweep", name="x", points=[], labels=[], replications=2, seed=0, files={})
    text = summary_text(spec, summary, None)
    assert text.startswith(f"{n} points x 2 replications") and "share_aware" not in text
    assert "share_aware" in summary_text(spec, summary[summary["point"] < n - 1], None)
