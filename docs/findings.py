"""Every number and figure of docs/findings.md, computed from the committed code.

    python docs/findings.py            # run the comparison and print the page's blocks
    python docs/findings.py --write    # ... write them into docs/findings.md, figures too
    python docs/findings.py --check    # ... exit 1 with a diff if the page is stale

It runs the six scenarios of the page (the four shipped setups and two controls) on common
seeds, 40 replications each, in memory (and the misinformation and losing-interest
comparisons of docs/findings_misinformation.py), then reruns the first 10 replications of two
of them to keep their final tie networks for the removal analysis (Onnela et al. 2007): the same
seeds, hence the same runs; and it runs the shipped sensitivity sweep
(scenarios/sweeps/closed_community_sensitivity.yaml, Morris screening) in memory. Each
block of the page (see docs/pages.py) is a table and the
claims read from it. A claim is checked when the block is made: if the numbers no longer
support it, the script stops and names it, so the prose has to be rewritten here, not on
the page. tests/test_docs_pages.py runs ``--check``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))

import findings_misinformation as misinformation  # noqa: E402
import pages  # noqa: E402
from pages import number as _num  # noqa: E402
from pages import signed as _signed  # noqa: E402

from sim import api  # noqa: E402
from sim.analysis import compare_plots, comparisons  # noqa: E402
from sim.analysis import stats as analysis  # noqa: E402
from sim.analysis.structure import removal_curve  # noqa: E402
from sim.engines import make_model  # noqa: E402
from sim.experiment.jobs import replication_seeds, start_network  # noqa: E402
from sim.scenario import load_experiment, load_scenario  # noqa: E402

PAGE = ROOT / "docs" / "findings.md"
IMAGES = ROOT / "docs" / "images"
SCENARIOS = {
    "social_network": "scenarios/social_network.yaml",
    "weak_ties": "scenarios/weak_ties.yaml",
    "hybrid": "scenarios/hybrid.yaml",
    "hybrid_own_interests": "scenarios/controls/hybrid_own_interests.yaml",
    "closed_community": "scenarios/closed_community.yaml",
    "closed_community_own_interests": "scenarios/controls/closed_community_own_interests.yaml",
}
"""The page's scenarios, baseline first (the paired differences are against it)."""
BASELINE = "social_network"
SETUPS = ["social_network", "weak_ties", "hybrid", "closed_community"]
"""The four shipped setups (the controls appear in section 2 only)."""
REPLICATIONS = 40
REMOVAL_REPLICATIONS = 10
REMOVAL_SCENARIOS = ["closed_community", "weak_ties"]
REMOVAL_AT = [0.2, 0.4, 0.6, 0.8]
TIE_STEPS = [0, 25, 50, 100, 150, 200]
SENSITIVITY_SWEEP = ROOT / "scenarios/sweeps/closed_community_sensitivity.yaml"
SENSITIVITY_OUTCOMES = ["share_aware", "mean_depth", "share_deep", "share_gain_via_weak"]
"""The outcomes of the sensitivity block's table (the sweep analyses more)."""


class StaleClaim(AssertionError):
    """A claim of the page that the numbers no longer support."""


class Numbers:
    """The comparison's per-replication summary, with the page's ways of quoting it."""

    def __init__(self, summary: pd.DataFrame, ts: pd.DataFrame) -> None:
        self.summary = summary
        self.ts = ts
        self._diffs: dict[str, pd.DataFrame] = {}

    def part(self, scenario: str) -> pd.DataFrame:
        """One scenario's rows of the summary (one per replication)."""
        return self.summary[self.summary["scenario"] == scenario]

    def mean(self, scenario: str, column: str) -> float:
        """Mean of a column over a scenario's replications."""
        return float(self.part(scenario)[column].astype(float).mean())

    def describe(self, scenario: str, column: str) -> pd.Series:
        """`sim.analysis.stats.describe` of one column of one scenario."""
        return analysis.describe(self.part(scenario), [column]).loc[column]

    def ci(self, scenario: str, column: str, digits: int = 3) -> str:
        """Mean [95 % t interval] over replications, or the Kaplan-Meier median for times."""
        d = self.describe(scenario, column)
        n = len(self.part(scenario))
        if column.startswith("time_to_"):
            reached = int(d["n_reached"])
            if reached == 0:
                return f"never (0 of {n} runs)"
            med = _num(d["km_median"], digits)
            if pd.isna(d["km_median"]):
                return f"median not reached ({reached} of {n} runs reached it)"
            cell = f"{med} [{_num(d['km_ci_lo'], digits)}, {_num(d['km_ci_hi'], digits)}]"
            return cell if reached == n else f"{cell}, {reached} of {n} runs"
        if int(d["n"]) == 0:
            return "- (level never reached)"
        if d["sd"] == 0:
            return _num(d["mean"], digits)  # every replication gave the same value
        cell = f"{_num(d['mean'], digits)} [{_num(d['ci_lo'], digits)}, {_num(d['ci_hi'], digits)}]"
        return cell if int(d["n"]) == n else f"{cell} (n = {int(d['n'])})"

    def diff(self, scenario: str, column: str, baseline: str = BASELINE) -> pd.Series:
        """The paired difference scenario - baseline of a column (see paired_differences)."""
        if baseline not in self._diffs:
            self._diffs[baseline] = comparisons.paired_differences(
                self.summary, baseline=baseline, columns=OUTCOMES
            )
        d = self._diffs[baseline]
        rows = d[(d["scenario"] == scenario) & (d["column"] == column)]
        return rows.iloc[0]

    def diff_text(self, scenario: str, column: str, baseline: str = BASELINE) -> str:
        """The paired difference and its 95 % t interval, e.g. "+0.570 [0.555, 0.584]"."""
        r = self.diff(scenario, column, baseline)
        return f"{_signed(r['difference'])} [{_signed(r['ci_lo'])}, {_signed(r['ci_hi'])}]"

    def excludes_zero(self, scenario: str, column: str, baseline: str = BASELINE) -> bool:
        """The difference survives Holm's adjustment over the outcomes of the comparison."""
        return bool(self.diff(scenario, column, baseline)["p_holm"] < 0.05)


