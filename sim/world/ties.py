"""The tie table: every tie of a run, its strength, origin, step formed and last use, and an index.

Ties are undirected and stored once, as parallel arrays in table order. A CSR index over
both directions answers "who are my neighbours" without Python loops, and holds the
endpoints (`u < v`, read back by `TieTable.ends`); `sim.world.tie_index` builds and merges
it. The rules that change ties (strengthen, decay, dissolve, form) are in
`sim.rules.tie_dynamics`. Nothing here imports Mesa.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from enum import IntEnum

import numba
import numpy as np
import scipy.sparse as sp

from sim.world.tie_index import build_index, merge_index


class TieKind(IntEnum):
    """Whether a tie is weak or strong (Granovetter 1973)."""

    WEAK = 0
    STRONG = 1


class TieOrigin(IntEnum):
    """How a tie came to exist."""

    INITIAL = 0  # in the starting network (pre-existing, e.g. a Facebook friend)
    TRIADIC = 1  # a friend of a friend (triadic closure)
    COMMUNITY = 2  # members who met in the community space
    CHANCE = 3  # a random encounter
    HELP = 4  # an answer between strangers in the community


@dataclass
class TieTable:
    """All ties of a run, with a neighbour index kept in step with them.

    Attributes:
        n_agents: number of learners; endpoints are in 0..n_agents-1.
        strength: in (0, 1], one per tie.
        origin: a `TieOrigin` code per tie.
        last_used: the step the tie last carried an interaction (-1 = never).
        formed: the step the tie formed (0 for the starting network's ties). None at
            construction means every tie formed at step 0. `last_used` and `formed` are
            "stamps": int16 while the steps fit (`stamp_dtype`; 4 B per tie less than
            int32), widened by `make_room` before a step that would not fit. A table of
            ties that never change (`from_edges(..., dynamic=False)`) holds `last_used` and
            `formed` as one read-only value each.
        indptr, nbr, tie_of: CSR index over both directions: the neighbours of agent a are
            `nbr[indptr[a]:indptr[a+1]]`, reached over ties `tie_of[...]` (all three int32
            when the ids and entries fit, to halve the index's memory; widen before
            arithmetic that can overflow).

    The endpoints of each tie (`u < v`, `ends()`) are read from the index rather than kept:
    8 B per tie less. Until the index is built (`from_edges(..., index=False)`), the table
    holds the endpoints it was given.
    """

    n_agents: int
    strength: np.ndarray
    origin: np.ndarray
    last_used: np.ndarray
    formed: np.ndarray | None = None
    indptr: np.ndarray = field(init=False)
    nbr: np.ndarray = field(init=False)
    tie_of: np.ndarray = field(init=False)
    endpoints: InitVar[tuple[np.ndarray, np.ndarray] | None] = None
    index: InitVar[bool] = True
    _given: tuple[np.ndarray, np.ndarray] | None = field(init=False, default=None, repr=False)
    _adjacency: sp.csr_matrix | None = field(init=False, default=None, repr=False)
    _strong_degree: tuple[float, np.ndarray, int] | None = field(
        init=False, default=None, repr=False
    )

    def __setattr__(self, name: str, value: object) -> None:
        # Replacing an array (every rule replaces them, none edits them in place) forgets
        # what was worked out from it: the strong degrees, the adjacency of the index.
        if name in ("strength", "indptr", "nbr", "tie_of"):
            object.__setattr__(self, "_strong_degree", None)
        if name in ("indptr", "nbr"):
            object.__setattr__(self, "_adjacency", None)
        object.__setattr__(self, name, value)

    def __post_init__(self, endpoints: tuple[np.ndarray, np.ndarray] | None, index: bool) -> None:
        if self.formed is None:
            self.formed = np.zeros(len(self.strength), dtype=stamp_dtype(0))
        if endpoints is None:
            raise ValueError("a tie table needs the endpoints of its ties: TieTable.from_edges")
        self._given = tuple(np.asarray(e, dtype=agent_dtype(self.n_agents)) for e in endpoints)
        if index:
            self.reindex()

    u = property(lambda self: self.ends()[0], doc="Lower endpoints (`ends()` gives both).")
    v = property(lambda self: self.ends()[1], doc="Higher endpoints (`ends()` gives both).")

    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """(u, v): the endpoints of every tie, `u < v`, in table order (new arrays).

        Read from the index in one pass (`agent_dtype` ids); the table does not keep them.
        """
        if self._given is not None:
            return self._given[0].copy(), self._given[1].copy()
        u = np.empty(len(self), dtype=agent_dtype(self.n_agents))
        v = np.empty_like(u)
        _ends_of_index(self.indptr, self.nbr, self.tie_of, u, v)
        return u, v

    def adjacency(self) -> sp.csr_matrix:
        """Boolean sparse adjacency of the current ties (kept until the ties change)."""
        if self._adjacency is None:
            data = np.ones(len(self.nbr), dtype=np.int32)
            self._adjacency = sp.csr_matrix(
                (data, self.nbr, self.indptr), shape=(self.n_agents, self.n_agents)
            )
        return self._adjacency

    def strong_degree(self, strong_threshold: float) -> tuple[np.ndarray, int]:
        """Strong ties (strength >= threshold) per learner (int64), and their sum.

        Kept until the strengths or the index are replaced: a broadcast without tie
        dynamics asks for it every step (`sim.rules.pull`), and a pass over every tie per
        step was most of such a step's time.
        """
        kept = self._strong_degree
        if kept is None or kept[0] != strong_threshold:
            degree = np.zeros(self.n_agents, dtype=np.int64)
            _strong_rows(self.indptr, self.tie_of, self.strength, strong_threshold, degree)
            kept = (strong_threshold, degree, int(degree.sum()))
            self._strong_degree = kept
        return kept[1], kept[2]

    @classmethod
    def from_edges(
        cls,
        n_agents: int,
        u: np.ndarray,
        v: np.ndarray,
        strength: np.ndarray,
        *,
        index: bool = True,
        copy: bool = True,
        dynamic: bool = True,
    ) -> TieTable:
        """Build a table of pre-existing ties from canonical (u < v) endpoint arrays.

        Args:
            n_agents: number of learners.
            u: lower endpoint of each tie.
            v: higher endpoint.
            strength: initial strength per tie.
            index: build the neighbour index now; False leaves it to a `reindex()` call,
                so a caller can first drop its own (int64) copies of the endpoints and
                lower the peak memory of setup.
            copy: copy `strength` (False: the table takes the float64 array over).
            dynamic: the ties may change (tie dynamics on). False: `last_used` (-1) and
                `formed` (0) are the same for every tie for good, held as one read-only
                value each instead of 8 B per tie.
        """
        m = len(u)
        st = stamp_dtype(0)
        stamps = (np.full(m, -1, dtype=st), np.zeros(m, dtype=st))
        if not dynamic:
            stamps = tuple(np.broadcast_to(st(x), (m,)) for x in (-1, 0))
        return cls(
            n_agents=n_agents,
            strength=np.array(strength, dtype=np.float64, copy=copy),
            origin=np.full(m, TieOrigin.INITIAL, dtype=np.int8),
            last_used=stamps[0],
            formed=stamps[1],
            endpoints=(u, v),
            index=index,
        )

    def __len__(self) -> int:
        return len(self.strength)

    def reindex(self) -> None:
        """Build the CSR neighbour index (from the endpoints given, which it then replaces)."""
        u, v = self._given if self._given is not None else self.ends()
        self.indptr, self.nbr, self.tie_of = build_index(u, v, self.n_agents)
        self._given = None

    @property
    def src(self) -> np.ndarray:
        """The source agent of every CSR entry (computed on demand, not stored)."""
        return np.repeat(np.arange(self.n_agents), np.diff(self.indptr))

    @property
    def degree(self) -> np.ndarray:
        """Number of ties per agent (int64, whatever the index's pointer type)."""
        return np.diff(self.indptr).astype(np.int64, copy=False)

    def keys(self) -> np.ndarray:
        """A unique int64 key per tie (see `pair_keys`), in table order."""
        return pair_keys(*self.ends(), self.n_agents)

    def kind(self, strong_threshold: float) -> np.ndarray:
        """`TieKind` code per tie."""
        return tie_kind(self.strength, strong_threshold)

    def make_room(self, step: int) -> None:
        """Widen the stamps (`last_used`, `formed`) if `step` does not fit their type.

        Called before a step writes its number into them: a run past step 32,767 widens
        them to int32 once (`stamp_dtype`); their values do not change.
        """
        wide = stamp_dtype(step)
        if np.iinfo(self.last_used.dtype).max < step:
            self.last_used = self.last_used.astype(wide)
        if np.iinfo(self.formed.dtype).max < step:
            self.formed = self.formed.astype(wide)

    def change(
        self,
        gone: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        strength: float,
        origin: np.ndarray,
        step: int,
    ) -> None:
        """Drop the ties where `gone` is True, append new ones, and update the index.

        The kept ties keep their order, the new ones follow in the order given. The index is
        updated in one sequential pass over the old one (kept rows are copied, new
        neighbours merged in), instead of being rebuilt by sorting: a few ties change per
        step, and a rebuild was a fifth of a step's time.

        Args:
            gone: mask over the current ties.
            u: first endpoint of each new tie (u < v; none of them tied after the removal).
            v: second endpoint.
            strength: of the new ties.
            origin: `TieOrigin` per new tie.
            step: the step they form in (their `last_used` and `formed`).
        """
        n_old = len(self)
        removed = bool(gone.any())
        if not removed and not len(u):
            return
        new_id = np.cumsum(~gone, dtype=np.int64) - 1 if removed else np.zeros(0, np.int64)
        keep = ~gone
        fresh = (
            np.full(len(u), strength),
            np.asarray(origin).astype(np.int8),
            np.full(len(u), step, dtype=stamp_dtype(step)),
            np.full(len(u), step, dtype=stamp_dtype(step)),
        )
        olds = (self.strength, self.origin, self.last_used, self.formed)
        self.strength, self.origin, self.last_used, self.formed = (
            _kept_then(old, keep if removed else None, new)
            for old, new in zip(olds, fresh, strict=True)
        )
        add_id = np.arange(n_old - int(gone.sum()), len(self), dtype=np.int64)
        self.indptr, self.nbr, self.tie_of = merge_index(
            self.indptr,
            self.nbr,
            self.tie_of,
            gone,
            new_id,
            np.asarray(u, dtype=np.int64),
            np.asarray(v, dtype=np.int64),
            add_id,
            len(self),
        )


def _kept_then(old: np.ndarray, keep: np.ndarray | None, new: np.ndarray) -> np.ndarray:
    """`old[keep]` followed by `new`, written once into a new array (no temporary copy)."""
    kept = len(old) if keep is None else int(np.count_nonzero(keep))
    out = np.empty(kept + len(new), dtype=np.result_type(old.dtype, new.dtype))
    if keep is None:
        out[:kept] = old
    else:
        np.compress(keep, old, out=out[:kept])
    out[kept:] = new
    return out


@numba.njit(cache=True)
def _ends_of_index(indptr, nbr, tie_of, u, v):  # pragma: no cover - compiled
    """The endpoints of every tie from the index: its entry in the row of its lower end."""
    for a in range(len(indptr) - 1):
        for p in range(indptr[a], indptr[a + 1]):
            b = nbr[p]
            if a < b:
                u[tie_of[p]] = a
                v[tie_of[p]] = b


@numba.njit(cache=True)
def _strong_rows(indptr, tie_of, strength, threshold, degree):  # pragma: no cover - compiled
    """Per row of the index, the entries over ties of strength >= threshold."""
    for a in range(len(indptr) - 1):
        c = 0
        for p in range(indptr[a], indptr[a + 1]):
            c += strength[tie_of[p]] >= threshold
        degree[a] = c


def stamp_dtype(step: int) -> type:
    """The integer type of step stamps that holds `step` (and -1): int16 up to step 32,767."""
    for dtype in (np.int16, np.int32):
        if step <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def agent_dtype(n_agents: int) -> type:
    """The integer type of agent ids: int32 while they fit (half the memory of int64)."""
    return np.int32 if n_agents < np.iinfo(np.int32).max else np.int64


def pair_keys(a: np.ndarray, b: np.ndarray, n_agents: int) -> np.ndarray:
    """A unique int64 key for each unordered pair {a, b}."""
    lo = np.minimum(a, b).astype(np.int64)
    hi = np.maximum(a, b).astype(np.int64)
    return lo * np.int64(n_agents) + hi


def tie_kind(strength: np.ndarray, strong_threshold: float) -> np.ndarray:
    """`TieKind` per tie: strong at or above `strong_threshold`, weak below."""
    return (np.asarray(strength) >= strong_threshold).astype(np.int8)


@numba.njit(cache=True)
def tie_between(indptr, nbr, tie_of, a, b):  # pragma: no cover - compiled
    """For each pair (a[i], b[i]), the id of the tie between them, or -1.

    A binary search in a's row of the index (`build_index`: rows sorted by neighbour).
    """
    out = np.full(len(a), -1, np.int64)
    for i in range(len(a)):
        lo, hi = indptr[a[i]], indptr[a[i] + 1]
        x = b[i]
        while lo < hi:
            mid = (lo + hi) // 2
            if nbr[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        if lo < indptr[a[i] + 1] and nbr[lo] == x:
            out[i] = tie_of[lo]
    return out


@numba.njit(cache=True)
def degree_sum(indptr, flat, n_items):  # pragma: no cover - compiled
    """The summed degree of the agents of flat (agent * n_items + item) indices, with repeats.

    Without a temporary array (the agents of a million known items would be 8 MB).
    """
    total = 0
    if n_items == 1:  # no integer division (a tenth of the time)
        for a in flat:
            total += indptr[a + 1] - indptr[a]
        return total
    for f in flat:
        a = f // n_items
        total += indptr[a + 1] - indptr[a]
    return total
