"""Resource guards: refuse, before anything starts, an experiment this machine cannot hold.

`estimate` sizes an experiment from its spec: the memory of one run (the arrays the model
allocates, counted from `sim.world.learners`, `sim.world.ties` and the step rules) and the
number of jobs. `check_resources` turns that into one line per problem when the runs at once
would not fit the memory limit or the jobs are too many; the command line's ``--allow-large``
skips it. `check_scheduler_address` checks a Dask scheduler address without connecting.

Functions only: the command line and `sim.api` call them before a results folder is created.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiment.snapshots import snapshot_steps
from sim.metrics import REGISTRY
from sim.scenario import Generator, Policy, Scenario
from sim.scenario.checks import expected_ties
from sim.scenario.loading import _short

MAX_JOBS = 1_000_000
"""Most jobs (points x replications) an experiment may have: each is planned, keyed and
written as its own file before the tables are consolidated."""

MEMORY_SHARE = 0.8
"""Share of the available memory the runs at once may take (the rest: the OS, the parent)."""

FALLBACK_MEMORY = 16 * 2**30
"""Memory limit when the available memory cannot be read (not Linux, no sysconf)."""

PROCESS_BYTES = 300 * 2**20
"""A worker before its run: Python, numpy, scipy, pandas, Mesa, numba and the compiled
kernels (measured: 330 MB resident after a small run, part of it shared between workers)."""

# Bytes per unit of what a run allocates. The arrays a run keeps are counted from the code
# (`state_bytes`); the working memory of a step, of the structural metrics and of building
# the network was measured (peak resident memory, 2000-20000 learners) and rounded up.
_KNOWLEDGE = 4  # float32 mastery per (learner, item)
_PER_LEARNER = 21  # group int32, activity, helpfulness float64, member bool
_STEP_PER_LEARNER = 16  # a step's p_share and p_ask, float64 (worked out, not kept)
_PER_ITEM = 40  # item class, topic, sources required int64; complexity, repository float64
_PER_TIE = 25  # strength float64, origin int8; the index 2 x (neighbour, tie) int32
_STAMPS_PER_TIE = 4  # last used, formed int16 (with tie dynamics; else one value each)
_PER_SNAPSHOT_TIE = 40  # a saved tie: step int64, u, v, formed int32, strength, kind, origin
_PER_LEARNER_ROW = 240  # a learner table row: 25 columns, the group label's string
_PER_LEARNER_TALLY = 104  # questions, answers given and received, 7 gains, 3 budget cuts
_PER_GROUP_ROW = 8 * 22  # a groups table row, kept as floats until the run ends
_PER_SEEDED = 8  # int64 flat index of each seeded (learner, item): `newly_aware`
_STEP_PER_PAIR = 42  # a step's copies of the knowledge (gains, forgetting), masks, indices
# A noticed share or answer: event arrays, offers, sorting, the budget's scratch, and 72 B
# of the best-gain choice's radix sort for an offer that gains (id, number, score and
# tiebreak, their copies, the winner).
_PER_EVENT = 182
_KEPT_PER_EVENT = 70  # what of it is still held while the step's metrics are recorded
_PER_CELL = 64  # one metric of one recorded step (a dict of floats, then a table)
_START_PER_TIE = 24  # the generated network: u, v int64 and strength float64
_NETWORKX_PER_TIE = 250  # a networkx graph (barabasi_albert): dicts of dicts


@dataclass(frozen=True)
class RunMemory:
    """Estimated bytes of one run, without the worker process itself (`PROCESS_BYTES`).

    Attributes:
        state: the arrays a run keeps between steps (what `LearningModel.state_nbytes`
            reports).
        rows: the recorded metrics of every step and the tie snapshots (kept until the run's
            tables are written).
        setup: the peak while the model is built (network generation and step 0's metrics).
        step: the working memory of a step on top of the state, once knowledge has spread
            (every learner aware of every item: the most a step allocates).
    """

    state: int
    rows: int
    setup: int
    step: int

    @property
    def peak(self) -> int:
        """The most the run holds at once."""
        return max(self.setup, self.state + self.rows + self.step)


@dataclass(frozen=True)
class Estimate:
    """What an experiment needs: memory per run and the number of jobs.

    Attributes:
        run: the memory of the largest run over the points.
        largest_point: index of the point of that run.
        jobs: points x replications.
        points: points of the experiment.
        replications: replications per point.
        parent_bytes: what the launching process holds for the runs (edge-list networks
            read once for every point).
    """

    run: RunMemory
    largest_point: int
    jobs: int
    points: int
    replications: int
    parent_bytes: int = 0

    def concurrent(self, workers: int) -> int:
        """Runs at once with `workers` processes (the executors never start more than jobs)."""
        return max(1, min(int(workers), self.jobs))

    def peak_bytes(self, workers: int) -> int:
        """Peak memory with `workers` runs at once, each in its own process."""
        return self.concurrent(workers) * (self.run.peak + PROCESS_BYTES) + self.parent_bytes


def run_memory(scenario: Scenario, n_ties: int | None = None) -> RunMemory:
    """Estimated memory of one run of a scenario.

    Args:
        scenario: the validated scenario.
        n_ties: the starting network's ties when known (an edge list read); otherwise the
            expected number of the generator (`sim.scenario.checks.expected_ties`). Ties formed
            during the run are not counted.
    """
    s = scenario
    n, m = s.population.n_agents, s.n_items
    ties = float(expected_ties(s) if n_ties is None else n_ties)
    state = state_bytes(s, ties)
    structure = _structure_bytes(s, ties)
    interests = 17 * n * s.knowledge.n_topics if s.population.n_interests else 0
    # The tie table while its index is built: with the endpoints given, and both stamps.
    table = (_PER_TIE + _STAMPS_PER_TIE + 8) * ties
    setup = max(
        _network_bytes(s, ties) + table,  # the generator, then the tie table
        table + interests,  # drawing interests: random keys and their argsort
        state + structure,  # step 0's metrics
    )
    events = _events(s, ties)
    asking = 7 * n * min(1.0, s.help.p_ask) * m if s.help.enabled else 0.0  # needs per item
    if s.correction.enabled and any(c.misconception_of for c in s.knowledge.item_classes):
        asking += n * m  # the refused (learner, item) pairs, a bool each
    step = max(
        _STEP_PER_PAIR * n * m + _PER_EVENT * events + asking + _STEP_PER_LEARNER * n,
        _KNOWLEDGE * n * m + _KEPT_PER_EVENT * events + structure,
    )
    columns = len(REGISTRY) + 3 * len(s.knowledge.item_classes)
    rows = _PER_CELL * columns * (s.steps + 1)
    snapshots = len(snapshot_steps(s.steps, s.metrics.snapshot_every))
    rows += _PER_SNAPSHOT_TIE * ties * snapshots
    if s.metrics.learners:
        rows += (_PER_LEARNER_ROW * snapshots + _PER_LEARNER_TALLY) * n
    if s.metrics.groups:
        rows += _PER_GROUP_ROW * (_groups(s) + 2) * (s.steps + 1)
    return RunMemory(state=int(state), rows=int(rows), setup=int(setup), step=int(step))


def _groups(s: Scenario) -> int:
    """Groups of the starting network (at most the learners; one for most generators)."""
    return max(1, min(int(getattr(s.network, "n_groups", 1) or 1), s.population.n_agents))


def state_bytes(scenario: Scenario, ties: float) -> float:
    """The arrays a run keeps between steps, counted as `LearningModel.__init__` makes them."""
    n, m, k = scenario.population.n_agents, scenario.n_items, scenario.knowledge
    seeded = 0
    for c in k.item_classes:
        holders = c.seeding.n_holders if c.seeding.agents is None else len(c.seeding.agents)
        seeded += c.n_items * holders
    stifled = n * m if scenario.sharing.p_stifle > 0 else 0  # bool per (learner, item)
    wrong = sum(c.n_items for c in k.item_classes if c.misconception_of is not None)
    # Correction: per (learner, misconception) the resistance (int64) and a flag (bool).
    correcting = 9 * n * wrong if scenario.correction.enabled else 0
    return (
        _KNOWLEDGE * n * m
        + stifled
        + correcting
        + _PER_SEEDED * seeded
        + n * k.n_topics  # interest, bool per (learner, topic)
        + _PER_LEARNER * n
        + 4 * (n + 1)  # CSR row pointer, int32
        + _PER_ITEM * m
        + (_PER_TIE + (_STAMPS_PER_TIE if scenario.ties.enabled else 0)) * ties
    )


def _network_bytes(s: Scenario, ties: float) -> float:
    """The peak of generating the starting network (its arrays and the generator's)."""
    n, net, g = s.population.n_agents, s.network, s.network.generator
    pairs = n * (n - 1) / 2
    generated = _START_PER_TIE * ties
    if g in (Generator.RING_LATTICE, Generator.WATTS_STROGATZ):
        return generated + 40 * ties  # the lattice, the rewiring draws, the sort keys
    if g == Generator.ERDOS_RENYI:
        return generated + _draw_bytes(pairs, ties) + 48 * ties
    if g == Generator.RANDOM_REGULAR:
        d = min(net.degree, n - 1 - net.degree)
        extra = 64 * ties + (n * n / 8 if d >= 0.3 * n else 0)  # stubs; the switch chain's bits
        return generated + extra + (40 * pairs if net.degree > (n - 1) / 2 else 0)  # complement
    if g == Generator.BARABASI_ALBERT:
        return generated + _NETWORKX_PER_TIE * ties
    if g == Generator.COMPLETE:
        return generated + 24 * pairs
    if g == Generator.CLUSTERED:
        within = n * (n / max(net.n_groups, 1) - 1) / 2
        return generated + _draw_bytes(within, within * net.p_within) + 48 * ties
    return generated  # empty; edge_list: read before the run, then copied


def _draw_bytes(population: float, count: float) -> float:
    """Memory of `Generator.choice(population, count, replace=False, shuffle=False)`.

    numpy shuffles a full range when count > population / 20 (or population <= 10000), else
    uses Floyd's method with a hash set.
    """
    if population <= 10_000 or count > population / 20:
        return 8 * population
    return 28 * count


def _structure_bytes(s: Scenario, ties: float) -> float:
    """The structural metrics of a recorded step: knowledge overlap and clustering."""
    if s.metrics.structure_every <= 0:
        return 0.0
    n, m, net = s.population.n_agents, s.n_items, s.network
    k = 2 * ties / n if n else 0.0
    # Entries of A @ A (clustering): at most the sum of squared degrees, and n^2.
    if net.generator == Generator.BARABASI_ALBERT:
        square = k * (k / 2 + 1) / 2 * n * math.log(max(n, 2))  # m (m + 1) n ln n
    elif net.generator == Generator.CLUSTERED:
        square = n * min(k * k + k, n / max(net.n_groups, 1) + k * (1 + 2 * net.bridges_per_agent))
    else:
        square = n * (k * k + k)
    adjacency = 40 * ties + 12 * min(n * n, square)  # A as float64, A @ A, the product with A
    overlap = 4 * ties * m + n * m  # both ends' aware masks per tie and item; the aware mask
    return adjacency + overlap


def _events(s: Scenario, ties: float) -> float:
    """Events of a step once knowledge has spread: noticed shares, questions and answers."""
    n, m = s.population.n_agents, s.n_items
    k = 2 * ties / n if n else 0.0
    events = 0.0
    if s.sharing.enabled:
        # Every known item shared with p_share, to every tie (to one: gossip), noticed with at
        # most p_notice_max; cascade: as if every item became known in one step.
        reach = 1.0 if s.sharing.policy == Policy.GOSSIP else k
        events = n * m * min(1.0, s.sharing.p_share) * reach * s.sharing.p_notice_max
    if s.help.enabled:
        events += n * min(1.0, s.help.p_ask) * (1 + k)  # questions seen by ties, answers
    return events


def estimate(spec: Any) -> Estimate:
    """The memory and jobs an experiment needs (`sim.experiment.spec.Spec`), before it runs.

    The largest run over the points counts (the points run in any order, several at once).
    """
    networks = getattr(spec, "networks", {}) or {}
    best, best_point = RunMemory(0, 0, 0, 0), 0
    held: dict[int, int] = {}  # edge lists read once, shared by the points with equal settings
    for i, point in enumerate(spec.points):
        scenario = point.scenario if point.scenario is not None else spec.base
        net = networks.get(point.index)
        if net is not None:
            held[id(net)] = sum(int(a.nbytes) for a in (net.u, net.v, net.strength, net.group))
        run = run_memory(scenario, net.n_ties if net is not None else None)
        if run.peak > best.peak:
            best, best_point = run, i
    points = len(spec.points)
    return Estimate(
        run=best,
        largest_point=best_point,
        jobs=points * int(spec.replications),
        points=points,
        replications=int(spec.replications),
        parent_bytes=sum(held.values()),
    )


def available_memory() -> int | None:
    """Bytes of memory available now: /proc/meminfo's MemAvailable, within a cgroup's limit.

    None if it cannot be read.
    """
    found = [b for b in (_meminfo_available(), _cgroup_available()) if b is not None]
    if not found and hasattr(os, "sysconf"):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            pass
    return min(found) if found else None


def _meminfo_available() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemAvailable:\s+(\d+) kB", text, flags=re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def _cgroup_available() -> int | None:
    """A container's memory limit less its usage (cgroup v2, else v1); None if unlimited."""
    for limit, usage in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            cap, used = Path(limit).read_text().strip(), Path(usage).read_text().strip()
        except OSError:
            continue
        if cap.isdigit() and used.isdigit() and int(cap) < 2**60:
            return max(int(cap) - int(used), 0)
        return None
    return None


def memory_limit() -> int:
    """The default limit: `MEMORY_SHARE` of the available memory (`FALLBACK_MEMORY` if unknown)."""
    available = available_memory()
    return int(MEMORY_SHARE * available) if available is not None else FALLBACK_MEMORY


def check_resources(
    spec: Any,
    workers: int,
    allow_large: bool = False,
    *,
    limit: int | None = None,
    max_jobs: int = MAX_JOBS,
) -> list[str]:
    """One line per resource the experiment would exceed; none when it fits (or allowed).

    Args:
        spec: the experiment (`sim.experiment.spec.Spec`).
        workers: processes running at once (1: in this process). With a Dask scheduler the runs
            use the cluster's memory: pass 1 to check only that one run fits here.
        allow_large: skip the check (the command line's ``--allow-large``).
        limit: memory limit in bytes (default `memory_limit()`).
        max_jobs: most jobs (default `MAX_JOBS`).

    Returns:
        Lines like ``big.yaml: needs about 41 GB of memory (8 runs at once of 5.1 GB each),
        more than 25 GB (80% of the 32 GB available): --workers 4 fits, or pass
        --allow-large to run anyway``.
    """
    if allow_large:
        return []
    est = estimate(spec)
    where = str(spec.sources[0]) if len(getattr(spec, "sources", [])) == 1 else spec.name
    problems = []
    available = available_memory() if limit is None else None
    if limit is not None:
        cap = int(limit)
    else:
        cap = int(MEMORY_SHARE * available) if available is not None else FALLBACK_MEMORY
    peak = est.peak_bytes(workers)
    if peak > cap:
        if limit is not None:
            what = "the limit"
        elif available is None:
            what = "the limit when the available memory is unknown"
        else:
            what = f"{MEMORY_SHARE:.0%} of the {_bytes(available)} available"
        one = est.run.peak + PROCESS_BYTES
        at_once = est.concurrent(workers)
        fit = (cap - est.parent_bytes) // one
        point = f", largest at point {est.largest_point}" if est.points > 1 else ""
        runs = f"{at_once} runs at once of {_bytes(one)} each" if at_once > 1 else "one run"
        advice = f"--workers {fit} fits, or " if at_once > 1 and fit >= 1 else ""
        problems.append(
            f"{where}: needs about {_bytes(peak)} of memory ({runs}{point}), more than "
            f"{_bytes(cap)} ({what}): {advice}pass --allow-large to run anyway"
        )
    if est.jobs > max_jobs:
        problems.append(
            f"{where}: {est.jobs} runs ({est.points} points x {est.replications} replications)"
            f", more than {max_jobs}: fewer points or replications, or pass --allow-large to run"
            " anyway"
        )
    return problems


def _bytes(n: float) -> str:
    """Bytes as people read them: 512 MB, 3.2 GB, 1.1 TB."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.2g} {unit}" if n / size < 10 else f"{n / size:.0f} {unit}"
    return f"{int(n)} B"


# ---------------------------------------------------------------------------------------------
# Scheduler addresses

SCHEDULER_PROTOCOLS = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
"""Protocols of Dask's communication layer (distributed.comm)."""

_HOST = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*$"
)


def check_scheduler_address(text: str) -> list[str]:
    """One line if `text` is not a Dask scheduler address, else none (nothing is contacted).

    Accepted: ``tcp://host:port``, ``tls://``, ``ucx://``, ``ws://``, ``wss://`` with a host
    and port, ``host:port`` (tcp), ``inproc://`` with anything after it. A host is a name, an
    IPv4 address or an IPv6 address in brackets (``tcp://[::1]:8786``).
    """
    shown = f"--scheduler {_short(text)}"
    expected = (
        "expected tcp://host:port or host:port (also tls://, ucx://, ws://, wss://, inproc://)"
    )
    if not isinstance(text, str) or not text.strip():
        return [f"{shown}: {expected}"]
    protocol, sep, rest = text.partition("://")
    if not sep:
        protocol, rest = "tcp", text
    if protocol not in SCHEDULER_PROTOCOLS:
        return [f"{shown}: unknown protocol {protocol!r}; {expected}"]
    if protocol == "inproc":
        return [] if rest.strip() else [f"{shown}: inproc:// needs an address after it"]
    host, port = _split_host_port(rest)
    if host is None:
        return [f"{shown}: {expected}"]
    if not (port.isdigit() and 1 <= int(port) <= 65535):
        return [f"{shown}: the port must be a whole number from 1 to 65535"]
    if not _is_host(host):
        return [f"{shown}: {host!r} is not a host name or IP address"]
    return []


def _split_host_port(rest: str) -> tuple[str | None, str]:
    """(host, port) of ``host:port`` or ``[ipv6]:port``; host None without a port."""
    if rest.startswith("["):
        host, sep, port = rest[1:].partition("]:")
        return (host, port) if sep else (None, "")
    host, sep, port = rest.rpartition(":")
    return (host, port) if sep and host else (None, "")


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST.match(host)) and len(host) <= 253
