"""Forgetting (MODEL.md step 4): unused knowledge decays slowly, and is lost below a floor.

"Knowledge generated in teams comes and goes" (seed 002). Knowledge used in the step (shared,
received, asked about, answered with, discovered) is kept as it is. What a step forgets,
summed over (learner, item) pairs, is the metric `knowledge_lost` (`forgotten` measures it;
`forget_unused` returns it).
"""

from __future__ import annotations

import numba
import numpy as np

from sim.rules.common import at_knowledge_precision
from sim.scenario.schema import ForgettingConfig


def forget_unused(k_flat: np.ndarray, used: np.ndarray, cfg: ForgettingConfig) -> float:
    """Apply the step's forgetting to the new knowledge, in place; return the mastery lost.

    Args:
        k_flat: mastery after the step's gains, flattened (learner * n_items + item).
        used: flat indices of the knowledge used this step (repeats allowed).
        cfg: the scenario's forgetting section.

    Returns:
        The mastery forgotten, summed over (learner, item) pairs (0 when forgetting is off).
    """
    if not (cfg.enabled and cfg.rate > 0):
        return 0.0
    used_mask = np.zeros(k_flat.shape, dtype=bool)
    used_mask[used] = True
    before = k_flat.copy()
    forget_in_place(k_flat, used_mask, cfg.rate, cfg.floor)
    return forgotten(before, k_flat)


def forget(k: np.ndarray, used: np.ndarray, rate: float, floor: float) -> np.ndarray:
    """Unused mastery shrinks by the share `rate`; below `floor` it is lost (back to 0).

    Args:
        k: mastery, any shape, in [0, 1].
        used: same shape; True where the knowledge was used this step (kept as is).
        rate: share lost per step, in [0, 1].
        floor: mastery below which an item is forgotten entirely; compared in the precision
            of `k` (`at_knowledge_precision`), so mastery exactly at the floor is kept.
    """
    out = np.where(used, k, k * (1.0 - rate))
    out[(out < at_knowledge_precision(floor, k)) & ~used] = 0.0
    return out.astype(k.dtype, copy=False)


def forgotten(before: np.ndarray, after: np.ndarray) -> float:
    """Mastery lost between two states of the same knowledge, summed over all pairs.

    Args:
        before: mastery before forgetting, any shape.
        after: the same pairs after forgetting (same shape and type; never above `before`).

    Returns:
        The sum of `before - after`, each pair's drop taken in float64, in a fixed order
        (`mastery_drop`): both engines give the same number for the same knowledge.
    """
    b, a = np.ascontiguousarray(before).reshape(-1), np.ascontiguousarray(after).reshape(-1)
    return float(mastery_drop(b, a))


@numba.njit(cache=True)
def forget_in_place(k_flat, used, rate, floor):  # pragma: no cover - compiled
    """`forget` on a flat mastery array, in place and in one pass (same rule, same result).

    Args:
        k_flat: mastery, flattened, in [0, 1]; changed in place.
        used: same length; True where the knowledge was used this step (kept as is).
        rate: share lost per step, in [0, 1].
        floor: mastery below which an item is forgotten entirely; compared in the precision
            of `k_flat` (`at_knowledge_precision`), so mastery exactly at the floor is kept.
    """
    keep = k_flat.dtype.type(1.0 - rate)
    lost = at_knowledge_precision(floor, k_flat)
    for i in range(len(k_flat)):
        if used[i] or k_flat[i] == 0:
            continue
        x = k_flat[i] * keep
        k_flat[i] = x if x >= lost else 0


@numba.njit(cache=True)
def mastery_drop(before, after):  # pragma: no cover - compiled
    """The sum of `before - after` over two flat arrays, each difference taken in float64.

    Eight running sums, one per position modulo 8, added in a fixed order at the end: the
    result does not depend on the machine (no reordering is left to the compiler), and the
    independent sums take less time than the forgetting pass itself (one running sum, kept
    in that pass, made forgetting four times slower).
    """
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    n = len(before)
    n8 = n - n % 8
    for i in range(0, n8, 8):
        a0 += np.float64(before[i]) - np.float64(after[i])
        a1 += np.float64(before[i + 1]) - np.float64(after[i + 1])
        a2 += np.float64(before[i + 2]) - np.float64(after[i + 2])
        a3 += np.float64(before[i + 3]) - np.float64(after[i + 3])
        a4 += np.float64(before[i + 4]) - np.float64(after[i + 4])
        a5 += np.float64(before[i + 5]) - np.float64(after[i + 5])
        a6 += np.float64(before[i + 6]) - np.float64(after[i + 6])
        a7 += np.float64(before[i + 7]) - np.float64(after[i + 7])
    for i in range(n8, n):
        a0 += np.float64(before[i]) - np.float64(after[i])
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
