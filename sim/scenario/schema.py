"""The scenario schema: the only home of defaults, ranges and units.

Every field below is a parameter of the model (docs/ODD.md). Each one has a
default, a range (enforced), a unit and a one-line meaning (its ``description``). Unknown keys
are errors. A scenario is frozen once validated, so nothing downstream can change it.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from sim.scenario.checks import MAX_ITEMS, MAX_TOPICS, cross_field_problems
from sim.scenario.kinds import Engine, Generator, PartnerChoice, Policy, SeedStrategy
from sim.scenario.sections import (
    CorrectionConfig,
    ForgettingConfig,
    InnovationConfig,
    MetricsConfig,
    Probability,
    _Section,
)


def _choice(kind: type[Enum]) -> Any:
    """`kind`, read from its text.

    Any other value is refused before Python's enum lookup, whose error quotes the value whole
    (a YAML alias bomb of a list: minutes).
    """
    values = [repr(m.value) for m in kind]
    expected = ", ".join(values[:-1]) + " or " + values[-1]

    def text_only(value: Any) -> Any:
        if isinstance(value, str):
            return value
        raise PydanticCustomError("enum", "Input should be {expected}", {"expected": expected})

    return Annotated[kind, BeforeValidator(text_only)]


GeneratorChoice = _choice(Generator)
SeedStrategyChoice = _choice(SeedStrategy)
PolicyChoice = _choice(Policy)
PartnerChoiceChoice = _choice(PartnerChoice)
EngineChoice = _choice(Engine)


class WeightToStrength(StrEnum):
    """How the tie weights of a network file become initial strengths in (0, 1]."""

    NONE = "none"
    MAX = "max"
    RANK = "rank"


WeightToStrengthChoice = _choice(WeightToStrength)


class PopulationConfig(_Section):
    """The learners and their individual traits."""

    n_agents: int = Field(500, ge=2, le=50_000_000, description="Number of learners (agents).")
    activity_sigma: float = Field(
        1.0,
        ge=0.0,
        le=5.0,
        description=(
            "Spread of activity across learners: sigma of a log-normal with mean 1 that "
            "multiplies p_share and p_ask (heavy-tailed, so super users exist); 0 = all equal. "
            "Unitless."
        ),
    )
    helpfulness_mean: Probability = Field(
        0.5, description="Mean helpfulness: probability of answering a question one can answer."
    )
    helpfulness_concentration: float | None = Field(
        10.0,
        gt=0.0,
        description=(
            "Concentration (alpha + beta) of the Beta distribution of helpfulness; larger = "
            "more alike; null = everyone has exactly helpfulness_mean."
        ),
    )
    n_interests: int = Field(
        2, ge=0, description="Topics each learner is interested in (drawn at random), a count."
    )
    time_budget: int | None = Field(
        None,
        ge=1,
        description=(
            "Interactions per step: how many distinct ties (or community contacts) a learner "
            "can use in one step, strongest served first; null = unlimited."
        ),
    )


class NetworkConfig(_Section):
    """The starting tie network and its initial strengths (see `sim.world.network`)."""

    generator: GeneratorChoice = Field(
        Generator.WATTS_STROGATZ, strict=False, description="Network generator."
    )
    degree: int = Field(
        10,
        ge=0,
        description=(
            "Mean degree (ties per learner): k of ring_lattice / watts_strogatz / "
            "random_regular, the mean of erdos_renyi, 2m of barabasi_albert."
        ),
    )
    p_rewire: Probability = Field(
        0.1, description="watts_strogatz: probability of rewiring each lattice tie."
    )
    n_groups: int = Field(
        10, ge=1, description="clustered: number of groups (equal sizes, remainder spread)."
    )
    p_within: Probability = Field(
        1.0, description="clustered: probability of a tie between two members of the same group."
    )
    bridges_per_agent: float = Field(
        1.0,
        ge=0.0,
        description=(
            "clustered: mean number of ties per learner to learners of other groups (weak "
            "bridges), a count per learner."
        ),
    )
    strength: float = Field(
        0.8, gt=0.0, le=1.0, description="Initial strength of generated ties, in (0, 1]."
    )
    strength_spread: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description=(
            "Relative spread of generated initial strengths: each tie's strength is "
            "multiplied by a uniform draw in [1 - spread, 1 + spread] (capped at 1); 0 = all "
            "equal. Not applied to edge_list strengths."
        ),
    )
    bridge_strength: float = Field(
        0.1, gt=0.0, le=1.0, description="clustered: initial strength of bridge ties, in (0, 1]."
    )
    path: str | None = Field(
        None,
        description=(
            "edge_list: a CSV (columns source,target[,strength or weight]) or GraphML file of "
            "the learners' real network; relative paths are relative to the scenario file."
        ),
    )
    weight_to_strength: WeightToStrengthChoice = Field(
        WeightToStrength.NONE,
        strict=False,
        description=(
            "edge_list: how a weight column (GraphML: edge attribute) becomes initial "
            "strengths: none = the weight is the strength (in (0, 1]); max = weight / largest "
            "weight; rank = i / k for the i-th smallest of k distinct weights. A strength "
            "column is always used as is."
        ),
    )
    nodes_path: str | None = Field(
        None,
        description=(
            "edge_list, CSV: a node table (columns id[,group][,member]) giving each node's "
            "group and community membership (and isolated nodes); relative paths are "
            "relative to the folder of path."
        ),
    )


class SeedingConfig(_Section):
    """Who holds an item at step 0."""

    strategy: SeedStrategyChoice = Field(
        SeedStrategy.RANDOM, strict=False, description="Placement of the holders."
    )
    n_holders: int = Field(5, ge=0, description="Holders per item, a count.")
    level: float = Field(1.0, gt=0.0, le=1.0, description="Mastery of the holders, in (0, 1].")
    agents: list[int] | None = Field(
        None,
        description=(
            "Explicit holder ids (0-based agent index), overriding strategy and n_holders."
        ),
    )


class ItemClassConfig(_Section):
    """A class of knowledge items sharing complexity and contagion type."""

    name: str = Field("facts", pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="Class name.")
    n_items: int = Field(
        10,
        ge=1,
        le=MAX_ITEMS,
        description=(
            "Items in the class, a count; at most 1000000 over all classes, and at most 2^34 "
            "learner x item pairs."
        ),
    )
    complexity: float = Field(
        0.2,
        ge=0.0,
        lt=1.0,
        description="How hard the items are to learn: every gain is multiplied by 1 - complexity.",
    )
    sources_required: int = Field(
        1,
        ge=1,
        description=(
            "Distinct tied holders a learner needs before shared exposures take effect "
            "(complex contagion, Centola & Macy 2007); 1 = simple contagion."
        ),
    )
    misconception_of: str | None = Field(
        None,
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description=(
            "Name of another class: this class's items are misconceptions, item i a wrong "
            "version of that class's item i, on its topic (see correction); none = correct items."
        ),
    )
    seeding: SeedingConfig = Field(default_factory=SeedingConfig)


class KnowledgeConfig(_Section):
    """Knowledge items, topics and the depth scale."""

    n_topics: int = Field(
        4,
        ge=1,
        le=MAX_TOPICS,
        description=(
            "Topics; item j of the run belongs to topic j mod n_topics. At most 2^34 learner x "
            "topic pairs."
        ),
    )
    deep_threshold: Probability = Field(
        0.7, description="Mastery at or above which knowledge counts as deep, in [0, 1]."
    )
    item_classes: list[ItemClassConfig] = Field(
        default_factory=lambda: [ItemClassConfig()],
        min_length=1,
        description="Item classes; their items are numbered in this order.",
    )


class LearningConfig(_Section):
    """How much a learner gains from one exposure or answer."""

    surface_rate: Probability = Field(
        0.2,
        description=(
            "Share of the gap to the source closed by a noticed share (push, surface "
            "learning), before bandwidth and complexity."
        ),
    )
    deep_rate: Probability = Field(
        0.6, description="Share of the gap to the helper closed by an answer (pull, deep learning)."
    )
    bandwidth_min: Probability = Field(
        0.3, description="Bandwidth of a tie of strength 0 (a stranger); linear in strength."
    )
    bandwidth_max: Probability = Field(1.0, description="Bandwidth of a tie of strength 1.")


STIFLE_DOC = (
    "Losing interest: after a noticed share reaches a learner who already knew the item, "
    "the sharer stops sharing that item with this probability (Maki & Thompson 1973); 0 = never."
)


class SharingConfig(_Section):
    """Unsolicited sharing (push): serendipitous learning (seeds 000, 003)."""

    enabled: bool = Field(True, description="Switch sharing on or off.")
    policy: PolicyChoice = Field(
        Policy.BROADCAST, strict=False, description="How a share reaches ties."
    )
    p_share: Probability = Field(
        0.05,
        description=(
            "Probability per step that a learner shares a given item it knows, times its "
            "activity (clipped to 1). cascade: probability of passing a new item on at all."
        ),
    )
    p_notice_min: Probability = Field(
        0.1, description="Probability that a tie of strength 0 notices a share (attention)."
    )
    p_notice_max: Probability = Field(
        0.6,
        description="Probability that a tie of strength 1 notices a share; linear in between.",
    )
    partner: PartnerChoiceChoice = Field(
        PartnerChoice.UNIFORM,
        strict=False,
        description="gossip: how the one tie talked to is chosen.",
    )
    p_stifle: Probability = Field(0.0, description=STIFLE_DOC)


class HelpConfig(_Section):
    """Help seeking (pull) with a bystander effect (seed 004)."""

    enabled: bool = Field(True, description="Switch help seeking on or off.")
    p_ask: Probability = Field(
        0.1,
        description=(
            "Probability per step that a learner with a need asks one question, times its "
            "activity (clipped to 1)."
        ),
    )
    goal: Probability = Field(
        0.7, description="Mastery a learner wants in the items of its topics; below it is a need."
    )
    able_threshold: Probability = Field(
        0.5, description="Mastery a helper needs (and more than the asker's) to be able to answer."
    )
    stranger_willingness: Probability = Field(
        0.3,
        description=(
            "Willingness to answer over a tie of strength 0 relative to strength 1; "
            "linear in strength."
        ),
    )
    bystander_exponent: float = Field(
        1.0,
        ge=0.0,
        le=5.0,
        description=(
            "gamma: with n able helpers seeing a question, each answers with probability "
            "scaled by n^(-gamma * (1 - strength)) (Latane & Darley 1968); 0 = no effect."
        ),
    )


class CommunityConfig(_Section):
    """A community space: members, encounters and a searchable repository (seed 001)."""

    enabled: bool = Field(False, description="Switch the community on or off.")
    share_members: Probability = Field(
        1.0, description="Share of learners who are members (chosen at random)."
    )
    topics: list[int] = Field(
        default_factory=lambda: [0],
        description="Topics every member is interested in (the shared interest), topic ids.",
    )
    repository: bool = Field(True, description="Keep a searchable history of answers.")
    p_find: Probability = Field(
        0.8, description="Probability that searching the repository finds a stored answer."
    )
    repository_bandwidth: Probability = Field(
        0.5, description="Bandwidth of learning from a stored answer (vs a live tie's)."
    )
    p_meet: Probability = Field(
        0.01,
        description="Probability per step that a member meets a random member and ties form.",
    )


class TiesConfig(_Section):
    """Tie dynamics: strengthen, decay, dissolve, form (Granovetter 1973)."""

    enabled: bool = Field(True, description="Switch all tie dynamics on or off.")
    strong_threshold: Probability = Field(
        0.5, description="Strength at or above which a tie is strong, in [0, 1]."
    )
    strengthen_rate: Probability = Field(
        0.1, description="Per use: strength += strengthen_rate * (1 - strength)."
    )
    decay: Probability = Field(0.01, description="Per step: strength *= 1 - decay, for every tie.")
    floor: Probability = Field(
        0.02, description="A tie formed during the run dissolves when its strength falls below."
    )
    floor_initial: Probability = Field(
        0.02, description="A pre-existing tie dissolves when its strength falls below."
    )
    new_strength: float = Field(
        0.1, gt=0.0, le=1.0, description="Strength of a newly formed tie, in (0, 1]."
    )
    p_triadic: Probability = Field(
        0.0,
        description=(
            "Probability per step that a learner ties to a random neighbour of a random "
            "neighbour (triadic closure)."
        ),
    )
    p_chance: Probability = Field(
        0.0, description="Probability per step that a learner ties to a random learner."
    )


class Scenario(_Section):
    """A whole scenario: one YAML file, validated and frozen."""

    name: str = Field(
        "scenario",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description=(
            "Name: letters, digits, '_', '.' and '-', starting with a letter or digit; the "
            "results folder uses it, so it can never point outside the results root."
        ),
    )
    description: str = Field("", description="Free text: what situation this stands for.")
    engine: EngineChoice = Field(
        Engine.ARRAY,
        strict=False,
        description=(
            "array: one step as array operations over all learners and ties (fast, the "
            "default); agents: each learner's step() acts on its own (sim.reference, the "
            "readable per-agent specification and baseline; slow). Same rules, same metrics."
        ),
    )
    steps: int = Field(200, ge=0, le=1_000_000, description="Steps (days) per replication.")
    replications: int = Field(10, ge=1, le=1_000_000, description="Replications (seeds).")
    seed: int = Field(
        20261122, ge=0, description="Root seed; replication seeds are spawned from it."
    )
    population: PopulationConfig = Field(default_factory=PopulationConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    knowledge: KnowledgeConfig = Field(default_factory=KnowledgeConfig)
    learning: LearningConfig = Field(default_factory=LearningConfig)
    sharing: SharingConfig = Field(default_factory=SharingConfig)
    help: HelpConfig = Field(default_factory=HelpConfig)
    community: CommunityConfig = Field(default_factory=CommunityConfig)
    ties: TiesConfig = Field(default_factory=TiesConfig)
    forgetting: ForgettingConfig = Field(default_factory=ForgettingConfig)
    innovation: InnovationConfig = Field(default_factory=InnovationConfig)
    correction: CorrectionConfig = Field(default_factory=CorrectionConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)

    @property
    def n_items(self) -> int:
        """Total number of knowledge items over all classes."""
        return sum(c.n_items for c in self.knowledge.item_classes)

    @model_validator(mode="after")
    def _check_cross_fields(self) -> Scenario:
        problems = list(cross_field_problems(self))
        if problems:
            # One ValueError carrying every problem; `load_scenario` splits it per field.
            raise ValueError(CROSS_FIELD_SEPARATOR.join(f"{loc}\t{msg}" for loc, msg in problems))
        return self


CROSS_FIELD_SEPARATOR = "\n@@\n"
