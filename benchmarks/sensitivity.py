"""Benchmark: time of the sensitivity analysis itself (no model runs), per method.

    python benchmarks/sensitivity.py              # 2^8 samples x 6 parameters x 10 outcomes
    python benchmarks/sensitivity.py --quick      # 2^5 samples: a smoke run

The target (issue 14): under 10 s for 2^8 base samples x 6 parameters x 10 outcomes. For each
design method the design of 6 unit factors is drawn (`sobol_indices`: 2^8 x (6 + 2) = 2048
points; `morris`: 2^8 trajectories x 7 = 1792 points; `pawn`, the estimator of any other
design: an `lhs` sweep of 2^8 samples, i.e. 256 points),
each point gets R replications of 10 synthetic outcomes (smooth functions of the factors plus
noise: the time of the estimators does not depend on what the outcome is), and
`sim.analysis.sensitivity.analyse` runs with the defaults `sim.api.sensitivity_analysis`
uses (50 bootstrap resamples of the replications, 100 of the design). The table gives the
wall time per method, per outcome, and whether it meets the target. Wall-clock: run it on
an idle machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 10.0
"""Issue 14: the analysis of 2^8 samples x 6 parameters x 10 outcomes within 10 s."""


def tables(x: np.ndarray, reps: int, n_outcomes: int, seed: int):
    """points and summary tables of a design with synthetic outcomes (as a sweep writes)."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    points = pd.DataFrame(x, columns=[f"p{j}" for j in range(d)])
    points.insert(0, "point", np.arange(n))
    summary = pd.DataFrame(
        {"point": np.repeat(np.arange(n), reps), "replication": np.tile(np.arange(reps), n)}
    )
    xr = np.repeat(x, reps, axis=0)
    for k in range(n_outcomes):
        w = rng.normal(size=d)
        signal = np.sin(np.pi * xr @ w) + xr[:, k % d] ** 2
        summary[f"y{k}"] = signal + rng.normal(0.0, 0.3, len(xr))
    return points, summary


def measure(method: str, samples: int, d: int, reps: int, n_outcomes: int) -> dict:
    """Wall time of one method's analysis."""
    from scipy.stats import qmc

    from sim.analysis.sensitivity import Factor, analyse, design

    factors = [Factor(f"p{j}", 0.0, 1.0) for j in range(d)]
    if method == "pawn":
        x = qmc.LatinHypercube(d=d, seed=1).random(samples)
    else:
        x = design(factors, method, samples, seed=1)
    points, summary = tables(x, reps, n_outcomes, seed=2)
    outcomes = [f"y{k}" for k in range(n_outcomes)]
    t0 = time.perf_counter()
    table = analyse(points, summary, factors, method, outcomes, seed=0, n_boot=50)
    wall = time.perf_counter() - t0
    assert set(table["outcome"]) == set(outcomes)
    return {
        "method": method,
        "points": len(x),
        "parameters": d,
        "outcomes": n_outcomes,
        "replications": reps,
        "seconds": round(wall, 2),
        "seconds_per_outcome": round(wall / n_outcomes, 3),
        "meets_target": wall < TARGET_S,
    }


def main(argv: list[str] | None = None) -> None:
    """Print the table (and write it to --out)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2^5 samples: a smoke run")
    ap.add_argument("--replications", type=int, default=4)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "sensitivity.csv"))
    args = ap.parse_args(argv)
    samples = 2**5 if args.quick else 2**8
    rows = [
        measure(m, samples, 6, args.replications, 10) for m in ("sobol_indices", "morris", "pawn")
    ]
    df = pd.DataFrame(rows)
    print(f"sensitivity analysis: target < {TARGET_S:g} s per method (2^8 x 6 x 10)")
    print(df.to_string(index=False))
    if not args.quick:
        df.to_csv(args.out, index=False)
        print(f"written: {args.out}")


if __name__ == "__main__":
    main()
