"""Cold start: the README's first command with an empty kernel cache, against a warm one.

    python benchmarks/cold_start.py                        # about 2 minutes on 2 cores
    python benchmarks/cold_start.py --compare-ref HEAD     # and the same for a git revision
    python benchmarks/cold_start.py --replications 4 --steps 50   # shorter runs

Each measurement is one fresh ``python run.py scenarios/weak_ties.yaml --out <tmp>`` process
(wall-clock time of the whole command: imports, compiling or loading the kernels, the runs,
tables and figures), with 1 worker and with 2 workers (``--workers``; the command without it
uses every core, 2 on the machine the README quotes). "cold" runs with an empty temporary
kernel cache (``LEARNING_TIES_CACHE_DIR``, and ``NUMBA_CACHE_DIR`` for revisions before
`sim.kernel_cache`), "warm" runs right after it on the same cache. The table is printed and
written to `benchmarks/cold_start.csv` (`--out`), with cold / warm per worker count (issue 16
target 1: at most 2) and whether the cold run printed its one-line notice.

``--compare-ref REV`` measures the same for the tree of a git revision (``git archive``
into a temporary folder, run with this Python), e.g. the commit before a change; ``--tree
DIR`` measures another checkout instead of this one; ``--repeats N`` measures everything N
times, the trees alternating. Times are
wall-clock on whatever else the machine is doing: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/weak_ties.yaml"
NOTICE = "compiling the simulator's kernels"
COLUMNS = [
    "tree",
    "repeat",
    "workers",
    "cache",
    "wall_s",
    "cold_over_warm",
    "notice",
    "returncode",
    "load_avg",
    "command",
]


def _checkout(ref: str, into: Path) -> Path:
    """The tree of git revision `ref`, extracted into `into` (no change to the repository)."""
    archive = into / "tree.tar"
    with open(archive, "wb") as f:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref], stdout=f, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def run_command(tree: Path, workers: int, cache: Path, out: Path, extra: list[str]) -> dict:
    """One ``run.py`` process in `tree` with the kernel cache in `cache`; its wall time."""
    cmd = [sys.executable, "run.py", SCENARIO, "--out", str(out), "--workers", str(workers)]
    cmd += extra
    env = {**os.environ, "LEARNING_TIES_CACHE_DIR": str(cache), "NUMBA_CACHE_DIR": str(cache)}
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return {
        "wall_s": round(wall, 2),
        "notice": NOTICE in done.stderr,
        "returncode": done.returncode,
        "load_avg": round(os.getloadavg()[0], 2),
        "command": " ".join(["python", *cmd[1:3], "--out", "<tmp>", *cmd[5:]]),
    }


def measure(
    tree: Path, label: str, workers_list: list[int], extra: list[str], repeat: int = 0
) -> list[dict]:
    """Cold then warm, per worker count, each on a new empty cache."""
    rows = []
    for workers in workers_list:
        with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
            cache, out = Path(tmp) / "cache", Path(tmp) / "out"
            pair = {}
            for state in ("cold", "warm"):
                row = {"tree": label, "repeat": repeat, "workers": workers, "cache": state}
                row |= run_command(tree, workers, cache, out, extra)
                pair[state] = row["wall_s"]
                rows.append(row)
                print(" | ".join(str(row.get(c, "")) for c in COLUMNS), flush=True)
            rows[-1]["cold_over_warm"] = round(pair["cold"] / pair["warm"], 2)
    return rows


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    ap.add_argument("--replications", type=int, help="run.py --replications (default: 10)")
    ap.add_argument("--steps", type=int, help="run.py --steps (default: the scenario's 200)")
    ap.add_argument("--compare-ref", metavar="REV", help="also measure this git revision")
    ap.add_argument("--repeats", type=int, default=1, help="measure everything this many times")
    ap.add_argument(
        "--tree", type=Path, default=ROOT, help="the checkout measured first (default: this one)"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "cold_start.csv")
    args = ap.parse_args(argv)
    extra = []
    if args.replications:
        extra += ["--replications", str(args.replications)]
    if args.steps:
        extra += ["--steps", str(args.steps)]
    workers = [int(w) for w in args.workers.split(",")]
    print(" | ".join(COLUMNS), flush=True)
    label = "working tree" if args.tree.resolve() == ROOT else str(args.tree)
    with tempfile.TemporaryDirectory(prefix="cold-start-ref-") as tmp:
        trees = [(args.tree.resolve(), label)]
        if args.compare_ref:
            sha = subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", "--short", args.compare_ref],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            trees.append((_checkout(args.compare_ref, Path(tmp)), f"{args.compare_ref} ({sha})"))
        rows = []
        for repeat in range(args.repeats):  # alternating, so that load falls on each alike
            for tree, name in trees:
                rows += measure(tree, name, workers, extra, repeat)

    import pandas as pd

    df = pd.DataFrame(rows, columns=COLUMNS)
    print()
    print(df.to_string(index=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False)
    print(f"wrote {args.out} (python {sys.version.split()[0]}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
