import numpy as np
import pytest

from sim.analysis.structure import (
    ORDERS,
    collapse_fraction,
    component_sizes,
    removal_curve,
    removal_order,
)


def two_triangles_and_a_bridge():
    # Triangles {0,1,2} and {3,4,5} of strong ties, joined by one weak bridge 2-3.
    u = np.array([0, 0, 1, 3, 3, 4, 2])
    v = np.array([1, 2, 2, 4, 5, 5, 3])
    s = np.array([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.1])
    return u, v, s


def test_component_sizes_count_isolates():
    assert sorted(component_sizes(np.array([0]), np.array([1]), 4).tolist()) == [1, 1, 2]


def test_removing_the_weak_bridge_first_splits_the_network():
    u, v, s = two_triangles_and_a_bridge()
    f = np.array([0.0, 1 / 7])
    weak = removal_curve(u, v, s, 6, "weak_first", f)
    strong = removal_curve(u, v, s, 6, "strong_first", f)
    assert weak["share_largest_component"].tolist() == [1.0, 0.5]
    # One strong tie gone: each triangle survives as a path, still joined by the bridge.
    assert strong["share_largest_component"].tolist() == [1.0, 1.0]
    # Two components of 3 and 3: the one that is not the largest gives 3^2 / 6.
    assert weak["susceptibility"].tolist() == pytest.approx([0.0, 1.5])


def test_removing_everything_leaves_isolates():
    u, v, s = two_triangles_and_a_bridge()
    out = removal_curve(u, v, s, 6, "strong_first", np.array([1.0]))
    assert out["share_largest_component"].tolist() == pytest.approx([1 / 6])


def test_unknown_order_is_refused():
    u, v, s = two_triangles_and_a_bridge()
    with pytest.raises(ValueError, match="order"):
        removal_curve(u, v, s, 6, "random")


# ----------------------------------------------------------------------------- equal strengths


def two_levels(n_weak=20, n_strong=20):
    """A cycle of n ties with strengths 0.2 and 0.8 alternating by index (weak at even ones)."""
    n = n_weak + n_strong
    u = np.arange(n)
    v = (u + 1) % n
    s = np.where(u % 2 == 0, 0.2, 0.8)
    return np.minimum(u, v), np.maximum(u, v), s


def test_equal_strengths_are_removed_in_a_seeded_random_order():
    _, _, s = two_levels()
    weak = np.flatnonzero(s == 0.2)
    order = removal_order(s, "weak_first", seed=1)
    # All weak ties before any strong one, but not in index (table) order.
    assert set(order[:20].tolist()) == set(weak.tolist())
    assert order[:20].tolist() != weak.tolist()
    assert set(removal_order(s, "strong_first", seed=1)[:20].tolist()) == set(range(1, 40, 2))
    # Same seed, same order (also from a Generator seeded alike); another seed, another one.
    assert order.tolist() == removal_order(s, "weak_first", seed=1).tolist()
    assert order.tolist() == removal_order(s, "weak_first", np.random.default_rng(1)).tolist()
    assert order.tolist() != removal_order(s, "weak_first", seed=2).tolist()
    # The default is a fixed seed: two calls agree.
    assert removal_order(s).tolist() == removal_order(s).tolist()


def test_the_order_among_equal_strengths_is_uniform():
    _, _, s = two_levels()
    # Rank of tie 0 among the 20 weak ties, over 2000 seeds: uniform on 0..19 if the order
    # is uniformly random (index order would always give 0). Mean 9.5, sd sqrt((20^2 - 1)
    # / 12) = 5.766; the mean of 2000 has sd 5.766 / sqrt(2000) = 0.129: allow 5 sd.
    ranks = [int(np.flatnonzero(removal_order(s, seed=i) == 0)[0]) for i in range(2000)]
    assert abs(np.mean(ranks) - 9.5) < 5 * 0.129
    assert set(ranks) == set(range(20))


def test_the_curve_follows_the_seeded_order():
    # Every single removal, against component sizes recomputed from scratch.
    rng = np.random.default_rng(3)
    n = 30
    pairs = {tuple(sorted(p)) for p in rng.integers(0, n, (60, 2)).tolist() if p[0] != p[1]}
    u, v = (np.array(x) for x in zip(*sorted(pairs), strict=True))
    s = rng.choice([0.1, 0.9], len(u))
    m = len(u)
    for order in ORDERS:
        for seed in (0, 7):
            ranked = removal_order(s, order, seed)
            curve = removal_curve(u, v, s, n, order, np.arange(m + 1) / m, seed=seed, refine=0)
            assert curve["n_removed"].tolist() == list(range(m + 1))
            for k, row in zip(range(m + 1), curve.itertuples(), strict=True):
                sizes = np.sort(component_sizes(u[ranked[k:]], v[ranked[k:]], n))
                assert row.share_largest_component == sizes[-1] / n
                assert row.susceptibility == pytest.approx((sizes[:-1] ** 2).sum() / n)
    a = removal_curve(u, v, s, n, seed=0)
    b = removal_curve(u, v, s, n, seed=5)
    assert a.equals(removal_curve(u, v, s, n, seed=0))
    assert not a["share_largest_component"].equals(b["share_largest_component"])


