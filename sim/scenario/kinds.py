"""The discrete choices of a scenario (generators, sharing policies, engines, ...), as enums."""

from __future__ import annotations

from enum import StrEnum


class Generator(StrEnum):
    """Starting-network generators (see `sim.world.network`)."""

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
