"""The results folder: every file written atomically, runs streamed to disk, and read back.

A results folder exists from the moment an experiment starts. Each finished run is written
at once as its own small files ``runs/<key>.parquet`` (its time series) and
``runs/<table>/<key>.parquet`` for each side table (tie snapshots, groups, learners:
`sim.experiment.side_tables`; a run that raised as ``failures/<key>.json``), so an
interrupted or killed experiment loses no finished run and can be resumed: the keys with
all their files in ``runs/`` are the runs already done. Every file goes
through a temporary file, an fsync and a rename, so no file is ever half written, not even
after a power loss; the temporaries a SIGKILL can leave behind are hidden (``.*.tmp``) and
removed when the folder is reopened. A run file carries its key and row count in its footer
(``sim.key``, ``sim.rows``) and CRC checksums on its pages; a file that fails these checks
(time series or side table) is moved to ``runs/damaged/`` (kept, for a look) and its run
counts as not done.
``manifest.json`` says ``"status": "running"`` until the consolidated tables and figures are
written, then ``"complete"`` (or ``"partial"`` if some runs failed; rerunning retries them).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from sim.analysis.files import (
    fsync_path,
    parquet_problem,
    unreadable,
    write_atomic,
    write_table,
)
from sim.experiment import side_tables
from sim.experiment.parquet_stream import ParquetStream
from sim.experiment.side_tables import SIDE_TABLES
from sim.experiment.snapshots import read_ties

__all__ = [
    "DamagedRun",
    "Folder",
    "ParquetStream",
    "ResultsFolder",
    "consolidate",
    "find_resumable",
    "read_manifest",
    "read_summary",
    "read_timeseries",
    "run_key",
    "timeseries_columns",
    "write_atomic",
    "write_table",
]

TIMESERIES = "timeseries.parquet"
SUMMARY = "summary.csv"
POINTS = "points.csv"
FAILURES = "failures.csv"
DIFFERENCES = "differences.csv"
MANIFEST = "manifest.json"
SCENARIO = "scenario.yaml"
SCENARIOS = "scenarios"
FIGURES = "figures"
RUNS = "runs"
DAMAGED = "damaged"  # runs/damaged/: run files that failed their checks, kept for a look
FAILED = "failures"
KEY_META = "sim.key"  # Parquet footer metadata of a run file: its key (and sim.rows)
LEARNER_IDS = "learner_ids.csv"  # learner, file_id: a network file's renumbered node ids

RUNNING = "running"
"""Manifest status while runs are going on, or after an interrupt: rerun to resume."""
COMPLETE = "complete"
"""Manifest status when every run finished and the tables and figures are written."""
PARTIAL = "partial"
"""Manifest status when the tables are written but some runs failed: rerun to retry them."""


def utc_stamp(now: datetime | None = None) -> str:
    """A UTC time stamp usable as a folder name, e.g. 20261122T081500Z."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


class DamagedRun(OSError):
    """A run file that cannot be read, or whose key or row count is not what it says.

    Attributes:
        key: the run's key.
        problem: what is wrong, one line.
        table: the side table the file holds (``runs/<table>/<key>.parquet``), or None for
            the time series.
    """

    def __init__(self, key: str, problem: str, table: str | None = None) -> None:
        name = f"{RUNS}/{table}/{key}.parquet" if table else f"{RUNS}/{key}.parquet"
        super().__init__(f"run file {name} is damaged: {problem}")
        self.key, self.problem, self.table = key, problem, table


