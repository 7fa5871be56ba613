"""Small helpers shared by several rules: quantities linear in tie strength, random picks."""

from __future__ import annotations

import numpy as np


def linear_in_strength(strength: np.ndarray, at_zero: float, at_one: float) -> np.ndarray:
    """A quantity that moves linearly from `at_zero` (strength 0) to `at_one` (strength 1).

    Used for attention (probability of noticing a share), bandwidth (how much of a gap one
    interaction can close) and willingness to answer.
    """
    return at_zero + (at_one - at_zero) * np.asarray(strength, dtype=np.float64)


def random_true_column(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row with any True, a uniformly chosen column where the row is True.

    Rows with no True give -1.
    """
    if mask.size == 0:
        return np.full(mask.shape[0], -1, dtype=np.int64)
    keys = np.where(mask, rng.random(mask.shape), -1.0)
    pick = keys.argmax(axis=1)
    pick[~mask.any(axis=1)] = -1
    return pick


def someone_else(who: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """For each index in `who` (in 0..n-1), a uniformly drawn other index in 0..n-1."""
    return (who + 1 + rng.integers(0, n - 1, len(who))) % n
