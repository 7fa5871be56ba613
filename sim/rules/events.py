"""What the phases of a step hand on: candidate interactions, gain channels, counters.

A step is synchronous (MODEL.md 'One step'): sharing and help seeking propose `Events` from
the start-of-step state; the time budget filters them; the gains, the repository and the
tie rules read what is left. Each phase returns its results; nothing is kept between phases
on the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class Channel(IntEnum):
    """Where a learner's gain came from (for attributing learning to tie kinds)."""

    PUSH_WEAK = 0
    PUSH_STRONG = 1
    ANSWER_WEAK = 2
    ANSWER_STRONG = 3
    ANSWER_COMMUNITY = 4
    REPOSITORY = 5
    INNOVATION = 6


@dataclass
class Events:
    """Candidate interactions of a step (noticed shares, or answers), before the time budget.

    Attributes:
        src: sharer or helper, per event.
        dst: learner or asker.
        item: the item.
        tie: tie id, or -1 for a community member without a tie to the asker.
        strength: of the tie (0 for a community stranger).
        both_spend: whether the source spends time budget too (gossip, answers).
    """

    src: np.ndarray
    dst: np.ndarray
    item: np.ndarray
    tie: np.ndarray
    strength: np.ndarray
    both_spend: np.ndarray

    @staticmethod
    def empty() -> Events:
        """No events."""
        z = np.zeros(0, dtype=np.int64)
        return Events(z, z, z, z, np.zeros(0), np.zeros(0, dtype=bool))

    @staticmethod
    def received(src, dst, item, tie, strength) -> Events:
        """Shares over ties that cost only the receiver's time (broadcast, cascade)."""
        return Events(src, dst, item, tie, strength, np.zeros(len(src), dtype=bool))

    def __len__(self) -> int:
        return len(self.src)

    def subset(self, mask: np.ndarray) -> Events:
        """The events where `mask` is True (or at the given indices)."""
        return Events(
            self.src[mask],
            self.dst[mask],
            self.item[mask],
            self.tie[mask],
            self.strength[mask],
            self.both_spend[mask],
        )

    def concat(self, other: Events) -> Events:
        """These events followed by `other`'s."""
        return Events(
            np.concatenate([self.src, other.src]).astype(np.int64),
            np.concatenate([self.dst, other.dst]).astype(np.int64),
            np.concatenate([self.item, other.item]).astype(np.int64),
            np.concatenate([self.tie, other.tie]).astype(np.int64),
            np.concatenate([self.strength, other.strength]).astype(np.float64),
            np.concatenate([self.both_spend, other.both_spend]).astype(bool),
        )


@dataclass
class StepRecord:
    """Counters of what happened during one step (the flows behind the metrics)."""

    exposures: int = 0
    redundant_exposures: int = 0
    novel_exposures: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))
    gain_by_channel: np.ndarray = field(default_factory=lambda: np.zeros(len(Channel)))
    questions: int = 0
    answers: int = 0
    answers_by_channel: np.ndarray = field(
        default_factory=lambda: np.zeros(len(Channel), dtype=np.int64)
    )
    repository_hits: int = 0
    ties_formed: int = 0
    ties_dissolved: int = 0
    knowledge_lost: float = 0.0  # mastery forgotten, summed over (learner, item) pairs
