"""Independent random streams, one per purpose, spawned from a run's seed.

Common random numbers need more than a shared seed: if the network, the learners and each
phase of a step all drew from one stream, any change that alters how many numbers one part
draws (a different network, a rule switched off) would shift every later draw, and two
scenarios run on the same seed would differ in who the learners are and who knows what at
the start. Each purpose therefore draws from its own child of the run's
`numpy.random.SeedSequence` (numpy's recommended way to make independent streams): two
scenarios that differ only in their network have the same learners, interests and seed
holders, and a change in one rule does not move the draws of another.
"""

from __future__ import annotations

import numpy as np

STREAM_LAYOUT = 1
"""Version of the assignment of purposes to streams (recorded in every manifest): results
for a seed are comparable only between runs with the same layout."""

PURPOSES = (
    "network",  # the starting network and its initial strengths
    "traits",  # activity, helpfulness
    "interests",  # interests over topics, community membership
    "seeding",  # the first holders of each item
    "sharing",  # who shares what, who notices (MODEL.md step 1)
    "help",  # who asks what, the repository, who answers (step 2)
    "budget",  # the order of equal-strength contacts under the time budget
    "gains",  # which answer an asker learns from; ties between equal best gains
    "innovation",  # who learns on their own, and what (step 5)
    "ties",  # new-tie candidates: meetings, triadic closure, chance (step 3)
    "counting",  # splits a count drawn as one number by tie kind (decides no outcome)
    "stifling",  # who loses interest in sharing an item (sharing.p_stifle)
    "misinformation",  # who corrects whom, who flags a stored answer (correction)
)
"""The purposes, in the order of their child streams (append only: never reorder)."""


def spawn_streams(rng: np.random.Generator) -> dict[str, np.random.Generator]:
    """One generator per purpose, children of the seed sequence behind `rng`.

    Child i has spawn key ``(*parent.spawn_key, i)``, as ``SeedSequence.spawn`` would give
    it, but independent of how many children were spawned before, so the same seed always
    gives the same streams. `rng` itself draws nothing.

    Args:
        rng: the run's generator (Mesa's `model.rng`, made from the replication seed).
    """
    seq = rng.bit_generator.seed_seq
    if not isinstance(seq, np.random.SeedSequence):  # a generator built without one
        seq = np.random.SeedSequence(int(rng.integers(2**63)))
    bit_generator = type(rng.bit_generator)
    return {
        purpose: np.random.Generator(
            bit_generator(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, i)))
        )
        for i, purpose in enumerate(PURPOSES)
    }
