"""Constraints that tie scenario fields together (checked when a scenario is validated)."""

from __future__ import annotations

from typing import Any

from sim.scenario.kinds import Generator, SeedStrategy

Scenario = Any
"""A `sim.scenario.schema.Scenario` (the schema calls these checks; they do not import it)."""


MAX_TOPICS = 1_000_000
"""Most topics a scenario may have (the interests are a learners x topics table)."""

MAX_ITEMS = 1_000_000
"""Most knowledge items a scenario may have, over all its item classes."""

MAX_PAIRS = 2**34
"""Most learner x item (and learner x topic) pairs: about 1.7e10, i.e. 64 GiB of float32
mastery before a step's working copies; larger asks fail at load, not in a MemoryError."""


def cross_field_problems(s: Scenario) -> list[tuple[str, str]]:
    """Constraints that tie fields together, as (field path, message) pairs."""
    return _size_problems(s) + _network_problems(s) + _item_class_problems(s) + _other_problems(s)


def _size_problems(s: Scenario) -> list[tuple[str, str]]:
    """The items over all classes, and the learners x items and x topics tables."""
    out: list[tuple[str, str]] = []
    n, classes = s.population.n_agents, s.knowledge.item_classes
    items = sum(c.n_items for c in classes)
    where = "knowledge.item_classes" + (".0.n_items" if len(classes) == 1 else "")
    if items > MAX_ITEMS:
        out.append((where, f"must be at most {MAX_ITEMS} items over all classes (got {items})"))
    tables = ((where, "items", items), ("knowledge.n_topics", "topics", s.knowledge.n_topics))
    for path, what, count in tables:
        if n * count > MAX_PAIRS:
            out.append(
                (
                    path,
                    f"population.n_agents x {what} must be at most 2^34 = {MAX_PAIRS} pairs "
                    f"(got {n} x {count} = {n * count:.3g}): fewer learners or {what}",
                )
            )
    return out


def _network_problems(s: Scenario) -> list[tuple[str, str]]:
    """The starting network's parameters against the population size."""
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
            # Same count as `sim.world.network`'s clustered generator, which refuses more bridges
            # than there are pairs of learners in different groups.
            size, extra = divmod(n, net.n_groups)
            within = (net.n_groups - extra) * size * (size - 1) // 2
            within += extra * (size + 1) * size // 2
            n_cross = n * (n - 1) // 2 - within
            bridges = net.bridges_per_agent * n / 2  # as the generator rounds it, unless huge
            if bridges > n_cross + 1 or int(round(bridges)) > n_cross:
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
    return out


def _item_class_problems(s: Scenario) -> list[tuple[str, str]]:
    """Each item class's name and seeding against the population and its groups."""
    out: list[tuple[str, str]] = []
    n, net, g = s.population.n_agents, s.network, s.network.generator
    k = s.knowledge
    names = [c.name for c in k.item_classes]
    for i, c in enumerate(k.item_classes):
        where = f"knowledge.item_classes.{i}"
        if names.count(c.name) > 1:
            out.append((f"{where}.name", f"class names must be unique ('{c.name}' repeats)"))
        out += _misconception_problems(s, i)
        sd = c.seeding
        if sd.agents is not None:
            # edge_list: the file's node ids, checked when the file is read.
            bad = []
            if g != Generator.EDGE_LIST:
                bad = [a for a in sd.agents if not isinstance(a, int) or not 0 <= a < n]
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
    return out


def _misconception_problems(s: Scenario, i: int) -> list[tuple[str, str]]:
    """A misconception class names another, correct class with as many items."""
    classes = s.knowledge.item_classes
    c, where = classes[i], f"knowledge.item_classes.{i}.misconception_of"
    if c.misconception_of is None:
        return []
    by_name = {x.name: x for x in classes}
    rival = by_name.get(c.misconception_of)
    others = [x.name for x in classes if x.misconception_of is None and x.name != c.name]
    if rival is None or rival is c or rival.misconception_of is not None:
        names = ", ".join(_clip(x) for x in others[:5]) + (", ..." if len(others) > 5 else "")
        got = _clip(c.misconception_of)
        return [(where, f"must name a class of correct items: one of [{names}] (got '{got}')")]
    if rival.n_items != c.n_items:
        return [
            (
                where,
                f"class '{c.name}' needs as many items as '{rival.name}' ({rival.n_items}), "
                f"one misconception per correct item (got {c.n_items})",
            )
        ]
    return []


def _clip(name: str, limit: int = 40) -> str:
    """A class name for a message, cut to `limit` characters."""
    return name if len(name) <= limit else name[: limit - 3] + "..."


def _other_problems(s: Scenario) -> list[tuple[str, str]]:
    """Interests, community topics, bandwidth and tie-strength settings that must agree."""
    out: list[tuple[str, str]] = []
    k = s.knowledge
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
