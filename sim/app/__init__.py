"""The interactive browser app (`python run.py app [SCENARIO.yaml ...]`, docs/app.md).

A Solara page that steps one or two scenarios in lockstep on the same seed, draws their tie
networks and overlays their curves, with controls validated by the scenario schema. It
needs the optional `app` extra (``pip install -e ".[app]"``); nothing here imports Solara:

- `sim.app.session`: the state of a page (scenarios, overrides, models, stepping, the YAML
  to save), plain Python;
- `sim.app.layout`: the drawn learners (all, or a sample above `MAX_DRAWN`), their stable
  positions and the style of each tie;
- `sim.app.drawing`: the network and the curves as PNG images (matplotlib, no pyplot);
- `sim.app.page`: the Solara components (imports Solara);
- `sim.app.server`: starts the Solara server (imports Solara).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

INSTALL_HINT = 'pip install -e ".[app]"'
"""How to install what the app needs."""

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT_SCENARIOS = (SCENARIOS / "social_network.yaml", SCENARIOS / "closed_community.yaml")
"""The scenarios shown side by side when `run.py app` is given none."""

NEEDED = ("solara", "solara_assets", "matplotlib")
"""Modules the app cannot run without (solara_assets: the page's scripts, served offline)."""


def missing_extra() -> str | None:
    """A one-line message naming what is missing to run the app, or None if nothing is."""
    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"app: the browser app needs the app extra ({', '.join(missing)} not installed): "
        f"{INSTALL_HINT}"
    )
