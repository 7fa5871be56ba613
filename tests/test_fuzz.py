"""Fuzzing the scenario loader: any file either loads or fails with one-line `ScenarioError`s.

Every document below goes through the CLI's own entry point, `scenario_spec(path, overrides)`
(`run.py run FILE --set ...`: read the YAML, apply the overrides, validate the base and every
sweep point, read an edge list, dump the resolved scenario). For every example:

- the outcome is a spec or a `ScenarioError`, never any other exception;
- every problem is one line (no line break inside) of at most `MAX_LINE` characters besides
  the file's path, and names the file (or the ``--set`` override) it is about;
- loading takes at most `TIME_LIMIT` seconds (time.perf_counter) and grows the resident
  memory by at most `MEMORY_LIMIT` bytes at its peak (sampled; see `measured`). A load
  still running after `HANG_LIMIT` seconds is interrupted, and the address space is capped
  meanwhile, so that a memory bomb fails the test instead of taking the machine down;
- an accepted scenario of small size is built with `make_model` and stepped twice.

The documents:

- `documents`: a shipped scenario (or the defaults), then random fields set to values
  within their schema bounds (read from the pydantic field metadata: ge / gt / le / lt,
  patterns, enums, optional), random item classes and random sweep blocks, some of the
  changes given as ``--set`` overrides. Cross-field constraints are not respected on purpose,
  so both outcomes occur. `documents(small=True)` does the same with sizes capped, so that most of
  its scenarios are accepted and run.
- `mutated_documents`: a valid document with a field or section set to a wrong type (text,
  bools, lists, mappings, null, 10**30, negative numbers, nan / inf, long text), unknown keys,
  keys at the wrong level, random sweep blocks and malformed ``--set`` overrides.
- `odd_texts`: YAML oddities written as text and read by the project's YAML reader: anchors and
  aliases (an alias bomb, recursive aliases), deep nesting, non-text keys, merge keys, explicit
  tags, duplicated lines, tabs, control characters and bytes that are not UTF-8, byte order
  marks, several documents, a list or a scalar as the document, an empty file.
- `CATALOGUE`: named, fixed examples of the same oddities (each a test id, so a fix can be
  checked case by case).

Running it:

    pytest tests/test_fuzz.py                                  # CI: fixed examples, ~1 min
    HYPOTHESIS_PROFILE=fuzz-long pytest tests/test_fuzz.py     # 5000 random examples per test
    pytest tests/test_fuzz.py --hypothesis-profile=fuzz-long   # the same
    pytest tests/test_fuzz.py --hypothesis-profile=fuzz-long --hypothesis-seed=7  # another seed

The CI run is derandomized (the same examples every time) and does not shrink a failing
example (a slow example makes shrinking take minutes): it reports the first one found, with
its document. The long profile (registered in tests/conftest.py) draws new random examples on
every run, shrinks failures to a minimal document and keeps them in the hypothesis database
(.hypothesis/), so a rerun tries them first.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import math
import resource
import signal
import threading
import time
import typing
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import (
    HealthCheck,
    Phase,
    currently_in_test_context,
    event,
    given,
    note,
    settings,
)
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.engines import make_model
from sim.experiment.spec import Spec, scenario_spec
from sim.scenario import Scenario, ScenarioError, field_paths, load_experiment, load_scenario
from sim.scenario.schema import ItemClassConfig

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))

TIME_LIMIT = 2.0
"""Longest time one load may take, in seconds (measured with time.perf_counter)."""
HANG_LIMIT = 30.0
"""A load (or a model step) still running after this many seconds is interrupted: a hang
(a loop that never ends), not slowness; a kernel compiling for the first time while the
other test process compiles too took more than 6 s in a fresh clone."""
MEMORY_LIMIT = 200 * 2**20
"""Largest growth of the resident memory while loading, in bytes (at its peak)."""
ADDRESS_HEADROOM = 2 * 2**30
"""Address space a load may add before allocations fail (a guard for the machine)."""
MAX_LINE = 300
"""Longest problem line, not counting the file's path (values are quoted at most ~80 chars)."""

SMALL_AGENTS, SMALL_ITEMS, SMALL_TOPICS = 60, 60, 60
"""An accepted scenario at most this big is built and stepped."""
RUN_POINTS = 2
"""Sweep points built and stepped per accepted sweep."""

LONG = settings.get_current_profile_name() == "fuzz-long"


def fuzz_settings(ci_examples: int) -> settings:
    """`ci_examples` derandomized examples; the long profile's own count when it is loaded."""
    checks = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
    if LONG:
        return settings(deadline=None, suppress_health_check=checks)
    return settings(
        max_examples=ci_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=checks,
        # No shrinking in CI: a slow failing example costs seconds per shrink step, and
        # hypothesis may shrink for five minutes. The long profile shrinks.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )


# ---------------------------------------------------------------------------------------------
# Bounds: time, memory, hangs


class Hung(Exception):
    """A load or model step ran past `HANG_LIMIT`."""


def _address_space() -> int:
    """The process's current virtual memory size, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def guarded(what: str) -> Iterator[None]:
    """Interrupt the block after `HANG_LIMIT` s; cap its address space (memory bombs fail)."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise Hung(f"{what}: still running after {HANG_LIMIT} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = _address_space()
    if used:
        cap = used + ADDRESS_HEADROOM
        resource.setrlimit(
            resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard)
        )
    # Again every second: an alarm raised inside a gc callback is swallowed.
    signal.setitimer(signal.ITIMER_REAL, HANG_LIMIT, 1.0)
    try:
        yield
    except Hung as exc:
        # Raised again from here: the traceback of a signal raised deep in a parser can have
        # frames without a line number, which pytest cannot print.
        raise Hung(str(exc)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, old)


