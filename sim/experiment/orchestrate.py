"""An experiment end to end: where it runs, running it, consolidating, drawing, reporting.

`run` runs the unfinished jobs of a `sim.experiment.spec.Spec` into a results folder (or
memory), consolidates the tables, records failures, draws the figures and writes the
manifest. Both front ends build on it: the command line (`sim.cli`) and the library
(`sim.api`). Nothing here prints; the front ends report (see `summary_text`,
`failure_lines`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim.analysis import comparisons, plotting, stats, sweep_plots
from sim.experiment import storage
from sim.experiment.jobs import jobs_table, plan_jobs
from sim.experiment.manifest import manifest
from sim.experiment.runners import default_workers, run_experiment
from sim.experiment.spec import Spec
from sim.experiment.storage import Folder, ResultsFolder
from sim.scenario import ScenarioError


@dataclass
class Options:
    """How to run: executor, progress bar, figures, and the command recorded in the manifest."""

    workers: int | None = None  # None: all cores
    scheduler: Any = None  # a Dask scheduler address or client
    progress: bool = False
    figures: bool = True
    command: str = ""


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


def open_folder(spec: Spec, out: Path, resume: Path | None = None) -> tuple[ResultsFolder, bool]:
    """The results folder to run into, and whether it is resumed.

    `resume` names the folder; otherwise the newest unfinished folder of the same experiment
    under ``<out>/<name>/`` is resumed, or a new stamped folder made.

    Raises:
        ScenarioError: if `resume` is not a results folder.
    """
    if resume is not None:
        if not (Path(resume) / storage.MANIFEST).is_file():
            raise ScenarioError([f"--resume {resume}: not a results folder (no manifest.json)"])
        return ResultsFolder(resume), True
    found = storage.find_resumable(out, spec.name, spec.fingerprint)
    if found is not None:
        return ResultsFolder(found), True
    return ResultsFolder.create(out, spec.name), False


# ---------------------------------------------------------------------------------------------
# Running


def run(spec: Spec, folder: Folder, options: Options) -> Report:
    """Run every unfinished job of `spec` into `folder`, then write tables and figures.

    `folder` is a `ResultsFolder`, or a `sim.experiment.memory.MemoryFolder` (then no
    figures are drawn and nothing touches the disk).
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    folder.clean_temp()
    labels = _write_inputs(spec, folder)
    jobs = plan_jobs(spec.points, spec.replications, spec.seed, spec.networks or None)
    table = jobs_table(jobs)
    n_runs = int(table["key"].nunique())
    workers = options.workers if options.workers is not None else default_workers()
    previous = folder.read_manifest()
    info = manifest(spec, started, 0.0, options.command)
    info.update(
        status=storage.RUNNING,
        fingerprint=spec.fingerprint,
        runs=n_runs,
        workers=None if options.scheduler else workers,
        scheduler=options.scheduler if options.scheduler is None else str(options.scheduler),
        started_utc=previous.get("started_utc", started.isoformat()),
    )
    folder.write_json(storage.MANIFEST, info)
    done_before = len(folder.finished_keys() & set(table["key"]))
    bar = tqdm(
        total=n_runs,
        initial=done_before,
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
    wall = previous.get("wall_seconds", 0.0) + time.perf_counter() - t0
    return _consolidate(spec, folder, table, labels, info, wall, options.figures)


def _write_inputs(spec: Spec, folder: Folder) -> pd.DataFrame | None:
    """Write the resolved scenario(s) and, with labels, the points table (returned)."""
    for name, text in spec.files.items():
        folder.write_text(name, text)
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
    failures = failure_table(folder.failure_records(), spec.labels)
    if failures.empty:
        folder.remove(storage.FAILURES)
    else:
        folder.write_table(storage.FAILURES, failures)
    summary = folder.read_summary() if n_written else pd.DataFrame()
    differences = None
    if spec.kind == "compare" and not summary.empty:
        differences = comparisons.paired_differences(summary, baseline=spec.extra["baseline"])
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
    wanted |= {c for c in available if c.startswith("share_aware__")}
    ts = storage.read_timeseries(folder, columns=[c for c in available if c in wanted])
    if kind == "compare":
        return plotting.plot_compare(ts, out, order=manifest_data.get("scenarios"))
    return plotting.plot_run(ts, out, title=manifest_data.get("name", ""))


def redraw(folder: Path) -> list[Path]:
    """Redraw a results folder's figures from its manifest and tables.

    Raises:
        OSError, ValueError, KeyError: if the folder or its tables cannot be read.
    """
    return draw_figures(Path(folder), storage.read_manifest(folder))


# ---------------------------------------------------------------------------------------------
# Reporting


def summary_text(spec: Spec, summary: pd.DataFrame, differences: pd.DataFrame | None) -> str:
    """The table printed after a run.

    Statistics of a scenario, means per point or scenario, and a comparison's differences.
    """
    cols = [c for c in stats.SUMMARY_COLUMNS if c in summary.columns]
    if spec.kind == "scenario":
        return stats.format_table(stats.describe(summary, cols))
    printed = ["share_aware", "mean_depth", "share_deep", "mean_redundancy", "share_gain_via_weak"]
    shown = [c for c in printed if c in summary.columns]
    group = ["point", *spec.labels] if spec.kind == "sweep" else ["scenario"]
    means = summary.groupby(group, sort=spec.kind == "sweep")[shown].mean()
    per = "point" if spec.kind == "sweep" else "scenario"
    lines = [f"mean over replications ({spec.replications} per {per}):"]
    lines.append(stats.format_table(means.reset_index()))
    if differences is not None and not differences.empty:
        lines.append(
            f"\npaired differences against {spec.extra['baseline']} (95% t interval, d_z):"
        )
        keep = ["scenario", "column", "difference", "ci_lo", "ci_hi", "d_z", "p_value"]
        lines.append(stats.format_table(differences[keep]))
    return "\n".join(lines)


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
