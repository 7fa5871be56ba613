"""An experiment end to end: where it runs, running it, consolidating, drawing, reporting.

`run` runs the unfinished jobs of a `sim.experiment.spec.Spec` into a results folder (or
memory), consolidates the tables, records failures, draws the figures and writes the
manifest. Both front ends build on it: the command line (`sim.cli`) and the library
(`sim.api`). Nothing here prints; the front ends report (see `summary_text`,
`failure_lines`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.analysis import compare_plots, comparisons, plotting, stats, sweep_plots
from sim.analysis.survival import is_time_column
from sim.experiment import side_tables, storage
from sim.experiment.jobs import Job, jobs_table, plan_jobs
from sim.experiment.lock import FolderBusy, FolderLock, locked
from sim.experiment.manifest import manifest
from sim.experiment.runners import default_workers, run_experiment
from sim.experiment.spec import FolderMismatch, Spec, folder_difference
from sim.experiment.storage import Folder, ResultsFolder
from sim.rules.events import CORRECTION_CHANNELS
from sim.scenario import ScenarioError


@dataclass
class Options:
    """How to run: executor, progress bar, figures, command recorded, busy or other folders.

    `wait` and `force` say what to do about a results folder that another process holds, or
    that holds another experiment (see `open_folder`).
    """

    workers: int | None = None  # None: all cores
    scheduler: Any = None  # a Dask scheduler address or client
    progress: bool = False
    figures: bool = True
    command: str = ""
    wait: bool = False  # wait for a folder another process runs into (else: FolderBusy)
    force: bool = False  # resume a folder even if it holds another experiment
    notify: Callable[[str], None] | None = None  # one-line notices (waiting, damaged run files)
    allow_large: bool = False  # run even above the memory / job limits (guards)


@dataclass
class Report:
    """What a run gives back once its tables are consolidated."""

    runs: int
    finished: int
    summary: pd.DataFrame
    differences: pd.DataFrame | None
    failures: pd.DataFrame
    manifest: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# Where


@contextlib.contextmanager
def open_folder(
    spec: Spec,
    out: Path,
    resume: Path | None = None,
    *,
    wait: bool = False,
    force: bool = False,
    notify: Callable[[str], None] | None = None,
) -> Iterator[tuple[ResultsFolder, bool]]:
    """Hold the results folder to run into, and say whether it is resumed (a ``with`` block).

    `resume` names the folder; otherwise the newest unfinished folder of the same experiment
    under ``<out>/<name>/`` is resumed, or a new stamped folder made. The folder is locked
    (`sim.experiment.lock`) before anything in it is touched, and let go at the end of the
    block, however it ends.

    Args:
        spec: what will run.
        out: the results root.
        resume: a results folder to finish.
        wait: wait for a folder another process holds, instead of raising `FolderBusy`.
        force: resume `resume` even if it holds another experiment.
        notify: called with a line before waiting.

    Raises:
        ScenarioError: if `resume` is not a results folder.
        FolderBusy: if another process holds the folder (and not `wait`).
        FolderMismatch: if `resume` holds another experiment than `spec` (and not `force`).
    """
    if resume is None:
        folder, resumed, lock = _choose_folder(spec, Path(out), wait, notify)
        with lock:
            yield folder, resumed
        return
    resume = Path(resume)
    if not (resume / storage.MANIFEST).is_file():
        raise ScenarioError([f"--resume {resume}: not a results folder (no manifest.json)"])
    with locked(resume, wait, notify):
        problem = None if force else folder_difference(spec, resume)
        if problem is not None:
            raise FolderMismatch(
                [
                    f"--resume {resume}: the folder holds another experiment: {problem} "
                    "(--force resumes it anyway)"
                ]
            )
        yield ResultsFolder(resume), True


def _choose_folder(
    spec: Spec, out: Path, wait: bool, notify: Callable[[str], None] | None
) -> tuple[ResultsFolder, bool, FolderLock]:
    """The newest unfinished folder of the same experiment, or a new one, locked.

    The choice is made holding the lock of ``<out>/<name>/`` (for an instant), and a new
    folder is claimed (its manifest written) before that lock is let go, so two identical
    commands started together never make two folders: the second finds the first's folder
    held, and raises `FolderBusy` or waits for it (and then resumes it, finished or not).
    """
    base = out / spec.name
    base.mkdir(parents=True, exist_ok=True)
    while True:
        with locked(base, wait=True):
            found = storage.find_resumable(out, spec.name, spec.fingerprint)
            if found is None:
                folder = ResultsFolder.create(out, spec.name)
                lock = FolderLock(folder.path)
                lock.acquire()
                try:
                    _claim(spec, folder)
                except BaseException:
                    lock.release()
                    raise
                return folder, False, lock
            lock = FolderLock(found)
            if lock.try_acquire():
                return ResultsFolder(found), True, lock
            if not wait:
                raise FolderBusy(found, lock.holder())
        lock.acquire(wait=True, notify=notify)
        if ResultsFolder(found).read_manifest().get("fingerprint") == spec.fingerprint:
            return ResultsFolder(found), True, lock
        lock.release()  # the holder made it another experiment (--force): choose again


def _claim(spec: Spec, folder: ResultsFolder) -> None:
    """Mark a new folder as this experiment's: its scenario(s) and a first manifest."""
    for name, text in spec.files.items():
        folder.write_text(name, text)
    first = {"status": storage.RUNNING, "kind": spec.kind, "name": spec.name, **spec.extra}
    folder.write_json(storage.MANIFEST, {**first, "fingerprint": spec.fingerprint})


