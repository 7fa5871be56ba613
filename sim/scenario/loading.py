"""Reading scenario files: YAML, overrides, validation, and one clear line per problem."""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.errors import ScenarioError
from sim.scenario.extends import anchor_network_path, expand_extends
from sim.scenario.schema import CROSS_FIELD_SEPARATOR, ItemClassConfig, Scenario

_SECTIONS = {
    name
    for name, f in Scenario.model_fields.items()
    if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
}


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
    path = ".".join(_shown(str(p)) for p in loc)
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
    if etype in _EXPECTED:
        return [f"{source}: {path or '<top>'}: {_type_message(loc, etype, got)}"]
    msg = str(err.get("msg", "invalid"))
    ctx = err.get("ctx") or {}
    if etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        msg = _range_message(loc, etype, ctx)
    elif etype == "enum":
        msg = f"must be one of {ctx.get('expected', '')}"
    msg = msg[0].lower() + msg[1:] if msg else msg
    cut = 30 if etype == "enum" else 50  # after a list of choices, in a sweep point's label
    shown = "" if isinstance(got, dict) else f" (got {_short(got, cut)})"
    return [f"{source}: {path or '<top>'}: {msg}{shown}"]


_EXPECTED = {
    "int_type": "an integer (a whole number)",
    "float_type": "a number",
    "bool_type": "a boolean (true or false)",
    "string_type": "text",
    "list_type": "a list",
}
"""What a field of each strict type expects, by pydantic error type."""


def _type_message(loc: tuple[Any, ...], etype: str, got: Any) -> str:
    """`expected <type>, got <value> (<what it is>)`: a value of the wrong type, in one line."""
    expected = _EXPECTED[etype]
    section = _section_at(loc) if loc and isinstance(loc[-1], str) else None
    field = section.model_fields.get(loc[-1]) if section is not None else None
    if field is not None and type(None) in getattr(field.annotation, "__args__", ()):
        expected += " or null"
    return f"expected {expected}, got {_yaml_short(got)} ({_kind(got, etype)})"


def _yaml_short(value: Any) -> str:
    """A value as YAML spells the scalars (true, false, null), else as `_short`."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return _short(value)


def _kind(value: Any, etype: str) -> str:
    """What a wrongly typed value is, with a hint when the fix is a matter of spelling."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number" + ("; quote it to make it text" if etype == "string_type" else "")
    if isinstance(value, float):
        if value.is_integer() and etype == "int_type":
            return f"a decimal number; write {int(value)}"
        return "a fraction" if etype == "int_type" else "a number"
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "false", "yes", "no", "on", "off") or _is_number(word):
            return "quoted text; write numbers and true/false without quotes"
        return "text"
    if value is None:
        return "null"
    return {list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _is_number(text: str) -> bool:
    """Whether text reads as a number (as a quoted ``'0.1'`` or ``'1e-3'`` does)."""
    if len(text) > MAX_SHOWN:
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


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

    def construct_object(self, node, deep=False):  # noqa: D102
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:  # `!!int abc`, 2001-13-45, 5000 digits
            kind = str(node.tag).rpartition(":")[2]
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_short(node.value)} as {kind}: {exc}", node.start_mark
            ) from None


# YAML 1.1 (PyYAML) reads `1e-3`, `1E5` and `2.5e3` as text: a float needs a dot and a signed
# exponent there. With strict types that text would be refused as a number, so read them as
# YAML 1.2 does: any decimal with an exponent is a float.
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


MAX_SHOWN = 80
"""Longest rendering of an offending value in a message (a huge value is cut, not echoed)."""


