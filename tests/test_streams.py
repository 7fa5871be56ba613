"""Common random numbers that are real: one random stream per purpose (sim.world.streams)."""

from pathlib import Path

import numpy as np
import pytest

from sim.engines import make_model
from sim.experiment.jobs import replication_seeds
from sim.scenario import Engine, load_scenario
from sim.world.streams import PURPOSES, STREAM_LAYOUT, spawn_streams

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["social_network", "weak_ties", "hybrid", "closed_community"]


def shipped(name, *overrides):
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml", list(overrides))


def test_streams_depend_only_on_the_seed_and_differ_by_purpose():
    a = spawn_streams(np.random.default_rng(42))
    b = spawn_streams(np.random.default_rng(42))
    assert list(a) == list(PURPOSES) and STREAM_LAYOUT == 1
    first = {p: g.random(4).tolist() for p, g in a.items()}
    assert first == {p: g.random(4).tolist() for p, g in b.items()}
    assert len({tuple(v) for v in first.values()}) == len(PURPOSES)
    # Spawning children of the seed sequence elsewhere does not move the streams.
    rng = np.random.default_rng(42)
    rng.bit_generator.seed_seq.spawn(3)
    assert first["help"] == spawn_streams(rng)["help"].random(4).tolist()
    assert first != {
        p: g.random(4).tolist() for p, g in spawn_streams(np.random.default_rng(43)).items()
    }


@pytest.mark.parametrize("engine", [Engine.ARRAY, Engine.AGENTS])
def test_scenarios_differing_in_structure_have_the_same_learners_and_seed_holders(engine):
    # The comparison the simulator exists for: same replication, different networks (and a
    # community in hybrid, everyone a member in closed_community) -> the same learners.
    seed = replication_seeds(20261122, 3)[2]
    models = {
        name: make_model(shipped(name).model_copy(update={"engine": engine}), rng=seed)
        for name in SHIPPED
    }
    base = models["social_network"]
    # hybrid is social_network plus a community: the very same starting network.
    assert models["hybrid"].ties.keys().tolist() == base.ties.keys().tolist()
    assert models["weak_ties"].ties.keys().tolist() != base.ties.keys().tolist()
    for name, m in models.items():
        np.testing.assert_array_equal(m.activity, base.activity, err_msg=name)
        np.testing.assert_array_equal(m.helpfulness, base.helpfulness, err_msg=name)
        # Seed holders: the random strategy in every shipped file, the same draws.
        np.testing.assert_array_equal(m.knowledge, base.knowledge, err_msg=name)
        # Interests before the community adds its topics: equal for non-members.
        outside = ~m.member
        np.testing.assert_array_equal(m.interest[outside], base.interest[outside], err_msg=name)
    assert models["weak_ties"].interest.tolist() == base.interest.tolist()
    assert 0 < models["hybrid"].member.sum() < base.n_agents


@pytest.mark.parametrize("name", ["closed_community", "hybrid"])
def test_a_control_differs_from_its_scenario_only_in_the_shared_interest(name):
    # scenarios/controls/<name>_own_interests.yaml: the same file with community.topics
    # empty. Same replication -> the same learners, members, seed holders and start network
    # as <name>, and exactly the interests of social_network (no topic added for members),
    # so social_network -> control is the structural effect, control -> <name> the interest.
    seed = replication_seeds(20261122, 2)[1]
    control_sc = load_scenario(ROOT / "scenarios" / "controls" / f"{name}_own_interests.yaml")
    full_sc = shipped(name)
    diff = [
        k
        for k, v in control_sc.model_dump().items()
        if k not in ("name", "description") and v != full_sc.model_dump()[k]
    ]
    assert diff == ["community"]
    assert control_sc.community.topics == [] and full_sc.community.topics
    assert control_sc.community.model_copy(update={"topics": full_sc.community.topics}) == (
        full_sc.community
    )
    control, full = make_model(control_sc, rng=seed), make_model(full_sc, rng=seed)
    base = make_model(shipped("social_network"), rng=seed)
    np.testing.assert_array_equal(control.interest, base.interest)
    np.testing.assert_array_equal(control.member, full.member)
    np.testing.assert_array_equal(control.knowledge, full.knowledge)
    np.testing.assert_array_equal(control.activity, full.activity)
    assert control.ties.keys().tolist() == full.ties.keys().tolist()
    # The shared topics are what the full scenario adds, and only for its members.
    added = full.interest & ~control.interest
    assert added.any() and not added[~full.member].any()
    assert set(np.flatnonzero(added.any(axis=0))) <= set(full_sc.community.topics)


def test_a_change_in_one_rule_does_not_move_the_draws_of_another():
    # Asking more often changes the help stream's use, not who shares what in step 1.
    seed = 7
    a = make_model(shipped("weak_ties", "help.p_ask=0.05"), rng=seed)
    b = make_model(shipped("weak_ties", "help.p_ask=0.5"), rng=seed)
    a.step()
    b.step()
    assert b.record.questions > a.record.questions
    assert a.record.exposures == b.record.exposures
    assert a.record.novel_exposures.tolist() == b.record.novel_exposures.tolist()
    # Switching innovation off leaves the sharing of the first step as it was.
    c = make_model(shipped("weak_ties", "innovation.enabled=false"), rng=seed)
    c.step()
    assert c.record.exposures == a.record.exposures


def test_the_same_network_settings_give_the_same_network_whatever_else_changes():
    seed = 11
    a = make_model(shipped("weak_ties", "population.activity_sigma=0.0"), rng=seed)
    b = make_model(shipped("weak_ties", "ties.decay=0.05", "help.enabled=false"), rng=seed)
    assert a.ties.u.tolist() == b.ties.u.tolist() and a.ties.v.tolist() == b.ties.v.tolist()
    np.testing.assert_array_equal(a.ties.strength, b.ties.strength)
