"""Library calls on a results folder's saved tie networks: GraphML export and tie removal.

Both read ``ties.parquet`` (the tie snapshots a run saves: its last step, and every
`metrics.snapshot_every` steps) and rerun nothing. The command line's ``export`` and
``removal`` subcommands call them; `sim.api` re-exports them::

    from sim import removal_analysis
    res = removal_analysis("results/weak_ties/20261128T115711Z")
    res.collapse[["order", "mean", "ci_lo", "ci_hi"]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.analysis import compare_plots, export, removal
from sim.analysis.structure import ALL_ORDERS
from sim.experiment import snapshots, storage
from sim.experiment.storage import ResultsFolder
from sim.scenario import ScenarioError
from sim.scenario.loading import read_yaml
from sim.scenario.schema import PopulationConfig

EXPORT_DIR = "export"
"""Subfolder of a results folder holding the GraphML files."""

REMOVAL_FILE = "removal.csv"
"""The removal curves of every run and order."""

COLLAPSE_FILE = "removal_collapse.csv"
"""The collapse fraction per order, over replications."""

REMOVAL_FIGURE = "removal.png"
"""The removal figure, in ``figures/``."""


@dataclass
class Removal:
    """What `removal_analysis` gives back.

    Attributes:
        curves: every run's removal curve for each order (``removal.csv``).
        collapse: the collapse fraction per order, mean and 95 % t interval over
            replications (``removal_collapse.csv``).
        files: the files written.
    """

    curves: pd.DataFrame
    collapse: pd.DataFrame
    files: list[Path]


def learners_per_point(folder: str | Path) -> dict[int, int]:
    """Learners of each point's runs, from the folder's saved scenarios (``point`` -> n).

    A single scenario is point 0; a sweep that varies ``population.n_agents`` has it in
    ``points.csv``; a comparison has a scenario file per point.

    Raises:
        ScenarioError: if the folder's scenario files cannot be read.
    """
    path = Path(folder)
    default = PopulationConfig.model_fields["n_agents"].default

    def size(file: Path) -> int:
        data = read_yaml(file) or {}
        return int((data.get("population") or {}).get("n_agents", default))

    points = path / storage.POINTS
    if (path / storage.SCENARIOS).is_dir():
        table = pd.read_csv(points)
        return {
            int(p): size(path / storage.SCENARIOS / f"{name}.yaml")
            for p, name in zip(table["point"], table["scenario"], strict=True)
        }
    base = size(path / storage.SCENARIO)
    if not points.is_file():
        return {0: base}
    table = pd.read_csv(points)
    swept = "population.n_agents"
    if swept not in table.columns:
        return {int(p): base for p in table["point"]}
    return {int(p): int(n) for p, n in zip(table["point"], table[swept], strict=True)}


def _read_ties(path: Path, step: int | None) -> pd.DataFrame:
    """The saved snapshots of `step`, or of each run's last step; refused if there are none."""
    if not (path / storage.MANIFEST).is_file():
        raise ScenarioError([f"{path}: not a results folder (no manifest.json)"])
    if not (path / snapshots.TIES).is_file():
        raise ScenarioError(
            [f"{path}: no {snapshots.TIES} (a results folder written before tie snapshots?)"]
        )
    table = snapshots.read_ties(path, step=step, final=step is None)
    if table.empty and step is not None:
        steps = sorted(set(snapshots.read_ties(path)["step"].tolist()))
        raise ScenarioError([f"{path}: no tie snapshot at step {step} (saved steps: {steps})"])
    return table


