"""What a run saves besides its time series: tie snapshots, groups and learners.

Each finished run stores one file per side table, ``runs/<table>/<key>.parquet``, next to
its time series ``runs/<key>.parquet`` (`sim.experiment.storage`); a run counts as finished
once all are there. Consolidation gathers each table over the runs into ``<table>.parquet``
(`consolidate`), labelled like ``timeseries.parquet`` (the sweep point's or scenario's
label columns, then ``replication`` and ``seed``):

- ``ties``: the tie network at the snapshot steps (`sim.experiment.snapshots`);
- ``groups``: the population metrics per group, every step (`sim.metrics.groups`);
- ``learners``: one row per learner at the snapshot steps (`sim.metrics.learners`).

Taking them draws no random number and changes nothing in the run. `learner_ids_table`
gives the folder's ``learner_ids.csv`` (a network file's own node ids of the learners).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics.groups import empty_groups_table
from sim.metrics.learners import empty_learner_table

SIDE_TABLES = ("ties", "groups", "learners")
"""The side tables, in the order they are written; each is ``<name>.parquet`` when gathered
and ``runs/<name>/<key>.parquet`` per run."""


def file_name(table: str) -> str:
    """The gathered file of a side table, e.g. ``groups.parquet``."""
    return f"{table}.parquet"


def empty(table: str) -> pd.DataFrame:
    """A side table without rows (its columns and types), stored when a run takes none."""
    from sim.experiment.snapshots import empty_snapshot

    makers = {"ties": empty_snapshot, "groups": empty_groups_table, "learners": empty_learner_table}
    return makers[table]()


def consolidate(folder: Any, table: str, runs: pd.DataFrame, labels: pd.DataFrame | None) -> int:
    """Write ``<table>.parquet`` from the finished runs' files; the rows written.

    Streams run by run, as `sim.experiment.storage.consolidate` does for the time series:
    the label columns first (as in ``timeseries.parquet``), then ``replication``, ``seed``
    and the run's columns.

    Args:
        folder: a `sim.experiment.storage.ResultsFolder` or a `MemoryFolder`.
        table: one of `SIDE_TABLES`.
        runs: one row per run, in table order (``point``, ``replication``, ``seed``,
            ``key``); runs not finished are skipped (none finished: no file is written, as
            for the time series).
        labels: the points table (``point`` and the label columns), or None.
    """
    import pyarrow as pa

    runs = runs[runs["key"].isin(folder.finished_keys())]
    if runs.empty:
        return 0
    fields = [pa.field("replication", pa.int64()), pa.field("seed", pa.int64())]
    skip = ("replication", "seed")
    fields += [f for f in folder.side_schema(table, runs["key"].iloc[0]) if f.name not in skip]
    by_point = None
    if labels is not None:
        fields = [*pa.Schema.from_pandas(labels, preserve_index=False), *fields]
        by_point = labels.set_index("point", drop=False)
    stream = folder.stream_parquet(file_name(table), pa.schema(fields))
    try:
        for run in runs.itertuples(index=False):
            # Copied as Arrow columns: a per-group table of 10^5 rows took three times as
            # long through pandas.
            part = folder.read_side(table, run.key, arrow=True)
            own = {"replication": run.replication, "seed": run.seed}
            if by_point is not None:
                own |= by_point.loc[run.point].to_dict()
            for name, value in own.items():
                part = part.append_column(name, pa.array(np.repeat(value, part.num_rows)))
            stream.write(part)
            del part
        stream.close()
    except BaseException:
        stream.abort()
        raise
    return stream.rows


def read(folder: str | Path, table: str, step: int | None = None) -> pd.DataFrame:
    """A gathered side table of a results folder, optionally at one step only.

    Raises:
        OSError: if the folder has no readable ``<table>.parquet``.
    """
    filters = None if step is None else [("step", "==", int(step))]
    return pd.read_parquet(Path(folder) / file_name(table), filters=filters)


def learner_ids_table(networks: dict[int, Any]) -> pd.DataFrame | None:
    """The file id of each learner of the network files whose ids were renumbered, or None.

    Columns ``learner``, ``file_id`` (`sim.world.graph_files.FileNetwork.ids`); when several
    points read renumbered files, a first column ``point`` names the first point of each.
    """
    found = {}
    for point, net in sorted(networks.items()):
        if getattr(net, "ids", None) is not None:
            found.setdefault(id(net), (point, net.ids))
    tables = [
        pd.DataFrame({"point": point, "learner": range(len(ids)), "file_id": ids})
        for point, ids in found.values()
    ]
    if not tables:
        return None
    return tables[0].drop(columns="point") if len(tables) == 1 else pd.concat(tables)
