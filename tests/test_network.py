import math
import random

import networkx as nx
import numpy as np
import pytest

from sim.scenario import Generator, NetworkConfig
from sim.world.network import StartNetwork, build_network

# A setting of every generator that makes sense on 60 agents, for the invariant tests.
ALL_GENERATORS = {
    "ring_lattice": {"degree": 4},
    "watts_strogatz": {"degree": 6, "p_rewire": 0.3},
    "erdos_renyi": {"degree": 5},
    "random_regular": {"degree": 5},
    "barabasi_albert": {"degree": 4},
    "complete": {},
    "clustered": {"n_groups": 7, "p_within": 0.6, "bridges_per_agent": 1.5},
    "empty": {},
}
RANDOM_GENERATORS = [
    "watts_strogatz",
    "erdos_renyi",
    "random_regular",
    "barabasi_albert",
    "clustered",
]


def build(generator, n, seed=0, **fields):
    cfg = NetworkConfig(generator=generator, **fields)
    return build_network(cfg, n, np.random.default_rng(seed))


def tie_list(net):
    return list(zip(net.u.tolist(), net.v.tolist(), strict=True))


def assert_well_formed(net, n):
    assert isinstance(net, StartNetwork)
    assert net.u.dtype == np.int64 and net.v.dtype == np.int64
    assert net.strength.dtype == np.float64 and net.group.dtype == np.int64
    assert net.u.shape == net.v.shape == net.strength.shape
    assert net.group.shape == (n,) and net.n_agents == n
    assert np.all(net.u >= 0) and np.all(net.v < n)
    assert np.all(net.u < net.v)  # oriented, hence no self-loops
    key = net.u * n + net.v
    assert np.all(key[1:] > key[:-1])  # sorted by (u, v) and unique
    assert np.all((net.strength > 0) & (net.strength <= 1))


def lattice_positions(net, n, half_degree):
    # A tie (u, v) sits on a ring-lattice position when its ring distance is <= degree / 2.
    gap = net.v - net.u
    return np.minimum(gap, n - gap) <= half_degree


def within_sd(x, mean, sd, k=5.0):
    return abs(x - mean) <= k * sd


# ---------------------------------------------------------------------------------------------
# Exact expectations on tiny graphs


