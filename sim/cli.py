"""The command line behind `run.py`: run a scenario or sweep, compare scenarios, redraw figures.

python run.py SCENARIO.yaml [options]          a scenario, or a sweep if it has a sweep block
python run.py compare A.yaml B.yaml [options]  scenarios on shared seeds, paired differences
python run.py plot RESULTS_DIR                 redraw the figures from the saved tables
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim import __version__
from sim.config import Scenario, ScenarioError, dump_scenario
from sim.sweep import Point, load_experiment

EXIT_OK = 0
EXIT_ALL_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130

COMMANDS = ("compare", "plot")

PACKAGES = [
    "mesa",
    "numpy",
    "scipy",
    "networkx",
    "pandas",
    "pyarrow",
    "pydantic",
    "matplotlib",
    "pyyaml",
    "tqdm",
    "dask",
    "distributed",
]


def _common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--replications", type=int, metavar="N", help="override replications")
    p.add_argument("--steps", type=int, metavar="N", help="override steps")
    p.add_argument("--seed", type=int, metavar="N", help="override the root seed")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        metavar="DIR",
        help="results root (default: results/)",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help="override a field, validated like the file (repeatable), e.g. --set ties.decay=0.02",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes running replications in parallel (default: all cores; 1 = serial)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786 (pip install .[cluster])",
    )
    p.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="finish the unfinished runs of this results folder (default: an unfinished folder "
        "of the same experiment is found and resumed)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    p.add_argument("--no-figures", action="store_true", help="skip writing figures/")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `python run.py SCENARIO.yaml`."""
    p = argparse.ArgumentParser(
        prog="run.py",
        description=(
            "Run a scenario's replications (or every point of its sweep block) and write "
            "results/<name>/<UTC stamp>/ with scenario.yaml, manifest.json, timeseries.parquet, "
            "summary.csv, points.csv (sweeps) and figures/. Other commands: "
            "'run.py compare A.yaml B.yaml ...', 'run.py plot RESULTS_DIR'."
        ),
    )
    p.add_argument(
        "scenario", type=Path, nargs="?", help="scenario YAML file (optional with --resume)"
    )
    _common_options(p)
    return p


def build_compare_parser() -> argparse.ArgumentParser:
    """The argument parser of `python run.py compare A.yaml B.yaml ...`."""
    p = argparse.ArgumentParser(
        prog="run.py compare",
        description=(
            "Run scenarios on shared seeds (the first scenario's root seed and replications) and "
            "write results/compare/<UTC stamp>/ with overlay figures and differences.csv: paired "
            "differences against the first scenario with confidence intervals and effect sizes."
        ),
    )
    p.add_argument("scenarios", type=Path, nargs="*", help="scenario YAML files, baseline first")
    _common_options(p)
    return p


def build_plot_parser() -> argparse.ArgumentParser:
    """The argument parser of `python run.py plot RESULTS_DIR`."""
    p = argparse.ArgumentParser(
        prog="run.py plot", description="Redraw a results folder's figures from its saved tables."
    )
    p.add_argument("folder", type=Path, help="a results folder")
    return p


