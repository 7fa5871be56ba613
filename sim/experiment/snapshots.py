"""Tie snapshots: the tie network of a run at chosen steps, as a table, stored and gathered.

A run takes a snapshot of its tie table (`sim.world.ties.TieTable`) every
`metrics.snapshot_every` steps and at its last step (`snapshot_steps`), without drawing a
random number or changing the model. The snapshots travel with the run's outcome to the
process that owns the results folder, which stores them next to the run's time series
(``runs/ties/<key>.parquet``, `sim.experiment.storage`) and gathers them into ``ties.parquet``
(`sim.experiment.side_tables.consolidate`), labelled like ``timeseries.parquet``. One row
per tie and snapshot:

| column | meaning |
|---|---|
| `step` | the step after which the snapshot was taken |
| `u`, `v` | the learners at its ends, `u < v` |
| `strength` | in (0, 1] |
| `kind` | `weak` or `strong` (`ties.strong_threshold`; Granovetter 1973) |
| `origin` | how it formed: `initial`, `triadic`, `community`, `chance`, `help` (`TieOrigin`) |
| `formed_step` | the step it formed (0 for the starting network) |
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.world.ties import TieKind, TieOrigin, TieTable

TIES = "ties.parquet"
"""The gathered tie snapshots of a results folder."""

TIES_RUNS = "ties"
"""Subfolder of ``runs/`` holding each finished run's snapshots, ``<key>.parquet``."""

KIND_NAMES = [k.name.lower() for k in TieKind]
"""Categories of the `kind` column, in `TieKind` code order."""

ORIGIN_NAMES = [o.name.lower() for o in TieOrigin]
"""Categories of the `origin` column, in `TieOrigin` code order."""

SNAPSHOT_COLUMNS = ["step", "u", "v", "strength", "kind", "origin", "formed_step"]
"""The columns of a snapshot, as a run takes it (the folder adds labels, replication, seed)."""


def snapshot_steps(steps: int, every: int) -> list[int]:
    """The steps after which a run of `steps` steps takes a snapshot.

    Args:
        steps: the run's steps (its last step).
        every: `metrics.snapshot_every`: 0 = the last step only; k = steps k, 2k, ... and
            the last step.
    """
    out = set(range(every, steps + 1, every)) if every > 0 else set()
    out.add(steps)
    return sorted(out)


def tie_snapshot(ties: TieTable, step: int, strong_threshold: float) -> pd.DataFrame:
    """The tie table as it is now, one row per tie (copies: the table is not touched).

    Args:
        ties: the model's tie table.
        step: the model's current step (recorded in the `step` column).
        strong_threshold: strength from which a tie is strong (`ties.strong_threshold`).
    """
    n = len(ties)
    u, v = ties.ends()  # new arrays, read from the index
    return pd.DataFrame(
        {
            "step": np.full(n, step, dtype=np.int64),
            "u": u,
            "v": v,
            "strength": ties.strength.copy(),
            "kind": pd.Categorical.from_codes(ties.kind(strong_threshold), KIND_NAMES),
            "origin": pd.Categorical.from_codes(ties.origin.astype(np.int8), ORIGIN_NAMES),
            "formed_step": ties.formed.astype(np.int32),  # int32 whatever the table keeps
        }
    )


def origin_codes(origin: pd.Series) -> np.ndarray:
    """The `TieOrigin` code of each name of an `origin` column (as the model stores them)."""
    return pd.Categorical(origin, categories=ORIGIN_NAMES).codes.astype(np.int8)


def empty_snapshot() -> pd.DataFrame:
    """A snapshot table without rows (the columns and types of `tie_snapshot`)."""
    empty = TieTable.from_edges(2, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return tie_snapshot(empty, 0, 1.0)


def read_ties(folder: str | Path, *, step: int | None = None, final: bool = False) -> pd.DataFrame:
    """The tie snapshots of a results folder (``ties.parquet``).

    Args:
        folder: a results folder.
        step: only the snapshots taken after this step.
        final: only each run's last snapshot (`final_snapshots`).

    Raises:
        OSError: if the folder has no readable ``ties.parquet``.
    """
    filters = None if step is None else [("step", "==", int(step))]
    table = pd.read_parquet(Path(folder) / TIES, filters=filters)
    return final_snapshots(table) if final else table


def run_columns(table: pd.DataFrame) -> list[str]:
    """The columns that name one run in a snapshot table: labels and ``replication``."""
    out = [c for c in ("point", "scenario") if c in table.columns]
    return [*out, "replication"]


def final_snapshots(table: pd.DataFrame) -> pd.DataFrame:
    """Each run's last snapshot (the rows at the largest `step` of each run)."""
    if table.empty:
        return table
    last = table.groupby(run_columns(table), sort=False, observed=True)["step"].transform("max")
    return table[table["step"] == last].reset_index(drop=True)
