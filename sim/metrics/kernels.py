"""Compiled passes over the knowledge array behind the knowledge metrics."""

from __future__ import annotations

import numba
import numpy as np

from sim.rules.common import at_knowledge_precision


@numba.njit(cache=True)
def item_stats(k, deep_threshold):  # pragma: no cover - compiled
    """Per item (column of `k`): learners aware, summed mastery, learners at deep mastery.

    Also each learner's total mastery (float64), for the Gini coefficient: one pass over
    the knowledge for every knowledge metric.

    Args:
        k: mastery per (learner, item), 2-D.
        deep_threshold: mastery counted as deep (at or above); compared in the precision of
            `k` (`at_knowledge_precision`), so a learner stored at exactly the threshold
            is deep.

    Returns:
        (aware, total, deep, per_learner): per item, per item, per item, per learner.
    """
    deep_threshold = at_knowledge_precision(deep_threshold, k)
    n, m = k.shape
    aware = np.zeros(m, np.int64)
    total = np.zeros(m, np.float64)
    deep = np.zeros(m, np.int64)
    per_learner = np.zeros(n, np.float64)
    if m == 1:  # scalar accumulators: a million learners in under a millisecond
        c, t, d = 0, 0.0, 0
        for a in range(n):
            x = k[a, 0]
            c += x > 0
            t += x
            d += x >= deep_threshold
            per_learner[a] = x
        aware[0], total[0], deep[0] = c, t, d
        return aware, total, deep, per_learner
    for a in range(n):
        row = 0.0
        for j in range(m):
            x = k[a, j]
            # Without branches: adding a zero changes no sum.
            aware[j] += x > 0
            total[j] += x
            deep[j] += x >= deep_threshold
            row += x
        per_learner[a] = row
    return aware, total, deep, per_learner


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, towards 1 = concentrated).

    ``G = 2 * sum_i i * x_(i) / (n * sum x) - (n + 1) / n`` over the values sorted
    ascending (ranks i from 1). Zeros add nothing whatever their rank, and the values equal
    to the maximum take the top ranks in any order, so only the values in between are sorted
    (none when every learner knows all or nothing, as in simple contagion): the result is
    the same, in a fraction of the time on a million learners.
    """
    x = np.asarray(x)
    n = len(x)
    if n == 0:
        return 0.0
    z, top, c, total, mid = _gini_parts(x)
    if total <= 0:
        return 0.0
    mid = np.sort(mid)
    ranks = np.arange(z + 1, z + len(mid) + 1, dtype=np.float64)
    # Ranks of the c maxima: n - c + 1 .. n, summing to c * (2n - c + 1) / 2.
    s = np.dot(ranks, mid.astype(np.float64)) + float(top) * c * (2.0 * n - c + 1.0) / 2.0
    return float(2.0 * s / (n * total) - (n + 1.0) / n)


@numba.njit(cache=True)
def _gini_parts(x):  # pragma: no cover - compiled
    """(zeros, maximum, how many equal it, float64 sum, the values strictly in between)."""
    top = x[0]
    for v in x:
        top = max(top, v)
    zeros = 0
    at_top = 0
    total = 0.0
    mid = np.empty(len(x), x.dtype)
    w = 0
    for v in x:
        total += v
        if v <= 0:
            zeros += 1
        elif v == top:
            at_top += 1
        else:
            mid[w] = v
            w += 1
    return zeros, top, at_top, total, mid[:w]


@numba.njit(cache=True)
def group_knowledge(k, codes, n_groups, deep_threshold):  # pragma: no cover - compiled
    """Per group: (learner, item) pairs aware, summed mastery, pairs at deep mastery.

    Args:
        k: mastery per (learner, item), 2-D.
        codes: each learner's group, 0 .. n_groups - 1.
        n_groups: how many groups.
        deep_threshold: as for `item_stats` (compared in the precision of `k`).
    """
    deep_threshold = at_knowledge_precision(deep_threshold, k)
    n, m = k.shape
    aware = np.zeros(n_groups, np.int64)
    total = np.zeros(n_groups, np.float64)
    deep = np.zeros(n_groups, np.int64)
    if n_groups == 1:  # scalar accumulators (the same sums): no chain through memory
        c, t, d = 0, 0.0, 0
        for a in range(n):
            row = 0.0
            for j in range(m):
                x = k[a, j]
                c += x > 0
                row += x
                d += x >= deep_threshold
            t += row
        aware[0], total[0], deep[0] = c, t, d
        return aware, total, deep
    for a in range(n):
        g = codes[a]
        c, t, d = 0, 0.0, 0
        for j in range(m):
            x = k[a, j]
            c += x > 0
            t += x
            d += x >= deep_threshold
        aware[g] += c
        total[g] += t
        deep[g] += d
    return aware, total, deep


def gini_of_counts(counts: np.ndarray) -> float:
    """Gini coefficient (as `gini`) of non-negative whole numbers; NaN when all are 0."""
    return counts_concentration(counts, 0.1)[0]


def top_share(counts: np.ndarray, fraction: float = 0.1) -> float:
    """Share of the total held by the top `fraction` of learners (ceil(fraction * n) of them).

    NaN when the total is 0.
    """
    return counts_concentration(counts, fraction)[1]


def counts_concentration(counts: np.ndarray, fraction: float) -> tuple[float, float]:
    """(Gini coefficient, share held by the top `fraction`) of non-negative whole numbers.

    Both from the histogram of the counts, in time linear in the learners plus the largest
    count: a value v held by h learners takes the ranks r0 + 1 .. r0 + h (ascending), which
    sum to h * r0 + h (h + 1) / 2; the top k = ceil(fraction * n) learners hold the largest
    values, the last of them partly. Both NaN when every count is 0.
    """
    counts = np.asarray(counts)
    n = len(counts)
    h = np.bincount(counts.astype(np.int64, copy=False)) if n else np.zeros(1, np.int64)
    values = np.arange(len(h), dtype=np.float64)
    h = h.astype(np.float64)
    total = float(np.dot(values, h))
    if n == 0 or total <= 0:
        return float("nan"), float("nan")
    r0 = np.cumsum(h) - h
    s = float(np.dot(values, h * r0 + h * (h + 1.0) / 2.0))
    g = 2.0 * s / (n * total) - (n + 1.0) / n
    k = min(n, int(np.ceil(fraction * n)))
    above = np.cumsum(h[::-1])  # learners holding the largest values, from the top
    j = int(np.searchsorted(above, k))  # the value where the top k end: len(h) - 1 - j
    full = h[::-1][:j]
    top = float(np.dot(values[::-1][:j], full)) + (k - full.sum()) * values[::-1][j]
    return g, top / total


@numba.njit(cache=True)
def triangles(indptr, nbr):  # pragma: no cover - compiled
    """Per learner, the triangles through it: the ties among its neighbours.

    For each tie (a, b), a < b, the common neighbours of a and b by merging their rows, which
    must be sorted by neighbour (the tie table's index is); each triangle through a learner
    is seen from its two ties at that learner. Memory O(learners), time O(sum over ties of
    the two degrees), where the sparse product A @ A would build a matrix with an entry per
    path of length two (at 10^6 learners, gigabytes).

    Args:
        indptr: CSR row pointer of the ties.
        nbr: CSR neighbour per entry, sorted within each row.

    Returns:
        Triangles per learner (float64, whole numbers).
    """
    n = len(indptr) - 1
    twice = np.zeros(n, np.int64)
    for a in range(n):
        for p in range(indptr[a], indptr[a + 1]):
            b = nbr[p]
            if b <= a:
                continue
            i, i_end = indptr[a], indptr[a + 1]
            j, j_end = indptr[b], indptr[b + 1]
            c = 0
            while i < i_end and j < j_end:
                x, y = nbr[i], nbr[j]
                if x == y:
                    c += 1
                    i += 1
                    j += 1
                elif x < y:
                    i += 1
                else:
                    j += 1
            twice[a] += c
            twice[b] += c
    return twice / 2.0