def run_key(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of a JSON payload with sorted keys: the key of a run."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResultsFolder:
    """A results folder ``<root>/<name>/<UTC stamp>/`` (see the module docstring).

    Args:
        path: an existing results folder (use `create` for a new one).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, root: Path, name: str, stamp: str | None = None) -> ResultsFolder:
        """Make a new, empty folder `<root>/<name>/<stamp>` (suffixed ``-1``... if taken)."""
        base = Path(root) / name
        stamp = stamp or utc_stamp()
        base.mkdir(parents=True, exist_ok=True)
        i = 0
        while True:
            final = base / (stamp if i == 0 else f"{stamp}-{i}")
            try:
                final.mkdir()
                return cls(final)
            except FileExistsError:
                i += 1

    def file(self, name: str) -> Path:
        """Where a file of the folder lives."""
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

    def stream_parquet(self, name: str, schema: Any) -> ParquetStream:
        """A `ParquetStream` for a file of the folder."""
        return ParquetStream(self.file(name), schema)

    def remove(self, name: str) -> None:
        """Remove a file of the folder, if it is there."""
        self.file(name).unlink(missing_ok=True)

    def read_summary(self) -> pd.DataFrame:
        """The per-replication summary table."""
        return read_summary(self.path)

    def read_timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The time series table (optionally only some columns)."""
        return read_timeseries(self.path, columns)

    def read_ties_table(self, step: int | None = None) -> pd.DataFrame:
        """The gathered tie snapshots (``ties.parquet``), optionally of one step only."""
        return read_ties(self.path, step=step)

    def read_side_table(self, table: str, step: int | None = None) -> pd.DataFrame:
        """A gathered side table (``groups.parquet``...), optionally of one step only."""
        return side_tables.read(self.path, table, step)

    def read_manifest(self) -> dict[str, Any]:
        """The manifest, or {} without a readable one."""
        try:
            return read_manifest(self.path)
        except (OSError, ValueError):
            return {}

    # --- runs -----------------------------------------------------------------------------

    def run_path(self, key: str) -> Path:
        """The file of a finished run's time series."""
        return self.path / RUNS / f"{key}.parquet"

    def side_path(self, table: str, key: str) -> Path:
        """The file of a finished run's side table (`sim.experiment.side_tables`)."""
        return self.path / RUNS / table / f"{key}.parquet"

    def _file(self, key: str, table: str | None) -> Path:
        return self.side_path(table, key) if table else self.run_path(key)

    def finished_keys(self) -> set[str]:
        """Keys of the runs written whole: time series and every side table (no temporaries)."""
        runs = self.path / RUNS
        if not runs.is_dir():
            return set()
        keys = {p.stem for p in runs.glob("[!.]*.parquet")}
        for table in SIDE_TABLES:
            keys &= {p.stem for p in (runs / table).glob("[!.]*.parquet")}
        return keys

    def write_run(
        self, key: str, ts: pd.DataFrame, tables: dict[str, pd.DataFrame] | None = None
    ) -> None:
        """Write one finished run, and drop an earlier failure of the same key.

        The side tables first (one not given: an empty table), then the time series: a run
        counts as finished once all are there. Each file records its key and row count
        (``sim.key``, ``sim.rows``), and is on disk (fsync) before it appears under its name.
        """
        tables = tables or {}
        for table in SIDE_TABLES:
            part = tables.get(table)
            part = side_tables.empty(table) if part is None else part
            write_table(self.side_path(table, key), part, {KEY_META: key})
        write_table(self.run_path(key), ts, {KEY_META: key})
        (self.path / FAILED / f"{key}.json").unlink(missing_ok=True)

    def run_problem(self, key: str, table: str | None = None) -> str | None:
        """What is wrong with a run file (`table`: a side table's), from its footer, or None."""
        return parquet_problem(self._file(key, table), {KEY_META: key})

    def read_run(self, key: str, columns: list[str] | None = None) -> pd.DataFrame:
        """The time series of one finished run, checked (footer, then page checksums).

        Raises:
            DamagedRun: if the file cannot be read or does not hold what it says.
        """
        return self._read_checked(key, None, columns)

    def read_side(self, table: str, key: str, arrow: bool = False) -> Any:
        """A side table of one finished run, checked as `read_run` checks.

        Args:
            table: its name (`sim.experiment.side_tables.SIDE_TABLES`).
            key: the run's key.
            arrow: a pyarrow Table (for copying it on) instead of a DataFrame.

        Raises:
            DamagedRun: if the file cannot be read or does not hold what it says.
        """
        return self._read_checked(key, table, None, arrow)

    def _read_checked(
        self, key: str, table: str | None, columns: list[str] | None, arrow: bool = False
    ) -> Any:
        problem = self.run_problem(key, table)
        if problem is None:
            try:
                path = self._file(key, table)
                if arrow:
                    import pyarrow.parquet as pq

                    return pq.read_table(path, page_checksum_verification=True)
                return pd.read_parquet(path, columns=columns, page_checksum_verification=True)
            except (OSError, ValueError) as exc:
                problem = unreadable(exc)
        raise DamagedRun(key, problem, table)

    def check_runs(self) -> list[dict[str, str]]:
        """Check every run file's footer (snapshots too); move the damaged ones aside.

        Returns:
            one record per file moved to ``runs/damaged/``: ``key``, ``file`` and
            ``moved_to`` (relative to the folder) and ``problem``.
        """
        moved = []
        places = [(None, self.path / RUNS)]
        places += [(table, self.path / RUNS / table) for table in SIDE_TABLES]
        for table, where in places:
            for path in sorted(where.glob("[!.]*.parquet")):  # not the temporaries
                problem = self.run_problem(path.stem, table)
                if problem is not None:
                    moved.append(self.quarantine(path.stem, problem, table))
        return moved

    def quarantine(self, key: str, problem: str, table: str | None = None) -> dict[str, str]:
        """Move a damaged run file to ``runs/damaged/`` (never overwriting); say where.

        A side table's file goes there as ``<key>.<table>.parquet``; its run counts as not
        done.
        """
        source = self._file(key, table)
        target_dir = self.path / RUNS / DAMAGED
        target_dir.mkdir(exist_ok=True)
        stem = f"{key}.{table}" if table else key
        i = 0
        while (target := target_dir / f"{stem}{f'.{i}' if i else ''}.parquet").exists():
            i += 1
        os.replace(source, target)
        for d in (target_dir, source.parent):
            fsync_path(d)
        rel = str(target.relative_to(self.path))
        file = str(source.relative_to(self.path))
        return {"key": key, "file": file, "moved_to": rel, "problem": problem}

    def run_schema(self, key: str) -> Any:
        """The pyarrow schema of a finished run's file (read from its footer only)."""
        import pyarrow.parquet as pq

        return pq.read_schema(self.run_path(key))

    def side_schema(self, table: str, key: str) -> Any:
        """The pyarrow schema of a finished run's side-table file (from its footer only)."""
        import pyarrow.parquet as pq

        return pq.read_schema(self.side_path(table, key))

    def write_failure(self, key: str, record: dict[str, Any]) -> None:
        """Record a run that raised: its error and parameters."""
        write_atomic(
            self.path / FAILED / f"{key}.json",
            (json.dumps(record, indent=2, default=str) + "\n").encode("utf-8"),
        )

    def failure_records(self) -> list[dict[str, Any]]:
        """Every recorded failure of a run that has not finished since."""
        folder = self.path / FAILED
        if not folder.is_dir():
            return []
        done = self.finished_keys()
        out = []
        for p in sorted(folder.glob("*.json")):
            if p.name.startswith(".") or p.stem in done:
                continue
            out.append(json.loads(p.read_text(encoding="utf-8")))
        return out

    def clean_temp(self) -> list[Path]:
        """Remove the hidden temporaries a killed writer left behind; return what went."""
        gone = []
        for p in self.path.rglob(".*.tmp"):
            p.unlink(missing_ok=True)
            gone.append(p)
        return gone


class Folder(Protocol):
    """What running and consolidating an experiment need of a folder.

    A `ResultsFolder` on disk, or a `sim.experiment.memory.MemoryFolder`.
    """

    def finished_keys(self) -> set[str]:
        """Keys of the finished runs."""

    def write_run(
        self, key: str, ts: pd.DataFrame, tables: dict[str, pd.DataFrame] | None = None
    ) -> None:
        """Store a finished run: its time series and side tables."""

    def read_run(self, key: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A finished run's time series."""

    def read_side(self, table: str, key: str, arrow: bool = False) -> Any:
        """A finished run's side table (a DataFrame, or a pyarrow Table)."""

    def side_schema(self, table: str, key: str) -> Any:
        """A finished run's side-table pyarrow schema."""

    def run_schema(self, key: str) -> Any:
        """A finished run's pyarrow schema."""

    def write_failure(self, key: str, record: dict[str, Any]) -> None:
        """Store a failed run."""

    def write_table(self, name: str, df: pd.DataFrame) -> None:
        """Store a table."""

    def stream_parquet(self, name: str, schema: Any) -> ParquetStream:
        """A Parquet stream into a file of the folder."""


def consolidate(
    folder: Folder,
    runs: pd.DataFrame,
    labels: pd.DataFrame | None,
    summarise: Callable[[pd.DataFrame], pd.DataFrame],
) -> tuple[int, int]:
    """Write ``timeseries.parquet`` and ``summary.csv`` from the finished run files.

    Streams run by run: memory holds one run's time series (plus the small summary rows),
    however many runs there are.

    Args:
        folder: the results folder (or a `sim.experiment.memory.MemoryFolder`).
        runs: one row per run of the experiment, in table order, with ``point``,
            ``replication``, ``seed`` and ``key``; runs without a file are skipped.
        labels: the points table (``point`` and the label columns), or None for a single
            scenario (then the tables have no point columns).
        summarise: one run's time series -> its summary row(s) (see
            `sim.analysis.stats.summarise_replications`).

    Returns:
        (runs written, rows of the time series).
    """
    import pyarrow as pa

    done = folder.finished_keys()
    runs = runs[runs["key"].isin(done)]
    if runs.empty:
        return 0, 0
    types: dict[str, Any] = {}
    for key in runs["key"].unique():
        for f in folder.run_schema(key):
            types.setdefault(f.name, f.type)
    fields = [pa.field(n, t) for n, t in types.items()]
    by_point = None
    if labels is not None:
        fields = [*pa.Schema.from_pandas(labels, preserve_index=False), *fields]
        by_point = labels.set_index("point", drop=False)
    stream = folder.stream_parquet(TIMESERIES, pa.schema(fields))
    summaries = []
    try:
        for run in runs.itertuples(index=False):
            ts = folder.read_run(run.key)
            # A key shared by two points (equal scenarios) is stored once; label it here.
            ts["replication"] = run.replication
            rows = summarise(ts).to_dict("records")
            if by_point is not None:
                lab = by_point.loc[[run.point]].reset_index(drop=True)
                ts = pd.concat(
                    [lab.loc[lab.index.repeat(len(ts))].reset_index(drop=True), ts], axis=1
                )
                first = lab.to_dict("records")[0]
                rows = [{**first, **r} for r in rows]
            stream.write(ts)
            summaries.extend(rows)
            del ts
        stream.close()
    except BaseException:
        stream.abort()
        raise
    folder.write_table(SUMMARY, pd.DataFrame.from_records(summaries))
    return len(runs), stream.rows


def find_resumable(root: Path, name: str, fingerprint: str) -> Path | None:
    """The newest unfinished folder under ``<root>/<name>/`` of the same experiment, if any.

    Args:
        root: the results root.
        name: the experiment's name (a scenario's, or ``compare``).
        fingerprint: the manifest ``fingerprint`` of the experiment.
    """
    base = Path(root) / name
    if not base.is_dir():
        return None
    for folder in sorted((p for p in base.iterdir() if p.is_dir()), reverse=True):
        try:
            m = read_manifest(folder)
        except (OSError, ValueError):
            continue
        if m.get("status") != COMPLETE and m.get("fingerprint") == fingerprint:
            return folder
    return None


def read_timeseries(folder: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The time series table of a results folder (optionally only some columns)."""
    return pd.read_parquet(Path(folder) / TIMESERIES, columns=columns)


def timeseries_columns(folder: str | Path) -> list[str]:
    """Column names of a results folder's time series, without reading its rows."""
    import pyarrow.parquet as pq

    return list(pq.read_schema(Path(folder) / TIMESERIES).names)


def read_summary(folder: str | Path) -> pd.DataFrame:
    """The per-replication summary table of a results folder."""
    return pd.read_csv(Path(folder) / SUMMARY)


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of a results folder."""
    return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))


def iter_files(folder: str | Path) -> Iterator[Path]:
    """Every visible file of a results folder, recursively (for checks and tests)."""
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts):
            yield p
