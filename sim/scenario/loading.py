"""Reading scenario files: YAML, overrides, validation, and one clear line per problem."""

from __future__ import annotations

import difflib
import reprlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.schema import CROSS_FIELD_SEPARATOR, ItemClassConfig, Scenario

_SECTIONS = {
    name
    for name, f in Scenario.model_fields.items()
    if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
}


class ScenarioError(Exception):
    """A scenario file or override is invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# Loading and error messages


def _section_at(loc: tuple[Any, ...]) -> Any:
    """The schema section (model class) that a location's last key belongs to, or None."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return None
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        if inner and hasattr(inner[0], "model_fields"):
            ann = inner[0]
        if not hasattr(ann, "model_fields"):
            return None
        model = ann
    return model if hasattr(model, "model_fields") else None


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at the section that a location's last key belongs to."""
    model = _section_at(loc)
    return list(model.model_fields) if model is not None else []


def _format_error(source: str, err: dict[str, Any]) -> list[str]:
    loc = tuple(err.get("loc", ()))
    path = ".".join(str(p) for p in loc)
    etype = err.get("type", "")
    if etype == "value_error" and "\t" in str(err.get("msg")):
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines = []
        for chunk in msg.split(CROSS_FIELD_SEPARATOR):
            where, _, what = chunk.partition("\t")
            lines.append(f"{source}: {where}: {what}")
        return lines
    if etype == "extra_forbidden":
        allowed = _fields_at(loc)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        if not hint and allowed:
            extra = f" (allowed: {', '.join(allowed)})"
        return [f"{source}: {path}: unknown field{extra}"]
    got = err.get("input")
    msg = str(err.get("msg", "invalid"))
    ctx = err.get("ctx") or {}
    if etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        msg = _range_message(loc, etype, ctx)
    elif etype == "enum":
        msg = f"must be one of {ctx.get('expected', '')}"
    msg = msg[0].lower() + msg[1:] if msg else msg
    shown = "" if isinstance(got, dict) else f" (got {_short(got)})"
    return [f"{source}: {path or '<top>'}: {msg}{shown}"]


_BOUND_WORDS = {"ge": "at least", "gt": "greater than", "le": "at most", "lt": "less than"}
_ERROR_BOUND = {
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
    "less_than": "lt",
}


def _range_message(loc: tuple[Any, ...], etype: str, ctx: dict[str, Any]) -> str:
    """The whole allowed range of the field at `loc` (both bounds when it has two)."""
    bounds: dict[str, Any] = {}
    section = _section_at(loc) if loc and isinstance(loc[-1], str) else None
    field = section.model_fields.get(loc[-1]) if section is not None else None
    for meta in field.metadata if field is not None else []:
        for key in _BOUND_WORDS:
            if getattr(meta, key, None) is not None:
                bounds[key] = getattr(meta, key)
    if not bounds:
        key = _ERROR_BOUND[etype]
        bounds[key] = ctx.get(key)
    lo = next(((k, bounds[k]) for k in ("ge", "gt") if k in bounds), None)
    hi = next(((k, bounds[k]) for k in ("le", "lt") if k in bounds), None)
    if lo and hi and lo[0] == "ge" and hi[0] == "le":
        return f"must be between {_number(lo[1])} and {_number(hi[1])}"
    parts = [f"{_BOUND_WORDS[b[0]]} {_number(b[1])}" for b in (lo, hi) if b is not None]
    return "must be " + " and ".join(parts)


def _number(x: Any) -> str:
    """A bound as people write it: 1 rather than 1.0, 50000000 rather than 5e+07."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def validate(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate a mapping into a frozen `Scenario`, or raise `ScenarioError` listing problems.

    Args:
        data: the parsed YAML mapping.
        source: what to name in messages (the file path).
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([f"{source}: <top>: must be a mapping of sections"])
    # A section written with nothing under it (`ties:`) means "all defaults".
    data = {k: v for k, v in data.items() if not (v is None and k in _SECTIONS)}
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems: list[str] = []
        for err in exc.errors():
            problems.extend(_format_error(source, err))
        raise ScenarioError(problems) from None


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (else the last one wins).

    Merge keys (``<<: *anchor``) work as in plain YAML: the mapping's own keys override the
    merged ones; only a key written twice in the mapping itself is an error. A key must be a
    plain value (a list or mapping as a key is refused with its line).
    """

    def construct_mapping(self, node, deep=False):  # noqa: D102
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    "a key must be a plain value (text or a number), not a list or mapping",
                    key_node.start_mark,
                ) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{str(key)[:MAX_SHOWN]}' appears twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        self.flatten_mapping(node)
        return super().construct_mapping(node, deep=deep)


MAX_SHOWN = 80
"""Longest rendering of an offending value in a message (a huge value is cut, not echoed)."""

_REPR = reprlib.Repr()  # attributes set one by one: Python 3.11's Repr takes no arguments
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxtuple = 3, 6, 6, 6
_REPR.maxstring, _REPR.maxother = 60, 60


