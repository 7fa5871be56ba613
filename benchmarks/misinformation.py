"""Benchmark: what misconceptions and their correction cost a run (issue 13).

    python benchmarks/misinformation.py              # 10^4 learners, 200 steps, 3 repeats
    python benchmarks/misinformation.py --repeats 1  # quicker

Issue 13's target: with misinformation on, a run takes at most 1.5 times the same scenario
without it at 10^4 learners. "Without it" keeps the same items, so that only the rules
differ: the myths become an ordinary class (no `misconception_of`, correction off). For
`weak_ties` and `hybrid` with the myths of scenarios/misinformation/ (10^4 learners in
groups of 20, so the mean degree stays about 10; 200 steps), each repeat times one
replication of:

- `ordinary`: the myths as ordinary items;
- `counted`: the myths as misconceptions, correction off (the misinformation columns are
  counted; redundant shares must then be listed, not only counted);
- `corrected`: the myths as misconceptions with correction and policing on (the shipped
  files).

The table (printed, and written to benchmarks/misinformation.csv, which the README quotes)
gives the fastest of the repeats and the ratios to `ordinary`. That a scenario
without misconceptions costs what it did before is measured by running `bench.py` (or this
script's `ordinary` row on the shipped `weak_ties`, `--shipped`) on the commits before and
after. Wall-clock: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETUPS = ["weak_ties", "hybrid"]
OUT = ROOT / "benchmarks" / "misinformation.csv"
SIZE = ["population.n_agents=10000", "network.n_groups=500", "steps=200"]
ORDINARY = ["knowledge.item_classes.2.misconception_of=null", "correction.enabled=false"]
COUNTED = ["correction.enabled=false"]


def measure(setup: str, repeats: int) -> dict[str, float]:
    """Fewest seconds of one replication in each variant."""
    from sim.experiment.jobs import run_replication
    from sim.scenario import load_scenario

    path = ROOT / "scenarios" / "misinformation" / f"{setup}.yaml"
    variants = {
        "ordinary": load_scenario(path, [*SIZE, *ORDINARY]),
        "counted": load_scenario(path, [*SIZE, *COUNTED]),
        "corrected": load_scenario(path, SIZE),
    }
    for sc in variants.values():  # compile the kernels outside the timings
        run_replication(sc.model_copy(update={"steps": 3}), 0, 1)
    best = {name: float("inf") for name in variants}
    for rep in range(repeats):
        for name, sc in variants.items():
            t0 = time.perf_counter()
            run_replication(sc, 0, 1 + rep)
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def shipped(repeats: int) -> float:
    """Fewest seconds of one replication of the shipped weak_ties at 10^4 learners."""
    from sim.experiment.jobs import run_replication
    from sim.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "weak_ties.yaml", SIZE)
    run_replication(sc.model_copy(update={"steps": 3}), 0, 1)
    best = float("inf")
    for rep in range(repeats):
        t0 = time.perf_counter()
        run_replication(sc, 0, 1 + rep)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="repeats per variant (fastest kept)")
    ap.add_argument(
        "--shipped", action="store_true", help="only time the shipped weak_ties (no myths)"
    )
    ap.add_argument("--out", type=Path, default=OUT, help="CSV written (default: %(default)s)")
    args = ap.parse_args(argv)
    if args.shipped:
        print(f"weak_ties, 10^4 learners, 200 steps: {shipped(args.repeats):.3f} s")
        return 0
    rows = []
    for setup in SETUPS:
        t = measure(setup, args.repeats)
        rows.append(
            {
                "setup": setup,
                "ordinary_s": round(t["ordinary"], 3),
                "counted_s": round(t["counted"], 3),
                "corrected_s": round(t["corrected"], 3),
                "counted_ratio": round(t["counted"] / t["ordinary"], 2),
                "corrected_ratio": round(t["corrected"] / t["ordinary"], 2),
            }
        )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    table.to_csv(args.out, index=False)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