def test_ring_lattice_of_six_with_degree_two_is_the_six_cycle():
    net = build("ring_lattice", 6, degree=2, strength=0.7)
    assert tie_list(net) == [(0, 1), (0, 5), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert net.strength.tolist() == [0.7] * 6
    assert net.group.tolist() == [0] * 6


def test_ring_lattice_ties_each_agent_to_half_degree_neighbours_on_each_side():
    n = 9
    net = build("ring_lattice", n, degree=4)
    expected = {tuple(sorted((i, (i + j) % n))) for i in range(n) for j in (1, 2)}
    assert set(tie_list(net)) == expected and net.n_ties == 18
    assert net.degrees().tolist() == [4] * n


def test_watts_strogatz_without_rewiring_is_the_ring_lattice():
    a = build("watts_strogatz", 50, seed=3, degree=6, p_rewire=0.0)
    b = build("ring_lattice", 50, degree=6)
    assert tie_list(a) == tie_list(b)


def test_dense_watts_strogatz_stays_simple_and_keeps_its_tie_count():
    # On 7 agents with degree 6 the lattice is complete: no tie can move. On 9 agents with
    # degree 6 each agent has only 2 agents off its lattice neighbourhood, so most draws
    # conflict and the one-at-a-time settling runs.
    net = build("watts_strogatz", 7, seed=0, degree=6, p_rewire=1.0)
    assert tie_list(net) == tie_list(build("complete", 7))
    for seed in range(10):
        net = build("watts_strogatz", 9, seed=seed, degree=6, p_rewire=1.0)
        assert_well_formed(net, 9)
        assert net.n_ties == 27 and net.degrees().min() >= 3


def test_complete_graph_on_four_agents_has_all_six_pairs():
    net = build("complete", 4, strength=0.4)
    assert tie_list(net) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    assert net.strength.tolist() == [0.4] * 6


def test_empty_network_has_agents_but_no_ties():
    net = build("empty", 5)
    assert net.n_ties == 0 and net.n_agents == 5
    assert net.group.tolist() == [0] * 5 and net.degrees().tolist() == [0] * 5


def test_clustered_with_certain_within_ties_and_no_bridges_gives_exact_cliques():
    # 10 agents in 3 groups: sizes 4, 3, 3 (the remainder goes to the first group).
    net = build("clustered", 10, n_groups=3, p_within=1.0, bridges_per_agent=0.0, strength=0.9)
    assert net.group.tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    blocks = [range(0, 4), range(4, 7), range(7, 10)]
    expected = sorted((a, b) for blk in blocks for a in blk for b in blk if a < b)
    assert tie_list(net) == expected and net.n_ties == 6 + 3 + 3
    assert net.strength.tolist() == [0.9] * 12


def test_clustered_group_sizes_spread_the_remainder_over_the_first_groups():
    net = build("clustered", 103, n_groups=10, p_within=0.0, bridges_per_agent=0.0)
    assert np.bincount(net.group).tolist() == [11, 11, 11] + [10] * 7
    assert np.all(np.diff(net.group) >= 0)  # contiguous blocks


def test_clustered_bridges_only_get_bridge_strength_and_cross_groups():
    net = build(
        "clustered", 10, n_groups=2, p_within=0.0, bridges_per_agent=1.0, bridge_strength=0.15
    )
    assert net.n_ties == 5
    assert np.all(net.group[net.u] != net.group[net.v])
    assert net.strength.tolist() == [0.15] * 5


def test_clustered_bridges_can_fill_every_cross_pair_but_not_more():
    net = build("clustered", 4, n_groups=2, p_within=0.0, bridges_per_agent=2.0)
    assert tie_list(net) == [(0, 2), (0, 3), (1, 2), (1, 3)]
    with pytest.raises(ValueError, match="bridges"):
        build("clustered", 4, n_groups=2, p_within=0.0, bridges_per_agent=2.5)


def test_erdos_renyi_with_degree_n_minus_one_is_complete_and_zero_is_empty():
    assert tie_list(build("erdos_renyi", 7, degree=6)) == tie_list(build("complete", 7))
    assert build("erdos_renyi", 7, degree=0).n_ties == 0


@pytest.mark.parametrize(("n", "degree"), [(4, 1), (6, 2), (7, 4), (8, 5), (9, 8), (10, 7)])
def test_random_regular_small_cases_are_exactly_regular(n, degree):
    for seed in range(5):
        net = build("random_regular", n, seed=seed, degree=degree)
        assert_well_formed(net, n)
        assert net.degrees().tolist() == [degree] * n


def test_random_regular_with_degree_n_minus_one_is_complete():
    assert tie_list(build("random_regular", 6, degree=5)) == tie_list(build("complete", 6))


def test_barabasi_albert_on_m_plus_one_agents_is_the_star():
    assert tie_list(build("barabasi_albert", 4, degree=6)) == [(0, 1), (0, 2), (0, 3)]


def test_barabasi_albert_each_new_agent_ties_to_m_earlier_agents():
    n, m = 300, 3
    net = build("barabasi_albert", n, seed=2, degree=2 * m)
    # networkx convention: a star on m + 1 agents (m ties), then m ties for each of the
    # n - m - 1 later agents, so m + m (n - m - 1) = m (n - m) ties.
    assert net.n_ties == m * (n - m)
    # Every tie joins a later agent (v) to an earlier one (u): count ties per later end.
    earlier_ties = np.bincount(net.v, minlength=n)
    assert earlier_ties.tolist() == [0] + [1] * m + [m] * (n - m - 1)
    assert net.degrees().min() == m


@pytest.mark.parametrize(
    ("generator", "fields", "n"),
    [
        ("ring_lattice", {"degree": 3}, 10),
        ("ring_lattice", {"degree": 10}, 10),
        ("watts_strogatz", {"degree": 5}, 10),
        ("erdos_renyi", {"degree": 10}, 10),
        ("random_regular", {"degree": 3}, 9),
        ("random_regular", {"degree": 9}, 9),
        ("barabasi_albert", {"degree": 1}, 10),
        ("barabasi_albert", {"degree": 20}, 10),
        ("clustered", {"n_groups": 11}, 10),
    ],
)
def test_impossible_parameters_raise_value_error(generator, fields, n):
    with pytest.raises(ValueError):
        build(generator, n, **fields)


# ---------------------------------------------------------------------------------------------
# Invariants and determinism for every generator


@pytest.mark.parametrize("generator", sorted(ALL_GENERATORS))
def test_every_generator_gives_sorted_unique_simple_ties(generator):
    for seed in range(3):
        net = build(generator, 60, seed=seed, **ALL_GENERATORS[generator])
        assert_well_formed(net, 60)


@pytest.mark.parametrize("generator", sorted(ALL_GENERATORS))
def test_same_seed_gives_identical_networks(generator):
    a = build(generator, 60, seed=11, **ALL_GENERATORS[generator])
    b = build(generator, 60, seed=11, **ALL_GENERATORS[generator])
    for name in ("u", "v", "strength", "group"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize("generator", RANDOM_GENERATORS)
def test_different_seeds_give_different_networks(generator):
    a = build(generator, 60, seed=1, **ALL_GENERATORS[generator])
    b = build(generator, 60, seed=2, **ALL_GENERATORS[generator])
    assert tie_list(a) != tie_list(b)


@pytest.mark.parametrize("generator", RANDOM_GENERATORS)
def test_generators_draw_only_from_the_rng_passed_in(generator):
    # The legacy global generators must be left untouched: reading their state is the point.
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    py_state = random.getstate()
    build(generator, 60, **ALL_GENERATORS[generator])
    assert np.array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002
    assert random.getstate() == py_state


def test_generator_may_be_given_as_enum_or_string():
    a = build_network(NetworkConfig(generator=Generator.COMPLETE), 3, np.random.default_rng(0))
    assert tie_list(a) == tie_list(build("complete", 3))


# ---------------------------------------------------------------------------------------------
# Statistical checks; each bound is 5 standard deviations of the theoretical distribution,
# so a correct generator fails one with probability below 1e-6.


def test_erdos_renyi_tie_count_matches_the_binomial():
    # Each of N = n (n - 1) / 2 pairs is a tie with probability p = degree / (n - 1), so the
    # tie count is Binomial(N, p): mean N p, sd sqrt(N p (1 - p)).
    n, degree = 2000, 10
    big_n, p = n * (n - 1) // 2, degree / (n - 1)
    for seed in range(3):
        net = build("erdos_renyi", n, seed=seed, degree=degree)
        assert within_sd(net.n_ties, big_n * p, math.sqrt(big_n * p * (1 - p)))


def test_erdos_renyi_tie_count_varies_like_the_binomial():
    # Over k runs the sample variance of a Binomial(N, p) count has mean N p (1 - p) and
    # relative sd sqrt(2 / (k - 1)) (near-normal counts), so 5 sd is a relative error of
    # 5 sqrt(2 / (k - 1)). This fails a sampler that fixes the count at N p.
    n, degree, k = 100, 5, 400
    big_n, p = n * (n - 1) // 2, degree / (n - 1)
    rng = np.random.default_rng(8)
    cfg = NetworkConfig(generator="erdos_renyi", degree=degree)
    counts = np.array([build_network(cfg, n, rng).n_ties for _ in range(k)])
    variance = big_n * p * (1 - p)
    assert within_sd(counts.var(ddof=1), variance, variance * math.sqrt(2 / (k - 1)))


def test_erdos_renyi_ties_are_spread_uniformly_over_pairs():
    # Ties among the first half of the agents: Binomial(h (h - 1) / 2, p) with h = n / 2;
    # ties from an even to an odd agent: Binomial((n / 2)^2, p). A biased pair sampler (e.g.
    # one favouring low indices) moves these counts by many sd.
    n, degree = 2000, 10
    p, h = degree / (n - 1), n // 2
    net = build("erdos_renyi", n, seed=5, degree=degree)
    first_half = int(np.sum(net.v < h))
    pairs = h * (h - 1) // 2
    assert within_sd(first_half, pairs * p, math.sqrt(pairs * p * (1 - p)))
    even_odd = int(np.sum((net.u % 2) != (net.v % 2)))
    pairs = h * h
    assert within_sd(even_odd, pairs * p, math.sqrt(pairs * p * (1 - p)))


def test_watts_strogatz_keeps_tie_count_and_rewires_a_binomial_share():
    # The tie count is exactly n * degree / 2. Each lattice tie is rewired independently with
    # probability p, and a rewired tie never lands on a lattice position (documented), so
    # the number of ties off the lattice is Binomial(n * degree / 2, p).
    n, degree, p = 2000, 10, 0.2
    m = n * degree // 2
    for seed in range(3):
        net = build("watts_strogatz", n, seed=seed, degree=degree, p_rewire=p)
        assert_well_formed(net, n)
        assert net.n_ties == m
        rewired = int(np.sum(~lattice_positions(net, n, degree // 2)))
        assert within_sd(rewired, m * p, math.sqrt(m * p * (1 - p)))
        # Agent i keeps the degree / 2 ties (i, i + j) it rewires from, at its own end.
        assert net.degrees().min() >= degree // 2


def test_watts_strogatz_new_ends_are_uniform_over_allowed_agents():
    # A rewired tie (u, w) has w uniform over the agents off u's lattice neighbourhood, so its
    # ring distance D has the mean and sd of D over those agents; the mean over R ties has sd
    # sd(D) / sqrt(R).
    n, degree = 1000, 4
    net = build("watts_strogatz", n, seed=7, degree=degree, p_rewire=1.0)
    off = ~lattice_positions(net, n, degree // 2)
    assert off.all()  # p_rewire = 1 moves every tie off the lattice
    gap = net.v - net.u
    distance = np.minimum(gap, n - gap)
    allowed = np.minimum(np.arange(n), n - np.arange(n))
    allowed = allowed[allowed > degree // 2]
    assert within_sd(distance.mean(), allowed.mean(), allowed.std() / math.sqrt(len(distance)))


def test_watts_strogatz_new_ends_are_uniform_over_the_ring():
    # With p_rewire = 1 each of the m = n * degree / 2 ties keeps its own end i and draws a
    # new end; by rotational symmetry each new end lies in the second half of the ring with
    # probability exactly 1/2, so the count there is about Binomial(m, 1/2). Agents of the
    # second half own n * degree / 4 of the ends, the rest of their degree is new ends.
    n, degree = 2000, 10
    m = n * degree // 2
    net = build("watts_strogatz", n, seed=9, degree=degree, p_rewire=1.0)
    new_ends = int(net.degrees()[n // 2 :].sum()) - m // 2
    assert within_sd(new_ends, m / 2, math.sqrt(m / 4))


def test_random_regular_large_graph_is_exactly_regular():
    for n, degree in [(2000, 4), (1000, 3), (500, 10)]:
        net = build("random_regular", n, seed=1, degree=degree)
        assert_well_formed(net, n)
        assert np.all(net.degrees() == degree)


def test_random_regular_is_about_uniform_on_two_regular_graphs_of_six():
    # The labelled 2-regular graphs on 6 agents are 60 six-cycles and 10 pairs of triangles;
    # under the uniform distribution a draw is two triangles with q = 1/7. Over k draws the
    # count is Binomial(k, q).
    k, q = 3000, 1 / 7
    rng = np.random.default_rng(0)
    cfg = NetworkConfig(generator="random_regular", degree=2)
    two_triangles = 0
    for _ in range(k):
        net = build_network(cfg, 6, rng)
        graph = nx.Graph(tie_list(net))
        two_triangles += nx.number_connected_components(graph) == 2
    assert within_sd(two_triangles, k * q, math.sqrt(k * q * (1 - q)))


def test_clustered_counts_within_ties_and_bridges():
    # Within-group ties: each of T = sum_g s_g (s_g - 1) / 2 pairs with probability p_within,
    # so Binomial(T, p_within). Bridges: exactly round(bridges_per_agent * n / 2), all across
    # groups, each with the bridge strength.
    n, groups, p, b = 1000, 4, 0.1, 2.0
    net = build(
        "clustered",
        n,
        seed=4,
        n_groups=groups,
        p_within=p,
        bridges_per_agent=b,
        strength=0.8,
        bridge_strength=0.1,
    )
    assert_well_formed(net, n)
    cross = net.group[net.u] != net.group[net.v]
    assert int(cross.sum()) == round(b * n / 2)
    assert np.all(net.strength[cross] == 0.1) and np.all(net.strength[~cross] == 0.8)
    sizes = np.bincount(net.group)
    pairs = int(np.sum(sizes * (sizes - 1) // 2))
    assert within_sd(int((~cross).sum()), pairs * p, math.sqrt(pairs * p * (1 - p)))


def test_clustered_bridges_are_uniform_over_cross_group_pairs():
    # B bridges drawn without replacement from C cross pairs: the count between groups g and
    # h is hypergeometric with mean B K / C (K = s_g s_h pairs) and variance at most the
    # binomial B q (1 - q), q = K / C.
    n, groups, b = 1000, 4, 2.0
    net = build("clustered", n, seed=6, n_groups=groups, p_within=0.0, bridges_per_agent=b)
    n_bridges = round(b * n / 2)
    q = 250 * 250 / (6 * 250 * 250)
    pair = net.group[net.u] * groups + net.group[net.v]
    for g in range(groups):
        for h in range(g + 1, groups):
            count = int(np.sum(pair == g * groups + h))
            assert within_sd(count, n_bridges * q, math.sqrt(n_bridges * q * (1 - q)))


def test_rounding_of_the_bridge_count():
    # 0.3 * 25 / 2 = 3.75 -> 4 bridges.
    net = build("clustered", 25, n_groups=5, p_within=0.0, bridges_per_agent=0.3)
    assert net.n_ties == 4


def test_pair_numbering_is_inverted_exactly_for_huge_populations():
    # Pair (a, b), a < b, of s agents has number a (2 s - a - 1) / 2 + b - a - 1; the float
    # square root must not be off by one at row boundaries, where rounding bites first.
    from sim.world.network import _decode_pairs

    s = np.int64(50_000_000)
    rows = np.array([0, 1, 2, 12_345, 10**7, s - 3, s - 2], dtype=np.int64)
    start = rows * (2 * s - rows - 1) // 2
    k = np.concatenate([start, start[1:] - 1, start[:-1] + 1])
    a, b = _decode_pairs(k, s)
    assert np.array_equal(a * (2 * s - a - 1) // 2 + b - a - 1, k)
    assert np.all((a >= 0) & (a < b) & (b < s))
    assert a[: rows.size].tolist() == rows.tolist()


def test_strength_spread_multiplies_strengths_by_a_bounded_uniform_factor():
    cfg = NetworkConfig(
        generator="clustered",
        n_groups=4,
        p_within=1.0,
        bridges_per_agent=1.0,
        strength=0.8,
        bridge_strength=0.1,
        strength_spread=0.25,
    )
    net = build_network(cfg, 40, np.random.default_rng(3))
    bridge = net.group[net.u] != net.group[net.v]
    inside = net.strength[~bridge]
    # 0.8 * U(0.75, 1.25) capped at 1: in [0.6, 1], and not all equal.
    assert inside.min() >= 0.6 and inside.max() <= 1.0 and inside.std() > 0
    # Mean of 180 draws of 0.8 * U(0.75, 1.25): sd of one = 0.8 * 0.5 / sqrt(12) = 0.115, of
    # the mean 0.115 / sqrt(180) = 0.0086; allow 5 sd.
    assert len(inside) == 180 and abs(inside.mean() - 0.8) < 5 * 0.0086
    assert net.strength[bridge].min() >= 0.075 and net.strength[bridge].max() <= 0.125


def test_no_strength_spread_keeps_the_random_stream():
    # Spread 0 draws nothing extra: the same generator state follows as without the field.
    cfg = NetworkConfig(generator="erdos_renyi", degree=4)
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    build_network(cfg, 50, rng_a)
    build_network(cfg.model_copy(update={"strength_spread": 0.0}), 50, rng_b)
    assert rng_a.random() == rng_b.random()
