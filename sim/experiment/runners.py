"""Executors: running jobs serially, in a process pool or on Dask, into a results folder.

Each job runs through `sim.experiment.jobs.execute`, so a failure is isolated to its run;
finished runs are written as soon as they finish and skipped on resume. On a cold kernel
cache the parent compiles the kernels before a pool starts (`warm_up_kernels`), so that the
workers load them instead of each compiling them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from sim import kernel_cache
from sim.experiment.jobs import Job, Outcome, execute, run_replication
from sim.experiment.storage import Folder
from sim.scenario import Scenario
from sim.world.network import StartNetwork

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
        ctx.set_forkserver_preload(["sim.experiment.jobs"])  # defines `execute`
    todo = iter(jobs)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_exit_with, initargs=(os.getpid(),)
    )
    try:
        with _one_thread_per_worker():
            if start_method == "forkserver":  # its imports overlap the warm-up below
                multiprocessing.forkserver.ensure_running()
            warm_up_kernels(jobs[0])
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
        if _workers_here(client):  # they share this machine's kernel cache
            warm_up_kernels(jobs[0])
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
# Compiling the kernels once, before the workers start

WARM_UP_AGENTS = 2_000
"""Learners of the warm-up run: a larger scenario is run at this size (if it can be)."""

WARM_UP_STEPS = 12
"""Steps of the warm-up run (past the first structural metrics of ``structure_every: 10``)."""


def warm_up_kernels(job: Job, cold: Callable[[], bool] | None = None) -> bool:
    """On a cold kernel cache, compile the kernels of a job's runs here, before workers start.

    Pool workers (and Dask workers on this machine) then load the kernels from numba's disk
    cache instead of each compiling the same kernels at once (tens of seconds, on every
    core). The warm-up runs a small copy of the job's scenario (`warm_up_scenario`) with a
    seed of its own and keeps nothing: no job's random streams or results are touched. Does
    nothing on a warm cache (`sim.kernel_cache.is_cold`), or when the scenario has no small
    copy; a failure is left to the job itself to report.

    Args:
        job: a job of the experiment (the first).
        cold: the test of a cold cache (default: `sim.kernel_cache.is_cold`).

    Returns:
        Whether a warm-up ran.
    """
    if not (cold or kernel_cache.is_cold)():
        return False
    small = warm_up_scenario(job.scenario, job.network)
    if small is None:
        return False
    try:
        # Its steps reach every kernel of the job's: each learner's best gain is found by
        # scattering from the first gains on (`apply_best` always scatters).
        run_replication(small, 0, 0, job.network, side={})
    except Exception:  # noqa: BLE001 - the job's own run reports (and isolates) any failure
        return False
    return True


def warm_up_scenario(scenario: Scenario, network: StartNetwork | None) -> Scenario | None:
    """The warm-up run's scenario: `scenario` for at most `WARM_UP_STEPS` steps.

    With `WARM_UP_AGENTS` learners if it has more (and fewer groups in proportion); None if
    that copy is invalid, or if the larger network is read from a file (`network`).
    """
    data = scenario.model_dump()
    data["steps"] = min(scenario.steps, WARM_UP_STEPS)
    n = scenario.population.n_agents
    if n > WARM_UP_AGENTS:
        if network is not None:
            return None
        data["population"]["n_agents"] = WARM_UP_AGENTS
        if data["network"].get("n_groups"):
            data["network"]["n_groups"] = max(1, data["network"]["n_groups"] * WARM_UP_AGENTS // n)
    try:
        return Scenario.model_validate(data)
    except ValueError:
        return None


def _workers_here(client: Any) -> bool:
    """Whether every worker of a Dask client runs on this machine."""
    here = {"127.0.0.1", "localhost", "[::1]", socket.gethostname()}
    with contextlib.suppress(OSError):
        here.add(socket.gethostbyname(socket.gethostname()))
    addresses = client.scheduler_info().get("workers", {})
    return bool(addresses) and all(a.split("://")[-1].rsplit(":", 1)[0] in here for a in addresses)


# ---------------------------------------------------------------------------------------------
# Running an experiment into a results folder


def run_experiment(
    jobs: list[Job],
    folder: Folder,
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
        folder: the results folder (or an in-memory one); its runs are the finished runs.
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
            folder.write_run(outcome.job.key, outcome.timeseries, outcome.tables)
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
