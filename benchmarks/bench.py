"""Benchmarks: speed and memory of the array engine, against the reference engine and NDlib.

    python benchmarks/bench.py                 # the full table (about 35 minutes, 2 cores)
    python benchmarks/bench.py --quick         # a smoke run at 10^3 agents (seconds)

For the simple-contagion special case (broadcast SI on an Erdos-Renyi graph of mean degree
10: every aware learner shares every step, each tie notices with probability 0.1, one
exposure informs fully, nothing else on) and for each shipped scenario (its own rules, with
groups of 20 learners so the mean degree stays about 10 at every size; structural metrics
off), at each size it measures in a fresh process:

- ns per tie-step and per agent-step of the array engine (the step time, metrics included,
  divided by steps x mean ties, or steps x agents; setup excluded and reported apart);
- memory per agent: the growth of the process's peak resident memory over setup and run
  (`peak_bytes_per_agent`); what the model's state keeps between steps
  (`LearningModel.state_nbytes`, `state_bytes_per_agent`: learners and ties) against issue
  16's target, 64 B per agent + 24 B per tie + 4 B per agent-item
  (`target_bytes_per_agent`); the outputs recorded by the end of the run, outside the
  state (`recorded_bytes_per_agent`: the learner tally, the per-group rows); and the peak
  during the steps alone over that state (`step_peak_over_state`, target at most 1.5: the
  process's peak resident memory is reset after setup via /proc/self/clear_refs, Linux), and
  the same less the recorded outputs (`step_peak_net_over_state`: what a step's own working
  arrays add; the learner tally's pages become resident as learners first act);
- `scaling`: ns per tie-step at this size over its value at 10^4 agents, the median of
  the runs there (the table's, three before each larger size and three after the largest;
  target at most 1.3 at 10^6);
- speed ratios of the array engine over the reference engine (`engine: agents`) and over
  NDlib's SI model on the same starting graph (beta = the mean attention), over the same
  steps. A slow engine runs at most `--limit` seconds: a size whose projected time exceeds
  it (from the size before) is skipped and the table says so; a run cut short compares the
  steps it finished.

`--large` adds sizes run with the array engine only: by default simple contagion at 10^7
agents (issue 16: a 10^7-learner run of 100 steps completes on a 24 GB machine).

Then sweep throughput: the same 48 jobs through `sim.experiment.runners.run_jobs` with 1 and
2 worker processes, each in a fresh process with an empty kernel cache, so compiling is
included (and a check that they give identical results); each worker count twice, in the
order 1, 2, 2, 1, its wall time the mean of the two. The table is printed and written
to `benchmarks/results.csv` (`--out`), the committed table the README quotes; `--quick`
writes `benchmarks/results_quick.csv` instead (git-ignored), so a smoke run never replaces
it. Times are wall-clock on whatever else the machine is doing: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHIPPED = ["social_network", "closed_community", "weak_ties", "hybrid"]
CASES = ["simple_contagion", *SHIPPED]
SI_BETA = 0.1
# Issue 16's memory target: the state a run keeps between steps, at most this much.
TARGET_PER_AGENT, TARGET_PER_TIE, TARGET_PER_ITEM = 64, 24, 4
SCALING_BASE = 10_000  # `scaling`: ns per tie-step against this size (target: <= 1.3 at 10^6)
LARGE = {"simple_contagion": [10_000_000]}  # array engine only (issue 16: 10^7 x 100 steps)


def scenario(case: str, n: int, steps: int, engine: str = "array"):
    """The scenario of a benchmark case at n agents."""
    from sim.scenario import Scenario, load_scenario

    if case == "simple_contagion":
        return Scenario.model_validate(
            {
                "name": "simple_contagion",
                "engine": engine,
                "steps": steps,
                "population": {"n_agents": n, "activity_sigma": 0.0, "n_interests": 0},
                "network": {"generator": "erdos_renyi", "degree": 10},
                "knowledge": {
                    "n_topics": 1,
                    "item_classes": [
                        {
                            "name": "facts",
                            "n_items": 1,
                            "complexity": 0.0,
                            "seeding": {"n_holders": 10},
                        }
                    ],
                },
                "learning": {"surface_rate": 1.0, "bandwidth_min": 1.0, "bandwidth_max": 1.0},
                "sharing": {
                    "policy": "broadcast",
                    "p_share": 1.0,
                    "p_notice_min": SI_BETA,
                    "p_notice_max": SI_BETA,
                },
                "help": {"enabled": False},
                "ties": {"enabled": False},
                "forgetting": {"enabled": False},
                "innovation": {"enabled": False},
                "metrics": {"structure_every": 0},
            }
        )
    return load_scenario(
        ROOT / "scenarios" / f"{case}.yaml",
        [
            f"population.n_agents={n}",
            f"network.n_groups={max(1, n // 20)}",
            f"steps={steps}",
            "metrics.structure_every=0",
            f"engine={engine}",
        ],
    )


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _status(key: str) -> int | None:
    """A size line of /proc/self/status in bytes (VmRSS, VmHWM); None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the process's peak resident memory (VmHWM) to its current size (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------- one run


