"""Sweeps: the `sweep:` block of a scenario, expanded into validated points.

"Lists are swept, scalars are fixed" (Agents.jl). A sweep block maps dotted field paths to a
list of values (``method: grid``, the full factorial grid) or to a range ``{min, max}``
sampled by a design (`sim.scenario.designs`): ``lhs`` (Latin hypercube), ``sobol`` (a
scrambled Sobol' sequence), and the designs of two sensitivity estimators, ``sobol_indices``
(Saltelli's design for Sobol' indices) and ``morris`` (elementary-effect trajectories)::

    sweep:
      network.bridges_per_agent: [0, 0.5, 1, 2, 3]         # grid (the default method)

    sweep:
      method: lhs                                           # or sobol (samples: a power of 2)
      samples: 16
      ties.decay: {min: 0.001, max: 0.02, scale: log}
      population.time_budget: {min: 2, max: 16}             # integer fields: whole numbers
      community.repository: {min: 0, max: 1}                # a switch: off below 0.5

    sweep:
      method: sobol_indices                                 # samples * (d + 2) points
      samples: 64                                           # a power of 2
      second_order: false                                   # true: samples * (2d + 2)

    sweep:
      method: morris                                        # samples * (d + 1) points
      samples: 20                                           # trajectories
      levels: 4                                             # grid levels (even)

Every point is validated like a scenario file before anything runs, and its problems name the
file, the point and the field.
"""

from __future__ import annotations

import collections
import difflib
import math
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from sim.scenario.designs import (
    POWER_OF_TWO,
    SAMPLED,
    Method,
    Range,
    n_design_points,
    unit_design,
    unit_to_value,
)
from sim.scenario.field_types import is_scalar_type, known_paths, leaf_type
from sim.scenario.loading import (
    SWEEP_KEY,
    ScenarioError,
    _short,
    _shown,
    read_scenario_data,
    set_field,
    validate,
)
from sim.scenario.schema import Scenario

RESERVED = ("method", "samples", "seed", "second_order", "levels")
"""Keys of a sweep block that are settings, not field paths."""

NOT_SWEPT = ("name", "description", "seed", "replications")
"""Fields that cannot be swept: labels, and the seeds shared by every point."""

MAX_POINTS = 2**14
"""Most points a sweep may expand to (grid product, samples); each is validated before
anything runs (about 1 ms each), so loading stays under half a minute."""


@dataclass(frozen=True)
class Sweep:
    """A parsed sweep block.

    Args:
        method: grid, lhs, sobol, sobol_indices or morris (see `sim.scenario.designs`).
        parameters: field path -> list of values (grid) or `Range` (the sampled methods), in
            file order.
        samples: points (lhs, sobol), base samples (sobol_indices) or trajectories (morris);
            None for grid.
        seed: seed of the sampler (default: the scenario's root seed).
        second_order: sobol_indices: a design for second-order indices too.
        levels: morris: the number of grid levels (even).
    """

    method: Method
    parameters: dict[str, list[Any] | Range]
    samples: int | None = None
    seed: int | None = None
    second_order: bool = False
    levels: int = 4

    def to_dict(self) -> dict[str, Any]:
        """The sweep as a block that `parse_sweep` reads back into an equal sweep."""
        out: dict[str, Any] = {"method": self.method.value}
        if self.samples is not None:
            out["samples"] = self.samples
        if self.seed is not None:
            out["seed"] = self.seed
        if self.method == Method.SOBOL_INDICES and self.second_order:
            out["second_order"] = True
        if self.method == Method.MORRIS:
            out["levels"] = self.levels
        for path, spec in self.parameters.items():
            out[path] = spec.to_dict() if isinstance(spec, Range) else list(spec)
        return out

    @property
    def n_points(self) -> int:
        """How many points the sweep expands to."""
        if self.method == Method.GRID:
            return math.prod(len(v) for v in self.parameters.values() if isinstance(v, list))
        assert self.samples is not None
        d = len(self.parameters)
        return n_design_points(self.method, d, self.samples, self.second_order)


