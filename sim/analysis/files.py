"""Atomic, durable file writing: every file through a temporary file and a rename.

Shared by the figures (`sim.analysis.plotting`) and the results folder
(`sim.experiment.storage`). The temporaries are hidden (``.<name>.*.tmp``), so a killed
writer leaves nothing a reader would take for a result. Before the rename the temporary is
flushed to disk (fsync), and after it the directory is, so a power loss leaves either the
old file or the whole new one, never a truncated file under the final name.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK  # what open() would give; mkstemp alone gives 0600


def tmp_path(path: Path) -> str:
    """A new hidden temporary file next to `path` (the caller renames or removes it)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return tmp


def fsync_path(path: str | Path) -> None:
    """Flush a file, or a directory's entries, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        # Some file systems cannot fsync a directory (EINVAL); the rename still happened.
        if not os.path.isdir(path):
            raise
    finally:
        os.close(fd)


def move_into_place(tmp: str | Path, path: Path, *, synced: bool = False) -> None:
    """Rename a finished temporary to `path`, durably.

    The temporary is fsynced first (unless `synced`: the writer already did), so that the
    final name never shows a file whose bytes are not on disk; it is given the usual file
    mode and renamed over `path`; then the directory is fsynced, so the rename itself
    survives a power loss.
    """
    if not synced:
        fsync_path(tmp)
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)
    fsync_path(Path(path).parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to `path` through a temporary file and a rename (never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        move_into_place(tmp, path, synced=True)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(path: Path, df: pd.DataFrame, metadata: dict[str, str] | None = None) -> None:
    """Write a table atomically as Parquet or CSV, by the file's extension.

    Args:
        path: the final file.
        df: the table (its index is not written).
        metadata: Parquet only: key-value pairs stored in the file's footer, with the row
            count as ``sim.rows``, so that `parquet_problem` can check the file. Parquet
            pages are always written with CRC checksums, checked by readers that ask for
            ``page_checksum_verification``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(path)
    try:
        if path.suffix == ".parquet":
            df.to_parquet(tmp, index=False, **_parquet_options(df, metadata))
        else:
            df.to_csv(tmp, index=False)
        move_into_place(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


ROWS_META = "sim.rows"
"""Footer metadata of a Parquet file written with metadata: its number of rows."""


def _parquet_options(df: pd.DataFrame, metadata: dict[str, str] | None) -> dict[str, Any]:
    """`DataFrame.to_parquet` options: page checksums, and a schema carrying `metadata`."""
    import pyarrow as pa

    options: dict[str, Any] = {"write_page_checksum": True}
    options["use_dictionary"] = dictionary_columns(pa.Schema.from_pandas(df, preserve_index=False))
    if metadata is not None:
        schema = pa.Schema.from_pandas(df, preserve_index=False)
        extra = {**metadata, ROWS_META: str(len(df))}
        raw = {k.encode("utf-8"): str(v).encode("utf-8") for k, v in extra.items()}
        options["schema"] = schema.with_metadata({**(schema.metadata or {}), **raw})
    return options


def dictionary_columns(schema: Any) -> list[str]:
    """The columns worth dictionary-encoding in Parquet: all but the floating-point ones.

    Measured values rarely repeat, so a dictionary for them is built and thrown away; for
    a per-group table it took half the writing time.
    """
    import pyarrow as pa

    return [f.name for f in schema if not pa.types.is_floating(f.type)]


def parquet_problem(path: Path, expected: dict[str, str]) -> str | None:
    """What is wrong with a Parquet file, judged from its footer alone, or None if nothing.

    The footer must be readable; each key of `expected` that the file's metadata has must
    have that value, and ``sim.rows``, if there, must be the file's row count. A file
    written without metadata (by an earlier version) passes if its footer is readable.
    """
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
    except (OSError, ValueError) as exc:
        return unreadable(exc)
    kv = {k.decode("utf-8", "replace"): v for k, v in (meta.metadata or {}).items()}
    for key, value in expected.items():
        if key in kv and kv[key] != value.encode("utf-8"):
            return f"its {key} is {kv[key].decode('utf-8', 'replace')}, not {value}"
    rows = kv.get(ROWS_META)
    if rows is not None and rows != str(meta.num_rows).encode("utf-8"):
        return f"{meta.num_rows} rows where its {ROWS_META} says {rows.decode('utf-8', 'replace')}"
    return None


def unreadable(exc: Exception) -> str:
    """A reader's error as one line, e.g. ``unreadable: Parquet magic bytes not found...``."""
    return "unreadable: " + " ".join(str(exc).split())
