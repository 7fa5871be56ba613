"""Broadcast seen from the learners' side ("pull"), and the block runner of the share kernels.

When every tie notices with the same attention and a redundant exposure changes nothing but
the counters (`sim.rules.sharing.redundant_can_be_skipped`), visiting the learners that can
still learn is less work than visiting the sharers once most learners know what their ties
share (Beamer et al. 2012, direction-optimising BFS). The informative shares are listed, the
redundant ones drawn as one binomial count and split by tie kind.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.rules.events import Events
from sim.world.ties import TieTable, degree_sum


def _pull_if_cheaper(
    k0: np.ndarray,
    shared: np.ndarray,
    every_known: bool,
    t: TieTable,
    p: float,
    strong_threshold: float,
    rng: np.random.Generator,
    count_rng: np.random.Generator,
) -> tuple[Events, np.ndarray] | None:
    """Broadcast with equal attention seen from the learners' side, when that is less work.

    The redundant shares are drawn as one binomial count (as before the split by tie kind,
    so a seed gives the same run); given that count, how many of them were over strong
    ties is hypergeometric (each redundant triple is noticed independently with the same
    p), drawn from `count_rng`, which decides nothing else.

    Returns None when visiting the sharers (`noticed_shares`) is cheaper.
    """
    n_items = k0.shape[1]
    # (sharer, item, tie) triples; when everything known is shared by everyone, every tie
    # twice per item
    if len(shared) == k0.size:
        push_work = 2 * len(t) * n_items
    else:
        push_work = degree_sum(t.indptr, shared, n_items)
    cand = np.flatnonzero(k0.reshape(-1) < 1.0)
    push_cost = push_work * p + len(shared)
    # Pull costs about the candidates' degrees: skip counting them when even the mean
    # degree says push is cheaper (early in a spread, when few know).
    mean_deg = 2.0 * len(t) / t.n_agents
    if len(cand) * mean_deg > 4 * push_cost:
        pull_work = np.inf
    else:
        pull_work = degree_sum(t.indptr, cand, n_items)
    if pull_work == 0:  # nobody who can learn has a tie: every share is redundant
        redundant = int(rng.binomial(push_work, p))
        strong_work = _strong_work(t, shared, k0, strong_threshold, push_work)
        return Events.empty(), _split(redundant, push_work, strong_work, count_rng)
    if pull_work >= push_cost:
        return None
    if every_known:
        sharing = k0.reshape(-1) > 0
    else:
        sharing = np.zeros(k0.size, dtype=bool)
        sharing[shared] = True
    src, dst, item, tie, informative = pulled_shares(
        t.indptr, t.nbr, t.tie_of, sharing, k0.reshape(-1), n_items, cand, p, rng,
        t.strength, strong_threshold,
    )  # fmt: skip
    # Each redundant triple is noticed independently with p: one binomial.
    redundant = int(rng.binomial(push_work - int(informative.sum()), p))
    strong_left = _strong_work(t, shared, k0, strong_threshold, push_work) - int(informative[1])
    counts = _split(redundant, push_work - int(informative.sum()), strong_left, count_rng)
    return Events.received(src, dst, item, tie, t.strength[tie]), counts


def _strong_work(
    t: TieTable, shared: np.ndarray, k0: np.ndarray, threshold: float, work: int
) -> int:
    """(sharer, item, tie) triples over strong ties, among the shared items' `work` triples."""
    strong_degree, n_strong_ends = t.strong_degree(threshold)
    if n_strong_ends == 2 * len(t):  # every tie strong (or none: below)
        return work
    if n_strong_ends == 0:
        return 0
    n_items = k0.shape[1]
    if len(shared) == k0.size:
        return n_strong_ends * n_items  # every tie twice per item
    return int(strong_degree[shared // n_items].sum())


def _split(count: int, work: int, strong_work: int, rng: np.random.Generator) -> np.ndarray:
    """Split `count` of `work` equally likely triples into (weak, strong) by tie kind.

    Given the count, the strong ones among the noticed are hypergeometric: `count` drawn
    without replacement from `strong_work` strong and `work - strong_work` weak triples.
    """
    weak_work = work - strong_work
    if count == 0 or strong_work <= 0 or weak_work <= 0:
        weak = count if weak_work > 0 else 0
        return np.array([weak, count - weak], dtype=np.int64)
    if work < 10**9:  # numpy's bound on the population of a hypergeometric draw
        strong = int(rng.hypergeometric(strong_work, weak_work, count))
    else:  # sampling a few from a vast population: binomial to within 1/work
        strong = int(rng.binomial(count, strong_work / work))
    return np.array([count - strong, strong], dtype=np.int64)


def _in_blocks(kernel, args, n_rows, expected, row_bound):
    """Run a row kernel that appends (src, dst, item, tie) to buffers, block by block.

    The kernel takes `args`, the first row and four int64 buffers, and stops before a row
    that might not fit (at most `row_bound(row)` outputs); it returns (next row, outputs
    written, its count). Buffers are sized for the expected output, so there is usually one
    block (a further one is twice as large); the random numbers are drawn in the same order
    whatever the blocks. (A kernel that grows its own outputs was 3x slower: numba does not
    keep arrays reassigned in a loop in registers.)
    """
    cap = int(expected * 1.1) + 1024
    parts, total, row = [], 0, 0
    while True:
        bufs = tuple(np.empty(cap, np.int64) for _ in range(4))
        row, n, count = kernel(*args, row, *bufs)
        parts.append(tuple(b[:n] for b in bufs))
        total += count
        if row >= n_rows:
            break
        cap = max(2 * cap, row_bound(row))
    if len(parts) == 1:
        return (*parts[0], total)
    return (*(np.concatenate(col) for col in zip(*parts, strict=True)), total)


def _degree(indptr, agent):
    return int(indptr[agent + 1] - indptr[agent])


def pulled_shares(
    indptr,
    nbr,
    tie_of,
    sharing,
    k_flat,
    n_items,
    cand,
    p,
    rng,
    strength=None,
    strong_threshold=np.inf,
):
    """Broadcast seen from the receiving side: the informative noticed shares only.

    For each candidate (learner, item) -- one that could still learn it -- every tie that
    shares the item this step and knows more is noticed with probability `p` (attention
    independent of strength). Visiting the learners that can still learn instead of the
    sharers is the "pull" direction of Beamer et al. (2012, direction-optimising BFS): far
    less work once most learners know what their ties share. The redundant shares are then
    drawn as one binomial count by the caller (`_pull_if_cheaper`).

    Args:
        indptr: CSR row pointer of the ties.
        nbr: CSR neighbour per entry.
        tie_of: CSR tie id per entry.
        sharing: bool per flat (agent * n_items + item): shares it this step.
        k_flat: mastery at the start of the step, flattened.
        n_items: items per agent.
        cand: flat (learner, item) indices that could learn (every one with mastery below
            some tie's must be included; int64).
        p: attention, the same for every tie.
        rng: the model's numpy Generator.
        strength: per tie (None: every tie counts as weak).
        strong_threshold: strength from which a tie is strong (splits the count).

    Returns:
        (src, dst, item, tie, n_informative): the noticed informative shares (int64), and how
        many informative (sharer, learner, item) triples there were, noticed or not, per
        `TieKind` (weak, strong).
    """
    if len(cand) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z, np.zeros(2, dtype=np.int64)
    if strength is None:
        strength = np.zeros(int(tie_of.max()) + 1 if len(tie_of) else 0)
    # Few of the candidates' ties are informative: expect a tenth of them, grow if not.
    expected = 0.1 * p * degree_sum(indptr, cand, n_items)
    return _in_blocks(
        _pulled_rows,
        (indptr, nbr, tie_of, sharing, k_flat, n_items, cand, p, rng, strength, strong_threshold),
        len(cand),
        expected,
        lambda r: _degree(indptr, cand[r] // n_items),
    )


@numba.njit(cache=True)
def _pulled_rows(
    indptr,
    nbr,
    tie_of,
    sharing,
    k_flat,
    n_items,
    cand,
    p,
    rng,
    strength,
    strong_threshold,
    row,
    out_src,
    out_dst,
    out_item,
    out_tie,
):  # pragma: no cover - compiled
    """`pulled_shares` from candidate `row` on, until one might not fit in the buffers."""
    cap = len(out_src)
    n_out = 0
    informative = np.zeros(2, np.int64)  # per TieKind
    for c in range(row, len(cand)):
        flat = cand[c]
        b = flat // n_items
        it = flat - b * n_items
        if n_out + indptr[b + 1] - indptr[b] > cap:
            return c, n_out, informative
        k_b = k_flat[flat]
        for pos in range(indptr[b], indptr[b + 1]):
            s = nbr[pos]
            f = s * n_items + it
            if not sharing[f] or k_flat[f] <= k_b:
                continue
            informative[1 if strength[tie_of[pos]] >= strong_threshold else 0] += 1
            if rng.random() >= p:
                continue
            out_src[n_out] = s
            out_dst[n_out] = b
            out_item[n_out] = it
            out_tie[n_out] = tie_of[pos]
            n_out += 1
    return len(cand), n_out, informative
