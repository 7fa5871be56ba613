"""Experiments: replication seeds and running replications of a scenario.

"One run is a function from parameters to outcomes" (EMA Workbench): `run_replication` takes
a frozen scenario and a seed and returns that replication's time series, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from sim.config import Generator, Scenario
from sim.model import LearningModel
from sim.network import StartNetwork, read_edge_list


def replication_seeds(root_seed: int, n: int) -> list[int]:
    """Seeds of replications 0..n-1, spawned from the root seed.

    Child r of `numpy.random.SeedSequence(root_seed).spawn` depends only on the root seed and
    r, so replication r gets the same seed however many replications run, at every sweep
    point and in every compared scenario (common random numbers).
    """
    children = np.random.SeedSequence(root_seed).spawn(n)
    # 63 bits, so the seed fits a signed int64 column and round-trips through every table.
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def start_network(scenario: Scenario) -> StartNetwork | None:
    """The starting network read from data (generator edge_list); None for generators.

    Read once per experiment so that the model never touches a file.
    """
    net = scenario.network
    if net.generator != Generator.EDGE_LIST:
        return None
    n = scenario.population.n_agents
    u, v, strength = read_edge_list(net.path, n)
    if strength is None:
        strength = np.full(len(u), net.strength)
    return StartNetwork(
        u=u, v=v, strength=np.asarray(strength, dtype=np.float64), group=np.zeros(n, np.int64)
    )


def run_replication(
    scenario: Scenario,
    replication: int,
    seed: int,
    network: StartNetwork | None = None,
) -> pd.DataFrame:
    """Run one replication and return its time series.

    Args:
        scenario: the validated scenario.
        replication: replication number (recorded in the table).
        seed: the replication's seed (passed to the model as `rng`).
        network: the starting network for generator edge_list (see `start_network`).

    Returns:
        One row per step 0..scenario.steps with columns `replication`, `seed`, `step` and
        every metric.
    """
    model = LearningModel(scenario, rng=seed, start_network=network)
    for _ in range(scenario.steps):
        model.step()
    ts = model.timeseries()
    ts.insert(0, "seed", np.int64(seed))
    ts.insert(0, "replication", np.int64(replication))
    ts["step"] = ts["step"].astype(np.int64)
    return ts


def iter_replications(
    scenario: Scenario, on_start: Callable[[int], None] | None = None
) -> Iterator[pd.DataFrame]:
    """Run a scenario's replications one after the other, yielding each time series."""
    seeds = replication_seeds(scenario.seed, scenario.replications)
    network = start_network(scenario)
    for r, seed in enumerate(seeds):
        if on_start:
            on_start(r)
        yield run_replication(scenario, r, seed, network)
