"""Sweep designs: how the points of a sweep are placed in its parameters' ranges.

A sampled design first places its points in the unit cube, one coordinate per swept field,
then maps each coordinate onto the field's range with `unit_to_value` (the same mapping for
every method, so an lhs point and a Sobol'-indices point with the same coordinates are the
same scenario):

- ``lhs``: a Latin hypercube (`scipy.stats.qmc.LatinHypercube`; McKay et al. 1979);
- ``sobol``: a scrambled Sobol' sequence (`scipy.stats.qmc.Sobol`; Owen 1998), a
  low-discrepancy sample;
- ``sobol_indices``: Saltelli's design for Sobol' indices (SALib's ``sobol`` sampler;
  Saltelli 2002, Saltelli et al. 2010): ``samples * (d + 2)`` points, or
  ``samples * (2d + 2)`` with second-order indices, in an order the estimator relies on;
- ``morris``: ``samples`` one-at-a-time trajectories of ``d + 1`` points on a ``levels``
  grid (SALib's ``morris`` sampler; Morris 1991, Campolongo et al. 2007).

Grid sweeps have no unit cube: their points are the product of the listed values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

__all__ = ["DESIGN_METHODS", "Method", "Range", "n_design_points", "unit_design", "unit_to_value"]


class Method(StrEnum):
    """How a sweep's points are chosen."""

    GRID = "grid"
    LHS = "lhs"
    SOBOL = "sobol"
    SOBOL_INDICES = "sobol_indices"
    MORRIS = "morris"


SAMPLED = (Method.LHS, Method.SOBOL, Method.SOBOL_INDICES, Method.MORRIS)
"""Methods that sample ranges (`samples` points or base samples) rather than list values."""

DESIGN_METHODS = (Method.SOBOL_INDICES, Method.MORRIS)
"""Methods whose design belongs to a sensitivity estimator: the points are analysed, in
their order, by that estimator (`sim.analysis.sensitivity`) once the sweep is finished."""

POWER_OF_TWO = (Method.SOBOL, Method.SOBOL_INDICES)
"""Methods whose `samples` must be a power of 2 (a Sobol' sequence keeps its balance)."""


@dataclass(frozen=True)
class Range:
    """A continuous range of one swept field (lhs, sobol, sobol_indices, morris).

    Args:
        min: lower end, in the field's unit (a true/false field: 0 and 1).
        max: upper end, in the field's unit (at least `min`).
        scale: ``linear`` (uniform) or ``log`` (log-uniform; needs min > 0).
    """

    min: float
    max: float
    scale: str = "linear"

    def to_dict(self) -> dict[str, Any]:
        """The range as written in a sweep block."""
        out: dict[str, Any] = {"min": self.min, "max": self.max}
        if self.scale != "linear":
            out["scale"] = self.scale
        return out


def n_design_points(method: Method, d: int, samples: int, second_order: bool = False) -> int:
    """How many points a sampled design of `d` fields has."""
    if method == Method.SOBOL_INDICES:
        return samples * (2 * d + 2 if second_order else d + 2)
    if method == Method.MORRIS:
        return samples * (d + 1)
    return samples


def unit_design(
    method: Method,
    d: int,
    samples: int,
    seed: int,
    *,
    second_order: bool = False,
    levels: int = 4,
) -> np.ndarray:
    """The points of a sampled design in the unit cube, one row per point, in design order.

    Args:
        method: lhs, sobol, sobol_indices or morris.
        d: number of swept fields.
        samples: points (lhs, sobol), base samples (sobol_indices) or trajectories (morris).
        seed: seed of the sampler.
        second_order: sobol_indices: the design for second-order indices too.
        levels: morris: number of grid levels (even).
    """
    if method in (Method.LHS, Method.SOBOL):
        from scipy.stats import qmc

        if method == Method.LHS:
            sampler: Any = qmc.LatinHypercube(d=d, seed=seed)
        else:
            sampler = qmc.Sobol(d=d, scramble=True, seed=seed)
        return np.asarray(sampler.random(samples), dtype=float)
    problem = {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}
    if method == Method.SOBOL_INDICES:
        from SALib.sample import sobol as sobol_sample

        x = sobol_sample.sample(problem, samples, calc_second_order=second_order, seed=seed)
    elif method == Method.MORRIS:
        from SALib.sample import morris as morris_sample

        x = morris_sample.sample(problem, samples, num_levels=levels, seed=seed)
    else:
        raise ValueError(f"method {method}: not a sampled design")
    return np.clip(np.asarray(x, dtype=float), 0.0, 1.0)


def unit_to_value(r: Range, u: float, kind: type) -> Any:
    """The value of a field at unit coordinate `u` of its range.

    Args:
        r: the field's range.
        u: coordinate in [0, 1].
        kind: the field's type: ``float``, ``int`` or ``bool``.

    Returns:
        float: ``min + u (max - min)`` (log scale: uniform in log). int: every whole number of
        [min, max] gets an equal share of the unit interval (log scale: the log-uniform value
        rounded). bool: false below u = 0.5, true from it (a switch is a two-level factor).
    """
    if kind is bool:
        return bool(u >= 0.5)
    integer = kind is int
    if r.scale == "log":
        x: float | int = math.exp(math.log(r.min) + u * (math.log(r.max) - math.log(r.min)))
        return int(round(x)) if integer else float(x)
    if integer:
        return min(int(math.floor(r.min + u * (r.max - r.min + 1))), int(r.max))
    return float(r.min + u * (r.max - r.min))
