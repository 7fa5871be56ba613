"""Losing interest, or stifling (issue 13): sharers stop pushing what everyone already knows.

After a noticed share (one the time budget let through) reaches a learner who already knew
the item (mastery above 0 at the start of the step), the sharer stops sharing that item for
good, with probability `sharing.p_stifle`, drawn once per such share. With gossip on a
complete graph, every share noticed and learned at once, and `p_stifle: 1`, this is the
rumour model of Maki & Thompson (1973): a spreader who contacts a spreader or a stifler
becomes a stifler; the one contacted does not (Daley & Kendall 1965 stifle both). The
change takes effect from the next step, like every change of a step.
"""

from __future__ import annotations

import numpy as np

from sim.rules.events import Events


def stifle(
    stifled: np.ndarray, k0: np.ndarray, push: Events, p_stifle: float, rng: np.random.Generator
) -> int:
    """Mark the (sharer, item) pairs that lose interest this step; how many newly did.

    Args:
        stifled: per flat (learner * n_items + item), whether its sharing has stopped
            (updated in place).
        k0: mastery at the start of the step.
        push: the step's noticed shares, after the time budget.
        p_stifle: the probability per share that reached a learner who knew the item.
        rng: the ``stifling`` stream.
    """
    knew = k0[push.dst, push.item] > 0
    src, item = push.src[knew], push.item[knew]
    lose = rng.random(len(src)) < p_stifle
    flat = np.unique(src[lose] * k0.shape[1] + item[lose])
    flat = flat[~stifled[flat]]
    stifled[flat] = True
    return len(flat)
