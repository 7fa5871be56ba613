"""Forgetting (MODEL.md step 4): unused knowledge decays slowly, and is lost below a floor.

"Knowledge generated in teams comes and goes" (seed 002). Knowledge used in the step (shared,
received, asked about, answered with, discovered) is kept as it is.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.rules.common import at_knowledge_precision
from sim.scenario.schema import ForgettingConfig


def forget_unused(k_flat: np.ndarray, used: np.ndarray, cfg: ForgettingConfig) -> None:
    """Apply the step's forgetting to the new knowledge, in place.

    Args:
        k_flat: mastery after the step's gains, flattened (learner * n_items + item).
        used: flat indices of the knowledge used this step (repeats allowed).
        cfg: the scenario's forgetting section.
    """
    if not (cfg.enabled and cfg.rate > 0):
        return
    used_mask = np.zeros(k_flat.shape, dtype=bool)
    used_mask[used] = True
    forget_in_place(k_flat, used_mask, cfg.rate, cfg.floor)


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
