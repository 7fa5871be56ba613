"""Builds the starting tie network and its initial tie strengths for each generator.

Every generator returns a `StartNetwork`: one row per undirected tie ``(u, v)`` with
``u < v``, no self-loops, no repeated ties, sorted by ``(u, v)``, plus a group id per agent.
All randomness comes from the ``rng`` passed in, so the same generator state gives the same
network. The generators for large populations (ring lattice, Watts-Strogatz, Erdos-Renyi,
clustered, random regular) are array code with no loop over agents.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import numba
import numpy as np

from sim.scenario.kinds import Generator
from sim.scenario.schema import NetworkConfig

__all__ = ["StartNetwork", "build_network"]

# Rounds of vectorised re-drawing before the few leftover conflicts are settled one by one;
# in sparse graphs a round leaves a share of about degree / n_agents of the draws in conflict.
_MAX_REDRAW_ROUNDS = 20
# Repair rounds of the random-regular configuration model before the switch chain; from degree
# / n_agents = _DENSE_REGULAR on (n_agents >= 100) the repair never succeeded in trials (0 of
# 36, n_agents 100 to 1000), so the chain runs at once. _SWITCHES_PER_TIE: attempts per tie.
_MAX_REPAIR_ROUNDS, _DENSE_REGULAR, _SWITCHES_PER_TIE = 1000, 0.36, 10


@dataclass(frozen=True, eq=False)
class StartNetwork:
    """The starting tie network: one entry per undirected tie, plus a group per agent.

    Attributes:
        u: lower endpoint of each tie (agent index), int64.
        v: higher endpoint of each tie (agent index, ``u < v``), int64.
        strength: initial strength of each tie, float64 in (0, 1].
        group: group id of each agent (``len == n_agents``), int64; the block of the
            ``clustered`` generator, 0 for every agent under the other generators.

    Ties are unique, have no self-loops and are sorted by ``(u, v)``.
    """

    u: np.ndarray
    v: np.ndarray
    strength: np.ndarray
    group: np.ndarray

    @property
    def n_agents(self) -> int:
        """Number of agents (nodes), including agents without ties."""
        return int(self.group.shape[0])

    @property
    def n_ties(self) -> int:
        """Number of undirected ties."""
        return int(self.u.shape[0])

    def degrees(self) -> np.ndarray:
        """Number of ties of each agent, an int64 array of length `n_agents`."""
        ends = np.concatenate([self.u, self.v])
        return np.bincount(ends, minlength=self.n_agents).astype(np.int64)


def build_network(cfg: NetworkConfig, n_agents: int, rng: np.random.Generator) -> StartNetwork:
    """Build the starting network of a run from its network section.

    Args:
        cfg: the validated ``network`` section of the scenario.
        n_agents: number of agents (nodes), at least 1.
        rng: the run's random generator; the only source of randomness, so the same
            generator state gives an identical network.

    Returns:
        The ties (sorted, ``u < v``), their initial strengths and each agent's group.

    Raises:
        ValueError: if the parameters cannot give a network of `n_agents` agents (the
            scenario schema reports these before a run starts), or for generator edge_list
            (a file: `sim.world.edge_list.read_start_network`).
    """
    net = _build(cfg, n_agents, rng)
    spread = cfg.strength_spread
    if spread > 0 and Generator(cfg.generator) != Generator.EDGE_LIST and net.n_ties:
        # Heterogeneous initial strengths, so that identical ties do not all cross the strong
        # threshold in the same step as they decay.
        factor = rng.uniform(1.0 - spread, 1.0 + spread, net.n_ties)
        strength = np.minimum(net.strength * factor, 1.0)
        net = StartNetwork(u=net.u, v=net.v, strength=strength, group=net.group)
    return net


def _build(cfg: NetworkConfig, n_agents: int, rng: np.random.Generator) -> StartNetwork:
    n = int(n_agents)
    if n < 1:
        raise ValueError(f"n_agents must be at least 1 (got {n})")
    gen = Generator(cfg.generator)
    group = np.zeros(n, dtype=np.int64)
    if gen == Generator.CLUSTERED:
        return _clustered(cfg, n, rng)
    if gen == Generator.EDGE_LIST:
        raise ValueError("generator edge_list: read the file with sim.world.edge_list")
    u, v = _GENERATORS[gen](cfg, n, rng)
    u, v = _sorted_ties(u, v, n)
    return StartNetwork(u=u, v=v, strength=np.full(u.shape[0], float(cfg.strength)), group=group)


# ---------------------------------------------------------------------------------------------
# Generators. Each takes (cfg, n, rng) and returns endpoint arrays of unique simple ties in
# any order and orientation; `build_network` sorts them.

_Ties = tuple[np.ndarray, np.ndarray]


def _empty(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> _Ties:
    return _no_ties()


def _complete(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> _Ties:
    u, v = np.triu_indices(n, k=1)
    return u.astype(np.int64), v.astype(np.int64)


def _ring_lattice(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> _Ties:
    """Each agent tied to its ``degree / 2`` nearest neighbours on either side of a ring."""
    _check_lattice_degree(cfg.degree, n)
    return _lattice(n, cfg.degree // 2)


def _watts_strogatz(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> _Ties:
    """Ring lattice with each tie rewired at one end with probability ``p_rewire``.

    Follows Watts & Strogatz (1998) as ``networkx.watts_strogatz_graph`` does: lattice tie
    ``(i, i + j)`` is rewired with probability ``p_rewire`` to ``(i, w)``, with ``w`` uniform
    among the agents that would make neither a self-loop nor a repeated tie; an agent tied to
    every other keeps its tie. The number of ties is preserved and agent ``i`` keeps the
    ``degree / 2`` ties it rewires from. networkx rewires one tie at a time; here all draws are
    made at once and conflicts re-drawn, and a rewired tie never lands on a lattice position
    (networkx allows positions vacated by earlier rewiring, a difference of order
    ``degree / n_agents`` per tie).

    References:
        Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of 'small-world'
        networks. Nature 393, 440-442.
    """
    _check_lattice_degree(cfg.degree, n)
    h = cfg.degree // 2
    u, v = _lattice(n, h)
    if h == 0 or cfg.p_rewire == 0:
        return u, v
    rewired = np.flatnonzero(rng.random(u.shape[0]) < cfg.p_rewire)
    v = v.copy()
    v[rewired] = _rewire_targets(u[rewired], v[rewired], n, h, rng)
    return u, v


def _erdos_renyi(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> _Ties:
    """G(n, p) with ``p = degree / (n - 1)``, so the expected degree is ``degree``.

    The number of ties is drawn as Binomial(n (n - 1) / 2, p) and that many distinct pairs are
    drawn uniformly, which is the same distribution as testing every pair (Erdos & Renyi 1959;
    Gilbert 1959) but costs time in the number of ties, not pairs.

    References:
        Erdos, P. & Renyi, A. (1959). On random graphs I. Publicationes Mathematicae 6,
        290-297. Gilbert, E. N. (1959). Random graphs. Ann. Math. Statist. 30, 1141-1144.
    """
    if n < 2 or cfg.degree == 0:
        return _no_ties()
    if cfg.degree > n - 1:
        raise ValueError(f"erdos_renyi: degree must be at most n_agents - 1 ({n - 1})")
    p = cfg.degree / (n - 1)
    pairs = _bernoulli_subset(n * (n - 1) // 2, p, rng)
    return _decode_pairs(pairs, np.int64(n))


def _random_regular(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> _Ties:
    """Every agent has exactly ``degree`` ties; see `_regular_ties`."""
    d = cfg.degree
    if d >= n or (n * d) % 2:
        raise ValueError(f"random_regular: degree must be < n_agents ({n}), degree * n_agents even")
    return _regular_ties(n, d, rng)


def _barabasi_albert(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> _Ties:
    """Preferential attachment with ``m = degree // 2`` ties per new agent.

    Uses ``networkx.barabasi_albert_graph`` (a star on ``m + 1`` agents, then each new agent
    ties to ``m`` distinct existing agents chosen with probability proportional to degree),
    seeded from `rng`; it has exactly ``m * (n - m)`` ties.

    References:
        Barabasi, A.-L. & Albert, R. (1999). Emergence of scaling in random networks.
        Science 286, 509-512.
    """
    m = cfg.degree // 2
    if not 1 <= m < n:
        raise ValueError(f"barabasi_albert: needs 1 <= degree // 2 < n_agents (got m = {m})")
    graph = nx.barabasi_albert_graph(n, m, seed=int(rng.integers(2**31)))
    ends = itertools.chain.from_iterable(graph.edges())
    flat = np.fromiter(ends, dtype=np.int64, count=2 * graph.number_of_edges())
    return flat[0::2], flat[1::2]


def _clustered(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> StartNetwork:
    """Dense groups of strong ties joined by random weak bridges (Granovetter 1973).

    Agents are split into ``n_groups`` contiguous blocks of equal size, the remainder going
    one each to the first blocks. Two members of a block are tied with probability
    ``p_within`` (a stochastic block model, Holland, Laskey & Leinhardt 1983, with no ties
    between blocks). Then ``round(bridges_per_agent * n / 2)`` distinct ties between agents of
    different blocks are drawn uniformly (as if both ends were drawn uniformly and same-block
    or repeated pairs were drawn again), so an agent has ``bridges_per_agent`` bridges on
    average.

    References:
        Granovetter, M. S. (1973). The strength of weak ties. American Journal of Sociology
        78, 1360-1380. Holland, P. W., Laskey, K. B. & Leinhardt, S. (1983). Stochastic
        blockmodels: first steps. Social Networks 5, 109-137.
    """
    n_groups = cfg.n_groups
    if n_groups > n:
        raise ValueError(f"clustered: n_groups must be at most n_agents ({n})")
    sizes = np.full(n_groups, n // n_groups, dtype=np.int64)
    sizes[: n % n_groups] += 1
    ends = np.cumsum(sizes)
    starts = ends - sizes
    group = np.repeat(np.arange(n_groups, dtype=np.int64), sizes)

    # Within-block pairs are numbered block by block, each block's in (a, b) order.
    block_pairs = sizes * (sizes - 1) // 2
    first_pair = np.concatenate([[0], np.cumsum(block_pairs)])
    picked = _bernoulli_subset(int(first_pair[-1]), cfg.p_within, rng)
    block = np.searchsorted(first_pair, picked, side="right") - 1
    a, b = _decode_pairs(picked - first_pair[block], sizes[block])
    within_u, within_v = starts[block] + a, starts[block] + b

    # Cross-block pairs (u, v > u) are numbered agent by agent: agent u in block g pairs with
    # every agent from the end of g on, so a uniform draw of pair numbers is a uniform draw of
    # distinct cross-block pairs with no rejection step.
    n_bridges = int(round(cfg.bridges_per_agent * n / 2))
    partners = n - ends[group]
    first_bridge = np.concatenate([[0], np.cumsum(partners)])
    n_cross = int(first_bridge[-1])
    if n_bridges > n_cross:
        raise ValueError(
            f"clustered: {n_bridges} bridges requested but only {n_cross} pairs of agents "
            "in different groups exist; lower bridges_per_agent"
        )
    picked = np.sort(rng.choice(n_cross, size=n_bridges, replace=False, shuffle=False))
    bridge_u = np.searchsorted(first_bridge, picked, side="right") - 1
    bridge_v = ends[group[bridge_u]] + (picked - first_bridge[bridge_u])

    u = np.concatenate([within_u, bridge_u]).astype(np.int64)
    v = np.concatenate([within_v, bridge_v]).astype(np.int64)
    strength = np.concatenate(
        [np.full(within_u.shape[0], float(cfg.strength)), np.full(n_bridges, cfg.bridge_strength)]
    )
    order = np.argsort(u * np.int64(n) + v, kind="stable")
    return StartNetwork(u=u[order], v=v[order], strength=strength[order], group=group)


_GENERATORS: dict[Generator, Callable[[NetworkConfig, int, np.random.Generator], _Ties]] = {
    Generator.RING_LATTICE: _ring_lattice,
    Generator.WATTS_STROGATZ: _watts_strogatz,
    Generator.ERDOS_RENYI: _erdos_renyi,
    Generator.RANDOM_REGULAR: _random_regular,
    Generator.BARABASI_ALBERT: _barabasi_albert,
    Generator.COMPLETE: _complete,
    Generator.EMPTY: _empty,
}


# ---------------------------------------------------------------------------------------------
# Helpers


def _no_ties() -> _Ties:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


def _check_lattice_degree(degree: int, n: int) -> None:
    if degree % 2 or degree >= n:
        raise ValueError(f"degree must be even and less than n_agents ({n}) (got {degree})")


def _lattice(n: int, h: int) -> _Ties:
    """Ties ``(i, (i + j) mod n)`` for ``j = 1..h``, in networkx order (j outer, i inner)."""
    u = np.tile(np.arange(n, dtype=np.int64), h)
    v = (u + np.repeat(np.arange(1, h + 1, dtype=np.int64), n)) % n
    return u, v


def _sorted_ties(u: np.ndarray, v: np.ndarray, n: int) -> _Ties:
    """Orient ties as ``u < v`` and sort them by ``(u, v)``."""
    lo = np.minimum(u, v).astype(np.int64)
    hi = np.maximum(u, v).astype(np.int64)
    key = lo * np.int64(n) + hi
    # Some generators (complete, erdos_renyi) already give sorted ties; skip the sort.
    if np.all(key[1:] > key[:-1]):
        return lo, hi
    key.sort()
    return key // n, key % n


def _bernoulli_subset(n_pairs: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted numbers in ``[0, n_pairs)``, each present independently with probability `p`.

    Drawing the count from a binomial and then that many distinct numbers uniformly has the
    same distribution as one coin per number, in time proportional to the count.
    """
    if n_pairs == 0 or p == 0:
        return np.zeros(0, dtype=np.int64)
    if p == 1:
        return np.arange(n_pairs, dtype=np.int64)
    count = int(rng.binomial(n_pairs, p))
    return np.sort(rng.choice(n_pairs, size=count, replace=False, shuffle=False))