def run_one(case: str, n: int, engine: str, steps: int, limit: float, seed: int) -> dict:
    """Run one engine once in this process; returns timings and memory as a dict."""
    import numpy as np

    from sim.engines import make_model

    if engine == "ndlib":
        return _run_ndlib(case, n, steps, limit, seed)
    sc = scenario(case, n, steps, engine)
    if engine == "array":
        # Load every compiled kernel (numba's disk cache, a few ms each) before timing: a
        # whole small run, so the kernels of every phase of a spread have been called.
        warm = make_model(scenario(case, 300, steps), rng=seed)
        for _ in range(steps):
            warm.step()
        del warm
    base, rss_base = _maxrss(), _status("VmRSS")
    t0 = time.perf_counter()
    m = make_model(sc, rng=seed)
    init = time.perf_counter() - t0
    steps_peak = _reset_peak()  # from here VmHWM is the peak during the steps
    step_times, n_ties = [], []
    t_run = time.perf_counter()
    for _ in range(steps):
        t = time.perf_counter()
        m.step()
        step_times.append(time.perf_counter() - t)
        n_ties.append(len(m.ties))
        if time.perf_counter() - t_run > limit:
            break
    held = m.state_nbytes()
    return {
        "init_s": init,
        "step_times": step_times,
        "mean_ties": float(np.mean(n_ties)) if n_ties else float(len(m.ties)),
        "start_ties": float(len(m.ties)),
        "n_items": m.n_items,
        "peak_growth_bytes": _maxrss() - base,
        # What the process held at its peak during the steps, above what it held before
        # the model was made: the state, a step's working arrays and the recorded rows.
        "step_peak_bytes": (_status("VmHWM") - rss_base) if steps_peak and rss_base else None,
        "state_bytes": held["total"],
        "recorded_bytes": held["recorded"],
        "share_aware": m.rows[-1]["share_aware"],
    }


def _run_ndlib(case: str, n: int, steps: int, limit: float, seed: int) -> dict:
    """NDlib's SI model on the case's starting graph (building the graph is not timed)."""
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc
    import networkx as nx

    from sim.model import LearningModel

    sc = scenario(case, n, steps)
    m = LearningModel(sc, rng=seed)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(m.ties.u.tolist(), m.ties.v.tolist(), strict=True))
    sh = sc.sharing
    model = ep.SIModel(g, seed=seed)
    cfg = mc.Configuration()
    cfg.add_model_parameter("beta", (sh.p_notice_min + sh.p_notice_max) / 2)
    cfg.add_model_parameter("fraction_infected", max(float((m.knowledge > 0).any(1).mean()), 1 / n))
    model.set_initial_status(cfg)
    step_times = []
    t_run = time.perf_counter()
    for _ in range(steps):
        t = time.perf_counter()
        model.iteration(node_status=False)
        step_times.append(time.perf_counter() - t)
        if time.perf_counter() - t_run > limit:
            break
    return {"step_times": step_times}


def in_subprocess(case, n, engine, steps, limit, seed) -> dict:
    """`run_one` in a fresh Python process (clean memory high-water mark, own imports)."""
    cmd = [
        sys.executable,
        __file__,
        "--one",
        json.dumps([case, n, engine, steps, limit, seed]),
    ]
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=limit * 4 + 120, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:120]}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------- the table