@dataclass(frozen=True)
class Point:
    """One point of an experiment: a validated scenario and the values that label it.

    Args:
        index: point number, 0-based, in expansion order.
        values: label column -> value (swept field path -> resolved value; for a comparison
            ``scenario`` -> the scenario's name).
        scenario: the resolved, validated scenario of the point.
    """

    index: int
    values: dict[str, Any] = field(default_factory=dict)
    scenario: Scenario | None = None


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_sweep(raw: Any, source: str) -> Sweep:
    """Check a sweep block and return it parsed.

    Args:
        raw: the value of the ``sweep`` key of a scenario file.
        source: what to name in messages (the file path).

    Raises:
        ScenarioError: one message per problem, as ``<file>: sweep.<key>: <problem>``.
    """
    where = f"{source}: {SWEEP_KEY}"
    if not isinstance(raw, dict) or not raw:
        raise ScenarioError([f"{where}: must map field paths to values (e.g. ties.decay: [..])"])
    problems: list[str] = []
    method_raw = raw.get("method", Method.GRID.value)
    try:
        method = Method(method_raw if isinstance(method_raw, str) else "")  # no repr of it
    except ValueError:
        problems.append(
            f"{where}.method: must be one of {', '.join(m.value for m in Method)} "
            f"(got {_short(method_raw)})"
        )
        method = Method.GRID
    settings = _parse_settings(raw, where, method, problems)
    parameters = _parse_parameters(raw, where, method, problems)
    if not parameters and not problems:
        problems.append(f"{where}: names no field to sweep")
    sweep = Sweep(method=method, parameters=parameters, **settings)
    if (method == Method.GRID or not problems) and sweep.n_points > MAX_POINTS:
        what = "grid" if method == Method.GRID else f"{method.value} design"
        problems.append(f"{where}: the {what} has {sweep.n_points} points (at most {MAX_POINTS})")
    if problems:
        raise ScenarioError(problems)
    return sweep


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# long: one check per setting, each with the methods it applies to and its message
def _parse_settings(
    raw: dict[Any, Any], where: str, method: Method, problems: list[str]
) -> dict[str, Any]:
    """samples, seed, second_order and levels of a sweep block; problems are appended."""
    sampled = ", ".join(m.value for m in SAMPLED)
    samples = raw.get("samples")
    if method == Method.GRID:
        if samples is not None:
            problems.append(f"{where}.samples: only used with method {sampled}; remove it")
            samples = None
    elif not _whole(samples) or samples < 1:
        problems.append(f"{where}.samples: {method.value} needs a number of points >= 1")
        samples = 1
    elif samples > MAX_POINTS:
        problems.append(f"{where}.samples: must be at most {MAX_POINTS} (got {samples})")
    elif method in POWER_OF_TWO and samples & (samples - 1):
        lo = 1 << (samples.bit_length() - 1)
        problems.append(
            f"{where}.samples: {method.value} needs a power of 2 to keep its balance "
            f"(got {samples}; use {lo} or {2 * lo})"
        )
    elif method == Method.MORRIS and samples < 2:
        problems.append(f"{where}.samples: morris needs at least 2 trajectories (got 1)")
    seed = raw.get("seed")
    if seed is not None and (not _whole(seed) or seed < 0):
        problems.append(f"{where}.seed: must be a whole number >= 0 (got {_short(seed)})")
        seed = None
    if seed is not None and method == Method.GRID:
        problems.append(f"{where}.seed: only used with method {sampled}; remove it")
    second_order = raw.get("second_order", False)
    if "second_order" in raw and method != Method.SOBOL_INDICES:
        problems.append(f"{where}.second_order: only used with method sobol_indices; remove it")
    elif not isinstance(second_order, bool):
        problems.append(f"{where}.second_order: must be true or false (got {_short(second_order)})")
        second_order = False
    levels = raw.get("levels", 4)
    if "levels" in raw and method != Method.MORRIS:
        problems.append(f"{where}.levels: only used with method morris; remove it")
        levels = 4
    elif not _whole(levels) or levels < 2 or levels % 2 or levels > 64:
        got = _short(levels)
        problems.append(f"{where}.levels: must be an even whole number 2..64 (got {got})")
        levels = 4
    return {"samples": samples, "seed": seed, "second_order": second_order, "levels": levels}


