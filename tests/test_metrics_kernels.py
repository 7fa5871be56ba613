"""Tests of sim.metrics.kernels: the Gini coefficient."""

import numpy as np
import pytest

from sim.metrics.kernels import gini


def test_gini_of_equal_and_concentrated():
    assert gini(np.ones(5)) == pytest.approx(0.0)
    # One of n holds everything: G = (n - 1) / n.
    assert gini(np.array([0, 0, 0, 4.0])) == pytest.approx(0.75)


def _gini_by_definition(x):
    # Mean absolute difference over all ordered pairs / (2 * mean): G = sum|xi - xj| / (2 n^2 mu).
    x = np.asarray(x, dtype=np.float64)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())


@pytest.mark.parametrize("seed", range(12))
def test_gini_equals_the_mean_difference_definition(seed):
    # Values with many zeros and many ties at the maximum (the sorted middle is then short),
    # in float32 and float64: the shortcut must give the textbook value.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    x = rng.random(n) * (rng.random(n) < rng.random())
    x[rng.random(n) < rng.random()] = 1.0
    x = x.astype(rng.choice([np.float32, np.float64]))
    if x.sum() == 0:
        assert gini(x) == 0.0
    else:
        assert gini(x) == pytest.approx(_gini_by_definition(x), abs=1e-9)


@pytest.mark.parametrize(("scenario", "steps"), [("weak_ties", 40), ("closed_community", 60)])
def test_triangles_equal_the_sparse_product_count(scenario, steps):
    # The clustering metric counts triangles from the tie table's sorted rows; the textbook
    # count is diag(A^3) / 2 = rowsum((A @ A) * A) / 2. Compared after ties formed and
    # dissolved (the index is merged, not rebuilt), and against networkx for one case.
    import networkx as nx

    from sim.engines import make_model
    from sim.metrics.kernels import triangles
    from sim.scenario import load_scenario

    sc = load_scenario(
        f"scenarios/{scenario}.yaml",
        ["population.n_agents=300", "network.n_groups=15", f"steps={steps}"],
    )
    m = make_model(sc, rng=2)
    for _ in range(steps):
        m.step()
    assert m.rows[-1]["ties_formed"] + sum(r["ties_formed"] for r in m.rows) > 0
    a = m.adjacency().astype(np.float64)
    expected = np.asarray((a @ a).multiply(a).sum(axis=1)).ravel() / 2.0
    got = triangles(m.ties.indptr, m.ties.nbr)
    assert expected.sum() > 0
    np.testing.assert_array_equal(got, expected)
    g = nx.Graph(list(zip(m.ties.u.tolist(), m.ties.v.tolist(), strict=True)))
    g.add_nodes_from(range(m.n_agents))
    assert got.tolist() == [float(nx.triangles(g)[i]) for i in range(m.n_agents)]
