"""Every rule of MODEL.md on tiny graphs, with exact expectations where the rule allows.

Mechanisms not under test are switched off, and probabilities set to 0 or 1, so that an
outcome is certain and the expected number follows from the rule by hand.
"""

import numpy as np
import pytest

from sim.model import LearningModel
from sim.scenario import Scenario
from sim.world.network import StartNetwork
from sim.world.ties import TieOrigin

ALL_OFF = {
    "steps": 5,
    "population": {
        "n_agents": 3,
        "activity_sigma": 0.0,
        "helpfulness_mean": 1.0,
        "helpfulness_concentration": None,
        "n_interests": 1,
    },
    "network": {"generator": "empty"},
    "knowledge": {
        "n_topics": 1,
        "item_classes": [
            {"name": "facts", "n_items": 1, "complexity": 0.0, "seeding": {"agents": [0]}}
        ],
    },
    "learning": {"surface_rate": 1.0, "deep_rate": 1.0, "bandwidth_min": 1.0, "bandwidth_max": 1.0},
    "sharing": {"enabled": False, "p_share": 1.0, "p_notice_min": 1.0, "p_notice_max": 1.0},
    "help": {"enabled": False, "p_ask": 1.0, "stranger_willingness": 1.0},
    "community": {"enabled": False},
    "ties": {"enabled": False},
    "forgetting": {"enabled": False},
    "innovation": {"enabled": False},
    "metrics": {"structure_every": 1},
}