# ---------------------------------------------------------------------------------------------
# Running


def run(spec: Spec, folder: Folder, options: Options) -> Report:
    """Run every unfinished job of `spec` into `folder`, then write tables and figures.

    `folder` is a `ResultsFolder`, or a `sim.experiment.memory.MemoryFolder` (then no
    figures are drawn and nothing touches the disk). A folder's run files are checked
    first: a damaged one is moved to ``runs/damaged/``, reported through `Options.notify`
    and in the manifest (``damaged_runs``), and its run is done again.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    folder.clean_temp()
    previous = folder.read_manifest()
    damaged = list(previous.get("damaged_runs", []))
    damaged += _check_runs(folder, options.notify)
    labels = _write_inputs(spec, folder)
    jobs = plan_jobs(spec.points, spec.replications, spec.seed, spec.networks or None)
    table = jobs_table(jobs)
    n_runs = int(table["key"].nunique())
    workers = options.workers if options.workers is not None else default_workers()
    info = manifest(spec, started, 0.0, options.command)
    info.update(
        status=storage.RUNNING,
        fingerprint=spec.fingerprint,
        runs=n_runs,
        workers=None if options.scheduler else workers,
        scheduler=options.scheduler if options.scheduler is None else str(options.scheduler),
        started_utc=previous.get("started_utc", started.isoformat()),
    )
    if damaged:
        info["damaged_runs"] = damaged
    folder.write_json(storage.MANIFEST, info)
    for attempt in range(1, DAMAGED_ROUNDS + 1):
        _run_jobs(spec, jobs, table, folder, workers, options)
        wall = previous.get("wall_seconds", 0.0) + time.perf_counter() - t0
        try:
            return _consolidate(spec, folder, table, labels, info, wall, options.figures)
        except storage.DamagedRun as exc:  # found only when its pages were read
            if attempt == DAMAGED_ROUNDS or not isinstance(folder, ResultsFolder):
                raise
            record = folder.quarantine(exc.key, exc.problem, exc.table)
            _notify_damaged(folder, record, options.notify)
            info["damaged_runs"] = [*info.get("damaged_runs", []), record]
    raise AssertionError("unreachable")


DAMAGED_ROUNDS = 3
"""How often a run whose file turns out damaged while consolidating is done again."""


def _check_runs(folder: Folder, notify: Callable[[str], None] | None) -> list[dict[str, str]]:
    """Move a folder's damaged run files aside (see `ResultsFolder.check_runs`); say so."""
    if not isinstance(folder, ResultsFolder):
        return []
    moved = folder.check_runs()
    for record in moved:
        _notify_damaged(folder, record, notify)
    return moved