def _decode_pairs(k: np.ndarray, size: np.ndarray | np.int64) -> _Ties:
    """Invert the row-major numbering of pairs ``a < b`` among `size` nodes.

    Pair ``(a, b)`` has number ``a * (2 * size - a - 1) / 2 + (b - a - 1)``, so numbers in
    increasing order give pairs sorted by ``(a, b)``. The square root gives ``a`` up to
    rounding; the two correction passes make it exact. Every number must be in
    ``[0, size * (size - 1) / 2)``.
    """
    k = np.asarray(k, dtype=np.int64)
    s = np.broadcast_to(np.asarray(size, dtype=np.int64), k.shape)
    if k.size == 0:
        return k.copy(), k.copy()
    c = 2.0 * s - 1.0
    a = np.floor((c - np.sqrt(np.maximum(c * c - 8.0 * k, 0.0))) / 2.0).astype(np.int64)
    a = np.clip(a, 0, np.maximum(s - 2, 0))

    def row_start(x: np.ndarray) -> np.ndarray:
        return x * (2 * s - x - 1) // 2

    while True:
        too_low = row_start(a + 1) <= k
        if not too_low.any():
            break
        a += too_low
    while True:
        too_high = row_start(a) > k
        if not too_high.any():
            break
        a -= too_high
    b = k - row_start(a) + a + 1
    return a, b


