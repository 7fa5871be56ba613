"""The misinformation and losing-interest sections of docs/findings.md (issue 13).

Imported by docs/findings.py, which writes and checks the page. Two comparisons on common
seeds, run in memory:

- the four setups with the same myths seeded (scenarios/misinformation.yaml, the closed
  community, is the baseline; scenarios/misinformation/ holds the other three and the
  community without policing), `REPLICATIONS` each;
- each shipped setup with losing interest (`sharing.p_stifle` at `P_STIFLE`), paired with the
  same replications without it from the page's main comparison.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "docs") not in sys.path:
    sys.path.insert(0, str(ROOT / "docs"))

from pages import number as _num  # noqa: E402
from pages import signed as _signed  # noqa: E402

from sim import api  # noqa: E402
from sim.analysis import comparisons  # noqa: E402
from sim.analysis import stats as analysis  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

MISINFORMATION = {
    "misinformation": "scenarios/misinformation.yaml",
    "misinformation_unpoliced": "scenarios/misinformation/unpoliced.yaml",
    "social_network_misinformation": "scenarios/misinformation/social_network.yaml",
    "weak_ties_misinformation": "scenarios/misinformation/weak_ties.yaml",
    "hybrid_misinformation": "scenarios/misinformation/hybrid.yaml",
}
"""The comparison's scenarios, baseline (the policed closed community) first."""
SETUP_OF = {
    "misinformation": "closed_community",
    "misinformation_unpoliced": "closed_community, unpoliced",
    "social_network_misinformation": "social_network",
    "weak_ties_misinformation": "weak_ties",
    "hybrid_misinformation": "hybrid",
}
OTHERS = ["social_network_misinformation", "weak_ties_misinformation", "hybrid_misinformation"]
REPLICATIONS = 10
OUTCOMES = [
    "peak_share_misinformed",
    "share_misinformed",
    "kept_share_misinformed",
    "share_aware__facts",
    "share_deep__facts",
]
STIFLING_SETUPS = ["social_network", "weak_ties", "hybrid", "closed_community"]
P_STIFLE = 0.5
STIFLING_OUTCOMES = ["redundancy_total", "total_exposures", "share_aware", "share_deep"]


class Compared:
    """A comparison's summary, with its paired differences from the baseline."""

    def __init__(self, summary: pd.DataFrame, baseline: str, outcomes: list[str]) -> None:
        self.summary = summary
        self.baseline = baseline
        self.diffs = comparisons.paired_differences(summary, baseline=baseline, columns=outcomes)

    def part(self, scenario: str) -> pd.DataFrame:
        """One scenario's rows (one per replication)."""
        return self.summary[self.summary["scenario"] == scenario]

    def mean(self, scenario: str, column: str) -> float:
        """Mean of a column over a scenario's replications."""
        return float(self.part(scenario)[column].astype(float).mean())

    def ci(self, scenario: str, column: str, digits: int = 3) -> str:
        """Mean [95 % t interval] over the replications."""
        d = analysis.describe(self.part(scenario), [column]).loc[column]
        if d["sd"] == 0:
            return _num(d["mean"], digits)
        return f"{_num(d['mean'], digits)} [{_num(d['ci_lo'], digits)}, {_num(d['ci_hi'], digits)}]"

    def diff(self, scenario: str, column: str, baseline: str | None = None) -> pd.Series:
        """The paired difference scenario - baseline (default: the comparison's baseline)."""
        d = self.diffs
        if baseline is not None and baseline != self.baseline:
            d = comparisons.paired_differences(self.summary, baseline=baseline, columns=[column])
        return d[(d["scenario"] == scenario) & (d["column"] == column)].iloc[0]

    def diff_text(self, scenario: str, column: str, baseline: str | None = None) -> str:
        """The paired difference and its 95 % t interval, e.g. "+0.540 [+0.502, +0.578]"."""
        r = self.diff(scenario, column, baseline)
        return f"{_signed(r['difference'])} [{_signed(r['ci_lo'])}, {_signed(r['ci_hi'])}]"

    def above(self, scenario: str, column: str, baseline: str | None = None) -> bool:
        """`scenario` minus the baseline is positive and its interval excludes 0 (Holm)."""
        r = self.diff(scenario, column, baseline)
        return bool(r["difference"] > 0 and r["p_holm"] < 0.05)

    def below(self, scenario: str, column: str, baseline: str | None = None) -> bool:
        """`scenario` minus the baseline is negative and its interval excludes 0 (Holm)."""
        r = self.diff(scenario, column, baseline)
        return bool(r["difference"] < 0 and r["p_holm"] < 0.05)


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def compare_misinformation(workers: int) -> Compared:
    """The five misinformation scenarios on common seeds (in memory)."""
    res = api.compare_scenarios(
        [ROOT / p for p in MISINFORMATION.values()],
        replications=REPLICATIONS,
        out=None,
        workers=workers,
    )
    s = res.summary.copy()
    # How much of its peak each run still held at the end (how long the myths lived).
    s["kept_share_misinformed"] = s["share_misinformed"] / s["peak_share_misinformed"]
    return Compared(s, "misinformation", OUTCOMES)


