"""Global sensitivity analysis of a sweep: which parameters drive an outcome, and how much is noise.

Designs and estimators are SALib's (Herman & Usher 2017; Iwanaga et al. 2022); this module
only feeds them and adds what a stochastic model needs:

- **Replications inside the analysis.** Each design point ran R replications on common
  random numbers; the indices are computed on the mean over replications per point. Their
  interval combines two independent errors: the design's sampling error (SALib's bootstrap
  interval, half-width ``design_half``) and the replication noise of the point means
  (``noise_half``: the indices recomputed on `n_boot` bootstrap resamples of the
  replications, z times their standard deviation; replication r ran on the same seed at
  every point, so the replications are resampled jointly across points, keeping the
  pairing of common random numbers, unless points have different replications). The two
  add in variance: ``half = sqrt(design_half**2 + noise_half**2)``, and ``ci_lo``/``ci_hi``
  are the value -/+ half.
- **How much of an outcome is noise.** ``noise_share`` is the share of the outcome's
  variance across runs that lies between replications of a point rather than between points
  (one-way random-effects decomposition: within = mean over points of the replications'
  variance, between = variance of the point means - within / R). Near 1, no parameter can
  stand out of the noise at this number of replications.

Methods (the sweep's ``method``): ``sobol_indices`` (Saltelli's design: first-order ``S1``,
total ``ST`` and optionally second-order ``S2`` indices; Saltelli 2002, Saltelli et al.
2010), ``morris`` (elementary effects: ``mu_star``, ``sigma``, in outcome units per
whole range of the factor, its whole log range on a log scale; Morris 1991, Campolongo et al.
2007), and ``pawn`` for any other design (LHS, grid, Sobol' sample): the PAWN index, the
median over conditioning intervals of the Kolmogorov-Smirnov distance between the outcome's
conditional and unconditional distributions (moment-independent; Pianosi & Wagener 2015,
2018), and a first-order ``S1`` from RBD-FAST (Tarantola et al. 2006, Plischke 2010); neither
needs a special design. Both use n // 20 slices / harmonics (2 to 10) for n points: with few
points the intervals are wide, as they should be.

Tables in, tables out: no model is run here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.scenario.designs import DESIGN_METHODS as _DESIGNS
from sim.scenario.designs import Method, Range, unit_design

__all__ = [
    "DESIGN_METHODS",
    "SENSITIVITY_COLUMNS",
    "Factor",
    "analyse",
    "analyse_sweep",
    "analysis_method",
    "design",
    "noise_share",
    "sweep_factors",
]

DESIGN_METHODS = tuple(m.value for m in _DESIGNS)
"""Methods that need their own design; every other design is analysed with ``pawn``."""

SENSITIVITY_FILE = "sensitivity.csv"
"""The table `analyse` gives, in a sweep's results folder."""

SENSITIVITY_COLUMNS = [
    "outcome",
    "parameter",
    "index",
    "value",
    "ci_lo",
    "ci_hi",
    "design_half",
    "noise_half",
]
"""Columns of ``sensitivity.csv``: one row per (outcome, parameter, index)."""


@dataclass(frozen=True)
class Factor:
    """A swept parameter: its dotted name, range and scale (log: sampled uniform in log10)."""

    name: str
    lo: float
    hi: float
    log: bool = False


