"""Real tie networks from files: CSV edge lists and GraphML, read into a `StartNetwork`.

The only place a network file is read. The experiment layer reads it once per scenario, so
the model never sees a file path.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from sim.scenario.schema import NetworkConfig
from sim.world.network import StartNetwork

__all__ = ["EdgeListError", "read_edge_list", "read_start_network"]


class EdgeListError(ValueError):
    """An edge-list file is missing or invalid; the message says what and where."""


def read_start_network(cfg: NetworkConfig, n_agents: int) -> StartNetwork:
    """The starting network of generator edge_list: the file's ties, one group.

    Ties without a strength in the file get `cfg.strength`.

    Raises:
        EdgeListError: if the file is missing or invalid.
    """
    u, v, strength = read_edge_list(cfg.path, n_agents)
    if strength is None:
        strength = np.full(len(u), cfg.strength)
    return StartNetwork(
        u=u,
        v=v,
        strength=np.asarray(strength, dtype=np.float64),
        group=np.zeros(n_agents, np.int64),
    )


def read_edge_list(
    path: str | os.PathLike[str] | None, n_agents: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Read a real tie network from a CSV or GraphML file.

    CSV files need a header naming the columns ``source`` and ``target`` and may have a
    ``strength`` column; other columns are ignored. Files ending in ``.graphml`` or ``.xml``
    are read as GraphML, with an optional ``strength`` (else ``weight``) edge attribute.
    Direction is ignored. If every node label is an integer in ``0..n_agents - 1`` the labels
    are the agent indices; otherwise the distinct labels, sorted (as numbers if all are
    integers), become agents ``0..k - 1``. Agents not in the file have no ties.

    Args:
        path: the file.
        n_agents: number of agents; the file may name at most this many nodes.

    Returns:
        ``(u, v, strength)``: tie endpoints as agent indices with ``u < v``, sorted by
        ``(u, v)``, and the strength of each tie, or None if the file gives no strengths.

    Raises:
        EdgeListError: if the file is missing or unreadable, a line or edge is malformed, a
            tie is a self-loop or repeated (in either direction), a strength is outside
            (0, 1], or the file names more than `n_agents` nodes.
    """
    if path is None:
        raise EdgeListError("no edge-list file given")
    p = Path(path)
    if not p.exists():
        raise EdgeListError(f"file not found: {p}")
    if not p.is_file():
        raise EdgeListError(f"not a file: {p}")
    if p.suffix.lower() in (".graphml", ".xml"):
        rows = _parse_graphml(p)
    else:
        rows = _parse_csv(p)
    return _index_ties(rows, int(n_agents))


@dataclass
class _Rows:
    """Parsed edge-list rows before node labels become agent indices."""

    source: list[str]
    target: list[str]
    strength: list[float] | None
    where: list[str]  # "line 7" or "edge 'a'-'b'", for messages
    nodes: list[str]  # labels of nodes beyond the ties' ends (GraphML isolates)