def _parse_parameters(
    raw: dict[Any, Any], where: str, method: Method, problems: list[str]
) -> dict[str, list[Any] | Range]:
    """The swept field paths and their values or ranges; problems are appended."""
    known = known_paths()
    parameters: dict[str, list[Any] | Range] = {}
    for path, spec in raw.items():
        if path in RESERVED:
            continue
        at = f"{where}.{_shown(path)}"
        if not isinstance(path, str):
            problems.append(f"{where}: {_short(path)}: a field path must be text, e.g. ties.decay")
            continue
        if path in NOT_SWEPT:
            problems.append(f"{at}: cannot be swept (every point shares it)")
            continue
        t = leaf_type(path)
        if t is None:
            hint = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            problems.append(f"{at}: unknown field{extra}")
            continue
        if not is_scalar_type(t):
            problems.append(f"{at}: only fields holding one value can be swept")
            continue
        if method == Method.GRID:
            if not isinstance(spec, list) or not spec:
                problems.append(f"{at}: grid needs a non-empty list of values (got {_short(spec)})")
                continue
            try:  # by hash, in linear time (a list over the cap is refused below, not counted)
                counts = collections.Counter(spec if len(spec) <= MAX_POINTS else ())
                repeats = [v for v, count in counts.items() if count > 1]
            except TypeError:  # a list or mapping among the values: refused point by point
                repeats = []
            if repeats:
                problems.append(f"{at}: value {_short(repeats[0])} repeats")
            parameters[path] = list(spec)
        else:
            rng = _parse_range(spec, t, at, method, problems)
            if rng is not None:
                parameters[path] = rng
    return parameters


def _parse_range(spec: Any, t: Any, at: str, method: Method, problems: list[str]) -> Range | None:
    if not isinstance(spec, dict) or not {"min", "max"} <= set(spec):
        problems.append(
            f"{at}: {method.value} needs a range {{min: .., max: ..}} (got {_short(spec)})"
        )
        return None
    unknown = set(spec) - {"min", "max", "scale"}
    if unknown:
        problems.append(f"{at}: unknown key(s) {sorted(unknown)} (allowed: min, max, scale)")
        return None
    if not (isinstance(t, type) and issubclass(t, int | float)):
        problems.append(f"{at}: {method.value} samples numbers; sweep this field with a grid")
        return None
    lo, hi, scale = spec["min"], spec["max"], spec.get("scale", "linear")
    ok = True
    for name, v in (("min", lo), ("max", hi)):
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
            problems.append(f"{at}.{name}: must be a finite number (got {_short(v)})")
            ok = False
    if scale not in ("linear", "log"):
        problems.append(f"{at}.scale: must be one of linear, log (got {_short(scale)})")
        ok = False
    if not ok:
        return None
    if lo > hi:
        problems.append(f"{at}: min must be at most max (got {lo} > {hi})")
        return None
    if issubclass(t, bool) and (lo, hi, scale) != (0, 1, "linear"):
        problems.append(f"{at}: a true/false field is sampled as {{min: 0, max: 1}} (0: false)")
        return None
    if issubclass(t, int) and not (float(lo).is_integer() and float(hi).is_integer()):
        problems.append(f"{at}: a whole-number field needs whole-number min and max")
        return None
    if scale == "log" and lo <= 0:
        problems.append(f"{at}.min: a log scale needs min > 0 (got {lo})")
        return None
    return Range(min=lo, max=hi, scale=scale)


# --- Expansion -------------------------------------------------------------------------------


def _grid(sweep: Sweep) -> list[dict[str, Any]]:
    import itertools

    paths = list(sweep.parameters)
    lists = [sweep.parameters[p] for p in paths]
    if (n := math.prod(len(v) for v in lists)) > MAX_POINTS:  # parse_sweep refuses it first
        raise ScenarioError([f"{SWEEP_KEY}: the grid has {n} points (at most {MAX_POINTS})"])
    return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*lists)]


def _sample(sweep: Sweep, seed: int) -> list[dict[str, Any]]:
    paths = list(sweep.parameters)
    assert sweep.samples is not None
    unit = unit_design(
        sweep.method,
        len(paths),
        sweep.samples,
        seed,
        second_order=sweep.second_order,
        levels=sweep.levels,
    )
    kinds = [_kind(leaf_type(p)) for p in paths]
    out = []
    for row in unit:
        values: dict[str, Any] = {}
        for u, path, kind in zip(row, paths, kinds, strict=True):
            r = sweep.parameters[path]
            assert isinstance(r, Range)
            values[path] = unit_to_value(r, float(u), kind)
        out.append(values)
    return out


def _kind(t: Any) -> type:
    """bool, int or float: how a unit coordinate maps onto a field of type `t`."""
    if isinstance(t, type) and issubclass(t, bool):
        return bool
    return int if t is int else float