def scenario(**sections) -> Scenario:
    """ALL_OFF with the given sections merged in (one level deep)."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in ALL_OFF.items()}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Scenario.model_validate(data)


def net(n, edges, strength=0.5, group=None) -> StartNetwork:
    edges = sorted((min(a, b), max(a, b)) for a, b in edges)
    u = np.array([e[0] for e in edges], dtype=np.int64)
    v = np.array([e[1] for e in edges], dtype=np.int64)
    s = np.broadcast_to(np.asarray(strength, dtype=np.float64), (len(edges),)).copy()
    g = np.zeros(n, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    return StartNetwork(u=u, v=v, strength=s, group=g)


def model(sc: Scenario, network: StartNetwork, seed: int = 1) -> LearningModel:
    return LearningModel(sc, rng=seed, start_network=network)


def knowledge(m: LearningModel) -> list[float]:
    return m.knowledge[:, 0].astype(float).tolist()


SHARE = {"enabled": True, "policy": "broadcast"}


# ----------------------------------------------------------------------------- sharing


def test_broadcast_is_synchronous_along_a_path():
    m = model(scenario(sharing=SHARE), net(3, [(0, 1), (1, 2)]))
    m.step()
    # 1 learns from 0; 2 cannot learn from 1 in the same step (changes apply at the end).
    assert knowledge(m) == [1.0, 1.0, 0.0]
    row = m.rows[-1]
    assert (row["exposures"], row["redundant_exposures"]) == (1, 0)
    assert row["novel_exposures_weak"] + row["novel_exposures_strong"] == 1
    m.step()
    assert knowledge(m) == [1.0, 1.0, 1.0]
    # 0->1 and 1->0 bring nothing new; 1->2 is novel.
    row = m.rows[-1]
    assert (row["exposures"], row["redundant_exposures"]) == (3, 2)
    assert row["redundancy"] == pytest.approx(2 / 3)


def test_activity_is_read_only_and_assigning_it_changes_who_shares():
    m = model(scenario(sharing=SHARE), net(3, [(0, 1), (1, 2)]))
    with pytest.raises(ValueError, match="read-only"):
        m.activity[0] = 0.0
    with pytest.raises(ValueError, match="one value per agent"):
        m.activity = np.ones(2)
    m.activity = np.zeros(3)  # nobody shares: p_share * activity = 0
    m.step()
    assert knowledge(m) == [1.0, 0.0, 0.0] and m.rows[-1]["exposures"] == 0
    m.activity = np.array([1.0, 0.0, 0.0])  # only agent 0 shares again (p_share 1)
    m.step()
    assert knowledge(m) == [1.0, 1.0, 0.0]


def test_surface_gain_is_rate_times_bandwidth_times_ease():
    sc = scenario(
        sharing=SHARE,
        population={"n_agents": 2},
        learning={"surface_rate": 0.5, "bandwidth_min": 0.2, "bandwidth_max": 1.0},
        knowledge={
            "n_topics": 1,
            "item_classes": [
                {"name": "facts", "n_items": 1, "complexity": 0.2, "seeding": {"agents": [0]}}
            ],
        },
    )
    m = model(sc, net(2, [(0, 1)], strength=0.5))
    m.step()
    # bandwidth(0.5) = 0.2 + 0.8 * 0.5 = 0.6; gain = 0.5 * 0.6 * (1 - 0.2) * (1 - 0) = 0.24
    assert m.knowledge[1, 0] == pytest.approx(0.24, rel=1e-6)
    assert m.rows[-1]["gain_via_strong"] == pytest.approx(0.24, rel=1e-6)
    assert m.rows[-1]["gain_via_weak"] == 0


def test_a_tie_below_the_strong_threshold_credits_weak_gains():
    sc = scenario(sharing=SHARE, population={"n_agents": 2})
    m = model(sc, net(2, [(0, 1)], strength=0.2))
    m.step()
    row = m.rows[-1]
    assert row["gain_via_weak"] == pytest.approx(1.0)
    assert row["novel_exposures_weak"] == 1 and row["novel_exposures_strong"] == 0


def test_attention_zero_means_nobody_notices():
    sc = scenario(sharing={**SHARE, "p_notice_min": 0.0, "p_notice_max": 0.0})
    m = model(sc, net(3, [(0, 1), (1, 2)]))
    m.step()
    assert knowledge(m) == [1.0, 0.0, 0.0]
    assert m.rows[-1]["exposures"] == 0


def test_gossip_talks_to_one_tie_per_step():
    sc = scenario(sharing={**SHARE, "policy": "gossip"}, population={"n_agents": 5})
    star = net(5, [(0, i) for i in range(1, 5)])
    m = model(sc, star)
    m.step()
    assert sum(k > 0 for k in knowledge(m)) == 2
    assert m.rows[-1]["exposures"] == 1


def test_gossip_partner_by_strength_prefers_strong_ties():
    # Center 0 with a tie of strength 0.9 and one of 0.1: the strong one is picked with
    # probability 0.9. Over 400 seeds the count is Binomial(400, 0.9): sd = 6; allow 5 sd.
    sc = scenario(sharing={**SHARE, "policy": "gossip", "partner": "strength"})
    network = StartNetwork(
        u=np.array([0, 0]),
        v=np.array([1, 2]),
        strength=np.array([0.9, 0.1]),
        group=np.zeros(3, dtype=np.int64),
    )
    picked_strong = 0
    for seed in range(400):
        m = model(sc, network, seed)
        m.step()
        picked_strong += m.knowledge[1, 0] > 0
    assert abs(picked_strong - 360) < 5 * 6


def test_cascade_passes_an_item_on_once_in_the_step_after_learning():
    sc = scenario(sharing={**SHARE, "policy": "cascade"}, population={"n_agents": 4})
    m = model(sc, net(4, [(0, 1), (1, 2), (2, 3)]))
    m.step()
    assert knowledge(m) == [1.0, 1.0, 0.0, 0.0]
    assert m.rows[-1]["exposures"] == 1
    m.step()
    # Only 1 (new last step) passes it on: to 0 (redundant) and 2. 0 does not share again.
    assert knowledge(m) == [1.0, 1.0, 1.0, 0.0]
    assert (m.rows[-1]["exposures"], m.rows[-1]["redundant_exposures"]) == (2, 1)
    m.step()
    assert knowledge(m) == [1.0, 1.0, 1.0, 1.0]
    m.step()
    # 3 (new last step) passes it back to 2; then everyone has had its one chance.
    assert (m.rows[-1]["exposures"], m.rows[-1]["redundant_exposures"]) == (1, 1)
    m.step()
    assert m.rows[-1]["exposures"] == 0


def test_complex_item_needs_the_required_number_of_tied_holders():
    classes = [
        {
            "name": "practices",
            "n_items": 1,
            "complexity": 0.0,
            "sources_required": 2,
            "seeding": {"agents": [0, 2]},
        }
    ]
    sc = scenario(
        sharing=SHARE,
        knowledge={"n_topics": 1, "item_classes": classes},
        population={"n_agents": 4},
    )
    # 1 is tied to both holders 0 and 2; 3 only to holder 2.
    m = model(sc, net(4, [(0, 1), (1, 2), (2, 3)]))
    m.step()
    assert knowledge(m) == [1.0, 1.0, 1.0, 0.0]
    m.step()
    # Now 3 has only one aware tie (2), still not enough.
    assert knowledge(m)[3] == 0.0
    assert m.rows[-1]["share_aware__practices"] == pytest.approx(0.75)


# ----------------------------------------------------------------------------- help

HELP = {
    "enabled": True,
    "p_ask": 1.0,
    "goal": 0.7,
    "able_threshold": 0.5,
    "stranger_willingness": 1.0,
    "bystander_exponent": 1.0,
}


def test_a_tied_helper_answers_and_gives_deep_learning():
    sc = scenario(
        help=HELP,
        learning={"deep_rate": 0.6, "bandwidth_min": 1.0, "bandwidth_max": 1.0},
        population={"n_agents": 2},
    )
    m = model(sc, net(2, [(0, 1)], strength=0.8))
    m.step()
    row = m.rows[-1]
    # Only 1 has a need (0 already knows 1.0 >= goal). 0 answers with p = 1 * 1 * 1.
    assert (row["questions"], row["answers"]) == (1, 1)
    assert (row["answers_via_strong"], row["answers_via_weak"]) == (1, 0)
    assert m.knowledge[1, 0] == pytest.approx(0.6)
    assert row["gain_via_strong"] == pytest.approx(0.6)
    assert row["gain_via_help"] == pytest.approx(0.6)


def test_nobody_able_means_no_answer():
    sc = scenario(
        help={**HELP, "able_threshold": 1.0},
        population={"n_agents": 2},
        knowledge={
            "n_topics": 1,
            "item_classes": [
                {
                    "name": "facts",
                    "n_items": 1,
                    "complexity": 0.0,
                    "seeding": {"agents": [0], "level": 0.9},
                }
            ],
        },
    )
    m = model(sc, net(2, [(0, 1)]))
    m.step()
    assert (m.rows[-1]["questions"], m.rows[-1]["answers"]) == (1, 0)
    assert m.knowledge[1, 0] == 0


def test_bystander_effect_with_three_able_strangers():
    # 3 able helpers tied (strength ~0) to each of 600 askers: each helper answers with
    # p = 1 * w(0) * 3 ** -1 = 1/3 (stranger_willingness 1, gamma 1), so a question goes
    # unanswered with probability (2/3)^3 and is answered with p = 19/27 = 0.7037.
    # Answered count ~ Binomial(600, 0.7037): sd = sqrt(600 * 0.7037 * 0.2963) = 11.2.
    n_askers, helpers = 600, [0, 1, 2]
    n = n_askers + 3
    edges = [(h, 3 + a) for h in helpers for a in range(n_askers)]
    classes = [{"name": "facts", "n_items": 1, "complexity": 0.0, "seeding": {"agents": helpers}}]
    sc = scenario(
        help=HELP, population={"n_agents": n}, knowledge={"n_topics": 1, "item_classes": classes}
    )
    m = model(sc, net(n, edges, strength=1e-9))
    m.step()
    assert m.rows[-1]["questions"] == n_askers
    assert abs(m.rows[-1]["answers"] - 600 * 19 / 27) < 5 * 11.2
    # Without a bystander effect every able helper answers: every question is answered.
    m = model(
        scenario(
            help={**HELP, "bystander_exponent": 0.0},
            population={"n_agents": n},
            knowledge={"n_topics": 1, "item_classes": classes},
        ),
        net(n, edges, strength=1e-9),
    )
    m.step()
    assert m.rows[-1]["answers"] == n_askers


COMMUNITY = {
    "enabled": True,
    "share_members": 1.0,
    "topics": [0],
    "repository": True,
    "p_find": 1.0,
    "repository_bandwidth": 1.0,
    "p_meet": 0.0,
}


def test_community_answers_form_ties_and_fill_the_repository():
    sc = scenario(
        help=HELP,
        community=COMMUNITY,
        ties={"enabled": True, "decay": 0.0},
        learning={"deep_rate": 0.5},
    )
    m = model(sc, net(3, []))
    m.step()
    row = m.rows[-1]
    # 1 and 2 ask the community; the only able member, 0, answers both (n_able = 1).
    assert (row["questions"], row["answers"], row["repository_hits"]) == (2, 2, 0)
    assert row["answers_via_community"] == 2
    assert knowledge(m) == [1.0, 0.5, 0.5]
    assert row["gain_via_community"] == pytest.approx(1.0)
    assert m.repository.tolist() == [1.0]
    # Strangers who helped each other are now tied (none -> weak, seed 001).
    assert sorted(zip(m.ties.u.tolist(), m.ties.v.tolist(), strict=True)) == [(0, 1), (0, 2)]
    assert set(m.ties.origin.tolist()) == {TieOrigin.HELP}
    m.step()
    row = m.rows[-1]
    # Both still need more (0.5 < goal 0.7) and the stored answer is better: found there.
    assert (row["questions"], row["answers"], row["repository_hits"]) == (2, 0, 2)
    assert knowledge(m) == [1.0, 0.75, 0.75]


def test_repository_switched_off_stores_nothing():
    sc = scenario(help=HELP, community={**COMMUNITY, "repository": False})
    m = model(sc, net(3, []))
    m.step()
    m.step()
    assert m.repository.tolist() == [0.0]
    assert m.rows[-1]["repository_hits"] == 0


# ----------------------------------------------------------------------------- budget


def test_time_budget_serves_the_strongest_tie_first():
    # Leaves 1, 2, 3 know the item and share to the unaware center 0 over ties of
    # strength 0.9, 0.5, 0.2. With a budget of one contact, only the 0.9 tie gets through.
    network = StartNetwork(
        u=np.array([0, 0, 0]),
        v=np.array([1, 2, 3]),
        strength=np.array([0.9, 0.5, 0.2]),
        group=np.zeros(4, dtype=np.int64),
    )
    classes = [{"name": "facts", "n_items": 1, "complexity": 0.0, "seeding": {"agents": [1, 2, 3]}}]
    base = {"sharing": SHARE, "knowledge": {"n_topics": 1, "item_classes": classes}}
    m = model(scenario(**base, population={"n_agents": 4, "time_budget": 1}), network)
    m.step()
    assert m.rows[-1]["exposures"] == 1
    assert m.rows[-1]["gain_via_strong"] == pytest.approx(1.0)
    m = model(scenario(**base, population={"n_agents": 4, "time_budget": None}), network)
    m.step()
    assert m.rows[-1]["exposures"] == 3


# ----------------------------------------------------------------------------- ties

TIES = {
    "enabled": True,
    "strong_threshold": 0.5,
    "strengthen_rate": 0.5,
    "decay": 0.1,
    "floor": 0.05,
    "floor_initial": 0.3,
    "new_strength": 0.1,
    "p_triadic": 0.0,
    "p_chance": 0.0,
}


def test_used_ties_strengthen_unused_decay_and_dissolve():
    m = model(scenario(sharing=SHARE, ties=TIES), net(3, [(0, 1), (1, 2)], strength=0.4))
    m.step()
    # 0-1 used: 0.4 * 0.9 = 0.36, then + 0.5 * (1 - 0.36) = 0.68. 1-2 unused: 0.36.
    assert m.ties.strength.tolist() == pytest.approx([0.68, 0.36])
    assert m.ties.last_used.tolist() == [1, -1]
    kept = m.ties.strength  # a researcher's record of step 1, kept without a copy
    m.step()
    # 1 now shares to 2: both used. 0.68 -> 0.612 -> 0.806; 0.36 -> 0.324 -> 0.662.
    assert m.ties.strength.tolist() == pytest.approx([0.806, 0.662])
    assert kept.tolist() == pytest.approx([0.68, 0.36])  # not changed under them
    assert m.rows[-1]["n_strong_ties"] == 2


def test_pre_existing_ties_dissolve_below_their_own_floor():
    m = model(scenario(ties=TIES, population={"n_agents": 2}), net(2, [(0, 1)], strength=0.32))
    m.step()
    # 0.32 * 0.9 = 0.288 < floor_initial 0.3.
    assert len(m.ties) == 0
    assert m.rows[-1]["ties_dissolved"] == 1
    assert m.rows[-1]["n_components"] == 2


def test_chance_forms_one_weak_tie():
    m = model(scenario(ties={**TIES, "p_chance": 1.0}, population={"n_agents": 2}), net(2, []))
    m.step()
    assert list(zip(m.ties.u.tolist(), m.ties.v.tolist(), strict=True)) == [(0, 1)]
    assert m.ties.strength.tolist() == [0.1]
    assert m.ties.origin.tolist() == [TieOrigin.CHANCE]
    # Both drew each other: one tie only, never a self-tie.
    assert m.rows[-1]["ties_formed"] == 1


def test_triadic_closure_closes_the_triangle():
    sc = scenario(ties={**TIES, "p_triadic": 1.0, "decay": 0.0, "floor_initial": 0.0})
    m = model(sc, net(3, [(0, 1), (1, 2)]))
    # Each step 0 and 2 each reach the other with p 1/2: no closure in 10 steps has
    # probability (1/4)^10 < 1e-6.
    for _ in range(10):
        m.step()
    assert (0, 2) in set(zip(m.ties.u.tolist(), m.ties.v.tolist(), strict=True))
    assert TieOrigin.TRIADIC in m.ties.origin.tolist()
    assert m.rows[-1]["clustering"] == pytest.approx(1.0)


def test_community_meetings_tie_members_only():
    sc = scenario(
        community={**COMMUNITY, "share_members": 0.5, "p_meet": 1.0},
        ties={**TIES, "decay": 0.0},
        population={"n_agents": 4},
    )
    m = model(sc, net(4, []))
    for _ in range(5):
        m.step()
    members = set(np.flatnonzero(m.member).tolist())
    assert len(members) == 2
    assert set(m.ties.u.tolist()) | set(m.ties.v.tolist()) == members
    assert len(m.ties) == 1


# ----------------------------------------------------------------------------- forgetting


def test_unused_knowledge_is_forgotten_slowly_then_lost():
    classes = [
        {"name": "facts", "n_items": 1, "complexity": 0.0, "seeding": {"agents": [0], "level": 0.5}}
    ]
    sc = scenario(
        forgetting={"enabled": True, "rate": 0.5, "floor": 0.1},
        knowledge={"n_topics": 1, "item_classes": classes},
    )
    m = model(sc, net(3, []))
    m.step()
    assert knowledge(m) == [0.25, 0.0, 0.0]
    m.step()
    m.step()
    # 0.125, then 0.0625 < floor 0.1: forgotten entirely.
    assert knowledge(m) == [0.0, 0.0, 0.0]
    assert m.rows[-1]["share_aware"] == 0


def test_used_knowledge_is_not_forgotten():
    sc = scenario(
        sharing=SHARE,
        forgetting={"enabled": True, "rate": 0.5, "floor": 0.1},
        population={"n_agents": 2},
    )
    m = model(sc, net(2, [(0, 1)]), seed=3)
    m.step()
    # Both used the item this step (shared it, or received it): neither forgets.
    assert knowledge(m) == [1.0, 1.0]


# ----------------------------------------------------------------------------- innovation


def test_innovation_adds_a_share_of_the_gap_to_an_item_of_interest():
    classes = [{"name": "facts", "n_items": 2, "complexity": 0.0, "seeding": {"n_holders": 0}}]
    sc = scenario(
        innovation={"enabled": True, "p_innovate": 1.0, "gain": 0.5},
        knowledge={"n_topics": 2, "item_classes": classes},
        population={"n_interests": 1},
    )
    m = model(sc, net(3, []))
    m.step()
    k = m.knowledge
    # Each agent gains 0.5 in exactly one item, an item of its topic of interest.
    assert (np.sort(k, axis=1) == [0.0, 0.5]).all()
    for a in range(3):
        assert m.interest[a, m.items.item_topic[np.argmax(k[a])]]
    assert m.rows[-1]["gain_via_innovation"] == pytest.approx(1.5)


# ----------------------------------------------------------------------------- setup


def test_hub_seeding_picks_the_best_connected():
    classes = [
        {
            "name": "facts",
            "n_items": 2,
            "complexity": 0.0,
            "seeding": {"strategy": "hubs", "n_holders": 1},
        }
    ]
    sc = scenario(knowledge={"n_topics": 1, "item_classes": classes}, population={"n_agents": 4})
    m = model(sc, net(4, [(0, 2), (1, 2), (2, 3)]))
    assert m.knowledge[:, 0].tolist() == [0, 0, 1, 0]
    assert m.knowledge[:, 1].tolist() == [0, 0, 1, 0]


def test_one_group_seeding_stays_in_group_zero():
    classes = [
        {
            "name": "facts",
            "n_items": 5,
            "complexity": 0.0,
            "seeding": {"strategy": "one_group", "n_holders": 2},
        }
    ]
    sc = Scenario.model_validate(
        {
            "population": {"n_agents": 40, "n_interests": 1},
            "network": {"generator": "clustered", "n_groups": 4},
            "knowledge": {"n_topics": 1, "item_classes": classes},
        }
    )
    m = LearningModel(sc, rng=5)
    holders = np.flatnonzero(m.knowledge.any(axis=1))
    assert (m.group[holders] == 0).all()
    assert ((m.knowledge > 0).sum(axis=0) == 2).all()


def test_activity_is_log_normal_with_mean_one():
    # Mean of 20000 log-normals with mean 1 and sigma 1: sd of one = sqrt(e - 1) = 1.31,
    # of the mean 1.31 / sqrt(20000) = 0.0093; allow 5 sd.
    sc = Scenario.model_validate(
        {
            "population": {"n_agents": 20000, "activity_sigma": 1.0},
            "network": {"generator": "empty"},
        }
    )
    m = LearningModel(sc, rng=2)
    assert abs(m.activity.mean() - 1.0) < 5 * 0.0093
    assert m.activity.max() > 10  # a heavy tail: super users exist


def test_a_network_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="agents"):
        model(scenario(), net(2, [(0, 1)]))


def test_learners_are_mesa_agents_viewing_the_arrays():
    m = model(scenario(), net(3, [(0, 1), (1, 2)], strength=0.7))
    assert len(m.agents) == 3
    learner = m.learners[1]
    assert learner.index == 1
    assert learner.degree == 2
    assert [(n.index, s) for n, s in learner.ties] == [(0, 0.7), (2, 0.7)]
    # The view is read-only (a step reads the start-of-step state); assigning the row works.
    with pytest.raises(ValueError, match="read-only"):
        m.learners[2].knowledge[0] = 0.5
    m.learners[2].knowledge = np.array([0.5])
    assert m.knowledge[2, 0] == 0.5
    assert m.learners[0].knowledge.tolist() == [1.0]


def test_step_zero_is_recorded_before_any_step():
    m = model(scenario(), net(3, []))
    assert len(m.rows) == 1 and m.rows[0]["step"] == 0
    assert m.rows[0]["share_aware"] == pytest.approx(1 / 3)
    m.step()
    assert [r["step"] for r in m.rows] == [0, 1]


def test_same_seed_same_run_and_different_seed_different_run():
    sc = Scenario.model_validate(
        {
            "steps": 30,
            "population": {"n_agents": 120, "time_budget": 4},
            "network": {"generator": "clustered", "n_groups": 6, "p_within": 0.5},
            "community": {"enabled": True, "share_members": 0.5},
            "ties": {"p_triadic": 0.01, "p_chance": 0.01},
        }
    )

    def run(seed):
        m = LearningModel(sc, rng=seed)
        for _ in range(sc.steps):
            m.step()
        return m.timeseries()

    a, b, c = run(7), run(7), run(8)
    assert a.equals(b)
    assert not a.equals(c)


def test_state_nbytes_counts_the_tie_table_and_shared_arrays_once():
    sc = scenario(population={"n_agents": 50, "activity_sigma": 1.0})
    ring = net(50, [(i, (i + 1) % 50) for i in range(50)])
    varied = model(sc, ring)
    t = varied.ties
    # No endpoint arrays (read from the index); no tie dynamics here: one stamp each.
    table = (t.strength, t.origin, t.indptr, t.nbr, t.tie_of, t.last_used.base, t.formed.base)
    got = varied.state_nbytes()
    assert got["ties"] == sum(a.nbytes for a in table)
    assert got["total"] == got["agents"] + got["ties"]
    assert set(got) == {"agents", "ties", "total", "recorded"}
    # The learner tally (questions, answers given and received, corrected; 7 gains and 3
    # budget cuts per learner) and the per-group rows (step 0's) are recorded output,
    # outside the state.
    rows = sum(a.nbytes for a in varied.group_steps)
    assert len(varied.group_steps) == 1 and rows > 0
    assert got["recorded"] == 50 * (4 * 8 + 7 * 8 + 3 * 8) + rows
    sharing = model(scenario(population={"n_agents": 50}, sharing={"enabled": True}), ring)
    before = sharing.state_nbytes()
    sharing.step()  # learner 0 shares with both neighbours, who notice and gain
    assert sharing.record.gain_by_channel.sum() > 0
    after = sharing.state_nbytes()
    # Choosing each learner's best gain keeps nothing between steps (its hash table is made
    # per step, of the step's offers): the array engine's state is what it was before the
    # step. The reference engine keeps the start-of-step knowledge its learners read (`k0`,
    # a float32 per (learner, item)) until the next step.
    kept = 0 if sharing.engine == "array" else 4 * 50 * sharing.n_items
    assert after["total"] == after["agents"] + after["ties"] == before["total"] + kept
    # p_share and p_ask are worked out each step, not kept: varied activity keeps no more
    # than equal activity (they were 2 x 8 B per learner of state until issue 16's 4a).
    equal = model(scenario(population={"n_agents": 50}), ring)
    assert got["agents"] == equal.state_nbytes()["agents"]
    assert not hasattr(varied, "_p_share") and not hasattr(varied, "_p_ask")
    # Group numbers are int32 (below n), the stamps int16 while the steps fit.
    assert varied.group.dtype == np.int32 and varied.group.nbytes == 4 * 50
    assert t.last_used.dtype == t.formed.dtype == np.int16