def _resident() -> int:
    """The process's resident memory (RSS), in bytes."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()


@contextlib.contextmanager
def measured(what: str) -> Iterator[None]:
    """`guarded`, and fail if the block took over `TIME_LIMIT` s or grew RSS by `MEMORY_LIMIT`.

    The peak is sampled every few milliseconds from a thread (tracemalloc would be exact for
    Python objects but slows PyYAML down up to 15 times, which distorts the time and makes
    some examples hang). Freed memory is first returned to the system, so that memory kept
    by the allocator from an earlier example does not hide this one's growth.
    """
    _trim()
    start_rss = _resident()
    peak = start_rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.002):
            peak = max(peak, _resident())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        with guarded(what):
            yield
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
        peak = max(peak, _resident())
    grown = peak - start_rss
    assert elapsed <= TIME_LIMIT, f"{what}: took {elapsed:.2f} s (limit {TIME_LIMIT} s)"
    assert grown <= MEMORY_LIMIT, (
        f"{what}: resident memory grew by {grown / 2**20:.0f} MB (limit "
        f"{MEMORY_LIMIT / 2**20:.0f} MB)"
    )


def _trim() -> None:
    """Return the C allocator's free memory to the system (glibc), if it can."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# ---------------------------------------------------------------------------------------------
# Loading and the properties every example must have


def load(path: Path, overrides: list[str] | None = None) -> Spec | ScenarioError:
    """What `run.py run PATH --set ...` gets: a spec, or the `ScenarioError` it reports."""
    overrides = list(overrides or [])
    with measured(f"loading {path.name} with {len(overrides)} override(s)"):
        try:
            return scenario_spec(path, overrides)
        except ScenarioError as exc:
            error = exc
    return error


def check_problems(error: ScenarioError, path: Path) -> None:
    """One line per problem, of bounded length, each naming the file or the override."""
    problems = error.problems
    assert isinstance(problems, list) and problems, "a ScenarioError must list its problems"
    assert str(error) == "\n".join(problems)
    for line in problems:
        assert isinstance(line, str), line
        shown = line if len(line) < 1000 else line[:500] + f"...<{len(line)} chars>"
        assert "\n" not in line and "\r" not in line, f"a problem spans lines: {shown!r}"
        assert len(line.replace(str(path), "<file>")) <= MAX_LINE, (
            f"a problem line of {len(line)} characters: {shown!r}"
        )
        assert line.startswith((str(path), "--set ")), f"names neither file nor --set: {shown!r}"


def is_small(scenario: Scenario) -> bool:
    """Small enough to build and step in a test."""
    return (
        scenario.population.n_agents <= SMALL_AGENTS
        and scenario.n_items <= SMALL_ITEMS
        and scenario.knowledge.n_topics <= SMALL_TOPICS
    )


def run_small(spec: Spec) -> bool:
    """Build and step twice the first points of an accepted spec, if small; True if run."""
    points = [p for p in spec.points if p.scenario is not None][:RUN_POINTS]
    if not points or not all(is_small(p.scenario) for p in points):
        return False
    for point in points:
        with guarded(f"building and stepping sweep point {point.index}"):
            model = make_model(
                point.scenario, rng=point.index, start_network=spec.networks[point.index]
            )
            model.step()
            model.step()
    return True


def check_document(
    workdir: Path, text: str | bytes, overrides: list[str] | None = None, *, round_trip=False
) -> Spec | ScenarioError:
    """Write a document, load it the CLI's way, and check the outcome (run it if small)."""
    path = workdir / "fuzzed.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    _note(f"document:\n{text if isinstance(text, str) else text!r}", f"overrides: {overrides}")
    outcome = load(path, overrides)
    if isinstance(outcome, ScenarioError):
        _event("rejected")
        check_problems(outcome, path)
        return outcome
    _event("accepted")
    assert isinstance(outcome.base, Scenario)
    assert outcome.points and all(isinstance(p.scenario, Scenario) for p in outcome.points)
    if round_trip:
        # The resolved scenario the CLI writes to the results folder loads back as the same.
        again = workdir / "dumped.yaml"
        again.write_text(next(iter(outcome.files.values())), encoding="utf-8")
        reloaded = load_experiment(again)
        assert reloaded.base == outcome.base
        assert len(reloaded.points) == len(outcome.points)
    if run_small(outcome):
        _event("accepted and run")
    return outcome


def _note(*lines: str) -> None:
    """Show what was loaded when a hypothesis example fails (long documents cut)."""
    if currently_in_test_context():
        for line in lines:
            note(line if len(line) <= 3000 else f"{line[:3000]}... <{len(line)} chars>")


def _event(text: str) -> None:
    """Count outcomes in hypothesis's statistics (--hypothesis-show-statistics)."""
    if currently_in_test_context():
        event(text)


def dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10**6)


def override_text(path: str, value: Any) -> str:
    """`path=value` with the value written as one line of YAML."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6)
    text = text.strip()
    text = text.removesuffix("\n...").removesuffix("...").strip()
    return f"{path}={text}"


# ---------------------------------------------------------------------------------------------
# The schema, as read from the pydantic models


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type, whether None is allowed) of an annotation such as ``int | None``."""
    nullable = False
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = typing.get_args(annotation)
    if type(None) in args:
        nullable = True
        rest = [a for a in args if a is not type(None)]
        annotation = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, nullable


def _field(path: str, model: type[BaseModel] = Scenario) -> Any:
    """The pydantic FieldInfo at a dotted path (``N`` or a digit for an item class)."""
    parts = path.split(".")
    for i, part in enumerate(parts):
        if part == "N" or part.isdigit():
            continue
        info = model.model_fields[part]
        if i == len(parts) - 1:
            return info
        ann, _ = _unwrap(info.annotation)
        if typing.get_origin(ann) is list:
            ann = typing.get_args(ann)[0]
        model = ann
    raise KeyError(path)


def _bounds(info: Any) -> dict[str, Any]:
    """ge / gt / le / lt / pattern / min_length of a field, from its metadata."""
    out: dict[str, Any] = {}
    for meta in info.metadata:
        for key in ("ge", "gt", "le", "lt", "pattern", "min_length", "max_length"):
            value = getattr(meta, key, None)
            if value is not None:
                out[key] = value
    return out