def point_values(sweep: Sweep, root_seed: int) -> list[dict[str, Any]]:
    """The raw values of every point of a sweep, field path -> value, in expansion order.

    Grid: the product of the lists, the last field varying fastest. Sampled methods: the
    design's points drawn with the sweep's seed (default `root_seed`), mapped onto each range
    by `sim.scenario.designs.unit_to_value`.
    """
    if sweep.method == Method.GRID:
        return _grid(sweep)
    return _sample(sweep, sweep.seed if sweep.seed is not None else root_seed)


def resolved_value(scenario: Scenario, path: str) -> Any:
    """The value of a dotted field path in a validated scenario (an Enum as its value)."""
    node: Any = scenario
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return node.value if isinstance(node, Enum) else node


def _label(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v, 20)}" for k, v in values.items())


def expand(base: dict[str, Any], sweep: Sweep, source: str) -> list[Point]:
    """Every point of a sweep, each validated like a scenario file.

    Args:
        base: the scenario mapping without its sweep block (overrides applied).
        sweep: the parsed sweep.
        source: what to name in messages (the file path).

    Returns:
        Points in expansion order, each with its resolved scenario and swept values.

    Raises:
        ScenarioError: one message per distinct problem, naming the file, the first point
            where it occurs (with its swept values) and the field; a problem shared by several
            points says how many.
    """
    root_seed = base.get("seed", Scenario.model_fields["seed"].default)
    if not isinstance(root_seed, int):
        root_seed = 0
    points: list[Point] = []
    first: dict[str, str] = {}
    count: dict[str, int] = {}
    for i, raw in enumerate(point_values(sweep, root_seed)):
        where = f"{source}: {SWEEP_KEY} point {i} ({_label(raw)})"
        data = base
        bad_path = False
        for path, value in raw.items():
            try:
                data = set_field(data, path.split("."), value)
            except (IndexError, ValueError, TypeError, AttributeError, KeyError):
                msg = f"{source}: {SWEEP_KEY}.{path}: no such field in this scenario"
                first.setdefault(msg, msg)
                count[msg] = count.get(msg, 0) + 1
                bad_path = True
        if bad_path:
            continue
        try:
            scenario = validate(data, source=where)
        except ScenarioError as exc:
            for line in exc.problems:
                tail = line[len(where) :]
                first.setdefault(tail, line)
                count[tail] = count.get(tail, 0) + 1
            continue
        values = {p: resolved_value(scenario, p) for p in raw}
        points.append(Point(index=i, values=values, scenario=scenario))
    if first:
        lines = []
        for tail, line in first.items():
            more = count[tail] - 1
            lines.append(line + (f" (and {more} more point{'s' * (more > 1)})" if more else ""))
        raise ScenarioError(lines)
    return points


@dataclass(frozen=True)
class Experiment:
    """What one scenario file asks for: a base scenario, its sweep (if any) and its points.

    Args:
        base: the scenario without its sweep (a single point when there is no sweep).
        sweep: the parsed sweep block, or None.
        points: the points to run; one point with no values when there is no sweep.
        source: the file it was read from (for messages).
    """

    base: Scenario
    sweep: Sweep | None
    points: list[Point]
    source: str = "<scenario>"

    @property
    def swept(self) -> list[str]:
        """The swept field paths, in file order (the label columns of the tables)."""
        return list(self.sweep.parameters) if self.sweep else []


def load_experiment(
    path: str | Path, overrides: list[str] | None = None, *, base_dir: Path | None = None
) -> Experiment:
    """Read a scenario file with or without a sweep block; validate the base and every point.

    Args:
        path: the YAML file.
        overrides: `section.field=value` strings applied to the base (and the sweep block,
            e.g. ``sweep.samples=32``); overriding a swept field is an error.
        base_dir: folder that relative `network.path` values are resolved against.

    Raises:
        ScenarioError: one message per problem, naming the file and field.
    """
    source = str(path)
    data = read_scenario_data(path, overrides, base_dir=base_dir)
    raw_sweep = data.pop(SWEEP_KEY, None)
    base = validate(data, source=source)
    if raw_sweep is None:
        return Experiment(base, None, [Point(index=0, scenario=base)], source)
    sweep = parse_sweep(raw_sweep, source)
    clash = []
    for text in overrides or []:
        key = text.partition("=")[0].strip()
        if key in sweep.parameters:
            clash.append(f"--set {_shown(text)}: {key} is swept; change the sweep block instead")
    if clash:
        raise ScenarioError(clash)
    return Experiment(base, sweep, expand(data, sweep, source), source)
