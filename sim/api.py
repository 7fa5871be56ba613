"""The library API: run scenarios, sweeps and comparisons from Python or Jupyter.

The command line (`sim.cli`) wraps these functions. Each runs through the same code as
``python run.py`` and returns a `Results`; with ``out=None`` everything stays in memory and
nothing is written to disk, with the same tables a results folder would hold::

    from sim import run_scenario
    res = run_scenario("scenarios/weak_ties.yaml", replications=2, steps=20, out=None)
    res.summary[["share_aware", "mean_depth"]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.api_sensitivity import design_sensitivity, sensitivity_analysis
from sim.api_ties import Removal, export_graphml, removal_analysis
from sim.experiment import orchestrate
from sim.experiment.memory import MemoryFolder
from sim.experiment.orchestrate import Options
from sim.experiment.snapshots import final_snapshots
from sim.experiment.spec import Spec, compare_spec, compared_files, resume_spec, scenario_spec
from sim.experiment.storage import ResultsFolder
from sim.scenario import Scenario, ScenarioError

__all__ = [
    "Removal",
    "Results",
    "compare_scenarios",
    "export_graphml",
    "plot_results",
    "removal_analysis",
    "run_scenario",
    "run_spec",
    "run_sweep",
    "sensitivity_analysis",
    "shortcut_overrides",
]

ScenarioLike = Scenario | str | Path


@dataclass
class Results:
    """What a run gives back.

    Attributes:
        timeseries: one row per (point, replication, step), as ``timeseries.parquet``.
        summary: one row per (point, replication), as ``summary.csv``.
        differences: a comparison's paired differences (``differences.csv``), else None.
        failures: one row per failed run (empty when every run finished).
        folder: the results folder, or None when ``out=None`` kept everything in memory.
        scenario: the resolved base scenario (a comparison's baseline).
        scenarios: the resolved scenario of every point.
        kind: ``"scenario"``, ``"sweep"`` or ``"compare"``.
        status: ``"complete"``, or ``"partial"`` if some runs failed.
        manifest: the manifest (versions, seeds, metric kinds, ...), or None.
        sensitivity: a ``sobol_indices`` or ``morris`` sweep's indices
            (``sensitivity.csv``, see `sensitivity_analysis`), else None.

    The side tables are read on demand: `read_ties` (``ties.parquet``) and `read_table`
    (``groups.parquet``, ``learners.parquet``).
    """

    timeseries: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame | None
    failures: pd.DataFrame
    folder: Path | None
    scenario: Scenario
    scenarios: list[Scenario]
    kind: str
    status: str
    manifest: dict[str, Any] | None
    sensitivity: pd.DataFrame | None = None
    store: Any = field(default=None, repr=False)  # the folder, on disk or in memory

    def read_ties(self, step: int | None = None, final: bool = False) -> pd.DataFrame:
        """The saved tie snapshots (``ties.parquet``; `sim.experiment.snapshots`).

        Args:
            step: only the snapshots taken after this step.
            final: only each run's last snapshot.

        Returns:
            The table (empty when no run finished).
        """
        if not (self.manifest or {}).get("finished"):
            return pd.DataFrame()
        table = self.store.read_ties_table(step)
        return final_snapshots(table) if final else table

    def read_table(self, table: str, step: int | None = None) -> pd.DataFrame:
        """A saved side table, optionally at one step only.

        Args:
            table: ``groups`` (`sim.metrics.groups`), ``learners`` (`sim.metrics.learners`)
                or ``ties`` (`sim.experiment.snapshots`).
            step: only the rows of this step.

        Returns:
            The table (empty when no run finished).
        """
        if not (self.manifest or {}).get("finished"):
            return pd.DataFrame()
        return self.store.read_side_table(table, step)


def shortcut_overrides(
    overrides: Sequence[str], replications: int | None, steps: int | None, seed: int | None
) -> list[str]:
    """The overrides, then the shortcuts (as the command line's options do)."""
    if isinstance(overrides, str):
        overrides = [overrides]
    out = list(overrides)
    for name, value in (("replications", replications), ("steps", steps), ("seed", seed)):
        if value is not None:
            out.append(f"{name}={value}")
    return out


def _command(function: str, what: Any, options: dict[str, Any]) -> str:
    """How the manifest records a call from Python."""
    shown = [repr(str(w) if isinstance(w, Path) else w) for w in [what]]
    shown += [f"{k}={v!r}" for k, v in options.items() if v not in (None, (), [])]
    return f"sim.api.{function}({', '.join(shown)})"


def _options(
    workers: int | None,
    scheduler: Any,
    progress: bool,
    figures: bool,
    command: str,
    wait: bool = False,
    force: bool = False,
    allow_large: bool = False,
) -> Options:
    """The executor and reporting options of an API call (the CLI builds its own)."""
    return Options(
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        figures=figures,
        command=command,
        wait=wait,
        force=force,
        allow_large=allow_large,
    )


def _preflight(spec: Spec, options: Options) -> None:
    """Refuse, before any folder exists, a bad scheduler address or an experiment too large.

    Raises:
        ScenarioError: one line per problem (see `sim.experiment.guards`).
    """
    from sim.experiment import guards
    from sim.experiment.runners import default_workers

    problems = []
    if isinstance(options.scheduler, str):
        problems += guards.check_scheduler_address(options.scheduler)
    # With a cluster the runs use its memory: check only that one run fits here.
    workers = 1 if options.scheduler is not None else options.workers or default_workers()
    problems += guards.check_resources(spec, workers, options.allow_large)
    if problems:
        raise ScenarioError(problems)


def run_spec(
    spec: Spec,
    *,
    out: str | Path | None = "results",
    resume: str | Path | None = None,
    options: Options | None = None,
    on_folder: Callable[[ResultsFolder, bool], None] | None = None,
) -> Results:
    """Run a prepared experiment (see `sim.experiment.spec`) and gather its tables.

    The step under `run_scenario`, `run_sweep` and `compare_scenarios` (and the command
    line, which reports as it goes). A results folder on disk is held exclusively for the
    whole run (`sim.experiment.lock`): another process running into it gets `FolderBusy`, or
    waits with ``options.wait``. Damaged run files found in it are moved to
    ``runs/damaged/``, listed in the manifest's ``damaged_runs`` and done again.

    Args:
        spec: what to run.
        out: results root; None (without `resume`) keeps everything in memory.
        resume: a results folder to finish; it must hold the same experiment as `spec`
            (more replications are fine) unless ``options.force``.
        options: executor, progress bar, figures, recorded command, wait, force, notices.
        on_folder: called with the results folder, and whether it is resumed, once it is
            open and held and before anything runs.

    Raises:
        ScenarioError: if the scheduler address is malformed, or the experiment's memory or
            job estimate exceeds the limits without ``options.allow_large``.
        sim.experiment.lock.FolderBusy: if another process holds the folder.
        sim.experiment.spec.FolderMismatch: if `resume` holds another experiment.
    """
    options = options or Options(workers=1)
    if options.workers is not None and options.workers < 1:
        raise ValueError(f"workers: must be at least 1 (got {options.workers})")
    _preflight(spec, options)
    if out is None and resume is None:
        memory = MemoryFolder()
        options.figures = False
        report = orchestrate.run(spec, memory, options)
        return _results(spec, memory, report, design_sensitivity(spec, memory, report, options))
    root = Path("results" if out is None else out)
    with orchestrate.open_folder(
        spec,
        root,
        None if resume is None else Path(resume),
        wait=options.wait,
        force=options.force,
        notify=options.notify,
    ) as (folder, resumed):
        if on_folder is not None:
            on_folder(folder, resumed)
        report = orchestrate.run(spec, folder, options)
        return _results(spec, folder, report, design_sensitivity(spec, folder, report, options))


def _results(
    spec: Spec, folder: Any, report: orchestrate.Report, sensitivity: pd.DataFrame | None = None
) -> Results:
    """The `Results` of a finished run, its time series read back from the folder."""
    timeseries = folder.read_timeseries() if report.finished else pd.DataFrame()
    assert spec.base is not None
    return Results(
        timeseries=timeseries,
        summary=report.summary,
        differences=report.differences,
        failures=report.failures,
        folder=folder.path,
        scenario=spec.base,
        scenarios=[p.scenario for p in spec.points if p.scenario is not None],
        kind=spec.kind,
        status=report.manifest["status"],
        manifest=report.manifest,
        sensitivity=sensitivity,
        store=folder,
    )


def run_scenario(
    scenario: ScenarioLike | None,
    *,
    replications: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    out: str | Path | None = "results",
    workers: int | None = 1,
    scheduler: Any = None,
    resume: str | Path | None = None,
    figures: bool = True,
    progress: bool = False,
    wait: bool = False,
    force: bool = False,
    allow_large: bool = False,
) -> Results:
    """Run a scenario's replications, or every point of its sweep block.

    Args:
        scenario: a scenario YAML file (with or without a sweep block) or a `Scenario`; None
            with `resume` to finish that results folder.
        replications: overrides the scenario's replications.
        steps: overrides the scenario's steps.
        seed: overrides the scenario's root seed.
        overrides: ``section.field=value`` strings, validated like the file.
        out: results root (a stamped folder ``<out>/<name>/<stamp>/`` is written, or an
            unfinished one of the same experiment resumed); None keeps everything in memory.
        workers: processes running replications in parallel (None: all cores; 1: serial).
        scheduler: a Dask scheduler address or `distributed.Client`.
        resume: a results folder whose unfinished runs to finish.
        figures: draw ``figures/`` (never with ``out=None``).
        progress: show a progress bar.
        wait: if another process is running into the same results folder, wait for it
            (then resume its folder) instead of raising `FolderBusy`.
        force: resume `resume` even if it holds another experiment than this call's.
        allow_large: run even if the memory or job estimate exceeds the limits
            (`sim.experiment.guards`).

    Raises:
        ScenarioError: if the scenario, an override or an edge-list file is invalid.
        sim.experiment.lock.FolderBusy: if another process holds the results folder (a
            `ScenarioError`).
        sim.experiment.spec.FolderMismatch: if `resume` holds another experiment (a
            `ScenarioError`).
        sim.experiment.ExecutorError: if the process pool or cluster broke down.
    """
    ovr = shortcut_overrides(overrides, replications, steps, seed)
    if scenario is None:
        if resume is None:
            raise ScenarioError(["run_scenario: give a scenario (or resume=FOLDER)"])
        spec = resume_spec(Path(resume), ovr)
    else:
        spec = scenario_spec(scenario, ovr)
    options = _options(
        workers,
        scheduler,
        progress,
        figures,
        _command("run_scenario", scenario, {"overrides": ovr, "resume": resume}),
        wait,
        force,
        allow_large,
    )
    return run_spec(spec, out=out, resume=resume, options=options)


def run_sweep(
    scenario: str | Path,
    *,
    replications: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    out: str | Path | None = "results",
    workers: int | None = 1,
    scheduler: Any = None,
    resume: str | Path | None = None,
    figures: bool = True,
    progress: bool = False,
    wait: bool = False,
    force: bool = False,
    allow_large: bool = False,
) -> Results:
    """Run every point of a scenario file's sweep block (options as `run_scenario`).

    Raises:
        ScenarioError: if the file has no sweep block, or is invalid.
    """
    if isinstance(scenario, Scenario):
        raise ScenarioError(["run_sweep: give a scenario file with a sweep block"])
    ovr = shortcut_overrides(overrides, replications, steps, seed)
    spec = scenario_spec(scenario, ovr)
    if spec.kind != "sweep":
        raise ScenarioError([f"{scenario}: sweep: no sweep block (use run_scenario)"])
    options = _options(
        workers,
        scheduler,
        progress,
        figures,
        _command("run_sweep", scenario, {"overrides": ovr, "resume": resume}),
        wait,
        force,
        allow_large,
    )
    return run_spec(spec, out=out, resume=resume, options=options)


def compare_scenarios(
    scenarios: Sequence[ScenarioLike],
    *,
    replications: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    out: str | Path | None = "results",
    workers: int | None = 1,
    scheduler: Any = None,
    resume: str | Path | None = None,
    figures: bool = True,
    progress: bool = False,
    wait: bool = False,
    force: bool = False,
    allow_large: bool = False,
) -> Results:
    """Run scenarios on shared seeds (the first one's) and their paired differences.

    The first scenario is the baseline; `Results.differences` holds every other scenario's
    difference from it, replication by replication (common random numbers). Options as
    `run_scenario`; overrides apply to every scenario.

    Raises:
        ScenarioError: if fewer than two scenarios are given, one is invalid or has a sweep
            block, or two have the same name.
    """
    ovr = shortcut_overrides(overrides, replications, steps, seed)
    items = list(scenarios)
    if not items and resume is not None:
        items = list(compared_files(Path(resume)))
    spec = compare_spec(items, ovr)
    options = _options(
        workers,
        scheduler,
        progress,
        figures,
        _command("compare_scenarios", [str(i) for i in items], {"overrides": ovr}),
        wait,
        force,
        allow_large,
    )
    return run_spec(spec, out=out, resume=resume, options=options)


def plot_results(folder: str | Path) -> list[Path]:
    """Redraw a results folder's figures from its saved tables; return the files written.

    Raises:
        OSError, ValueError, KeyError: if the folder or its tables cannot be read.
    """
    return orchestrate.redraw(Path(folder))