PATHS = field_paths()
LEAVES = [p for p in PATHS if ".N." not in p]
"""Leaf field paths outside the item classes, e.g. ``ties.decay``."""
CLASS_LEAVES = [p.split(".N.", 1)[1] for p in PATHS if ".N." in p]
"""Leaf field paths inside an item class, e.g. ``seeding.n_holders``."""
SECTIONS = [
    name
    for name, f in Scenario.model_fields.items()
    if isinstance(_unwrap(f.annotation)[0], type)
    and issubclass(_unwrap(f.annotation)[0], BaseModel)
]
SWEEPABLE = [p for p in LEAVES if p not in ("name", "description", "seed", "replications")] + [
    f"knowledge.item_classes.0.{p}" for p in CLASS_LEAVES
]
CONTAINERS = [
    "",
    *SECTIONS,
    "knowledge.item_classes.0",
    "knowledge.item_classes.0.seeding",
    "sweep",
]
"""Mappings of a document where keys live."""
NAMES = sorted(
    {p.split(".")[-1] for p in PATHS if p.split(".")[-1] != "N"}
    | set(SECTIONS)
    | {"item_classes", "seeding", "sweep", "method", "samples", "min", "max", "scale"}
)
"""Every key the schema knows, to be put at the wrong level."""

SMALL_CAPS = {
    "population.n_agents": 40,
    "population.n_interests": 6,
    "population.time_budget": 20,
    "network.degree": 12,
    "network.n_groups": 8,
    "network.bridges_per_agent": 4.0,
    "knowledge.n_topics": 8,
    "n_items": 5,
    "sources_required": 4,
    "seeding.n_holders": 8,
    "seeding.agents": 40,
    "community.topics": 8,
    "steps": 50,
    "replications": 3,
    "metrics.structure_every": 5,
}
"""Upper ends for sizes in `documents(small=True)` (keys: paths, or paths in an item class)."""


def values(path: str, small: bool = False) -> st.SearchStrategy[Any]:
    """Values of the field at `path` within its schema bounds (size-capped if `small`)."""
    info = _field(path)
    ann, nullable = _unwrap(info.annotation)
    b = _bounds(info)
    short = path.split(".N.", 1)[-1].removeprefix("knowledge.item_classes.0.")
    cap = SMALL_CAPS.get(short) if small else None
    strategy: st.SearchStrategy[Any]
    if short == "network.path":
        strategy = st.sampled_from(["ring.csv", "ring.graphml", "missing.csv", ".", "empty.csv"])
    elif ann is bool:
        strategy = st.booleans()
    elif isinstance(ann, type) and issubclass(ann, Enum):
        strategy = st.sampled_from([m.value for m in ann])
    elif ann is int:
        lo = b["ge"] if "ge" in b else (math.floor(b["gt"]) + 1 if "gt" in b else None)
        hi = b["le"] if "le" in b else (math.ceil(b["lt"]) - 1 if "lt" in b else None)
        if cap is not None:
            hi = cap if hi is None else min(hi, cap)
        strategy = st.integers(lo, hi)
        if hi is None and not small:
            strategy = strategy | st.just((lo or 0) + 10**30)
    elif ann is float:
        lo = b.get("ge", b.get("gt"))
        hi = b.get("le", b.get("lt"))
        if cap is not None:
            hi = cap if hi is None else min(hi, cap)
        strategy = st.floats(
            lo,
            hi,
            exclude_min="gt" in b,
            exclude_max="lt" in b and (cap is None or hi == b["lt"]),
            allow_nan=False,
            allow_infinity=False,
        )
    elif ann is str:
        longest = b.get("max_length", 100)
        if b.get("pattern"):  # the schema's patterns hold for every prefix: cut, still valid
            strategy = st.from_regex(b["pattern"], fullmatch=True).map(lambda t: t[:longest])
        else:
            strategy = st.text(min_size=b.get("min_length", 0), max_size=longest)
    elif typing.get_origin(ann) is list and typing.get_args(ann)[0] is int:
        strategy = st.lists(st.integers(0, cap if cap is not None else 10**6), max_size=6)
    else:  # a new kind of field: teach the fuzzer its values
        raise NotImplementedError(f"{path}: {info.annotation}")
    return st.none() | strategy if nullable else strategy


# ---------------------------------------------------------------------------------------------
# Documents


