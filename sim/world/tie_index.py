"""The tie table's neighbour index: a CSR over both directions of every tie, built and merged.

`build_index` sorts a tie list into the index by counting; `merge_index` updates it in one
sequential pass when ties are dropped and added (`sim.world.ties.TieTable.change`).
"""

from __future__ import annotations

import numba
import numpy as np


def pointer_dtype(n_entries: int) -> type:
    """The integer type of the index's row pointer: int32 while its entries fit.

    4 B per learner less than int64. Arithmetic on pointers that could pass 2^31 (a sum of
    degrees, a degree squared) widens first: `TieTable.degree` is int64.
    """
    return np.int32 if n_entries < np.iinfo(np.int32).max else np.int64


def build_index(
    u: np.ndarray, v: np.ndarray, n_agents: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR index of an undirected tie list, over both directions.

    Args:
        u: first endpoint of each tie (distinct unordered pairs).
        v: second endpoint of each tie.
        n_agents: number of agents.

    Returns:
        indptr (n_agents + 1), nbr (2 * ties) and tie_of (2 * ties): the entries
        `indptr[a]:indptr[a+1]` are the directed edges a -> nbr[p] over tie tie_of[p], sorted
        by neighbour. nbr and tie_of are int32 when the ids fit, indptr when the entries do
        (`pointer_dtype`).
    """
    m = len(u)
    idx = np.int32 if max(n_agents, m) < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n_agents + 1, dtype=pointer_dtype(2 * m))
    nbr = np.empty(2 * m, dtype=idx)
    tie_of = np.empty(2 * m, dtype=idx)
    _fill_index(np.asarray(u), np.asarray(v), indptr, nbr, tie_of)
    return indptr, nbr, tie_of


@numba.njit(cache=True)
def _fill_index(u, v, indptr, nbr, tie_of):  # pragma: no cover - compiled
    """Counting sort of both directions of every tie by source, then each row by neighbour."""
    n = len(indptr) - 1
    for i in range(len(u)):
        indptr[u[i] + 1] += 1
        indptr[v[i] + 1] += 1
    for a in range(n):
        indptr[a + 1] += indptr[a]
    fill = indptr[:-1].copy()
    for i in range(len(u)):
        a, b = u[i], v[i]
        nbr[fill[a]] = b
        tie_of[fill[a]] = i
        fill[a] += 1
        nbr[fill[b]] = a
        tie_of[fill[b]] = i
        fill[b] += 1
    # Each row by neighbour: insertion sort (rows are short), a Shell sort over longer rows.
    # The neighbours of a row are distinct, so any sort gives the same rows; no np.argsort
    # and no slice assignment, which would compile (on a cold cache) seconds of numba's
    # sorting and error-message code.
    for a in range(n):
        lo, hi = indptr[a], indptr[a + 1]
        gap = 1
        while hi - lo > 32 and gap < (hi - lo) // 3:
            gap = 3 * gap + 1
        while gap > 0:
            for x in range(lo + gap, hi):
                key, t = nbr[x], tie_of[x]
                y = x - gap
                while y >= lo and nbr[y] > key:
                    nbr[y + gap] = nbr[y]
                    tie_of[y + gap] = tie_of[y]
                    y -= gap
                nbr[y + gap] = key
                tie_of[y + gap] = t
            gap //= 3


def merge_index(
    indptr: np.ndarray,
    nbr: np.ndarray,
    tie_of: np.ndarray,
    gone: np.ndarray,
    new_id: np.ndarray,
    add_u: np.ndarray,
    add_v: np.ndarray,
    add_id: np.ndarray,
    n_ties: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSR index after dropping and adding ties, from the index before (`build_index`).

    Args:
        indptr: CSR row pointer before.
        nbr: CSR neighbour per entry before.
        tie_of: CSR tie id per entry before.
        gone: mask over the old ties: dropped.
        new_id: old tie id -> new tie id (ignored when nothing is dropped).
        add_u: first endpoint of each added tie (not tied after the drop).
        add_v: second endpoint.
        add_id: the new tie id of each added tie.
        n_ties: ties after the change (for the index dtype).

    Returns:
        (indptr, nbr, tie_of), identical to `build_index` of the changed table.
    """
    n_agents = len(indptr) - 1
    idx = np.int32 if max(n_agents, n_ties) < np.iinfo(np.int32).max else np.int64
    # The added entries in both directions, sorted by (source, neighbour).
    a_src = np.concatenate([add_u, add_v]).astype(np.int64)
    a_nbr = np.concatenate([add_v, add_u]).astype(np.int64)
    a_tie = np.concatenate([add_id, add_id]).astype(np.int64)
    order = np.lexsort((a_nbr, a_src))
    new_indptr = np.empty(n_agents + 1, dtype=pointer_dtype(2 * n_ties))
    out_nbr = np.empty(2 * n_ties, dtype=idx)
    out_tie = np.empty(2 * n_ties, dtype=idx)
    _merge_rows(
        indptr, nbr, tie_of, gone, new_id, bool(gone.any()),
        a_src[order], a_nbr[order], a_tie[order], new_indptr, out_nbr, out_tie,
    )  # fmt: skip
    return new_indptr, out_nbr, out_tie


@numba.njit(cache=True)
def _merge_rows(
    indptr, nbr, tie_of, gone, new_id, removed, a_src, a_nbr, a_tie, out_ptr, out_nbr, out_tie
):  # pragma: no cover - compiled
    """Row by row: the kept old entries merged with the added ones, both sorted by neighbour.

    Without removals, the rows between those that gain a tie are copied as whole blocks.
    """
    n = len(indptr) - 1
    w = 0
    i = 0  # next old entry
    j = 0  # next added entry
    out_ptr[0] = 0
    for a in range(n):
        if not removed:
            if j == len(a_src) or a_src[j] != a:
                out_ptr[a + 1] = indptr[a + 1] + j
                continue
            gap = indptr[a] - i  # the untouched rows before this one, as one block
            for k in range(gap):  # loops, not slice assignments (see _fill_index)
                out_nbr[w + k] = nbr[i + k]
                out_tie[w + k] = tie_of[i + k]
            w += gap
            i = indptr[a]
        i_end = indptr[a + 1]
        while i < i_end or (j < len(a_src) and a_src[j] == a):
            if i < i_end:
                t = tie_of[i]
                if removed and gone[t]:
                    i += 1
                    continue
                if j == len(a_src) or a_src[j] != a or nbr[i] < a_nbr[j]:
                    out_nbr[w] = nbr[i]
                    out_tie[w] = new_id[t] if removed else t
                    i += 1
                    w += 1
                    continue
            out_nbr[w] = a_nbr[j]
            out_tie[w] = a_tie[j]
            j += 1
            w += 1
        out_ptr[a + 1] = w
    if not removed:
        for k in range(len(nbr) - i):
            out_nbr[w + k] = nbr[i + k]
            out_tie[w + k] = tie_of[i + k]
