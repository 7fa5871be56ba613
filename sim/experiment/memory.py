"""A results folder kept in memory (``out=None`` in `sim.api`): nothing is written to disk.

`MemoryFolder` has the methods of `sim.experiment.storage.ResultsFolder` that running and
consolidating an experiment use, and every table goes through the same Parquet or CSV bytes
as on disk, so the tables read back are exactly the ones a folder would hold.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment import side_tables
from sim.experiment.side_tables import SIDE_TABLES
from sim.experiment.storage import (
    FAILED,
    MANIFEST,
    RUNS,
    SUMMARY,
    TIMESERIES,
    ParquetStream,
)


class _MemoryParquetStream(ParquetStream):
    """A `ParquetStream` into a `MemoryFolder`: the same bytes, kept as a file of the folder."""

    def __init__(self, folder: MemoryFolder, name: str, schema: Any) -> None:
        self._folder, self._name = folder, name
        super().__init__(Path(name), schema)

    def _open(self) -> Any:
        self._sink = io.BytesIO()
        return self._sink

    def _finish(self) -> None:
        self._folder.files[self._name] = self._sink.getvalue()

    def _discard(self) -> None:
        self._sink = io.BytesIO()


class MemoryFolder:
    """A results folder kept in memory: the same files, as bytes, and nothing on disk."""

    path = None

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def write_text(self, name: str, text: str) -> None:
        """Keep a text file."""
        self.files[name] = text.encode("utf-8")

    def write_json(self, name: str, obj: Any) -> None:
        """Keep a JSON file (as `ResultsFolder.write_json` writes it)."""
        self.write_text(name, json.dumps(obj, indent=2, default=str) + "\n")

    def write_table(self, name: str, df: pd.DataFrame) -> None:
        """Keep a table as Parquet or CSV bytes, by the name's extension."""
        if name.endswith(".parquet"):
            buffer = io.BytesIO()
            df.to_parquet(buffer, index=False)
            self.files[name] = buffer.getvalue()
        else:
            self.write_text(name, df.to_csv(index=False))

    def stream_parquet(self, name: str, schema: Any) -> ParquetStream:
        """A `ParquetStream` whose file is kept in this folder."""
        return _MemoryParquetStream(self, name, schema)

    def remove(self, name: str) -> None:
        """Forget a file, if it is there."""
        self.files.pop(name, None)

    def clean_temp(self) -> list[Path]:
        """Nothing to clean: memory holds no temporaries."""
        return []

    def finished_keys(self) -> set[str]:
        """Keys of the runs kept so far (time series and every side table)."""
        keys = self._keys(f"{RUNS}/")
        for table in SIDE_TABLES:
            keys &= self._keys(f"{RUNS}/{table}/")
        return keys

    def _keys(self, prefix: str) -> set[str]:
        names = (n[len(prefix) :] for n in self.files if n.startswith(prefix))
        return {n[: -len(".parquet")] for n in names if "/" not in n}

    def write_run(
        self, key: str, ts: pd.DataFrame, tables: dict[str, pd.DataFrame] | None = None
    ) -> None:
        """Keep one finished run (time series, side tables); drop an earlier failure of it."""
        for table in SIDE_TABLES:
            part = (tables or {}).get(table)
            part = side_tables.empty(table) if part is None else part
            self.write_table(f"{RUNS}/{table}/{key}.parquet", part)
        self.write_table(f"{RUNS}/{key}.parquet", ts)
        self.files.pop(f"{FAILED}/{key}.json", None)

    def read_run(self, key: str, columns: list[str] | None = None) -> pd.DataFrame:
        """The time series of one finished run."""
        return pd.read_parquet(io.BytesIO(self.files[f"{RUNS}/{key}.parquet"]), columns=columns)

    def read_side(self, table: str, key: str, arrow: bool = False) -> Any:
        """A side table of one finished run (a DataFrame, or a pyarrow Table)."""
        data = io.BytesIO(self.files[f"{RUNS}/{table}/{key}.parquet"])
        if arrow:
            import pyarrow.parquet as pq

            return pq.read_table(data)
        return pd.read_parquet(data)

    def side_schema(self, table: str, key: str) -> Any:
        """The pyarrow schema of a finished run's side table."""
        import pyarrow.parquet as pq

        return pq.read_schema(io.BytesIO(self.files[f"{RUNS}/{table}/{key}.parquet"]))

    def read_ties_table(self, step: int | None = None) -> pd.DataFrame:
        """The gathered tie snapshots (``ties.parquet``), optionally of one step only."""
        return self.read_side_table("ties", step)

    def read_side_table(self, table: str, step: int | None = None) -> pd.DataFrame:
        """A gathered side table (``groups.parquet``...), optionally of one step only."""
        filters = None if step is None else [("step", "==", int(step))]
        name = side_tables.file_name(table)
        return pd.read_parquet(io.BytesIO(self.files[name]), filters=filters)

    def run_schema(self, key: str) -> Any:
        """The pyarrow schema of a finished run."""
        import pyarrow.parquet as pq

        return pq.read_schema(io.BytesIO(self.files[f"{RUNS}/{key}.parquet"]))

    def write_failure(self, key: str, record: dict[str, Any]) -> None:
        """Keep a run that raised: its error and parameters."""
        self.write_json(f"{FAILED}/{key}.json", record)

    def failure_records(self) -> list[dict[str, Any]]:
        """Every kept failure of a run that has not finished since."""
        done, prefix = self.finished_keys(), f"{FAILED}/"
        names = sorted(n for n in self.files if n.startswith(prefix))
        return [
            json.loads(self.files[n]) for n in names if n[len(prefix) : -len(".json")] not in done
        ]

    def read_summary(self) -> pd.DataFrame:
        """The per-replication summary table."""
        return pd.read_csv(io.BytesIO(self.files[SUMMARY]))

    def read_timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The time series table (optionally only some columns)."""
        return pd.read_parquet(io.BytesIO(self.files[TIMESERIES]), columns=columns)

    def read_manifest(self) -> dict[str, Any]:
        """The manifest, or {} before one is kept."""
        return json.loads(self.files[MANIFEST]) if MANIFEST in self.files else {}