# ----------------------------------------------------------------------------- exact curve


def test_exact_curve_on_a_path_by_hand():
    # Path 0 -1- 1 -2- 2 -3- 3 with strengths 0.9, 0.1, 0.5 (distinct: no chance involved).
    u, v, s = np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([0.9, 0.1, 0.5])
    weak = removal_curve(u, v, s, 4, "weak_first", np.arange(4) / 3)
    # Remove 1-2: {0,1} {2,3}; then 2-3: {0,1} {2} {3}; then 0-1: four isolates.
    assert weak["share_largest_component"].tolist() == [1.0, 0.5, 0.5, 0.25]
    # Others than the largest: none; {2,3} -> 4/4; {2},{3} -> 2/4; three isolates -> 3/4.
    assert weak["susceptibility"].tolist() == [0.0, 1.0, 0.5, 0.75]
    assert weak["n_removed"].tolist() == [0, 1, 2, 3]
    assert weak["on_grid"].all() and (weak["n_ties"] == 3).all()
    strong = removal_curve(u, v, s, 4, "strong_first", np.arange(4) / 3)
    # Remove 0-1: {0} {1,2,3}; then 2-3: {0} {1,2} {3}; then 1-2.
    assert strong["share_largest_component"].tolist() == [1.0, 0.75, 0.5, 0.25]
    assert strong["susceptibility"].tolist() == [0.0, 0.25, 0.5, 0.75]
    # The default grid (0.0025) maps onto the same four states, all of them on the grid.
    full = removal_curve(u, v, s, 4, "weak_first")
    assert len(full) == 401 and full["on_grid"].all()
    assert full["fraction_removed"].iloc[[0, 80, 400]].tolist() == [0.0, 0.2, 1.0]
    by_state = full.groupby("n_removed")["share_largest_component"].agg(["min", "max"])
    assert by_state["min"].tolist() == by_state["max"].tolist() == [1.0, 0.5, 0.5, 0.25]


# ----------------------------------------------------------------------------- the collapse


def cliques_with_bridges(size: int, bridges: int):
    """Two cliques of `size` (strength 0.9) joined by `bridges` disjoint weak ties (0.1)."""
    a = np.arange(size)
    iu, iv = np.triu_indices(size, 1)
    u = np.concatenate([a[iu], size + a[iu], np.arange(bridges)])
    v = np.concatenate([a[iv], size + a[iv], size + np.arange(bridges)])
    s = np.concatenate([np.full(2 * len(iu), 0.9), np.full(bridges, 0.1)])
    return u, v, s


def test_refinement_finds_the_exact_collapse_off_the_grid():
    # Two K30 (435 ties each) and 3 weak bridges: m = 873. Weakest-first removes the three
    # bridges first (in some order), so the network falls apart at exactly 3 removals:
    # two components of 30, susceptibility 30^2 / 60 = 15, its maximum (with largest L the
    # others sum to at most 60 - L, each at most L: sum of squares <= L (60 - L) <= 900).
    u, v, s = cliques_with_bridges(30, 3)
    m = len(u)
    assert m == 873
    curve = removal_curve(u, v, s, 60, "weak_first", seed=4)
    grid = curve[curve["on_grid"]]
    assert len(grid) == 401
    # The grid removes round(0.0025 * 873) = 2, then round(0.005 * 873) = 4 ties: it sees
    # the collapse only at 0.005.
    assert grid["n_removed"].iloc[:3].tolist() == [0, 2, 4]
    assert collapse_fraction(grid) == pytest.approx(4 / m)
    # Every removal within 2 grid steps of that peak (up to round(0.01 * 873) = 9).
    refined = curve[~curve["on_grid"]]
    assert refined["n_removed"].tolist() == [1, 3, 5, 6, 8]
    assert refined["fraction_removed"].tolist() == [k / m for k in (1, 3, 5, 6, 8)]
    assert collapse_fraction(curve) == 3 / m
    at = curve.set_index("n_removed")
    assert at.loc[2, "share_largest_component"] == 1.0
    assert at.loc[3, "share_largest_component"] == 0.5
    assert at.loc[3, "susceptibility"] == 15.0
    assert curve["fraction_removed"].is_monotonic_increasing


def test_one_weak_bridge_collapses_at_the_first_removal():
    # The example of Granovetter: the one bridge goes first; 1 / 871 lies below the first
    # grid share (0.0025 * 871 = 2.2 ties), so only the refinement can see it.
    u, v, s = cliques_with_bridges(30, 1)
    m = len(u)
    weak = removal_curve(u, v, s, 60, "weak_first")
    assert collapse_fraction(weak) == 1 / m
    assert weak.set_index("n_removed").loc[1, "share_largest_component"] == 0.5
    strong = removal_curve(u, v, s, 60, "strong_first")
    # Strongest-first keeps the bridge to the end: the network holds together much longer.
    assert collapse_fraction(strong) > 0.5
