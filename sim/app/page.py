"""The app's Solara page: controls on the left, the tie networks side by side, the curves.

Served by `sim.app.server` (``python run.py app``); ``solara run sim.app.page`` serves it too.
Each browser tab gets its own `Session` (the scenarios named by the environment variable
`SCENARIOS_ENV`, else `sim.app.DEFAULT_SCENARIOS`). The page is built from Solara's own
components: Mesa's `SolaraViz` drives one model with keyword parameters, while this page steps
two scenarios in lockstep and validates every value with the scenario schema (docs/app.md).
"""

from __future__ import annotations

import json
import os
import time

import solara
import solara.lab

from sim.scenario import ScenarioError

from . import DEFAULT_SCENARIOS, drawing
from .session import PARAMS, PLOTTED, Session, as_text, field_value

SCENARIOS_ENV = "LEARNING_TIES_APP_SCENARIOS"
"""Environment variable holding the page's scenario files (a JSON list of paths)."""

PAUSE = 0.15
"""Seconds between two refreshes while running."""

MAX_SPEED = 20
"""Most steps per refresh (the speed slider)."""

MEAN = "mean mastery"
"""The colouring of learners by their mean mastery over the items."""


def scenario_paths() -> list[str]:
    """The page's scenario files: from `SCENARIOS_ENV`, else the two default scenarios."""
    text = os.environ.get(SCENARIOS_ENV)
    return json.loads(text) if text else [str(p) for p in DEFAULT_SCENARIOS]


def _new_session() -> Session | list[str]:
    """A session of the page's scenarios, or the problems of the files."""
    try:
        return Session(scenario_paths())
    except ScenarioError as exc:
        return exc.problems


@solara.component
def Page():
    """The page: a session per browser tab (or the problems of its scenario files)."""
    session = solara.use_memo(_new_session, [])
    solara.Title("learning-ties")
    if isinstance(session, Session):
        App(session)
    else:
        Errors(session)


@solara.component
def App(session: Session):
    """The page of a session: a run loop while running, and the page's parts."""
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(1)
    colour = solara.use_reactive(MEAN)

    def refresh() -> None:
        tick.set(tick.value + 1)

    def run_loop() -> None:
        while playing.value:
            time.sleep(PAUSE)
            if not playing.value:
                break
            alive = session.advance(speed.value)
            refresh()
            if not alive:
                playing.set(False)

    solara.lab.use_task(run_loop, dependencies=[playing.value], prefer_threaded=True)
    with solara.Columns([1, 4], classes=["lt-app"], style={"padding": "8px"}):
        with solara.Column(gap="8px"):
            Controls(session, playing, speed, colour, refresh, tick.value)
            for index in range(len(session.sides)):
                SideInputs(session, index, refresh, tick.value)
        with solara.Column(gap="4px"):
            Errors(session.errors)
            Networks(session, colour.value, tick.value)
            Curves(session, tick.value)


@solara.component
def Controls(session: Session, playing, speed, colour, refresh, tick: int):
    """Step, run/pause, reset, speed, seed, the colouring of learners, a new layout.

    `tick` (the page's refresh count) is an argument so that the controls show each refresh.
    """

    def step() -> None:
        session.advance(1)
        refresh()

    def reset() -> None:
        playing.set(False)
        session.reset()
        refresh()

    def set_seed(text: str) -> None:
        session.set_seed(text)
        refresh()

    def relayout() -> None:
        session.relayout()
        refresh()

    running = session.running
    with solara.Row(gap="6px"):
        solara.Button("Step", on_click=step, disabled=playing.value or not running)
        solara.Button(
            "Pause" if playing.value else "Run",
            on_click=lambda: playing.set(not playing.value),
            disabled=not running and not playing.value,
            color="primary",
        )
        solara.Button("Reset", on_click=reset)
    solara.Text(f"step {session.step}", classes=["lt-step"], style={"font-weight": "bold"})
    solara.SliderInt("speed: steps per refresh", value=speed, min=1, max=MAX_SPEED)
    seed_text = session.pending_seed if session.pending_seed is not None else session.seed
    solara.InputText(
        "seed (every scenario)",
        value=seed_text,
        on_value=set_seed,
        continuous_update=False,
        error=session.pending_seed is not None,
    )
    solara.Select("colour learners by", values=[MEAN, *session.item_labels()], value=colour)
    solara.Button("New layout (current ties)", on_click=relayout, text=True)


@solara.component
def SideInputs(session: Session, index: int, refresh, tick: int):
    """The parameters of one scenario, validated as ``--set``, and its YAML to save."""
    side = session.sides[index]

    def setter(path: str):
        def apply(value) -> None:
            text = value if isinstance(value, str) else as_text(value)
            session.set_value(index, path, text)
            refresh()

        return apply

    with solara.Card(side.name, margin=0, classes=[f"lt-side-{index}"]):
        for param in PARAMS:
            if param.switch:
                solara.Switch(
                    label=param.label,
                    value=bool(field_value(side.scenario, param.path)),
                    on_value=setter(param.path),
                )
            else:
                solara.InputText(
                    param.label,
                    value=side.text(param.path),
                    on_value=setter(param.path),
                    continuous_update=False,
                    error=param.path in side.pending,
                )
        solara.FileDownload(
            side.yaml_text(),
            filename=f"{side.name}.yaml",
            label=f"Save {side.name}.yaml",
            mime_type="text/yaml",
        )


@solara.component
def Errors(lines: list[str]):
    """The refused value's problems, as run.py prints them (one line each)."""
    for line in lines:
        solara.Error(line, classes=["lt-error"], dense=True)


@solara.component
def Networks(session: Session, colour: str, tick: int):
    """The tie network of every scenario, side by side, with its numbers of ties."""
    labels = session.item_labels()
    item = labels.index(colour) if colour in labels else None

    def draw() -> list[tuple[bytes, str]]:
        with session.lock:
            out = []
            for side in session.sides:
                own = item if item is not None and item < side.model.n_items else None
                title = f"{side.name}: step {side.model.steps}"
                fig = drawing.network_figure(side.model, side.view, own, title)
                counts = ", ".join(f"{k} {v:,}" for k, v in drawing.tie_counts(side.model).items())
                out.append((drawing.png(fig), f"{len(side.model.ties):,} ties: {counts}"))
            return out

    pictures = solara.use_memo(draw, [tick, colour])
    with solara.Columns([1] * len(pictures)):
        for index, (image, text) in enumerate(pictures):
            with solara.Column(gap="2px"):
                solara.Image(image, width="100%", classes=[f"lt-network-{index}"])
                solara.Text(text, classes=[f"lt-ties-{index}"], style={"font-size": "12px"})


@solara.component
def Curves(session: Session, tick: int):
    """Spread, depth, redundancy and the tie mix over the steps, the scenarios overlaid."""

    def draw() -> tuple[bytes, str]:
        with session.lock:
            data = [(side.name, list(side.model.rows)) for side in session.sides]
        last = "; ".join(
            f"{name}: " + ", ".join(f"{c} {_shown(rows[-1].get(c))}" for c in PLOTTED)
            for name, rows in data
        )
        return drawing.png(drawing.curves_figure(data)), last

    image, last = solara.use_memo(draw, [tick])
    solara.Image(image, width="100%", classes=["lt-curves"])
    solara.Text(last, classes=["lt-last"], style={"font-size": "12px"})


def _shown(value) -> str:
    """A metric value in the page's text (3 significant digits)."""
    return "n/a" if value is None else f"{float(value):.3g}"
