"""The results folder: every file written atomically, and read back.

A run writes into a hidden `.partial` folder and renames it into place only when every file
is complete, so an interrupted run leaves no half-written results folder behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK  # what open() would give; mkstemp alone gives 0600

TIMESERIES = "timeseries.parquet"
SUMMARY = "summary.csv"
MANIFEST = "manifest.json"
SCENARIO = "scenario.yaml"
FIGURES = "figures"


def utc_stamp(now: datetime | None = None) -> str:
    """A UTC time stamp usable as a folder name, e.g. 20261122T081500Z."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to `path` through a temporary file and a rename (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(path: Path, df: pd.DataFrame) -> None:
    """Write a table atomically as Parquet or CSV, by the file's extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if path.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ResultsFolder:
    """A results folder `<root>/<name>/<UTC stamp>/` being written.

    Files go into a hidden sibling `.<stamp>.partial` until `finish` renames it into place;
    `abort` removes it.

    Args:
        root: the results root (e.g. `results/`).
        name: the scenario name.
        stamp: folder name; default: the current UTC time (suffixed if it exists).
    """

    def __init__(self, root: Path, name: str, stamp: str | None = None) -> None:
        base = Path(root) / name
        stamp = stamp or utc_stamp()
        final = base / stamp
        i = 1
        while final.exists() or (base / f".{final.name}.partial").exists():
            final = base / f"{stamp}-{i}"
            i += 1
        self.final = final
        self.path = base / f".{final.name}.partial"
        self.path.mkdir(parents=True)

    def file(self, name: str) -> Path:
        """Where a file of the folder is being written."""
        return self.path / name

    def write_text(self, name: str, text: str) -> None:
        """Write a text file atomically."""
        write_atomic(self.file(name), text.encode("utf-8"))

    def write_json(self, name: str, obj: Any) -> None:
        """Write JSON atomically (indented, keys in given order)."""
        self.write_text(name, json.dumps(obj, indent=2, default=str) + "\n")

    def write_table(self, name: str, df: pd.DataFrame) -> None:
        """Write a table atomically (Parquet or CSV by extension)."""
        write_table(self.file(name), df)

    def finish(self) -> Path:
        """Move the complete folder into place and return its final path."""
        os.replace(self.path, self.final)
        return self.final

    def abort(self) -> None:
        """Remove everything written so far (and the scenario's folder, if left empty)."""
        shutil.rmtree(self.path, ignore_errors=True)
        try:
            self.path.parent.rmdir()
        except OSError:
            pass  # not empty: earlier results of the scenario live there


def read_timeseries(folder: str | Path) -> pd.DataFrame:
    """The time series table of a results folder."""
    return pd.read_parquet(Path(folder) / TIMESERIES)


def read_summary(folder: str | Path) -> pd.DataFrame:
    """The per-replication summary table of a results folder."""
    return pd.read_csv(Path(folder) / SUMMARY)


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of a results folder."""
    return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
