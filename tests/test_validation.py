"""The model reproduces theory: textbook special cases configured from YAML alone.

Each case loads a file of `scenarios/validation/`, runs it as `run.py` would, and compares the
outcome with a result derived from theory (the references live in `docs/validation_runs.py`,
which also prints the numbers of `docs/validation.md`). Tolerances come from the sampling
error of the replications, with the derivation next to each check; family-wise error rates are
at most 0.001 per test (Bonferroni over the simultaneous checks), so a correct model fails a
test about once in a thousand runs of it, and the seeds are fixed, so a given commit passes or
fails for good. Each test also shows it can fail: the same criterion rejects a slightly wrong
theory (a transmission probability 10 % off, the mean-field recursion, a neighbouring n).
"""

import importlib.util
import math
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("validation_runs", ROOT / "docs/validation_runs.py")
V = importlib.util.module_from_spec(_spec)
sys.modules["validation_runs"] = V
_spec.loader.exec_module(V)

ALPHA = 1e-3  # family-wise false-alarm rate of each statistical test


def t_quantile(k: int, df: int) -> float:
    """Two-sided Student t quantile for k simultaneous checks at family-wise error ALPHA."""
    return float(stats.t.ppf(1 - ALPHA / (2 * k), df))


# ------------------------------------------------------------------------- the references


def test_si_reference_on_two_agents_is_geometric():
    # n = 2, one aware: the other becomes aware each step with probability beta, so
    # E[I_t] = 2 - (1 - beta)^t and Var = (1 - beta)^t (1 - (1 - beta)^t).
    mean, var = V.si_exact(2, 0.3, 1, 5)
    q = 0.7 ** np.arange(6)
    assert mean == pytest.approx(2 - q)
    assert var == pytest.approx(q * (1 - q))


def test_gossip_reference_on_three_agents_by_hand():
    # K_3 from one: round 1 informs a second for sure; then each of the two calls the third
    # with probability 1/2, so it is reached with probability 3/4 per round:
    # rounds = 1 + Geometric(3/4), mean 1 + 4/3, variance (1/4) / (3/4)^2 = 4/9.
    g = V.gossip_exact(3)
    assert g.mean_rounds == pytest.approx(1 + 4 / 3, abs=1e-9)
    assert g.var_rounds == pytest.approx(4 / 9, abs=1e-9)
    # Calls before all know: 1 in round 1, then 2 per round for Geometric(3/4) rounds;
    # redundant: round 1 none, later each caller hits the other informed one w.p. 1/2.
    assert g.mean_calls == pytest.approx(1 + 2 * 4 / 3, abs=1e-9)
    assert g.mean_redundant == pytest.approx(2 * 0.5 * 4 / 3, abs=1e-9)


def test_gossip_reference_grows_like_log2_plus_ln():
    # Frieze & Grimmett (1985), Pittel (1987): rounds = log2 n + ln n + O(1). Quadrupling n
    # keeps the fractional part of log2 n, so the O(1) term is asymptotically the same and
    # E[S_4n] - E[S_n] -> 2 + ln 4 = 3.386; at n = 64 -> 256 the exact chain is 0.13 above.
    d = V.gossip_exact(256).mean_rounds - V.gossip_exact(64).mean_rounds
    assert 2 + math.log(4) < d < 2 + math.log(4) + 0.2


def test_percolation_reference_at_full_transmission_is_the_giant_component():
    # T = 1, no seeds in the limit: the giant component of G(n, c/n), S = 1 - exp(-c S);
    # for c = 2, S = 0.7968 (Erdos & Renyi 1960). Poisson(2) degrees, large sample.
    deg = np.random.default_rng(0).poisson(2.0, 2_000_000)
    s = V.percolation_final_size(deg, 1.0, 1e-9)
    assert s == pytest.approx(0.7968, abs=2e-3)
    # Random 3-regular, T = 1/2 (critical at 1/(k-1) = 1/2): no giant component.
    assert V.percolation_final_size(np.full(100, 3), 0.5, 1e-9) < 1e-3


# ------------------------------------------------------------------------- 1. SI on K_n