def table(
    sizes: list[int],
    steps: int,
    limit: float,
    seed: int,
    cases: list[str],
    large: dict[str, list[int]] | None = None,
) -> list[dict]:
    """One row per (case, size); `large` adds sizes per case run with the array engine only."""
    rows: list[dict] = []
    per_tie: dict[tuple[str, int], float] = {}
    for case in cases:
        projected: dict[str, float] = {}  # engine -> per-step seconds at the previous size
        prev_n = None
        more = [n for n in (large or {}).get(case, []) if n not in sizes]
        base: list[float] = []  # `scaling`'s runs at SCALING_BASE beyond the table's own
        for n in [*sizes, *more]:
            if n > SCALING_BASE and SCALING_BASE in sizes:
                base += _base_runs(case, steps, limit, seed)
            arr = in_subprocess(case, n, "array", steps, 10 * limit, seed)
            if "error" in arr:
                rows.append({"case": case, "n_agents": n, "note": f"array: {arr['error']}"})
                continue
            st = arr["step_times"]
            total = sum(st)
            row = {
                "case": case,
                "n_agents": n,
                "n_ties": round(arr["mean_ties"]),
                "steps": len(st),
                "init_s": round(arr["init_s"], 3),
                "run_s": round(total, 3),
                "ns_per_tie_step": round(_ns_per_tie_step(arr), 2),
                "ns_per_agent_step": round(total / len(st) / n * 1e9, 1),
                "peak_bytes_per_agent": round(arr["peak_growth_bytes"] / n, 1),
                "state_bytes_per_agent": round(arr["state_bytes"] / n, 1),
                "recorded_bytes_per_agent": round(arr["recorded_bytes"] / n, 1),
                "target_bytes_per_agent": round(
                    TARGET_PER_AGENT
                    + TARGET_PER_TIE * arr["start_ties"] / n
                    + TARGET_PER_ITEM * arr["n_items"],
                    1,
                ),
            }
            if arr.get("step_peak_bytes") is not None:
                peak, state = arr["step_peak_bytes"], arr["state_bytes"]
                row["step_peak_over_state"] = round(peak / state, 2)
                row["step_peak_net_over_state"] = round((peak - arr["recorded_bytes"]) / state, 2)
            per_tie[case, n] = row["ns_per_tie_step"]
            if n in more:  # only the array engine at the sizes beyond the table's
                rows.append(row)
                print(_line(row), flush=True)
                continue
            for engine, col in (("agents", "vs_reference"), ("ndlib", "vs_ndlib")):
                est = projected.get(engine)
                if est is not None and prev_n and est * (n / prev_n) * steps > limit:
                    row[col] = f"skipped (projected {est * n / prev_n * steps:.0f} s > {limit:g} s)"
                    projected[engine] = est * n / prev_n
                    continue
                other = in_subprocess(case, n, engine, steps, limit, seed)
                if "error" in other:
                    row[col] = other["error"]
                    continue
                k = len(other["step_times"])
                theirs = sum(other["step_times"])
                ours = sum(st[:k])
                projected[engine] = theirs / max(k, 1)
                ratio = theirs / ours if ours > 0 else float("nan")
                row[col] = f"{ratio:.1f}" + ("" if k == len(st) else f" (first {k} steps)")
            prev_n = n
            rows.append(row)
            print(_line(row), flush=True)
        if any(n > SCALING_BASE for n in sizes + more) and SCALING_BASE in sizes:
            base += _base_runs(case, steps, limit, seed)
        _add_scaling([r for r in rows if r["case"] == case], base)
    return rows


def _ns_per_tie_step(run: dict) -> float:
    """A run's step time per tie and step, in ns (`run_one`'s result)."""
    st = run["step_times"]
    return sum(st) / len(st) / max(run["mean_ties"], 1) * 1e9


def _base_runs(case: str, steps: int, limit: float, seed: int, k: int = 3) -> list[float]:
    """ns per tie-step of `k` more runs of a case at `SCALING_BASE` (failed runs left out)."""
    out = []
    for _ in range(k):
        again = in_subprocess(case, SCALING_BASE, "array", steps, 10 * limit, seed)
        if "error" not in again:
            out.append(_ns_per_tie_step(again))
    return out


