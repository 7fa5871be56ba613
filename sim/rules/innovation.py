"""Innovation (MODEL.md step 5): with a small probability a learner learns on its own.

Formal training or discovery: new knowledge keeps entering.
"""

from __future__ import annotations

import numpy as np

from sim.rules.common import random_true_column
from sim.rules.events import Channel
from sim.rules.gains import Offers
from sim.scenario.schema import InnovationConfig


def innovation_offers(
    offers: Offers,
    k0: np.ndarray,
    cfg: InnovationConfig,
    interest: np.ndarray,
    item_topic: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Offer a discovery to each learner who innovates this step (`p_innovate`).

    The item is one of the learner's interests (any item for a learner without interests);
    the gain closes a share `gain` of the gap to full mastery.
    """
    if not (cfg.enabled and cfg.p_innovate > 0):
        return
    n_items = k0.shape[1]
    who = np.flatnonzero(rng.random(len(k0)) < cfg.p_innovate)
    if not len(who):
        return
    wanted = interest[who][:, item_topic]
    # No topic of interest: anything can be discovered.
    wanted[~wanted.any(axis=1)] = True
    it = random_true_column(wanted, rng)
    g = cfg.gain * (1.0 - k0[who, it].astype(np.float64))
    offers.add(who * n_items + it, g, np.full(len(who), Channel.INNOVATION))
    offers.use(who * n_items + it)
