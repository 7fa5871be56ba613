"""The array engine (`sim.model`) and the per-agent reference engine (`sim.reference`) agree.

Exactly where the rules leave nothing to chance (every tiny-graph test of test_model.py runs
again on the reference engine), and in distribution on every shipped scenario at small size.
"""

import inspect
from pathlib import Path

import numpy as np
import pytest
import test_model
from scipy import stats

from sim.engines import make_model
from sim.experiment.jobs import run_replication
from sim.metrics.kernels import item_stats
from sim.model import LearningModel
from sim.reference import ReferenceLearner, ReferenceModel
from sim.rules.forgetting import forget, forget_in_place
from sim.scenario import Engine, load_scenario
from sim.world.tie_index import build_index
from sim.world.ties import pair_keys

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["social_network", "closed_community", "weak_ties", "hybrid"]
SMALL = ["population.n_agents=80", "network.n_groups=8", "steps=30"]

# ----------------------------------------------------------------------------- exact

EXACT = [
    name
    for name, f in inspect.getmembers(test_model, inspect.isfunction)
    if name.startswith("test_") and not inspect.signature(f).parameters
]


@pytest.mark.parametrize("name", EXACT)
def test_reference_engine_passes_the_exact_rule_tests(name, monkeypatch):
    monkeypatch.setattr(test_model, "LearningModel", ReferenceModel)
    monkeypatch.setattr(
        test_model,
        "model",
        lambda sc, network, seed=1: ReferenceModel(sc, rng=seed, start_network=network),
    )
    getattr(test_model, name)()


def test_engine_field_selects_the_reference_engine():
    sc = load_scenario(ROOT / "scenarios" / "weak_ties.yaml", SMALL + ["engine=agents"])
    assert sc.engine == Engine.AGENTS
    m = make_model(sc, rng=1)
    assert type(m) is ReferenceModel
    assert len(m.agents) == 80 and all(isinstance(a, ReferenceLearner) for a in m.agents)
    ts = run_replication(sc, 0, 3)
    assert len(ts) == 31
    # The array engine (or a subclass of it) never runs such a scenario silently.
    with pytest.raises(ValueError, match="engine: agents: LearningModel runs engine array"):
        LearningModel(sc, rng=1)

    class MyModel(LearningModel):
        pass

    with pytest.raises(ValueError, match="MyModel runs engine array"):
        MyModel(sc, rng=1)


def test_array_engine_creates_its_mesa_agents_on_first_access():
    sc = load_scenario(ROOT / "scenarios" / "weak_ties.yaml", SMALL)
    m = LearningModel(sc, rng=1)
    assert type(m) is LearningModel
    m.step()
    assert len(m.agents) == 80
    assert [a.index for a in m.learners] == list(range(80))
    assert m.agent_types == [m.learner_class]


# ----------------------------------------------------------------------------- in distribution

SUMMARY = {
    # final stocks
    "share_aware": lambda ts: ts["share_aware"].iloc[-1],
    "mean_depth": lambda ts: ts["mean_depth"].iloc[-1],
    "share_deep": lambda ts: ts["share_deep"].iloc[-1],
    "n_strong_ties": lambda ts: ts["n_strong_ties"].iloc[-1],
    "n_weak_ties": lambda ts: ts["n_weak_ties"].iloc[-1],
    # run totals of the flows
    "exposures": lambda ts: ts["exposures"].sum(),
    "redundant_exposures": lambda ts: ts["redundant_exposures"].sum(),
    "novel_exposures": lambda ts: (ts["novel_exposures_weak"] + ts["novel_exposures_strong"]).sum(),
    "questions": lambda ts: ts["questions"].sum(),
    "answers": lambda ts: ts["answers"].sum(),
    "repository_hits": lambda ts: ts["repository_hits"].sum(),
    "ties_formed": lambda ts: ts["ties_formed"].sum(),
    "gain_via_weak": lambda ts: ts["gain_via_weak"].sum(),
    "gain_via_strong": lambda ts: ts["gain_via_strong"].sum(),
    "gain_via_community": lambda ts: ts["gain_via_community"].sum(),
    "knowledge_lost": lambda ts: ts["knowledge_lost"].sum(),
    # split by tie kind (the last case below splits a counted total at random: hypergeometric)
    "exposures_strong": lambda ts: ts["exposures_strong"].sum(),
    "redundant_exposures_strong": lambda ts: ts["redundant_exposures_strong"].sum(),
    "budget_cut": lambda ts: (
        ts[["budget_cut_weak", "budget_cut_strong", "budget_cut_community"]].sum().sum()
    ),
    "gini_answers_given": lambda ts: ts["gini_answers_given"].iloc[-1],
}

