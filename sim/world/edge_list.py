"""Real tie networks from files: CSV edge lists and GraphML, read into a `StartNetwork`.

The only place a network file is read. The experiment layer reads it once per scenario, so
the model never sees a file path. The formats and rules are in docs/ODD.md, section 6; the
parts about nodes and weights are in `sim.world.graph_files`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from sim.scenario.schema import NetworkConfig, WeightToStrength
from sim.world.graph_files import (
    MODE_FIELD,
    NODES_FIELD,
    EdgeListError,
    FileNetwork,
    NodeRows,
    as_integers,
    csv_lines,
    node_attributes,
    parse_member,
    parse_weight,
    read_node_table,
    weights_to_strengths,
)

__all__ = ["EdgeListError", "FileNetwork", "read_edge_list", "read_start_network"]

_Path = str | os.PathLike[str] | None


def read_start_network(cfg: NetworkConfig, n_agents: int) -> FileNetwork:
    """The starting network of generator edge_list: the file's ties, groups and membership.

    Ties the file gives no strength or weight get `cfg.strength`; weights become strengths
    by `cfg.weight_to_strength`. A CSV file's node table is `cfg.nodes_path` (a relative
    path is relative to the folder of `cfg.path`). Without groups in the file every learner
    is in group 0.

    Raises:
        EdgeListError: if a file is missing or invalid (its `field` says which setting).
    """
    nodes_path = None
    if cfg.nodes_path is not None:
        nodes_path = Path(cfg.path or ".").parent / cfg.nodes_path
    read = _read(cfg.path, n_agents, WeightToStrength(cfg.weight_to_strength), nodes_path)
    strength = read.strength
    if strength is None:
        strength = np.full(len(read.u), cfg.strength)
    group = read.group if read.group is not None else np.zeros(n_agents, np.int64)
    return FileNetwork(
        u=read.u,
        v=read.v,
        strength=np.asarray(strength, dtype=np.float64),
        group=group,
        ids=read.ids,
        member=read.member,
        group_labels=read.group_labels,
    )


def read_edge_list(
    path: _Path,
    n_agents: int,
    weight_to_strength: WeightToStrength | str = WeightToStrength.NONE,
    nodes_path: _Path = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Read the ties of a real network from a CSV or GraphML file.

    CSV files need a header naming the columns ``source`` and ``target`` and may have a
    ``strength`` or a ``weight`` column; other columns are ignored. Files ending in
    ``.graphml`` or ``.xml`` are read as GraphML, with optional ``strength`` or ``weight``
    edge attributes. A strength is used as is and must be in (0, 1] (it wins over a weight
    with mode none); a weight must be positive and becomes a strength by
    `weight_to_strength` (`sim.world.graph_files.weights_to_strengths`).

    A tie may be listed once in each direction (CSV rows, directed GraphML): both listings
    make one tie, whose strength or weight is the larger of the two (so listing every tie
    twice with the same value reads as listing it once). Listing a tie twice in the same
    direction, or twice in an undirected GraphML file, is an error.

    Node ids: if every id is an integer in ``0..n_agents - 1`` the ids are the learner
    indices; otherwise the distinct ids, sorted (as numbers if all are integers, else as
    text), become learners ``0..k - 1`` and `sim.world.graph_files.FileNetwork.ids` keeps
    them. Learners not in the file have no ties.

    Args:
        path: the file.
        n_agents: number of learners; the file may name at most this many nodes.
        weight_to_strength: ``none``, ``max`` or ``rank``.
        nodes_path: a CSV node table (columns ``id[,group][,member]``) for a CSV file.

    Returns:
        ``(u, v, strength)``: tie endpoints as learner indices with ``u < v``, sorted by
        ``(u, v)``, and the strength of each tie, or None if the file gives neither
        strengths nor weights.

    Raises:
        EdgeListError: if the file is missing or unreadable, a line or edge is malformed, a
            tie is a self-loop or repeated, a strength is outside (0, 1], a weight does not
            fit `weight_to_strength`, or the file names more than `n_agents` nodes.
    """
    read = _read(path, int(n_agents), WeightToStrength(weight_to_strength), nodes_path)
    return read.u, read.v, read.strength


@dataclass(frozen=True)
class _Read:
    """What a network file gives, in learner indices (see `FileNetwork`)."""

    u: np.ndarray
    v: np.ndarray
    strength: np.ndarray | None
    ids: np.ndarray | None
    group: np.ndarray | None
    group_labels: tuple[str, ...]
    member: np.ndarray | None