def check_si(sc, detectable: float) -> None:
    """The mean aware curve of `sc` against the exact SI chain, at every step.

    `detectable`: a relative error of beta that the check must be able to reject.
    """
    n, beta, steps = sc.population.n_agents, sc.sharing.p_notice_max, sc.steps
    counts = V.shares(V.run(sc)) * n
    r = counts.shape[0]
    mean, var = V.si_exact(n, beta, 1, steps)
    # The mean of R independent replications of I_t has standard error sqrt(Var[I_t] / R),
    # Var from the exact chain (not from the runs). I_t is bounded, R >= 150: the CLT holds
    # well. Every step with Var > 0 is checked; Bonferroni over them at ALPHA (z = 4.08 for
    # the 22 such steps of si_complete.yaml).
    live = var > 1e-12
    z = float(stats.norm.ppf(1 - ALPHA / (2 * live.sum())))
    se = np.sqrt(var[live] / r)
    err = np.abs(counts.mean(axis=0)[live] - mean[live])
    assert (err <= z * se).all(), (err / se).max()
    # Steps where the chain is certain (Var = 0) must match exactly.
    assert (counts[:, ~live] == np.rint(mean[~live])).all()

    # It can fail: the same criterion rejects beta off by `detectable` (10 % at the size of
    # si_complete.yaml), and the deterministic logistic recursion (the mean-field curve,
    # above E[I_t] by Jensen's inequality).
    for wrong in ((1 - detectable) * beta, (1 + detectable) * beta):
        m2, _ = V.si_exact(n, wrong, 1, steps)
        assert (np.abs(counts.mean(axis=0)[live] - m2[live]) > z * se).any()
    logistic = V.si_logistic(n, beta, 1, steps)
    assert (np.abs(counts.mean(axis=0)[live] - logistic[live]) > z * se).any()


def test_broadcast_on_a_complete_graph_is_discrete_si():
    check_si(V.load("si_complete"), detectable=0.1)


def test_broadcast_is_discrete_si_in_the_reference_engine_too():
    # The per-learner engine (engine: agents) is slow: a smaller K_n, beta 0.1, so only an
    # error of 30 % in beta is sure to be detected. R = 400: the mean-field (logistic) curve
    # departs from the exact E[I_t] by at most 6.4 standard errors sqrt(Var[I_t] / R) at this
    # size (3.9 at R = 150, where rejecting it against z = 3.93 was a coin flip), so the
    # check below rejects it with probability Phi(6.4 - 3.93) > 0.99.
    sc = V.load(
        "si_complete",
        [
            "engine=agents",
            "population.n_agents=30",
            "sharing.p_notice_min=0.1",
            "sharing.p_notice_max=0.1",
            "steps=12",
            "replications=400",
        ],
    )
    check_si(sc, detectable=0.3)


def test_broadcast_exposure_counts_on_a_complete_graph():
    # In step t each of the I_{t-1} aware learners posts to its n - 1 ties, each noticed
    # with probability beta: E[exposures_t] = beta (n - 1) E[I_{t-1}]; of these, the ones to
    # aware learners are redundant: E[redundant_t] = beta E[I_{t-1} (I_{t-1} - 1)], both
    # exact from the chain's first two moments. Tolerance: t quantile of the sample standard
    # error, Bonferroni over every (step, column) pair with spread, ALPHA in all.
    sc = V.load("si_complete")
    n, beta, steps = sc.population.n_agents, sc.sharing.p_notice_max, sc.steps
    tables = V.run(sc)
    mean, var = V.si_exact(n, beta, 1, steps)
    expected = {
        "exposures": beta * (n - 1) * mean[:-1],
        "redundant_exposures": beta * (var + mean**2 - mean)[:-1],
    }
    observed = {c: V.shares(tables, c)[:, 1:] for c in expected}
    n_checks = sum(int((observed[c].std(axis=0) > 0).sum()) for c in expected)
    q = t_quantile(n_checks, len(tables) - 1)
    for c, exp in expected.items():
        obs = observed[c]
        se = obs.std(axis=0, ddof=1) / math.sqrt(len(obs))
        spread = se > 0
        assert (np.abs(obs.mean(axis=0) - exp)[spread] <= q * se[spread]).all(), c
        assert np.allclose(obs.mean(axis=0)[~spread], exp[~spread], rtol=1e-9), c


