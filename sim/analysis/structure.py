"""Granovetter's structural question on a tie network: which ties hold it together?

Remove ties weakest-first or strongest-first and follow the largest component (Onnela et
al. 2007, Fig. 4). If removing the weak ties breaks the network apart sooner than removing
the strong ones, the weak ties are the bridges (Granovetter 1973). The same can be done by
the topological overlap of each tie's neighbourhoods instead of its strength (`tie_overlap`,
Onnela et al. 2007, Fig. 4B): low overlap marks a bridge whatever the tie's strength.

Ties of equal strength are removed in a random order (a seeded generator), not in table
order: with few strength levels (generated networks have two, strong and bridge), table
order would strip off the communities one after another by learner index. The whole curve
(every number of removed ties) is computed in one pass, by adding the ties back in reverse
order with a union-find (Newman & Ziff 2000); it is then reported on a grid and, near the
collapse, at every single removal.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

ORDERS = ("weak_first", "strong_first")
"""Removal by tie strength."""

OVERLAP_ORDERS = ("low_overlap_first", "high_overlap_first")
"""Removal by the overlap of the neighbourhoods at the tie's two ends (`tie_overlap`)."""

ALL_ORDERS = ORDERS + OVERLAP_ORDERS

GRID_STEP = 0.0025
"""Default spacing of the reported shares of ties removed (401 points from 0 to 1)."""

REFINE_STEPS = 2
"""Grid steps either side of the susceptibility peak reported at every single removal."""


def component_sizes(u: np.ndarray, v: np.ndarray, n_agents: int) -> np.ndarray:
    """Sizes of the connected components of the graph with these ties (isolates count)."""
    a = sp.coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n_agents, n_agents))
    _, labels = connected_components(a.tocsr(), directed=False)
    return np.bincount(labels)


