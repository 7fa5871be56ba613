"""The type of the field at a dotted path of the scenario schema (what a sweep may vary)."""

from __future__ import annotations

import types
import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel

from sim.scenario.loading import field_paths
from sim.scenario.schema import Scenario

__all__ = ["is_scalar_type", "known_paths", "leaf_type"]


def _unwrap(annotation: Any) -> Any:
    """The non-None type of ``X | None`` and ``Optional[X]``; the annotation otherwise."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def leaf_type(path: str) -> Any:
    """The Python type of the leaf field at a dotted path (list indices as digits), or None.

    Args:
        path: e.g. ``ties.decay`` or ``knowledge.item_classes.0.n_items``.

    Returns:
        e.g. ``float``, ``int``, ``bool``, an Enum class, ``list[int]``; None if `path` does
        not end at a leaf field of the schema.
    """
    model: Any = Scenario
    parts = path.split(".")
    i = 0
    while i < len(parts):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        f = model.model_fields.get(parts[i])
        if f is None:
            return None
        ann = _unwrap(f.annotation)
        i += 1
        if typing.get_origin(ann) is list:
            inner = typing.get_args(ann)[0]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                if i >= len(parts) or not parts[i].isdigit():
                    return None
                i += 1
                model = inner
                continue
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
            continue
        return ann if i == len(parts) else None
    return None


def known_paths() -> list[str]:
    """Every field path of the schema, list indices as 0 (for "did you mean" hints)."""
    return [p.replace(".N.", ".0.") for p in field_paths()]


def is_scalar_type(t: Any) -> bool:
    """Whether a field of type `t` holds one value (a number, text, switch or choice)."""
    return isinstance(t, type) and (issubclass(t, int | float | str | bool | Enum))
