"""The command line behind `run.py`: run a scenario's replications and write a results folder."""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import platform
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sim import __version__
from sim.config import Scenario, ScenarioError, dump_scenario, load_scenario

EXIT_OK = 0
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130

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
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `python run.py`."""
    p = argparse.ArgumentParser(
        prog="run.py",
        description=(
            "Run a scenario's replications and write results/<name>/<UTC stamp>/ with "
            "scenario.yaml, manifest.json, timeseries.parquet, summary.csv and figures/."
        ),
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file")
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
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    p.add_argument("--no-figures", action="store_true", help="skip writing figures/")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 invalid input, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    overrides = list(args.overrides)
    for field in ("replications", "steps", "seed"):
        value = getattr(args, field)
        if value is not None:
            overrides.append(f"{field}={value}")
    try:
        scenario = load_scenario(args.scenario, overrides)
    except ScenarioError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("\ninterrupted: no results written", file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        folder = run(
            scenario,
            args.out,
            quiet=args.quiet,
            figures=not args.no_figures,
            source=args.scenario,
            argv=argv,
        )
    except KeyboardInterrupt:
        print("\ninterrupted: no results written", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"results: {folder}")
    return EXIT_OK


def run(
    scenario: Scenario,
    out: Path,
    *,
    quiet: bool = False,
    figures: bool = True,
    source: Path | None = None,
    argv: list[str] | None = None,
) -> Path:
    """Run every replication of `scenario` and write its results folder under `out`.

    Returns:
        The results folder.
    """
    import pandas as pd
    from tqdm import tqdm

    from sim import analysis, storage
    from sim.experiment import iter_replications, replication_seeds

    folder = storage.ResultsFolder(out, scenario.name)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    try:
        bar = tqdm(
            total=scenario.replications,
            desc=scenario.name,
            unit="rep",
            disable=quiet,
            file=sys.stderr,
        )
        tables = []
        for ts in iter_replications(scenario):
            tables.append(ts)
            bar.update(1)
        bar.close()
        ts = pd.concat(tables, ignore_index=True)
        summary = analysis.summarise_replications(ts)
        wall = time.perf_counter() - t0
        folder.write_text(storage.SCENARIO, dump_scenario(scenario))
        folder.write_table(storage.TIMESERIES, ts)
        folder.write_table(storage.SUMMARY, summary)
        if figures:
            from sim import plotting

            plotting.plot_run(ts, folder.file(storage.FIGURES), title=scenario.name)
        folder.write_json(
            storage.MANIFEST,
            manifest(
                scenario,
                replication_seeds(scenario.seed, scenario.replications),
                started,
                wall,
                source,
                argv,
            ),
        )
        path = folder.finish()
    except BaseException:
        folder.abort()
        raise
    if not quiet:
        cols = [c for c in analysis.SUMMARY_COLUMNS if c in summary.columns]
        print(analysis.format_table(analysis.describe(summary, cols)))
    return path


def manifest(
    scenario: Scenario,
    seeds: list[int],
    started: datetime,
    wall_seconds: float,
    source: Path | None,
    argv: list[str] | None,
) -> dict:
    """What a reader needs to trust and rerun the results: versions, seeds, command, time."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    src = {}
    if source is not None and Path(source).exists():
        src = {
            "path": str(source),
            "sha256": hashlib.sha256(Path(source).read_bytes()).hexdigest(),
        }
    command = ["run.py", *(sys.argv[1:] if argv is None else argv)]
    return {
        "project": "learning-ties",
        "version": __version__,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "scenario_name": scenario.name,
        "scenario_file": src,
        "root_seed": scenario.seed,
        "replication_seeds": seeds,
        "replications": scenario.replications,
        "steps": scenario.steps,
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