# ------------------------------------------------------------------------- 2. cascade


CASCADES = [("cascade_er", 0.15), ("cascade_er", 0.4), ("cascade_rr", 0.2), ("cascade_rr", 0.5)]


@pytest.mark.parametrize(("name", "transmissibility"), CASCADES)
def test_independent_cascade_final_size_is_bond_percolation(name, transmissibility):
    t = transmissibility
    sc = V.load(
        name, [f"sharing.p_notice_min={t}", f"sharing.p_notice_max={t}", "replications=100"]
    )
    n = sc.population.n_agents
    rho = sc.knowledge.item_classes[0].seeding.n_holders / n
    tables = V.run(sc)
    # The cascade is over: nobody became aware in the last step, so nobody passes it on.
    assert all(ts["share_aware"].iloc[-1] == ts["share_aware"].iloc[-2] for ts in tables)
    final = np.array([ts["share_aware"].iloc[-1] for ts in tables])
    # Theory from each replication's realised degree histogram and seed share (paired).
    models = V.start_models(sc)
    theory = np.array([V.percolation_final_size(m.ties.degree, t, rho) for m in models])
    diff = final - theory
    # Tolerance: sampling error of the mean paired difference, t quantile with Bonferroni
    # over the 4 cases, plus the finite-size bias of the n -> infinity prediction (Janson,
    # Luczak & Windridge 2014), O(1) learners away from the threshold: measured at n = 500 to
    # 4000 (docs/validation.md, "Finite size"), n * bias stays within about 3 learners; we
    # allow 5, i.e. 5 / n. At n = 2000 that is 0.0025, against a sampling half-width of about
    # 0.007 (T = 0.4) and 0.002 (T = 0.15).
    se = diff.std(ddof=1) / math.sqrt(len(diff))
    tol = t_quantile(len(CASCADES), len(diff) - 1) * se + 5.0 / n
    assert abs(diff.mean()) <= tol, (diff.mean(), tol)
    # It can fail: the prediction for a transmissibility 25 % off lies outside (the 5 / n
    # bias allowance makes smaller errors undetectable below the threshold, where the final
    # size is only about rho / (1 - T <k(k-1)>/<k>)).
    for wrong in (0.75 * t, 1.25 * t):
        alt = np.array([V.percolation_final_size(m.ties.degree, wrong, rho) for m in models])
        assert abs((final - alt).mean()) > tol, wrong


# ------------------------------------------------------------------------- 3. gossip


