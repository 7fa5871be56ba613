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


CONTACT_KINDS = ("weak", "strong", "community")
"""What a contact is, in code order: a weak tie, a strong tie (`sim.world.ties.TieKind`
codes 0 and 1), or a community member without a tie (code 2); the suffixes of the columns
split by tie kind."""

CORRECTION_CHANNELS = ("tie", "community", "repository")
"""Where a correction came from, in code order (`sim.rules.misinformation`): the suffixes of
the `corrections_` columns."""


def correction_channel(channel: np.ndarray) -> np.ndarray:
    """The `CORRECTION_CHANNELS` code of corrections taught over these gain `Channel`s.

    A correction teaches as an answer over its contact, so the contact says where it came
    from: a community stranger's answer channel, the repository, else a tie.
    """
    code = np.zeros(len(Channel), dtype=np.int64)
    code[Channel.ANSWER_COMMUNITY], code[Channel.REPOSITORY] = 1, 2
    return code[np.asarray(channel, dtype=np.int64)]


COMMUNITY_CONTACT = 2
"""The contact-kind code of a community member without a tie (`CONTACT_KINDS`)."""


def contact_kind(tie: np.ndarray, strength: np.ndarray, strong_threshold: float) -> np.ndarray:
    """The `CONTACT_KINDS` code of each event's contact (int64).

    Args:
        tie: tie id per event, -1 for a community member without a tie.
        strength: the tie's strength per event.
        strong_threshold: strength from which a tie is strong.
    """
    kind = (np.asarray(strength) >= strong_threshold).astype(np.int64)
    kind[np.asarray(tie) < 0] = COMMUNITY_CONTACT
    return kind


@dataclass
class LearnerFlows:
    """Who did what in one step, for the per-learner and per-group outputs.

    Every array lists learner ids (int64), one entry per event; `sim.metrics.learners`
    and `sim.metrics.groups` count them.

    Attributes:
        asked: the learners who asked a question.
        answered_by: the helper of each answer learned from (`StepRecord.answers`).
        answered_to: the asker of each answer learned from.
        gain_learner: the learner of each applied gain.
        gain_channel: its `Channel`.
        gain: its size (as in `StepRecord.gain_by_channel`).
        cut_learner: the learner whose time budget was full, per cut (learner, contact).
        cut_kind: the `CONTACT_KINDS` code of that contact.
        corrected: the learner of each correction (`sim.rules.misinformation`).
    """

    asked: np.ndarray
    answered_by: np.ndarray
    answered_to: np.ndarray
    gain_learner: np.ndarray
    gain_channel: np.ndarray
    gain: np.ndarray
    cut_learner: np.ndarray
    cut_kind: np.ndarray
    corrected: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @staticmethod
    def none() -> LearnerFlows:
        """A step in which nothing happened."""
        z = np.zeros(0, dtype=np.int64)
        return LearnerFlows(z, z, z, z, z, np.zeros(0), z, z, z)


@dataclass
class StepRecord:
    """Counters of what happened during one step (the flows behind the metrics).

    The arrays split by tie kind are indexed by `TieKind` (weak, strong) or by the
    `CONTACT_KINDS` codes (weak, strong, community).
    """

    exposures: int = 0
    redundant_exposures: int = 0
    exposures_by_kind: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))
    redundant_by_kind: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))
    novel_exposures: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))
    budget_cut_by_kind: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.int64))
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
    stifled_sharers: int = 0  # (learner, item) pairs whose sharing stopped (stifling)
    # Misconceptions (sim.rules.misinformation): noticed shares of one per TieKind, questions
    # about one, answers about one received, corrections per CORRECTION_CHANNELS code,
    # pairs displaced by deep mastery of the rival, stored answers withdrawn.
    misinformation_exposures: np.ndarray = field(
        default_factory=lambda: np.zeros(2, dtype=np.int64)
    )
    misconception_questions: int = 0
    misinformation_answers: int = 0
    corrections: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.int64))
    misconceptions_displaced: int = 0
    withdrawn_answers: int = 0
    flows: LearnerFlows = field(default_factory=LearnerFlows.none)
