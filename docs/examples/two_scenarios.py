"""Two scenarios side by side from Python: build the Mesa model, step it, read the learners.

The steps a notebook would take, one cell each:

1. load a scenario file into a validated, frozen `Scenario`, with overrides (validated like
   the file) to make it smaller;
2. build its Mesa model (`sim.make_model`) on a seed: every random number of the run, and of
   this script, is drawn through the model's rng, so the same seed gives the same output;
3. create a `mesa.DataCollector` with model reporters of our own (named functions, as in
   Mesa's examples) and collect after every step;
4. read the learners through Mesa's `AgentSet` (`model.agents`): select, aggregate, sort,
   and a random pick drawn with the model's rng;
5. plot the two scenarios against each other with matplotlib into a PNG.

social_network and closed_community share their population, items and seeding, and run here
on the same seed (common random numbers), so the curves differ by structure, not by luck::

    python docs/examples/two_scenarios.py                # as in the files: 500 learners, 200 steps
    python docs/examples/two_scenarios.py --agents 100 --steps 30 --out /tmp/two.png

The figure goes to ``--out`` (default: a new temporary folder); its path is printed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import make_model
from sim.scenario import Generator, Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "social_network": ROOT / "scenarios" / "social_network.yaml",
    "closed_community": ROOT / "scenarios" / "closed_community.yaml",
}


# ---------------------------------------------------------------------------------------------
# 1. A scenario, made smaller with validated overrides


def small_scenario(path: Path, n_agents: int | None, steps: int | None) -> Scenario:
    """The scenario of `path` with `n_agents` learners and `steps` steps (None: as in the file).

    A clustered network keeps groups of about 20 learners, as in the shipped scenarios.
    """
    scenario = load_scenario(path)
    overrides = []
    if steps is not None:
        overrides.append(f"steps={steps}")
    if n_agents is not None:
        overrides.append(f"population.n_agents={n_agents}")
        if scenario.network.generator == Generator.CLUSTERED:
            overrides.append(f"network.n_groups={max(1, n_agents // 20)}")
    return load_scenario(path, overrides)


# ---------------------------------------------------------------------------------------------
# 3. Model reporters: one named function per quantity, each reading the learners' AgentSet


def share_informed(model: mesa.Model) -> float:
    """Share of learners who know something (mastery > 0 of at least one item)."""
    return float(np.mean([bool(k.any()) for k in model.agents.get("knowledge")]))


def mean_ties(model: mesa.Model) -> float:
    """Mean number of ties per learner."""
    return float(model.agents.agg("degree", np.mean))


def share_deep(model: mesa.Model) -> float:
    """Share of learners who master at least one item deeply (>= deep_threshold)."""
    threshold = model.scenario.knowledge.deep_threshold
    return float(np.mean([bool((k >= threshold).any()) for k in model.agents.get("knowledge")]))


REPORTERS = {"share_informed": share_informed, "mean_ties": mean_ties, "share_deep": share_deep}


# ---------------------------------------------------------------------------------------------
# 2 and 3. Build, step, collect


def run(scenario: Scenario, seed: int) -> tuple[mesa.Model, pd.DataFrame]:
    """Run `scenario` for its steps on `seed`; the model and one row per step (0 = start).

    The model's own `datacollector` already holds every metric of `timeseries.parquet`; this
    collector holds only the reporters above.
    """
    model = make_model(scenario, rng=seed)
    collector = mesa.DataCollector(model_reporters=REPORTERS)
    collector.collect(model)
    while model.running:
        model.step()
        collector.collect(model)
    table = collector.get_model_vars_dataframe()
    table.index.name = "step"
    return model, table


# ---------------------------------------------------------------------------------------------
# 4. The learners through Mesa's AgentSet


def describe_learners(model: mesa.Model, n_picked: int = 3) -> list[str]:
    """A few lines on the learners at the end of a run, read through `model.agents`."""
    learners = model.agents
    members = learners.select(lambda a: a.is_member)
    best_tied = learners.sort("degree", ascending=False)[0]
    # A random pick, drawn with the model's rng (never `random` or `np.random` directly).
    picked = model.rng.choice(len(learners), size=min(n_picked, len(learners)), replace=False)
    lines = [
        f"{len(learners)} learners, {len(members)} community members, "
        f"mean mastery {learners.agg('knowledge', np.mean):.3f}",
        f"most ties: learner {best_tied.index} with {best_tied.degree}",
    ]
    for i in sorted(int(i) for i in picked):
        learner = learners[i]
        lines.append(
            f"learner {learner.index}: {learner.degree} ties, knows "
            f"{int((learner.knowledge > 0).sum())} of {model.n_items} items"
        )
    return lines


# ---------------------------------------------------------------------------------------------
# 5. The two scenarios against each other


def plot(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """One panel per reporter, one line per scenario; written as a PNG to `path`."""
    fig = Figure(figsize=(4 * len(REPORTERS), 3.4), layout="constrained")
    axes = fig.subplots(1, len(REPORTERS))
    for ax, column in zip(axes, REPORTERS, strict=True):
        for name, table in tables.items():
            ax.plot(table.index, table[column], label=name)
        ax.set_title(column)
        ax.set_xlabel("step")
    axes[0].legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def main(argv: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Run both scenarios, print what the learners look like, write the figure."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="the PNG to write (default: a temporary folder)")
    p.add_argument("--agents", type=int, help="learners per scenario (default: the file's)")
    p.add_argument("--steps", type=int, help="steps per run (default: the file's)")
    p.add_argument("--seed", type=int, default=1, help="the seed of both runs (default: 1)")
    args = p.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="two_scenarios_")) / "two_scenarios.png"
    tables = {}
    for name, path in SCENARIOS.items():
        model, tables[name] = run(small_scenario(path, args.agents, args.steps), args.seed)
        print(f"{name}:")
        for line in describe_learners(model):
            print(f"  {line}")
        print(tables[name].tail(1).to_string())
    print(f"figure: {plot(tables, out)}")
    return tables


if __name__ == "__main__":
    main()
