"""The parts of a network file beyond its ties: node ids, node attributes and tie weights.

`sim.world.edge_list` reads network files; this module holds what it needs for their nodes
(the ``group`` and ``member`` of each node, from GraphML node attributes or a CSV node
table), the rule that turns tie weights into initial strengths in (0, 1], and the
`FileNetwork` a file gives.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.scenario.schema import WeightToStrength
from sim.world.network import StartNetwork

__all__ = [
    "EdgeListError",
    "FileNetwork",
    "NodeRows",
    "csv_lines",
    "learner_indices",
    "node_attributes",
    "parse_weight",
    "read_node_table",
    "weights_to_strengths",
]

PATH_FIELD = "network.path"
NODES_FIELD = "network.nodes_path"
MODE_FIELD = "network.weight_to_strength"


class EdgeListError(ValueError):
    """A network file is missing or invalid; the message says what and where.

    Attributes:
        field: the scenario field the problem belongs to: ``network.path`` (the edge list),
            ``network.nodes_path`` (the node table) or ``network.weight_to_strength``.
    """

    def __init__(self, message: str, field: str = PATH_FIELD) -> None:
        super().__init__(message)
        self.field = field

    def __reduce__(self):  # keeps `field` when sent to another process
        return (type(self), (str(self), self.field))


@dataclass(frozen=True, eq=False)
class FileNetwork(StartNetwork):
    """A starting network read from a file, with what the file says about its nodes.

    Attributes:
        ids: the file's id (text) of learners ``0..k - 1``, k the file's number of nodes,
            when its ids had to be renumbered (see `sim.world.edge_list.read_edge_list`);
            None when every id is a learner index.
        member: community membership of each learner from the file (bool, ``len ==
            n_agents``), or None when the file gives none.
        group_labels: the file's label of groups 0, 1, ... (``group`` holds the numbers);
            empty when the file gives no groups (everyone is in group 0).
    """

    ids: np.ndarray | None = None
    member: np.ndarray | None = None
    group_labels: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Weights


def parse_weight(value: object, where: str, mode: WeightToStrength) -> float:
    """One tie weight: a positive number, at most 1 when it is used as the strength as is."""
    if isinstance(value, str) and not value.strip():
        raise EdgeListError(f"{where}: missing weight")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EdgeListError(f"{where}: weight must be a number (got {value!r})") from None
    # Written so that NaN fails too.
    if not 0.0 < x < np.inf:
        raise EdgeListError(f"{where}: weight must be a positive number (got {value})")
    if mode == WeightToStrength.NONE and x > 1.0:
        raise EdgeListError(
            f"{where}: weight must be in (0, 1] with network.weight_to_strength: none (got "
            f"{value}); set it to max or rank to map larger weights to strengths"
        )
    return x


def weights_to_strengths(weights: np.ndarray, mode: WeightToStrength) -> np.ndarray:
    """Initial tie strengths in (0, 1] from positive tie weights.

    Args:
        weights: one weight per tie, positive (in (0, 1] for mode none).
        mode: ``none``: the weight is the strength; ``max``: weight / the largest weight
            (ratios kept; the largest gets 1); ``rank``: with ``k`` distinct weights, the
            i-th smallest gets ``i / k`` (only the order counts; equal weights, equal
            strengths; the largest gets 1).

    Returns:
        One strength per tie, float64; a larger weight never gets a smaller strength.
    """
    w = np.asarray(weights, dtype=np.float64)
    mode = WeightToStrength(mode)
    if w.size == 0 or mode == WeightToStrength.NONE:
        return w.copy()
    if mode == WeightToStrength.MAX:
        # A ratio below the smallest float would be 0, which is no strength.
        return np.maximum(w / w.max(), np.finfo(np.float64).tiny)
    distinct, inverse = np.unique(w, return_inverse=True)
    return (inverse.reshape(w.shape) + 1.0) / distinct.size


# ---------------------------------------------------------------------------------------------
# Nodes


@dataclass
class NodeRows:
    """The nodes a file lists with their attributes (GraphML nodes, CSV node table rows).

    Attributes:
        labels: each node's id, as text.
        where: each node's place, for messages ("line 3", "node 'a'").
        group: each node's group label (None where missing), or None if the file has no
            group column or attribute.
        member: each node's membership (None where missing), or None if the file has none.
        field: the scenario field that names the file, for messages.
        prefix: what messages start with (the node table's name, so both files are told
            apart).
    """

    labels: list[str]
    where: list[str]
    group: list[str | None] | None = None
    member: list[bool | None] | None = None
    field: str = PATH_FIELD
    prefix: str = ""


def csv_lines(path: Path, field: str = PATH_FIELD) -> Iterator[tuple[int, list[str]]]:
    """The non-empty lines of a UTF-8 CSV file as stripped cells, with their line numbers.

    Raises:
        EdgeListError: if the file cannot be read or parsed.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for row in reader:
                cells = [c.strip() for c in row]
                if any(cells):
                    yield reader.line_num, cells
    except UnicodeDecodeError:
        raise EdgeListError(f"cannot read {path}: not UTF-8 text", field) from None
    except csv.Error as exc:
        raise EdgeListError(f"cannot parse CSV: {exc}", field) from None
    except OSError as exc:
        raise EdgeListError(f"cannot read {path}: {exc.strerror or exc}", field) from None


