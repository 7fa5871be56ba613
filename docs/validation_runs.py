"""Validation: the model's textbook special cases, run from YAML and set against theory.

Every number in `docs/validation.md` comes from this file: ``python docs/validation_runs.py``
prints them (add ``--quick`` for the smaller sizes the tests use). The theory functions below
are the references that `tests/test_validation.py` checks the simulator against; each names
its source and gives its derivation in the docstring.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.engines import make_model  # noqa: E402
from sim.experiment.jobs import replication_seeds, run_replication, start_network  # noqa: E402
from sim.model import LearningModel  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402

VALIDATION = ROOT / "scenarios" / "validation"


# ---------------------------------------------------------------------------------------------
# Running the simulator


def load(name: str, overrides: Iterable[str] = ()) -> Scenario:
    """The validation scenario `scenarios/validation/<name>.yaml`, with `--set` overrides."""
    return load_scenario(VALIDATION / f"{name}.yaml", list(overrides))


def run(sc: Scenario, replications: int | None = None) -> list[pd.DataFrame]:
    """The time series of replications 0..R-1, exactly as `run.py` computes them."""
    r = sc.replications if replications is None else replications
    network = start_network(sc)
    return [
        run_replication(sc, i, seed, network)
        for i, seed in enumerate(replication_seeds(sc.seed, r))
    ]


def start_models(sc: Scenario, replications: int | None = None) -> list[LearningModel]:
    """The models of replications 0..R-1 at step 0 (the realised networks and seeds).

    `run_replication` builds the same model from the same seed, so these hold the very
    networks and seed holders of the runs returned by `run`.
    """
    r = sc.replications if replications is None else replications
    network = start_network(sc)
    return [
        make_model(sc, rng=seed, start_network=network) for seed in replication_seeds(sc.seed, r)
    ]


def shares(tables: Sequence[pd.DataFrame], column: str = "share_aware") -> np.ndarray:
    """One column of every replication's time series, as a (replication, step) array."""
    return np.vstack([ts[column].to_numpy() for ts in tables])


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the t-based confidence interval of the mean over replications."""
    x = np.asarray(x, dtype=np.float64)
    m = float(x.mean())
    if len(x) < 2:
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, m - half, m + half


# ---------------------------------------------------------------------------------------------
# 1. SI on a complete graph (broadcast)


def si_exact(n: int, beta: float, i0: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of the number infected, discrete-time SI on the complete graph.

    With I infected at the start of a step, each of the n - I susceptibles is tied to all I
    and escapes each independently with probability 1 - beta, so it stays susceptible with
    probability (1 - beta)^I: ``I' = I + Binomial(n - I, 1 - (1 - beta)^I)``. The chain has
    n + 1 states; propagating the distribution of I_t through its transition matrix gives
    E[I_t] and Var[I_t] exactly (no mean-field or Jensen error).

    Returns:
        (mean, variance), each of length steps + 1 (t = 0..steps).
    """
    states = np.arange(n + 1)
    p_inf = 1.0 - (1.0 - beta) ** states
    trans = np.zeros((n + 1, n + 1))
    for i in states:
        trans[i, i:] = stats.binom.pmf(np.arange(n - i + 1), n - i, p_inf[i])
    dist = np.zeros(n + 1)
    dist[i0] = 1.0
    mean, var = [], []
    for _ in range(steps + 1):
        m = float(dist @ states)
        mean.append(m)
        var.append(float(dist @ states**2) - m * m)
        dist = dist @ trans
    return np.array(mean), np.maximum(np.array(var), 0.0)


def si_logistic(n: int, beta: float, i0: float, steps: int) -> np.ndarray:
    """The deterministic discrete logistic recursion x' = x + (n - x)(1 - (1 - beta)^x).

    The recursion applied to the mean; E[I_{t+1}] differs from it by Jensen's inequality
    (the escape probability (1 - beta)^I is convex in I), see `si_exact`.
    """
    x = [float(i0)]
    for _ in range(steps):
        x.append(x[-1] + (n - x[-1]) * (1.0 - (1.0 - beta) ** x[-1]))
    return np.array(x)


