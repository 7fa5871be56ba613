"""Peers: the independent cascade on one Erdos-Renyi graph, against a scipy loop and EoN.

    python benchmarks/peers.py                      # 10^5 and 10^6 learners (about 6 minutes)
    python benchmarks/peers.py --quick              # 10^4 learners (seconds)
    python benchmarks/peers.py --sizes 1e5 --profile 1e5   # and where a step's time goes

The independent cascade (one-step SIR) is the simulator's special case ``sharing.policy:
cascade`` with p_share 1 and the transmissibility T = p_notice_min = p_notice_max, one item
of complexity 0 learned fully at once, equal activity, and nothing else on (no help, tie
dynamics, forgetting, innovation, time budget or structural metrics): each newly aware
learner passes the item once to each tie, which becomes aware with probability T
(docs/validation.md, case 2). Here: mean degree 10, T = 0.3, 10 seed learners, 20 steps.

At each size one graph is drawn (the simulator's own ``erdos_renyi`` generator) and the same
graph and seeds are given to

- the simulator (array engine), fed the graph as ``start_network``: the time of its 20 steps
  (metrics included) and of the whole run including the model's setup;
- a plain scipy CSR frontier loop (`frontier_loop`, a dozen lines): each newly infected node
  tries each neighbour once with probability T;
- EoN's ``basic_discrete_SIR`` (pip install EoN) on the same graph as a networkx graph
  (building that graph is not timed), ``tmax`` 20; skipped if EoN is not installed.

Final sizes are mean +- sd over the replications (5 up to 10^5 learners, 3 above; EoN
fewer, `--eon-reps`), and the simulator and the loop must agree in distribution: their
difference of means within 4 standard errors (``agree``). The table is printed and written
to `benchmarks/peers.csv` (`--out`; `--quick` writes `benchmarks/peers_quick.csv`). Times
are wall-clock medians over the replications, on whatever else the machine is doing.

``--profile N`` then times the phases of the simulator's steps at N learners (sharing,
offers, apply_best, metrics, ...; by wrapping the functions `sim.model` calls) and prints
cProfile's top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEGREE, T, N_SEEDS, STEPS = 10, 0.3, 10, 20
COLUMNS = [
    "n_agents",
    "n_ties",
    "reps",
    "ours_steps_s",
    "ours_setup_s",
    "ours_run_s",
    "loop_s",
    "csr_build_s",
    "eon_s",
    "eon_reps",
    "steps_over_loop",
    "run_over_loop",
    "eon_over_steps",
    "ours_final",
    "loop_final",
    "eon_final",
    "diff_in_se",
    "agree",
]


def scenario(n: int, seeds: list[int]):
    """The independent cascade as a scenario of the simulator, at n learners."""
    from sim.scenario import Scenario

    item = {
        "name": "info",
        "n_items": 1,
        "complexity": 0.0,
        "sources_required": 1,
        "seeding": {"agents": seeds, "level": 1.0},
    }
    return Scenario.model_validate(
        {
            "name": "peer_cascade_benchmark",
            "steps": STEPS,
            "population": {
                "n_agents": n,
                "activity_sigma": 0.0,
                "n_interests": 0,
                "time_budget": None,
            },
            "network": {"generator": "erdos_renyi", "degree": DEGREE, "strength": 1.0},
            "knowledge": {"n_topics": 1, "item_classes": [item]},
            "learning": {"surface_rate": 1.0, "bandwidth_min": 1.0, "bandwidth_max": 1.0},
            "sharing": {"policy": "cascade", "p_share": 1.0, "p_notice_min": T, "p_notice_max": T},
            "help": {"enabled": False},
            "community": {"enabled": False},
            "ties": {"enabled": False},
            "forgetting": {"enabled": False},
            "innovation": {"enabled": False},
            "metrics": {"structure_every": 0},
        }
    )


def frontier_loop(a, seeds, p: float, steps: int, rng: np.random.Generator) -> int:
    """The independent cascade as a plain scipy CSR frontier loop; the final size.

    Each newly infected node tries each of its neighbours once, with probability p.
    """
    infected = np.zeros(a.shape[0], dtype=bool)
    infected[seeds] = True
    frontier = np.asarray(seeds)
    for _ in range(steps):
        if frontier.size == 0:
            break
        nbrs = a[frontier].indices  # the rows of the frontier, all neighbours at once
        hit = nbrs[rng.random(nbrs.size) < p]
        frontier = np.unique(hit[~infected[hit]])
        infected[frontier] = True
    return int(infected.sum())


def setup(n: int, seed: int):
    """The graph (a `StartNetwork`), its symmetric CSR matrix (and its build time), the seeds."""
    import scipy.sparse as sp

    from sim.world.network import build_network

    rng = np.random.default_rng(seed)
    seeds = sorted(rng.choice(n, N_SEEDS, replace=False).tolist())
    net = build_network(scenario(n, seeds).network, n, rng)
    t = time.perf_counter()
    u, v = net.u.astype(np.int32), net.v.astype(np.int32)
    ones = np.ones(2 * len(u), dtype=np.int8)
    a = sp.csr_matrix((ones, (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n))
    return net, a, time.perf_counter() - t, seeds


def run_ours(n: int, net, seeds: list[int], seed: int) -> dict:
    """One run of the simulator on the given graph: setup and step times, final size."""
    from sim.engines import make_model

    t = time.perf_counter()
    m = make_model(scenario(n, seeds), rng=seed, start_network=net)
    t_setup = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(STEPS):
        m.step()
    t_steps = time.perf_counter() - t
    return {"setup": t_setup, "steps": t_steps, "final": int((m.knowledge[:, 0] > 0).sum())}


def run_eon(net, seeds: list[int], reps: int, seed: int) -> tuple[list[float], list[int]]:
    """EoN's discrete SIR on the graph as networkx: times and final sizes (graph not timed)."""
    import EoN
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(net.n_agents))
    g.add_edges_from(zip(net.u.tolist(), net.v.tolist(), strict=True))
    rng = np.random.default_rng(seed)
    times, finals = [], []
    for _ in range(reps):
        t = time.perf_counter()
        _t, _s, i, r = EoN.basic_discrete_SIR(g, T, initial_infecteds=seeds, tmax=STEPS, rng=rng)
        times.append(time.perf_counter() - t)
        finals.append(int(i[-1] + r[-1]))
    return times, finals


