"""Experiments: seeds, jobs, and running them serially, in a process pool or on Dask.

"One run is a function from parameters to outcomes" (EMA Workbench): `run_replication` takes
a frozen scenario and a seed and returns that replication's time series, nothing else. A job
is one such run at one point of an experiment (point x replication); its key is a hash of the
point's resolved scenario and the seed, so the same run has the same key in every folder and
every executor. Failures are isolated; finished runs are skipped on resume.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Generator, Scenario
from sim.model import LearningModel
from sim.network import StartNetwork, read_edge_list
from sim.storage import ResultsFolder
from sim.storage import run_key as _hash
from sim.sweep import Point


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


# ---------------------------------------------------------------------------------------------
# Jobs

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
    """What a job gives back: its time series, or the error it raised (never both)."""

    job: Job
    timeseries: pd.DataFrame | None
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


def plan_jobs(points: list[Point], replications: int, root_seed: int) -> list[Job]:
    """Every job of an experiment: each point x each replication, point-major.

    Replication r has the same seed at every point (common random numbers), spawned from
    `root_seed` (see `replication_seeds`).
    """
    seeds = replication_seeds(root_seed, replications)
    jobs = []
    for point in points:
        assert point.scenario is not None
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
    try:
        ts = run_replication(job.scenario, job.replication, job.seed, job.network)
    except Exception as exc:  # noqa: BLE001 - isolate any failure of one run
        return Outcome(
            job,
            None,
            error_type=type(exc).__name__,
            error=str(exc),
            traceback=traceback.format_exc(),
            seconds=time.perf_counter() - t0,
        )
    return Outcome(job, ts, seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Executors


class ExecutorError(RuntimeError):
    """The process pool or cluster broke down (finished runs are kept; rerun to resume)."""


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_jobs(
    jobs: Iterable[Job],
    *,
    workers: int = 1,
    scheduler: Any = None,
    start_method: str = "forkserver",
    window: int | None = None,
) -> Iterator[Outcome]:
    """Run jobs and yield their outcomes as they finish (not in job order).

    At most `window` jobs are in flight at once (default: twice the workers), so memory holds
    a bounded number of time series however many jobs there are.

    Args:
        jobs: the jobs.
        workers: processes of the local pool; 1 runs in this process.
        scheduler: a Dask scheduler address (``tcp://host:8786``) or a
            `distributed.Client`; when given, `workers` is ignored.
        start_method: how the local pool starts processes (``forkserver``, ``fork`` or
            ``spawn``); forkserver is safe with the threads this process may hold.
        window: jobs in flight at once.

    Raises:
        ExecutorError: if a pool worker process died (e.g. killed for memory).
    """
    jobs = list(jobs)
    if scheduler is not None:
        yield from _run_dask(jobs, scheduler, window)
    elif workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield execute(job)
    else:
        yield from _run_pool(jobs, min(workers, len(jobs)), start_method, window)


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Environment variables that size the numeric libraries' thread pools."""


@contextlib.contextmanager
def _one_thread_per_worker() -> Iterator[None]:
    """Start pool processes with one numeric-library thread each (unless the user chose).

    The parallelism is across runs: N workers each running N BLAS threads would oversubscribe
    the cores. The forkserver (and the workers it forks) read these variables when they first
    import numpy, so they only need to be set while the pool starts; Dask workers do the same.
    """
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    for name, value in saved.items():
        if value is None:
            os.environ[name] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


def _exit_with(parent: int) -> None:
    """Pool-worker initializer: exit as soon as the process that started the pool is gone.

    A killed (SIGKILL) parent cannot shut its pool down, and an idle worker would otherwise
    wait for work forever.
    """

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - the pid now belongs to another user
                os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _run_pool(
    jobs: list[Job], workers: int, start_method: str, window: int | None
) -> Iterator[Outcome]:
    ctx = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        ctx.set_forkserver_preload(["sim.experiment"])
    todo = iter(jobs)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_exit_with, initargs=(os.getpid(),)
    )
    try:
        with _one_thread_per_worker():
            pending = {pool.submit(execute, j) for j in islice(todo, window or 2 * workers)}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    outcome = future.result()
                except BrokenProcessPool as exc:
                    raise ExecutorError(
                        "a worker process died (out of memory?); finished runs are saved"
                    ) from exc
                nxt = next(todo, None)
                if nxt is not None:
                    pending.add(pool.submit(execute, nxt))
                yield outcome
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _run_dask(jobs: list[Job], scheduler: Any, window: int | None) -> Iterator[Outcome]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ExecutorError(
            "--scheduler needs Dask distributed: pip install 'learning-ties[cluster]'"
        ) from exc
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        if window is None:
            n = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
            window = 2 * max(n, 1)
        todo = iter(jobs)
        running: dict[str, Job] = {}

        def submit(job: Job) -> Any:
            future = client.submit(
                execute, job, key=f"run-{job.point}-{job.replication}-{job.key}", pure=False
            )
            running[future.key] = job
            return future

        futures = as_completed([submit(j) for j in islice(todo, window)])
        for future in futures:
            job = running.pop(future.key)
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker lost for good: record, go on
                outcome = Outcome(job, None, error_type=type(exc).__name__, error=str(exc))
            future.release()
            nxt = next(todo, None)
            if nxt is not None:
                futures.add(submit(nxt))
            yield outcome
    finally:
        if own:
            client.close()


# ---------------------------------------------------------------------------------------------
# Running an experiment into a results folder


def run_experiment(
    jobs: list[Job],
    folder: ResultsFolder,
    *,
    values: dict[int, dict[str, Any]] | None = None,
    workers: int = 1,
    scheduler: Any = None,
    start_method: str = "forkserver",
    on_outcome: Callable[[Outcome], None] | None = None,
) -> tuple[int, int]:
    """Run the jobs not finished yet, writing each run (or failure) as soon as it finishes.

    Args:
        jobs: every job of the experiment (finished ones are skipped by key).
        folder: the results folder; its ``runs/`` holds the finished runs.
        values: point -> label values, recorded with a failure.
        workers: processes of the local pool (see `run_jobs`).
        scheduler: a Dask scheduler address or client (see `run_jobs`).
        start_method: how the local pool starts processes (see `run_jobs`).
        on_outcome: called after each outcome is stored (e.g. a progress bar).

    Returns:
        (runs finished now, runs failed now).
    """
    done = folder.finished_keys()
    todo, seen = [], set(done)
    for job in jobs:
        # Two points with equal scenarios share their runs: run each key once.
        if job.key not in seen:
            seen.add(job.key)
            todo.append(job)
    finished = failed = 0
    for outcome in run_jobs(todo, workers=workers, scheduler=scheduler, start_method=start_method):
        if outcome.ok:
            folder.write_run(outcome.job.key, outcome.timeseries)
            finished += 1
        else:
            folder.write_failure(
                outcome.job.key, outcome.failure_record((values or {}).get(outcome.job.point))
            )
            failed += 1
        if on_outcome is not None:
            on_outcome(outcome)
        del outcome
    return finished, failed