# ---------------------------------------------------------------------------------------------
# 2. Independent cascade = bond percolation


def percolation_final_size(degrees: np.ndarray, transmissibility: float, rho: float) -> float:
    """Expected final share ever infected by seeded SIR (bond percolation), many learners.

    SIR with a fixed transmissibility T, seeded with a random share rho, on a
    configuration-model graph.
    Newman (2002) maps SIR with transmissibility T to bond percolation; with a share rho of
    random initial infecteds (Miller 2014; Miller, Slim & Volz 2012, final-size relation of
    the edge-based compartmental model), let theta be the probability that a random tie into a
    learner never transmits to it. The far end of that tie is infected, other than through
    it, unless it was not a seed and none of its other ties transmitted:
    ``theta = 1 - T + T (1 - rho) psi'(theta) / psi'(1)``, and the final share is
    ``1 - (1 - rho) psi(theta)``, where psi is the degree generating function, here taken
    from the realised degree histogram. Iterating from theta = 1 descends monotonically to
    the largest root in [0, 1], the physical one.

    References:
        Newman, M. E. J. (2002). Spread of epidemic disease on networks. Phys. Rev. E 66,
        016128. Miller, J. C. (2014). Epidemics on networks with large initial conditions or
        changing structure. PLoS ONE 9, e101421.
    """
    k = np.asarray(degrees, dtype=np.int64)
    pk = np.bincount(k) / len(k)
    ks = np.arange(len(pk))
    mean_k = float((ks * pk).sum())
    if mean_k == 0:
        return rho

    def psi(x: float) -> float:
        return float((pk * x**ks).sum())

    def dpsi(x: float) -> float:
        return float((ks[1:] * pk[1:] * x ** (ks[1:] - 1)).sum())

    theta = 1.0
    for _ in range(100_000):
        new = 1.0 - transmissibility + transmissibility * (1.0 - rho) * dpsi(theta) / mean_k
        if abs(new - theta) < 1e-14:
            theta = new
            break
        theta = new
    return 1.0 - (1.0 - rho) * psi(theta)


# ---------------------------------------------------------------------------------------------
# 3. Push gossip on a complete graph


@dataclass(frozen=True)
class GossipTheory:
    """Exact law of the push protocol on the complete graph K_n from one informed learner.

    Attributes:
        rounds_pmf: P(everyone informed first after t rounds), t = 0, 1, ...
        mean_rounds, var_rounds: of that number of rounds.
        mean_calls: expected calls made in the rounds before everyone is informed.
        mean_redundant: expected calls among them that reached an informed learner.
    """

    rounds_pmf: np.ndarray
    mean_rounds: float
    var_rounds: float
    mean_calls: float
    mean_redundant: float


def gossip_exact(n: int, i0: int = 1, tol: float = 1e-13) -> GossipTheory:
    """Exact distribution of rounds and calls of push rumour spreading on K_n.

    Each round every informed learner calls one learner chosen uniformly among the n - 1
    others. With I informed, each call reaches an uninformed learner with probability
    (n - I)/(n - 1), so X ~ Binomial(I, (n - I)/(n - 1)) calls are non-redundant, and they
    land uniformly on the N = n - I uninformed: the newly informed are the distinct bins hit
    by X balls in N bins (classical occupancy, computed by adding balls one at a time). The
    informed count is a Markov chain; propagating its law gives the exact distribution of the
    rounds until all know (Frieze & Grimmett 1985; Pittel 1987 show it is
    log2 n + ln n + O(1)) and the expected calls and redundant calls made meanwhile.
    """
    trans = np.zeros((n + 1, n + 1))
    trans[n, n] = 1.0
    for i in range(1, n):
        big_n = n - i
        px = stats.binom.pmf(np.arange(i + 1), i, big_n / (n - 1))
        occ = np.zeros(big_n + 1)
        occ[0] = 1.0
        acc = px[0] * occ
        d = np.arange(big_n + 1)
        for x in range(1, i + 1):
            nxt = occ * d / big_n
            nxt[1:] += occ[:-1] * (big_n - d[:-1]) / big_n
            occ = nxt
            acc = acc + px[x] * occ
        trans[i, i : i + big_n + 1] = acc
    dist = np.zeros(n + 1)
    dist[i0] = 1.0
    pmf = [dist[n]]
    calls = redundant = 0.0
    states = np.arange(n + 1)
    while 1.0 - dist[n] > tol:
        live = dist.copy()
        live[n] = 0.0
        calls += float(live @ states)
        redundant += float(live @ (states * np.maximum(states - 1, 0) / (n - 1)))
        dist = dist @ trans
        pmf.append(dist[n] - sum(pmf))
    pmf_a = np.array(pmf)
    t = np.arange(len(pmf_a))
    mean = float((t * pmf_a).sum())
    var = float((t * t * pmf_a).sum() - mean * mean)
    return GossipTheory(pmf_a, mean, var, calls, redundant)