# Every shipped scenario, plus the two other sharing policies on weak_ties (the shipped files
# all broadcast).
# The last case is the simple-contagion special case, where the array engine counts
# redundant exposures instead of listing them and switches to visiting learners ("pull").
CASES = [(name, []) for name in SHIPPED] + [
    ("weak_ties", ["sharing.policy=gossip", "sharing.partner=strength", "sharing.p_share=0.2"]),
    ("weak_ties", ["sharing.policy=cascade", "sharing.p_share=0.8"]),
    (
        "weak_ties",
        [
            "population.time_budget=null",
            "ties.enabled=false",
            "forgetting.enabled=false",
            "help.enabled=false",
            "sharing.p_notice_min=0.3",
            "sharing.p_notice_max=0.3",
            "sharing.p_share=0.5",
            "learning.surface_rate=1.0",
            "learning.bandwidth_min=1.0",
            "knowledge.item_classes.0.complexity=0.0",
            "knowledge.item_classes.1.complexity=0.0",
        ],
    ),
]
N_ARRAY, N_AGENTS = 100, 40  # replications per engine (the array engine is the cheap one)

# Significance. Under the null hypothesis (both engines draw from the same distribution) each
# two-sample Kolmogorov-Smirnov test below rejects with probability at most alpha_test. With
# C = len(CASES) * len(SUMMARY) = 140 comparisons, Bonferroni's inequality bounds the chance
# that any of them rejects (a spurious failure of this test) by C * alpha_test; we want that
# family-wise rate at 1 %, so alpha_test = 0.01 / C = 7.1e-5. The tolerance this implies on
# the largest gap between the two empirical CDFs, from the asymptotic KS distribution
# P(D > d) ~ 2 exp(-2 d^2 n m / (n + m)), is
#     d = sqrt(ln(2 / alpha_test) / 2) * sqrt((n + m) / (n m)) = 2.26 * 0.187 = 0.42
# for n = 100 and m = 40 replications: it shrinks as 1 / sqrt(replications). A bias in a rule
# large enough to move the median of a metric by about one standard deviation shifts the CDF
# gap by ~0.38 (normal metrics: 2 Phi(1/2) - 1), 1.5 sd by ~0.55: this reliably catches a bias
# of more than about 1.5 sd (a rule missing, applied twice or to the wrong side), not subtle ones;
# more replications tighten it (the seeds are fixed, so the test is deterministic either way).
# Metrics constant in both samples (e.g. repository hits without a community) must then be
# equal exactly.
ALPHA_FAMILY = 0.01
ALPHA_TEST = ALPHA_FAMILY / (len(CASES) * len(SUMMARY))


def _summaries(name: str, extra: list[str], engine: str, n: int, first_seed: int) -> dict:
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml", SMALL + extra + [f"engine={engine}"])
    out: dict[str, list[float]] = {k: [] for k in SUMMARY}
    for seed in range(first_seed, first_seed + n):
        ts = run_replication(sc, 0, seed)
        for k, f in SUMMARY.items():
            out[k].append(float(f(ts)))
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize(
    ("name", "extra"), CASES, ids=[f"{n}-{'-'.join(e) or 'shipped'}" for n, e in CASES]
)
def test_engines_agree_in_distribution(name, extra):
    # Independent seeds for the two engines: the samples must be independent.
    a = _summaries(name, extra, "array", N_ARRAY, first_seed=1000)
    b = _summaries(name, extra, "agents", N_AGENTS, first_seed=50_000)
    problems = []
    for k in SUMMARY:
        x, y = a[k], b[k]
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]
        if len(x) == 0 or len(y) == 0:  # undefined (e.g. no answers without help seeking)
            if len(x) + len(y):
                problems.append(f"{k}: defined in one engine only")
            continue
        if np.ptp(np.concatenate([x, y])) == 0:
            continue  # the same constant in both
        p = stats.ks_2samp(x, y).pvalue
        if p < ALPHA_TEST:
            problems.append(f"{k}: array {x.mean():.4g} vs agents {y.mean():.4g} (KS p = {p:.2g})")
    assert not problems, "; ".join(problems)


