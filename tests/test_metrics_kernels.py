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
