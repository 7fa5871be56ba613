"""The state of one app page: its scenarios, their overrides, models, and the YAML to save.

Plain Python (no Solara), so it is tested without a browser. Every value typed into the page
is applied as the command line applies ``--set FIELD=VALUE`` (the seed as ``--set seed=N``),
through `sim.scenario.load_scenario`: a bad value gets exactly the message `run.py` prints.
All scenarios of a page share the seed and step together (lockstep); the models run the
seed of replication 0 of ``run.py FILE --seed SEED``, so the page shows that replication.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.engines import make_model
from sim.experiment.jobs import replication_seeds
from sim.model import LearningModel
from sim.scenario import Scenario, ScenarioError, dump_scenario, load_scenario

from .layout import NetworkView


@dataclass(frozen=True)
class Param:
    """A scenario field with an input on the page.

    Attributes:
        path: the field path, as for ``--set`` (``ties.decay``).
        label: the input's label.
        switch: an on/off switch rather than a text input.
    """

    path: str
    label: str
    switch: bool = False


PARAMS: tuple[Param, ...] = (
    Param("network.bridges_per_agent", "bridges per learner"),
    Param("ties.decay", "tie decay"),
    Param("population.time_budget", "time budget"),
    Param("help.p_ask", "p_ask"),
    Param("help.bystander_exponent", "bystander exponent"),
    Param("community.enabled", "community", switch=True),
    Param("population.n_agents", "learners"),
)
"""The parameters the page can set, in the order they are applied."""

PLOTTED = ("share_aware", "mean_depth", "redundancy", "n_weak_ties", "n_strong_ties")
"""The columns of `model.rows` the page plots (spread, depth, redundancy, the tie mix)."""

MAX_SIDES = 2
"""Most scenarios on one page (side by side)."""


def field_value(scenario: Scenario, path: str) -> Any:
    """The value of a field of a scenario, by its path (``ties.decay``)."""
    node: Any = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return node


def as_text(value: Any) -> str:
    """A value as it is typed on the command line (YAML scalars: true, null, 0.005)."""
    if hasattr(value, "value"):  # an enum
        value = value.value
    return yaml.safe_dump(value, default_flow_style=True).removesuffix("\n...\n").strip()


@dataclass
class Side:
    """One scenario of the page: its file, the values set on the page, its model.

    Attributes:
        path: the scenario file.
        overrides: field path -> value as typed, applied (valid) on top of the file.
        scenario: the validated scenario (file + overrides + the page's seed).
        model: the running model.
        view: what is drawn of its tie network.
        pending: field path -> value as typed that was refused (shown until a valid change).
    """

    path: Path
    overrides: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    scenario: Scenario | None = None
    model: LearningModel | None = None
    view: NetworkView | None = None

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name if self.scenario is not None else self.path.stem

    def load(self, overrides: dict[str, str], seed: str | None) -> Scenario:
        """The scenario with these overrides and seed, validated as run.py validates it.

        Raises:
            ScenarioError: with run.py's lines for ``run.py FILE --set ... --set seed=SEED``.
        """
        sets = [f"{p}={t}" for p, t in overrides.items()]
        return load_scenario(self.path, sets + ([f"seed={seed}"] if seed is not None else []))

    def build(self) -> None:
        """A new model of the scenario (step 0), on replication 0's seed, and its view."""
        assert self.scenario is not None
        seed = replication_seeds(self.scenario.seed, 1)[0]
        self.model = make_model(self.scenario, rng=seed)
        self.view = NetworkView.of(self.model)

    def text(self, path: str) -> str:
        """The value of a parameter as typed on the page (refused, or applied), or the file's."""
        if path in self.pending:
            return self.pending[path]
        if path in self.overrides:
            return self.overrides[path]
        return as_text(field_value(self.scenario, path))

    def yaml_text(self) -> str:
        """The scenario with the page's settings as YAML that run.py accepts."""
        sets = " ".join(f"--set {p}={t}" for p, t in self.overrides.items())
        head = (
            f"# Saved by the learning-ties app from {self.path}"
            + (f" with {sets}" if sets else "")
            + f" (seed {self.scenario.seed}).\n"
        )
        return head + dump_scenario(self.scenario)


class Session:
    """The scenarios of a page stepped together on one seed.

    Args:
        paths: one or two scenario files.
    """

    def __init__(self, paths: list[str | Path]) -> None:
        if not 1 <= len(paths) <= MAX_SIDES:
            raise ScenarioError([f"app: give one or two scenario files (got {len(paths)})"])
        self.lock = threading.RLock()
        self.sides = [Side(Path(p)) for p in paths]
        problems: list[str] = []
        for side in self.sides:
            try:
                side.scenario = side.load({}, None)
            except ScenarioError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ScenarioError(problems)
        self.seed = str(self.sides[0].scenario.seed)  # as `compare`: the first file's seed
        self.pending_seed: str | None = None  # a refused seed, as typed
        self.errors: list[str] = []
        self.set_seed(self.seed)

    @property
    def step(self) -> int:
        """The steps run since the last reset."""
        return max(side.model.steps for side in self.sides)

    @property
    def running(self) -> bool:
        """Whether any scenario has steps left (`steps` of its file)."""
        return any(side.model.running for side in self.sides)

    def advance(self, n: int = 1) -> bool:
        """Step every scenario `n` times (those out of steps stop); whether any has steps left."""
        with self.lock:
            for _ in range(n):
                for side in self.sides:
                    if side.model.running:
                        side.model.step()
            return self.running

    def reset(self) -> None:
        """Every scenario back to step 0 (new models on the same settings and seed)."""
        with self.lock:
            for side in self.sides:
                side.build()

    def _apply(self, side_overrides: list[dict[str, str]], seed: str) -> list[str]:
        """Validate every side with these settings; if all are valid, apply them and reset."""
        problems: list[str] = []
        scenarios = []
        for side, over in zip(self.sides, side_overrides, strict=True):
            try:
                scenarios.append(side.load(over, seed))
            except ScenarioError as exc:
                problems.extend(exc.problems)
        if problems:
            self.errors = problems
            return problems
        with self.lock:
            for side, over, sc in zip(self.sides, side_overrides, scenarios, strict=True):
                side.overrides, side.scenario, side.pending = over, sc, {}
            self.seed, self.pending_seed, self.errors = seed, None, []
            self.reset()
        return []

    def set_value(self, index: int, path: str, text: str) -> list[str]:
        """Set a parameter of scenario `index` as ``--set PATH=TEXT`` would; its problems.

        A valid value is applied and every scenario starts again from step 0; an invalid one
        changes nothing and its problems (run.py's lines) are kept in `errors`.
        """
        over = [dict(side.overrides) for side in self.sides]
        over[index][path] = str(text).strip()
        problems = self._apply(over, self.seed)
        if problems:
            self.sides[index].pending[path] = str(text)
        return problems

    def set_seed(self, text: str) -> list[str]:
        """Set the seed of every scenario as ``--set seed=TEXT`` would; its problems."""
        problems = self._apply([dict(side.overrides) for side in self.sides], str(text).strip())
        if problems:
            self.pending_seed = str(text)
        return problems

    def item_labels(self) -> list[str]:
        """A label per knowledge item of the first scenario: ``item 3 (practices)``."""
        items = self.sides[0].model.items
        return [f"item {i} ({items.class_names[c]})" for i, c in enumerate(items.item_class)]

    def relayout(self) -> None:
        """Lay every drawn network out again on its current ties."""
        with self.lock:
            for side in self.sides:
                side.view.relayout(side.model)
