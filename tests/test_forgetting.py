"""Tests of sim.rules.forgetting."""

import numpy as np
import pytest

from sim.rules import forgetting


def test_forget_shrinks_unused_and_drops_below_floor():
    k = np.array([0.5, 0.5, 0.0105, 0.3], dtype=np.float32)
    used = np.array([True, False, False, False])
    out = forgetting.forget(k, used, rate=0.1, floor=0.01)
    assert out.tolist() == pytest.approx([0.5, 0.45, 0.0, 0.27], rel=1e-6)
    assert out.dtype == np.float32
