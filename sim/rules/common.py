"""Small helpers shared by several rules: thresholds, quantities linear in strength, picks."""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable


@register_jitable
def at_knowledge_precision(threshold: float, knowledge: np.ndarray | np.floating) -> np.floating:
    """A threshold as a scalar of the knowledge's dtype, for comparing mastery against it.

    Mastery is stored as float32, so a learner seeded at 0.7 holds float32(0.7), which is
    0.699999988...; compared with the scenario's 0.7 in float64 it would fall just short of
    its own level. Rounding the threshold to the knowledge's precision first makes a value
    stored from a number compare equal to the same number written in the scenario: a learner
    exactly at `deep_threshold` is deep, at `goal` has no need, at `able_threshold` is able
    and at the forgetting floor keeps its knowledge. Every comparison of knowledge with a
    scenario threshold goes through here, in both engines and in the metrics.

    Callable from Python and from numba-compiled code (`register_jitable`).

    Args:
        threshold: the threshold as written in the scenario (a float).
        knowledge: the mastery it is compared with: an array or a numpy scalar, whose dtype
            decides the precision.

    Returns:
        The threshold as a scalar of the knowledge's dtype (np.float32 for the model's).
    """
    return knowledge.dtype.type(threshold)


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
