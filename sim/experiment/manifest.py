"""The manifest of a results folder: what a reader needs to trust and rerun the results."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import subprocess
from datetime import datetime
from pathlib import Path

from sim.experiment.jobs import replication_seeds
from sim.experiment.spec import Spec
from sim.metrics import column_kinds
from sim.version import __version__
from sim.world.streams import PURPOSES, STREAM_LAYOUT

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
"""Packages whose versions the manifest records."""


def _metric_kinds(spec: Spec) -> dict[str, str]:
    """Every metric column of the run and its declared kind (see `sim.metrics.Kind`)."""
    classes: list[str] = []
    for point in spec.points:
        assert point.scenario is not None
        for c in point.scenario.knowledge.item_classes:
            if c.name not in classes:
                classes.append(c.name)
    return {name: str(kind) for name, kind in column_kinds(classes).items()}


def manifest(spec: Spec, started: datetime, wall_seconds: float, command: str) -> dict:
    """What a reader needs to trust and rerun the results: versions, seeds, command, time."""
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
    return {
        "project": "learning-ties",
        "version": __version__,
        "git_commit": git_commit(),
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
        "random_streams": {"layout": STREAM_LAYOUT, "purposes": list(PURPOSES)},
        "replications": spec.replications,
        "columns": _metric_kinds(spec),
        "started_utc": started.isoformat(),
        "wall_seconds": round(wall_seconds, 3),
        "command": command,
    }


def git_commit() -> str | None:
    """The project's git commit (with '-dirty' if the work tree has changes), if any."""
    here = Path(__file__).resolve().parent.parent.parent
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