def tie_overlap(u: np.ndarray, v: np.ndarray, n_agents: int) -> np.ndarray:
    """The topological overlap of each tie: the share of its ends' neighbours they share.

    O_ij = n_ij / ((k_i - 1) + (k_j - 1) - n_ij), with n_ij the common neighbours of i and j
    and k the degrees: 0 when i and j share no neighbour, 1 when each neighbour of one is a
    neighbour of the other. A tie whose ends have no other neighbour (0 / 0) counts 0.

    References:
        Onnela, J.-P. et al. (2007). Structure and tie strengths in mobile communication
        networks. PNAS 104(18), 7332-7336 (the overlap O_ij, and removal by it in Fig. 4).

    Args:
        u: first endpoint of each tie (distinct unordered pairs, no self-ties).
        v: second endpoint of each tie.
        n_agents: number of learners.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    ones = np.ones(2 * len(u), dtype=np.int8)
    a = sp.csr_matrix(
        (ones, (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n_agents, n_agents)
    )
    a.sort_indices()
    common = _common_neighbours(a.indptr.astype(np.int64), a.indices.astype(np.int64), u, v)
    degree = np.diff(a.indptr)
    others = (degree[u] - 1) + (degree[v] - 1) - common
    return np.divide(common, others, out=np.zeros(len(u)), where=others > 0)


@numba.njit(cache=True)
def _common_neighbours(indptr, indices, u, v):  # pragma: no cover - compiled
    """For each tie (u[t], v[t]), the neighbours both ends have (rows sorted: one merge)."""
    out = np.zeros(len(u), np.int64)
    for t in range(len(u)):
        i, i_end = indptr[u[t]], indptr[u[t] + 1]
        j, j_end = indptr[v[t]], indptr[v[t] + 1]
        while i < i_end and j < j_end:
            a, b = indices[i], indices[j]
            if a == b:
                out[t] += 1
                i += 1
                j += 1
            elif a < b:
                i += 1
            else:
                j += 1
    return out


def removal_order(
    values: np.ndarray,
    order: str = "weak_first",
    seed: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """The ties in the order they are removed: by strength (or overlap), ties at random.

    Args:
        values: the ranking key of each tie: its strength for `ORDERS`, its overlap
            (`tie_overlap`) for `OVERLAP_ORDERS`.
        order: `weak_first` or `low_overlap_first` (smallest first), `strong_first` or
            `high_overlap_first` (largest first).
        seed: seed or numpy Generator for the order among equal values (networkx style;
            the default fixed seed makes a call reproducible, None draws fresh entropy).

    Returns:
        Tie indices, the first removed first. Each order of the ties within a group of equal
        values is equally likely.
    """
    if order not in ALL_ORDERS:
        raise ValueError(f"order must be one of {ALL_ORDERS} (got {order!r})")
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    key = values if order in ("weak_first", "low_overlap_first") else -values
    # A uniformly random permutation as the secondary key breaks ties uniformly.
    return np.lexsort((rng.permutation(len(values)), key))


@numba.njit(cache=True)
def _states(u, v, ranked, n_agents):  # pragma: no cover - compiled
    """Largest component and summed squared component sizes after removing k ties, every k.

    The graph after removing the first k ranked ties holds ties ranked[k:]; adding the ties
    back from the last removed to the first gives every k in one union-find pass.

    Returns:
        (largest, sum_sq): int64 arrays of length len(ranked) + 1, indexed by k.
    """
    m = len(ranked)
    parent = np.arange(n_agents)
    size = np.ones(n_agents, np.int64)
    largest = np.zeros(m + 1, np.int64)
    sum_sq = np.zeros(m + 1, np.int64)
    big = 1 if n_agents > 0 else 0
    sq = np.int64(n_agents)
    largest[m], sum_sq[m] = big, sq
    for k in range(m - 1, -1, -1):
        t = ranked[k]
        a, b = u[t], v[t]
        while parent[a] != a:  # find, halving the path
            parent[a] = parent[parent[a]]
            a = parent[a]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a != b:
            if size[a] < size[b]:
                a, b = b, a
            sq += 2 * size[a] * size[b]  # (x + y)^2 - x^2 - y^2
            parent[b] = a
            size[a] += size[b]
            big = max(big, size[a])
        largest[k], sum_sq[k] = big, sq
    return largest, sum_sq


def removal_curve(
    u: np.ndarray,
    v: np.ndarray,
    strength: np.ndarray,
    n_agents: int,
    order: str = "weak_first",
    fractions: np.ndarray | None = None,
    *,
    seed: int | np.random.Generator | None = 0,
    step: float = GRID_STEP,
    refine: int = REFINE_STEPS,
) -> pd.DataFrame:
    """The largest component as ties are removed in order of strength (or of overlap).

    The curve is measured on a grid of shares of ties removed (removing `round(f * m)` of
    the m ties at share f), and, to locate the collapse, at every single removal within
    `refine` grid steps of the grid's susceptibility peak (its first maximum).

    Args:
        u: first endpoint of each tie.
        v: second endpoint of each tie.
        strength: tie strengths.
        n_agents: number of learners.
        order: `weak_first` or `strong_first` (by strength), `low_overlap_first` or
            `high_overlap_first` (by `tie_overlap`, computed here); equal values in a random
            order (`removal_order`).
        fractions: shares of ties removed at which to measure, the grid (default 0, `step`,
            ..., 1).
        seed: seed or numpy Generator for the order among equal strengths (networkx style;
            the default fixed seed makes a call reproducible).
        step: spacing of the default grid; 1 / step is rounded to a whole number of steps.
        refine: grid steps either side of the peak measured at every removal; 0 = grid only.

    Returns:
        One row per measurement, by share removed (grid rows first among equal shares):
        `order`; `fraction_removed` (the grid share, or n_removed / m off the grid);
        `share_largest_component` (R_GC in Onnela et al.); `susceptibility` (sum of
        s^2 n_s / n_agents over the components other than the largest, which peaks where
        the network falls apart); `n_removed` (ties removed); `n_ties` (m); `on_grid`
        (False for the refinement rows: their shares differ between networks, so average
        curves over the grid rows).
    """
    key = tie_overlap(u, v, n_agents) if order in OVERLAP_ORDERS else strength
    ranked = removal_order(key, order, seed)
    if fractions is None:
        if not 0.0 < step <= 1.0:
            raise ValueError(f"step must be in (0, 1] (got {step})")
        n_steps = max(int(round(1.0 / step)), 1)
        fractions = np.arange(n_steps + 1) / n_steps
    fractions = np.asarray(fractions, dtype=np.float64)
    m = len(ranked)
    largest, sum_sq = _states(
        np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64), ranked, int(n_agents)
    )
    chi = (sum_sq - largest.astype(np.float64) ** 2) / n_agents

    grid = np.rint(fractions * m).astype(np.int64)
    extra = np.zeros(0, dtype=np.int64)
    if refine > 0 and len(grid):
        by_share = np.argsort(fractions, kind="stable")
        g = grid[by_share]
        peak = int(np.argmax(chi[g]))
        lo, hi = g[max(peak - refine, 0)], g[min(peak + refine, len(g) - 1)]
        extra = np.setdiff1d(np.arange(lo, hi + 1), grid)
    counts = np.concatenate([grid, extra])
    share = np.concatenate([fractions, extra / m if m else extra.astype(np.float64)])
    on_grid = np.arange(len(counts)) < len(grid)
    rows = np.argsort(share, kind="stable")
    counts, share, on_grid = counts[rows], share[rows], on_grid[rows]
    return pd.DataFrame(
        {
            "order": order,
            "fraction_removed": share,
            "share_largest_component": largest[counts] / n_agents,
            "susceptibility": chi[counts],
            "n_removed": counts,
            "n_ties": m,
            "on_grid": on_grid,
        }
    )


def collapse_fraction(curve: pd.DataFrame) -> float:
    """Share of ties removed at the susceptibility peak of one removal curve (the collapse).

    The first maximum over all rows, refinement rows included, by number of ties removed;
    the share is exact (`n_removed / n_ties`), not the grid share.

    Args:
        curve: the rows of one `removal_curve` call (one order, one network).
    """
    if curve["order"].nunique() > 1:
        raise ValueError("collapse_fraction takes the curve of one order")
    ranked = curve.sort_values("n_removed", kind="stable")
    at = ranked.iloc[int(np.argmax(ranked["susceptibility"].to_numpy()))]
    return float(at["n_removed"] / at["n_ties"]) if at["n_ties"] else 0.0