def _read(path: _Path, n_agents: int, mode: WeightToStrength, nodes_path: _Path) -> _Read:
    if path is None:
        raise EdgeListError("no edge-list file given")
    p = Path(path)
    if not p.exists():
        raise EdgeListError(f"file not found: {p}")
    if not p.is_file():
        raise EdgeListError(f"not a file: {p}")
    graphml = p.suffix.lower() in (".graphml", ".xml")
    if graphml and nodes_path is not None:
        raise EdgeListError(
            f"a node table is for CSV edge lists; {p.name} is GraphML, whose node attributes "
            "group and member give the same: remove network.nodes_path",
            NODES_FIELD,
        )
    rows = _parse_graphml(p, mode) if graphml else _parse_csv(p, mode)
    if nodes_path is not None:
        rows.nodes = read_node_table(Path(nodes_path))
    return _index(rows, int(n_agents), mode)


@dataclass
class _Rows:
    """Parsed edge-list rows before node ids become learner indices."""

    source: list[str]
    target: list[str]
    value: list[float] | None  # each row's strength or weight (`kind`), None if neither
    kind: str | None  # "strength", "weight" or None
    where: list[str]  # "line 7" or "edge 'a'-'b'", for messages
    directed: bool  # a tie may then be listed once in each direction
    nodes: NodeRows | None = None  # GraphML nodes or the CSV node table


def _value_kind(has_strength: bool, has_weight: bool, mode: WeightToStrength, name: str):
    """Which column gives the ties' values: "strength", "weight" or None."""
    if mode == WeightToStrength.NONE:
        return "strength" if has_strength else "weight" if has_weight else None
    if has_strength:
        raise EdgeListError(
            f"{mode.value} maps weights to strengths, but {name} gives strength (used as is): "
            "remove network.weight_to_strength, or give a weight column and no strength",
            MODE_FIELD,
        )
    if not has_weight:
        raise EdgeListError(
            f"{mode.value} maps weights to strengths, but {name} gives no weight (a CSV "
            "column or GraphML edge attribute named weight)",
            MODE_FIELD,
        )
    return "weight"


def _parse_csv(path: Path, mode: WeightToStrength) -> _Rows:
    rows = _Rows([], [], [], None, [], directed=True)
    header: list[str] | None = None
    for num, cells in csv_lines(path):
        line = f"line {num}"
        if header is None:
            header = [c.lower() for c in cells]
            if "source" not in header or "target" not in header:
                raise EdgeListError(
                    f"{line}: the header must name the columns source and target "
                    f"(got {','.join(cells)})"
                )
            rows.kind = _value_kind("strength" in header, "weight" in header, mode, path.name)
            i_s, i_t = header.index("source"), header.index("target")
            i_w = header.index(rows.kind) if rows.kind else None
            needed = max(i_s, i_t, -1 if i_w is None else i_w) + 1
            continue
        if len(cells) < needed:
            raise EdgeListError(f"{line}: expected {needed} columns (got {len(cells)})")
        if not cells[i_s] or not cells[i_t]:
            raise EdgeListError(f"{line}: empty source or target")
        rows.source.append(cells[i_s])
        rows.target.append(cells[i_t])
        rows.where.append(line)
        if i_w is not None:
            rows.value.append(_parse_value(cells[i_w], rows.kind, mode, line))
    if header is None:
        raise EdgeListError("the file is empty: expected a header with columns source,target")
    if rows.kind is None:
        rows.value = None
    return rows


def _parse_graphml(path: Path, mode: WeightToStrength) -> _Rows:
    try:
        graph = nx.read_graphml(path)
    # networkx reports malformed GraphML with many exception types (XML parse errors,
    # NetworkXError, KeyError, ValueError, ...); every one means the file is unusable.
    except Exception as exc:
        raise EdgeListError(f"cannot parse GraphML: {exc}") from None
    edges = list(graph.edges(data=True))
    has = {name: any(name in data for _, _, data in edges) for name in ("strength", "weight")}
    kind = _value_kind(has["strength"], has["weight"], mode, path.name)
    rows = _Rows([], [], [] if kind else None, kind, [], directed=graph.is_directed())
    for s, t, data in edges:
        label = f"edge {str(s)!r}-{str(t)!r}"
        rows.source.append(str(s))
        rows.target.append(str(t))
        rows.where.append(label)
        if kind is not None:
            if kind not in data:
                raise EdgeListError(f"{label}: missing {kind}")
            rows.value.append(_parse_value(data[kind], kind, mode, label))
    rows.nodes = _graphml_nodes(graph)
    return rows


