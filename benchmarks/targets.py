"""The README's performance tables and issue 16's targets, from the committed benchmark CSVs.

    python benchmarks/targets.py            # print every table the README's Performance quotes

Reads `benchmarks/results.csv` (`bench.py`), `benchmarks/peers.csv` (`peers.py`) and
`benchmarks/cold_start.csv` (`cold_start.py`); runs nothing. `tests/test_benchmarks.py`
checks that the README holds these tables as printed here, so a number in the README is
always the one the scripts last wrote.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench  # noqa: E402  (the module beside this one)

RESULTS = ROOT / "benchmarks" / "results.csv"
PEERS = ROOT / "benchmarks" / "peers.csv"
COLD = ROOT / "benchmarks" / "cold_start.csv"
SHIPPED = bench.SHIPPED
COLD_TARGET, STEP_TARGET, SCALING_TARGET, PEAK_TARGET, SWEEP_TARGET = 2.0, 1.0, 1.3, 1.5, 1.8
SIMPLE_NS, SIMPLE_S, REFERENCE_X = 3.0, 5.0, 100.0  # the first performance issue's


def _power(n: int) -> str:
    """10^k for a power of ten, else the number."""
    k = round(math.log10(n)) if n > 0 else 0
    return f"10^{k}" if 10**k == n else str(n)


def _g(x: float) -> str:
    """Three significant figures."""
    return f"{x:.3g}"


def _met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _met_for(oks: dict[str, bool]) -> str:
    """Met if met for every case; else missed, naming the cases that meet it."""
    if all(oks.values()):
        return _met(True)
    good = [case for case, ok in oks.items() if ok]
    return _met(False) + (f" (met: {', '.join(good)})" if good else "")


def peers_table(path: Path = PEERS) -> str:
    """The independent cascade against the scipy loop and EoN (`peers.csv`)."""
    df = pd.read_csv(path)
    lines = [
        "| learners | ties | simulator: steps (s) | simulator: whole run (s) | scipy loop (s) "
        "| steps / loop | EoN (s) | EoN / steps | final sizes: difference (standard errors) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for _, r in df.iterrows():
        eon = (
            "skipped"
            if pd.isna(pd.to_numeric(r["eon_s"], errors="coerce"))
            else _g(float(r["eon_s"]))
        )
        eon_ratio = "" if pd.isna(r["eon_over_steps"]) else _g(float(r["eon_over_steps"]))
        agree = ("agree" if bool(r["agree"]) else "DIFFER") + f" ({float(r['diff_in_se']):.2f})"
        lines.append(
            f"| {_power(int(r['n_agents']))} | {int(r['n_ties'])} | {_g(r['ours_steps_s'])} "
            f"| {_g(r['ours_run_s'])} | {_g(r['loop_s'])} | {float(r['steps_over_loop']):.2f} "
            f"| {eon} | {eon_ratio} | {agree} |"
        )
    return "\n".join(lines)


def _cold_and_warm(path: Path, tree: str = "working tree") -> dict[int, tuple[float, float]]:
    """Per worker count, largest first: the median wall time on an empty and a warm cache."""
    df = pd.read_csv(path)
    df = df[df["tree"] == tree]
    out = {}
    for workers in sorted(df["workers"].unique(), reverse=True):
        w = df[df["workers"] == workers]
        out[int(workers)] = tuple(
            float(w.loc[w["cache"] == cache, "wall_s"].median()) for cache in ("cold", "warm")
        )
    return out


def cold_start_table(path: Path = COLD) -> str:
    """The README's first command on an empty and on a warm kernel cache (`cold_start.csv`).

    Trees measured beside this one (`cold_start.py --compare-ref REV`) follow, labelled.
    """
    lines = [
        "| `--workers` | empty cache (s) | warm cache (s) | empty / warm |",
        "|---:|---:|---:|---:|",
    ]
    trees = pd.read_csv(path)["tree"].unique().tolist()
    for tree in ["working tree", *(t for t in trees if t != "working tree")]:
        label = "" if tree == "working tree" else f" ({tree})"
        for workers, (cold, warm) in _cold_and_warm(path, tree).items():
            lines.append(f"| {workers}{label} | {cold:.1f} | {warm:.1f} | {cold / warm:.2f} |")
    return "\n".join(lines)


def _runs(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    return df[df["n_agents"].notna()].astype({"n_agents": int})


def targets_table(results: Path = RESULTS, peers: Path = PEERS, cold: Path = COLD) -> str:
    """Issue 16's five targets, what the committed CSVs measured, and whether each is met."""
    runs, sweep = _runs(results), pd.read_csv(results)
    sweep = sweep[sweep["n_agents"].isna() & sweep["speedup"].notna()].iloc[-1]
    p = pd.read_csv(peers)
    rows = []

    ratio = {w: c / h for w, (c, h) in _cold_and_warm(cold).items()}
    text = "; ".join(f"{w} worker{'s' if w > 1 else ''}: {r:.2f}x" for w, r in ratio.items())
    readme_cmd = ratio[max(ratio)]  # the README's command uses every core (2 here)
    rows.append(
        (
            f"1. cold start: the README's first command, empty kernel cache"
            f" <= {COLD_TARGET:g}x warm",
            text,
            _met(readme_cmd <= COLD_TARGET)
            + ("" if all(r <= COLD_TARGET for r in ratio.values()) else " (2 workers; not 1)"),
        )
    )

    over = {int(r["n_agents"]): float(r["steps_over_loop"]) for _, r in p.iterrows()}
    text = "; ".join(f"{_power(n)}: {x:.2f}x the loop" for n, x in over.items())
    rows.append(
        (
            "2. per-step cost: the cascade's steps no slower than a scipy CSR frontier loop, "
            "10^5 and 10^6 learners",
            text,
            _met(all(x <= STEP_TARGET for x in over.values())),
        )
    )

    big = runs[runs["n_agents"] == 1_000_000].set_index("case")
    text = "; ".join(f"{case} {float(big.loc[case, 'scaling']):.2f}" for case in SHIPPED)
    rows.append(
        (
            f"3. scaling: ns per tie-step at 10^6 <= {SCALING_TARGET:g}x at 10^4, "
            "every shipped scenario",
            text,
            _met(all(float(big.loc[case, "scaling"]) <= SCALING_TARGET for case in SHIPPED)),
        )
    )

    cases = ["simple_contagion", *SHIPPED]
    text = "; ".join(
        f"{case} {float(big.loc[case, 'state_bytes_per_agent']):.0f} / "
        f"{float(big.loc[case, 'target_bytes_per_agent']):.0f}"
        for case in cases
    )
    oks = {
        case: bool(
            big.loc[case, "state_bytes_per_agent"] <= big.loc[case, "target_bytes_per_agent"]
        )
        for case in cases
    }
    rows.append(
        (
            "4a. memory: the state kept between steps <= 64 B per learner + 24 B per tie + 4 B "
            "per learner-item (B per learner at 10^6: state / target)",
            text,
            _met_for(oks),
        )
    )
    net = {case: float(big.loc[case, "step_peak_net_over_state"]) for case in cases}
    text = "; ".join(
        f"{case} {net[case]:.2f} ({float(big.loc[case, 'step_peak_over_state']):.2f} with the "
        "recorded outputs)"
        for case in cases
    )
    rows.append(
        (
            f"4b. memory: the peak during the steps <= {PEAK_TARGET:g}x the state (at 10^6; "
            "less the outputs recorded, in brackets with them)",
            text,
            _met_for({case: x <= PEAK_TARGET for case, x in net.items()}),
        )
    )
    huge = runs[runs["n_agents"] >= 10_000_000]
    if len(huge):
        r = huge.iloc[0]
        done = int(r["steps"]) == 100 and pd.isna(r.get("note"))
        text = (
            f"{r['case']} at {_power(int(r['n_agents']))} learners, {int(r['n_ties'])} ties: "
            f"setup {float(r['init_s']):.1f} s, 100 steps {float(r['run_s']):.1f} s, "
            f"state {float(r['state_bytes_per_agent']) * r['n_agents'] / 2**30:.1f} GiB"
        )
    else:
        done, text = False, "not run"
    rows.append(
        ("4c. a 10^7-learner simple-contagion run of 100 steps completes", text, _met(done))
    )

    speedup = float(sweep["speedup"])
    rows.append(
        (
            f"5. sweeps: 2 workers >= {SWEEP_TARGET:g}x the throughput of 1, compiling included",
            f"{speedup:.2f}x ({int(sweep['jobs'])} jobs), identical results: "
            f"{sweep['identical_results']}",
            _met(speedup >= SWEEP_TARGET),
        )
    )
    lines = ["| target | measured | result |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def earlier_targets_table(results: Path = RESULTS) -> str:
    """The first performance issue's targets that still stand, from `results.csv`."""
    runs = _runs(results)
    simple = runs[runs["case"] == "simple_contagion"].set_index("n_agents")
    sizes = [n for n in (10_000, 100_000, 1_000_000) if n in simple.index]
    per_tie = {n: float(simple.loc[n, "ns_per_tie_step"]) for n in sizes}
    rows = [
        (
            f"simple contagion: at most {SIMPLE_NS:g} ns per tie-step, 10^4 to 10^6 agents",
            "; ".join(f"{_power(n)}: {x:.2f} ns" for n, x in per_tie.items()),
            _met(all(x <= SIMPLE_NS for x in per_tie.values())),
        )
    ]
    if 1_000_000 in simple.index:
        r = simple.loc[1_000_000]
        total = float(r["init_s"]) + float(r["run_s"])
        rows.append(
            (
                f"simple contagion: 10^6 agents x 100 steps under {SIMPLE_S:g} s",
                f"{float(r['run_s']):.2f} s of steps + {float(r['init_s']):.2f} s setup = "
                f"{total:.1f} s",
                _met(total < SIMPLE_S),
            )
        )
    at = runs[(runs["n_agents"] == 10_000) & runs["case"].isin(SHIPPED)].set_index("case")
    ratios = {c: str(at.loc[c, "vs_reference"]) for c in SHIPPED if c in at.index}
    numbers = {c: float(v.split()[0]) for c, v in ratios.items() if v[:1].isdigit()}
    verdict = _met(all(x >= REFERENCE_X for x in numbers.values()))
    if len(numbers) < len(ratios):
        verdict += " where measured"
    rows.append(
        (
            f"full model: at least {REFERENCE_X:g}x the reference engine at 10^4 agents",
            "; ".join(
                f"{c} {v.replace(' ', 'x ', 1) if c in numbers and ' ' in v else v}"
                + ("x" if c in numbers and " " not in v else "")
                for c, v in ratios.items()
            ),
            verdict,
        )
    )
    lines = ["| target | measured | result |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main() -> None:
    """Print every table of the README's Performance section."""
    print(bench.markdown(str(RESULTS)))
    print()
    print(targets_table())
    print()
    print(earlier_targets_table())
    print()
    print(cold_start_table())
    print()
    print(peers_table())


if __name__ == "__main__":
    main()