class _Repr(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:  # noqa: D102
        if x.bit_length() > 10_000:  # repr refuses an int of over 4300 digits
            return f"<a whole number of {int(x.bit_length() * math.log10(2)) + 1} digits>"
        return super().repr_int(x, level)


_REPR = _Repr()  # attributes set one by one: Python 3.11's Repr takes no arguments
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxtuple = 3, 6, 6, 6
_REPR.maxstring, _REPR.maxother = 60, 60


def _short(value: Any, limit: int = MAX_SHOWN) -> str:
    """`repr` of a value in at most `limit` characters, without walking all of it."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown(text: Any) -> str:
    """Text as typed when it is short and on one line (a key, an override), else `_short`."""
    ok = isinstance(text, str) and len(text) <= MAX_SHOWN and text.isprintable()
    return text if ok else _short(text)


MAX_NESTING = 200
"""Deepest nesting of [ and { read: PyYAML's scanner slows with its square (2000: seconds)."""

_BRACKETS = re.compile(r"[\[\]{}]")


def _load_yaml(text: str) -> Any:
    """Text read with the scenario loader; RecursionError if nested beyond `MAX_NESTING`."""
    depth = 0
    for bracket in _BRACKETS.findall(text):  # brackets in quoted text count too: no harm
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_NESTING:
            raise RecursionError("nested too deeply")
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


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
        return _load_yaml(text)
    except RecursionError:
        raise ScenarioError([f"{p}: invalid YAML: nested too deeply"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, yaml.reader.ReaderError):  # its text goes on with a second line
            problem += f" (at character {exc.position + 1})"
        problem = " ".join(str(problem).split())  # one line, and not too long:
        problem = problem if len(problem) <= 2 * MAX_SHOWN else problem[: 2 * MAX_SHOWN] + "..."
        raise ScenarioError([f"{p}: {where}invalid YAML: {problem}"]) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split `section.field=value` into a key path and a YAML-parsed value."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError([f"--set {_shown(text)}: expected section.field=value"])
    try:
        # The scenario files' loader, so `--set ties.decay=1e-3` is the number a file's is.
        value = _load_yaml(raw) if raw.strip() else None
    except (yaml.YAMLError, RecursionError):
        value = raw
    return [p for p in key.strip().split(".")], value


def apply_override(data: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    """Return a copy of `data` with the nested field at `keys` set to `value`.

    Only the lists and mappings on the way to the field are copied (the rest is shared, and
    `data` is not changed), so an override costs the length of its path, not the size of the
    file: an alias bomb or a recursive alias elsewhere is never walked.
    """
    out = _shallow(data)
    node: Any = out
    for i, key in enumerate(keys[:-1]):
        slot: Any = int(key) if isinstance(node, list) else key
        if not isinstance(node, list) and (key not in node or node[key] is None):
            node[key] = [] if keys[i + 1].isdigit() else {}
        node[slot] = _shallow(node[slot])
        node = node[slot]
    last = keys[-1]
    node[int(last) if isinstance(node, list) else last] = value
    return out


def _shallow(x: Any) -> Any:
    """A copy of a list or mapping (sharing its items), else `x` itself."""
    return dict(x) if isinstance(x, dict) else list(x) if isinstance(x, list) else x


def _materialise_item_classes(data: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """`data` with the default class list, for `knowledge.item_classes.N...` on a file without."""
    if keys[:2] != ["knowledge", "item_classes"] or len(keys) <= 2:
        return data
    know = data.get("knowledge") or {}
    if not isinstance(know, dict) or "item_classes" in know:
        return data
    classes = [ItemClassConfig().model_dump(mode="json")]
    return {**data, "knowledge": {**know, "item_classes": classes}}


def set_field(data: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    """Return a copy of `data` with the field at `keys` set (default item classes filled in).

    Raises:
        IndexError, ValueError, TypeError, AttributeError: if `keys` is not a field path of
            `data` (e.g. an item class index beyond the list).
    """
    return apply_override(_materialise_item_classes(data, keys), keys, value)


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
    """Read a scenario file, merged onto the files it `extends`, and apply overrides.

    Not validated; the sweep block is kept (see `sim.scenario.extends` for `extends`).

    Args:
        path: the YAML file.
        overrides: `section.field=value` strings, applied in order.
        base_dir: folder that the file's (or an override's) relative `network.path` is
            resolved against (default: the scenario file's folder); a base file's is always
            resolved against the base file's folder.

    Raises:
        ScenarioError: if the file or a base cannot be read or parsed, an `extends` chain is
            broken, or an override is malformed.
    """
    path = Path(path)
    data = read_yaml(path)
    if data is None:  # nothing, or only comments: surely not the scenario the user meant
        raise ScenarioError([f"{path}: file is empty (a scenario needs at least one field)"])
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: <top>: must be a mapping of sections"])
    data = expand_extends(data, path, read_yaml)
    problems: list[str] = []
    for text in overrides or []:
        try:
            keys, value = parse_override(text)
            data = set_field(data, keys, value)
        except ScenarioError as exc:
            problems.extend(exc.problems)
        except (IndexError, ValueError, TypeError, AttributeError):
            problems.append(f"--set {_shown(text)}: no such field path")
    if problems:
        raise ScenarioError(problems)
    return anchor_network_path(data, base_dir or path.parent, str(path))


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
