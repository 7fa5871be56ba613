"""The library API's sensitivity analysis of a finished sweep (re-exported by `sim.api`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment import orchestrate
from sim.experiment.orchestrate import Options
from sim.experiment.spec import Spec
from sim.experiment.storage import ResultsFolder
from sim.scenario import Scenario, ScenarioError


def design_sensitivity(
    spec: Spec, folder: Any, report: orchestrate.Report, options: Options
) -> pd.DataFrame | None:
    """The indices of a finished ``sobol_indices`` / ``morris`` sweep (None otherwise)."""
    from sim.scenario.designs import DESIGN_METHODS

    sweep = spec.sweep
    if sweep is None or sweep.method not in DESIGN_METHODS or report.summary.empty:
        return None
    points = pd.DataFrame([{"point": p.index, **p.values} for p in spec.points])
    return _sensitivity(
        folder, sweep, spec.seed, points, report.summary, None, 50, 0, options.figures
    )


def sensitivity_analysis(
    folder: str | Path,
    outcomes: Sequence[str] | None = None,
    *,
    n_boot: int = 50,
    seed: int = 0,
    figures: bool = True,
) -> pd.DataFrame:
    """Sensitivity indices of a finished sweep's outcomes, from its saved tables (no rerun).

    The estimator follows the sweep's design: ``sobol_indices`` gives Sobol' first-order
    and total indices (``S1``, ``ST``; ``S2`` with ``second_order``), ``morris`` the
    elementary effects ``mu_star`` and ``sigma``, and any other design (grid, lhs, sobol)
    the PAWN index and an RBD-FAST first-order index. Each on the mean over replications per
    point, with intervals that include replication noise, plus each outcome's
    ``noise_share`` (see `sim.analysis.sensitivity`). Writes ``sensitivity.csv`` and
    ``figures/sensitivity_<outcome>.png`` into the folder. A ``sobol_indices`` or
    ``morris`` sweep does this by itself when it finishes.

    Args:
        folder: a sweep's results folder.
        outcomes: summary columns (default: the sweep outcomes without the censored times,
            whose unreached runs would drop out and bias the indices).
        n_boot: bootstrap resamples of the replications.
        seed: seed of the resamples.
        figures: draw the figures.

    Raises:
        ScenarioError: if the folder is not a finished sweep, or a swept field is not numeric.
    """
    from sim.experiment import storage
    from sim.scenario.loading import read_yaml
    from sim.scenario.sweep import parse_sweep

    path = Path(folder)
    manifest = ResultsFolder(path).read_manifest()
    if manifest.get("kind") != "sweep" or not (path / storage.SUMMARY).is_file():
        raise ScenarioError([f"{path}: not a finished sweep (no sweep manifest and summary.csv)"])
    source = path / storage.SCENARIO
    data = read_yaml(source) or {}
    sweep = parse_sweep(data.get("sweep"), str(source))
    root_seed = int(data.get("seed", Scenario.model_fields["seed"].default))
    summary = storage.read_summary(path)
    points = pd.read_csv(path / storage.POINTS)
    return _sensitivity(
        ResultsFolder(path), sweep, root_seed, points, summary, outcomes, n_boot, seed, figures
    )


def _sensitivity(
    folder: Any,
    sweep: Any,
    root_seed: int,
    points: pd.DataFrame,
    summary: pd.DataFrame,
    outcomes: Sequence[str] | None,
    n_boot: int,
    seed: int,
    figures: bool,
) -> pd.DataFrame:
    """Indices of a sweep's tables, written into its folder (with figures, on disk)."""
    from sim.analysis import sensitivity as sa
    from sim.analysis.comparisons import EXPERIMENT_COLUMNS
    from sim.analysis.survival import is_time_column
    from sim.experiment import storage

    wanted = outcomes or [c for c in EXPERIMENT_COLUMNS if not is_time_column(c)]
    wanted = [c for c in wanted if c in summary.columns]
    try:
        table = sa.analyse_sweep(
            sweep, root_seed, points, summary, wanted, seed=seed, n_boot=n_boot
        )
    except ValueError as exc:
        where = getattr(folder, "path", "<memory>")
        raise ScenarioError([f"{where}: sweep: {exc}"]) from None
    folder.write_table(sa.SENSITIVITY_FILE, table)
    if figures and isinstance(folder, ResultsFolder):
        method = sa.analysis_method(sweep)
        for outcome in dict.fromkeys(table["outcome"]):
            target = folder.path / storage.FIGURES / f"sensitivity_{outcome}.png"
            target.parent.mkdir(exist_ok=True)
            sa.plot_sensitivity(table, outcome, method, target)
    return table
