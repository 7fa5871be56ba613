"""A Parquet file written table by table (the consolidated tables of a results folder).

Used by `sim.experiment.storage` for ``timeseries.parquet`` and ``ties.parquet``, and by the
in-memory folder (`sim.experiment.memory`), which keeps the same bytes.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.files import dictionary_columns, move_into_place, tmp_path


class ParquetStream:
    """A Parquet file written table by table, appearing under its name only when closed.

    Tables are gathered into row groups of about `row_group_rows` rows, so memory holds at
    most one row group, and the file's footer (one entry per row group and column) stays
    small, however many tables are written. Every table is conformed to the given column
    order and types (missing columns become null).

    Args:
        path: the final file.
        schema: the pyarrow schema of the file.
        row_group_rows: rows gathered before a row group is written.
    """

    def __init__(self, path: Path, schema: Any, row_group_rows: int = 65_536) -> None:
        import pyarrow.parquet as pq

        self.path = Path(path)
        self.schema = schema
        self.row_group_rows = row_group_rows
        self._writer = pq.ParquetWriter(
            self._open(), schema, use_dictionary=dictionary_columns(schema)
        )
        self._buffer: list[Any] = []
        self._buffered = 0
        self.rows = 0

    def write(self, df: pd.DataFrame | Any) -> None:
        """Append a table's rows (a DataFrame, or a pyarrow Table: no conversion through pandas)."""
        import pyarrow as pa

        arrow = isinstance(df, pa.Table)
        n = df.num_rows if arrow else len(df)
        names = set(df.column_names if arrow else df.columns)
        cols = {}
        for f in self.schema:
            if f.name not in names:
                cols[f.name] = pa.nulls(n, type=f.type)
            elif arrow:
                cols[f.name] = df.column(f.name).cast(f.type)
            else:
                cols[f.name] = pa.array(df[f.name], type=f.type, from_pandas=True)
        self._buffer.append(pa.table(cols, schema=self.schema))
        self._buffered += n
        self.rows += n
        if self._buffered >= self.row_group_rows:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._buffer:
            table = pa.concat_tables(self._buffer)
            self._writer.write_table(table, row_group_size=max(len(table), 1))
        self._buffer, self._buffered = [], 0

    def close(self) -> None:
        """Finish the file and move it into place."""
        self._flush()
        self._writer.close()
        self._finish()

    def abort(self) -> None:
        """Drop everything written so far."""
        self._buffer = []
        with contextlib.suppress(Exception):
            self._writer.close()
        self._discard()

    def _open(self) -> Any:
        """Where the writer writes: a hidden temporary file next to the final one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = tmp_path(self.path)
        return self._tmp

    def _finish(self) -> None:
        move_into_place(self._tmp, self.path)

    def _discard(self) -> None:
        Path(self._tmp).unlink(missing_ok=True)