def _notify_damaged(
    folder: ResultsFolder, record: dict[str, str], notify: Callable[[str], None] | None
) -> None:
    if notify is not None:
        notify(
            f"damaged run file {folder.path / record['file']} "
            f"({record['problem']}): moved to {folder.path / record['moved_to']}; "
            "its run is done again"
        )


def _run_jobs(
    spec: Spec,
    jobs: list[Job],
    table: pd.DataFrame,
    folder: Folder,
    workers: int,
    options: Options,
) -> None:
    """Run the unfinished jobs into the folder, with a progress bar if asked."""
    bar = tqdm(
        total=int(table["key"].nunique()),
        initial=len(folder.finished_keys() & set(table["key"])),
        desc=spec.name,
        unit="run",
        disable=not options.progress,
    )
    try:
        run_experiment(
            jobs,
            folder,
            values={p.index: p.values for p in spec.points},
            workers=workers,
            scheduler=options.scheduler,
            on_outcome=lambda _: bar.update(1),
        )
    finally:
        bar.close()


def _write_inputs(spec: Spec, folder: Folder) -> pd.DataFrame | None:
    """Write the resolved scenario(s), learner_ids.csv, and with labels the points table."""
    for name, text in spec.files.items():
        folder.write_text(name, text)
    ids = side_tables.learner_ids_table(spec.networks)
    if ids is not None:
        folder.write_table(storage.LEARNER_IDS, ids)
    if not spec.labels:
        return None
    labels = pd.DataFrame(
        [{"point": p.index, **p.values} for p in spec.points],
        columns=["point", *spec.labels],
    )
    folder.write_table(storage.POINTS, labels)
    return labels


def _consolidate(
    spec: Spec,
    folder: Folder,
    table: pd.DataFrame,
    labels: pd.DataFrame | None,
    info: dict[str, Any],
    wall_seconds: float,
    figures: bool,
) -> Report:
    """Tables, failures, differences, figures and the final manifest of a run."""
    n_written, _ = storage.consolidate(folder, table, labels, stats.summarise_replications)
    for side in side_tables.SIDE_TABLES:
        side_tables.consolidate(folder, side, table, labels)
    failures = failure_table(folder.failure_records(), spec.labels)
    if failures.empty:
        folder.remove(storage.FAILURES)
    else:
        folder.write_table(storage.FAILURES, failures)
    summary = folder.read_summary() if n_written else pd.DataFrame()
    differences = None
    if spec.kind == "compare" and not summary.empty:
        columns = [*comparisons.EXPERIMENT_COLUMNS, *outcome_extras(summary)]
        differences = comparisons.paired_differences(
            summary, baseline=spec.extra["baseline"], columns=columns
        )
        folder.write_table(storage.DIFFERENCES, differences)
    info.update(
        status=storage.PARTIAL if len(failures) else storage.COMPLETE,
        finished=int(n_written),
        failed=len(failures),
        wall_seconds=round(wall_seconds, 3),
    )
    if figures and folder.path is not None:
        draw_figures(folder.path, info)
    folder.write_json(storage.MANIFEST, info)
    return Report(int(table["key"].nunique()), int(n_written), summary, differences, failures, info)