@dataclass
class Spec:
    """An experiment ready to run: what the results folder and the tables need to know."""

    kind: str  # "scenario", "sweep" or "compare"
    name: str
    points: list[Point]
    labels: list[str]
    replications: int
    seed: int
    files: dict[str, str]  # results-folder file name -> text (the resolved scenarios)
    sources: list[Path] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Hash of what the experiment runs: the same command gives the same fingerprint."""
        return hashlib.sha256(
            json.dumps([self.kind, self.files], sort_keys=True).encode("utf-8")
        ).hexdigest()


def _overrides(args: argparse.Namespace) -> list[str]:
    overrides = list(args.overrides)
    for name in ("replications", "steps", "seed"):
        value = getattr(args, name)
        if value is not None:
            overrides.append(f"{name}={value}")
    return overrides


def _fail(problems: list[str]) -> int:
    for line in problems:
        print(line, file=sys.stderr)
    return EXIT_INVALID


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status.

    0: done (some runs may have failed: see failures.csv); 1: every run failed; 2: invalid
    input; 130: interrupted (finished runs are kept; rerun to resume).
    """
    from sim import storage

    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "plot":
        return main_plot(args_list[1:])
    if args_list and args_list[0] == "compare":
        return main_compare(args_list[1:], argv)
    args = build_parser().parse_args(args_list)
    scenario_path = args.scenario
    if scenario_path is None:
        if args.resume is None:
            build_parser().error("a scenario file (or --resume DIR) is required")
        if (args.resume / storage.SCENARIOS).is_dir():
            return main_compare(args_list, argv)  # a comparison folder: resume it as one
        scenario_path = args.resume / storage.SCENARIO
    try:
        experiment = load_experiment(scenario_path, _overrides(args))
    except ScenarioError as exc:
        return _fail(exc.problems)
    except KeyboardInterrupt:
        print("\ninterrupted: no results written", file=sys.stderr)
        return EXIT_INTERRUPTED
    base = experiment.base
    spec = Spec(
        kind="sweep" if experiment.sweep else "scenario",
        name=base.name,
        points=experiment.points,
        labels=experiment.swept,
        replications=base.replications,
        seed=base.seed,
        files={
            storage.SCENARIO: dump_scenario(
                base, experiment.sweep.to_dict() if experiment.sweep else None
            )
        },
        sources=[scenario_path],
        extra={"steps": base.steps, "scenario_name": base.name},
    )
    return _execute(spec, args, argv)


def main_compare(args_list: list[str], argv: list[str] | None) -> int:
    """`run.py compare A.yaml B.yaml ...`: scenarios on shared seeds, paired differences."""
    from sim import storage

    args = build_compare_parser().parse_args(args_list)
    paths = list(args.scenarios)
    if not paths and args.resume is not None:
        try:
            names = storage.read_manifest(args.resume)["scenarios"]
        except (OSError, ValueError, KeyError):
            return _fail([f"{args.resume}: not a comparison results folder"])
        paths = [args.resume / storage.SCENARIOS / f"{n}.yaml" for n in names]
    if len(paths) < 2:
        return _fail(["compare: give at least two scenario files (the first is the baseline)"])
    problems: list[str] = []
    scenarios: list[Scenario] = []
    for path in paths:
        try:
            experiment = load_experiment(path, _overrides(args))
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if experiment.sweep is not None:
            problems.append(f"{path}: sweep: compare takes scenarios without a sweep block")
            continue
        scenarios.append(experiment.base)
    if problems:
        return _fail(problems)
    names = [s.name for s in scenarios]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        return _fail([f"compare: scenario names must differ (repeated: {', '.join(repeated)})"])
    first = scenarios[0]
    shared = []
    for s in scenarios:
        if (s.seed, s.replications) != (first.seed, first.replications):
            print(
                f"note: {s.name} runs on {first.name}'s seed {first.seed} and "
                f"{first.replications} replications (common random numbers)",
                file=sys.stderr,
            )
        shared.append(s.model_copy(update={"seed": first.seed, "replications": first.replications}))
    spec = Spec(
        kind="compare",
        name="compare",
        points=[Point(i, {"scenario": s.name}, s) for i, s in enumerate(shared)],
        labels=["scenario"],
        replications=first.replications,
        seed=first.seed,
        files={f"{storage.SCENARIOS}/{s.name}.yaml": dump_scenario(s) for s in shared},
        sources=paths,
        extra={"scenarios": names, "baseline": names[0]},
    )
    return _execute(spec, args, argv)


def main_plot(args_list: list[str]) -> int:
    """`run.py plot RESULTS_DIR`: redraw the figures of a results folder from its tables."""
    from sim import storage

    args = build_plot_parser().parse_args(args_list)
    try:
        manifest_data = storage.read_manifest(args.folder)
        written = draw_figures(args.folder, manifest_data)
    except (OSError, ValueError, KeyError) as exc:
        return _fail([f"{args.folder}: cannot redraw figures: {exc}"])
    for path in written:
        print(path)
    return EXIT_OK


