"""Benchmark: what the final tie snapshot costs a run (taking it, writing it, gathering it).

    python benchmarks/snapshots.py              # weak_ties at 10^4 learners, 5 repeats
    python benchmarks/snapshots.py --repeats 2  # quicker

Issue 12's target: writing the per-run outputs costs under 10 % of a run's time at 10^4
learners. For `weak_ties` with 10^4 learners in groups of 20 (mean degree about 10), 200
steps, each repeat times one replication, then the parts of the snapshot path on its final
network: taking the snapshot from the tie table, writing the run's snapshot file, and
gathering it into ``ties.parquet``. The table gives the median of the repeats. Wall-clock:
run it on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(repeats: int) -> dict[str, float]:
    """Median seconds of a run and of each part of its final snapshot."""
    from sim.analysis.files import write_table
    from sim.engines import make_model
    from sim.experiment.jobs import run_replication
    from sim.experiment.snapshots import consolidate_ties, tie_snapshot
    from sim.experiment.storage import ResultsFolder
    from sim.scenario import load_scenario

    sc = load_scenario(
        ROOT / "scenarios/weak_ties.yaml", ["population.n_agents=10000", "network.n_groups=500"]
    )
    parts: dict[str, list[float]] = {"run": [], "take": [], "write": [], "gather": []}
    n_ties = 0
    for rep in range(repeats):
        snaps: list[pd.DataFrame] = []
        t0 = time.perf_counter()
        run_replication(sc, 0, 1 + rep, ties=snaps)
        parts["run"].append(time.perf_counter() - t0)
        ties = snaps[-1]
        n_ties = len(ties)
        with tempfile.TemporaryDirectory() as tmp:
            folder = ResultsFolder.create(Path(tmp), "x")
            t0 = time.perf_counter()
            write_table(folder.ties_path("a"), ties, {"sim.key": "a"})
            parts["write"].append(time.perf_counter() - t0)
            runs = pd.DataFrame({"point": [0], "replication": [0], "seed": [1], "key": ["a"]})
            t0 = time.perf_counter()
            consolidate_ties(folder, runs, None)
            parts["gather"].append(time.perf_counter() - t0)
        model = make_model(sc, rng=1 + rep)
        t0 = time.perf_counter()
        tie_snapshot(model.ties, 0, sc.ties.strong_threshold)
        parts["take"].append(time.perf_counter() - t0)
    out = {k: statistics.median(v) for k, v in parts.items()}
    out["ties"] = n_ties
    return out


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    m = measure(args.repeats)
    snapshot = m["take"] + m["write"] + m["gather"]
    rows = [
        ("ties at the last step", f"{m['ties']:,.0f}"),
        ("run (200 steps, snapshot included)", f"{m['run']:.2f} s"),
        ("take the snapshot", f"{1e3 * m['take']:.1f} ms"),
        ("write its run file", f"{1e3 * m['write']:.1f} ms"),
        ("gather it into ties.parquet", f"{1e3 * m['gather']:.1f} ms"),
        ("snapshot share of the run", f"{100 * snapshot / m['run']:.1f} %  (target < 10 %)"),
    ]
    print(f"weak_ties, 10^4 learners, median of {args.repeats} repeats")
    for name, value in rows:
        print(f"  {name:<36} {value}")


if __name__ == "__main__":
    main()