def _add_scaling(rows: list[dict], more: list[float]) -> None:
    """Set `scaling` on a case's rows: ns per tie-step over its value at `SCALING_BASE`.

    The base is the median of the table's own run at that size and `more`: three runs
    before each larger size and three after the largest, spread over the minutes the case
    takes. The machine's speed drifts by tens of per cent over those minutes (issue 16),
    and a run at 10^4 lasts about a second where one at 10^6 lasts minutes (its mean over
    100 steps averages the drift), so a few short runs would let fast or slow moments
    decide the ratio (the base was three runs until commit abb23e4).
    """
    base = [
        r["ns_per_tie_step"]
        for r in rows
        if r["n_agents"] == SCALING_BASE and "ns_per_tie_step" in r
    ]
    if not base:
        return
    base += more
    mid = statistics.median(base)
    print(
        f"{rows[0]['case']}: scaling base {mid:.2f} ns per tie-step "
        f"(median of {[round(b, 2) for b in base]})",
        flush=True,
    )
    for r in rows:
        if r["n_agents"] > SCALING_BASE and "ns_per_tie_step" in r:
            r["scaling"] = round(r["ns_per_tie_step"] / mid, 2)


def sweep_jobs(n_jobs: int, n_agents: int, steps: int, workers: int, seed: int) -> str:
    """Run the sweep's jobs with `workers` processes here; a digest of every time series."""
    import hashlib

    from sim.experiment.jobs import Job, replication_seeds, run_key
    from sim.experiment.runners import run_jobs

    sc = scenario("weak_ties", n_agents, steps)
    jobs = [Job(0, r, s, run_key(sc, s), sc) for r, s in enumerate(replication_seeds(seed, n_jobs))]
    got = {o.job.replication: o.timeseries for o in run_jobs(jobs, workers=workers)}
    digest = hashlib.sha256()
    for r in sorted(got):
        digest.update(got[r].to_csv(index=False).encode())
    return digest.hexdigest()


