"""Scenario files that build on other files: the top-level `extends:` key, and file paths.

A scenario file may name a base scenario file, relative to its own folder, and give only
what differs::

    extends: ../weak_ties.yaml
    name: weak_ties_more_bridges
    network: {bridges_per_agent: 5.0}

The file's fields are merged onto the base's before anything is validated: a mapping merges
key by key at any depth (so the `network` above keeps every other network field of the
base), and anything else (a number, text, a null, a list such as `item_classes` or a swept
field's values) replaces the base's value whole. A `sweep` block merges like any mapping. A
base may extend another file in turn; a cycle, a missing base or a chain of more than
`MAX_CHAIN` files is an error naming the files. A relative `network.path` is relative to the
folder of the file it is written in, base or not. What comes out has no `extends` key, so
the `scenario.yaml` of a results folder is the whole, merged scenario.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.scenario.errors import ScenarioError

EXTENDS_KEY = "extends"
"""Top-level key naming the base file of a scenario file (not a field of `Scenario`)."""

MAX_CHAIN = 32
"""Most files in one chain of `extends` (the file itself included)."""

_LONGEST_SHOWN = 160
_CHAIN_SHOWN = 260


def expand_extends(
    data: dict[str, Any], path: str | Path, read: Callable[[Path], Any]
) -> dict[str, Any]:
    """A scenario file's mapping merged onto the files it extends, without `extends` keys.

    Args:
        data: the mapping read from `path`.
        path: the file (a relative `extends` is relative to its folder).
        read: reads one YAML file, raising `ScenarioError` naming it if it cannot
            (`sim.scenario.loading.read_yaml`).

    Returns:
        `data` itself when it extends nothing; else a new mapping (`data` is not changed).
        A relative `network.path` of a base file is made absolute against the base's
        folder; the file's own one is left for the caller to resolve.

    Raises:
        ScenarioError: one line: an `extends` that is not a path, a missing base file, a
            cycle, a chain of more than `MAX_CHAIN` files, or a base that cannot be read, is
            empty or is not a mapping.
    """
    if EXTENDS_KEY not in data:
        return data
    files, names, layers = [Path(path)], [str(path)], [data]
    seen = {_identity(files[0])}
    while EXTENDS_KEY in layers[-1]:
        base = _base_path(layers[-1][EXTENDS_KEY], names[-1], files[-1])
        if _identity(base) in seen:
            raise ScenarioError([f"{names[0]}: {EXTENDS_KEY}: cycle: {_chain(files, names, base)}"])
        if len(files) == MAX_CHAIN:
            raise ScenarioError([f"{names[0]}: {EXTENDS_KEY}: more than {MAX_CHAIN} files"])
        seen.add(_identity(base))
        layers.append(_read_base(base, names[-1], read))
        files.append(base)
        names.append(_shown(base))
    merged: dict[str, Any] = {}
    try:
        for layer in reversed(layers):
            merged = merge(merged, {k: v for k, v in layer.items() if k != EXTENDS_KEY})
    except RecursionError:
        raise ScenarioError([f"{names[0]}: {EXTENDS_KEY}: nested too deeply to merge"]) from None
    return merged


def merge(base: dict[str, Any], own: dict[str, Any], _memo: dict | None = None) -> dict[str, Any]:
    """`base` with `own`'s fields merged in: mappings key by key, other values replaced.

    Neither argument is changed; parts not merged are shared with them. A mapping reached
    twice through YAML aliases is merged once (no exponential walk, no endless one).
    """
    memo: dict[tuple[int, int], dict[str, Any]] = {} if _memo is None else _memo
    pair = (id(base), id(own))
    if pair in memo:
        return memo[pair]
    out = memo[pair] = dict(base)
    for key, value in own.items():
        old = out.get(key)
        both = isinstance(old, dict) and isinstance(value, dict)
        out[key] = merge(old, value, memo) if both else value
    return out


def anchor_network_path(data: dict[str, Any], folder: Path, source: str) -> dict[str, Any]:
    """`data` with a relative `network.path` made absolute against `folder` (copied if so).

    Args:
        data: a scenario mapping.
        folder: the folder of the file the path was written in (or given instead of it).
        source: the file, to name in the message.

    Raises:
        ScenarioError: if the path cannot be a file's (e.g. it holds a NUL character).
    """
    net = data.get("network")
    if not (isinstance(net, dict) and isinstance(net.get("path"), str)):
        return data
    written = Path(net["path"])
    if written.is_absolute():
        return data
    try:
        absolute = (folder / written).resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise ScenarioError([f"{source}: network.path: not a usable file path ({exc})"]) from None
    return {**data, "network": {**net, "path": str(absolute)}}


def _base_path(value: Any, name: str, file: Path) -> Path:
    """The base file that the `extends` value of `file` (shown as `name`) names."""
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(
            [
                f"{name}: {EXTENDS_KEY}: expected the path of a scenario file as text "
                f"(got {_kind(value)})"
            ]
        )
    return file.parent / value


def _read_base(base: Path, name: str, read: Callable[[Path], Any]) -> dict[str, Any]:
    """The mapping of a base file that file `name` extends, its `network.path` anchored."""
    try:
        exists, regular = base.exists(), base.is_file()
    except (OSError, ValueError):  # a name too long, a NUL character
        exists = regular = False
    if not exists:
        raise ScenarioError([f"{name}: {EXTENDS_KEY}: no such file: {_shown(base)}"])
    if not regular:  # a folder, or a device or pipe that would never end
        raise ScenarioError([f"{name}: {EXTENDS_KEY}: not a file: {_shown(base)}"])
    doc = read(base)
    if doc is None:
        raise ScenarioError([f"{_shown(base)}: file is empty (extended by {name})"])
    if not isinstance(doc, dict):
        raise ScenarioError([f"{_shown(base)}: <top>: must be a mapping of sections"])
    return anchor_network_path(doc, base.parent, _shown(base))


def _chain(files: list[Path], names: list[str], again: Path) -> str:
    """``a -> b -> a``: the files of a cycle, from the first file to the one reached again.

    A long chain is shown from the file reached again (the cycle itself) only, and by the
    files' names without their folders if that is still long.
    """
    whole = " -> ".join([*names, _shown(again)])
    if len(whole) <= _CHAIN_SHOWN:
        return whole
    first = [_identity(f) for f in files].index(_identity(again))
    loop = " -> ".join([*names[first:], _shown(again)])
    if len(loop) > _CHAIN_SHOWN:
        loop = " -> ".join(_shown(Path(f.name)) for f in [*files[first:], again])
    return "... -> " + (loop if len(loop) <= _CHAIN_SHOWN else "..." + loop[-_CHAIN_SHOWN:])


def _identity(path: Path) -> str:
    """What makes two spellings of a path the same file (for finding cycles)."""
    try:
        return str(path.resolve())
    except (OSError, ValueError, RuntimeError):
        return os.path.abspath(path)


def _shown(path: Path) -> str:
    """A path as a message shows it: `a/b/../c.yaml` as `a/c.yaml`, cut when very long."""
    text = os.path.normpath(path)
    if not text.isprintable():
        text = repr(text)
    return text if len(text) <= _LONGEST_SHOWN else text[: _LONGEST_SHOWN - 3] + "..."


def _kind(value: Any) -> str:
    """What a value that is not a path is, in words."""
    if isinstance(value, str):
        return "empty text"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return {list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)