OUTCOMES = [
    "share_aware",
    "mean_depth",
    "share_deep",
    "redundancy_total",
    "redundancy_to_50",
    "knowledge_overlap_weak",
    "knowledge_overlap_strong",
    "share_novel_via_weak",
    "share_gain_via_weak",
    "total_gain_via_help",
    "total_gain_via_sharing",
    "share_aware__facts",
    "share_aware__practices",
    "time_to_50",
]
"""The outcomes whose paired differences the page quotes: one Holm family per scenario."""


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def claim(holds: bool, text: str) -> str:
    """A bullet of the page, only if the numbers support it (else `StaleClaim`)."""
    if not holds:
        raise StaleClaim(f"not supported by the numbers, rewrite it in docs/findings.py: {text}")
    return "- " + " ".join(text.split())


def table(n: Numbers, scenarios: list[str], columns: list[str], head: dict[str, str]) -> str:
    """A Markdown table: one row per scenario, a quoted cell per column."""
    rows = [{"scenario": f"`{s}`", **{head[c]: n.ci(s, c) for c in columns}} for s in scenarios]
    return pages.markdown(rows, ["scenario", *[head[c] for c in columns]])


# ---------------------------------------------------------------------------------------------
# Computing


def compare(workers: int) -> Numbers:
    """Run the six scenarios on common seeds (in memory) and gather their tables."""
    res = api.compare_scenarios(
        [ROOT / p for p in SCENARIOS.values()],
        replications=REPLICATIONS,
        out=None,
        workers=workers,
    )
    return Numbers(res.summary, res.timeseries)


def saved(folder: Path) -> Numbers:
    """A results folder of the same comparison (``run.py compare`` of `SCENARIOS`)."""
    summary = pd.read_csv(folder / "summary.csv")
    ts = pd.read_parquet(folder / "timeseries.parquet")
    counts = summary.groupby("scenario", sort=False)["replication"].nunique()
    if list(counts.index) != list(SCENARIOS) or set(counts) != {REPLICATIONS}:
        raise SystemExit(
            f"{folder}: not a comparison of {list(SCENARIOS)} with {REPLICATIONS} replications "
            f"each (found {counts.to_dict()})"
        )
    return Numbers(summary, ts)


def removal(replications: int) -> pd.DataFrame:
    """Removal curves of the final tie networks of `REMOVAL_SCENARIOS`, first replications."""
    frames = []
    for name in REMOVAL_SCENARIOS:
        sc = load_scenario(ROOT / SCENARIOS[name])
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


