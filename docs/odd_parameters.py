"""Print the ODD parameter table (docs/ODD.md, section 7) from the scenario schema.

The schema (`sim/config.py`) is the only home of defaults and ranges; this script adds the
unit and the claim in the seed texts each parameter stands for, and prints the Markdown rows.
`tests/test_odd.py` checks that docs/ODD.md lists exactly the schema's fields with its
defaults. After changing the schema: `python docs/odd_parameters.py` and paste the table.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.scenario import Scenario  # noqa: E402

# Unit of each parameter (by the last part of its path, or the whole path).
UNITS = {
    "n_agents": "learners",
    "steps": "steps (days)",
    "replications": "runs",
    "seed": "-",
    "name": "-",
    "description": "-",
    "engine": "-",
    "activity_sigma": "log-scale sd",
    "helpfulness_mean": "probability",
    "helpfulness_concentration": "alpha + beta",
    "n_interests": "topics",
    "time_budget": "contacts / step",
    "generator": "-",
    "degree": "ties / learner",
    "p_rewire": "probability / tie",
    "n_groups": "groups",
    "p_within": "probability / pair",
    "bridges_per_agent": "ties / learner",
    "strength": "strength [0, 1]",
    "bridge_strength": "strength [0, 1]",
    "path": "file",
    "n_topics": "topics",
    "deep_threshold": "mastery [0, 1]",
    "n_items": "items",
    "complexity": "share [0, 1)",
    "sources_required": "tied holders",
    "strategy": "-",
    "n_holders": "learners / item",
    "level": "mastery [0, 1]",
    "agents": "agent indices",
    "surface_rate": "share of gap",
    "deep_rate": "share of gap",
    "bandwidth_min": "share [0, 1]",
    "bandwidth_max": "share [0, 1]",
    "enabled": "switch",
    "policy": "-",
    "p_share": "probability / item / step",
    "p_notice_min": "probability / share",
    "p_notice_max": "probability / share",
    "partner": "-",
    "p_ask": "probability / step",
    "goal": "mastery [0, 1]",
    "able_threshold": "mastery [0, 1]",
    "stranger_willingness": "share [0, 1]",
    "bystander_exponent": "exponent",
    "share_members": "share of learners",
    "topics": "topic ids",
    "repository": "switch",
    "p_find": "probability / search",
    "repository_bandwidth": "share [0, 1]",
    "p_meet": "probability / step",
    "strong_threshold": "strength [0, 1]",
    "strengthen_rate": "share of gap / use",
    "decay": "share / step",
    "floor": "strength or mastery",
    "floor_initial": "strength [0, 1]",
    "new_strength": "strength [0, 1]",
    "p_triadic": "probability / step",
    "p_chance": "probability / step",
    "rate": "share / step",
    "p_innovate": "probability / step",
    "gain": "share of gap",
    "structure_every": "steps",
    "misconception_of": "class name",
    "p_correct_min": "probability / contact",
    "p_correct_max": "probability / contact",
    "resistance_steps": "steps",
    "p_flag": "probability / member / step",
    "flags_to_withdraw": "members",
    "p_stifle": "probability / share",
    "snapshot_every": "steps",
}

# The claim in the seed texts (or the literature) behind each parameter.
SOURCES = {
    "population.n_agents": "population size (a brand community: thousands, seed 001)",
    "population.activity_sigma": "001 comments: super users, moderators do much of the work",
    "population.helpfulness_mean": "004: people must be available and willing to help",
    "population.helpfulness_concentration": "004: willingness differs between people",
    "population.n_interests": "001: a shared interest brings people together",
    "population.time_budget": "001: strong ties cost time, less is left for weak ones",
    "network": "001: a social network holds ties you already have; 000: weak ties (Granovetter)",
    "knowledge": "MODEL.md: knowledge items by topic and class (facts, practices)",
    "knowledge.deep_threshold": "000 comment: deep versus surface learning",
    "knowledge.item_classes.N.complexity": "000 comment: deep learning is harder",
    "knowledge.item_classes.N.sources_required": "Centola & Macy 2007: complex contagion",
    "knowledge.item_classes.N.seeding": "knowledge starts with a few holders",
    "learning.surface_rate": "000, 003: serendipitous (push) learning is surface learning",
    "learning.deep_rate": "004: an answer to one's own question; 000 comment: deep learning",
    "learning.bandwidth_min": "000 comment: strong ties may be needed for deep learning",
    "learning.bandwidth_max": "000 comment: strong ties may be needed for deep learning",
    "sharing": "003: you learn what others share; MODEL.md policies (diffusion literature)",
    "sharing.p_notice_min": "000 comment: weak ties bring surprising news, if noticed",
    "sharing.p_notice_max": "001: strong ties get attention first",
    "help": "004: learning needs an answer that exists or someone willing to help",
    "help.stranger_willingness": "004: weak bonds get excuses ('I'm too busy')",
    "help.bystander_exponent": "004: 'someone else will help' (Darley & Latane 1968)",
    "community": "001: a community gathers strangers around a shared interest",
    "community.repository": "001 comments: searchable history, one answer serves many",
    "community.p_find": "001 comments: searchable history",
    "community.repository_bandwidth": "001 comments: reading an answer is less than a talk",
    "community.p_meet": "001: in a community ties grow none -> weak -> strong",
    "ties": "Granovetter 1973; 001: ties are maintained (network) or grown (community)",
    "ties.floor_initial": "001: in a social network you maintain existing ties",
    "ties.p_triadic": "000: friends of friends (Granovetter 1973)",
    "ties.p_chance": "000: ad hoc contacts (Twitter)",
    "forgetting": "002: knowledge generated in teams comes and goes",
    "innovation": "002: formal training; new knowledge keeps entering",
    "metrics": "MODEL.md: what a run records",
    "knowledge.item_classes.N.misconception_of": "002 comments: what prevents misinformation?",
    "correction": "003: in successful learning networks people police themselves",
    "correction.flags_to_withdraw": "003: the community polices itself (how many must disagree)",
    "sharing.p_stifle": "002: knowledge comes and goes; Maki & Thompson 1973",
}


def _source(path: str) -> str:
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in SOURCES:
            return SOURCES[key]
    return "run control" if len(parts) == 1 else "-"


def _range(field: Any) -> str:
    lo = hi = None
    lo_open = hi_open = False
    for m in field.metadata:
        for attr, is_open, is_lo in (
            ("ge", False, True),
            ("gt", True, True),
            ("le", False, False),
            ("lt", True, False),
        ):
            value = getattr(m, attr, None)
            if value is not None:
                if is_lo:
                    lo, lo_open = value, is_open
                else:
                    hi, hi_open = value, is_open
    if field.annotation is bool:
        return "true / false"
    enum = getattr(field.annotation, "__members__", None)
    if enum:
        return " / ".join(v.value for v in enum.values())
    if lo is None and hi is None:
        return "-"
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    if hi is None:
        right = ")"
    if lo is None:
        left = "("
    return f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"


def _default(field: Any) -> str:
    value = field.default_factory() if field.default_factory is not None else field.default
    if hasattr(value, "value"):
        value = value.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(str(getattr(v, "name", v)) for v in value) + "]"
    if isinstance(value, BaseModel):
        return "(section)"
    return str(value)


def rows(model: type[BaseModel] = Scenario, prefix: str = "") -> list[tuple[str, ...]]:
    """(path, default, range, unit, meaning, source) for every leaf field of the schema."""
    out = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        target = ann
        path = f"{prefix}{name}"
        if inner and isinstance(inner[0], type) and issubclass(inner[0], BaseModel):
            target, path = inner[0], f"{path}.N"
        if isinstance(target, type) and issubclass(target, BaseModel):
            out.extend(rows(target, f"{path}."))
            continue
        out.append(
            (
                path,
                _default(field),
                _range(field),
                UNITS.get(name, "-"),
                (field.description or "").replace("|", "/"),
                _source(path),
            )
        )
    return out


def table() -> str:
    """The Markdown table."""
    head = "| parameter | default | range | unit | meaning | source claim |\n"
    head += "|---|---|---|---|---|---|\n"
    return head + "\n".join("| `" + r[0] + "` | " + " | ".join(r[1:]) + " |" for r in rows()) + "\n"


START = "<!-- parameters:start (generated by docs/odd_parameters.py --write) -->"
END = "<!-- parameters:end -->"
ODD = Path(__file__).resolve().parent / "ODD.md"


def write(path: Path = ODD) -> None:
    """Replace the table between the markers in docs/ODD.md."""
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{table()}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    else:
        print(table(), end="")
