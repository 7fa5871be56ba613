"""The learners' state at the start of a run: items, traits, membership and the first holders.

MODEL.md 'Entities': a learner has an activity level (heavy-tailed, so super users exist),
helpfulness, interests over topics and group membership; a knowledge item belongs to a topic
and an item class (complexity, sources required) and starts with a few seed holders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.kinds import SeedStrategy
from sim.scenario.schema import Scenario
from sim.world.graph_files import learner_indices


@dataclass(frozen=True)
class Items:
    """The knowledge items of a scenario, class by class.

    Attributes:
        class_names: name of each item class, in file order.
        item_class: class index per item.
        item_topic: topic per item (items are dealt to topics in turn).
        complexity: per item, in [0, 1): how hard it is to learn deeply.
        sources_required: per item, the tied holders a share needs to teach (1 = simple).
        rival: per item of a misconception class (`misconception_of`), the correct item it
            is a wrong version of; -1 for a correct item. A misconception is on its rival's
            topic.
    """

    class_names: list[str]
    item_class: np.ndarray
    item_topic: np.ndarray
    complexity: np.ndarray
    sources_required: np.ndarray
    rival: np.ndarray

    @classmethod
    def from_scenario(cls, sc: Scenario) -> Items:
        """The items of the scenario's knowledge section."""
        k = sc.knowledge
        classes = k.item_classes
        item_class = np.repeat(np.arange(len(classes)), [c.n_items for c in classes])
        first = np.cumsum([0] + [c.n_items for c in classes])
        by_name = {c.name: i for i, c in enumerate(classes)}
        rival = np.full(len(item_class), -1, dtype=np.int64)
        for i, c in enumerate(classes):
            if c.misconception_of is not None:
                j = by_name[c.misconception_of]
                rival[first[i] : first[i + 1]] = np.arange(first[j], first[j + 1])
        topic = np.arange(len(item_class)) % k.n_topics
        wrong = rival >= 0
        topic[wrong] = topic[rival[wrong]]
        return cls(
            class_names=[c.name for c in classes],
            item_class=item_class,
            item_topic=topic,
            complexity=np.array([classes[c].complexity for c in item_class]),
            sources_required=np.array([classes[c].sources_required for c in item_class]),
            rival=rival,
        )

    @property
    def n_items(self) -> int:
        """Number of items over all classes."""
        return len(self.item_class)


@dataclass
class Traits:
    """Per-learner traits drawn at the start of a run.

    Attributes:
        activity: multiplies p_share and p_ask; log-normal with mean exactly 1.
        helpfulness: probability of answering, before tie effects, in [0, 1].
        interest: per (learner, topic), bool.
        member: community membership.
    """

    activity: np.ndarray
    helpfulness: np.ndarray
    interest: np.ndarray
    member: np.ndarray


def draw_traits(
    sc: Scenario,
    n: int,
    traits_rng: np.random.Generator,
    interests_rng: np.random.Generator,
    member: np.ndarray | None = None,
) -> Traits:
    """Draw the traits of `n` learners.

    Activity and helpfulness from `traits_rng`; interests, then membership, from
    `interests_rng` (community members share the community's topics), so that scenarios
    with and without a community have the same activity, helpfulness and interests.
    `member`, when given (a network file's membership, `FileNetwork.member`), replaces the
    drawn membership of an enabled community; the draw is still made, so every stream
    stays as it is.
    """
    rng = traits_rng
    pop = sc.population
    sigma = pop.activity_sigma
    # Log-normal with mean exactly 1: exp(sigma Z - sigma^2 / 2).
    activity = np.exp(sigma * rng.standard_normal(n) - sigma * sigma / 2.0)
    if pop.helpfulness_concentration is None:
        helpfulness = np.full(n, pop.helpfulness_mean)
    else:
        mu, c = pop.helpfulness_mean, pop.helpfulness_concentration
        mu = min(max(mu, 1e-9), 1 - 1e-9)
        helpfulness = rng.beta(mu * c, (1.0 - mu) * c, size=n)
    rng = interests_rng
    n_topics = sc.knowledge.n_topics
    interest = np.zeros((n, n_topics), dtype=bool)
    if pop.n_interests > 0:
        # The first n_interests columns of a random permutation per agent.
        perm = np.argsort(rng.random((n, n_topics)), axis=1)[:, : pop.n_interests]
        np.put_along_axis(interest, perm, True, axis=1)
    cm = sc.community
    given, member = member, np.zeros(n, dtype=bool)
    if cm.enabled:
        n_members = int(round(cm.share_members * n))
        member[rng.choice(n, n_members, replace=False)] = True
        if given is not None:
            member = np.array(given, dtype=bool)
        interest[np.ix_(member, np.asarray(cm.topics, dtype=np.int64))] = True
    return Traits(activity, helpfulness, interest, member)


def seed_knowledge(
    sc: Scenario,
    n: int,
    degree: np.ndarray,
    group: np.ndarray,
    rng: np.random.Generator,
    ids: np.ndarray | None = None,
) -> np.ndarray:
    """The starting mastery per (learner, item), float32: each item's seed holders.

    Args:
        sc: the scenario (its knowledge section's item classes and seeding).
        n: number of learners.
        degree: ties per learner (the `hubs` strategy seeds the best connected).
        group: group per learner (`one_group` seeds group 0).
        rng: the seeding stream of the run.
        ids: the network file's id of each learner when its ids were renumbered
            (`FileNetwork.ids`); explicit `seeding.agents` then name file ids.
    """
    knowledge = np.zeros((n, sc.n_items), dtype=np.float32)
    first = 0
    for cls in sc.knowledge.item_classes:
        sd = cls.seeding
        named = None if sd.agents is None else learner_indices(sd.agents, ids)
        for item in range(first, first + cls.n_items):
            if named is not None:
                holders = named
            elif sd.strategy == SeedStrategy.RANDOM:
                holders = rng.choice(n, sd.n_holders, replace=False)
            elif sd.strategy == SeedStrategy.HUBS:
                # Highest degree first; equal degrees by agent id, so hubs are the same
                # agents for every item of the class.
                holders = np.lexsort((np.arange(n), -degree))[: sd.n_holders]
            else:  # one_group: group 0
                pool = np.flatnonzero(group == 0)
                holders = rng.choice(pool, sd.n_holders, replace=False)
            knowledge[holders, item] = sd.level
        first += cls.n_items
    return knowledge


def propensity(p: float, activity: np.ndarray, same: bool) -> np.ndarray:
    """Per learner ``min(p * activity, 1)``: one value seen as an array when `same`.

    With equal activity (activity_sigma 0, `same`) it holds no memory per learner. The model
    works these out each step rather than keeping them: 16 B per learner of its state when
    activity varies, for a multiplication per learner and step.
    """
    if not same:
        return np.minimum(p * activity, 1.0)
    return np.broadcast_to(np.minimum(p * activity[:1], 1.0), activity.shape)


def owned_nbytes(objs: list[object], seen: set[int]) -> int:
    """Bytes of the numpy arrays held as attributes of `objs`, each memory block once.

    An array that views another counts as its base; blocks already in `seen` (ids of base
    arrays, updated here) are not counted again.
    """
    total = 0
    for obj in objs:
        for x in vars(obj).values():
            if not isinstance(x, np.ndarray):
                continue
            while isinstance(x.base, np.ndarray):
                x = x.base
            if id(x) not in seen:
                seen.add(id(x))
                total += x.nbytes
    return total
