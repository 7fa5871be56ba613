"""A saved tie network as a networkx graph and as GraphML text, for Gephi, networkx or igraph.

Tables in, text out: the rows of one run's snapshot in ``ties.parquet`` (see
`sim.experiment.snapshots`) become a `networkx.Graph` with every learner as a node (learners
without ties included) and every tie as an edge with its `strength`, `kind`, `origin` and
`formed_step`; `graphml_text` serialises it (`networkx.write_graphml`).
"""

from __future__ import annotations

import io

import networkx as nx
import numpy as np
import pandas as pd

EDGE_ATTRIBUTES = ("strength", "kind", "origin", "formed_step")
"""Tie columns written as edge attributes."""


def tie_graph(ties: pd.DataFrame, n_agents: int, nodes: pd.DataFrame | None = None) -> nx.Graph:
    """One run's tie network at one step as an undirected networkx graph.

    Args:
        ties: the run's snapshot rows (columns ``u``, ``v`` and `EDGE_ATTRIBUTES`).
        n_agents: learners; nodes are 0..n_agents-1, tied or not.
        nodes: learner attributes, one row per learner indexed by learner number (e.g.
            ``file_id`` of a network file's renumbered ids); added to the nodes.

    Returns:
        The graph; each node also has ``degree`` and ``strength_sum`` (its ties' summed
        strength), from the ties.
    """
    u = ties["u"].to_numpy(dtype=np.int64)
    v = ties["v"].to_numpy(dtype=np.int64)
    strength = ties["strength"].to_numpy(dtype=np.float64)
    degree = np.bincount(np.concatenate([u, v]), minlength=n_agents)
    total = np.bincount(np.concatenate([u, v]), np.concatenate([strength, strength]), n_agents)
    g = nx.Graph()
    for i in range(n_agents):
        g.add_node(i, degree=int(degree[i]), strength_sum=float(total[i]))
    if nodes is not None:
        for column in nodes.columns:
            for i, value in nodes[column].items():
                if 0 <= int(i) < n_agents and pd.notna(value):
                    g.nodes[int(i)][column] = _plain(value)
    text = ("kind", "origin")  # categories, written as their names
    values = {c: (ties[c].astype(str) if c in text else ties[c]).tolist() for c in EDGE_ATTRIBUTES}
    for t in range(len(u)):
        g.add_edge(int(u[t]), int(v[t]), **{c: values[c][t] for c in EDGE_ATTRIBUTES})
    return g


def _plain(value: object) -> object:
    """A value GraphML can type: a Python bool, int, float or str."""
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, bool | int | float | str) else str(value)


def graphml_text(graph: nx.Graph) -> str:
    """The graph as GraphML (UTF-8 text), typed attributes included."""
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")