def compare_stifling(main: pd.DataFrame | None, workers: int) -> dict[str, Compared]:
    """Each shipped setup without and with losing interest, on common seeds (in memory).

    Replication r of every compared scenario runs on the same seed whatever the number of
    replications (`replication_seeds`), so the first `REPLICATIONS` of the page's main
    comparison (`main`, its summary) are the runs without stifling; given it, only the runs
    with stifling run here, else both.
    """
    paths = [ROOT / "scenarios" / f"{setup}.yaml" for setup in STIFLING_SETUPS]
    on = [
        load_scenario(path, [f"sharing.p_stifle={P_STIFLE}", f"name={setup}_stifling"])
        for setup, path in zip(STIFLING_SETUPS, paths, strict=True)
    ]
    runs = on if main is not None else [*paths, *on]
    res = api.compare_scenarios(runs, replications=REPLICATIONS, out=None, workers=workers)
    main = res.summary if main is None else main
    out = {}
    for setup in STIFLING_SETUPS:
        off = main[(main["scenario"] == setup) & (main["replication"] < REPLICATIONS)]
        with_ = res.summary[res.summary["scenario"] == f"{setup}_stifling"]
        assert list(off["seed"]) == list(with_["seed"]), "the pairs must share their seeds"
        both = pd.concat([off, with_], ignore_index=True)
        out[setup] = Compared(both, setup, STIFLING_OUTCOMES)
    return out


# ---------------------------------------------------------------------------------------------
# The blocks (`claim` is docs/findings.py's: a bullet, only if the numbers support it)

HEAD = {
    "peak_share_misinformed": "peak `share_misinformed`",
    "share_misinformed": "final `share_misinformed`",
    "kept_share_misinformed": "final / peak",
    "share_aware__facts": "final `share_aware__facts`",
    "share_deep__facts": "final `share_deep__facts`",
}
CHANNELS = {
    "total_corrections_tie": "over a tie",
    "total_corrections_community": "by the community",
    "total_corrections_repository": "from the repository",
    "total_misconceptions_displaced": "displaced",
    "total_withdrawn_answers": "answers withdrawn",
}


def _table(c: Compared, columns: dict[str, str], digits: int = 3) -> str:
    rows = [
        {"setup": f"`{SETUP_OF[s]}`", **{h: c.ci(s, col, digits) for col, h in columns.items()}}
        for s in ["social_network_misinformation", *OTHERS[1:], *list(MISINFORMATION)[:2]]
    ]
    head = "| setup | " + " | ".join(columns.values()) + " |"
    lines = [head, "|" + "---|" * (len(columns) + 1)]
    lines += ["| " + " | ".join(str(v) for v in r.values()) + " |" for r in rows]
    return "\n".join(lines)


