"""Experiments: jobs, executors, results folders, and running an experiment end to end.

Jobs and seeds live in `jobs`, executors in `runners`, the results folder in `storage` (or
`memory`), the end-to-end run in `orchestrate`, the manifest in `manifest`.

The names below are the ones most callers need; `orchestrate` (which draws figures, so
imports matplotlib) is imported on its own.
"""

from sim.experiment.jobs import (
    Job,
    Outcome,
    execute,
    jobs_table,
    plan_jobs,
    replication_seeds,
    run_key,
    run_replication,
    start_network,
)
from sim.experiment.runners import ExecutorError, default_workers, run_experiment, run_jobs

__all__ = [
    "ExecutorError",
    "Job",
    "Outcome",
    "default_workers",
    "execute",
    "jobs_table",
    "plan_jobs",
    "replication_seeds",
    "run_experiment",
    "run_jobs",
    "run_key",
    "run_replication",
    "start_network",
]
