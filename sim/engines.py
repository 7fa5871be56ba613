"""Which model class runs a scenario: the engine registry.

Both engines implement the same rules and record the same metrics; `engine:` in a scenario
chooses. `make_model` is the one way to build a model from a scenario whatever its engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.model import LearningModel
from sim.reference import ReferenceModel
from sim.scenario import Engine, Scenario, as_scenario
from sim.world.network import StartNetwork

ENGINES: dict[Engine, type[LearningModel]] = {
    Engine.ARRAY: LearningModel,
    Engine.AGENTS: ReferenceModel,
}
"""The model class of each `engine:` value."""


def make_model(
    scenario: Scenario | dict[str, Any] | str | Path,
    rng: int | np.random.Generator | None = None,
    start_network: StartNetwork | None = None,
) -> LearningModel:
    """The model for a scenario, of the class its `engine:` names (see `LearningModel`)."""
    sc = as_scenario(scenario)
    return ENGINES[sc.engine](sc, rng=rng, start_network=start_network)