def gossip_outcomes(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Per replication: rounds until all know, and calls and redundant calls before then."""
    out = []
    for ts in tables:
        aware = ts["share_aware"].to_numpy()
        done = np.flatnonzero(aware >= 1.0)
        rounds = int(done[0]) if len(done) else np.nan
        # Round s (row s) was played while not everyone knew iff share_aware at s - 1 < 1.
        live = np.zeros(len(ts), dtype=bool)
        live[1:] = aware[:-1] < 1.0
        out.append(
            {
                "rounds": rounds,
                "calls": float(ts["exposures"].to_numpy()[live].sum()),
                "redundant": float(ts["redundant_exposures"].to_numpy()[live].sum()),
            }
        )
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# 4. Threshold contagion on ring lattices


def ring_front_speed(degree: int, m: int) -> int:
    """Learners the front gains per step on each side of a ring lattice (threshold m).

    On a ring where each learner is tied to the h = degree / 2 nearest on each side, the
    unaware learner at distance d beyond the end of a contiguous aware block (at least h long)
    has h - d + 1 aware ties, so it adopts iff d <= h - m + 1: the front moves h - m + 1 per
    step and side (0 when m > h: no spread at all). A block of at least m seeds starts it.
    """
    return max(degree // 2 - m + 1, 0)


def threshold_reference(
    u: np.ndarray, v: np.ndarray, n: int, seeds: Sequence[int], m: int, steps: int
) -> np.ndarray:
    """Aware count per step of the synchronous deterministic threshold model (a peer).

    Independent of the simulator: a learner becomes aware at step t + 1 iff at least m of its
    neighbours are aware at step t (Granovetter 1978; Centola & Macy 2007).
    """
    adj = csr_matrix((np.ones(2 * len(u)), (np.r_[u, v], np.r_[v, u])), shape=(n, n))
    aware = np.zeros(n, dtype=bool)
    aware[list(seeds)] = True
    out = [int(aware.sum())]
    for _ in range(steps):
        aware = aware | (adj @ aware.astype(np.float64) >= m)
        out.append(int(aware.sum()))
    return np.array(out)


# ---------------------------------------------------------------------------------------------
# 5. Watts-Strogatz


def lattice_clustering(degree: int) -> float:
    """C(0) of a ring lattice: 3(k - 2) / (4(k - 1)) (Watts & Strogatz 1998)."""
    return 3.0 * (degree - 2) / (4.0 * (degree - 1))


def lattice_path_length(n: int, degree: int) -> float:
    """Exact mean shortest path of a ring lattice: offset d takes ceil(min(d, n - d) / h)."""
    h = degree // 2
    d = np.arange(1, n)
    return float(np.ceil(np.minimum(d, n - d) / h).mean())


def lattice_triangle_moments(n: int, degree: int, p: float) -> tuple[float, float]:
    """Exact mean and variance of the lattice triangles that survive rewiring.

    A lattice triangle survives iff none of its three ties is rewired, with probability
    (1 - p)^3 (the core of Barrat & Weigt 2000's C(p) = C(0)(1 - p)^3), since a rewired tie
    never lands back on a lattice position. Two distinct triangles share at most one tie, so
    both survive with probability (1 - p)^5 when they share one, and the variance is
    ``T q (1 - q) + sum_e t_e (t_e - 1) ((1 - p)^5 - (1 - p)^6)`` with q = (1 - p)^3 and t_e
    the lattice triangles on tie e.
    """
    h = degree // 2
    # Triangles {i, i + a, i + b}, 0 < a < b <= h, per start i: h (h - 1) / 2 of them.
    per_node = h * (h - 1) // 2
    n_tri = n * per_node
    # Ties at offset j lie on t_j triangles: as the short side (j < h) with a third vertex
    # inside or on either side, and as the long side with a vertex between.
    t_by_offset = []
    for j in range(1, h + 1):
        between = j - 1  # third vertex strictly between the ends
        outside = 2 * (h - j)  # third vertex beyond either end, within reach of both
        t_by_offset.append(between + outside)
    t_e = np.repeat(np.array(t_by_offset), n)
    q = (1.0 - p) ** 3
    var = n_tri * q * (1 - q) + float((t_e * (t_e - 1)).sum()) * ((1 - p) ** 5 - (1 - p) ** 6)
    return n_tri * q, var


def lattice_triangles_surviving(u: np.ndarray, v: np.ndarray, n: int, degree: int) -> int:
    """Number of ring-lattice triangles all of whose ties are present in the tie list."""
    h = degree // 2
    keys = set((u * n + v).tolist())

    def has(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        return np.fromiter(((x in keys) for x in (lo * n + hi).tolist()), bool, len(lo))

    i = np.arange(n)
    total = 0
    for a in range(1, h + 1):
        for b in range(a + 1, h + 1):
            ja, jb = (i + a) % n, (i + b) % n
            total += int((has(i, ja) & has(i, jb) & has(ja, jb)).sum())
    return total


def mean_path_length(u: np.ndarray, v: np.ndarray, n: int) -> float:
    """Mean shortest path over connected pairs (the L of Watts & Strogatz 1998)."""
    adj = csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    d = shortest_path(adj, directed=False, unweighted=True)
    finite = np.isfinite(d) & (d > 0)
    return float(d[finite].mean())


def average_clustering(u: np.ndarray, v: np.ndarray, n: int) -> float:
    """Average local clustering (networkx.average_clustering) of a tie list."""
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    return float(nx.average_clustering(g))


def networkx_ws(n: int, degree: int, p: float, seeds: Iterable[int]) -> list[tuple[float, float]]:
    """(C, L) of `networkx.watts_strogatz_graph` samples: the 1998 algorithm, as reference."""
    out = []
    for s in seeds:
        g = nx.watts_strogatz_graph(n, degree, p, seed=int(s))
        e = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
        u, v = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
        out.append((float(nx.average_clustering(g)), mean_path_length(u, v, n)))
    return out


# ---------------------------------------------------------------------------------------------
# 6. Peer: EoN


def read_graph(name: str, n: int) -> nx.Graph:
    """The edge list `scenarios/validation/<name>.csv` as a networkx graph on 0..n-1."""
    df = pd.read_csv(VALIDATION / f"{name}.csv")
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(df["source"].tolist(), df["target"].tolist(), strict=True))
    return g


def eon_cascade(
    g: nx.Graph, transmissibility: float, seeds: Sequence[int], runs: int, seed: int, steps: int
) -> np.ndarray:
    """Ever-infected counts per step of EoN's discrete SIR (independent cascade), per run."""
    import EoN

    rng = np.random.default_rng(seed)
    out = np.zeros((runs, steps + 1))
    for r in range(runs):
        t, _s, i, rec = EoN.basic_discrete_SIR(
            g, transmissibility, initial_infecteds=list(seeds), rng=rng
        )
        ever = (i + rec).astype(np.float64)
        t = np.asarray(t, dtype=np.int64)
        curve = np.full(steps + 1, ever[-1])
        for tt, val in zip(t, ever, strict=True):
            if tt <= steps:
                curve[tt] = val
        out[r] = curve
    return out


def eon_threshold_final(g: nx.Graph, seeds: Sequence[int], m: int, seed: int) -> set[int]:
    """Final aware set of EoN's Gillespie complex contagion with an absolute threshold m.

    A learner with at least m aware neighbours becomes aware at rate 1; the order of events
    differs from the synchronous simulator, but the final set of a monotone threshold model is
    the unique closure of the seeds, whatever the order.
    """
    import EoN

    def rate(graph, node, status, *_):
        if status[node] == "A":
            return 0.0
        return 1.0 if sum(status[w] == "A" for w in graph.neighbors(node)) >= m else 0.0

    def choice(graph, node, status, *_):
        return "A"

    def influence(graph, node, status, *_):
        return [w for w in graph.neighbors(node) if status[w] == "U"]

    ic = {x: ("A" if x in set(seeds) else "U") for x in g.nodes}
    res = EoN.Gillespie_complex_contagion(
        g,
        rate,
        choice,
        influence,
        ic,
        return_statuses=("U", "A"),
        tmax=float("inf"),
        return_full_data=True,
        rng=np.random.default_rng(seed),
    )
    final = res.get_statuses(time=res.t()[-1])
    return {x for x, st in final.items() if st == "A"}


def write_peer_graphs() -> None:
    """Write the fixed graphs of the peer comparison (run once; the CSVs are shipped)."""
    rng = np.random.default_rng(20261122)
    g = nx.gnp_random_graph(300, 4.0 / 299, seed=int(rng.integers(2**31)))
    pd.DataFrame(sorted(g.edges()), columns=["source", "target"]).to_csv(
        VALIDATION / "peer_er.csv", index=False
    )
    g = nx.watts_strogatz_graph(200, 6, 0.03, seed=int(rng.integers(2**31)))
    edges = sorted((min(a, b), max(a, b)) for a, b in g.edges())
    pd.DataFrame(edges, columns=["source", "target"]).to_csv(
        VALIDATION / "peer_ws.csv", index=False
    )


# ---------------------------------------------------------------------------------------------
# Printing the numbers of docs/validation.md


def _fmt(m: tuple[float, float, float], digits: int = 4) -> str:
    return f"{m[0]:.{digits}f} [{m[1]:.{digits}f}, {m[2]:.{digits}f}]"


def main(argv: list[str] | None = None) -> None:  # noqa: D103
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write-graphs", action="store_true", help="rewrite the peer CSVs")
    ap.add_argument(
        "--finite-size", action="store_true", help="cascade bias against n (about 3 minutes)"
    )
    args = ap.parse_args(argv)
    if args.write_graphs:
        write_peer_graphs()
        return
    if args.finite_size:
        report_finite_size()
        return
    report_si()
    report_cascade()
    report_gossip()
    report_threshold()
    report_ws()
    report_peer()


def report_si() -> None:  # noqa: D103
    sc = load("si_complete")
    n = sc.population.n_agents
    beta = sc.sharing.p_notice_max
    tables = run(sc)
    counts = shares(tables) * n
    mean, var = si_exact(n, beta, 1, sc.steps)
    logi = si_logistic(n, beta, 1, sc.steps)
    print(f"\n## SI on K_{n}, beta = {beta}, R = {len(tables)}")
    print("t | exact E[I_t] | logistic recursion | simulator mean [95% CI] | z")
    for t in range(sc.steps + 1):
        ci = mean_ci(counts[:, t])
        z = (ci[0] - mean[t]) / math.sqrt(var[t] / len(tables)) if var[t] > 0 else 0.0
        print(f"{t} | {mean[t]:.3f} | {logi[t]:.3f} | {_fmt(ci, 3)} | {z:+.2f}")


def report_cascade() -> None:  # noqa: D103
    for name, ts_ in (("cascade_er", (0.15, 0.4)), ("cascade_rr", (0.2, 0.5))):
        for t in ts_:
            sc = load(name, [f"sharing.p_notice_min={t}", f"sharing.p_notice_max={t}"])
            models = start_models(sc)
            rho = sc.knowledge.item_classes[0].seeding.n_holders / sc.population.n_agents
            theory = np.array([percolation_final_size(m.ties.degree, t, rho) for m in models])
            final = np.array([ts["share_aware"].iloc[-1] for ts in run(sc)])
            diff = mean_ci(final - theory)
            print(
                f"\n## {name} T = {t}: theory {theory.mean():.4f}; simulator "
                f"{_fmt(mean_ci(final))}; sim - theory {_fmt(diff)}"
            )


def report_finite_size() -> None:
    """Mean (simulated - predicted) final share of the cascades at growing n, 1000 runs each."""
    for name, t in (("cascade_er", 0.4), ("cascade_rr", 0.5), ("cascade_er", 0.15)):
        for n in (500, 1000, 2000, 4000):
            sc = load(
                name,
                [
                    f"population.n_agents={n}",
                    f"knowledge.item_classes.0.seeding.n_holders={n // 100}",
                    "replications=1000",
                    f"sharing.p_notice_min={t}",
                    f"sharing.p_notice_max={t}",
                ],
            )
            theory = [percolation_final_size(m.ties.degree, t, 0.01) for m in start_models(sc)]
            final = np.array([ts["share_aware"].iloc[-1] for ts in run(sc)])
            d = mean_ci(final - np.array(theory))
            print(f"{name} T = {t} n = {n}: bias {_fmt(d, 5)}; n * bias = {n * d[0]:.2f}")


def report_gossip() -> None:  # noqa: D103
    sc = load("gossip_complete")
    n = sc.population.n_agents
    th = gossip_exact(n)
    out = gossip_outcomes(run(sc))
    print(f"\n## push gossip on K_{n}, R = {len(out)}")
    print(f"log2 n + ln n = {math.log2(n) + math.log(n):.3f}")
    print(f"rounds: exact {th.mean_rounds:.4f} (sd {math.sqrt(th.var_rounds):.3f}); simulator")
    print(f"  {_fmt(mean_ci(out['rounds'].to_numpy()))}")
    print(f"calls: exact {th.mean_calls:.2f}; simulator {_fmt(mean_ci(out['calls']), 2)}")
    print(
        f"redundant: exact {th.mean_redundant:.2f}; simulator {_fmt(mean_ci(out['redundant']), 2)}"
    )
    print(
        f"share redundant: exact E[red]/E[calls] = {th.mean_redundant / th.mean_calls:.4f}; "
        f"simulator sum/sum = {out['redundant'].sum() / out['calls'].sum():.4f}"
    )
    for big in (64, 256, 1024):
        g = gossip_exact(big)
        print(
            f"  n = {big}: exact E[rounds] = {g.mean_rounds:.3f}, log2 n + ln n = "
            f"{math.log2(big) + math.log(big):.3f}, share redundant "
            f"{g.mean_redundant / g.mean_calls:.3f}"
        )


def report_threshold() -> None:  # noqa: D103
    sc = load("threshold_ring")
    n = sc.population.n_agents
    ts = run(sc, 1)[0]
    print(f"\n## threshold on ring lattice n = {n}, degree {sc.network.degree}")
    for cls in sc.knowledge.item_classes:
        counts = np.rint(ts[f"share_aware__{cls.name}"].to_numpy() * n).astype(int)
        full = np.flatnonzero(counts == n)
        speed = ring_front_speed(sc.network.degree, cls.sources_required)
        print(
            f"m = {cls.sources_required}: speed {speed}/side/step; first steps "
            f"{counts[:6].tolist()}; all aware at step {int(full[0]) if len(full) else None}"
        )
    print("\n## threshold on rewired rings: final share aware, mean [95% CI]")
    ws = load("threshold_ws")
    for p in (0.0, 0.01, 0.03, 0.1, 0.3, 1.0):
        tables = run(load("threshold_ws", [f"network.p_rewire={p}"]))
        parts = []
        for cls in ws.knowledge.item_classes:
            col = f"share_aware__{cls.name}"
            final = np.array([t[col].iloc[-1] for t in tables])
            parts.append(f"m={cls.sources_required}: {_fmt(mean_ci(final), 3)}")
        full = np.array([np.argmax(t["share_aware__m1"].to_numpy() >= 1.0) for t in tables])
        parts.append(f"m=1 steps to all: {_fmt(mean_ci(full.astype(float)), 2)}")
        print(f"p = {p}: " + "; ".join(parts))


def report_ws() -> None:  # noqa: D103
    base = load("watts_strogatz")
    n, k = base.population.n_agents, base.network.degree
    c0, l0 = lattice_clustering(k), lattice_path_length(n, k)
    print(f"\n## Watts-Strogatz n = {n}, k = {k}: C(0) = {c0:.4f}, L(0) = {l0:.4f}")
    print(
        "p | C/C0 sim | (1-p)^3 | C/C0 networkx | L/L0 sim | L/L0 networkx | "
        "lattice triangles kept, sim | T0 (1-p)^3"
    )
    for p in (0.0, 0.001, 0.01, 0.1, 0.3, 1.0):
        sc = load("watts_strogatz", [f"network.p_rewire={p}"])
        models = start_models(sc)
        c = np.array([_clustering(m) for m in models]) / c0
        ell = np.array([mean_path_length(m.ties.u, m.ties.v, n) for m in models]) / l0
        ref = np.array(networkx_ws(n, k, p, range(len(models))))
        tri = np.array([lattice_triangles_surviving(m.ties.u, m.ties.v, n, k) for m in models])
        t_mean, t_var = lattice_triangle_moments(n, k, p)
        print(
            f"{p} | {_fmt(mean_ci(c))} | {(1 - p) ** 3:.4f} | {_fmt(mean_ci(ref[:, 0] / c0))} | "
            f"{_fmt(mean_ci(ell))} | {_fmt(mean_ci(ref[:, 1] / l0))} | "
            f"{_fmt(mean_ci(tri.astype(float)), 1)} | {t_mean:.1f} (sd {math.sqrt(t_var):.1f})"
        )


def _clustering(m: LearningModel) -> float:
    from sim.metrics import reporters as metrics

    return metrics.clustering(m)


def report_peer() -> None:  # noqa: D103
    sc = load("peer_cascade")
    g = read_graph("peer_er", sc.population.n_agents)
    seeds = sc.knowledge.item_classes[0].seeding.agents
    t = sc.sharing.p_notice_max
    sim = shares(run(sc)) * sc.population.n_agents
    eon = eon_cascade(g, t, seeds, sc.replications, 7, sc.steps)
    ks = stats.ks_2samp(sim[:, -1], eon[:, -1])
    print(f"\n## peer: independent cascade on peer_er (n = {g.number_of_nodes()}), T = {t}")
    print(
        f"final size simulator {_fmt(mean_ci(sim[:, -1]), 2)}; EoN {_fmt(mean_ci(eon[:, -1]), 2)}"
    )
    print(f"KS two-sample: D = {ks.statistic:.4f}, p = {ks.pvalue:.3f}")
    sc = load("peer_threshold")
    g = read_graph("peer_ws", sc.population.n_agents)
    m = make_model(sc, rng=1, start_network=start_network(sc))
    for _ in range(sc.steps):
        m.step()
    for j, cls in enumerate(sc.knowledge.item_classes):
        sim_set = set(np.flatnonzero(m.knowledge[:, j] > 0).tolist())
        eon_set = eon_threshold_final(g, cls.seeding.agents, cls.sources_required, 3)
        print(
            f"threshold m = {cls.sources_required}: simulator {len(sim_set)} aware, EoN "
            f"{len(eon_set)}, identical sets: {sim_set == eon_set}"
        )


if __name__ == "__main__":
    main()