def _rewire_targets(
    u: np.ndarray, v: np.ndarray, n: int, h: int, rng: np.random.Generator
) -> np.ndarray:
    """New far ends for the rewired lattice ties ``(u, v)`` of a Watts-Strogatz graph.

    A draw ``w`` is refused if ``(u, w)`` is a self-loop, a lattice position (which covers
    every kept tie and ``w == v``) or a tie already drawn; refused ties are drawn again.
    """
    n64 = np.int64(n)
    new = v.copy()
    taken = np.zeros(0, dtype=np.int64)
    pending = np.arange(u.shape[0])
    for _ in range(_MAX_REDRAW_ROUNDS):
        if pending.size == 0:
            return new
        w = rng.integers(0, n, size=pending.size)
        uu = u[pending]
        lo, hi = np.minimum(uu, w), np.maximum(uu, w)
        gap = hi - lo
        ok = (gap != 0) & (np.minimum(gap, n - gap) > h)
        key = lo * n64 + hi
        ok &= ~_in_sorted(key, taken)
        # Of several draws landing on the same new tie, the first (in networkx order) wins.
        ok_at = np.flatnonzero(ok)
        fresh, first = np.unique(key[ok_at], return_index=True)
        accepted = np.zeros(pending.size, dtype=bool)
        accepted[ok_at[first]] = True
        new[pending[accepted]] = w[accepted]
        taken = np.sort(np.concatenate([taken, fresh]))
        pending = pending[~accepted]

    # Left only in dense graphs, where few or no ends are free: settle these one at a time.
    taken_set = set(taken.tolist())
    for t in pending.tolist():
        x = int(u[t])
        blocked = np.zeros(n, dtype=bool)
        blocked[(x + np.arange(-h, h + 1)) % n] = True
        for key in taken_set:
            lo, hi = divmod(key, n)
            if lo == x:
                blocked[hi] = True
            elif hi == x:
                blocked[lo] = True
        free = np.flatnonzero(~blocked)
        if free.size:
            w = int(free[rng.integers(free.size)])
            new[t] = w
            taken_set.add(min(x, w) * n + max(x, w))
        # else: the agent is tied to everyone else and keeps its lattice tie, as in networkx.
    return new


