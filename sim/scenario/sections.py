"""Schema sections kept apart from `sim.scenario.schema` (which re-exports them).

The base of every section, and the sections of the rules that run after the gains:
forgetting, innovation, correction of misconceptions, and what is recorded.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Section(BaseModel):
    """Base for every schema section: frozen, and unknown keys are errors."""

    # allow_inf_nan=False: no parameter means anything at inf or nan, and an unbounded field
    # (e.g. bridges_per_agent) would otherwise let .inf through to the model.
    # strict=True: no coercion, so `steps: true` is not 1 and `p_share: "0.1"` (quoted) is not
    # a number; a whole number is still accepted where a float is expected (`decay: 0`).
    # Choices (enums) are read from their YAML text: their fields say `strict=False`.
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=False, allow_inf_nan=False, strict=True
    )


class ForgettingConfig(_Section):
    """Unused knowledge decays (seed 002)."""

    enabled: bool = Field(True, description="Switch forgetting on or off.")
    rate: Probability = Field(0.002, description="Per step, unused mastery shrinks by this share.")
    floor: Probability = Field(
        0.01, description="Mastery below this is lost entirely (back to unaware)."
    )


class InnovationConfig(_Section):
    """Learning on one's own (training, discovery), so knowledge keeps entering."""

    enabled: bool = Field(True, description="Switch innovation on or off.")
    p_innovate: Probability = Field(
        0.001, description="Probability per step that a learner learns an item on its own."
    )
    gain: Probability = Field(
        0.3, description="Share of the gap to full mastery closed by one innovation."
    )


GROUPS_DOC = "Record the population metrics per group and members vs non-members (groups.parquet)."
LEARNERS_DOC = "Record each learner's state and flows at the tie-snapshot steps (learners.parquet)."


class MetricsConfig(_Section):
    """What is recorded besides the per-step metrics."""

    structure_every: int = Field(
        10,
        ge=0,
        description=(
            "Record the costly structural metrics (clustering, components, overlap) every "
            "this many steps; 0 = never."
        ),
    )
    snapshot_every: int = Field(
        0,
        ge=0,
        description=(
            "Save the tie network (ties.parquet) every this many steps and at the last step; "
            "0 = the last step only."
        ),
    )
    groups: bool = Field(True, description=GROUPS_DOC)
    learners: bool = Field(True, description=LEARNERS_DOC)


class CorrectionConfig(_Section):
    """Correction of misconceptions and self-policing (issue 13; seeds 002 and 003).

    Applies to the items of classes with `misconception_of`. Off: a misconception spreads,
    is asked about, answered and stored exactly like a correct item.
    """

    enabled: bool = Field(
        False,
        description=(
            "Switch correction on: a learner who holds the correct item deeply refuses its "
            "misconception, drops it, and may correct others; off = misconceptions are ordinary "
            "items."
        ),
    )
    p_correct_min: Probability = Field(
        0.05,
        description=(
            "Probability that a deep holder of the correct item corrects one who shares or asks "
            "about the misconception over a tie of strength 0 (or as a community stranger), "
            "times the corrector's mastery."
        ),
    )
    p_correct_max: Probability = Field(
        0.5,
        description=("The same over a tie of strength 1; linear in strength in between."),
    )
    resistance_steps: int = Field(
        30,
        ge=0,
        le=1_000_000,
        description=(
            "Steps (days) after a correction during which the corrected learner refuses the "
            "misconception even without holding the correct item deeply."
        ),
    )
    p_flag: Probability = Field(
        0.0,
        description=(
            "Probability per step that a community member who holds the correct item deeply "
            "flags a stored wrong answer (0 = the repository is never policed)."
        ),
    )
    flags_to_withdraw: int = Field(
        3,
        ge=1,
        le=1_000_000,
        description=(
            "Distinct members who must flag a stored wrong answer before it is withdrawn and "
            "replaced by a correction, a count."
        ),
    )