def failure_table(records: list[dict[str, Any]], labels: list[str]) -> pd.DataFrame:
    """One row per failed run: where, with which label values, and the error."""
    columns = ["point", *labels, "replication", "seed", "key", "error_type", "error"]
    rows = [
        {
            **{k: r.get(k) for k in ("point", "replication", "seed", "key")},
            **{k: (r.get("values") or {}).get(k) for k in labels},
            "error_type": r.get("error_type"),
            "error": r.get("error"),
        }
        for r in records
    ]
    return pd.DataFrame(rows, columns=columns).sort_values(["point", "replication"], kind="stable")


# ---------------------------------------------------------------------------------------------
# Figures


def draw_figures(folder: Path, manifest_data: dict[str, Any]) -> list[Path]:
    """Draw a results folder's figures from its saved tables (the kind says which)."""
    folder = Path(folder)
    out = folder / storage.FIGURES
    kind = manifest_data.get("kind", "scenario")
    if not (folder / storage.TIMESERIES).exists():
        return []
    if kind == "sweep":
        summary = storage.read_summary(folder)
        return sweep_plots.plot_sweep(
            summary, list(manifest_data.get("swept", [])), out, title=manifest_data["name"]
        )
    available = storage.timeseries_columns(folder)
    wanted = {"replication", "step", "scenario", "share_aware", "mean_depth", "share_deep"}
    wanted |= {"redundancy", "n_weak_ties", "n_strong_ties", "mean_strength"}
    wanted |= {"share_misinformed", *(f"corrections_{c}" for c in CORRECTION_CHANNELS)}
    wanted |= {c for c in available if c.startswith("share_aware__")}
    ts = storage.read_timeseries(folder, columns=[c for c in available if c in wanted])
    if kind == "compare":
        order = manifest_data.get("scenarios")
        written = compare_plots.plot_compare(ts, out, order=order)
        outcomes = compare_plots.plot_outcomes(
            storage.read_summary(folder), out / compare_plots.OUTCOMES_FILE, order=order
        )
        return written if outcomes is None else [*written, outcomes]
    written = plotting.plot_run(ts, out, title=manifest_data.get("name", ""))
    return written + _breakdown_figures(folder, out, manifest_data.get("name", ""))


def _breakdown_figures(folder: Path, out: Path, title: str) -> list[Path]:
    """``groups.png`` and ``learners.png`` from the side tables a scenario's folder holds."""
    from sim.analysis import breakdown_plots

    drawn = []
    for table, draw in (
        ("groups", breakdown_plots.plot_groups),
        ("learners", breakdown_plots.plot_learners),
    ):
        if (folder / side_tables.file_name(table)).is_file():
            path = draw(side_tables.read(folder, table), out / f"{table}.png", title=title)
            drawn += [path] if path is not None else []
    return drawn


def redraw(folder: Path) -> list[Path]:
    """Redraw a results folder's figures from its manifest and tables.

    Raises:
        OSError, ValueError, KeyError: if the folder or its tables cannot be read.
    """
    return draw_figures(Path(folder), storage.read_manifest(folder))


# ---------------------------------------------------------------------------------------------
# Reporting


TIMES_NOTE = (
    "steps to 50 % / 90 % of learner-item pairs aware: Kaplan-Meier median and 95% CI over "
    "replications,\nruns that never reached the level censored at their last step "
    "(nan bound: not bounded by the data)"
)
"""Heading of the printed table of times."""


def outcome_extras(summary: pd.DataFrame) -> list[str]:
    """Outcomes printed and compared only where they mean something.

    The misinformation ones, for runs with misconceptions.
    """
    if plotting.has_misconceptions(summary):
        return ["share_misinformed", "peak_share_misinformed"]
    return []


