"""Granovetter's structural question on a tie network: which ties hold it together?

Remove ties weakest-first or strongest-first and follow the largest component (Onnela et
al. 2007, Fig. 4). If removing the weak ties breaks the network apart sooner than removing
the strong ones, the weak ties are the bridges (Granovetter 1973).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

ORDERS = ("weak_first", "strong_first")


def component_sizes(u: np.ndarray, v: np.ndarray, n_agents: int) -> np.ndarray:
    """Sizes of the connected components of the graph with these ties (isolates count)."""
    a = sp.coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n_agents, n_agents))
    _, labels = connected_components(a.tocsr(), directed=False)
    return np.bincount(labels)


def removal_curve(
    u: np.ndarray,
    v: np.ndarray,
    strength: np.ndarray,
    n_agents: int,
    order: str = "weak_first",
    fractions: np.ndarray | None = None,
) -> pd.DataFrame:
    """The largest component as ties are removed in order of strength.

    Args:
        u: first endpoint of each tie.
        v: second endpoint of each tie.
        strength: tie strengths.
        n_agents: number of learners.
        order: `weak_first` or `strong_first`; equal strengths keep their table order.
        fractions: shares of ties removed at which to measure (default 0, 0.05, ..., 1).

    Returns:
        Columns `order`, `fraction_removed`, `share_largest_component` (R_GC in Onnela et
        al.) and `susceptibility` (sum of s^2 n_s / n_agents over components other than the
        largest, which peaks where the network falls apart).
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS} (got {order!r})")
    if fractions is None:
        fractions = np.linspace(0.0, 1.0, 21)
    key = strength if order == "weak_first" else -strength
    ranked = np.argsort(key, kind="stable")
    m = len(u)
    rows = []
    for f in fractions:
        keep = ranked[int(round(f * m)) :]
        sizes = np.sort(component_sizes(u[keep], v[keep], n_agents))
        rest = sizes[:-1]
        rows.append(
            {
                "order": order,
                "fraction_removed": float(f),
                "share_largest_component": float(sizes[-1] / n_agents),
                "susceptibility": float((rest.astype(np.float64) ** 2).sum() / n_agents),
            }
        )
    return pd.DataFrame(rows)
