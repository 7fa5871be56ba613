"""Numbers and figures behind docs/findings.md, from a saved comparison of the four setups.

Reproduce:

    python run.py compare scenarios/social_network.yaml scenarios/closed_community.yaml \
        scenarios/weak_ties.yaml scenarios/hybrid.yaml --replications 40
    python docs/findings.py results/compare/<stamp>

It prints Markdown tables (mean and 95 % t interval over replications) and writes the tie
removal figure to docs/images/findings_removal.png. The removal analysis (Onnela et al.
2007) needs each replication's final tie network, which the results folder does not keep,
so it reruns the replications of the comparison's resolved scenarios: the same seeds, hence
the same runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.analysis import compare_plots  # noqa: E402
from sim.analysis import stats as analysis  # noqa: E402
from sim.analysis.structure import removal_curve  # noqa: E402
from sim.engines import make_model  # noqa: E402
from sim.experiment.jobs import replication_seeds, start_network  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

IMAGES = Path(__file__).resolve().parent / "images"


def interval_table(summary: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Mean [95 % CI] (n) of each column per scenario, as text cells."""
    rows = []
    for scenario, part in summary.groupby("scenario", sort=False):
        d = analysis.describe(part, columns)
        row = {"scenario": scenario}
        for c in columns:
            r = d.loc[c]
            n = int(r["n"])
            cell = f"{r['mean']:.3g} [{r['ci_lo']:.3g}, {r['ci_hi']:.3g}]"
            if n < len(part):
                cell += f" (n={n})"
            row[c] = cell
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(df: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def tie_trajectory(ts: pd.DataFrame, scenario: str, steps: list[int]) -> pd.DataFrame:
    """Mean weak and strong tie counts and ties formed so far at some steps."""
    part = ts[ts["scenario"] == scenario].sort_values(["replication", "step"]).copy()
    part["ties_formed_so_far"] = part.groupby("replication")["ties_formed"].cumsum()
    cols = ["n_weak_ties", "n_strong_ties", "mean_strength", "ties_formed_so_far"]
    out = part[part["step"].isin(steps)].groupby("step")[cols].mean().round(1)
    return out.reset_index()


def removal(folder: Path, names: list[str], replications: int) -> pd.DataFrame:
    """Removal curves of the final tie networks of some scenarios of the comparison."""
    frames = []
    for name in names:
        sc = load_scenario(folder / "scenarios" / f"{name}.yaml")
        net = start_network(sc)
        for r, seed in enumerate(replication_seeds(sc.seed, replications)):
            m = make_model(sc, rng=seed, start_network=net)
            for _ in range(sc.steps):
                m.step()
            t = m.ties
            for order in ("weak_first", "strong_first"):
                # Equal strengths in a random order, seeded by the replication; the mean over
                # replications is taken on the shared grid (refinement rows differ per run).
                c = removal_curve(t.u, t.v, t.strength, m.n_agents, order, seed=seed)
                c = c[c["on_grid"]]
                c["scenario"], c["replication"] = name, r
                frames.append(c)
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    """Print the tables of docs/findings.md and write its figure."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="results folder of the comparison")
    p.add_argument("--removal-replications", type=int, default=10)
    args = p.parse_args()
    summary = pd.read_csv(args.folder / "summary.csv")
    ts = pd.read_parquet(args.folder / "timeseries.parquet")

    print("## Spread\n")
    reached = summary.groupby("scenario", sort=False)["time_to_50"].apply(
        lambda s: f"{s.notna().sum()} of {len(s)}"
    )
    print(markdown(interval_table(summary, ["share_aware", "time_to_50", "time_to_90"])))
    print("\nreplications reaching 50 %:", reached.to_dict(), "\n")
    print("## Depth\n")
    print(
        markdown(
            interval_table(
                summary,
                ["mean_depth", "share_deep", "total_gain_via_help", "total_gain_via_sharing"],
            )
        )
    )
    print("\n## Redundancy and overlap\n")
    print(
        markdown(
            interval_table(
                summary,
                [
                    "redundancy_total",
                    "redundancy_to_50",
                    "knowledge_overlap_weak",
                    "knowledge_overlap_strong",
                ],
            )
        )
    )
    print("\n## Weak ties\n")
    print(
        markdown(
            interval_table(
                summary,
                [
                    "share_novel_via_weak",
                    "share_gain_via_weak",
                    "total_novel_exposures_weak",
                    "total_novel_exposures_strong",
                ],
            )
        )
    )
    print("\n## Item classes\n")
    print(
        markdown(
            interval_table(
                summary,
                [
                    "share_aware__facts",
                    "share_aware__practices",
                    "share_deep__facts",
                    "share_deep__practices",
                ],
            )
        )
    )
    print("\n## Help\n")
    print(
        markdown(
            interval_table(summary, ["total_questions", "total_answers", "total_repository_hits"])
        )
    )
    print("\n## Ties in closed_community over time (mean of replications)\n")
    print(markdown(tie_trajectory(ts, "closed_community", [0, 25, 50, 100, 150, 200])))

    curves = removal(args.folder, ["closed_community", "weak_ties"], args.removal_replications)
    IMAGES.mkdir(exist_ok=True)
    compare_plots.plot_removal(
        curves,
        IMAGES / "findings_removal.png",
        title="Final tie network: remove ties weakest- or strongest-first",
    )
    print("\n## Tie removal (share_largest_component, mean over replications)\n")
    at = curves[curves["fraction_removed"].round(2).isin([0.0, 0.2, 0.4, 0.6, 0.8])]
    at = at.assign(fraction_removed=at["fraction_removed"].round(2))
    tab = at.groupby(["scenario", "order", "fraction_removed"])["share_largest_component"]
    print(markdown(tab.mean().round(3).unstack("fraction_removed").reset_index()))


if __name__ == "__main__":
    main()
