"""The learners as Mesa agents: thin views onto the model's state arrays.

A learner's knowledge, traits and ties live in arrays owned by the model, so the rules can
run over all learners at once; the agent reads and writes its own row of those arrays.
"""

from __future__ import annotations

import mesa
import numpy as np


class Learner(mesa.Agent):
    """A learner (MODEL.md 'Entities').

    Args:
        model: the `sim.model.LearningModel` that owns the state arrays.
        index: row of this learner in those arrays, 0..n_agents-1 (`unique_id` is Mesa's,
            starting at 1).
    """

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def knowledge(self) -> np.ndarray:
        """Mastery per item, in [0, 1] (a read-only view of the model's array).

        A step reads the knowledge at its start and applies every change at its end, so a
        learner's row cannot be changed through this view; assign to change it between steps
        (``learner.knowledge = row``).
        """
        row = self.model.knowledge[self.index]
        row.flags.writeable = False
        return row

    @knowledge.setter
    def knowledge(self, value: np.ndarray) -> None:
        self.model.knowledge[self.index] = value

    @property
    def activity(self) -> float:
        """Multiplier of p_share and p_ask (log-normal across learners, mean 1)."""
        return float(self.model.activity[self.index])

    @property
    def helpfulness(self) -> float:
        """Probability of answering a question it is able to answer, before tie effects."""
        return float(self.model.helpfulness[self.index])

    @property
    def group(self) -> int:
        """Group (cluster) id from the starting network."""
        return int(self.model.group[self.index])

    @property
    def is_member(self) -> bool:
        """Whether the learner is a member of the community."""
        return bool(self.model.member[self.index])

    @property
    def interests(self) -> np.ndarray:
        """Topic ids the learner is interested in."""
        return np.flatnonzero(self.model.interest[self.index])

    @property
    def ties(self) -> list[tuple[Learner, float]]:
        """(neighbour, tie strength) for every current tie."""
        t = self.model.ties
        lo, hi = t.indptr[self.index], t.indptr[self.index + 1]
        return [
            (self.model.learner(int(j)), float(t.strength[e]))
            for j, e in zip(t.nbr[lo:hi], t.tie_of[lo:hi], strict=True)
        ]

    @property
    def degree(self) -> int:
        """Number of current ties."""
        t = self.model.ties
        return int(t.indptr[self.index + 1] - t.indptr[self.index])
