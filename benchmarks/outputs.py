"""Benchmark: what the side tables (ties, groups, learners) cost a run.

    python benchmarks/outputs.py              # weak_ties at 10^4 learners, 5 repeats
    python benchmarks/outputs.py --repeats 2  # quicker

Issue 12's target: recording and writing the per-run outputs costs under 10 % of a run's
time at 10^4 learners. For `weak_ties` with 10^4 learners in groups of 20 (mean degree
about 10, 500 groups), 200 steps, each repeat times one replication with the per-group and
per-learner outputs off (`metrics.groups` and `metrics.learners` false; the final tie
snapshot taken) and one with them on (the default). What recording them costs is timed
inside the second run, around the code that does it (each step's group rows, the
per-learner tally, the learner and groups tables at the end): the difference of the two
run times is shown too, but on this machine it varies by more than the cost itself. Then
each side table of the second run is written as its run file and gathered into
``<table>.parquet``. The table gives the fastest of the repeats. Wall-clock: run it on an
idle machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLES = ("ties", "groups", "learners")


def measure(repeats: int) -> dict[str, float]:
    """Fewest seconds of a run without and with the outputs, and of writing each table."""
    from sim.analysis.files import write_table
    from sim.experiment import side_tables
    from sim.experiment.jobs import run_replication
    from sim.experiment.storage import ResultsFolder
    from sim.scenario import load_scenario

    base = ["population.n_agents=10000", "network.n_groups=500"]
    path = ROOT / "scenarios/weak_ties.yaml"
    off = load_scenario(path, [*base, "metrics.groups=false", "metrics.learners=false"])
    on = load_scenario(path, base)
    spent = _time_recording()
    parts: dict[str, list[float]] = {"off": [], "on": [], "recording": []}
    parts |= {f"write {t}": [] for t in TABLES} | {f"gather {t}": [] for t in TABLES}
    rows: dict[str, int] = {}
    run_replication(off, 0, 1)  # compile the kernels outside the timings
    for rep in range(repeats):
        t0 = time.perf_counter()
        run_replication(off, 0, 1 + rep, side={})
        parts["off"].append(time.perf_counter() - t0)
        side: dict[str, list[pd.DataFrame]] = {}
        spent[0] = 0.0
        t0 = time.perf_counter()
        run_replication(on, 0, 1 + rep, side=side)
        parts["on"].append(time.perf_counter() - t0)
        parts["recording"].append(spent[0])
        with tempfile.TemporaryDirectory() as tmp:
            folder = ResultsFolder.create(Path(tmp), "x")
            runs = pd.DataFrame({"point": [0], "replication": [0], "seed": [1], "key": ["a"]})
            for table in TABLES:
                frame = pd.concat(side[table], ignore_index=True)
                rows[table] = len(frame)
                t0 = time.perf_counter()
                write_table(folder.side_path(table, "a"), frame, {"sim.key": "a"})
                parts[f"write {table}"].append(time.perf_counter() - t0)
            folder.write_run("a", pd.DataFrame({"step": [0]}), {t: side[t][0] for t in TABLES})
            for table in TABLES:
                t0 = time.perf_counter()
                side_tables.consolidate(folder, table, runs, None)
                parts[f"gather {table}"].append(time.perf_counter() - t0)
    out = {k: min(v) for k, v in parts.items()}
    out |= {f"rows {t}": n for t, n in rows.items()}
    return out


def _time_recording() -> list[float]:
    """Wrap the code that records groups and learners in timers; their total, in a list."""
    import sim.model
    from sim.metrics.learners import LearnerTally

    spent = [0.0]

    def timed(f):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t0

        return wrapper

    for name in ("group_step", "groups_table", "learner_table"):
        setattr(sim.model, name, timed(getattr(sim.model, name)))
    LearnerTally.add = timed(LearnerTally.add)
    return spent


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    m = measure(args.repeats)
    recording = m["recording"]
    writing = sum(m[f"write {t}"] + m[f"gather {t}"] for t in TABLES)
    lines = [
        ("run, groups and learners off", f"{m['off']:.2f} s"),
        ("run, groups and learners on", f"{m['on']:.2f} s"),
        ("recording them (timed inside the run)", f"{1e3 * recording:.0f} ms"),
    ]
    for t in TABLES:
        lines.append(
            (
                f"write + gather {t} ({m[f'rows {t}']:,} rows)",
                f"{1e3 * m[f'write {t}']:.1f} + {1e3 * m[f'gather {t}']:.1f} ms",
            )
        )
    share = 100 * (recording + writing) / m["off"]
    lines.append(("outputs' share of the run", f"{share:.1f} %  (target < 10 %)"))
    print(f"weak_ties, 10^4 learners, 200 steps, fastest of {args.repeats} repeats")
    for name, value in lines:
        print(f"  {name:<40} {value}")


if __name__ == "__main__":
    main()
