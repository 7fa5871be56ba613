"""The scenario schema: the only home of defaults, ranges and units, and the YAML loader.

Every field below is a parameter of the model in `../shared/design/MODEL.md`. Each one has a
default, a range (enforced), a unit and a one-line meaning (its ``description``). Unknown keys
are errors. A scenario is frozen once validated, so nothing downstream can change it.
"""

from __future__ import annotations

import difflib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Section(BaseModel):
    """Base for every schema section: frozen, and unknown keys are errors."""

    # allow_inf_nan=False: no parameter means anything at inf or nan, and an unbounded field
    # (e.g. bridges_per_agent) would otherwise let .inf through to the model.
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=False, allow_inf_nan=False
    )


class Generator(StrEnum):
    """Starting-network generators (see `sim.network`)."""

    RING_LATTICE = "ring_lattice"
    WATTS_STROGATZ = "watts_strogatz"
    ERDOS_RENYI = "erdos_renyi"
    RANDOM_REGULAR = "random_regular"
    BARABASI_ALBERT = "barabasi_albert"
    COMPLETE = "complete"
    CLUSTERED = "clustered"
    EMPTY = "empty"
    EDGE_LIST = "edge_list"


class Policy(StrEnum):
    """How a shared item reaches a sharer's ties (MODEL.md, 'policy')."""

    BROADCAST = "broadcast"
    GOSSIP = "gossip"
    CASCADE = "cascade"


class SeedStrategy(StrEnum):
    """Where the first holders of an item are placed."""

    RANDOM = "random"
    HUBS = "hubs"
    ONE_GROUP = "one_group"


class Engine(StrEnum):
    """Which implementation of the step rules runs a scenario (the rules are the same)."""

    ARRAY = "array"
    AGENTS = "agents"


class PartnerChoice(StrEnum):
    """How a gossiping sharer picks the one tie it talks to in a step."""

    UNIFORM = "uniform"
    STRENGTH = "strength"


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
    """The starting tie network and its initial strengths (see `sim.network`)."""

    generator: Generator = Field(Generator.WATTS_STROGATZ, description="Network generator.")
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
            "edge_list: a CSV (columns source,target[,strength]) or GraphML file of the "
            "learners' real network; relative paths are relative to the scenario file."
        ),
    )


class SeedingConfig(_Section):
    """Who holds an item at step 0."""

    strategy: SeedStrategy = Field(SeedStrategy.RANDOM, description="Placement of the holders.")
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
    n_items: int = Field(10, ge=1, description="Items in the class, a count.")
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
    seeding: SeedingConfig = Field(default_factory=SeedingConfig)