def misinformation_block(c: Compared, claim) -> str:
    """Where the myths travel furthest and live longest; whether policing stops them."""
    sn, wt, hy = OTHERS
    closed, unpoliced = "misinformation", "misinformation_unpoliced"
    peak = {s: c.mean(s, "peak_share_misinformed") for s in MISINFORMATION}
    kept = {s: c.mean(s, "kept_share_misinformed") for s in MISINFORMATION}
    ranked = sorted([sn, wt, hy, closed], key=peak.get, reverse=True)
    pairs = zip(ranked, ranked[1:], strict=False)
    adjacent = all(c.above(a, "peak_share_misinformed", baseline=b) for a, b in pairs)
    repo = c.mean(closed, "total_corrections_repository")
    all_corr = sum(c.mean(closed, k) for k in list(CHANNELS)[:3])
    order = ", then ".join(f"`{SETUP_OF[s]}` ({_num(peak[s])})" for s in ranked)
    return "\n".join(
        [
            f"Mean [95 % t interval] over {REPLICATIONS} replications on common seeds:",
            "",
            _table(c, HEAD),
            "",
            "Corrections and withdrawals over the run (totals per replication):",
            "",
            _table(c, CHANNELS, 4),
            "",
            claim(
                ranked[0] == wt and ranked[-1] == closed and adjacent,
                f"""**The myths travelled furthest where weak ties abound, and least in the
                policed community.** Peak share of (learner, myth) pairs held: {order}; each
                step of that order is a paired difference whose interval excludes 0 (Holm).
                The bridges that carry facts across circles carry myths as well: a share does
                not know it is wrong.""",
            ),
            claim(
                kept[sn] > 0.99
                and kept[wt] > 0.99
                and c.below(hy, "kept_share_misinformed", sn)
                and c.above(hy, "share_deep__facts", sn),
                f"""**Without a community a myth, once held, stays held.** At step 200 the
                social network and the weak-tie network still held {_pct(kept[sn])} and
                {_pct(kept[wt])} of their peak: correction over ties alone hardly dents it,
                because few learners hold a fact deeply there (final `share_deep__facts`
                {_num(c.mean(sn, "share_deep__facts"))} and {_num(c.mean(wt, "share_deep__facts"))})
                and only they correct. The hybrid, whose members learn deeper (final
                `share_deep__facts` {_num(c.mean(hy, "share_deep__facts"))}), kept
                {_pct(kept[hy])} (paired difference from the social network
                {c.diff_text(hy, "kept_share_misinformed", sn)}).""",
            ),
            claim(
                c.above(unpoliced, "share_misinformed")
                and c.above(unpoliced, "share_misinformed", baseline=sn),
                f"""**The closed community's searchable history stops a myth only because it
                is corrected.** The same community without flagging ended with
                {c.diff_text(unpoliced, "share_misinformed")} more of its (learner, myth) pairs
                misinformed than with it ({_num(c.mean(unpoliced, "share_misinformed"))}
                against {_num(c.mean(closed, "share_misinformed"))}), more than the social
                network ({c.diff_text(unpoliced, "share_misinformed", sn)}): an unpoliced
                repository serves a wrong answer to everyone who looks the question up, as it
                serves a right one. Policed, {_pct(repo / all_corr)} of its corrections
                ({_num(repo)} of {_num(all_corr)} a run) came from the repository, where
                corrections had replaced withdrawn answers.""",
            ),
        ]
    )


def stifling_block(st: dict[str, Compared], claim) -> str:
    """How losing interest changes redundancy, exposures and spread in the shipped setups."""
    rows = []
    for setup, c in st.items():
        on = f"{setup}_stifling"
        rows.append(
            f"| `{setup}` | {c.ci(setup, 'redundancy_total')} | {c.ci(on, 'redundancy_total')} | "
            f"{c.diff_text(on, 'total_exposures')} | {c.diff_text(on, 'share_aware')} |"
        )
    cut = {s: 1 - c.mean(f"{s}_stifling", "total_exposures") / c.mean(s, "total_exposures")
           for s, c in st.items()}  # fmt: skip
    fewer_redundant = [s for s, c in st.items() if c.below(f"{s}_stifling", "redundancy_total")]
    more_redundant = [s for s, c in st.items() if c.above(f"{s}_stifling", "redundancy_total")]
    less_spread = all(c.below(f"{s}_stifling", "share_aware") for s, c in st.items())
    return "\n".join(
        [
            f"`sharing.p_stifle: {P_STIFLE}` against 0, {REPLICATIONS} replications on common "
            "seeds (mean [95 % t interval]; differences paired):",
            "",
            "| setup | `redundancy_total` without | with | difference in `total_exposures` "
            "| difference in final `share_aware` |",
            "|---|---|---|---|---|",
            *rows,
            "",
            claim(
                all(c.below(f"{s}_stifling", "total_exposures") for s, c in st.items()),
                f"""**Losing interest cuts the exposures by {_num(100 * min(cut.values()), 2)}
                to {_num(100 * max(cut.values()), 2)} %** in the four setups: a sharer may
                stop at its first share that reaches a learner aware of the item at all (even
                one who knows less), and over a 200-day run that share comes early for most
                items.""",
            ),
            claim(
                len(fewer_redundant) == 3 and more_redundant == ["closed_community"],
                f"""**It cuts redundancy in three setups
                ({", ".join(f"`{s}`" for s in fewer_redundant)}) but not in the closed
                community**, where the share of redundant exposures rises: there the exposures
                that stifling removes were more often novel than the ones it leaves. Why
                (members start without ties and meet through the community) is not settled by
                this comparison.""",
            ),
            claim(
                less_spread,
                """**It costs spread everywhere:** the final share aware falls in every setup
                (last column). Sharers who meet one knowing learner stop for good, even when
                most of their ties never heard, so a rule that removes redundancy also removes
                reach. Seed 002's "knowledge comes and goes" reads here as a trade-off, not a
                free saving.""",
            ),
        ]
    )