def draw_figures(folder: Path, manifest_data: dict[str, Any]) -> list[Path]:
    """Draw a results folder's figures from its saved tables (the kind says which)."""
    from sim import plotting, storage

    folder = Path(folder)
    out = folder / storage.FIGURES
    kind = manifest_data.get("kind", "scenario")
    if not (folder / storage.TIMESERIES).exists():
        return []
    if kind == "sweep":
        summary = storage.read_summary(folder)
        return plotting.plot_sweep(
            summary, list(manifest_data.get("swept", [])), out, title=manifest_data["name"]
        )
    available = set(storage.timeseries_columns(folder))
    wanted = {"replication", "step", "scenario", "share_aware", "mean_depth", "share_deep"}
    wanted |= {"redundancy", "n_weak_ties", "n_strong_ties", "mean_strength"}
    wanted |= {c for c in available if c.startswith("share_aware__")}
    ts = storage.read_timeseries(
        folder, columns=[c for c in storage.timeseries_columns(folder) if c in wanted]
    )
    if kind == "compare":
        return plotting.plot_compare(ts, out, order=manifest_data.get("scenarios"))
    return plotting.plot_run(ts, out, title=manifest_data.get("name", ""))


def _execute(spec: Spec, args: argparse.Namespace, argv: list[str] | None) -> int:
    """Open (or resume) the results folder, run what is missing, consolidate, draw, report."""
    from sim import storage

    folder = None
    try:
        if args.resume is not None:
            if not (args.resume / storage.MANIFEST).is_file():
                return _fail([f"--resume {args.resume}: not a results folder (no manifest.json)"])
            folder = storage.ResultsFolder(args.resume)
        else:
            found = storage.find_resumable(args.out, spec.name, spec.fingerprint)
            folder = storage.ResultsFolder(found) if found else None
        if folder is not None and not args.quiet:
            print(f"resuming {folder.path}", file=sys.stderr)
        if folder is None:
            folder = storage.ResultsFolder.create(args.out, spec.name)
        status = run(spec, folder, args, argv)
    except KeyboardInterrupt:
        if folder is None:
            print("\ninterrupted: no results written", file=sys.stderr)
        else:
            print(
                f"\ninterrupted: finished runs are kept in {folder.path}; rerun the same "
                f"command (or --resume {folder.path}) to finish",
                file=sys.stderr,
            )
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - executor failure: say where the runs are
        from sim.experiment import ExecutorError

        if not isinstance(exc, ExecutorError | OSError):
            raise
        where = f"; finished runs are kept in {folder.path}" if folder else ""
        print(f"error: {exc}{where}", file=sys.stderr)
        return EXIT_ALL_FAILED
    print(f"results: {folder.path}")
    return status


def run(spec: Spec, folder: Any, args: argparse.Namespace, argv: list[str] | None) -> int:
    """Run every unfinished job of `spec` into `folder`, then write tables and figures.

    Returns:
        The exit status: 0, or 1 when every run failed.
    """
    import pandas as pd
    from tqdm import tqdm

    from sim import analysis, storage
    from sim.experiment import default_workers, jobs_table, plan_jobs, run_experiment

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    folder.clean_temp()
    for name, text in spec.files.items():
        folder.write_text(name, text)
    labels = None
    if spec.labels:
        labels = pd.DataFrame(
            [{"point": p.index, **p.values} for p in spec.points],
            columns=["point", *spec.labels],
        )
        folder.write_table(storage.POINTS, labels)
    jobs = plan_jobs(spec.points, spec.replications, spec.seed)
    table = jobs_table(jobs)
    n_runs = table["key"].nunique()
    workers = args.workers if args.workers is not None else default_workers()
    previous = _previous_manifest(folder)
    info = manifest(spec, started, 0.0, argv)
    info.update(
        status=storage.RUNNING,
        fingerprint=spec.fingerprint,
        runs=int(n_runs),
        workers=None if args.scheduler else workers,
        scheduler=args.scheduler,
        started_utc=previous.get("started_utc", started.isoformat()),
    )
    folder.write_json(storage.MANIFEST, info)
    done_before = len(folder.finished_keys() & set(table["key"]))
    bar = tqdm(
        total=int(n_runs),
        initial=done_before,
        desc=spec.name,
        unit="run",
        disable=args.quiet,
        file=sys.stderr,
    )
    try:
        run_experiment(
            jobs,
            folder,
            values={p.index: p.values for p in spec.points},
            workers=workers,
            scheduler=args.scheduler,
            on_outcome=lambda _: bar.update(1),
        )
    finally:
        bar.close()
    n_written, _ = storage.consolidate(folder, table, labels, analysis.summarise_replications)
    failures = _failure_table(folder.failure_records(), spec.labels)
    if failures.empty:
        folder.file(storage.FAILURES).unlink(missing_ok=True)
    else:
        folder.write_table(storage.FAILURES, failures)
    summary = storage.read_summary(folder.path) if n_written else pd.DataFrame()
    differences = None
    if spec.kind == "compare" and not summary.empty:
        differences = analysis.paired_differences(summary, baseline=spec.extra["baseline"])
        folder.write_table(storage.DIFFERENCES, differences)
    info.update(
        status=storage.PARTIAL if len(failures) else storage.COMPLETE,
        finished=int(n_written),
        failed=len(failures),
        wall_seconds=round(previous.get("wall_seconds", 0.0) + time.perf_counter() - t0, 3),
    )
    if not args.no_figures:
        draw_figures(folder.path, info)
    folder.write_json(storage.MANIFEST, info)
    if not args.quiet and not summary.empty:
        _print_summary(spec, summary, differences)
    if not failures.empty:
        print(f"{len(failures)} of {n_runs} runs failed (see {storage.FAILURES}):", file=sys.stderr)
        counts = analysis.failure_counts(failures)
        for row in counts.itertuples(index=False):
            print(f"  {row.runs} x {row.error_type}: {row.error}", file=sys.stderr)
    return EXIT_ALL_FAILED if n_written == 0 and n_runs > 0 else EXIT_OK