def read_node_table(path: Path) -> NodeRows:
    """Read a CSV node table: a header naming ``id`` and optionally ``group`` and ``member``.

    Other columns are ignored. Every id must be different; an empty group or member cell is
    reported when the attributes are assigned (`node_attributes`).

    Raises:
        EdgeListError: (field ``network.nodes_path``) if the file is missing or invalid.
    """
    prefix, field = f"{path.name}: ", NODES_FIELD
    if not path.is_file():
        raise EdgeListError(f"file not found: {path}", field)
    rows = NodeRows(labels=[], where=[], field=field, prefix=prefix)
    header: list[str] | None = None
    for num, cells in csv_lines(path, field):
        line = f"line {num}"
        if header is None:
            header = [c.lower() for c in cells]
            if "id" not in header:
                raise EdgeListError(
                    f"{prefix}{line}: the header must name the column id (and may name group "
                    f"and member; got {','.join(cells)})",
                    field,
                )
            cols = [header.index(c) if c in header else None for c in ("id", "group", "member")]
            i_id, i_group, i_member = cols
            rows.group = None if i_group is None else []
            rows.member = None if i_member is None else []
            needed = max(c for c in cols if c is not None) + 1
            continue
        if len(cells) < needed:
            raise EdgeListError(
                f"{prefix}{line}: expected {needed} columns (got {len(cells)})", field
            )
        if not cells[i_id]:
            raise EdgeListError(f"{prefix}{line}: empty id", field)
        rows.labels.append(cells[i_id])
        rows.where.append(line)
        if rows.group is not None:
            rows.group.append(cells[i_group] or None)
        if rows.member is not None:
            cell = cells[i_member]
            rows.member.append(parse_member(cell, f"{prefix}{line}", field) if cell else None)
    if header is None:
        raise EdgeListError(f"{prefix}the file is empty: expected a header with column id", field)
    return rows


_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