def _in_sorted(values: np.ndarray, sorted_array: np.ndarray) -> np.ndarray:
    """Boolean mask: which `values` occur in the sorted array `sorted_array`."""
    if sorted_array.size == 0:
        return np.zeros(values.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_array, values), sorted_array.size - 1)
    return sorted_array[pos] == values


def _regular_ties(n: int, d: int, rng: np.random.Generator) -> _Ties:
    """A random simple d-regular graph: configuration model with repair.

    The configuration model (Bollobas 1980) pairs ``n * d`` stubs at random; the pairing is
    simple with probability about ``exp(-(d**2 - 1) / 4)``, too small to retry until success,
    so instead the few self-loops and repeated ties are re-paired together with as many random
    good ties, until none is left. The result is approximately uniform over d-regular graphs,
    like ``networkx.random_regular_graph`` (Steger & Wormald 1999). For ``d > (n - 1) / 2`` the
    complement of an ``(n - 1 - d)``-regular graph is returned, since dense pairings rarely
    become simple. From about ``d = n / 3`` the repair cycles: `_switched_regular` takes over.

    References:
        Bollobas, B. (1980). A probabilistic proof of an asymptotic formula for the number of
        labelled regular graphs. European Journal of Combinatorics 1, 311-316.
    """
    if d == 0:
        return _no_ties()
    if 2 * d > n - 1:
        u, v = _regular_ties(n, n - 1 - d, rng) if d < n - 1 else _no_ties()
        all_u, all_v = np.triu_indices(n, k=1)
        all_key = all_u.astype(np.int64) * n + all_v
        drop = np.sort(np.minimum(u, v) * np.int64(n) + np.maximum(u, v))
        keep = ~_in_sorted(all_key, drop)
        return all_u[keep].astype(np.int64), all_v[keep].astype(np.int64)
    if n >= 100 and d >= _DENSE_REGULAR * n:
        return _switched_regular(n, d, rng)
    stubs = rng.permutation(np.repeat(np.arange(n, dtype=np.int64), d))
    a, b = stubs[0::2].copy(), stubs[1::2].copy()
    n64 = np.int64(n)
    for _ in range(_MAX_REPAIR_ROUNDS):
        key = np.minimum(a, b) * n64 + np.maximum(a, b)
        bad = a == b
        order = np.argsort(key, kind="stable")
        repeat = np.zeros(key.size, dtype=bool)
        repeat[1:] = key[order][1:] == key[order][:-1]
        bad[order[repeat]] = True
        if not bad.any():
            return a, b
        bad_at = np.flatnonzero(bad)
        good_at = np.flatnonzero(~bad)
        # Re-pairing only the bad ties can cycle (e.g. all their stubs on one agent); mixing
        # in random good ties lets every re-pairing be reached.
        n_mix = min(good_at.size, 2 * bad_at.size + 2)
        redo = np.concatenate([bad_at, rng.choice(good_at, size=n_mix, replace=False)])
        pool = rng.permutation(np.concatenate([a[redo], b[redo]]))
        a[redo], b[redo] = pool[: redo.size], pool[redo.size :]
    return _switched_regular(n, d, rng)