def summary_text(spec: Spec, summary: pd.DataFrame, differences: pd.DataFrame | None) -> str:
    """The tables printed after a run.

    A scenario: mean, sd and 95% t interval of each outcome, then the times to 50 % and
    90 % as censored data (Kaplan-Meier). A sweep or comparison: means per point or
    scenario, the Kaplan-Meier times per point or scenario, and a comparison's paired
    differences with Holm-adjusted p-values; a sweep of more than `MAX_PRINTED_POINTS`
    points, where its tables are.
    """
    cols = [c for c in stats.SUMMARY_COLUMNS if c in summary.columns]
    cols += outcome_extras(summary)
    values = [c for c in cols if not is_time_column(c)]
    times = [c for c in cols if is_time_column(c)]
    if spec.kind == "scenario":
        table = stats.describe(summary, cols)
        n = len(summary)
        lines = [f"outcomes over {n} replications (mean, sd, 95% t interval, min, max):"]
        lines.append(
            stats.format_table(
                table.loc[values, ["mean", "sd", "n", "ci_lo", "ci_hi", "min", "max"]]
            )
        )
        if times:
            keep = ["n", "n_reached", "km_median", "km_ci_lo", "km_ci_hi", "min", "max"]
            km = table.loc[times, keep].astype({"n_reached": int})
            lines += ["", TIMES_NOTE + ":", stats.format_table(km)]
        return "\n".join(lines)
    if spec.kind == "sweep" and summary["point"].nunique() > MAX_PRINTED_POINTS:
        n = summary["point"].nunique()
        return (
            f"{n} points x {spec.replications} replications: means per point are in "
            f"{storage.SUMMARY} and figures/ (printed up to {MAX_PRINTED_POINTS} points)"
        )
    shown = [c for c in comparisons.OUTCOME_COLUMNS if c in summary.columns]
    group = ["point", *spec.labels] if spec.kind == "sweep" else ["scenario"]
    means = summary.groupby(group, sort=spec.kind == "sweep")[shown].mean()
    per = "point" if spec.kind == "sweep" else "scenario"
    lines = [f"mean over replications ({spec.replications} per {per}):"]
    lines.append(stats.format_table(means.reset_index()))
    if times and "point" in summary.columns:
        labels = list(spec.labels) if spec.kind == "sweep" else ["scenario"]
        km = comparisons.by_point(summary, labels, times).sort_values("point", kind="stable")
        ids = ["point", *labels] if spec.kind == "sweep" else labels
        km = km[[*ids, "column", "n", "n_reached", "km_median", "km_ci_lo", "km_ci_hi"]]
        km = km.reset_index(drop=True).astype({"n_reached": int})
        lines += ["", TIMES_NOTE + ":", stats.format_table(km)]
    if differences is not None and not differences.empty:
        lines.append(
            f"\npaired differences against {spec.extra['baseline']} (95% t interval, d_z; "
            "p_holm: Holm-adjusted over each scenario's outcomes, * = p_holm < 0.05;\n"
            "times and redundancy_to_50: only pairs where both runs reached the level, "
            "n_pairs of n_replications):"
        )
        keep = ["scenario", "column", "difference", "ci_lo", "ci_hi", "d_z", "n_pairs"]
        keep += ["p_value", "p_holm"]
        table = differences[[c for c in keep if c in differences.columns]].copy()
        if "p_holm" in differences.columns:
            table["holm<0.05"] = np.where(differences["p_holm"] < HOLM_ALPHA, "*", "")
        lines.append(stats.format_table(table))
    return "\n".join(lines)


MAX_PRINTED_POINTS = 64
"""A sweep with more points prints where its tables are instead of a row per point."""

HOLM_ALPHA = 0.05
"""Family-wise error rate at which the printed comparison flags a difference."""


def failure_lines(failures: pd.DataFrame, runs: int) -> list[str]:
    """What to say about failed runs: how many of `runs`, and each distinct error, counted."""
    if failures.empty:
        return []
    lines = [f"{len(failures)} of {runs} runs failed (see {storage.FAILURES}):"]
    counts = comparisons.failure_counts(failures)
    lines += [
        f"  {row.runs} x {row.error_type}: {row.error}" for row in counts.itertuples(index=False)
    ]
    return lines