def _shipped(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    net = data.get("network") or {}
    if net.get("path"):  # relative to the shipped file, not to where the fuzzer writes
        net["path"] = str((path.parent / net["path"]).resolve())
    return data


BASES = [{}] + [_shipped(p) for p in SHIPPED]
"""The defaults and every shipped scenario (sweeps and validation scenarios included)."""


def put(doc: Any, path: str, value: Any) -> Any:
    """Set the value at a dotted path (digits index lists), creating mappings on the way."""
    parts = path.split(".") if path else []
    if not parts:
        return value
    node = doc
    for part, nxt in zip(parts[:-1], parts[1:], strict=True):
        child: Any
        if isinstance(node, list):
            i = int(part)
            while len(node) <= i:
                node.append({})
            child = node[i]
            if not isinstance(child, dict | list):
                child = node[i] = [] if nxt.isdigit() else {}
            node = child
            continue
        child = node.get(part)
        if not isinstance(child, dict | list) or (isinstance(child, list) and not nxt.isdigit()):
            child = node[part] = [] if nxt.isdigit() else {}
        node = child
    last = parts[-1]
    if isinstance(node, list):
        i = int(last)
        while len(node) <= i:
            node.append({})
        node[i] = value
    else:
        node[last] = value
    return doc


def get(doc: Any, path: str) -> Any:
    """The value at a dotted path, or None if there is none."""
    node = doc
    for part in path.split(".") if path else []:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


@st.composite
def item_classes(draw: st.DrawFn, small: bool) -> list[dict[str, Any]]:
    """1 to 3 item classes, each with random fields within bounds."""
    out = []
    for i in range(draw(st.integers(1, 3))):
        cls: dict[str, Any] = {}
        for p in draw(st.lists(st.sampled_from(CLASS_LEAVES), unique=True, max_size=5)):
            put(cls, p, draw(values(f"knowledge.item_classes.N.{p}", small)))
        if draw(st.integers(0, 7)):  # mostly unique names (else the scenario is refused)
            cls["name"] = f"{cls.get('name', 'c')}{i}"
        if small:
            cls["n_items"] = draw(st.integers(1, SMALL_CAPS["n_items"]))
            put(cls, "seeding.n_holders", draw(st.integers(0, 5)))
        out.append(cls)
    return out


@st.composite
def sweeps(draw: st.DrawFn, small: bool) -> dict[str, Any]:
    """A sweep block of swept fields within bounds: grid lists, or lhs / sobol ranges."""
    method = draw(st.sampled_from(["grid", "lhs", "sobol"]))
    block: dict[str, Any] = {} if method == "grid" and draw(st.booleans()) else {"method": method}
    paths = draw(st.lists(st.sampled_from(SWEEPABLE), min_size=1, max_size=3, unique=True))
    if method == "grid":
        for p in paths:
            block[p] = draw(st.lists(values(p, small), min_size=1, max_size=4, unique_by=repr))
        return block
    block["samples"] = (
        2 ** draw(st.integers(0, 3)) if method == "sobol" else draw(st.integers(1, 8))
    )
    if draw(st.booleans()):
        block["seed"] = draw(st.integers(0, 2**64))
    for p in paths:
        lo, hi = draw(values(p, small)), draw(values(p, small))
        rng: dict[str, Any] = {"min": lo, "max": hi}
        if all(isinstance(x, int | float) and not isinstance(x, bool) for x in (lo, hi)):
            rng = {"min": min(lo, hi), "max": max(lo, hi)}
            if rng["min"] > 0 and draw(st.booleans()):
                rng["scale"] = "log"
        block[p] = rng
    return block


@st.composite
def documents(draw: st.DrawFn, small: bool = False) -> tuple[dict[str, Any], list[str]]:
    """A base document with random fields within bounds; some changes as --set overrides."""
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    overrides: list[str] = []
    if small:
        n = draw(st.integers(2, SMALL_CAPS["population.n_agents"]))
        put(doc, "population.n_agents", n)
        put(doc, "network.degree", 2 * draw(st.integers(0, min(n - 1, 12) // 2)))
        put(doc, "network.n_groups", draw(st.integers(1, min(n, 8))))
        classes = draw(item_classes(small=True))
        for cls in classes:  # explicit holders among the learners (else refused, not run)
            seeding = cls.get("seeding") or {}
            if seeding.get("agents"):
                seeding["agents"] = sorted({a % n for a in seeding["agents"]})
        put(doc, "knowledge.item_classes", classes)
    elif draw(st.booleans()):
        put(doc, "knowledge.item_classes", draw(item_classes(small=False)))
    for p in draw(st.lists(st.sampled_from(LEAVES), unique=True, max_size=8)):
        value = draw(values(p, small))
        if draw(st.integers(0, 3)) == 0:
            overrides.append(override_text(p, value))
        else:
            put(doc, p, value)
    if not small and draw(st.integers(0, 3)) == 0:
        doc["sweep"] = draw(sweeps(small))
    elif small and draw(st.integers(0, 5)) == 0:
        doc["sweep"] = draw(sweeps(small))
    return doc, overrides


# Wrong values: every type, the edges of numbers, and long text.
LONG_TEXT = st.builds(
    lambda n, c: c * n, st.sampled_from([301, 5000, 200_000]), st.sampled_from(["x", "é", "\n"])
)
JUNK = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["5", "0.5", "1e3", "nan", ".inf", "true", "yes", "null", "", " ", "0x1F"]),
    st.sampled_from(["2001-13-45", "!!int abc", "!!float x", "&a [*a]", "*a", "[" * 2000, "a: b"]),
    LONG_TEXT,
    st.booleans(),
    st.none(),
    st.integers(),
    st.sampled_from([10**30, -(10**30), 2**63, 2**64, -1, -(2**63) - 1]),
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324]),
    st.lists(st.integers() | st.text(max_size=5) | st.none(), max_size=5),
    st.dictionaries(st.text(max_size=8), st.integers() | st.none(), max_size=3),
    st.lists(st.lists(st.none(), max_size=3), max_size=3),
)
JUNK_KEYS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "N", "0", "<<", "a.b", "x\ny", "ties.decay", "--set"]),
    st.builds(lambda n: "k" * n, st.sampled_from([301, 5000])),
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(),
)
MALFORMED_OVERRIDES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "steps",
            "=5",
            "steps=",
            "a..b=1",
            ".=1",
            "knowledge.item_classes.9.n_items=3",
            "knowledge.item_classes.-1.n_items=3",
            "knowledge.item_classes.x.n_items=3",
            "knowledge.item_classes.0.seeding.agents.5=1",
            "name.x=1",
            "population=5",
            "population.n_agents.x=1",
            "sweep.samples=10",
            "sweep=[1, 2]",
            "steps=2001-13-45",
            "steps=!!int abc",
            "steps=!!float abc",
            "steps=&a [*a]",
            "steps=*nope",
            "steps=" + "[" * 5000,
            "steps=" + "9" * 5000,
            "description=" + "x" * 5000,
        ]
    ),
    st.builds(lambda p, v: f"{p}={v}", st.sampled_from(LEAVES), st.text(max_size=20)),
)


@st.composite
def junk_sweeps(draw: st.DrawFn) -> Any:
    """A sweep block with random settings, paths and values (valid or not)."""
    block: dict[Any, Any] = {}
    if draw(st.booleans()):
        block["method"] = draw(st.sampled_from(["grid", "lhs", "sobol"]) | JUNK)
    if draw(st.booleans()):
        block["samples"] = draw(st.integers(-2, 70) | JUNK)
    if draw(st.booleans()):
        block["seed"] = draw(st.integers(-2, 2**64) | JUNK)
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from(SWEEPABLE + ["name", "seed", "population"]) | JUNK_KEYS)
        spec = draw(
            st.one_of(
                st.lists(JUNK, max_size=6),
                st.fixed_dictionaries(
                    {"min": JUNK, "max": JUNK}, optional={"scale": JUNK, "other": JUNK}
                ),
                st.builds(
                    lambda a, b, s: {"min": min(a, b), "max": max(a, b), "scale": s},
                    st.floats(-10, 10),
                    st.floats(-10, 10),
                    st.sampled_from(["linear", "log"]),
                ),
                JUNK,
            )
        )
        block[key] = spec
    return block


