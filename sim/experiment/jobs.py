"""Jobs: seeds, run keys, one replication, and running one job with its failure isolated.

"One run is a function from parameters to outcomes" (EMA Workbench): `run_replication` takes
a frozen scenario and a seed and returns that replication's time series, nothing else. A job
is one such run at one point of an experiment (point x replication); its key is a hash of the
point's resolved scenario and the seed, so the same run has the same key in every folder and
every executor.
"""

from __future__ import annotations

import time
import traceback
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.engines import make_model
from sim.experiment.snapshots import snapshot_steps, tie_snapshot
from sim.experiment.storage import run_key as _hash
from sim.scenario import Generator, Point, Scenario
from sim.world.edge_list import read_start_network
from sim.world.network import StartNetwork


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

    Read once per point, before anything runs, so that the model never touches a file.

    Raises:
        sim.world.edge_list.EdgeListError: if the edge-list file is missing or invalid.
    """
    if scenario.network.generator != Generator.EDGE_LIST:
        return None
    return read_start_network(scenario.network, scenario.population.n_agents)


_SIDE: ContextVar[dict[str, list[pd.DataFrame]] | None] = ContextVar("side_tables", default=None)
"""Where `execute` collects the side tables of the run it calls (`sim.experiment.side_tables`):
`run_replication` keeps its four-argument call, so a caller that wraps it (to time or fail
runs) needs no change."""


def run_replication(
    scenario: Scenario,
    replication: int,
    seed: int,
    network: StartNetwork | None = None,
    ties: list[pd.DataFrame] | None = None,
    side: dict[str, list[pd.DataFrame]] | None = None,
) -> pd.DataFrame:
    """Run one replication and return its time series.

    Args:
        scenario: the validated scenario.
        replication: replication number (recorded in the table).
        seed: the replication's seed (passed to the model as `rng`).
        network: the starting network for generator edge_list (see `start_network`).
        ties: a list to append the run's tie snapshots to, one table per snapshot step
            (`sim.experiment.snapshots`: every `metrics.snapshot_every` steps and the last);
            None: the list `execute` collects into, if any, else none are taken. Taking them
            draws no random number and changes nothing.
        side: lists to append the run's side tables to, by name (``ties``, ``groups``,
            ``learners``; `sim.experiment.side_tables`): the learner table at the snapshot
            steps (with `metrics.learners`), the groups table once at the end (with
            `metrics.groups`), the tie snapshots as `ties`; None: what `execute` collects
            into, if anything.

    Returns:
        One row per step 0..scenario.steps with columns `replication`, `seed`, `step` and
        every metric.
    """
    side = side if side is not None else _SIDE.get()
    if ties is None and side is not None:
        ties = side.setdefault("ties", [])
    model = make_model(scenario, rng=seed, start_network=network)
    wanted = set(snapshot_steps(scenario.steps, scenario.metrics.snapshot_every))

    def take() -> None:
        if model.steps not in wanted:
            return
        if ties is not None:
            ties.append(tie_snapshot(model.ties, model.steps, scenario.ties.strong_threshold))
        if side is not None and scenario.metrics.learners:
            side.setdefault("learners", []).append(model.learner_table())

    take()
    for _ in range(scenario.steps):
        model.step()
        take()
    if side is not None and scenario.metrics.groups:
        side.setdefault("groups", []).append(model.groups())
    ts = model.timeseries()
    ts.insert(0, "seed", np.int64(seed))
    ts.insert(0, "replication", np.int64(replication))
    ts["step"] = ts["step"].astype(np.int64)
    return ts


KEY_IGNORES = ("name", "description", "replications", "seed")
"""Scenario fields that do not change a run: labels, and the root seed (the run's own seed
is part of the key)."""


def run_key(scenario: Scenario, seed: int) -> str:
    """The key of one run: SHA-256 of the resolved scenario (JSON) and the run's seed.

    Labels and the root seed are left out (`KEY_IGNORES`), so a run is found again whatever
    the experiment it belongs to is called or however many replications it has.
    """
    data = scenario.model_dump(mode="json")
    for name in KEY_IGNORES:
        data.pop(name, None)
    return _hash({"scenario": data, "seed": int(seed)})


@dataclass(frozen=True)
class Job:
    """One run: replication `replication` (seed `seed`) of the scenario of point `point`."""

    point: int
    replication: int
    seed: int
    key: str
    scenario: Scenario
    network: StartNetwork | None = None


@dataclass
class Outcome:
    """What a job gives back: its time series and side tables, or the error it raised."""

    job: Job
    timeseries: pd.DataFrame | None
    tables: dict[str, pd.DataFrame] | None = None  # by name (`sim.experiment.side_tables`)
    error_type: str | None = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the run finished."""
        return self.timeseries is not None

    def failure_record(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The failure as stored: where, with which parameters, and the error."""
        return {
            "key": self.job.key,
            "point": self.job.point,
            "replication": self.job.replication,
            "seed": self.job.seed,
            "values": values or {},
            "error_type": self.error_type,
            "error": self.error,
            "traceback": self.traceback,
        }


def plan_jobs(
    points: list[Point],
    replications: int,
    root_seed: int,
    networks: dict[int, StartNetwork | None] | None = None,
) -> list[Job]:
    """Every job of an experiment: each point x each replication, point-major.

    Replication r has the same seed at every point (common random numbers), spawned from
    `root_seed` (see `replication_seeds`).

    Args:
        points: the experiment's points.
        replications: replications per point.
        root_seed: the experiment's root seed.
        networks: point index -> its starting network, read beforehand (see
            `sim.experiment.orchestrate.start_networks`); read here when not given.
    """
    seeds = replication_seeds(root_seed, replications)
    jobs = []
    for point in points:
        assert point.scenario is not None
        if networks is not None:
            network = networks[point.index]
        else:
            network = start_network(point.scenario)
        for r, seed in enumerate(seeds):
            jobs.append(
                Job(point.index, r, seed, run_key(point.scenario, seed), point.scenario, network)
            )
    return jobs


def jobs_table(jobs: list[Job]) -> pd.DataFrame:
    """One row per job: ``point``, ``replication``, ``seed``, ``key`` (the order of tables)."""
    return pd.DataFrame(
        {
            "point": np.array([j.point for j in jobs], dtype=np.int64),
            "replication": np.array([j.replication for j in jobs], dtype=np.int64),
            "seed": np.array([j.seed for j in jobs], dtype=np.int64),
            "key": [j.key for j in jobs],
        }
    )


def execute(job: Job) -> Outcome:
    """Run one job; an exception becomes an `Outcome` with the error (Ctrl-C still stops)."""
    t0 = time.perf_counter()
    collected: dict[str, list[pd.DataFrame]] = {}
    token = _SIDE.set(collected)
    try:
        ts = run_replication(job.scenario, job.replication, job.seed, job.network)
        tables = {
            name: parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
            for name, parts in collected.items()
            if parts
        }
    except Exception as exc:  # noqa: BLE001 - isolate any failure of one run
        return Outcome(
            job,
            None,
            None,
            error_type=type(exc).__name__,
            error=str(exc),
            traceback=traceback.format_exc(),
            seconds=time.perf_counter() - t0,
        )
    finally:
        _SIDE.reset(token)
    return Outcome(job, ts, tables, seconds=time.perf_counter() - t0)