def test_push_gossip_on_a_complete_graph_matches_the_exact_push_protocol():
    sc = V.load("gossip_complete")
    n = sc.population.n_agents
    theory = V.gossip_exact(n)
    out = V.gossip_outcomes(V.run(sc))
    r = len(out)
    assert out["rounds"].notna().all()  # everyone learned within the steps run
    # Three checks (rounds, calls, redundant calls), Bonferroni at ALPHA.
    z = float(stats.norm.ppf(1 - ALPHA / 6))
    # Rounds: exact variance from the chain; standard error sqrt(Var / R).
    se_rounds = math.sqrt(theory.var_rounds / r)
    assert abs(out["rounds"].mean() - theory.mean_rounds) <= z * se_rounds
    # Calls and redundant calls: the chain gives exact means; their variances are estimated
    # from the replications (t quantile for the estimated sd).
    tq = t_quantile(3, r - 1)
    for col, expected in (("calls", theory.mean_calls), ("redundant", theory.mean_redundant)):
        se = out[col].std(ddof=1) / math.sqrt(r)
        assert abs(out[col].mean() - expected) <= tq * se, col
    # It can fail: the rounds of push gossip on K_{n/2} or K_{2n} (one round apart,
    # Frieze & Grimmett) are rejected.
    for other in (n // 2, 2 * n):
        assert abs(out["rounds"].mean() - V.gossip_exact(other).mean_rounds) > z * se_rounds
    # Against the literature: log2 n + ln n + O(1), the O(1) term about 1 here.
    assert 0 < out["rounds"].mean() - (math.log2(n) + math.log(n)) < 2


def test_gossip_redundancy_column_is_redundant_calls_over_calls():
    sc = V.load("gossip_complete", ["replications=3"])
    for ts in V.run(sc):
        ok = ts["exposures"] > 0
        assert np.allclose(
            ts.loc[ok, "redundancy"], ts.loc[ok, "redundant_exposures"] / ts.loc[ok, "exposures"]
        )
        # Every aware learner makes one call per step (K_n: everyone has a partner).
        aware = np.rint(ts["share_aware"].to_numpy() * sc.population.n_agents)
        assert (ts["exposures"].to_numpy()[1:] == aware[:-1]).all()


# ------------------------------------------------------------------------- 4. threshold


@pytest.mark.parametrize("engine", ["array", "agents"])
def test_threshold_contagion_on_a_ring_lattice_moves_at_the_lattice_speed(engine):
    sc = V.load("threshold_ring", [f"engine={engine}"])
    n, k = sc.population.n_agents, sc.network.degree
    h = k // 2
    ts = V.run(sc)[0]
    model = V.start_models(sc, 1)[0]
    for cls in sc.knowledge.item_classes:
        m = cls.sources_required
        seeds = cls.seeding.agents
        counts = np.rint(ts[f"share_aware__{cls.name}"].to_numpy() * n).astype(int)
        # The whole curve equals an independent synchronous threshold model on the same ring.
        ref = V.threshold_reference(model.ties.u, model.ties.v, n, seeds, m, sc.steps)
        assert counts.tolist() == ref.tolist(), m
        # Closed form while the two fronts are at least 2h apart (they do not interact):
        # aware(t) = s0 + 2 v t with v = h - m + 1 per side (0 for m > h).
        v = V.ring_front_speed(k, m)
        t = np.arange(len(counts))
        closed = len(seeds) + 2 * v * t
        before = np.r_[len(seeds), closed[:-1]]
        apart = n - before >= 2 * h
        assert (counts[apart] == closed[apart]).all(), m
        if v:
            # Everyone aware within ceil((n - s0) / (2 v)) steps.
            assert counts[math.ceil((n - len(seeds)) / (2 * v))] == n
        else:
            assert (counts == len(seeds)).all()


P_REWIRE = [0.0, 0.03, 0.1, 0.3, 1.0]


def _connected(model) -> bool:
    g = nx.Graph()
    g.add_nodes_from(range(model.n_agents))
    g.add_edges_from(zip(model.ties.u.tolist(), model.ties.v.tolist(), strict=True))
    return nx.is_connected(g)


@pytest.fixture(scope="module")
def rewired():
    """Final share aware and time to full spread per class, per p_rewire."""
    out = {}
    for p in P_REWIRE:
        sc = V.load("threshold_ws", [f"network.p_rewire={p}", "replications=30"])
        tables = V.run(sc)
        models = V.start_models(sc)
        connected = [_connected(m) for m in models]
        res = {}
        for cls in sc.knowledge.item_classes:
            col = f"share_aware__{cls.name}"
            final = np.array([t[col].iloc[-1] for t in tables])
            full = np.array([np.argmax(t[col].to_numpy() >= 1.0) for t in tables], dtype=float)
            full[final < 1.0] = np.nan
            res[cls.sources_required] = (final, full)
        out[p] = (res, np.array(connected), sc)
    return out


def test_simple_contagion_reaches_everyone_and_faster_with_long_ties(rewired):
    res0, _, sc = rewired[0.0]
    n = sc.population.n_agents
    # Ring lattice: exactly ceil((n - 3) / 6) steps at 3 per side.
    assert (res0[1][1] == math.ceil((n - 3) / 6)).all()
    for p in P_REWIRE:
        res, connected, _ = rewired[p]
        final, full = res[1]
        assert (final[connected] == 1.0).all()
    # Small-world speed-up (Watts & Strogatz 1998): the time to full spread at p = 0.1 is
    # below the lattice's by more than its sampling error (one-sided t, ALPHA).
    full = rewired[0.1][0][1][1]
    full = full[~np.isnan(full)]
    se = full.std(ddof=1) / math.sqrt(len(full))
    assert full.mean() + stats.t.ppf(1 - ALPHA, len(full) - 1) * se < res0[1][1][0]


@pytest.mark.parametrize("m", [2, 3])
def test_complex_contagion_loses_spread_as_rewiring_grows(rewired, m):
    # Centola & Macy (2007): long ties do not carry complex contagion, and rewiring removes
    # the wide bridges it needs. Mean final share: 1 on the lattice (exact), not increasing
    # in p (each step checked one-sided: mean(p_next) <= mean(p) + t * SE of the difference,
    # Bonferroni over the 4 steps), and at p = 1 well below full spread.
    finals = [rewired[p][0][m][0] for p in P_REWIRE]
    assert (finals[0] == 1.0).all()
    q = stats.t.ppf(1 - ALPHA / len(P_REWIRE), len(finals[0]) - 1)
    for a, b in zip(finals, finals[1:], strict=False):
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        assert b.mean() <= a.mean() + q * se
    last = finals[-1]
    se = last.std(ddof=1) / math.sqrt(len(last))
    assert last.mean() + q * se < 0.5


# ------------------------------------------------------------------------- 5. Watts-Strogatz


def test_ring_lattice_clustering_and_path_length_are_exact():
    sc = V.load("watts_strogatz", ["network.p_rewire=0.0", "replications=1"])
    n, k = sc.population.n_agents, sc.network.degree
    ts = V.run(sc)[0]
    m = V.start_models(sc)[0]
    # C(0) = 3(k - 2) / (4(k - 1)) = 2/3 for k = 10; L(0) from the ring distances.
    assert ts["clustering"].iloc[0] == pytest.approx(V.lattice_clustering(k), rel=1e-12)
    assert V.mean_path_length(m.ties.u, m.ties.v, n) == pytest.approx(
        V.lattice_path_length(n, k), rel=1e-12
    )


@pytest.mark.parametrize("p", [0.01, 0.1, 0.3])
def test_lattice_triangles_survive_with_probability_one_minus_p_cubed(p):
    # Barrat & Weigt (2000): C(p) ~ C(0)(1 - p)^3 because a lattice triangle survives iff
    # none of its 3 ties is rewired. The count of surviving lattice triangles has exact mean
    # T0 (1 - p)^3 and exact variance (see `lattice_triangle_moments`); over R graphs the
    # mean has standard error sqrt(Var / R); Bonferroni over the 3 values of p.
    sc = V.load("watts_strogatz", [f"network.p_rewire={p}"])
    n, k = sc.population.n_agents, sc.network.degree
    counts = np.array(
        [V.lattice_triangles_surviving(m.ties.u, m.ties.v, n, k) for m in V.start_models(sc)]
    )
    mean, var = V.lattice_triangle_moments(n, k, p)
    z = float(stats.norm.ppf(1 - ALPHA / 6))
    se = math.sqrt(var / len(counts))
    assert abs(counts.mean() - mean) <= z * se
    # It can fail: (1 - 1.25 p)^3 is rejected.
    wrong, _ = V.lattice_triangle_moments(n, k, 1.25 * p)
    assert abs(counts.mean() - wrong) > z * se


def test_lattice_triangle_count_matches_networkx():
    # The surviving-triangle counter and T0 against networkx's triangle count of a lattice.
    n, k = 30, 6
    g = nx.watts_strogatz_graph(n, k, 0.0)
    e = np.array(sorted((min(a, b), max(a, b)) for a, b in g.edges()))
    triangles = sum(nx.triangles(g).values()) // 3
    assert V.lattice_triangles_surviving(e[:, 0], e[:, 1], n, k) == triangles
    mean, var = V.lattice_triangle_moments(n, k, 0.0)
    assert mean == triangles and var == 0


@pytest.mark.parametrize("p", [0.01, 0.1, 1.0])
def test_watts_strogatz_curves_match_the_1998_algorithm(p):
    # The C(p)/C(0) and L(p)/L(0) curves of Watts & Strogatz (1998) come from their
    # algorithm, which networkx.watts_strogatz_graph implements; the simulator's generator
    # (vectorised, see sim/network.py) must give the same distribution of C and L at n =
    # 1000, k = 10. Welch two-sample t on the means, R = 8 graphs each, Bonferroni over
    # 2 quantities x 3 values of p. (The documented difference, a rewired tie never landing
    # on a vacated lattice position, shifts C and L by O(k / n) of a per cent: far below
    # the sampling error.)
    sc = V.load("watts_strogatz", [f"network.p_rewire={p}", "replications=8"])
    n, k = sc.population.n_agents, sc.network.degree
    ours = np.array(
        [
            (V.average_clustering(m.ties.u, m.ties.v, n), V.mean_path_length(m.ties.u, m.ties.v, n))
            for m in V.start_models(sc)
        ]
    )
    ref = np.array(V.networkx_ws(n, k, p, range(1000, 1008)))
    for j in range(2):
        res = stats.ttest_ind(ours[:, j], ref[:, j], equal_var=False)
        assert res.pvalue > ALPHA / 6, (j, ours[:, j].mean(), ref[:, j].mean())
    # The simulator's own clustering column is networkx's average clustering.
    ts = V.run(sc)[0]
    assert ts["clustering"].iloc[0] == pytest.approx(ours[0, 0], rel=1e-9)


# ------------------------------------------------------------------------- 6. peer: EoN


def test_independent_cascade_agrees_with_eon():
    pytest.importorskip("EoN")
    sc = V.load("peer_cascade")
    n, t, steps = sc.population.n_agents, sc.sharing.p_notice_max, sc.steps
    seeds = sc.knowledge.item_classes[0].seeding.agents
    g = V.read_graph("peer_er", n)
    ours = np.rint(V.shares(V.run(sc)) * n)
    theirs = V.eon_cascade(g, t, seeds, sc.replications, seed=7, steps=steps)
    # Whole distribution of the final size: two-sample Kolmogorov-Smirnov at ALPHA / 2
    # (conservative for discrete data), and the mean curve step by step: Welch z at each
    # step with spread, Bonferroni over those steps, ALPHA / 2 in all.
    ks = stats.ks_2samp(ours[:, -1], theirs[:, -1])
    assert ks.pvalue > ALPHA / 2, ks
    spread = (ours.std(axis=0) > 0) | (theirs.std(axis=0) > 0)
    z = float(stats.norm.ppf(1 - ALPHA / 4 / spread.sum()))
    se = np.sqrt(ours.var(axis=0, ddof=1) / len(ours) + theirs.var(axis=0, ddof=1) / len(theirs))
    diff = np.abs(ours.mean(axis=0) - theirs.mean(axis=0))
    assert (diff[spread] <= z * se[spread]).all()
    # It can fail: EoN at T 10 % lower gives a distinguishable final-size distribution.
    lower = V.eon_cascade(g, 0.9 * t, seeds, sc.replications, seed=8, steps=steps)
    assert stats.ks_2samp(ours[:, -1], lower[:, -1]).pvalue < ALPHA


def test_threshold_model_agrees_with_eon_learner_by_learner():
    pytest.importorskip("EoN")
    sc = V.load("peer_threshold")
    n = sc.population.n_agents
    g = V.read_graph("peer_ws", n)
    m = V.start_models(sc, 1)[0]
    u, v = m.ties.u.copy(), m.ties.v.copy()
    for _ in range(sc.steps):
        m.step()
    for j, cls in enumerate(sc.knowledge.item_classes):
        seeds = cls.seeding.agents
        ours = set(np.flatnonzero(m.knowledge[:, j] > 0).tolist())
        # The final set of a monotone threshold model is the closure of the seeds, whatever
        # the order of events: EoN's continuous-time Gillespie run must end in the same set.
        assert ours == V.eon_threshold_final(g, seeds, cls.sources_required, seed=3)
        # And the synchronous curve matches the reference step by step.
        ts = m.timeseries()
        counts = np.rint(ts[f"share_aware__{cls.name}"].to_numpy() * n).astype(int)
        ref = V.threshold_reference(u, v, n, seeds, cls.sources_required, sc.steps)
        assert counts.tolist() == ref.tolist()