def warm_kernels(seed: int) -> None:
    """Load (or compile) the simulator's kernels with a small run, before anything is timed."""
    net, _a, _t, seeds = setup(2000, seed)
    run_ours(2000, net, seeds, seed)


def _mean_sd(x: list[int]) -> str:
    sd = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
    return f"{np.mean(x):.0f} +- {sd:.0f}"


def measure(n: int, reps: int, eon_reps: int, seed: int) -> dict:
    """One row of the table: every peer at n learners on one graph."""
    net, a, csr_s, seeds = setup(n, seed)
    ours, loop_s, loop_final = [], [], []
    for r in range(reps):  # interleaved, so that the machine's load falls on both alike
        ours.append(run_ours(n, net, seeds, seed + 1 + r))
        rng = np.random.default_rng(seed + 1001 + r)
        t = time.perf_counter()
        loop_final.append(frontier_loop(a, seeds, T, STEPS, rng))
        loop_s.append(time.perf_counter() - t)
    steps = float(np.median([o["steps"] for o in ours]))
    setup_s = float(np.median([o["setup"] for o in ours]))
    run = float(np.median([o["setup"] + o["steps"] for o in ours]))
    loop = float(np.median(loop_s))
    finals = [o["final"] for o in ours]
    se = np.sqrt(np.var(finals, ddof=1) / reps + np.var(loop_final, ddof=1) / reps)
    diff = abs(np.mean(finals) - np.mean(loop_final))
    row = {
        "n_agents": n,
        "n_ties": net.n_ties,
        "reps": reps,
        "ours_steps_s": round(steps, 3),
        "ours_setup_s": round(setup_s, 3),
        "ours_run_s": round(run, 3),
        "loop_s": round(loop, 3),
        "csr_build_s": round(csr_s, 3),
        "steps_over_loop": round(steps / loop, 2),
        "run_over_loop": round(run / loop, 2),
        "ours_final": _mean_sd(finals),
        "loop_final": _mean_sd(loop_final),
        "diff_in_se": round(float(diff / se), 2) if se > 0 else float(diff > 0) * np.inf,
        "agree": bool(diff <= 4 * se) if se > 0 else diff == 0,
    }
    return row | eon_columns(net, seeds, eon_reps, seed, steps)


