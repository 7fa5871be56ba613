"""How tightly paired a comparison is: the spread of its paired differences.

With common random numbers, replication r of every compared scenario runs on the same seed;
the pairing helps only as far as the runs share their random draws. This prints, for each
outcome and each scenario against the baseline, the standard deviation over replications of
the paired difference (scenario - baseline), next to what independent runs would give,
sqrt(var(scenario) + var(baseline)). The smaller the first against the second, the more the
pairing removes replication noise from the difference.

Reproduce the README's numbers (the four shipped setups, 20 replications):

    python run.py compare scenarios/social_network.yaml scenarios/closed_community.yaml \
        scenarios/weak_ties.yaml scenarios/hybrid.yaml --replications 20 --out /tmp/pairing
    python docs/pairing.py /tmp/pairing/compare/<stamp> [--before OTHER_FOLDER]

`--before` adds the same columns from another comparison folder (e.g. the same command run
on an earlier commit) to set the two side by side.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

OUTCOMES = ["share_aware", "mean_depth", "share_deep", "share_gain_via_weak", "gini_knowledge"]


def paired_spread(folder: Path, outcomes: list[str] = OUTCOMES) -> pd.DataFrame:
    """Per (scenario, outcome): sd of the paired differences, and of unpaired ones.

    Args:
        folder: a comparison results folder (its ``summary.csv`` and ``manifest.json``).
        outcomes: summary columns to compare.
    """
    summary = pd.read_csv(folder / "summary.csv")
    baseline = pd.read_json(folder / "manifest.json", typ="series")["baseline"]
    wide = summary.pivot(index="replication", columns="scenario")
    rows = []
    for scenario in summary["scenario"].unique():
        if scenario == baseline:
            continue
        for column in outcomes:
            if column not in summary.columns:
                continue
            a, b = wide[(column, scenario)], wide[(column, baseline)]
            diff = (a - b).dropna()
            rows.append(
                {
                    "scenario": scenario,
                    "outcome": column,
                    "n": len(diff),
                    "sd_paired": diff.std(ddof=1),
                    "sd_unpaired": math.sqrt(a.var(ddof=1) + b.var(ddof=1)),
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:  # noqa: D103
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--before", type=Path, help="another comparison folder, set beside")
    args = ap.parse_args(argv)
    table = paired_spread(args.folder)
    if args.before is not None:
        before = paired_spread(args.before)[["scenario", "outcome", "sd_paired"]]
        table = before.rename(columns={"sd_paired": "sd_paired_before"}).merge(
            table, on=["scenario", "outcome"]
        )
        table["ratio"] = table["sd_paired"] / table["sd_paired_before"]
    cols = list(table.columns)
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in table.itertuples(index=False):
        cells = [f"{x:.4f}" if isinstance(x, float) else str(x) for x in row]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