def _previous_manifest(folder: Any) -> dict[str, Any]:
    from sim import storage

    try:
        return storage.read_manifest(folder.path)
    except (OSError, ValueError):
        return {}


def _failure_table(records: list[dict[str, Any]], labels: list[str]) -> Any:
    import pandas as pd

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


def _print_summary(spec: Spec, summary: Any, differences: Any) -> None:
    from sim import analysis

    cols = [c for c in analysis.SUMMARY_COLUMNS if c in summary.columns]
    if spec.kind == "scenario":
        print(analysis.format_table(analysis.describe(summary, cols)))
        return
    printed = ["share_aware", "mean_depth", "share_deep", "mean_redundancy", "share_gain_via_weak"]
    shown = [c for c in printed if c in summary.columns]
    group = ["point", *spec.labels] if spec.kind == "sweep" else ["scenario"]
    means = summary.groupby(group, sort=spec.kind == "sweep")[shown].mean()
    per = "point" if spec.kind == "sweep" else "scenario"
    print(f"mean over replications ({spec.replications} per {per}):")
    print(analysis.format_table(means.reset_index()))
    if differences is not None and not differences.empty:
        print(f"\npaired differences against {spec.extra['baseline']} (95% t interval, d_z):")
        keep = ["scenario", "column", "difference", "ci_lo", "ci_hi", "d_z", "p_value"]
        print(analysis.format_table(differences[keep]))


def manifest(
    spec: Spec,
    started: datetime,
    wall_seconds: float,
    argv: list[str] | None,
) -> dict:
    """What a reader needs to trust and rerun the results: versions, seeds, command, time."""
    from sim.experiment import replication_seeds

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    files = []
    for source in spec.sources:
        if Path(source).exists():
            files.append(
                {
                    "path": str(source),
                    "sha256": hashlib.sha256(Path(source).read_bytes()).hexdigest(),
                }
            )
    command = ["run.py", *(sys.argv[1:] if argv is None else argv)]
    return {
        "project": "learning-ties",
        "version": __version__,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "kind": spec.kind,
        "name": spec.name,
        **spec.extra,
        "scenario_file": files[0] if len(files) == 1 else files,
        "swept": spec.labels if spec.kind == "sweep" else [],
        "points": len(spec.points),
        "root_seed": spec.seed,
        "replication_seeds": replication_seeds(spec.seed, spec.replications),
        "replications": spec.replications,
        "started_utc": started.isoformat(),
        "wall_seconds": round(wall_seconds, 3),
        "command": shlex.join(command),
    }


def _git_commit() -> str | None:
    """The project's git commit (with '-dirty' if the work tree has changes), if any."""
    here = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None