def eon_columns(net, seeds: list[int], reps: int, seed: int, steps: float) -> dict:
    """EoN's time, final size and its ratio to the simulator's steps (or why it is absent)."""
    if reps <= 0:
        return {"eon_s": "skipped"}
    try:
        times, finals = run_eon(net, seeds, reps, seed + 2001)
    except ImportError:
        return {"eon_s": "not installed (pip install EoN)"}
    eon = float(np.median(times))
    return {
        "eon_s": round(eon, 3),
        "eon_reps": reps,
        "eon_over_steps": round(eon / steps, 1),
        "eon_final": _mean_sd(finals),
    }


# ---------------------------------------------------------------------------------- profile

PHASES = [
    "share",
    "ask",
    "fits_budget",
    "share_offers",
    "answer_offers",
    "repository_offers",
    "innovation_offers",
    "apply_best",
    "forget_unused",
    "update_ties",
    "group_step",
]
"""Functions `sim.model` calls in a step, timed one by one by `profile`."""


def _timed(fn, name: str, spent: dict[str, float]):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t

    return wrapper


def profile(n: int, seed: int, top: int = 25) -> None:
    """Where the simulator's step time goes at n learners: phase timers, then cProfile."""
    import sim.model as model
    from sim import metrics
    from sim.engines import make_model
    from sim.metrics.learners import LearnerTally

    net, _a, _t, seeds = setup(n, seed)
    spent: dict[str, float] = {}
    saved = {name: getattr(model, name) for name in PHASES if hasattr(model, name)}
    saved_collect, saved_add = metrics.collect, LearnerTally.add
    for name, fn in saved.items():
        setattr(model, name, _timed(fn, name, spent))
    metrics.collect = _timed(saved_collect, "metrics.collect", spent)
    LearnerTally.add = _timed(saved_add, "LearnerTally.add", spent)
    try:
        m = make_model(scenario(n, seeds), rng=seed, start_network=net)
        t = time.perf_counter()
        for _ in range(STEPS):
            m.step()
        total = time.perf_counter() - t
    finally:
        for name, fn in saved.items():
            setattr(model, name, fn)
        metrics.collect, LearnerTally.add = saved_collect, saved_add
    print(f"\nphases of {STEPS} steps at {n} learners: {total:.3f} s")
    print(f"{'phase':<22}{'s':>9}{'ms/step':>10}{'share':>8}")
    spent["(rest of step)"] = total - sum(spent.values())
    for name, s in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"{name:<22}{s:9.3f}{s / STEPS * 1e3:10.1f}{s / total:8.1%}")
    m = make_model(scenario(n, seeds), rng=seed, start_network=net)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(STEPS):
        m.step()
    prof.disable()
    print(f"\ncProfile of {STEPS} steps at {n} learners, top {top} by cumulative time:")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


# ---------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["1e5", "1e6"], help="learners per run")
    ap.add_argument("--quick", action="store_true", help="10^4 learners only: a smoke run")
    ap.add_argument("--reps", type=int, help="replications (default: 5 to 10^5, 3 above)")
    ap.add_argument("--eon-reps", type=int, help="EoN runs (default: 2 to 10^5, 1 above)")
    ap.add_argument("--profile", metavar="N", help="then profile the steps at N learners")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--out", type=Path, help="the CSV (default: benchmarks/peers.csv)")
    args = ap.parse_args(argv)
    sizes = [10_000] if args.quick else [int(float(s)) for s in args.sizes]
    warm_kernels(args.seed)
    rows = []
    print(" | ".join(COLUMNS), flush=True)
    for n in sizes:
        reps = args.reps or (5 if n <= 100_000 else 3)
        eon_reps = args.eon_reps if args.eon_reps is not None else (2 if n <= 100_000 else 1)
        rows.append(measure(n, reps, eon_reps, args.seed))
        print(" | ".join(str(rows[-1].get(c, "")) for c in COLUMNS), flush=True)

    import pandas as pd

    df = pd.DataFrame(rows, columns=COLUMNS)
    print()
    print(df.to_string(index=False))
    name = "peers_quick.csv" if args.quick else "peers.csv"
    out = args.out or ROOT / "benchmarks" / name
    df.to_csv(out, index=False)
    print(f"wrote {out} (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    if args.profile:
        profile(int(float(args.profile)), args.seed)


if __name__ == "__main__":
    main()