def export_graphml(folder: str | Path, step: int | None = None) -> list[Path]:
    """Write one GraphML file per run (and point) of a results folder's saved tie networks.

    Files go to ``<folder>/export/``, named ``[<scenario>_|point<p>_]replication<r>_step<s>
    .graphml``. Nodes are the learners 0..n-1 with ``degree`` and ``strength_sum`` (and
    ``file_id`` when the network came from a file with other ids, ``learner_ids.csv``);
    edges carry ``strength``, ``kind``, ``origin`` and ``formed_step``.

    Args:
        folder: a results folder with ``ties.parquet``.
        step: the snapshot step to export (default: each run's last).

    Raises:
        ScenarioError: if the folder has no snapshots (at that step).
    """
    path = Path(folder)
    ties = _read_ties(path, step)
    sizes = learners_per_point(path)
    nodes = _node_attributes(path)
    out = ResultsFolder(path)
    by = snapshots.run_columns(ties)
    written = []
    for key, run in ties.groupby(by, sort=True, observed=True):
        labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        at = int(run["step"].iloc[0])
        prefix = f"{labels['scenario']}_" if "scenario" in labels else ""
        if not prefix and "point" in labels:
            prefix = f"point{labels['point']}_"
        name = f"{EXPORT_DIR}/{prefix}replication{labels['replication']}_step{at}.graphml"
        graph = export.tie_graph(run, sizes[int(labels.get("point", 0))], nodes)
        out.write_text(name, export.graphml_text(graph))
        written.append(out.file(name))
    return written


def _node_attributes(path: Path) -> pd.DataFrame | None:
    """Learner attributes saved in the folder: ``file_id`` of one renumbered network file."""
    ids = path / storage.LEARNER_IDS
    if not ids.is_file():
        return None
    table = pd.read_csv(ids)
    if "point" in table.columns:  # several files: which point read which is not saved
        return None
    return table.set_index("learner")[["file_id"]]


def removal_analysis(
    folder: str | Path, orders: Sequence[str] = ALL_ORDERS, figures: bool = True
) -> Removal:
    """Tie removal on each run's final tie network (no rerun): curves and collapse points.

    For every run and order (weakest- and strongest-first by strength, lowest- and
    highest-overlap-first by Onnela's overlap), `sim.analysis.structure.removal_curve` on the
    saved network, equal values in an order seeded by the run's seed. Writes
    ``removal.csv`` (the curves), ``removal_collapse.csv`` (the share of ties removed at the
    susceptibility peak per order: mean, sd, 95 % t interval, min, max over replications)
    and ``figures/removal.png`` (largest component and susceptibility against the share
    removed, per order). A run whose final network has no tie has no rows in
    ``ties.parquet``, and so no curve.

    Args:
        folder: a results folder with ``ties.parquet``.
        orders: removal orders (`sim.analysis.structure.ALL_ORDERS`).
        figures: draw ``figures/removal.png``.

    Raises:
        ScenarioError: if the folder has no snapshots, or an order is unknown.
    """
    path = Path(folder)
    try:
        orders = removal.check_orders(orders)
    except ValueError as exc:
        raise ScenarioError([f"removal: {exc}"]) from None
    ties = _read_ties(path, None)
    sizes = learners_per_point(path)
    n_agents = sizes if "point" in ties.columns else sizes[0]
    curves = removal.removal_curves(ties, n_agents, orders)
    collapse = removal.collapse_table(curves)
    out = ResultsFolder(path)
    out.write_table(REMOVAL_FILE, curves)
    out.write_table(COLLAPSE_FILE, collapse)
    files = [out.file(REMOVAL_FILE), out.file(COLLAPSE_FILE)]
    if figures and not curves.empty:
        drawn = curves
        if "scenario" not in drawn.columns and "point" in drawn.columns:
            drawn = drawn.assign(scenario="point " + drawn["point"].astype(str))
        target = out.file(f"{storage.FIGURES}/{REMOVAL_FIGURE}")
        target.parent.mkdir(exist_ok=True)
        columns = ("share_largest_component", "susceptibility")
        title = "Final tie network: ties removed by strength and by overlap"
        files.append(compare_plots.plot_removal(drawn, target, title=title, columns=columns))
    return Removal(curves, collapse, files)
