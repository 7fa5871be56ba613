import numpy as np
import pytest

from sim.analysis.structure import component_sizes, removal_curve


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
