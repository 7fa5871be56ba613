"""What an experiment runs: a `Spec`, built from a scenario file, a `Scenario`, scenarios.

A spec comes from a scenario file (with or without a sweep block), a `Scenario`, several
scenarios to compare, or a results folder to resume.

Edge-list files are read here, once per point and before any results folder is created, so
that a bad file is an input error (`ScenarioError`) and the model never touches a file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.experiment import storage
from sim.experiment.jobs import start_network
from sim.scenario import (
    Experiment,
    Point,
    Scenario,
    ScenarioError,
    dump_scenario,
    load_experiment,
    validate,
)
from sim.scenario.loading import apply_override, parse_override
from sim.scenario.sweep import Sweep
from sim.world.edge_list import EdgeListError
from sim.world.graph_files import learner_indices
from sim.world.network import StartNetwork


@dataclass
class Spec:
    """An experiment ready to run: what the results folder and the tables need to know."""

    kind: str  # "scenario", "sweep" or "compare"
    name: str
    points: list[Point]
    labels: list[str]
    replications: int
    seed: int
    files: dict[str, str]  # results-folder file name -> text (the resolved scenarios)
    sources: list[Path] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    networks: dict[int, StartNetwork | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the user should know, e.g. shared seeds
    base: Scenario | None = None  # the resolved base scenario (a comparison's: the baseline)
    sweep: Sweep | None = None  # the parsed sweep block of a sweep

    @property
    def fingerprint(self) -> str:
        """Hash of what the experiment runs: the same command gives the same fingerprint."""
        return hashlib.sha256(
            json.dumps([self.kind, self.files], sort_keys=True).encode("utf-8")
        ).hexdigest()


# ---------------------------------------------------------------------------------------------
# What to run


def load(item: Scenario | str | Path, overrides: Sequence[str] = ()) -> Experiment:
    """The experiment of a scenario file (with its sweep block, if any) or of a `Scenario`.

    Overrides (``section.field=value``) are validated like the file.

    Raises:
        ScenarioError: one message per problem.
    """
    if not isinstance(item, Scenario):
        return load_experiment(item, list(overrides))
    source = "<scenario>"
    data = item.model_dump(mode="json")
    problems: list[str] = []
    for text in overrides:
        try:
            keys, value = parse_override(text)
            data = apply_override(data, keys, value)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    base = validate(data, source=source)
    return Experiment(base, None, [Point(index=0, scenario=base)], source)


def start_networks(experiment: Experiment) -> dict[int, StartNetwork | None]:
    """Each point's starting network, read once before anything runs.

    Points with equal network settings share one reading.

    Raises:
        ScenarioError: if an edge-list file is missing or invalid (one line, naming the file).
    """
    read: dict[str, StartNetwork | None] = {}
    out = {}
    for point in experiment.points:
        assert point.scenario is not None
        net = point.scenario.network
        key = json.dumps([net.model_dump(mode="json"), point.scenario.population.n_agents])
        if key not in read:
            try:
                read[key] = start_network(point.scenario)
            except EdgeListError as exc:
                raise ScenarioError([f"{experiment.source}: {exc.field}: {exc}"]) from None
        out[point.index] = read[key]
        _check_holders(experiment.source, point.scenario, read[key])
    return out


def _check_holders(source: str, scenario: Scenario, network: StartNetwork | None) -> None:
    """Explicit seed holders of an edge-list scenario must be nodes of its file."""
    n = scenario.population.n_agents
    for i, c in enumerate(scenario.knowledge.item_classes):
        if network is None or c.seeding.agents is None:
            continue
        field = f"knowledge.item_classes.{i}.seeding.agents"
        try:
            held = learner_indices(c.seeding.agents, getattr(network, "ids", None))
        except ValueError as exc:
            raise ScenarioError([f"{source}: {field}: {exc}"]) from None
        bad = held[(held < 0) | (held >= n)].tolist()
        if bad:
            raise ScenarioError([f"{source}: {field}: ids must be in 0..{n - 1} (got {bad[:5]})"])


def scenario_spec(item: Scenario | str | Path, overrides: Sequence[str] = ()) -> Spec:
    """The spec of one scenario, or of every point of its sweep block.

    Raises:
        ScenarioError: if the scenario, an override or an edge-list file is invalid.
    """
    experiment = load(item, overrides)
    networks = start_networks(experiment)
    base = experiment.base
    sweep = experiment.sweep.to_dict() if experiment.sweep else None
    return Spec(
        kind="sweep" if experiment.sweep else "scenario",
        name=base.name,
        points=experiment.points,
        labels=experiment.swept,
        replications=base.replications,
        seed=base.seed,
        files={storage.SCENARIO: dump_scenario(base, sweep)},
        sources=[] if isinstance(item, Scenario) else [Path(item)],
        extra={"steps": base.steps, "scenario_name": base.name},
        networks=networks,
        base=base,
        sweep=experiment.sweep,
    )


def compare_spec(items: Sequence[Scenario | str | Path], overrides: Sequence[str] = ()) -> Spec:
    """The spec of a comparison: scenarios on the first one's seed and replications.

    Raises:
        ScenarioError: if fewer than two scenarios are given, one is invalid or has a sweep
            block, or two have the same name.
    """
    if len(items) < 2:
        raise ScenarioError(
            ["compare: give at least two scenario files (the first is the baseline)"]
        )
    problems: list[str] = []
    scenarios: list[Scenario] = []
    networks: list[StartNetwork | None] = []
    for item in items:
        try:
            experiment = load(item, overrides)
            if experiment.sweep is not None:
                raise ScenarioError(
                    [f"{item}: sweep: compare takes scenarios without a sweep block"]
                )
            networks.append(start_networks(experiment)[0])
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        scenarios.append(experiment.base)
    if problems:
        raise ScenarioError(problems)
    names = [s.name for s in scenarios]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ScenarioError(
            [f"compare: scenario names must differ (repeated: {', '.join(repeated)})"]
        )
    return _shared_seed_spec(scenarios, networks, items)


def _shared_seed_spec(
    scenarios: list[Scenario],
    networks: list[StartNetwork | None],
    items: Sequence[Scenario | str | Path],
) -> Spec:
    first = scenarios[0]
    shared, notes = [], []
    for s in scenarios:
        if (s.seed, s.replications) != (first.seed, first.replications):
            notes.append(
                f"note: {s.name} runs on {first.name}'s seed {first.seed} and "
                f"{first.replications} replications (common random numbers)"
            )
        shared.append(s.model_copy(update={"seed": first.seed, "replications": first.replications}))
    names = [s.name for s in shared]
    return Spec(
        kind="compare",
        name="compare",
        points=[Point(i, {"scenario": s.name}, s) for i, s in enumerate(shared)],
        labels=["scenario"],
        replications=first.replications,
        seed=first.seed,
        files={f"{storage.SCENARIOS}/{s.name}.yaml": dump_scenario(s) for s in shared},
        sources=[Path(i) for i in items if not isinstance(i, Scenario)],
        extra={"scenarios": names, "baseline": names[0]},
        networks=dict(enumerate(networks)),
        notes=notes,
        base=shared[0],
    )


def resume_spec(folder: Path, overrides: Sequence[str] = ()) -> Spec:
    """The spec of a results folder to resume, from the resolved scenario(s) it saved.

    Raises:
        ScenarioError: if the folder holds no readable experiment.
    """
    folder = Path(folder)
    if not (folder / storage.SCENARIOS).is_dir():
        return scenario_spec(folder / storage.SCENARIO, overrides)
    return compare_spec(compared_files(folder), overrides)


def compared_files(folder: Path) -> list[Path]:
    """The saved scenario files of a comparison folder, baseline first.

    Raises:
        ScenarioError: if the folder is not a comparison results folder.
    """
    try:
        names = storage.read_manifest(folder)["scenarios"]
    except (OSError, ValueError, KeyError):
        raise ScenarioError([f"{folder}: not a comparison results folder"]) from None
    return [Path(folder) / storage.SCENARIOS / f"{n}.yaml" for n in names]


# ---------------------------------------------------------------------------------------------
# Resuming a folder: does it hold the same experiment?


class FolderMismatch(ScenarioError):
    """A folder to resume holds another experiment than the command's (exit status 2)."""


