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

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.analysis import compare_plots, comparisons, plotting, stats, sweep_plots
from sim.analysis.survival import is_time_column
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
        order = manifest_data.get("scenarios")
        written = compare_plots.plot_compare(ts, out, order=order)
        outcomes = compare_plots.plot_outcomes(
            storage.read_summary(folder), out / compare_plots.OUTCOMES_FILE, order=order
        )
        return written if outcomes is None else [*written, outcomes]
    return plotting.plot_run(ts, out, title=manifest_data.get("name", ""))


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


def summary_text(spec: Spec, summary: pd.DataFrame, differences: pd.DataFrame | None) -> str:
    """The tables printed after a run.

    A scenario: mean, sd and 95% t interval of each outcome, then the times to 50 % and
    90 % as censored data (Kaplan-Meier). A sweep or comparison: means per point or
    scenario, the Kaplan-Meier times per point or scenario, and a comparison's paired
    differences with Holm-adjusted p-values.
    """
    cols = [c for c in stats.SUMMARY_COLUMNS if c in summary.columns]
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