def _mutate(draw: st.DrawFn, doc: dict[str, Any]) -> None:
    kind = draw(
        st.sampled_from(
            ["leaf", "class_leaf", "section", "unknown_key", "wrong_level", "sweep", "top"]
        )
    )
    event(f"mutation: {kind}")
    if kind == "leaf":
        put(doc, draw(st.sampled_from(LEAVES)), draw(JUNK))
    elif kind == "class_leaf":
        index = draw(st.sampled_from(["0", "0", "1", "5"]))
        put(
            doc, f"knowledge.item_classes.{index}.{draw(st.sampled_from(CLASS_LEAVES))}", draw(JUNK)
        )
    elif kind == "section":
        where = draw(
            st.sampled_from(
                SECTIONS
                + [
                    "knowledge.item_classes",
                    "knowledge.item_classes.0",
                    "knowledge.item_classes.0.seeding",
                    "sweep",
                ]
            )
        )
        put(doc, where, draw(JUNK))
    elif kind == "unknown_key":
        where = draw(st.sampled_from(CONTAINERS))
        node = get(doc, where)
        if not isinstance(node, dict):
            node = {}
            put(doc, where, node)
        node[draw(JUNK_KEYS)] = draw(JUNK | st.just(1))
    elif kind == "wrong_level":
        where = draw(st.sampled_from(CONTAINERS))
        name = draw(st.sampled_from(NAMES))
        put(doc, f"{where}.{name}" if where else name, draw(JUNK | st.just({}) | st.just(1)))
    elif kind == "sweep":
        doc["sweep"] = draw(junk_sweeps())
    else:
        doc[draw(st.sampled_from(list(Scenario.model_fields)))] = draw(JUNK)


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A valid document with one to three wrong fields, keys or overrides."""
    doc, overrides = draw(documents())
    for _ in range(draw(st.integers(1, 3))):
        _mutate(draw, doc)
    if draw(st.integers(0, 3)) == 0:
        overrides += draw(st.lists(MALFORMED_OVERRIDES, min_size=1, max_size=3))
    return doc, overrides


# YAML fragments written as text: values (flow style, one line) and keys.
def alias_bomb(levels: int, width: int = 9) -> str:
    """A flow list whose last element expands to width**levels leaves (shared by aliases)."""
    parts = [f"&b0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        parts.append(f"&b{i} [{', '.join([f'*b{i - 1}'] * width)}]")
    return "[" + ", ".join(parts) + "]"


def mapping_bomb(levels: int, width: int = 9) -> str:
    """A flow mapping whose values alias each other, width**levels leaves in all."""
    parts = [f"&m0 {{{', '.join(f'k{j}: lol' for j in range(width))}}}"]
    for i in range(1, levels):
        parts.append(f"&m{i} {{{', '.join(f'k{j}: *m{i - 1}' for j in range(width))}}}")
    return "{" + ", ".join(f"x{i}: {p}" for i, p in enumerate(parts)) + "}"


VALUE_FRAGMENTS = [  # (a 9-level bomb is in CATALOGUE: at some places it takes a minute)
    alias_bomb(3),
    alias_bomb(6),
    alias_bomb(8),
    mapping_bomb(6),
    "&r [*r]",
    "&r {a: *r}",
    "[&r1 [*r1], &r2 [*r2]]",
    "*nope",
    "&a 0.5",
    "[&a 0.1, *a]",
    "[" * 50 + "]" * 50,
    "[" * 400 + "]" * 400,
    "[" * 2000 + "]" * 2000,
    "{a: " * 300 + "1" + "}" * 300,
    "[" * 20000,
    "!!int abc",
    "!!float abc",
    "!!int 5",
    "!!str 5",
    "!!bool yes",
    "!!null ''",
    "!!timestamp 2001-13-45",
    "2001-13-45",
    "2001-02-30",
    "2001-12-14t21:59:43.10-05:00",
    "!!binary aGVsbG8=",
    "!!binary '####'",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!pairs [a: 1]",
    "!!python/tuple [1, 2]",
    "!!python/name:os.system",
    "!!python/object/apply:os.system [echo hi]",
    "!foo 1",
    "!<tag:example.com,2000:x> 1",
    "{<<: {decay: 0.5}}",
    "{<<: [{a: 1}, {b: 2}]}",
    "{<<: 5}",
    "{<<: *nope}",
    "{a: 1, a: 2}",
    '"\\0\\a\\x01\\u2028\\U0001F4A5"',
    "'" + "x" * 100_000 + "'",
    "0x" + "f" * 400,
    "1" + "0" * 5000,
    "0o777",
    "0b101",
    "1_000",
    "190:20:30",
    ".NaN",
    "-.inf",
    "~",
    "[]",
    "{}",
    "'\ud7ff\ue000\ufffd'",
    "? a",
    "|\n  block",
    "- a",
    "a: b: c",
    "[a, b",
    "'unterminated",
    '"\\q"',
    "&",
    "*",
    "!",
    "%",
    "@x",
    "`x",
]
KEY_FRAGMENTS = [
    "[a, b]",
    "{a: 1}",
    "? [a, b]",
    "null",
    "~",
    "1",
    "-1",
    "1.5",
    ".nan",
    "true",
    "2001-01-01",
    "2001-13-45",
    "<<",
    "!!binary aGk=",
    "!!int abc",
    '"a\\nb"',
    '"\\t"',
    "*nope",
    "&k steps",
    "k" * 5000,
    "'" + "é" * 400 + "'",
    "!!python/tuple [1, 2]",
    "!!set {a}",
    "? ",
    "-",
    "'a': 1, 'b'",
]
WRAPPERS = [
    ("\ufeff", ""),
    ("%YAML 1.1\n---\n", ""),
    ("%YAML 1.2\n---\n", ""),
    ("%YAML 2.0\n---\n", ""),
    ("%TAG ! tag:example.com,2000:\n---\n", ""),
    ("--- ", ""),
    ("---\n", "...\n"),
    ("", "---\nname: second\n"),
    ("", "---\n"),
    ("", "...\n---\n- 1\n"),
    ("", "\n\n\n"),
    ("# a comment\n", "# another\n"),
]
WHOLE = [
    "",
    "   \n\n",
    "# only a comment\n",
    "~\n",
    "null\n",
    "42\n",
    "3.5\n",
    "true\n",
    "'text'\n",
    "- a\n- b\n",
    "[1, 2]\n",
    "{}\n",
    "!!binary aGk=\n",
    "---\n---\n",
    "...\n",
    "---\n...\n",
    "\ufeff",
    "\x00",
    "\t",
    "name: a\n---\nname: b\n",
    "- name: a\n",
    "[" * 2000,
    "{" * 2000,
    "- " * 2000 + "x\n",
    "a:\n" + "".join("  " * i + "a:\n" for i in range(1, 600)),
]
PLACEHOLDER = "FUZZPLACEHOLDERVALUE"
KEY_PLACEHOLDER = "FUZZPLACEHOLDERKEY"


@st.composite
def odd_texts(draw: st.DrawFn) -> tuple[str | bytes, list[str]]:
    """A valid document's YAML text with an oddity written into it, as text or bytes."""
    doc, overrides = draw(documents())
    kind = draw(
        st.sampled_from(
            [
                "value",
                "sweep_value",
                "key",
                "merge",
                "duplicate_line",
                "junk_char",
                "tabs",
                "bytes",
                "truncate",
                "crlf",
                "wrapper",
                "whole",
            ]
        )
    )
    event(f"oddity: {kind}")
    if kind == "value":
        where = draw(
            st.sampled_from(LEAVES + [*SECTIONS, "knowledge.item_classes", "sweep", "extra"])
        )
        put(doc, where, PLACEHOLDER)
        text = dump(doc).replace(PLACEHOLDER, draw(st.sampled_from(VALUE_FRAGMENTS)), 1)
    elif kind == "sweep_value":
        block = draw(sweeps(small=False))
        slot = draw(st.sampled_from(["method", "samples", "seed", "values", "path"]))
        if slot == "values":
            block[draw(st.sampled_from(SWEEPABLE))] = PLACEHOLDER
        elif slot == "path":
            block[KEY_PLACEHOLDER] = [1]
        else:
            block[slot] = PLACEHOLDER
        doc["sweep"] = block
        text = dump(doc)
        text = text.replace(PLACEHOLDER, draw(st.sampled_from(VALUE_FRAGMENTS)), 1)
        text = text.replace(KEY_PLACEHOLDER, draw(st.sampled_from(KEY_FRAGMENTS)), 1)
    elif kind in ("key", "merge"):
        where = draw(st.sampled_from(CONTAINERS))
        put(doc, f"{where}.{KEY_PLACEHOLDER}" if where else KEY_PLACEHOLDER, PLACEHOLDER)
        text = dump(doc)
        key = "<<" if kind == "merge" else draw(st.sampled_from(KEY_FRAGMENTS))
        value = draw(
            st.sampled_from(
                ["1", "{decay: 0.5}", "[{decay: 0.5}, {floor: 0.2}]", "*nope", "&x {a: 1}"]
                + VALUE_FRAGMENTS[:8]
            )
        )
        text = text.replace(KEY_PLACEHOLDER, key, 1).replace(PLACEHOLDER, value, 1)
    else:
        text = dump(doc)
        lines = text.splitlines(keepends=True)
        if kind == "duplicate_line":
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines)))
            lines.insert(j, lines[i])
            text = "".join(lines)
        elif kind == "junk_char":
            junk = draw(
                st.sampled_from(["\t", "\x00", "\x07", "\x1b", "\r", "\x85", "\u2028", "\ufeff"])
                | st.characters(codec="utf-8")
                | st.text(min_size=1, max_size=5)
            )
            at = draw(st.integers(0, len(text)))
            text = text[:at] + junk + text[at:]
        elif kind == "tabs":
            if draw(st.booleans()):
                text = text.replace("  ", "\t")
            else:
                i = draw(st.integers(0, len(lines) - 1))
                lines[i] = "\t" + lines[i].lstrip(" ")
                text = "".join(lines)
        elif kind == "bytes":
            raw = text.encode("utf-8")
            at = draw(st.integers(0, len(raw)))
            junk = draw(
                st.binary(min_size=1, max_size=8)
                | st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00"])
            )
            return raw[:at] + junk + raw[at:], overrides
        elif kind == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        elif kind == "crlf":
            text = text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\x85", "\u2028"])))
        elif kind == "wrapper":
            head, tail = draw(st.sampled_from(WRAPPERS))
            text = head + text + tail
        else:
            text = draw(st.sampled_from(WHOLE))
    return text, overrides


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the edge lists that fuzzed `network.path` values name; the model warmed."""
    folder = tmp_path_factory.mktemp("fuzz")
    ring = [(i, (i + 1) % 10) for i in range(10)]
    (folder / "ring.csv").write_text(
        "source,target\n" + "".join(f"{u},{v}\n" for u, v in ring), encoding="utf-8"
    )
    edges = "".join(f'<edge source="{u}" target="{v}"/>' for u, v in ring)
    nodes = "".join(f'<node id="{i}"/>' for i in range(10))
    (folder / "ring.graphml").write_text(
        '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        f'<graph edgedefault="undirected">{nodes}{edges}</graph></graphml>',
        encoding="utf-8",
    )
    (folder / "empty.csv").write_text("", encoding="utf-8")
    # Lazy imports and compilation happen here, outside the time bounds of the examples.
    warm = folder / "warm.yaml"
    for engine in ("array", "agents"):
        warm.write_text(
            f"engine: {engine}\npopulation: {{n_agents: 12}}\nnetwork: {{degree: 2}}\n"
            "sweep: {method: lhs, samples: 2, ties.decay: {min: 0.0, max: 0.1}}\n",
            encoding="utf-8",
        )
        spec = scenario_spec(warm)
        # Not time-guarded: in a fresh clone the kernels compile here (tens of seconds,
        # longer when another test process compiles them at the same time).
        point = spec.points[0]
        model = make_model(point.scenario, rng=0, start_network=spec.networks[point.index])
        model.step()
        model.step()
        assert run_small(spec)
    # The kernels of other rules (cascade, threshold, gossip, community...), likewise.
    root = Path(__file__).resolve().parent.parent / "scenarios"
    for name in (
        "closed_community",
        "hybrid",
        "validation/cascade_er",
        "validation/threshold_ring",
        "validation/gossip_complete",
    ):
        try:
            sc = load_scenario(root / f"{name}.yaml", ["population.n_agents=40", "steps=2"])
            for engine in ("array", "agents"):
                m = make_model(sc.model_copy(update={"engine": engine}), rng=0)
                m.step()
                m.step()
        except Exception:  # noqa: BLE001, S112 - a warm-up only; the tests check behaviour
            continue
    return folder


# ---------------------------------------------------------------------------------------------
# The tests


@given(documents())
@fuzz_settings(80)
def test_documents_within_the_schema_bounds_load_or_fail_cleanly(workdir, case):
    doc, overrides = case
    check_document(workdir, dump(doc), overrides, round_trip=True)


@given(documents(small=True))
@fuzz_settings(60)
def test_small_documents_within_the_schema_bounds_load_and_run(workdir, case):
    doc, overrides = case
    check_document(workdir, dump(doc), overrides, round_trip=True)


@given(mutated_documents())
@fuzz_settings(160)
def test_mutated_documents_fail_cleanly(workdir, case):
    doc, overrides = case
    check_document(workdir, dump(doc), overrides)


@given(odd_texts())
@fuzz_settings(160)
def test_odd_yaml_texts_fail_cleanly(workdir, case):
    text, overrides = case
    check_document(workdir, text, overrides)


SMALL = "network: {degree: 4}\n"
"""With `population: {n_agents: 20}`: a scenario small enough to be built and stepped."""


def _bomb_sweep(levels: int) -> str:
    return f"sweep: {{network.generator: {alias_bomb(levels)}}}\n"


CATALOGUE: dict[str, tuple[str | bytes, list[str]]] = {
    # anchors and aliases
    "alias_bomb_as_a_value": (f"description: {alias_bomb(9)}\n", []),
    "alias_bomb_as_a_list_of_ints": (f"community: {{topics: {alias_bomb(9)}}}\n", []),
    "mapping_bomb_as_a_section": (f"ties: {mapping_bomb(9)}\n", []),
    "alias_bomb_as_a_choice": (f"network: {{generator: {alias_bomb(8)}}}\n", []),
    "alias_bomb_with_an_override": (f"description: {alias_bomb(7)}\n", ["steps=3"]),
    "alias_bomb_as_sweep_values": (_bomb_sweep(7), []),
    "alias_bomb_as_sweep_method": (
        f"sweep: {{method: {alias_bomb(5)}, ties.decay: [0.1]}}\n",
        [],
    ),
    "alias_bomb_as_sweep_range": (
        f"sweep: {{method: lhs, samples: 2, ties.decay: {alias_bomb(5)}}}\n",
        [],
    ),
    "recursive_alias": ("description: &a [*a]\n", []),
    "recursive_alias_with_an_override": ("description: &a [*a]\n", ["steps=3"]),
    "recursive_aliases_as_sweep_values": (
        "sweep: {network.generator: [&a [*a], &b [*b]]}\n",
        [],
    ),
    "undefined_alias": ("steps: *nope\n", []),
    "anchor_reused_across_sections": (
        "help: {p_ask: &p 0.2}\nsharing: {p_share: *p}\n",
        [],
    ),
    # deep nesting
    "2000_open_brackets": ("description: " + "[" * 2000 + "\n", []),
    "2000_nested_lists": ("description: " + "[" * 2000 + "]" * 2000 + "\n", []),
    "2000_nested_mappings": ("description: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n", []),
    "600_indented_mappings": ("a:\n" + "".join("  " * i + "a:\n" for i in range(1, 600)), []),
    "400_nested_lists_as_sweep_method": (
        "sweep: {method: " + "[" * 400 + "]" * 400 + ", ties.decay: [0.1]}\n",
        [],
    ),
    # keys that are not text
    "list_as_key": ("? [a, b]\n: 1\n", []),
    "mapping_as_key": ("{a: 1}: 2\n", []),
    "int_key": ("1: x\n", []),
    "null_key": ("null: x\n", []),
    "bool_key_in_section": ("ties: {true: 1}\n", []),
    "nan_key": (".nan: 1\n", []),
    "date_key": ("2001-01-01: 1\n", []),
    "binary_key_in_sweep": ("sweep: {!!binary aGVsbG8=: [1]}\n", []),
    "int_key_in_sweep": ("sweep: {1: [1]}\n", []),
    # merge keys
    "merge_key": ("base: &b {decay: 0.1}\nties:\n  <<: *b\n  floor: 0.1\n", []),
    "merge_key_into_top_level": ("x: &b {steps: 3}\n<<: *b\n", []),
    "merge_of_a_scalar": ("ties:\n  <<: 5\n", []),
    "merge_of_a_list_of_scalars": ("ties:\n  <<: [1, 2]\n", []),
    "merge_of_an_undefined_alias": ("ties:\n  <<: *nope\n", []),
    # duplicates, tabs, junk
    "duplicate_key": ("name: a\nname: b\n", []),
    "duplicate_section": ("ties: {decay: 0.1}\nties: {floor: 0.1}\n", []),
    "tab_indentation": ("ties:\n\tdecay: 0.1\n", []),
    "tab_after_colon": ("name:\tx\n\tsteps: 3\n", []),
    "control_character": ("name: a\x07b\n", []),
    "nul_character": ("name: x\x00\n", []),
    "escape_character": ("description: \x1b[31mred\n", []),
    "not_utf8": (b"name: \xff\xfe\n", []),
    "utf16_text": ("name: a\n".encode("utf-16"), []),
    "byte_order_mark": ("\ufeffname: a\n", []),
    "line_separator_in_a_key": ("na\u2028me: a\n", []),
    # explicit tags and implicit types that PyYAML cannot build
    "invalid_int_tag": ("steps: !!int abc\n", []),
    "invalid_float_tag": ("steps: !!float abc\n", []),
    "invalid_date": ("description: 2001-13-45\n", []),
    "invalid_day_of_month": ("description: 2001-02-30\n", []),
    "invalid_binary": ("description: !!binary '####'\n", []),
    "python_tag": ("name: !!python/object/apply:os.system [echo hi]\n", []),
    "unknown_tag": ("name: !foo x\n", []),
    "set_as_a_list": ("community: {topics: !!set {0: null}}\n", []),
    "invalid_date_in_an_override": ("name: a\n", ["description=2001-13-45"]),
    # text that looks like YAML, where a number is expected
    "quoted_invalid_date_for_a_number": ("steps: '2001-13-45'\n", []),
    "quoted_invalid_int_tag_for_a_number": ("steps: '!!int abc'\n", []),
    "quoted_invalid_float_tag_for_a_number": ("ties: {decay: '!!float x'}\n", []),
    "quoted_recursive_alias_for_a_number": ("steps: '&a [*a]'\n", []),
    "quoted_deep_nesting_for_a_number": ("steps: '" + "[" * 70 + "'\n", []),
    # the document itself
    "empty_file": ("", []),
    "only_whitespace": ("  \n\n", []),
    "only_a_comment": ("# nothing\n", []),
    "a_list": ("- 1\n- 2\n", []),
    "a_scalar": ("42\n", []),
    "a_string": ("'name: a'\n", []),
    "two_documents": ("name: a\n---\nname: b\n", []),
    "yaml_2_directive": ("%YAML 2.0\n---\nname: a\n", []),
    # long or multi-line text echoed in messages
    "long_unknown_key": ("k" * 1000 + ": 1\n", []),  # PyYAML's limit for a plain key: 1024
    "long_unknown_key_in_a_section": ("ties: {" + "k" * 1000 + ": 1}\n", []),
    "long_explicit_key": ("? " + "k" * 5000 + "\n: 1\n", []),
    "key_with_a_newline": ('"a\\nb": 1\n', []),
    "key_with_a_carriage_return": ('ties: {"a\\rb": 1}\n', []),
    "long_value": ("name: " + "x" * 100_000 + "\n", []),
    "value_with_newlines": ('steps: "1\\n2\\n3"\n', []),
    "long_sweep_method": (f"sweep: {{method: {'y' * 5000}, ties.decay: [0.1]}}\n", []),
    "long_sweep_grid_value": (f"sweep: {{network.generator: [{'z' * 5000}]}}\n", []),
    "sweep_grid_value_with_a_newline": ('sweep: {network.generator: ["a\\nb"]}\n', []),
    "long_sweep_path": (f"sweep: {{{'p' * 5000}: [1]}}\n", []),
    "long_override_path": ("name: a\n", ["p" * 5000 + "=1"]),
    "override_path_with_a_newline": ("name: a\n", ["ties.de\ncay=1"]),
    "long_override_value": ("name: a\n", ["steps=" + "9" * 5000]),
    # sizes that a sweep multiplies
    "grid_of_100000_points": (
        "sweep:\n"
        + "".join(
            f"  {p}: [{', '.join(str(i / 100) for i in range(1, 11))}]\n"
            for p in ["ties.decay", "ties.floor", "help.p_ask", "sharing.p_share", "help.goal"]
        ),
        [],
    ),
    "long_unknown_swept_path": ("sweep:\n  " + "k" * 1000 + ": [1, 2]\n", []),
    "lhs_with_a_million_samples": (
        "sweep: {method: lhs, samples: 1000000, ties.decay: {min: 0, max: 0.1}}\n",
        [],
    ),
    "lhs_with_10_to_the_30_samples": (
        "sweep: {method: lhs, samples: 1000000000000000000000000000000, "
        "ties.decay: {min: 0, max: 0.1}}\n",
        [],
    ),
    "sobol_with_2_to_the_40_samples": (
        "sweep: {method: sobol, samples: 1099511627776, ties.decay: {min: 0, max: 0.1}}\n",
        [],
    ),
    # numbers at the ends of their (unbounded) ranges
    "huge_bridges_per_agent": (
        "network: {generator: clustered, bridges_per_agent: 1.0e+308}\n",
        [],
    ),
    "huge_helpfulness_concentration": (
        f"{SMALL}population: {{n_agents: 20, helpfulness_concentration: 1.0e+308}}\n",
        [],
    ),
    "huge_sources_required": (
        f"{SMALL}population: {{n_agents: 20}}\n"
        "knowledge: {item_classes: [{sources_required: 1000000000000000000000000000000}]}\n",
        [],
    ),
    "huge_seed": (f"{SMALL}population: {{n_agents: 20}}\nseed: {10**30}\n", []),
    "huge_time_budget": (f"{SMALL}population: {{n_agents: 20, time_budget: {10**30}}}\n", []),
    "huge_structure_every": (
        f"{SMALL}population: {{n_agents: 20}}\nmetrics: {{structure_every: {10**30}}}\n",
        [],
    ),
    "integer_of_5000_digits": ("steps: " + "9" * 5000 + "\n", []),
    "hex_integer_of_4000_digits": ("steps: 0x" + "f" * 4000 + "\n", []),
    "name_of_100000_characters": ("name: " + "x" * 100_000 + "\n", []),
    # the largest population the schema accepts (loading must not build anything)
    "largest_population": ("population: {n_agents: 50000000}\n", []),
}


@pytest.mark.parametrize("case", list(CATALOGUE), ids=list(CATALOGUE))
def test_catalogued_oddities_fail_cleanly(workdir, case):
    text, overrides = CATALOGUE[case]
    check_document(workdir, text, overrides)


def test_the_fuzzer_knows_every_field():
    """A new field gets values here (else `values` raises), with its bounds from the schema."""
    for path in PATHS:
        values(path)
    assert set(CLASS_LEAVES) >= {"n_items", "seeding.n_holders"}
    assert ItemClassConfig.model_fields["n_items"].metadata  # bounds are read from metadata