class KnowledgeConfig(_Section):
    """Knowledge items, topics and the depth scale."""

    n_topics: int = Field(
        4, ge=1, description="Topics; item j of the run belongs to topic j mod n_topics."
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


class SharingConfig(_Section):
    """Unsolicited sharing (push): serendipitous learning (seeds 000, 003)."""

    enabled: bool = Field(True, description="Switch sharing on or off.")
    policy: Policy = Field(Policy.BROADCAST, description="How a share reaches ties.")
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
    partner: PartnerChoice = Field(
        PartnerChoice.UNIFORM, description="gossip: how the one tie talked to is chosen."
    )


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


class Scenario(_Section):
    """A whole scenario: one YAML file, validated and frozen."""

    name: str = Field(
        "scenario", pattern=r"^[A-Za-z0-9_.-]+$", description="Name; the results folder uses it."
    )
    description: str = Field("", description="Free text: what situation this stands for.")
    engine: Engine = Field(
        Engine.ARRAY,
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
            raise ValueError(_CROSS_FIELD_SEPARATOR.join(f"{loc}\t{msg}" for loc, msg in problems))
        return self


_CROSS_FIELD_SEPARATOR = "\n@@\n"


def cross_field_problems(s: Scenario) -> list[tuple[str, str]]:
    """Constraints that tie fields together, as (field path, message) pairs."""
    out: list[tuple[str, str]] = []
    n = s.population.n_agents
    net = s.network
    g = net.generator
    if g in (Generator.RING_LATTICE, Generator.WATTS_STROGATZ, Generator.RANDOM_REGULAR):
        if net.degree >= n:
            out.append(("network.degree", f"must be less than population.n_agents ({n})"))
        if g != Generator.RANDOM_REGULAR and net.degree % 2:
            out.append(("network.degree", f"must be even for {g.value} (got {net.degree})"))
        if g == Generator.RANDOM_REGULAR and (net.degree * n) % 2:
            out.append(
                ("network.degree", "degree * population.n_agents must be even for random_regular")
            )
    if g == Generator.ERDOS_RENYI and net.degree > n - 1:
        out.append(("network.degree", f"must be at most population.n_agents - 1 ({n - 1})"))
    if g == Generator.BARABASI_ALBERT:
        m = net.degree // 2
        if m < 1 or m >= n:
            out.append(
                (
                    "network.degree",
                    f"barabasi_albert needs 2 <= degree < 2 * population.n_agents (got "
                    f"{net.degree})",
                )
            )
    if g == Generator.BARABASI_ALBERT and net.degree >= 2 and net.degree % 2:
        out.append(("network.degree", f"must be even for barabasi_albert (got {net.degree})"))
    expected = expected_ties(s)
    if expected > MAX_TIES:
        out.append(
            (
                "network",
                f"asks for about {expected:.3g} ties; at most {MAX_TIES:.0e} fit in memory "
                "(each tie costs ~100 B): fewer agents, a lower degree or a lower p_within",
            )
        )
    if g == Generator.CLUSTERED:
        if net.n_groups > n:
            out.append(("network.n_groups", f"must be at most population.n_agents ({n})"))
        if net.n_groups < 2 and net.bridges_per_agent > 0:
            out.append(("network.n_groups", "bridges need at least 2 groups"))
        elif net.n_groups <= n:
            # Same count as `sim.network`'s clustered generator, which refuses more bridges
            # than there are pairs of learners in different groups.
            size, extra = divmod(n, net.n_groups)
            within = (net.n_groups - extra) * size * (size - 1) // 2
            within += extra * (size + 1) * size // 2
            n_cross = n * (n - 1) // 2 - within
            if int(round(net.bridges_per_agent * n / 2)) > n_cross:
                out.append(
                    (
                        "network.bridges_per_agent",
                        f"must be at most {2 * n_cross / n:.4g}: only {n_cross} pairs of "
                        "learners in different groups exist",
                    )
                )
    if g == Generator.EDGE_LIST and not net.path:
        out.append(("network.path", "edge_list needs a path to a CSV or GraphML file"))
    if g != Generator.EDGE_LIST and net.path:
        out.append(("network.path", "only used with generator edge_list; remove it"))

    k = s.knowledge
    names = [c.name for c in k.item_classes]
    for i, c in enumerate(k.item_classes):
        where = f"knowledge.item_classes.{i}"
        if names.count(c.name) > 1:
            out.append((f"{where}.name", f"class names must be unique ('{c.name}' repeats)"))
        sd = c.seeding
        if sd.agents is not None:
            bad = [a for a in sd.agents if not 0 <= a < n]
            if bad:
                out.append(
                    (f"{where}.seeding.agents", f"ids must be in 0..{n - 1} (got {bad[:5]})")
                )
            if len(set(sd.agents)) != len(sd.agents):
                out.append((f"{where}.seeding.agents", "ids must not repeat"))
        elif sd.n_holders > n:
            out.append((f"{where}.seeding.n_holders", f"must be at most population.n_agents ({n})"))
        if sd.strategy == SeedStrategy.ONE_GROUP and sd.agents is None:
            if g != Generator.CLUSTERED:
                out.append(
                    (f"{where}.seeding.strategy", "one_group needs network.generator: clustered")
                )
            elif sd.n_holders > n // net.n_groups:
                out.append(
                    (
                        f"{where}.seeding.n_holders",
                        f"one_group: must be at most the group size ({n // net.n_groups})",
                    )
                )
    if s.population.n_interests > k.n_topics:
        out.append(("population.n_interests", f"must be at most knowledge.n_topics ({k.n_topics})"))
    bad_topics = [t for t in s.community.topics if not 0 <= t < k.n_topics]
    if bad_topics:
        out.append(("community.topics", f"topic ids must be in 0..{k.n_topics - 1}"))
    if s.learning.bandwidth_min > s.learning.bandwidth_max:
        out.append(("learning.bandwidth_min", "must be at most learning.bandwidth_max"))
    if s.ties.new_strength >= s.ties.strong_threshold and s.ties.strong_threshold > 0:
        out.append(("ties.new_strength", "a new tie must start weak: below ties.strong_threshold"))
    return out


_SECTIONS = {
    name
    for name, f in Scenario.model_fields.items()
    if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
}

MAX_TIES = 100_000_000
"""Largest starting network accepted, in ties (about 10 GB of tie arrays and index)."""


def expected_ties(s: Scenario) -> float:
    """Expected number of ties of the starting network (edge_list: not known before reading)."""
    n, net, g = s.population.n_agents, s.network, s.network.generator
    if g in (
        Generator.RING_LATTICE,
        Generator.WATTS_STROGATZ,
        Generator.RANDOM_REGULAR,
        Generator.ERDOS_RENYI,
    ):
        return n * net.degree / 2
    if g == Generator.BARABASI_ALBERT:
        m = net.degree // 2
        return m * max(n - m, 0)
    if g == Generator.COMPLETE:
        return n * (n - 1) / 2
    if g == Generator.CLUSTERED:
        size, extra = divmod(n, net.n_groups)
        within = (net.n_groups - extra) * size * (size - 1) / 2 + extra * (size + 1) * size / 2
        return within * net.p_within + net.bridges_per_agent * n / 2
    return 0.0


class ScenarioError(Exception):
    """A scenario file or override is invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# Loading and error messages


def _section_at(loc: tuple[Any, ...]) -> Any:
    """The schema section (model class) that a location's last key belongs to, or None."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return None
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        if inner and hasattr(inner[0], "model_fields"):
            ann = inner[0]
        if not hasattr(ann, "model_fields"):
            return None
        model = ann
    return model if hasattr(model, "model_fields") else None


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at the section that a location's last key belongs to."""
    model = _section_at(loc)
    return list(model.model_fields) if model is not None else []


def _format_error(source: str, err: dict[str, Any]) -> list[str]:
    loc = tuple(err.get("loc", ()))
    path = ".".join(str(p) for p in loc)
    etype = err.get("type", "")
    if etype == "value_error" and "\t" in str(err.get("msg")):
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines = []
        for chunk in msg.split(_CROSS_FIELD_SEPARATOR):
            where, _, what = chunk.partition("\t")
            lines.append(f"{source}: {where}: {what}")
        return lines
    if etype == "extra_forbidden":
        allowed = _fields_at(loc)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        if not hint and allowed:
            extra = f" (allowed: {', '.join(allowed)})"
        return [f"{source}: {path}: unknown field{extra}"]
    got = err.get("input")
    msg = str(err.get("msg", "invalid"))
    ctx = err.get("ctx") or {}
    if etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        msg = _range_message(loc, etype, ctx)
    elif etype == "enum":
        msg = f"must be one of {ctx.get('expected', '')}"
    msg = msg[0].lower() + msg[1:] if msg else msg
    shown = "" if isinstance(got, dict) else f" (got {got!r})"
    return [f"{source}: {path or '<top>'}: {msg}{shown}"]


_BOUND_WORDS = {"ge": "at least", "gt": "greater than", "le": "at most", "lt": "less than"}
_ERROR_BOUND = {
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
    "less_than": "lt",
}


def _range_message(loc: tuple[Any, ...], etype: str, ctx: dict[str, Any]) -> str:
    """The whole allowed range of the field at `loc` (both bounds when it has two)."""
    bounds: dict[str, Any] = {}
    section = _section_at(loc) if loc and isinstance(loc[-1], str) else None
    field = section.model_fields.get(loc[-1]) if section is not None else None
    for meta in field.metadata if field is not None else []:
        for key in _BOUND_WORDS:
            if getattr(meta, key, None) is not None:
                bounds[key] = getattr(meta, key)
    if not bounds:
        key = _ERROR_BOUND[etype]
        bounds[key] = ctx.get(key)
    lo = next(((k, bounds[k]) for k in ("ge", "gt") if k in bounds), None)
    hi = next(((k, bounds[k]) for k in ("le", "lt") if k in bounds), None)
    if lo and hi and lo[0] == "ge" and hi[0] == "le":
        return f"must be between {_number(lo[1])} and {_number(hi[1])}"
    parts = [f"{_BOUND_WORDS[b[0]]} {_number(b[1])}" for b in (lo, hi) if b is not None]
    return "must be " + " and ".join(parts)


def _number(x: Any) -> str:
    """A bound as people write it: 1 rather than 1.0, 50000000 rather than 5e+07."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def validate(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate a mapping into a frozen `Scenario`, or raise `ScenarioError` listing problems.

    Args:
        data: the parsed YAML mapping.
        source: what to name in messages (the file path).
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([f"{source}: <top>: must be a mapping of sections"])
    # A section written with nothing under it (`ties:`) means "all defaults".
    data = {k: v for k, v in data.items() if not (v is None and k in _SECTIONS)}
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems: list[str] = []
        for err in exc.errors():
            problems.extend(_format_error(source, err))
        raise ScenarioError(problems) from None


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (else the last one wins)."""

    def construct_mapping(self, node, deep=False):  # noqa: D102
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{key}' appears twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file, turning read and syntax errors into `ScenarioError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([f"{p}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{p}: cannot read: not UTF-8 text"]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([f"{p}: {where}invalid YAML: {problem}"]) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split `section.field=value` into a key path and a YAML-parsed value."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError([f"--set {text}: expected section.field=value"])
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return [p for p in key.strip().split(".")], value


def apply_override(data: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    """Return a copy of `data` with the nested field at `keys` set to `value`."""
    out = _deep_copy(data)
    node: Any = out
    for i, key in enumerate(keys[:-1]):
        nxt_is_index = keys[i + 1].isdigit()
        if isinstance(node, list):
            node = node[int(key)]
            continue
        if key not in node or node[key] is None:
            node[key] = [] if nxt_is_index else {}
        node = node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def _deep_copy(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _deep_copy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_deep_copy(v) for v in x]
    return x


def _materialise_item_classes(data: dict[str, Any], keys: list[str]) -> None:
    """Make `knowledge.item_classes.N...` overrides work on the default class list."""
    if keys[:2] == ["knowledge", "item_classes"] and len(keys) > 2:
        know = data.setdefault("knowledge", {}) or {}
        data["knowledge"] = know
        if "item_classes" not in know:
            know["item_classes"] = [ItemClassConfig().model_dump(mode="json")]


def set_field(data: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    """Return a copy of `data` with the field at `keys` set (default item classes filled in).

    Raises:
        IndexError, ValueError, TypeError, AttributeError: if `keys` is not a field path of
            `data` (e.g. an item class index beyond the list).
    """
    data = _deep_copy(data)
    _materialise_item_classes(data, keys)
    return apply_override(data, keys, value)


SWEEP_KEY = "sweep"
"""Top-level key of a scenario's sweep block (parsed by `sim.sweep`, not part of `Scenario`)."""


def load_scenario(
    path: str | Path, overrides: list[str] | None = None, *, base_dir: Path | None = None
) -> Scenario:
    """Read, override and validate a scenario file.

    A `sweep` block, if any, is ignored here: this returns the base scenario (see
    `sim.sweep.load_experiment` for the points of a sweep).

    Args:
        path: the YAML file.
        overrides: `section.field=value` strings, applied in order and validated like the file.
        base_dir: folder that relative `network.path` values are resolved against (default:
            the scenario file's folder).

    Raises:
        ScenarioError: with one message per problem, each naming the file and field path.
    """
    data = read_scenario_data(path, overrides, base_dir=base_dir)
    data.pop(SWEEP_KEY, None)
    scenario = validate(data, source=str(path))
    check_files(scenario, source=str(path))
    return scenario


def read_scenario_data(
    path: str | Path, overrides: list[str] | None = None, *, base_dir: Path | None = None
) -> dict[str, Any]:
    """Read a scenario file and apply overrides, without validating (sweep block kept).

    Args:
        path: the YAML file.
        overrides: `section.field=value` strings, applied in order.
        base_dir: folder that relative `network.path` values are resolved against (default:
            the scenario file's folder).

    Raises:
        ScenarioError: if the file cannot be read or parsed, or an override is malformed.
    """
    path = Path(path)
    data = read_yaml(path)
    if data is not None and not isinstance(data, dict):
        raise ScenarioError([f"{path}: <top>: must be a mapping of sections"])
    data = data or {}
    problems: list[str] = []
    for text in overrides or []:
        try:
            keys, value = parse_override(text)
            _materialise_item_classes(data, keys)
            data = apply_override(data, keys, value)
        except ScenarioError as exc:
            problems.extend(exc.problems)
        except (IndexError, ValueError, TypeError, AttributeError):
            problems.append(f"--set {text}: no such field path")
    if problems:
        raise ScenarioError(problems)
    net = data.get("network")
    if isinstance(net, dict) and isinstance(net.get("path"), str):
        p = Path(net["path"])
        if not p.is_absolute():
            net = dict(net)
            net["path"] = str(((base_dir or path.parent) / p).resolve())
            data = {**data, "network": net}
    return data


def check_files(scenario: Scenario, source: str) -> None:
    """Check that files a scenario names exist and parse (the edge list)."""
    if scenario.network.generator != Generator.EDGE_LIST:
        return
    from sim.network import EdgeListError, read_edge_list

    try:
        read_edge_list(scenario.network.path, scenario.population.n_agents)
    except EdgeListError as exc:
        raise ScenarioError([f"{source}: network.path: {exc}"]) from None


def dump_scenario(scenario: Scenario, sweep: dict[str, Any] | None = None) -> str:
    """The fully resolved scenario as YAML; loading it back gives an equal scenario.

    Args:
        scenario: the scenario (a sweep's base scenario, for a sweep).
        sweep: a sweep block to append (see `sim.sweep.Sweep.to_dict`), or None.
    """
    data = scenario.model_dump(mode="json")
    if sweep:
        data[SWEEP_KEY] = sweep
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def field_paths(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every leaf field path of the schema, e.g. ``ties.decay`` (for docs and tests)."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        target = ann
        if inner and hasattr(inner[0], "model_fields"):
            target = inner[0]
            name = f"{name}.N"
        if isinstance(target, type) and issubclass(target, BaseModel):
            out.extend(field_paths(target, f"{prefix}{name}."))
        else:
            out.append(f"{prefix}{name}")
    return out