# ----------------------------------------------------------------------------- compiled kernels


def test_compiled_index_equals_a_lexsort_of_both_directions():
    # Random ties with a few hubs, so that rows longer than the insertion-sort limit occur.

    rng = np.random.default_rng(4)
    n = 300
    a = np.concatenate([rng.integers(0, n, 3000), np.zeros(200, dtype=np.int64)])
    b = rng.integers(0, n, len(a))
    keys = np.unique(pair_keys(a[a != b], b[a != b], n))
    u, v = keys // n, keys % n
    indptr, nbr, tie_of = build_index(u, v, n)
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    tie = np.concatenate([np.arange(len(u)), np.arange(len(u))])
    order = np.lexsort((dst, src))
    assert (
        indptr.tolist() == np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).tolist()
    )
    assert nbr.tolist() == dst[order].tolist()
    assert tie_of.tolist() == tie[order].tolist()


def test_compiled_forgetting_and_knowledge_counts_equal_the_array_rules():

    rng = np.random.default_rng(5)
    k = (rng.random((400, 7)) * (rng.random((400, 7)) < 0.5)).astype(np.float32)
    # Mastery stored from the scenario's numbers sits exactly on the thresholds: 0.7 (deep)
    # in item 0, and 0.4 in item 1, which halving (rate 0.5) takes exactly to the floor 0.2
    # (halving is exact in binary). Just below each, one float32 step down.
    k[:50, 0] = np.float32(0.7)
    k[50:60, 0] = np.nextafter(np.float32(0.7), np.float32(0.0))
    k[:50, 1] = np.float32(0.4)
    k[50:60, 1] = np.nextafter(np.float32(0.4), np.float32(0.0))
    used = rng.random(k.size) < 0.3
    used.reshape(k.shape)[:60, :2] = False
    for rate in (0.37, 0.5):
        flat = k.reshape(-1).copy()
        forget_in_place(flat, used, rate, 0.2)
        assert np.array_equal(flat, forget(k.reshape(-1), used, rate, 0.2))
    # At the floor the knowledge is kept, just below it is lost (both implementations).
    assert (flat.reshape(k.shape)[:50, 1] == np.float32(0.2)).all()
    assert (flat.reshape(k.shape)[50:60, 1] == 0).all()
    aware, total, deep, per_learner = item_stats(k, 0.7)
    assert aware.tolist() == (k > 0).sum(axis=0).tolist()
    assert total == pytest.approx(k.sum(axis=0, dtype=np.float64))
    # Deep from the threshold on, in the knowledge's precision: the 50 learners stored at
    # 0.7 count, the 10 just below do not (float64 0.7 would exclude both).
    assert deep.tolist() == (k >= np.float32(0.7)).sum(axis=0).tolist()
    assert deep[0] == 50 + int((k[60:, 0] >= np.float32(0.7)).sum())


# ----------------------------------------------------------------------------- benchmarks


def test_benchmark_quick_mode_runs(tmp_path):
    # A smoke run of benchmarks/bench.py (no timing assertions: only that it works).
    import subprocess
    import sys

    import pandas as pd

    out = tmp_path / "results.csv"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick"]
    cmd += ["--cases", "simple_contagion", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_csv(out)
    row = table[table["case"] == "simple_contagion"].iloc[0]
    assert row["n_agents"] == 1000 and row["ns_per_tie_step"] > 0
    assert table["identical_results"].dropna().astype(bool).all()


def test_benchmark_quick_mode_never_replaces_the_committed_table():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    committed = ROOT / "benchmarks" / "results.csv"
    assert bench.output_path(None, quick=False) == committed
    assert bench.output_path(None, quick=True) != committed
    assert bench.output_path("x.csv", quick=True) == Path("x.csv")
