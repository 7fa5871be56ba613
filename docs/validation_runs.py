"""Validation: the model's textbook special cases, run from YAML and set against theory.

Every number of `docs/validation.md` that a run or a theory function produces sits in a
generated block of the page (see `docs/pages.py`), computed here from the committed code:

    python docs/validation_runs.py                  # print the blocks
    python docs/validation_runs.py --write          # write them into docs/validation.md
    python docs/validation_runs.py --check          # compare; exit 1 with a diff if stale
    python docs/validation_runs.py --write --finite-size --agents-engine   # and the slow blocks

``tests/test_docs_validation.py`` runs the check. The two slow blocks (the cascade's
finite-size table, and two cases on the per-learner engine) are recomputed, and so checked,
only with their flag; otherwise the page's copy of them is kept as it is. The theory functions
below are the references that `tests/test_validation.py` checks the simulator against; each
names its source and gives its derivation in the docstring.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
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
if str(ROOT / "docs") not in sys.path:
    sys.path.append(str(ROOT / "docs"))

import pages  # noqa: E402  (docs/pages.py)

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
# The generated blocks of docs/validation.md

PAGE = Path(__file__).resolve().parent / "validation.md"


def _num(x: float, digits: int) -> str:
    """A number with `digits` decimals, or as an integer when it is one."""
    if abs(x - round(x)) < 1e-9:
        return str(int(round(x)))
    return f"{x:.{digits}f}"


def _fmt(
    m: tuple[float, float, float], digits: int = 4, sign: str = "", whole: bool = False
) -> str:
    """Mean [lower, upper]; just the mean when the interval is a point at these digits.

    With `whole`, a point that is an integer is written as one (1, not 1.0000).
    """
    mean, lo, hi = (f"{x:{sign}.{digits}f}" for x in m)
    if lo == mean == hi:
        return _num(m[0], digits) if whole else mean
    return f"{mean} [{lo}, {hi}]"


def _signed(m: tuple[float, float, float], digits: int = 4) -> str:
    return _fmt(m, digits, "+")


def report_si() -> dict[str, str]:
    """Block ``si``: the SI curve on K_n against the exact chain and the logistic recursion."""
    sc = load("si_complete")
    n, beta, steps = sc.population.n_agents, sc.sharing.p_notice_max, sc.steps
    counts = shares(run(sc)) * n
    r = len(counts)
    mean, var = si_exact(n, beta, 1, steps)
    logi = si_logistic(n, beta, 1, steps)
    sim = counts.mean(axis=0)
    live = var > 1e-12
    se = np.sqrt(np.where(live, var, 1.0) / r)

    def z_of(curve: np.ndarray) -> np.ndarray:
        return np.where(live, (sim - curve) / se, 0.0)

    z = z_of(mean)
    done = f"{n:.3f}"
    # The tail where the chain, the recursion and every replication are all at n is one row.
    settled = [
        f"{mean[t]:.3f}" == f"{logi[t]:.3f}" == done and bool((counts[:, t] == n).all())
        for t in range(steps + 1)
    ]
    last = max((t for t in range(steps + 1) if not settled[t]), default=0)
    lines = [
        f"**Result** (aware learners, mean over {r} replications):",
        "",
        "| step t | exact E[I_t] | logistic recursion | simulator mean [95 % CI] | z |",
        "|---:|---:|---:|---:|---:|",
    ]
    for t in range(1, last + 1):
        ci = mean_ci(counts[:, t])
        lines.append(
            f"| {t} | {mean[t]:.3f} | {logi[t]:.3f} | {_fmt(ci, 3)} | "
            + (f"{z[t]:+.2f} |" if live[t] else "|")
        )
    if last < steps:
        span = f"{last + 1}-{steps}" if last + 1 < steps else f"{steps}"
        lines.append(f"| {span} | {done} | {done} | {done} | |")
    worst = int(np.argmax(np.abs(z)))
    gap = int(np.argmax(logi - mean))
    z_log = z_of(logi)
    off = [float(np.abs(z_of(si_exact(n, b, 1, steps)[0])).max()) for b in (0.9 * beta, 1.1 * beta)]
    lines += [
        "",
        "z = (simulator - exact) / sqrt(Var[I_t] / R), with Var from the chain. Over the "
        f"{int(live.sum())} steps where Var[I_t] > 0 the largest |z| is {abs(z[worst]):.2f} "
        f"(step {worst}). The logistic recursion runs up to {logi[gap] - mean[gap]:.1f} learners "
        f"ahead of E[I_t] (step {gap}), where the simulator's mean is at z = {z_log[gap]:+.1f} "
        f"from it; the exact chain with beta 10 % lower or higher is up to |z| = {off[0]:.1f} "
        f"and {off[1]:.1f} away.",
    ]
    return {"si": "\n".join(lines)}


def report_cascade() -> dict[str, str]:
    """Block ``cascade``: final sizes of the independent cascade against bond percolation."""
    rows, replications = [], set()
    for name, ts_ in (("cascade_er", (0.15, 0.4)), ("cascade_rr", (0.2, 0.5))):
        for t in ts_:
            sc = load(name, [f"sharing.p_notice_min={t}", f"sharing.p_notice_max={t}"])
            n = sc.population.n_agents
            models = start_models(sc)
            rho = sc.knowledge.item_classes[0].seeding.n_holders / n
            theory = np.array([percolation_final_size(m.ties.degree, t, rho) for m in models])
            final = np.array([ts["share_aware"].iloc[-1] for ts in run(sc)])
            k = np.concatenate([m.ties.degree for m in models]).astype(np.float64)
            t_c = k.mean() / (k * (k - 1)).mean()
            if name == "cascade_er":
                graph = f"G({n}, {sc.network.degree}/{n - 1})"
            else:
                graph = f"{sc.network.degree}-regular, n = {n}"
            side = "below" if t < t_c else "above"
            rows.append(
                f"| {graph} | {t:.2f} ({side} T_c = {t_c:.3f}) | {theory.mean():.4f} | "
                f"{_fmt(mean_ci(final))} | {_signed(mean_ci(final - theory))} |"
            )
            replications.add(len(final))
    lines = [
        f"**Result** ({'/'.join(map(str, sorted(replications)))} replications per line):",
        "",
        "| graph | T | predicted | simulator [95 % CI] | simulator - predicted [95 % CI] |",
        "|---|---:|---:|---:|---:|",
        *rows,
    ]
    return {"cascade": "\n".join(lines)}


def report_finite_size() -> dict[str, str]:
    """Block ``finite-size``: mean (simulated - predicted) final share at growing n.

    1000 runs per line, about 3 minutes; computed only with ``--finite-size``.
    """
    lines = [
        "| graph | T | n | simulated - predicted share [95 % CI] | in learners (x n) |",
        "|---|---:|---:|---:|---:|",
    ]
    per_n: dict[bool, list[tuple[float, float, float]]] = {True: [], False: []}
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
            dn = (n * d[0], n * d[1], n * d[2])
            graph = "G(n, 4/(n-1))" if name == "cascade_er" else f"{sc.network.degree}-regular"
            lines.append(f"| {graph} | {t} | {n} | {_signed(d, 5)} | {_signed(dn, 2)} |")
            per_n[t > 0.25].append(dn)

    def span(xs: list[tuple[float, float, float]]) -> str:
        return (
            f"the mean n x bias lies between {min(x[0] for x in xs):+.2f} and "
            f"{max(x[0] for x in xs):+.2f} learners (95 % CIs between "
            f"{min(x[1] for x in xs):+.2f} and {max(x[2] for x in xs):+.2f})"
        )

    lines += [
        "",
        f"Over n = 500 to 4000: above the threshold {span(per_n[True])}; below it "
        f"{span(per_n[False])}.",
    ]
    return {"finite-size": "\n".join(lines)}


def report_agents_engine() -> dict[str, str]:
    """Block ``agents-engine``: two cases on the per-learner engine (slow: ``--agents-engine``)."""
    n = 100
    sc = load("gossip_complete", ["engine=agents", f"population.n_agents={n}", "replications=300"])
    th = gossip_exact(n)
    out = gossip_outcomes(run(sc))
    r = len(out)
    rounds = out["rounds"].to_numpy()
    zs = [(rounds.mean() - th.mean_rounds) / math.sqrt(th.var_rounds / r)]
    rows = [
        f"| push gossip on K_{n} (R = {r}) | rounds until all know | {th.mean_rounds:.2f} | "
        f"{_fmt(mean_ci(rounds), 2)} | {zs[-1]:+.2f} |"
    ]
    for label, col, exact in (
        ("calls", "calls", th.mean_calls),
        ("redundant calls", "redundant", th.mean_redundant),
    ):
        x = out[col].to_numpy()
        zs.append((x.mean() - exact) / (x.std(ddof=1) / math.sqrt(r)))
        rows.append(f"| | {label} | {exact:.1f} | {_fmt(mean_ci(x), 1)} | {zs[-1]:+.2f} |")
    big, t = 1000, 0.4
    sc = load(
        "cascade_er",
        [
            "engine=agents",
            f"population.n_agents={big}",
            f"knowledge.item_classes.0.seeding.n_holders={big // 100}",
            "replications=50",
            f"sharing.p_notice_min={t}",
            f"sharing.p_notice_max={t}",
        ],
    )
    theory = np.array([percolation_final_size(m.ties.degree, t, 0.01) for m in start_models(sc)])
    final = np.array([ts["share_aware"].iloc[-1] for ts in run(sc)])
    d = final - theory
    zs.append(d.mean() / (d.std(ddof=1) / math.sqrt(len(d))))
    rows.append(
        f"| cascade on G({big}, 4/{big - 1}), T = {t} (R = {len(d)}) | final share | "
        f"{theory.mean():.4f} | {_fmt(mean_ci(final))} | {zs[-1]:+.2f} |"
    )
    worst = max(abs(z) for z in zs)
    bound = float(stats.norm.ppf(1 - 0.001 / (2 * len(zs))))
    verdict = "every |z| is below" if worst < bound else "NOT every |z| is below"
    lines = [
        "| case | quantity | theory | `engine: agents` [95 % CI] | z |",
        "|---|---|---:|---:|---:|",
        *rows,
        "",
        "z = (engine - theory) / standard error: the exact sd of the rounds, the sample sd of "
        "the calls, and for the cascade the paired difference from each replication's "
        f"prediction (as in case 2). The largest |z| is {worst:.2f}: {verdict} {bound:.2f}, the "
        f"tests' criterion for {len(zs)} checks at family-wise 0.001.",
    ]
    return {"agents-engine": "\n".join(lines)}


def report_gossip() -> dict[str, str]:
    """Blocks ``gossip`` (K_n against the exact push protocol) and ``gossip-sizes`` (theory)."""
    sc = load("gossip_complete")
    n = sc.population.n_agents
    th = gossip_exact(n)
    out = gossip_outcomes(run(sc))
    share = out["redundant"].sum() / out["calls"].sum()
    gossip = [
        f"**Result** (n = {n}, R = {len(out)}):",
        "",
        "| quantity | theory | simulator [95 % CI] |",
        "|---|---:|---:|",
        f"| rounds until all know | exact {th.mean_rounds:.3f} "
        f"(sd {math.sqrt(th.var_rounds):.2f}); "
        f"log2 n + ln n = {math.log2(n) + math.log(n):.2f} | "
        f"{_fmt(mean_ci(out['rounds'].to_numpy()), 3)} |",
        f"| calls before all know | exact {th.mean_calls:.2f} | "
        f"{_fmt(mean_ci(out['calls'].to_numpy()), 2)} |",
        f"| redundant calls | exact {th.mean_redundant:.2f} | "
        f"{_fmt(mean_ci(out['redundant'].to_numpy()), 2)} |",
        f"| share of redundant calls | exact E[red]/E[calls] = "
        f"{th.mean_redundant / th.mean_calls:.3f} | sum/sum = {share:.3f} |",
    ]
    sizes = [
        "| n | exact E[rounds] | log2 n + ln n | difference | exact share of redundant calls |",
        "|---:|---:|---:|---:|---:|",
    ]
    exact = {}
    for big in (64, 256, 1024):
        g = gossip_exact(big)
        exact[big] = g.mean_rounds
        asym = math.log2(big) + math.log(big)
        sizes.append(
            f"| {big} | {g.mean_rounds:.3f} | {asym:.3f} | {g.mean_rounds - asym:+.3f} | "
            f"{g.mean_redundant / g.mean_calls:.3f} |"
        )
    sizes += [
        "",
        f"As a check of the reference: E[S_256] - E[S_64] = {exact[256] - exact[64]:.2f} "
        f"against the asymptotic 2 + ln 4 = {2 + math.log(4):.2f} (quadrupling n keeps the "
        "fractional part of log2 n, on which Pittel's O(1) term depends).",
    ]
    return {"gossip": "\n".join(gossip), "gossip-sizes": "\n".join(sizes)}


def report_threshold() -> dict[str, str]:
    """Blocks ``threshold-ring`` (the lattice, exact) and ``threshold-ws`` (rewired rings)."""
    sc = load("threshold_ring")
    n, k = sc.population.n_agents, sc.network.degree
    ts = run(sc, 1)[0]
    model = start_models(sc, 1)[0]
    ring = [
        "| m | v (per side) | simulator, first steps | all aware at step (theory) |",
        "|---:|---:|---|---:|",
    ]
    same = []
    for cls in sc.knowledge.item_classes:
        m, seeds = cls.sources_required, cls.seeding.agents
        counts = np.rint(ts[f"share_aware__{cls.name}"].to_numpy() * n).astype(int)
        ref = threshold_reference(model.ties.u, model.ties.v, n, seeds, m, sc.steps)
        same.append(counts.tolist() == ref.tolist())
        v = ring_front_speed(k, m)
        full = np.flatnonzero(counts == n)
        if v == 0:
            first = ", ".join(str(c) for c in counts[:3]) + ", ..."
            theory = "never"
        else:
            first = ", ".join(str(c) for c in counts[:6]) + ", ..."
            theory = str(math.ceil((n - len(seeds)) / (2 * v)))
        done = str(int(full[0])) if len(full) else "never"
        if done != theory and v > 0:
            early = int(theory) - int(full[0]) if len(full) else 0
            note = f"ceil({n - len(seeds)}/{2 * v}) = {theory}"
            if early > 0:
                note += f", {early} early: the fronts meet"
            theory = note
        ring.append(f"| {m} | {v} | {first} | {done} ({theory}) |")
    verdict = (
        "Every curve also equals"
        if all(same)
        else "NOT every curve equals (m = "
        + ", ".join(
            str(c.sources_required)
            for c, s in zip(sc.knowledge.item_classes, same, strict=True)
            if not s
        )
        + " differ from)"
    )
    ring += [
        "",
        f"{verdict}, step for step over the {sc.steps} steps, an independent 10-line synchronous "
        "threshold model run on the same ring (`threshold_reference`).",
    ]

    ws = load("threshold_ws")
    ws_lines = [
        "| p_rewire | m = 1 final | m = 1 steps to all | m = 2 final | m = 3 final |",
        "|---:|---:|---:|---:|---:|",
    ]
    lattice_steps = math.ceil((n - 3) / (2 * ring_front_speed(ws.network.degree, 1)))
    last_p: dict[int, np.ndarray] = {}
    for p in (0.0, 0.01, 0.03, 0.1, 0.3, 1.0):
        tables = run(load("threshold_ws", [f"network.p_rewire={p}"]))
        final = {}
        for cls in ws.knowledge.item_classes:
            col = f"share_aware__{cls.name}"
            final[cls.sources_required] = np.array([t[col].iloc[-1] for t in tables])
        full = np.array([np.argmax(t["share_aware__m1"].to_numpy() >= 1.0) for t in tables])
        steps_ci = mean_ci(full.astype(float))
        steps = _fmt(steps_ci, 2)
        if steps_ci[1] == steps_ci[2] == lattice_steps:
            steps += " (exact)"
        ws_lines.append(
            f"| {p:g} | {_fmt(mean_ci(final[1]), 3)} | {steps} | {_fmt(mean_ci(final[2]), 3)} | "
            f"{_fmt(mean_ci(final[3]), 3)} |"
        )
        last_p = final
    n_ws = ws.population.n_agents
    seeds = len(ws.knowledge.item_classes[0].seeding.agents)
    stuck = int((np.rint(last_p[3] * n_ws) == seeds).sum())
    ws_lines += [
        "",
        f"(Final share aware, mean [95 % CI] over {len(full)} replications, n = {n_ws}; the "
        "interval is left out where it rounds to the mean.) At p = 1, m = 3 stays at its "
        f"{seeds} seeds "
        f"({seeds}/{n_ws} = {seeds / n_ws:.3f}) in {stuck} of {len(full)} replications.",
    ]
    return {"threshold-ring": "\n".join(ring), "threshold-ws": "\n".join(ws_lines)}


def _sparse_clustering(u: np.ndarray, v: np.ndarray, n: int) -> float:
    """Average local clustering of a tie list (as networkx.average_clustering), fast."""
    a = csr_matrix((np.ones(2 * len(u)), (np.r_[u, v], np.r_[v, u])), shape=(n, n))
    deg = np.asarray(a.sum(axis=1)).ravel()
    tri = np.asarray((a @ a).multiply(a).sum(axis=1)).ravel() / 2.0
    pairs = deg * (deg - 1) / 2.0
    return float(np.divide(tri, pairs, out=np.zeros_like(tri), where=pairs > 0).mean())


def _edges(g: nx.Graph) -> tuple[np.ndarray, np.ndarray]:
    e = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
    return np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])


def report_ws() -> dict[str, str]:
    """Block ``ws``: C(p) and L(p) of the generator against theory and networkx."""
    base = load("watts_strogatz")
    n, k = base.population.n_agents, base.network.degree
    c0, l0 = lattice_clustering(k), lattice_path_length(n, k)
    lines = [
        f"n = {n}, k = {k}: C(0) = {c0:.4f}, L(0) = {l0:.4f} (exact, the ring lattice); "
        f"{base.replications} graphs per p on each side, mean [95 % CI] (the interval left out "
        "where it rounds to the mean).",
        "",
        "| p | C/C(0) simulator | (1 - p)^3 | C/C(0) networkx | L/L(0) simulator | "
        "L/L(0) networkx | lattice triangles kept (simulator) | T0 (1 - p)^3 (sd) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratio: dict[float, tuple[float, float]] = {}
    for p in (0.0, 0.001, 0.01, 0.1, 0.3, 1.0):
        sc = load("watts_strogatz", [f"network.p_rewire={p}"])
        models = start_models(sc)
        c = np.array([_clustering(m) for m in models]) / c0
        ell = np.array([mean_path_length(m.ties.u, m.ties.v, n) for m in models]) / l0
        ref = np.array(networkx_ws(n, k, p, range(len(models))))
        tri = np.array([lattice_triangles_surviving(m.ties.u, m.ties.v, n, k) for m in models])
        t_mean, t_var = lattice_triangle_moments(n, k, p)
        ratio[p] = (float(c.mean()), float(ell.mean()))
        digits_l = 3 if p < 0.1 else 4
        cells = [
            _fmt(mean_ci(c), whole=True),
            _num((1 - p) ** 3, 4),
            _fmt(mean_ci(ref[:, 0] / c0), whole=True),
            _fmt(mean_ci(ell), digits_l, whole=True),
            _fmt(mean_ci(ref[:, 1] / l0), digits_l, whole=True),
            _fmt(mean_ci(tri.astype(float)), 1, whole=True),
            f"{_num(t_mean, 1)} ({_num(math.sqrt(t_var), 1)})",
        ]
        lines.append(f"| {p:g} | " + " | ".join(cells) + " |")
    c01, l01 = ratio[0.01]
    l_random = (math.log(n) - np.euler_gamma) / math.log(k) + 0.5
    lines += [
        "",
        f"At p = 0.01 the path length has fallen to {100 * l01:.0f} % of the lattice's while the "
        f"clustering keeps {100 * c01:.0f} %. At p = 1, L = {ratio[1.0][1]:.4f} x {l0:.2f} = "
        f"{ratio[1.0][1] * l0:.2f}; the random-graph value (ln n - 0.577)/ln k + 1/2 is "
        f"{l_random:.2f} (Fronczak et al. 2004).",
    ]
    # A larger sample against networkx: clustering, and the degree variance h p (2 - p).
    big = 60
    parts, differ = [], []
    for p in (0.1, 0.3):
        sc = load("watts_strogatz", [f"network.p_rewire={p}", f"replications={big}"])
        models = start_models(sc)
        ours_c = np.array([_clustering(m) for m in models])
        ours_v = np.array([m.ties.degree.var() for m in models])
        graphs = [nx.watts_strogatz_graph(n, k, p, seed=s) for s in range(1000, 1000 + big)]
        ref_c = np.array([_sparse_clustering(*_edges(g), n) for g in graphs])
        ref_v = np.array([np.var([d for _, d in g.degree()]) for g in graphs])
        res = stats.ttest_ind(ours_c, ref_c, equal_var=False)
        res_v = stats.ttest_ind(ours_v, ref_v, equal_var=False)
        parts.append(
            f"at p = {p:g}, C: Welch p = {res.pvalue:.2f}; degree variance {ours_v.mean():.3f} "
            f"against networkx {ref_v.mean():.3f} (Welch p = {res_v.pvalue:.2f}) and theory "
            f"h p (2 - p) = {k // 2 * p * (2 - p):.3f}"
        )
        if res.pvalue < 0.05:
            differ.append(f"C at p = {p:g}")
        if res_v.pvalue < 0.05:
            differ.append(f"the degree variance at p = {p:g}")
    verdict = (
        "No difference from networkx at the 5 % level, neither in C nor in the degree variance."
        if not differ
        else "A difference from networkx at the 5 % level in " + " and ".join(differ) + "."
    )
    lines += ["", f"With {big} graphs per p on each side: " + "; ".join(parts) + ". " + verdict]
    return {"ws": "\n".join(lines)}


def _clustering(m: LearningModel) -> float:
    from sim.metrics import reporters as metrics

    return metrics.clustering(m)


def report_peer() -> dict[str, str]:
    """Blocks ``peer-cascade`` and ``peer-threshold``: the simulator against EoN."""
    sc = load("peer_cascade")
    g = read_graph("peer_er", sc.population.n_agents)
    seeds = sc.knowledge.item_classes[0].seeding.agents
    t = sc.sharing.p_notice_max
    sim = shares(run(sc)) * sc.population.n_agents
    eon = eon_cascade(g, t, seeds, sc.replications, 7, sc.steps)
    ks = stats.ks_2samp(sim[:, -1], eon[:, -1])
    ours, theirs = mean_ci(sim[:, -1]), mean_ci(eon[:, -1])
    inside = theirs[1] <= ours[0] <= theirs[2] and ours[1] <= theirs[0] <= ours[2]
    verdict = (
        "each mean lies in the other's interval" if inside else "a mean lies outside the other's"
    ) + ("; KS does not reject at 5 %." if ks.pvalue > 0.05 else "; KS rejects at 5 %.")
    cascade = [
        f"{len(sim)} runs on each side, T = {t}, graph of {g.number_of_nodes()} learners.",
        "",
        "| | simulator [95 % CI] | EoN [95 % CI] |",
        "|---|---:|---:|",
        f"| mean final size (learners) | {_fmt(ours, 2)} | {_fmt(theirs, 2)} |",
        f"| final size: smallest, median, largest | {_spread(sim[:, -1])} | "
        f"{_spread(eon[:, -1])} |",
        f"| two-sample Kolmogorov-Smirnov on the final size | D = {ks.statistic:.3f}, "
        f"p = {ks.pvalue:.2f} | |",
        "",
        f"The two samples: {verdict}",
    ]
    sc = load("peer_threshold")
    g = read_graph("peer_ws", sc.population.n_agents)
    m = make_model(sc, rng=1, start_network=start_network(sc))
    for _ in range(sc.steps):
        m.step()
    threshold = ["| m | simulator aware | EoN aware | same learners |", "|---:|---:|---:|---|"]
    for j, cls in enumerate(sc.knowledge.item_classes):
        sim_set = set(np.flatnonzero(m.knowledge[:, j] > 0).tolist())
        eon_set = eon_threshold_final(g, cls.seeding.agents, cls.sources_required, 3)
        threshold.append(
            f"| {cls.sources_required} | {len(sim_set)} | {len(eon_set)} | "
            f"{'yes' if sim_set == eon_set else 'no'} |"
        )
    return {"peer-cascade": "\n".join(cascade), "peer-threshold": "\n".join(threshold)}


def _spread(x: np.ndarray) -> str:
    return f"{x.min():.0f}, {np.median(x):.0f}, {x.max():.0f}"


# The blocks in the order of the page; SLOW ones are computed only when asked for.
# ---------------------------------------------------------------------------------------------
# 7. Losing interest: the Maki-Thompson rumour model (gossip with p_stifle 1)

RUMOUR_REFERENCE_RUNS = 400


def maki_thompson_synchronous(n: int, rng: np.random.Generator) -> float:
    """Share never told the rumour: synchronous Maki-Thompson on K_n from one spreader.

    Independent of the model's code. Each round every spreader calls one learner chosen
    uniformly among the n - 1 others, all on the state at the round's start; an ignorant one
    called becomes a spreader (from the next round); a spreader whose call reaches a spreader
    or a stifler becomes a stifler (Maki & Thompson 1973; Daley & Kendall 1965 stifle both).
    """
    state = np.zeros(n, dtype=np.int8)  # 0 ignorant, 1 spreader, 2 stifler
    state[rng.integers(n)] = 1
    while True:
        spreaders = np.flatnonzero(state == 1)
        if len(spreaders) == 0:
            return float(np.mean(state == 0))
        # A uniform other learner: draw from n - 1 and skip the caller.
        called = rng.integers(n - 1, size=len(spreaders))
        called += called >= spreaders
        knew = state[called] != 0
        new = state.copy()
        new[called[~knew]] = 1
        new[spreaders[knew]] = 2
        state = new


def maki_thompson_limit() -> float:
    """The share never hearing as n grows, asynchronous: the root of x = exp(-2 (1 - x)).

    Sudbury (1985) proved the limit for the Maki-Thompson process (continuous time, one call
    at a time); it is 0.2032.
    """
    from scipy import optimize

    return float(optimize.brentq(lambda x: x - np.exp(-2.0 * (1.0 - x)), 0.01, 0.9))


def rumour_never_heard(sc: Scenario, seeds: Iterable[int]) -> np.ndarray:
    """Share that never heard the rumour, per seed, run until no spreader is left."""
    out = []
    for seed in seeds:
        m = make_model(sc, rng=seed)
        while m.running:
            m.step()
            if m.steps > 1 and m.rows[-1]["exposures"] == 0:
                break  # no spreader left: nothing changes any more
        if m.rows[-1]["exposures"] != 0:
            raise RuntimeError(f"seed {seed}: the rumour still spread after {m.steps} steps")
        out.append(1.0 - m.rows[-1]["share_aware"])
    return np.array(out)


def report_rumour() -> dict[str, str]:
    """Block ``rumour``: the share never hearing, simulator against synchronous Maki-Thompson."""
    sc = load("rumour_complete")
    n, r = sc.population.n_agents, sc.replications
    model = rumour_never_heard(sc, replication_seeds(sc.seed, r))
    rng = np.random.default_rng(sc.seed)
    ref = np.array([maki_thompson_synchronous(n, rng) for _ in range(RUMOUR_REFERENCE_RUNS)])
    diff = model.mean() - ref.mean()
    se = math.sqrt(model.var(ddof=1) / len(model) + ref.var(ddof=1) / len(ref))
    lines = [
        f"**Result** (n = {n}):",
        "",
        "| share never hearing the rumour | mean [95 % CI] | runs |",
        "|---|---:|---:|",
        f"| simulator (`p_stifle: 1`) | {_fmt(mean_ci(model), 4)} | {len(model)} |",
        f"| synchronous Maki-Thompson, simulated independently | {_fmt(mean_ci(ref), 4)} | "
        f"{len(ref)} |",
        f"| asynchronous limit (n to infinity), root of x = exp(-2 (1 - x)) | "
        f"{maki_thompson_limit():.4f} | theory |",
        "",
        f"Difference simulator - reference: {diff:+.4f} (standard error {se:.4f}, "
        f"z = {diff / se:+.2f}).",
    ]
    return {"rumour": "\n".join(lines)}


REPORTS = (
    report_si,
    report_cascade,
    report_gossip,
    report_threshold,
    report_ws,
    report_peer,
    report_rumour,
)
SLOW = {"finite-size": report_finite_size, "agents-engine": report_agents_engine}


def generated_blocks(slow: Iterable[str] = ()) -> dict[str, str]:
    """Every default block of docs/validation.md, and the `slow` ones named."""
    blocks: dict[str, str] = {}
    for report in REPORTS:
        blocks.update(report())
    for name in slow:
        blocks.update(SLOW[name]())
    return {name: _wrap(body) for name, body in blocks.items()}


def _wrap(body: str, width: int = 100) -> str:
    """The block with its lines of prose wrapped at `width`, as the page (tables stay).

    No wrapped line may start with "|" (Markdown would read a table row): the width shrinks
    until none does.
    """
    out = []
    for line in body.split("\n"):
        if line.startswith("|") or len(line) <= width:
            out.append(line)
            continue
        for w in range(width, width // 2, -1):
            lines = textwrap.wrap(line, w, break_long_words=False, break_on_hyphens=False)
            if not any(x.startswith("|") for x in lines[1:]):
                break
        out += lines
    return "\n".join(out)


def update_page(page: Path, blocks: dict[str, str], check: bool) -> int:
    """Write `blocks` into `page` or (``check``) compare them with it; 0 if equal or written.

    A slow block that was not computed keeps the page's content (it is neither rewritten
    nor checked).
    """
    present = pages.blocks_in(page.read_text(encoding="utf-8"))
    kept = {name: present[name] for name in SLOW if name not in blocks and name in present}
    return pages.write_or_check(page, blocks | kept, check)


def main(argv: list[str] | None = None) -> int:  # noqa: D103
    ap = argparse.ArgumentParser(description=__doc__)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write the blocks into the page")
    mode.add_argument(
        "--check", action="store_true", help="compare the blocks with the page (exit 1 if stale)"
    )
    mode.add_argument("--write-graphs", action="store_true", help="rewrite the peer CSVs")
    ap.add_argument(
        "--finite-size",
        action="store_true",
        help="also compute the finite-size block (cascade bias against n, about 3 minutes)",
    )
    ap.add_argument(
        "--agents-engine",
        action="store_true",
        help="also compute the agents-engine block (two cases on engine: agents, ~3 minutes)",
    )
    args = ap.parse_args(argv)
    if args.write_graphs:
        write_peer_graphs()
        return 0
    slow = [name for name in SLOW if getattr(args, name.replace("-", "_"))]
    blocks = generated_blocks(slow)
    if args.write or args.check:
        return update_page(PAGE, blocks, args.check)
    for name, body in blocks.items():
        print(f"<!-- begin {name} -->\n{body}\n<!-- end {name} -->\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