def _parse_csv(path: Path) -> _Rows:
    source: list[str] = []
    target: list[str] = []
    strength: list[float] = []
    where: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header: list[str] | None = None
            for row in reader:
                cells = [c.strip() for c in row]
                if not any(cells):
                    continue
                line = f"line {reader.line_num}"
                if header is None:
                    header = [c.lower() for c in cells]
                    if "source" not in header or "target" not in header:
                        raise EdgeListError(
                            f"{line}: the header must name the columns source and target "
                            f"(got {','.join(cells)})"
                        )
                    i_s, i_t = header.index("source"), header.index("target")
                    i_w = header.index("strength") if "strength" in header else None
                    needed = max(i_s, i_t, -1 if i_w is None else i_w) + 1
                    continue
                if len(cells) < needed:
                    raise EdgeListError(f"{line}: expected {needed} columns (got {len(cells)})")
                if not cells[i_s] or not cells[i_t]:
                    raise EdgeListError(f"{line}: empty source or target")
                source.append(cells[i_s])
                target.append(cells[i_t])
                where.append(line)
                if i_w is not None:
                    strength.append(_parse_strength(cells[i_w], line))
    except UnicodeDecodeError:
        raise EdgeListError(f"cannot read {path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise EdgeListError(f"cannot parse CSV: {exc}") from None
    except OSError as exc:
        raise EdgeListError(f"cannot read {path}: {exc.strerror or exc}") from None
    if header is None:
        raise EdgeListError("the file is empty: expected a header with columns source,target")
    return _Rows(
        source=source,
        target=target,
        strength=strength if i_w is not None else None,
        where=where,
        nodes=[],
    )


def _parse_graphml(path: Path) -> _Rows:
    try:
        graph = nx.read_graphml(path)
    # networkx reports malformed GraphML with many exception types (XML parse errors,
    # NetworkXError, KeyError, ValueError, ...); every one means the file is unusable.
    except Exception as exc:
        raise EdgeListError(f"cannot parse GraphML: {exc}") from None
    edges = list(graph.edges(data=True))
    attr = None
    for name in ("strength", "weight"):
        if any(name in data for _, _, data in edges):
            attr = name
            break
    source, target, strength, where = [], [], [], []
    for s, t, data in edges:
        label = f"edge {str(s)!r}-{str(t)!r}"
        source.append(str(s))
        target.append(str(t))
        where.append(label)
        if attr is not None:
            if attr not in data:
                raise EdgeListError(f"{label}: missing {attr}")
            strength.append(_parse_strength(data[attr], label))
    return _Rows(
        source=source,
        target=target,
        strength=strength if attr is not None else None,
        where=where,
        nodes=[str(x) for x in graph.nodes],
    )


def _parse_strength(value: object, where: str) -> float:
    if isinstance(value, str) and not value.strip():
        raise EdgeListError(f"{where}: missing strength")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EdgeListError(f"{where}: strength must be a number (got {value!r})") from None
    # Written so that NaN fails too.
    if not 0.0 < x <= 1.0:
        raise EdgeListError(f"{where}: strength must be in (0, 1] (got {value})")
    return x


def _index_ties(rows: _Rows, n_agents: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Map labels to agent indices, check ties, and return them sorted with ``u < v``."""
    m = len(rows.source)
    labels = np.array(rows.nodes + rows.source + rows.target, dtype=str)
    distinct, inverse = np.unique(labels, return_inverse=True)
    numbers = _as_integers(distinct)
    if numbers is not None:
        # Integer labels are compared as numbers, so "07" and "7" are the same node.
        distinct, inverse = np.unique(numbers[inverse], return_inverse=True)
    n_nodes = distinct.size
    if n_nodes > n_agents:
        raise EdgeListError(f"the file has {n_nodes} nodes but n_agents is {n_agents}")
    if numbers is not None and n_nodes and distinct[0] >= 0 and distinct[-1] < n_agents:
        index = distinct.astype(np.int64)
    else:
        index = np.arange(n_nodes, dtype=np.int64)
    offset = len(rows.nodes)
    src = index[inverse[offset : offset + m]]
    tgt = index[inverse[offset + m :]]

    loops = np.flatnonzero(src == tgt)
    if loops.size:
        i = int(loops[0])
        raise EdgeListError(f"{rows.where[i]}: self-loop ({rows.source[i]})")

    u, v = np.minimum(src, tgt), np.maximum(src, tgt)
    key = u * np.int64(n_agents) + v
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    repeat = np.flatnonzero(sorted_key[1:] == sorted_key[:-1])
    if repeat.size:
        # Report the repeat that comes first in the file, and where the tie first appeared
        # (the stable sort puts the first appearance first among equal keys).
        i = int(order[repeat + 1].min())
        first = int(order[np.searchsorted(sorted_key, key[i])])
        seen = rows.where[first]
        also = "twice" if seen == rows.where[i] else f"first at {seen}"
        raise EdgeListError(
            f"{rows.where[i]}: repeated tie {rows.source[i]}-{rows.target[i]} ({also})"
        )
    strength = None
    if rows.strength is not None:
        strength = np.asarray(rows.strength, dtype=np.float64)[order]
    return u[order], v[order], strength


def _as_integers(labels: np.ndarray) -> np.ndarray | None:
    """The labels as int64 if every one is an integer numeral, else None."""
    out = np.empty(labels.size, dtype=np.int64)
    for i, label in enumerate(labels.tolist()):
        body = label[1:] if label[:1] in ("+", "-") else label
        if not (body.isascii() and body.isdigit()) or len(body) > 18:
            return None
        out[i] = int(label)
    return out
