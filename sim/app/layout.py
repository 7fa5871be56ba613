"""What the app draws of a tie network: which learners, where, and how each tie looks.

The positions are computed once, when a model is built (from its starting ties), and kept
while ties form and dissolve, so a picture differs from the previous one only by what
changed. Above `MAX_DRAWN` learners a fixed random sample of `MAX_DRAWN` is drawn (with the
ties among them), so the page stays responsive at any population size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.world.ties import TieOrigin

MAX_DRAWN = 2000
"""Most learners drawn; above this a fixed random sample of this many is drawn."""

SAMPLE_SEED = 15
"""Seed of the sample of drawn learners (the same learners for every seed of the model)."""

LAYOUT_ITERATIONS = 60
"""Iterations of the force-directed layout."""

WEAK, STRONG, COMMUNITY_WEAK, COMMUNITY_STRONG = 0, 1, 2, 3
STYLE_NAMES = ("weak", "strong", "community (weak)", "community (strong)")
"""The style of a tie, by code: weak or strong (strength against `ties.strong_threshold`), and
whether it was formed in the community (origin community or help, `TieOrigin`)."""

COMMUNITY_ORIGINS = (int(TieOrigin.COMMUNITY), int(TieOrigin.HELP))
"""Origins of a community tie: members who met in the community space, or an answer between
strangers there. A tie of the starting network stays weak/strong even between two members."""


def drawn_learners(n_agents: int, max_drawn: int = MAX_DRAWN) -> np.ndarray:
    """Indices of the learners drawn: all of them, or a fixed sorted sample of `max_drawn`."""
    if n_agents <= max_drawn:
        return np.arange(n_agents)
    rng = np.random.default_rng(SAMPLE_SEED)
    return np.sort(rng.choice(n_agents, size=max_drawn, replace=False))


def tie_styles(strength: np.ndarray, origin: np.ndarray, strong_threshold: float) -> np.ndarray:
    """The style code of each tie (`WEAK`, `STRONG`, `COMMUNITY_WEAK`, `COMMUNITY_STRONG`)."""
    strong = np.asarray(strength) >= strong_threshold
    community = np.isin(np.asarray(origin), COMMUNITY_ORIGINS)
    return (strong.astype(np.int8) + 2 * community.astype(np.int8)).astype(np.int8)


def force_layout(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    start: np.ndarray | None = None,
    seed: int = 0,
    iterations: int = LAYOUT_ITERATIONS,
) -> np.ndarray:
    """Fruchterman-Reingold positions in [0, 1]^2 of `n` nodes with edges (u, v).

    Dense (n x n repulsion per iteration, float32, as matrix products): about a second at
    2000 nodes. A weak pull
    to the centre keeps isolated learners (an empty starting network) on a disc.

    Args:
        n: number of nodes.
        u: one end of each edge, as a local index 0..n-1.
        v: the other end.
        start: starting positions (n x 2), e.g. the current ones for a new layout; default
            random.
        seed: seed of the random start.
        iterations: number of iterations (the step shrinks linearly to zero).
    """
    rng = np.random.default_rng(seed)
    pos = (rng.random((n, 2)) if start is None else np.array(start, dtype=float)).astype(np.float32)
    if n <= 1:
        return np.full((n, 2), 0.5)
    k = np.float32(1.0 / np.sqrt(n))
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    step0 = 0.1
    for it in range(iterations):
        disp = _repulsion(pos, k * k)
        d = pos[u] - pos[v]
        pull = d * (np.sqrt((d**2).sum(-1)) / k)[:, None]
        np.add.at(disp, u, -pull)
        np.add.at(disp, v, pull)
        disp -= 0.5 * (pos - pos.mean(axis=0)) * k * np.float32(n) ** 0.5
        length = np.maximum(np.sqrt((disp**2).sum(-1)), np.float32(1e-9))
        step = step0 * (1 - it / iterations)
        pos += disp * (np.minimum(length, step) / length)[:, None]
    return _normalised(pos)


def _repulsion(pos: np.ndarray, k2: np.float32) -> np.ndarray:
    """Sum over the others of (p_a - p_b) k^2 / d^2: a push of k^2 / d away from each."""
    dx = np.subtract.outer(pos[:, 0], pos[:, 0])
    dy = np.subtract.outer(pos[:, 1], pos[:, 1])
    w = dx * dx
    w += dy * dy
    np.maximum(w, np.float32(1e-6), out=w)
    np.divide(k2, w, out=w)
    np.fill_diagonal(w, 0)
    dx *= w
    dy *= w
    return np.stack([dx.sum(axis=1), dy.sum(axis=1)], axis=1)


def _normalised(pos: np.ndarray) -> np.ndarray:
    """Positions scaled into [0.02, 0.98]^2, keeping the aspect ratio."""
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    span = float(max((hi - lo).max(), 1e-9))
    return 0.02 + 0.96 * (pos - lo) / span


@dataclass
class NetworkView:
    """The drawn part of a model's tie network, with stable positions.

    Attributes:
        nodes: indices of the drawn learners (all, or a sample above `MAX_DRAWN`).
        n_agents: number of learners of the model.
        pos: position of each drawn learner (len(nodes) x 2), in [0, 1].
    """

    nodes: np.ndarray
    n_agents: int
    pos: np.ndarray

    @property
    def sampled(self) -> bool:
        """Whether only a sample of the learners is drawn."""
        return len(self.nodes) < self.n_agents

    @classmethod
    def of(cls, model, max_drawn: int = MAX_DRAWN) -> NetworkView:
        """The view of a model, laid out once on its current (starting) ties."""
        nodes = drawn_learners(model.n_agents, max_drawn)
        view = cls(nodes=nodes, n_agents=model.n_agents, pos=np.zeros((len(nodes), 2)))
        i, j, _ = view.ties(model)
        view.pos = force_layout(len(nodes), i, j, seed=SAMPLE_SEED)
        return view

    def relayout(self, model) -> None:
        """Lay the drawn learners out again on the model's current ties, from where they are."""
        i, j, _ = self.ties(model)
        self.pos = force_layout(len(self.nodes), i, j, start=self.pos, seed=SAMPLE_SEED)

    def ties(self, model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ties among the drawn learners: local endpoints and style code of each."""
        ties = model.ties
        local = np.full(self.n_agents, -1, dtype=np.int64)
        local[self.nodes] = np.arange(len(self.nodes))
        u, v = ties.ends()
        i = local[np.asarray(u, dtype=np.int64)]
        j = local[np.asarray(v, dtype=np.int64)]
        keep = (i >= 0) & (j >= 0)
        threshold = model.scenario.ties.strong_threshold
        styles = tie_styles(ties.strength[keep], ties.origin[keep], threshold)
        return i[keep], j[keep], styles

    def knowledge(self, model, item: int | None = None) -> np.ndarray:
        """Per drawn learner: mean mastery over the items, or mastery of one item."""
        know = model.knowledge[self.nodes]
        if item is None:
            return know.mean(axis=1)
        return know[:, item]