def _short(value: Any) -> str:
    """`repr` of a value in at most `MAX_SHOWN` characters, without walking all of it."""
    text = _REPR.repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file, turning read and syntax errors into `ScenarioError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([f"{p}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{p}: cannot read: not UTF-8 text"]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise ScenarioError([f"{p}: invalid YAML: nested too deeply"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([f"{p}: {where}invalid YAML: {problem}"]) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split `section.field=value` into a key path and a YAML-parsed value."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError([f"--set {text}: expected section.field=value"])
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except (yaml.YAMLError, RecursionError):
        value = raw
    return [p for p in key.strip().split(".")], value


def apply_override(data: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    """Return a copy of `data` with the nested field at `keys` set to `value`."""
    out = _deep_copy(data)
    node: Any = out
    for i, key in enumerate(keys[:-1]):
        nxt_is_index = keys[i + 1].isdigit()
        if isinstance(node, list):
            node = node[int(key)]
            continue
        if key not in node or node[key] is None:
            node[key] = [] if nxt_is_index else {}
        node = node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def _deep_copy(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _deep_copy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_deep_copy(v) for v in x]
    return x


def _materialise_item_classes(data: dict[str, Any], keys: list[str]) -> None:
    """Make `knowledge.item_classes.N...` overrides work on the default class list."""
    if keys[:2] == ["knowledge", "item_classes"] and len(keys) > 2:
        know = data.setdefault("knowledge", {}) or {}
        data["knowledge"] = know
        if "item_classes" not in know:
            know["item_classes"] = [ItemClassConfig().model_dump(mode="json")]


def set_field(data: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    """Return a copy of `data` with the field at `keys` set (default item classes filled in).

    Raises:
        IndexError, ValueError, TypeError, AttributeError: if `keys` is not a field path of
            `data` (e.g. an item class index beyond the list).
    """
    data = _deep_copy(data)
    _materialise_item_classes(data, keys)
    return apply_override(data, keys, value)


SWEEP_KEY = "sweep"
"""Top-level key of a scenario's sweep block (parsed by `sim.scenario.sweep`; not a field)."""


def load_scenario(
    path: str | Path, overrides: list[str] | None = None, *, base_dir: Path | None = None
) -> Scenario:
    """Read, override and validate a scenario file.

    A `sweep` block, if any, is ignored here: this returns the base scenario (see
    `sim.scenario.sweep.load_experiment` for the points of a sweep).

    Args:
        path: the YAML file.
        overrides: `section.field=value` strings, applied in order and validated like the file.
        base_dir: folder that relative `network.path` values are resolved against (default:
            the scenario file's folder).

    Raises:
        ScenarioError: with one message per problem, each naming the file and field path.
    """
    data = read_scenario_data(path, overrides, base_dir=base_dir)
    data.pop(SWEEP_KEY, None)
    return validate(data, source=str(path))


def as_scenario(scenario: Scenario | dict[str, Any] | str | Path) -> Scenario:
    """A validated scenario from a `Scenario`, a mapping of its fields, or a YAML file's path.

    Raises:
        ScenarioError: if the mapping or file is invalid.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return validate(scenario, source="<scenario>")
    if isinstance(scenario, str | Path):
        return load_scenario(scenario)
    raise TypeError(f"scenario: expected a Scenario, a dict or a path (got {type(scenario)})")


def read_scenario_data(
    path: str | Path, overrides: list[str] | None = None, *, base_dir: Path | None = None
) -> dict[str, Any]:
    """Read a scenario file and apply overrides, without validating (sweep block kept).

    Args:
        path: the YAML file.
        overrides: `section.field=value` strings, applied in order.
        base_dir: folder that relative `network.path` values are resolved against (default:
            the scenario file's folder).

    Raises:
        ScenarioError: if the file cannot be read or parsed, or an override is malformed.
    """
    path = Path(path)
    data = read_yaml(path)
    if data is None:  # nothing, or only comments: surely not the scenario the user meant
        raise ScenarioError([f"{path}: file is empty (a scenario needs at least one field)"])
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: <top>: must be a mapping of sections"])
    problems: list[str] = []
    for text in overrides or []:
        try:
            keys, value = parse_override(text)
            _materialise_item_classes(data, keys)
            data = apply_override(data, keys, value)
        except ScenarioError as exc:
            problems.extend(exc.problems)
        except (IndexError, ValueError, TypeError, AttributeError):
            problems.append(f"--set {text}: no such field path")
    if problems:
        raise ScenarioError(problems)
    net = data.get("network")
    if isinstance(net, dict) and isinstance(net.get("path"), str):
        p = Path(net["path"])
        if not p.is_absolute():
            net = dict(net)
            net["path"] = str(((base_dir or path.parent) / p).resolve())
            data = {**data, "network": net}
    return data


def dump_scenario(scenario: Scenario, sweep: dict[str, Any] | None = None) -> str:
    """The fully resolved scenario as YAML; loading it back gives an equal scenario.

    Args:
        scenario: the scenario (a sweep's base scenario, for a sweep).
        sweep: a sweep block to append (see `sim.scenario.sweep.Sweep.to_dict`), or None.
    """
    data = scenario.model_dump(mode="json")
    if sweep:
        data[SWEEP_KEY] = sweep
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def field_paths(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every leaf field path of the schema, e.g. ``ties.decay`` (for docs and tests)."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        target = ann
        if inner and hasattr(inner[0], "model_fields"):
            target = inner[0]
            name = f"{name}.N"
        if isinstance(target, type) and issubclass(target, BaseModel):
            out.extend(field_paths(target, f"{prefix}{name}."))
        else:
            out.append(f"{prefix}{name}")
    return out
