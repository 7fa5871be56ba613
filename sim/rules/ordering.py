"""Compiled comparisons, a stable sort in numpy's order and hashing, shared by the rules' kernels.

`first_per_group` (gains) and `within_budget` (time budget) rank events by several keys
exactly as ``np.lexsort`` would, NaN included, without leaving compiled code.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _lt(a, b):  # pragma: no cover - compiled
    """``a < b`` in numpy's sort order: NaN after every number, NaNs equal to each other."""
    return a < b or (b != b and a == a)


@numba.njit(cache=True)
def _lt3(k1, k2, k3, x, y):  # pragma: no cover - compiled
    """Whether entry x comes strictly before entry y by the keys (k1, k2, k3), k1 first."""
    if _lt(k1[x], k1[y]):
        return True
    if _lt(k1[y], k1[x]):
        return False
    if _lt(k2[x], k2[y]):
        return True
    if _lt(k2[y], k2[x]):
        return False
    return _lt(k3[x], k3[y])


@numba.njit(cache=True)
def _sort3(k1, k2, k3, perm, tmp, m):  # pragma: no cover - compiled
    """Stable sort of perm[:m] by (k1, k2, k3)[perm], as ``np.lexsort((k3, k2, k1))`` orders.

    Insertion sort of runs of 16, then bottom-up merges through `tmp` (at least m long).
    """
    run = 16
    for lo in range(0, m, run):
        hi = min(lo + run, m)
        for i in range(lo + 1, hi):
            x = perm[i]
            j = i - 1
            while j >= lo and _lt3(k1, k2, k3, x, perm[j]):
                perm[j + 1] = perm[j]
                j -= 1
            perm[j + 1] = x
    src = perm
    dst = tmp
    in_tmp = False
    width = run
    while width < m:
        for lo in range(0, m, 2 * width):
            mid = min(lo + width, m)
            hi = min(lo + 2 * width, m)
            i = lo
            j = mid
            o = lo
            while i < mid and j < hi:
                if _lt3(k1, k2, k3, src[j], src[i]):
                    dst[o] = src[j]
                    j += 1
                else:
                    dst[o] = src[i]
                    i += 1
                o += 1
            while i < mid:
                dst[o] = src[i]
                i += 1
                o += 1
            while j < hi:
                dst[o] = src[j]
                j += 1
                o += 1
        src, dst = dst, src
        in_tmp = not in_tmp
        width *= 2
    if in_tmp:
        # A loop, not perm[:m] = tmp[:m]: slice assignment makes numba compile its
        # shape-mismatch error message, seconds on a cold kernel cache (issue 16).
        for i in range(m):
            perm[i] = tmp[i]


@numba.njit(cache=True)
def _order_key(bits):  # pragma: no cover - compiled
    """An int64 that orders and equates as numpy sorts the float64 whose bits are `bits`.

    -0.0 and 0.0 are equal, NaN comes after every number and equals NaN. Read from the bits
    alone, so a kernel needs no float view of them.
    """
    magnitude = bits & np.int64(2**63 - 1)
    if magnitude > np.int64(0x7FF0000000000000):  # NaN: exponent all ones, mantissa not 0
        return np.int64(2**63 - 1)
    if magnitude == 0:
        return np.int64(0)
    if bits < 0:  # negative: a larger magnitude is smaller
        return bits ^ np.int64(2**63 - 1)
    return bits


@numba.njit(cache=True)
def _table_bits(m):  # pragma: no cover - compiled
    """log2 of the slots of an open-addressing table for m keys: at least 2 slots per key."""
    bits = 1
    while (1 << bits) < 2 * m:
        bits += 1
    return bits


@numba.njit(cache=True)
def _home(key, bits):  # pragma: no cover - compiled
    """The first slot of an int64 `key` in a table of 2**bits slots, probed linearly on.

    Fibonacci hashing: the top bits of key x 2^64/phi, the key read as unsigned.
    """
    return np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits))