def _graphml_nodes(graph: nx.Graph) -> NodeRows:
    """The nodes of a GraphML graph, with their ``group`` and ``member`` attributes."""
    labels = [str(x) for x in graph.nodes]
    where = [f"node {x!r}" for x in labels]
    data = [d for _, d in graph.nodes(data=True)]
    nodes = NodeRows(labels=labels, where=where)
    if any("group" in d for d in data):
        nodes.group = [None if str(d.get("group", "")) == "" else str(d["group"]) for d in data]
    if any("member" in d for d in data):
        nodes.member = [
            parse_member(d["member"], w) if "member" in d else None
            for d, w in zip(data, where, strict=True)
        ]
    return nodes


def _parse_value(value: object, kind: str, mode: WeightToStrength, where: str) -> float:
    if kind == "weight":
        return parse_weight(value, where, mode)
    return _parse_strength(value, where)


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


def _index(rows: _Rows, n_agents: int, mode: WeightToStrength) -> _Read:
    """Number the nodes, check and merge the ties, and give each learner its attributes."""
    nodes = rows.nodes if rows.nodes is not None else NodeRows(labels=[], where=[])
    k, m = len(nodes.labels), len(rows.source)
    labels = np.array(nodes.labels + rows.source + rows.target, dtype=str)
    learner, ids = _number(labels, n_agents)
    _check_distinct_nodes(nodes, learner[:k])
    u, v, value = _ties(rows, learner[k : k + m], learner[k + m :], n_agents)
    in_file = np.zeros(n_agents, dtype=bool)
    in_file[learner] = True
    group, group_labels, member = node_attributes(
        nodes, learner[:k], in_file, lambda i: str(i) if ids is None else str(ids[i])
    )
    if value is not None and rows.kind == "weight":
        value = weights_to_strengths(value, mode)
    return _Read(u, v, value, ids, group, group_labels, member)


def _number(labels: np.ndarray, n_agents: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The learner index of each label, and the file id of each learner if renumbered."""
    distinct, inverse = np.unique(labels, return_inverse=True)
    numbers = as_integers(distinct)
    if numbers is not None:
        # Integer ids are compared as numbers, so "07" and "7" are the same node.
        distinct, inverse = np.unique(numbers[inverse], return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    n_nodes = distinct.size
    if n_nodes > n_agents:
        raise EdgeListError(f"the file has {n_nodes} nodes but n_agents is {n_agents}")
    if n_nodes == 0:
        return inverse, None
    if numbers is not None and distinct[0] >= 0 and distinct[-1] < n_agents:
        return distinct.astype(np.int64)[inverse], None
    return inverse, distinct.astype(str)


def _check_distinct_nodes(nodes: NodeRows, learners: np.ndarray) -> None:
    order = np.argsort(learners, kind="stable")
    ordered = learners[order]
    repeat = np.flatnonzero(ordered[1:] == ordered[:-1])
    if repeat.size:
        i = int(order[repeat + 1].min())
        first = int(order[np.searchsorted(ordered, learners[i])])
        raise EdgeListError(
            f"{nodes.prefix}{nodes.where[i]}: id {nodes.labels[i]} repeated (first at "
            f"{nodes.where[first]})",
            nodes.field,
        )


def _ties(
    rows: _Rows, src: np.ndarray, tgt: np.ndarray, n_agents: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Check the ties, merge each tie's two directions, sort them with ``u < v``."""
    loops = np.flatnonzero(src == tgt)
    if loops.size:
        i = int(loops[0])
        raise EdgeListError(f"{rows.where[i]}: self-loop ({rows.source[i]})")
    n = np.int64(n_agents)
    u, v = np.minimum(src, tgt), np.maximum(src, tgt)
    _check_repeats(src * n + tgt if rows.directed else u * n + v, rows)
    key = u * n + v
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    first = np.ones(ordered.size, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(first)
    value = None
    if rows.value is not None:
        value = np.asarray(rows.value, dtype=np.float64)[order]
        if starts.size < order.size:
            # A tie listed in both directions: the larger value (no repeat is left, so at
            # most two rows per tie).
            value = np.maximum.reduceat(value, starts)
    return u[order][starts], v[order][starts], value


def _check_repeats(key: np.ndarray, rows: _Rows) -> None:
    """Refuse a tie listed twice with the same key (same direction, or undirected)."""
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
