"""Tests of sim.rules.common: strength-linear quantities and random picks."""

import numpy as np
import pytest

from sim.rules import common


def test_linear_in_strength_interpolates():
    out = common.linear_in_strength(np.array([0.0, 0.5, 1.0]), 0.2, 1.0)
    assert out.tolist() == pytest.approx([0.2, 0.6, 1.0])


def test_random_true_column_picks_only_true_columns_uniformly():
    rng = np.random.default_rng(0)
    mask = np.tile(np.array([[False, True, True, False], [False] * 4]), (4000, 1))
    pick = common.random_true_column(mask, rng)
    assert set(pick[0::2].tolist()) == {1, 2}
    assert (pick[1::2] == -1).all()
    # 4000 Bernoulli(1/2) picks of column 1: sd = sqrt(4000 / 4) ~ 31.6; allow 5 sd.
    assert abs((pick[0::2] == 1).sum() - 2000) < 5 * 31.6