def tie_trajectory(ts: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Mean weak and strong tie counts and ties formed so far at `TIE_STEPS`."""
    part = ts[ts["scenario"] == scenario].sort_values(["replication", "step"]).copy()
    part["ties_formed_so_far"] = part.groupby("replication")["ties_formed"].cumsum()
    cols = ["n_weak_ties", "n_strong_ties", "mean_strength", "ties_formed_so_far"]
    return part[part["step"].isin(TIE_STEPS)].groupby("step")[cols].mean()


def removal_means(curves: pd.DataFrame) -> pd.DataFrame:
    """Mean share_largest_component per scenario, order and removed share in `REMOVAL_AT`."""
    at = curves.assign(fraction_removed=curves["fraction_removed"].round(4))
    at = at[at["fraction_removed"].isin(REMOVAL_AT)]
    tab = at.groupby(["scenario", "order", "fraction_removed"])["share_largest_component"]
    return tab.mean().unstack("fraction_removed")


def figures(n: Numbers, curves: pd.DataFrame) -> None:
    """The page's figures, into docs/images/."""
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        written = compare_plots.plot_compare(n.ts, tmp, order=list(SCENARIOS))
        for path in written:
            Path(path).replace(IMAGES / f"findings_{Path(path).name}")
    compare_plots.plot_outcomes(n.summary, IMAGES / "findings_outcomes.png", order=list(SCENARIOS))
    compare_plots.plot_removal(
        curves,
        IMAGES / "findings_removal.png",
        title="Final tie network: remove ties weakest- or strongest-first",
    )


def sensitivity(workers: int) -> pd.DataFrame:
    """Run the shipped sensitivity sweep in memory; its indices (``sensitivity.csv``)."""
    res = api.run_sweep(SENSITIVITY_SWEEP, out=None, workers=workers, progress=False)
    assert res.sensitivity is not None
    return res.sensitivity


def sensitivity_figure(table: pd.DataFrame) -> None:
    """The sensitivity figure of share_deep, into docs/images/."""
    from sim.analysis.sensitivity import plot_sensitivity

    plot_sensitivity(table, "share_deep", "morris", IMAGES / "findings_sensitivity.png")


# ---------------------------------------------------------------------------------------------
# The blocks of the page (each a table and the claims read from it)

Block = Callable[[Numbers, pd.DataFrame], str]
BLOCKS: dict[str, Block] = {}


def block(name: str) -> Callable[[Block], Block]:
    """Register a function as the writer of the page's block `name` (page order)."""

    def register(f: Block) -> Block:
        BLOCKS[name] = f
        return f

    return register


def _ratio_text(a: float, b: float) -> str:
    return f"{a / b:.1f}"


@block("spread")
def spread_block(n: Numbers, _: pd.DataFrame) -> str:
    """Final spread and Kaplan-Meier times to 50 % and 90 %, four setups."""
    head = {
        "share_aware": "final `share_aware`",
        "time_to_50": "`time_to_50` (days)",
        "time_to_90": "`time_to_90` (days)",
    }
    km = {s: n.describe(s, "time_to_50") for s in SETUPS}
    fastest = sorted(
        (s for s in SETUPS if km[s]["n_reached"] > 0), key=lambda s: km[s]["km_median"]
    )
    sn, wt, cc = (
        n.mean(s, "share_aware") for s in ("social_network", "weak_ties", "closed_community")
    )
    return "\n".join(
        [
            table(n, SETUPS, list(head), head),
            "",
            claim(
                fastest[0] == "hybrid" and km["social_network"]["n_reached"] == 0,
                f"""**The hybrid spreads fastest; the social network slowest by far**: half of
                all (learner, item) pairs are aware after a median of
                {_num(km["hybrid"]["km_median"])} days in `hybrid`, and never within the
                {int(n.part("social_network")["last_step"].max())} days in `social_network`.
                Against `social_network`, the paired difference in final spread is
                {n.diff_text("hybrid", "share_aware")} for `hybrid`,
                {n.diff_text("closed_community", "share_aware")} for `closed_community` and
                {n.diff_text("weak_ties", "share_aware")} for `weak_ties`.""",
            ),
            claim(
                wt / sn > 2 and n.excludes_zero("weak_ties", "share_aware"),
                f"""**Six times as many weak bridges more than double the final spread**
                ({_num(sn)} to {_num(wt)}): in `social_network` knowledge mostly stays in the
                circle where it starts. Granovetter's point, for these items; it leans on the
                bridges being *added* to intact circles of friends, and on a simple item
                passing in one noticed exposure.""",
            ),
            claim(
                km["closed_community"]["km_ci_hi"] < km["weak_ties"]["km_ci_lo"] and cc > wt,
                f"""**A community where everyone can ask everyone spreads knowledge faster than
                bridges between circles**, although it starts without a single tie: median
                {_num(km["closed_community"]["km_median"])} against
                {_num(km["weak_ties"]["km_median"])} days to half. This leans on members asking
                the whole community and finding stored answers (`p_find` 0.8), which are
                assumptions of the community space, not outcomes.""",
            ),
        ]
    )


@block("structure")
def structure_block(n: Numbers, _: pd.DataFrame) -> str:
    """Paired effects of structure and of the shared interest, via the controls."""
    columns = ["share_aware", "mean_depth", "share_deep", "redundancy_total", "total_gain_via_help"]
    cc, cco = "closed_community", "closed_community_own_interests"
    hy, hyo = "hybrid", "hybrid_own_interests"
    rows = [
        {
            "outcome": f"`{c}`",
            "structure: `cc_own` - `social_network`": n.diff_text(cco, c),
            "interest: `closed_community` - `cc_own`": n.diff_text(cc, c, cco),
            "structure: `hybrid_own` - `social_network`": n.diff_text(hyo, c),
            "interest: `hybrid` - `hybrid_own`": n.diff_text(hy, c, hyo),
        }
        for c in columns
    ]
    share = {
        c: n.diff(cc, c, cco)["difference"] / n.diff(cc, c)["difference"]
        for c in ("share_aware", "mean_depth", "share_deep")
    }
    return "\n".join(
        [
            pages.markdown(rows),
            "",
            "(`cc_own`: `closed_community_own_interests`; `hybrid_own`: `hybrid_own_interests`.)",
            "",
            claim(
                all(0 < v < 0.25 for v in share.values()),
                f"""**The closed community's lead over the social network is structural**: of its
                paired difference from `social_network`, the shared interest accounts for
                {_pct(share["share_aware"])} in final spread, {_pct(share["mean_depth"])} in
                mean depth and {_pct(share["share_deep"])} in the share of deep pairs; the rest
                remains when members share no interest (`cc_own`). "Structure" here is the
                whole community space (everyone may ask everyone, a searchable history,
                meeting strangers, ties formed by use) against circles of friends.""",
            ),
            claim(
                n.excludes_zero(cc, "share_deep", cco)
                and n.excludes_zero(cc, "total_gain_via_help", cco),
                f"""**A shared interest deepens learning a little**:
                {n.diff_text(cc, "share_deep", cco)} in the share of deep pairs, through more help
                ({n.diff_text(cc, "total_gain_via_help", cco)} units of mastery). It leans on
                learners asking only about the items of their topics, so that a shared topic
                gives each question more members able to answer it.""",
            ),
            claim(
                not n.excludes_zero(hy, "share_aware", hyo),
                f"""**In the hybrid, where 30 % of learners are members, the shared interest
                does not change the spread** ({n.diff_text(hy, "share_aware", hyo)}, not
                distinguishable from 0 after Holm's adjustment); grafting the community on the
                circles does ({n.diff_text(hyo, "share_aware")}).""",
            ),
        ]
    )


@block("depth")
def depth_block(n: Numbers, _: pd.DataFrame) -> str:
    """Final depth and the mastery gained by help and by sharing."""
    head = {
        "mean_depth": "final `mean_depth`",
        "share_deep": "final `share_deep`",
        "total_gain_via_help": "total `gain_via_help`",
        "total_gain_via_sharing": "total `gain_via_sharing`",
    }
    deep = {s: n.mean(s, "share_deep") for s in SETUPS}
    return "\n".join(
        [
            table(n, SETUPS, list(head), head),
            "",
            claim(
                max(deep, key=deep.get) == "closed_community",
                f"""**The closed community learns deepest**: {_pct(deep["closed_community"])} of
                (learner, item) pairs deep against {_pct(deep["social_network"])} in the social
                network (difference {n.diff_text("closed_community", "share_deep")}). Its depth
                comes from pull: help gave {_num(n.mean("closed_community", "total_gain_via_help"))}
                units of mastery there, {_num(n.mean("social_network", "total_gain_via_help"))}
                in the social network.""",
            ),
            claim(
                not n.excludes_zero("weak_ties", "mean_depth")
                and n.excludes_zero("weak_ties", "share_deep"),
                f"""**More weak bridges spread knowledge but barely deepen it**: `weak_ties` -
                `social_network` in `mean_depth` is {n.diff_text("weak_ties", "mean_depth")}
                (not distinguishable from 0), in `share_deep`
                {n.diff_text("weak_ties", "share_deep")}.""",
            ),
            "- Both lean on the assumption that an answer (`deep_rate` 0.6) closes more of the "
            "gap than a noticed share (`surface_rate` 0.2), as the model specifies; which setup "
            "*produces* many answers is emergent.",
        ]
    )


@block("redundancy")
def redundancy_block(n: Numbers, _: pd.DataFrame) -> str:
    """Redundancy over the run and the spreading phase; overlap across ties."""
    head = {
        "redundancy_total": "`redundancy_total`",
        "redundancy_to_50": "`redundancy_to_50`",
        "knowledge_overlap_weak": "final `knowledge_overlap_weak`",
        "knowledge_overlap_strong": "final `knowledge_overlap_strong`",
    }
    red = {s: n.mean(s, "redundancy_total") for s in SETUPS}
    order = sorted(SETUPS, key=red.get)
    overlap = {
        s: (n.mean(s, "knowledge_overlap_strong"), n.mean(s, "knowledge_overlap_weak"))
        for s in SETUPS
    }
    return "\n".join(
        [
            table(n, SETUPS, list(head), head),
            "",
            claim(
                order[0] == "closed_community"
                and order[-1] == "hybrid"
                and n.excludes_zero("hybrid", "redundancy_total")
                and n.excludes_zero("closed_community", "redundancy_total"),
                f"""**Redundancy is lowest in the closed community and highest in the hybrid**:
                against `social_network`, {n.diff_text("closed_community", "redundancy_total")}
                and {n.diff_text("hybrid", "redundancy_total")} in the share of exposures
                that reached a learner who already knew the item. More bridges do not change
                it ({n.diff_text("weak_ties", "redundancy_total")}). Over the spreading phase
                alone (`redundancy_to_50`, up to the day half the pairs are aware) the
                community is lowest as well. A likely reason, not tested here: a share
                reaches every tie, and in dense circles the same item reaches the same people
                many times, while an answer goes to the one who asked.""",
            ),
            claim(
                all(s > w for s, w in overlap.values()),
                f"""**In every setup the two ends of a strong tie know more of the same things
                than the two ends of a weak tie** (seed 000 comment: "strong ties share your
                views"): {_num(overlap["social_network"][0])} against
                {_num(overlap["social_network"][1])} in the social network,
                {_num(overlap["weak_ties"][0])} against {_num(overlap["weak_ties"][1])} with more
                bridges. This is emergent: no rule makes strong ties start with similar
                knowledge; it arises in the run.""",
            ),
        ]
    )


@block("weak-ties")
def weak_ties_block(n: Numbers, _: pd.DataFrame) -> str:
    """The weak ties' share of novel exposures and of mastery gained over ties."""
    head = {
        "share_novel_via_weak": "`share_novel_via_weak`",
        "share_gain_via_weak": "`share_gain_via_weak`",
        "total_novel_exposures_weak": "novel exposures, weak ties",
        "total_novel_exposures_strong": "novel exposures, strong ties",
    }
    novel = {s: n.mean(s, "share_novel_via_weak") for s in SETUPS}
    gain = {s: n.mean(s, "share_gain_via_weak") for s in SETUPS}
    strong = {s: n.mean(s, "total_novel_exposures_strong") for s in SETUPS}
    per_kind = {
        "p_novel_weak": "`p_novel_weak`",
        "p_novel_strong": "`p_novel_strong`",
        "redundancy_total_weak": "`redundancy_total_weak`",
        "redundancy_total_strong": "`redundancy_total_strong`",
    }
    p_weak = {s: n.mean(s, "p_novel_weak") for s in SETUPS}
    p_strong = {s: n.mean(s, "p_novel_strong") for s in SETUPS}
    sn, cc = "social_network", "closed_community"
    return "\n".join(
        [
            table(n, SETUPS, list(head), head),
            "",
            "(`share_novel_via_weak`: novel exposures over weak ties / all novel exposures over "
            "ties, over the run; `share_gain_via_weak`: mastery gained over weak ties / gained "
            "over weak and strong ties.)",
            "",
            claim(
                all(novel[s] > 1.5 * gain[s] for s in SETUPS),
                f"""**Weak ties carry a larger share of novelty than of learning**, in every
                setup: in the social network {_pct(novel["social_network"])} of novel exposures
                but {_pct(gain["social_network"])} of the mastery gained over ties; in the
                closed community, where most ties are young and weak,
                {_pct(novel["closed_community"])} against {_pct(gain["closed_community"])}.
                This matches "weak ties bring novelty, strong ties depth" (seed 000 comment),
                but it leans directly on the assumption that attention and bandwidth grow with
                tie strength (`p_notice_*`, `bandwidth_*`): a consequence of the specification,
                not evidence for it.""",
            ),
            claim(
                not n.excludes_zero("weak_ties", "share_novel_via_weak")
                and strong["weak_ties"] > 2 * strong["social_network"],
                f"""**Adding bridges does not raise the weak-tie share of novelty**
                ({n.diff_text("weak_ties", "share_novel_via_weak")}): the bridges bring items
                into a circle sooner, and then the circle's strong ties spread them,
                {_ratio_text(strong["weak_ties"], strong["social_network"])} times as many novel
                exposures over strong ties.""",
            ),
            "",
            "Per exposure, by tie kind (`p_novel_<kind>`: novel exposures / exposures over ties "
            "of that kind, over the run; `redundancy_total_<kind>`: redundant exposures / "
            "exposures over them):",
            "",
            table(n, SETUPS, list(per_kind), per_kind),
            "",
            claim(
                all(p_weak[s] > 1.5 * p_strong[s] for s in SETUPS),
                f"""**An exposure over a weak tie is more often novel than one over a strong
                tie**, in every setup: {_pct(p_weak[sn])} against {_pct(p_strong[sn])} in the
                social network, {_pct(p_weak[cc])} against {_pct(p_strong[cc])} in the closed
                community. This is Granovetter's argument measured per exposure, and it does
                not lean on attention growing with strength (that changes how many exposures
                a tie carries, not what they bring): it comes from where the ties are, strong
                ones inside circles that already share what they know.""",
            ),
        ]
    )


@block("ties")
def ties_block(n: Numbers, _: pd.DataFrame) -> str:
    """Tie counts over time in the community; strong ties in the social network."""
    traj = tie_trajectory(n.ts, "closed_community")
    rows = [
        {
            "day": int(step),
            "`n_weak_ties`": f"{r.n_weak_ties:.0f}",
            "`n_strong_ties`": f"{r.n_strong_ties:.0f}",
            "`mean_strength`": "-" if pd.isna(r.mean_strength) else f"{r.mean_strength:.2f}",
            "ties formed so far": f"{r.ties_formed_so_far:.0f}",
        }
        for step, r in traj.iterrows()
    ]
    sn = tie_trajectory(n.ts, "social_network")
    last, first = sn.index.max(), sn.index.min()
    end = traj.loc[traj.index.max()]
    strong_share = end.n_strong_ties / (end.n_strong_ties + end.n_weak_ties)
    return "\n".join(
        [
            "Mean over replications, `closed_community`:",
            "",
            pages.markdown(rows),
            "",
            claim(
                traj.loc[25, "n_strong_ties"] < 5 < traj.loc[50, "n_strong_ties"]
                and traj.loc[last, "n_strong_ties"] > traj.loc[100, "n_strong_ties"],
                f"""**Ties grow none → weak → strong** (seed 001), with no rule saying so
                beyond "use strengthens, disuse decays": the first strong ties appear after
                about a month, and by day {int(last)} {end.n_strong_ties:.0f} of the
                {end.n_strong_ties + end.n_weak_ties:.0f} ties ({_pct(strong_share)}) are
                strong.""",
            ),
            claim(
                sn.loc[last, "n_strong_ties"] < 0.7 * sn.loc[first, "n_strong_ties"],
                f"""**In the social network the opposite happens**: unused strong ties decay to
                weak ({sn.loc[first, "n_strong_ties"]:.0f} strong at the start,
                {sn.loc[last, "n_strong_ties"]:.0f} at the end). With this `decay` (0.005 per
                day) and these activity levels, learning traffic alone does not maintain a
                circle of friends; the conclusion moves with `ties.decay`, which the sweep
                `scenarios/sweeps/closed_community_decay_budget.yaml` varies.""",
            ),
        ]
    )


@block("help")
def help_block(n: Numbers, _: pd.DataFrame) -> str:
    """Questions, answers by peers and answers found in the repository."""
    head = {
        "total_questions": "questions",
        "total_answers": "answers by peers",
        "total_repository_hits": "answers found in the repository",
    }
    head |= {
        "gini_answers_given": "Gini of answers given",
        "top10_share_answers_given": "answers given by the top 10 %",
    }
    cc, sn = "closed_community", "social_network"
    hits = n.mean(cc, "total_repository_hits") / n.mean(cc, "total_questions")
    top = {s: n.mean(s, "top10_share_answers_given") for s in SETUPS}
    return "\n".join(
        [
            table(n, SETUPS, list(head), head),
            "",
            claim(
                hits > 0.5
                and n.mean(cc, "total_repository_hits") > 5 * n.mean(cc, "total_answers"),
                f"""**One answer serves many** (seed 001 comments): in the closed community
                {_pct(hits)} of the questions were answered from the repository, and peers
                gave {_num(n.mean(cc, "total_answers"))} answers. In the social network, with
                no repository, peers gave {_num(n.mean(sn, "total_answers"))} answers to
                {_num(n.mean(sn, "total_questions"))} questions. This leans on `p_find` (0.8):
                how easily a stored answer is found is an assumption.""",
            ),
            claim(
                all(top[s] > 0.5 for s in SETUPS),
                f"""**A few learners do most of the helping** (the "super users" of a seed's
                comment): the top tenth of the learners gave between
                {_pct(min(top.values()))} and {_pct(max(top.values()))} of the peer answers
                in every setup. It leans on who can answer: only learners at
                `help.able_threshold` mastery who know more than the asker, so helping
                follows the concentration of knowledge, and on the spread of
                `helpfulness`.""",
            ),
        ]
    )


@block("removal")
def removal_block(n: Numbers, curves: pd.DataFrame) -> str:
    """Largest component as ties are removed weakest- or strongest-first."""
    means = removal_means(curves)
    rows = [
        {
            "scenario": f"`{s}`",
            "order": o,
            **{str(f): f"{means.loc[(s, o), f]:.3f}" for f in REMOVAL_AT},
        }
        for s, o in means.index
    ]
    at = REMOVAL_AT[-1]
    cc = means.loc["closed_community"][at]
    wt = means.loc["weak_ties"][at]
    return "\n".join(
        [
            f"Final tie networks of the first {curves['replication'].nunique()} replications; "
            "`share_largest_component` after removing a share of the ties:",
            "",
            pages.markdown(rows),
            "",
            claim(
                wt["strong_first"] < wt["weak_first"],
                f"""**In `weak_ties`, removing the *strong* ties first breaks the network
                sooner** ({_num(wt["strong_first"])} of learners stay connected after removing
                the strongest {_pct(at)}, {_num(wt["weak_first"])} after removing the weakest),
                against the static picture of Granovetter and Onnela et al. After 200 days the
                bridges that carried new items were used and strengthened, while unused ties
                inside circles decayed: in this model, useful bridges do not stay weak. It
                leans on use strengthening a tie (`strengthen_rate`) and disuse decaying it
                (`decay`).""",
            ),
            claim(
                0 < cc["strong_first"] - cc["weak_first"] < 0.1,
                f"""**In the community the weak ties hold it together slightly more**, as
                Granovetter and Onnela et al. would expect, but the effect is small: after
                removing {_pct(at)} of the ties, {_num(cc["weak_first"])} of learners stay
                connected weakest-first, {_num(cc["strong_first"])} strongest-first.""",
            ),
        ]
    )


@block("item-classes")
def item_classes_block(n: Numbers, _: pd.DataFrame) -> str:
    """Final spread of simple facts and complex practices."""
    head = {
        "share_aware__facts": "final `share_aware__facts`",
        "share_aware__practices": "final `share_aware__practices`",
    }
    wt, sn = (n.mean(s, "share_aware__practices") for s in ("weak_ties", "social_network"))
    return "\n".join(
        [
            table(n, SETUPS, list(head), head),
            "",
            claim(
                n.excludes_zero("weak_ties", "share_aware__practices") and wt > 2 * sn,
                f"""**Extra bridges helped complex practices too** ({_num(wt)} against
                {_num(sn)}), against what one might read from Centola & Macy (2007). Two
                reasons, both visible in the rules: the bridges here are *added* to intact
                circles (Centola & Macy's long ties *replace* local ones, destroying the
                clustering that complex contagion needs), and help answers are not subject to
                the two-source threshold. `docs/validation.md` shows the model does reproduce
                the loss of complex spread under rewiring.""",
            ),
        ]
    )


def _index(table: pd.DataFrame, outcome: str, parameter: str, index: str = "mu_star") -> pd.Series:
    rows = table[
        (table["outcome"] == outcome)
        & (table["parameter"] == parameter)
        & (table["index"] == index)
    ]
    return rows.iloc[0]


# long: one table and five claims, each reading its own numbers
def sensitivity_block(table: pd.DataFrame) -> str:
    """Morris screening of six community parameters (the shipped sensitivity sweep)."""
    params = list(dict.fromkeys(table.loc[table["index"] == "mu_star", "parameter"]))
    rows = [
        {
            "parameter": f"`{p}`",
            **{
                f"`{o}`": (f"{_num(r['value'], 2)} [{_num(r['ci_lo'], 2)}, {_num(r['ci_hi'], 2)}]")
                for o in SENSITIVITY_OUTCOMES
                for r in [_index(table, o, p)]
            },
        }
        for p in params
    ]
    noise = table[table["index"] == "noise_share"].set_index("outcome")["value"]
    mu = {o: {p: _index(table, o, p) for p in params} for o in SENSITIVITY_OUTCOMES}
    top = {o: max(params, key=lambda p, o=o: mu[o][p]["value"]) for o in SENSITIVITY_OUTCOMES}
    least = {o: min(params, key=lambda p, o=o: mu[o][p]["value"]) for o in SENSITIVITY_OUTCOMES}
    decay, budget = "ties.decay", "population.time_budget"
    depth = ["mean_depth", "share_deep"]
    ask = "help.p_ask"
    strengthen = "ties.strengthen_rate"
    repo = "community.repository"
    sigma_ratio = [
        _index(table, o, p, "sigma")["value"] / mu[o][p]["value"]
        for o in SENSITIVITY_OUTCOMES
        for p in params
        if mu[o][p]["value"] > 0
    ]
    share_interacting = sum(r > 0.5 for r in sigma_ratio) / len(sigma_ratio)
    sweep = load_experiment(SENSITIVITY_SWEEP)
    return "\n".join(
        [
            "`mu_star` (mean absolute elementary effect of moving a parameter across its whole "
            "range, in the outcome's unit; 95 % interval with replication noise), "
            f"{len(params)} parameters, {len(sweep.points)} points x "
            f"{sweep.base.replications} replications:",
            "",
            pages.markdown(rows),
            "",
            claim(
                float(noise.max()) < 0.1,
                f"""**The parameters, not chance, drive these outcomes**: at most
                {_pct(float(noise.max()))} of any outcome's variance lies between replications
                of a point (`noise_share`), so three replications per point are enough to
                rank the parameters.""",
            ),
            claim(
                all(least[o] == decay for o in depth)
                and all(mu[o][decay]["ci_hi"] < mu[o][ask]["ci_lo"] for o in depth),
                f"""**How fast unused ties fade matters least for depth** over the range swept
                (`ties.decay` from 0.001 to 0.02 per step): its `mu_star` for `mean_depth` is
                {_num(mu["mean_depth"][decay]["value"], 2)}, against
                {_num(mu["mean_depth"][ask]["value"], 2)} for how often learners ask
                (`help.p_ask`). In a community that keeps ties through help, depth comes from
                asking and being answered, not from how long a tie lasts.""",
            ),
            claim(
                top["share_aware"] == repo
                and least["share_aware"] == budget
                and mu["share_aware"][repo]["ci_lo"] > mu["share_aware"][budget]["ci_hi"],
                f"""**The searchable history matters most for how far knowledge spreads**
                (`community.repository`: `mu_star` {_num(mu["share_aware"][repo]["value"], 2)}
                for `share_aware`), and the time budget least
                ({_num(mu["share_aware"][budget]["value"], 2)}, its interval reaching 0 or
                close to it): one stored answer reaches every member who searches. It leans on
                `p_find` (0.8).""",
            ),
            claim(
                top["share_gain_via_weak"] == strengthen
                and all(
                    mu["share_gain_via_weak"][strengthen]["ci_lo"]
                    > mu["share_gain_via_weak"][p]["ci_hi"]
                    for p in params
                    if p != strengthen
                ),
                f"""**Whether gains come over weak or strong ties is set by how fast ties
                strengthen** (`ties.strengthen_rate`: `mu_star`
                {_num(mu["share_gain_via_weak"][strengthen]["value"], 2)} for
                `share_gain_via_weak`, every other parameter's interval below it): the tie mix
                is a consequence of the strengthening rule, so a claim about weak-tie learning
                in this model is a claim about `strengthen_rate`.""",
            ),
            claim(
                share_interacting > 0.5,
                f"""**The effects depend on each other**: for {_pct(share_interacting)} of the
                parameter-outcome pairs, `sigma` (how much a parameter's effect varies with
                the others) is more than half its `mu_star`. A one-at-a-time sweep around
                `closed_community`'s values would misstate them; the Sobol' design
                (`method: sobol_indices`) separates first-order from total effects.""",
            ),
        ]
    )


def make_blocks(n: Numbers, curves: pd.DataFrame, sens: pd.DataFrame) -> dict[str, str]:
    """The blocks of sections 1-9 (`misinformation_blocks` writes sections 10 and 11)."""
    out = {name: f(n, curves) for name, f in BLOCKS.items()}
    out["sensitivity"] = sensitivity_block(sens)
    return out


def misinformation_blocks(workers: int, main: pd.DataFrame | None = None) -> dict[str, str]:
    """The blocks of sections 10 and 11 (docs/findings_misinformation.py).

    Args:
        workers: processes for the comparisons.
        main: the main comparison's summary, whose first replications are the runs without
            stifling; None: they are run here (the same seeds, so the same runs).
    """
    mis = misinformation.compare_misinformation(workers)
    stifling = misinformation.compare_stifling(main, workers)
    return {
        "misinformation": misinformation.misinformation_block(mis, claim),
        "stifling": misinformation.stifling_block(stifling, claim),
    }


def main(argv: list[str] | None = None) -> int:
    """Compute the blocks, then print, write (with figures) or check them."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write the page and its figures")
    mode.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    p.add_argument("--workers", type=int, default=2, help="processes for the comparison")
    p.add_argument(
        "--from",
        dest="folder",
        type=Path,
        help="use a saved comparison of the six scenarios (40 replications) instead of running it",
    )
    args = p.parse_args(argv)
    n = compare(args.workers) if args.folder is None else saved(args.folder)
    curves = removal(REMOVAL_REPLICATIONS)
    sens = sensitivity(args.workers)
    blocks = make_blocks(n, curves, sens) | misinformation_blocks(args.workers, n.summary)
    if args.write:
        figures(n, curves)
        sensitivity_figure(sens)
    if args.write or args.check:
        return pages.write_or_check(PAGE, blocks, check=args.check)
    for name, text in blocks.items():
        print(f"<!-- {name} -->\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