def sweep_throughput(
    n_jobs: int, n_agents: int, steps: int, seed: int, cold: bool = True, rounds: int = 2
) -> list[dict]:
    """Jobs per second with 1 and 2 worker processes from a cold start; identical results?

    Each worker count runs in a fresh Python process; `cold`, with an empty kernel cache of
    its own (`LEARNING_TIES_CACHE_DIR`), so the wall time includes starting Python, the
    imports and compiling the kernels, as a user's first sweep does (issue 16, target 5).
    With `rounds` 2 each worker count runs twice, in the order 1, 2, 2, 1, and its wall
    time is the mean of its two runs: the machine's speed drifts by tens of per cent over
    the quarter of an hour this takes, and a drift that is linear in time then weighs on
    both counts alike.
    """
    import tempfile

    order = [1, 2] if rounds == 1 else [1, 2, 2, 1] * (rounds // 2)
    walls: dict[int, list[float]] = {1: [], 2: []}
    digests = set()
    for workers in order:
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
            env = {**os.environ, **({"LEARNING_TIES_CACHE_DIR": cache} if cold else {})}
            arg = json.dumps([n_jobs, n_agents, steps, workers, seed])
            t = time.perf_counter()
            res = subprocess.run(
                [sys.executable, __file__, "--sweep-one", arg],
                capture_output=True, text=True, env=env, check=False,
            )  # fmt: skip
            wall = time.perf_counter() - t
        if res.returncode != 0:
            raise RuntimeError(f"sweep with {workers} workers failed: {res.stderr[-2000:]}")
        digests.add(res.stdout.strip().splitlines()[-1])
        walls[workers].append(wall)
        print(f"sweep: {workers} workers, {wall:.2f} s", flush=True)
    out = []
    for workers in (1, 2):
        wall = statistics.fmean(walls[workers])
        runs = len(walls[workers])
        out.append(
            {
                "case": f"sweep weak_ties n={n_agents} x {steps} steps"
                + (", cold start" if cold else "")
                + (
                    f", mean of {runs} runs (order {'-'.join(map(str, order))})" if runs > 1 else ""
                ),
                "workers": workers,
                "jobs": n_jobs,
                "wall_s": round(wall, 2),
                "jobs_per_s": round(n_jobs / wall, 3),
            }
        )
    out[1]["speedup"] = round(out[1]["jobs_per_s"] / out[0]["jobs_per_s"], 2)
    out[1]["identical_results"] = len(digests) == 1
    return out


COLUMNS = [
    "case",
    "n_agents",
    "n_ties",
    "steps",
    "init_s",
    "run_s",
    "ns_per_tie_step",
    "ns_per_agent_step",
    "peak_bytes_per_agent",
    "state_bytes_per_agent",
    "recorded_bytes_per_agent",
    "target_bytes_per_agent",
    "step_peak_over_state",
    "step_peak_net_over_state",
    "scaling",
    "vs_reference",
    "vs_ndlib",
    "note",
]


def _line(row: dict) -> str:
    return " | ".join(str(row.get(c, "")) for c in COLUMNS)


def markdown(csv: str) -> str:
    """A results CSV as the Markdown tables of the README (speed and memory; sweeps)."""
    import pandas as pd

    df = pd.read_csv(csv, dtype=str).fillna("")
    for c in ("n_agents", "n_ties", "steps", "workers", "jobs"):
        if c in df:
            df[c] = df[c].str.removesuffix(".0")
    runs = df[df["n_agents"] != ""]
    cols = [c for c in COLUMNS if c in runs and runs[c].ne("").any()]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(r[c] for c in cols) + " |" for _, r in runs.iterrows()]
    sweep = df[df["n_agents"] == ""]
    if len(sweep):
        scols = ["case", "workers", "jobs", "wall_s", "jobs_per_s", "speedup", "identical_results"]
        lines += ["", "| " + " | ".join(scols) + " |", "|" + "---|" * len(scols)]
        lines += ["| " + " | ".join(r[c] for c in scols) + " |" for _, r in sweep.iterrows()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10^3 agents, 10 steps: a smoke run")
    ap.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--limit", type=float, default=60.0, help="seconds for a slow engine")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="the CSV written (default: see output_path)")
    ap.add_argument("--markdown", metavar="CSV", help="print a results CSV as Markdown tables")
    ap.add_argument(
        "--large",
        default=",".join(f"{c}:{n}" for c, ns in LARGE.items() for n in ns),
        help="case:size,... run with the array engine only ('' for none)",
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--sweep-one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.markdown:
        print(markdown(args.markdown))
        return
    if args.one:
        print(json.dumps(run_one(*json.loads(args.one))))
        return
    if args.sweep_one:
        print(sweep_jobs(*json.loads(args.sweep_one)))
        return
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    steps, limit = args.steps, args.limit
    sweep = (48, 2000, 1000)
    large: dict[str, list[int]] = {}
    for pair in filter(None, args.large.split(",")):
        case, size = pair.split(":")
        large.setdefault(case, []).append(int(float(size)))
    if args.quick:
        sizes, steps, limit, sweep, large = [1000], 10, 10.0, (2, 200, 10), {}
    cases = args.cases.split(",")
    print(" | ".join(COLUMNS), flush=True)
    rows = table(sizes, steps, limit, args.seed, cases, large)
    sw = sweep_throughput(
        *sweep, seed=args.seed, cold=not args.quick, rounds=1 if args.quick else 2
    )
    for r in sw:
        print(r, flush=True)

    import pandas as pd

    df = pd.concat([pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(sw)], ignore_index=True)
    for c in ("n_agents", "n_ties", "steps", "workers", "jobs"):
        df[c] = df[c].astype("Int64")
    out = output_path(args.out, args.quick)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    print(f"wrote {out} (python {sys.version.split()[0]}, {os.cpu_count()} cores)")


def output_path(out: str | None, quick: bool) -> Path:
    """Where the table goes: `out` if given; else the committed results.csv for a full run
    and results_quick.csv (git-ignored) for a smoke run, which must never replace it."""
    if out is not None:
        return Path(out)
    return ROOT / "benchmarks" / ("results_quick.csv" if quick else "results.csv")


if __name__ == "__main__":
    main()
