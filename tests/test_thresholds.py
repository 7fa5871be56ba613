"""Learners exactly on a threshold, in both engines: compared in the knowledge's precision.

Mastery is stored as float32. A learner seeded at 0.7 holds float32(0.7) = 0.699999988...,
below the float64 0.7 written in the scenario; every threshold is therefore compared at the
knowledge's precision (`sim.rules.common.at_knowledge_precision`), so a learner seeded at a
threshold is on it. The thresholds used here (0.7, and 0.35 for the floor) are ones whose
float32 value lies below the float64 one, so a comparison in float64 would put the learner on
the wrong side: each test fails if its comparison is done in float64.

"Just below" is one float32 step under the threshold: the largest float32 smaller than it,
written in the scenario as that (exactly representable) number.
"""

import numpy as np
import pytest

from sim.engines import make_model
from sim.rules.common import at_knowledge_precision
from sim.scenario import validate
from sim.world.network import StartNetwork

ENGINES = ["array", "agents"]


def just_below(x: float) -> float:
    """The largest float32 below float32(x), as a Python float (stored exactly as float32)."""
    return float(np.nextafter(np.float32(x), np.float32(0.0)))


def scenario(engine: str, level: float, agents: list[int], n_agents: int, **sections):
    """Everything off but the given sections; one item, held by `agents` at `level`."""
    data = {
        "engine": engine,
        "steps": 1,
        "population": {
            "n_agents": n_agents,
            "activity_sigma": 0.0,
            "helpfulness_mean": 1.0,
            "helpfulness_concentration": None,
            "n_interests": 1,
        },
        "network": {"generator": "empty"},
        "knowledge": {
            "n_topics": 1,
            "deep_threshold": 0.7,
            "item_classes": [
                {
                    "name": "facts",
                    "n_items": 1,
                    "complexity": 0.0,
                    "seeding": {"agents": agents, "level": level},
                }
            ],
        },
        "learning": {
            "surface_rate": 1.0,
            "deep_rate": 1.0,
            "bandwidth_min": 1.0,
            "bandwidth_max": 1.0,
        },
        "sharing": {"enabled": False},
        "help": {"enabled": False},
        "community": {"enabled": False},
        "ties": {"enabled": False},
        "forgetting": {"enabled": False},
        "innovation": {"enabled": False},
        "metrics": {"structure_every": 1},
    }
    for key, value in sections.items():
        data[key] = {**data[key], **value}
    return validate(data)


def pair() -> StartNetwork:
    """Learners 0 and 1 joined by one tie of strength 0.5, in one group."""
    return StartNetwork(
        u=np.array([0], dtype=np.int64),
        v=np.array([1], dtype=np.int64),
        strength=np.array([0.5]),
        group=np.zeros(2, dtype=np.int64),
    )


def test_the_helper_rounds_to_the_knowledge_dtype():
    k32 = np.zeros(3, dtype=np.float32)
    t = at_knowledge_precision(0.7, k32)
    assert t.dtype == np.float32 and t == np.float32(0.7)
    assert np.float32(0.7) >= t  # stored 0.7 is on the threshold...
    assert not np.float64(np.float32(0.7)) >= 0.7  # ...which float64 would deny
    assert at_knowledge_precision(0.7, np.zeros(1)).dtype == np.float64
    assert at_knowledge_precision(0.7, np.float32(0.1)).dtype == np.float32


# ----------------------------------------------------------------------------- deep


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("level", "share"), [(0.7, 1.0), (just_below(0.7), 0.0)])
def test_a_learner_at_deep_threshold_is_deep(engine, level, share):
    n = 10
    m = make_model(scenario(engine, level, list(range(n)), n), rng=1, start_network=None)
    row = m.rows[0]  # the initial state, as seeded
    assert row["share_aware"] == 1.0
    assert row["share_deep"] == share
    assert row["share_deep__facts"] == share


# ----------------------------------------------------------------------------- goal

HELP = {"enabled": True, "p_ask": 1.0, "goal": 0.7, "able_threshold": 0.5}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("level", "questions"), [(0.7, 0), (just_below(0.7), 2)])
def test_a_learner_at_goal_has_no_need(engine, level, questions):
    # Both learners hold the item at `level`; with p_ask 1 each asks iff it has a need.
    sc = scenario(engine, level, [0, 1], 2, help=HELP)
    m = make_model(sc, rng=1, start_network=pair())
    m.step()
    assert m.rows[-1]["questions"] == questions


# ----------------------------------------------------------------------------- able


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("level", "answers"), [(0.7, 1), (just_below(0.7), 0)])
def test_a_helper_at_able_threshold_answers(engine, level, answers):
    # 0 holds the item at `level`, 1 knows nothing: both ask (below goal 0.9), only 1 can be
    # answered. With helpfulness 1, stranger_willingness 1 and one able helper, an able 0
    # answers with p = 1 * 1 * 1 ** (...) = 1.
    help_ = {**HELP, "goal": 0.9, "able_threshold": 0.7, "stranger_willingness": 1.0}
    sc = scenario(engine, level, [0], 2, help=help_)
    m = make_model(sc, rng=1, start_network=pair())
    m.step()
    assert m.rows[-1]["questions"] == 2
    assert m.rows[-1]["answers"] == answers
    assert (m.knowledge[1, 0] > 0) == bool(answers)


# ----------------------------------------------------------------------------- forgetting


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("level", "kept"), [(0.7, True), (just_below(0.7), False)])
def test_knowledge_at_the_forgetting_floor_is_kept(engine, level, kept):
    # Unused, the mastery halves: float32(0.7) / 2 = float32(0.35) exactly (halving is exact
    # in binary), which is the floor 0.35 at float32 precision (0.349999994 < 0.35): kept.
    # One float32 step below 0.7 halves to one step below the floor: lost.
    sc = scenario(engine, level, [0], 2, forgetting={"enabled": True, "rate": 0.5, "floor": 0.35})
    m = make_model(sc, rng=1, start_network=None)
    m.step()
    expected = np.float32(level) / np.float32(2.0) if kept else np.float32(0.0)
    assert m.knowledge[0, 0] == expected
    assert m.rows[-1]["share_aware"] == (0.5 if kept else 0.0)  # learner 1 knows nothing