def _problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem: names and bounds (in log10 for log-scaled factors)."""
    bounds = [
        [np.log10(f.lo), np.log10(f.hi)] if f.log else [float(f.lo), float(f.hi)] for f in factors
    ]
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": bounds}


def _to_natural(x: np.ndarray, factors: Sequence[Factor]) -> np.ndarray:
    out = np.array(x, dtype=float, copy=True)
    for j, f in enumerate(factors):
        if f.log:
            out[:, j] = 10.0 ** out[:, j]
    return out


def _to_unit_space(x: np.ndarray, factors: Sequence[Factor]) -> np.ndarray:
    out = np.array(x, dtype=float, copy=True)
    for j, f in enumerate(factors):
        if f.log:
            out[:, j] = np.log10(out[:, j])
    return out


def design(
    factors: Sequence[Factor],
    method: str,
    samples: int,
    seed: int,
    *,
    second_order: bool = False,
    levels: int = 4,
) -> np.ndarray:
    """The design points of a sensitivity method, in the factors' natural units.

    The unit-cube design of a sweep (`sim.scenario.designs.unit_design`) mapped onto each
    factor's range (log-scaled factors: uniform in log10).

    Args:
        factors: the swept parameters.
        method: ``sobol_indices`` (Saltelli's design: ``samples`` * (d + 2) points, or
            * (2d + 2) with second order; `samples` a power of 2) or ``morris``
            (``samples`` trajectories of d + 1 points on a `levels` grid).
        samples: base sample size (Sobol') or number of trajectories (Morris).
        seed: seed of the design.
        second_order: Sobol' design for second-order indices too.
        levels: Morris grid levels (even).

    Returns:
        One row per point, one column per factor, in design order (the analysis relies on it).
    """
    if method not in DESIGN_METHODS:
        raise ValueError(f"method {method!r}: no design of its own (one of {DESIGN_METHODS})")
    unit = unit_design(
        Method(method), len(factors), samples, seed, second_order=second_order, levels=levels
    )
    bounds = np.array(_problem(factors)["bounds"])
    return _to_natural(bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0]), factors)


def noise_share(summary: pd.DataFrame, outcome: str, by: str = "point") -> float:
    """Share of an outcome's variance lying between replications of a point (see the module).

    NaN with fewer than 2 replications at every point.
    """
    groups = summary.groupby(by)[outcome]
    r = groups.count()
    within = float(groups.var(ddof=1).mean())
    if not np.isfinite(within):
        return float("nan")
    between = max(float(groups.mean().var(ddof=1)) - within / float(r.mean()), 0.0)
    total = within + between
    return within / total if total > 0 else float("nan")


def _indices(
    method: str,
    problem: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    resamples: int,
    seed: int,
    confidence: float,
    second_order: bool,
    levels: int,
) -> dict[tuple[str, str], tuple[float, float]]:
    """(parameter, index) -> (value, design half-width) from SALib."""
    names = problem["names"]
    out: dict[tuple[str, str], tuple[float, float]] = {}
    if method == "sobol_indices":
        from SALib.analyze import sobol

        res = sobol.analyze(
            problem,
            y,
            calc_second_order=second_order,
            num_resamples=resamples,
            conf_level=confidence,
            # SALib's sobol ignores a seed of 0 (``if seed:``) and then resamples from
            # numpy's global generator: the intervals would change from call to call.
            seed=seed + 1,
        )
        for i, name in enumerate(names):
            out[(name, "S1")] = (res["S1"][i], res["S1_conf"][i])
            out[(name, "ST")] = (res["ST"][i], res["ST_conf"][i])
        if second_order:
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    pair = f"{names[i]} x {names[j]}"
                    out[(pair, "S2")] = (res["S2"][i, j], res["S2_conf"][i, j])
    elif method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(
            problem,
            x,
            y,
            num_resamples=resamples,
            conf_level=confidence,
            num_levels=levels,
            seed=seed,
        )
        for i, name in enumerate(names):
            out[(name, "mu_star")] = (res["mu_star"][i], res["mu_star_conf"][i])
            out[(name, "sigma")] = (res["sigma"][i], float("nan"))
    else:
        from SALib.analyze import pawn, rbd_fast

        # Few points cannot carry 10 harmonics or 10 conditioning slices (the estimates
        # degenerate, e.g. a zero-width interval): scale both with the number of points.
        m = int(np.clip(len(y) // 20, 2, 10))
        res = rbd_fast.analyze(
            problem, x, y, M=m, num_resamples=resamples, conf_level=confidence, seed=seed
        )
        # PAWN draws nothing; a seed would only reseed numpy's global generator.
        median = pawn.analyze(problem, x, y, S=m)["median"]
        # PAWN gives no interval: bootstrap the design's rows for its sampling error.
        rng = np.random.default_rng(seed)
        boot = []
        for _ in range(resamples if resamples > 2 else 0):
            rows = rng.integers(0, len(y), len(y))
            boot.append(pawn.analyze(problem, x[rows], y[rows], S=m)["median"])
        z = float(stats.norm.ppf(0.5 + confidence / 2))
        half = z * np.std(boot, axis=0, ddof=1) if boot else np.full(len(names), np.nan)
        for i, name in enumerate(names):
            out[(name, "pawn")] = (median[i], half[i])
            out[(name, "S1")] = (res["S1"][i], res["S1_conf"][i])
    return {k: (float(v), float(c)) for k, (v, c) in out.items()}


# long: one loop over outcomes that gathers the point means, the bootstrap and the rows
def analyse(
    points: pd.DataFrame,
    summary: pd.DataFrame,
    factors: Sequence[Factor],
    method: str,
    outcomes: Sequence[str],
    *,
    seed: int = 0,
    n_boot: int = 50,
    resamples: int = 100,
    confidence: float = 0.95,
    second_order: bool = False,
    levels: int = 4,
) -> pd.DataFrame:
    """Sensitivity indices of each outcome to each factor, with intervals (see the module).

    Args:
        points: one row per design point, ``point`` and one column per factor, in design
            order (for ``sobol_indices`` and ``morris``, the order `design` gave).
        summary: one row per run with ``point``, ``replication`` and the outcomes.
        factors: the swept parameters (their columns in `points`).
        method: ``sobol_indices``, ``morris`` or ``pawn`` (any design).
        outcomes: summary columns to analyse; an outcome missing at some point is skipped
            (its indices would mix designs), and so is one whose mean is the same at every
            point (no variance to attribute).
        seed: seed of the bootstrap resamples.
        n_boot: bootstrap resamples of the replications (0: no noise part).
        resamples: SALib's bootstrap resamples of the design.
        confidence: coverage of the intervals.
        second_order: ``sobol_indices`` with second-order indices (the design must have them).
        levels: the Morris design's grid levels.

    Returns:
        `SENSITIVITY_COLUMNS`, plus, per outcome, a row with parameter ``""`` and index
        ``noise_share`` (value only).
    """
    points = points.sort_values("point", kind="stable").reset_index(drop=True)
    x = _to_unit_space(points[[f.name for f in factors]].to_numpy(dtype=float), factors)
    problem = _problem(factors)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    rng = np.random.default_rng(seed)
    rows = []
    for outcome in outcomes:
        runs = summary[["point", "replication", outcome]].dropna()
        runs = runs.sort_values(["point", "replication"], kind="stable")
        by_point = {p: g[outcome].to_numpy(dtype=float) for p, g in runs.groupby("point")}
        if set(by_point) != set(points["point"]):
            continue
        values = [by_point[p] for p in points["point"]]
        y = np.array([v.mean() for v in values])
        if np.ptp(y) == 0.0:  # the same at every point: no variance to attribute
            continue
        # Replication r ran on the same seed at every point (common random numbers): when
        # every point has the same replications, they are resampled jointly, keeping the
        # pairing; otherwise each point's own.
        reps = {len(v) for v in values}
        paired = len(reps) == 1 and runs.groupby("point")["replication"].apply(tuple).nunique() == 1
        options = dict(seed=seed, confidence=confidence, second_order=second_order, levels=levels)
        full = _indices(method, problem, x, y, resamples=resamples, **options)
        boot: dict[tuple[str, str], list[float]] = {k: [] for k in full}
        replicated = max(len(v) for v in values) > 1
        square = np.vstack(values) if len(reps) == 1 else None  # points x replications
        for _ in range(n_boot if replicated else 0):
            # Each point's replications resampled with replacement: the noise of the means.
            if paired:
                pick = rng.integers(0, square.shape[1], square.shape[1])
                yb = square[:, pick].mean(axis=1)
            elif square is not None:
                picks = rng.integers(0, square.shape[1], square.shape)
                yb = np.take_along_axis(square, picks, axis=1).mean(axis=1)
            else:
                yb = np.array([v[rng.integers(0, len(v), len(v))].mean() for v in values])
            for k, (val, _) in _indices(method, problem, x, yb, resamples=2, **options).items():
                boot[k].append(val)
        for (parameter, index), (value, design_half) in full.items():
            b = boot[(parameter, index)]
            noise_half = z * float(np.std(b, ddof=1)) if len(b) > 1 else 0.0
            half = float(np.hypot(np.nan_to_num(design_half), noise_half))
            row = [outcome, parameter, index, value, value - half, value + half]
            rows.append([*row, design_half, noise_half])
        share = noise_share(runs, outcome)
        rows.append([outcome, "", "noise_share", share, np.nan, np.nan, np.nan, np.nan])
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def sweep_factors(sweep: Any) -> list[Factor]:
    """The factors of a sweep (`sim.scenario.sweep.Sweep`): its ranges, and numeric grids.

    A switch sampled as {min: 0, max: 1} is a factor on [0, 1] (its points hold 0 or 1).

    Raises:
        ValueError: naming every swept field that is not numeric (no index for it).
    """
    factors, problems = [], []
    for name, spec in sweep.parameters.items():
        if isinstance(spec, Range):
            factors.append(Factor(name, spec.min, spec.max, log=spec.scale == "log"))
        elif all(isinstance(v, int | float) for v in spec) and len(set(spec)) > 1:
            factors.append(Factor(name, float(min(spec)), float(max(spec))))
        else:
            problems.append(name)
    if problems:
        raise ValueError(f"not numeric, no sensitivity index: {', '.join(problems)}")
    return factors


def analysis_method(sweep: Any) -> str:
    """The estimator a sweep's design calls for: its own, or ``pawn`` for any other."""
    return sweep.method.value if sweep.method.value in DESIGN_METHODS else "pawn"


def analyse_sweep(
    sweep: Any,
    root_seed: int,
    points: pd.DataFrame,
    summary: pd.DataFrame,
    outcomes: Sequence[str],
    *,
    seed: int = 0,
    n_boot: int = 50,
) -> pd.DataFrame:
    """`analyse` a finished sweep with the estimator its design calls for.

    A ``sobol_indices`` or ``morris`` sweep is analysed on its design in the unit cube,
    regenerated from the sweep block and the seed (`sim.scenario.designs.unit_design`), so
    that whole-number and switch fields, whose values are rounded, keep the design's
    geometry; any other design with ``pawn`` on the values in ``points``.

    Args:
        sweep: the parsed sweep block.
        root_seed: the scenario's seed (the design's seed unless the block sets one).
        points: ``points.csv`` of the sweep (``point`` and one column per swept field).
        summary: ``summary.csv`` of the sweep.
        outcomes: summary columns to analyse.
        seed: seed of the bootstrap resamples.
        n_boot: bootstrap resamples of the replications.

    Raises:
        ValueError: if a field is not numeric, or the points are not the sweep's design.
    """
    method = analysis_method(sweep)
    if method == "pawn":
        factors = sweep_factors(sweep)
        table = points[["point", *[f.name for f in factors]]]
    else:
        names = list(sweep.parameters)
        unit = unit_design(
            sweep.method,
            len(names),
            sweep.samples,
            root_seed if sweep.seed is None else sweep.seed,
            second_order=sweep.second_order,
            levels=sweep.levels,
        )
        if len(unit) != len(points) or set(points["point"]) != set(range(len(unit))):
            raise ValueError(
                f"the folder holds {len(points)} points, the {method} design {len(unit)}"
            )
        factors = [Factor(name, 0.0, 1.0) for name in names]
        table = pd.DataFrame(unit, columns=names)
        table.insert(0, "point", np.arange(len(unit)))
    options = dict(second_order=sweep.second_order, levels=sweep.levels)
    return analyse(table, summary, factors, method, outcomes, seed=seed, n_boot=n_boot, **options)


# ---------------------------------------------------------------------------------------------
# Figures

ORDER_INDEX = {"sobol_indices": "ST", "morris": "mu_star", "pawn": "pawn"}
"""The index that sorts the parameters of a method's figure (their total effect)."""


def plot_sensitivity(table: pd.DataFrame, outcome: str, method: str, path: Any) -> Any:
    """Bars of each index per parameter with its interval, parameters by total effect.

    Args:
        table: `analyse`'s table.
        outcome: the outcome to draw.
        method: the method that made the table (it says which index sorts the bars).
        path: the PNG file to write.

    Returns:
        The path written, or None if the table has no index of that outcome.
    """
    import matplotlib.pyplot as plt

    from sim.analysis.plotting import label_for, save_figure

    part = table[(table["outcome"] == outcome) & (table["parameter"] != "")]
    part = part[~part["index"].isin(["S2"])]
    if part.empty:
        return None
    key = ORDER_INDEX.get(method, part["index"].iloc[0])
    order = part[part["index"] == key].sort_values("value", ascending=False)["parameter"]
    indices = list(dict.fromkeys(part["index"]))
    width = 0.8 / len(indices)
    fig, ax = plt.subplots(figsize=(7.5, 0.5 + 0.45 * len(order) * len(indices)))
    try:
        for k, index in enumerate(indices):
            rows = part[part["index"] == index].set_index("parameter").reindex(order)
            y = np.arange(len(order)) + k * width
            err = np.vstack([rows["value"] - rows["ci_lo"], rows["ci_hi"] - rows["value"]])
            ax.barh(y, rows["value"], height=width, xerr=np.nan_to_num(err), label=index, capsize=2)
        ax.set_yticks(np.arange(len(order)) + width * (len(indices) - 1) / 2, list(order))
        ax.invert_yaxis()
        ax.axvline(0.0, color="black", linewidth=0.8)
        noise = table[(table["outcome"] == outcome) & (table["index"] == "noise_share")]
        share = float(noise["value"].iloc[0]) if len(noise) else float("nan")
        ax.set_title(
            f"{label_for(outcome)}\nsensitivity ({method}), 95 % intervals; "
            f"share of variance between replications (noise): {share:.2f}",
            fontsize="small",
        )
        ax.legend(fontsize="small")
        ax.grid(True, axis="x", alpha=0.3)
        fig.tight_layout()
        save_figure(fig, path)
    finally:
        plt.close(fig)
    return path