def _switched_regular(n: int, d: int, rng: np.random.Generator) -> _Ties:
    """A random simple d-regular graph by the switch chain (always succeeds; dense graphs).

    From the circulant graph (the ``d // 2`` nearest agents on either side of a ring, and for
    odd d, so even n, the opposite one), `_SWITCHES_PER_TIE` attempts per tie: random ties
    (a, b), (c, e) become (a, e), (c, b) unless that makes a self-loop or a repeated tie. The
    switches keep every degree and connect all d-regular graphs (Taylor, R. 1981, Constrained
    switchings in graphs, LNM 884); the chain is symmetric, so it tends to the uniform law.
    """
    u, v = _lattice(n, d // 2)
    if d % 2:
        u, v = np.concatenate([u, np.arange(n // 2)]), np.concatenate([v, np.arange(n // 2, n)])
    u, v = np.minimum(u, v), np.maximum(u, v)
    _switch(u, v, n, _SWITCHES_PER_TIE * len(u), rng)
    return u, v


@numba.njit(cache=True)
def _switch(u, v, n, attempts, rng):  # pragma: no cover - compiled
    """Switch attempts on the simple graph of ties (u, v), u < v, in place."""
    m = len(u)
    tied = np.zeros((n * n + 7) // 8, np.uint8)  # bit u * n + v: are u < v tied?
    for t in range(m):
        tied[(u[t] * n + v[t]) >> 3] |= 1 << ((u[t] * n + v[t]) & 7)
    for _ in range(attempts):
        s, t = int(rng.random() * m), int(rng.random() * m)
        a, b, c, e = u[s], v[s], u[t], v[t]
        if rng.random() < 0.5:
            c, e = e, c
        k1, k2 = min(a, e) * n + max(a, e), min(c, b) * n + max(c, b)
        if a == e or c == b or (tied[k1 >> 3] >> (k1 & 7)) & 1 or (tied[k2 >> 3] >> (k2 & 7)) & 1:
            continue
        for k in (u[s] * n + v[s], u[t] * n + v[t], k1, k2):  # untie the old, tie the new
            tied[k >> 3] ^= 1 << (k & 7)
        u[s], v[s], u[t], v[t] = k1 // n, k1 % n, k2 // n, k2 % n