def parse_member(value: object, where: str, field: str = PATH_FIELD) -> bool:
    """Community membership from a cell or attribute: true/false, yes/no or 1/0."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise EdgeListError(
        f"{where}: member must be true or false (or yes/no, 1/0; got {value!r})", field
    )


def node_attributes(
    nodes: NodeRows,
    learners: np.ndarray,
    in_file: np.ndarray,
    label_of: Callable[[int], str],
) -> tuple[np.ndarray | None, tuple[str, ...], np.ndarray | None]:
    """Each learner's group and membership from the nodes a file lists.

    Groups are numbered 0, 1, ... in the sorted order of their labels (as numbers when every
    label is an integer). When the file gives groups or membership, every learner needs a
    node row with a value: learners without one are an error, never a silent default.

    Args:
        nodes: the file's node rows.
        learners: the learner index of each node row (distinct).
        in_file: per learner, whether the file names it (as a node or a tie's end).
        label_of: the file's id of a learner, for messages.

    Returns:
        ``(group, group_labels, member)``: group numbers per learner (None if not given),
        the label of each group number, and membership per learner (None if not given).

    Raises:
        EdgeListError: if a learner has no node row, or a node row no value.
    """
    if nodes.group is None and nodes.member is None:
        return None, (), None
    n = in_file.size
    listed = np.zeros(n, dtype=bool)
    listed[learners] = True
    given = "group" if nodes.group is not None else "member"
    unlisted = np.flatnonzero(in_file & ~listed)
    if unlisted.size:
        shown = ", ".join(repr(label_of(int(i))) for i in unlisted[:5])
        raise EdgeListError(
            f"{nodes.prefix}ids with ties but no row in the node table: {shown}", nodes.field
        )
    absent = np.flatnonzero(~in_file)
    if absent.size:
        raise EdgeListError(
            f"the file gives a {given} for its {n - absent.size} nodes but population.n_agents "
            f"is {n}: every learner needs a node (learners without one: "
            f"{absent[:5].tolist()})",
            nodes.field,
        )
    group, labels = None, ()
    if nodes.group is not None:
        codes, labels = _numbered(_complete(nodes.group, nodes, "group"))
        group = np.zeros(n, dtype=np.int64)
        group[learners] = codes
    member = None
    if nodes.member is not None:
        member = np.zeros(n, dtype=bool)
        member[learners] = _complete(nodes.member, nodes, "member")
    return group, labels, member


def _complete(values: list, nodes: NodeRows, name: str) -> list:
    missing = [i for i, x in enumerate(values) if x is None]
    if missing:
        i = missing[0]
        raise EdgeListError(
            f"{nodes.prefix}{nodes.where[i]}: missing {name} (id {nodes.labels[i]!r})",
            nodes.field,
        )
    return values


def _numbered(labels: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Number labels 0, 1, ... in sorted order (numeric if all are integers)."""
    distinct, codes = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    numbers = as_integers(distinct)
    if numbers is not None:
        # Compared as numbers, so "07" and "7" are one group.
        values, codes = np.unique(numbers[codes], return_inverse=True)
        distinct = values.astype(str)
    return codes.reshape(-1).astype(np.int64), tuple(distinct.tolist())


def as_integers(labels: np.ndarray) -> np.ndarray | None:
    """The labels as int64 if every one is an integer numeral, else None."""
    out = np.empty(labels.size, dtype=np.int64)
    for i, label in enumerate(labels.tolist()):
        body = label[1:] if label[:1] in ("+", "-") else label
        if not (body.isascii() and body.isdigit()) or len(body) > 18:
            return None
        out[i] = int(label)
    return out


def learner_indices(agents: list[int] | list[str], ids: np.ndarray | None) -> np.ndarray:
    """The learners a list of file ids names (``seeding.agents``).

    Args:
        agents: node ids as the network file writes them (integers or text).
        ids: the file's id of each learner (`FileNetwork.ids`); None when the ids are the
            learner indices, and then `agents` is returned as they are.

    Raises:
        ValueError: if an id is not a node of the file (with `ids` None: not an integer).
    """
    if ids is None:
        text = [a for a in agents if not isinstance(a, int | np.integer)]
        if text:
            raise ValueError(f"the network file's ids are learner indices, not {text[:5]}")
        return np.asarray(agents, dtype=np.int64)
    where = {label: i for i, label in enumerate(np.asarray(ids, dtype=str).tolist())}
    unknown = [a for a in agents if str(a) not in where]
    if unknown:
        raise ValueError(f"not ids of the network file: {unknown[:5]}")
    return np.array([where[str(a)] for a in agents], dtype=np.int64)