def folder_difference(spec: Spec, folder: Path) -> str | None:
    """The first way the experiment saved in a results folder differs from `spec`, or None.

    The folder's manifest fingerprint is compared first; if it differs, the saved scenario
    files are compared field by field with the spec's (the first differing field is named,
    e.g. ``ties.decay: folder has 0.01, command has 0.02``). More replications than the
    folder has are not a difference: they add runs to it.
    """
    try:
        saved = storage.read_manifest(folder)
    except (OSError, ValueError):
        saved = {}
    if saved.get("fingerprint") in (None, spec.fingerprint):
        return None  # the same experiment, or a folder older than fingerprints
    if saved.get("kind", spec.kind) != spec.kind:
        return f"kind: folder has {saved['kind']}, command has {spec.kind}"
    names = sorted(_saved_files(Path(folder)))
    if names != sorted(spec.files):
        return f"scenario files: folder has {', '.join(names)}, command has {', '.join(spec.files)}"
    for name, text in spec.files.items():
        try:
            old = yaml.safe_load((Path(folder) / name).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return f"{name}: unreadable in the folder"
        where = "" if len(spec.files) == 1 else f"{name}: "
        found = _first_difference(old, yaml.safe_load(text), "")
        if found is not None:
            return where + found
    return None


def _saved_files(folder: Path) -> list[str]:
    """The scenario files a results folder holds, as `Spec.files` names them."""
    if (folder / storage.SCENARIOS).is_dir():
        return [
            f"{storage.SCENARIOS}/{p.name}" for p in (folder / storage.SCENARIOS).glob("*.yaml")
        ]
    return [storage.SCENARIO] if (folder / storage.SCENARIO).is_file() else []


_ABSENT = object()


def _first_difference(old: Any, new: Any, path: str) -> str | None:
    """The first dotted field path where two resolved scenarios differ, and both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*new, *(k for k in old if k not in new)]:
            a, b = old.get(key, _ABSENT), new.get(key, _ABSENT)
            if path == "" and key == "replications" and _more_replications(a, b):
                continue
            found = _first_difference(a, b, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            found = _first_difference(a, b, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
        return None
    if old == new:
        return None
    return f"{path}: folder has {_shown(old)}, command has {_shown(new)}"


def _more_replications(old: Any, new: Any) -> bool:
    return isinstance(old, int) and isinstance(new, int) and new >= old


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "nothing"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
