"""The compiled ranking kernels (first_per_group, within_budget; sim.rules.ordering) against
the numpy implementations they replaced, kept here as oracles."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.rules import gains
from sim.rules.budget import within_budget

# --- The compiled first_per_group / within_budget against the numpy implementations ------
#
# Verbatim copies of the numpy versions they replaced, kept as oracles: the compiled kernels
# must give exactly the same indices (in the same order) and masks for every input.


def _first_per_group_numpy(
    group: np.ndarray, score: np.ndarray, tiebreak: np.ndarray, n_groups: int | None = None
) -> np.ndarray:
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    if n_groups is not None and 8 * len(group) >= n_groups:
        best = np.full(n_groups, -np.inf)
        np.maximum.at(best, group, score)
        top = np.flatnonzero(score == best[group])
        key = np.full(n_groups, -np.inf)
        np.maximum.at(key, group[top], tiebreak[top])
        return top[tiebreak[top] == key[group[top]]]
    order = np.lexsort((tiebreak, score, group))
    g = group[order]
    last = np.ones(len(g), dtype=bool)
    last[:-1] = g[1:] != g[:-1]
    return order[last]


def _within_budget_numpy(
    agent: np.ndarray,
    contact: np.ndarray,
    strength: np.ndarray,
    budget: int | None,
    tiebreak: np.ndarray,
) -> np.ndarray:
    n = len(agent)
    if budget is None or n == 0:
        return np.ones(n, dtype=bool)
    # Distinct (agent, contact) pairs, then rank contacts within each agent.
    order = np.lexsort((contact, agent))
    a, c = agent[order], contact[order]
    new_pair = np.ones(n, dtype=bool)
    new_pair[1:] = (a[1:] != a[:-1]) | (c[1:] != c[:-1])
    pair_id = np.cumsum(new_pair) - 1
    heads = order[new_pair]
    pa, ps, pt = agent[heads], strength[heads], tiebreak[heads]
    rank_order = np.lexsort((pt, -ps, pa))
    pa_sorted = pa[rank_order]
    start = np.ones(len(pa_sorted), dtype=bool)
    start[1:] = pa_sorted[1:] != pa_sorted[:-1]
    first_of_agent = np.maximum.accumulate(np.where(start, np.arange(len(pa_sorted)), 0))
    rank = np.empty(len(pa_sorted), dtype=np.int64)
    rank[rank_order] = np.arange(len(pa_sorted)) - first_of_agent
    keep_pair = rank < budget
    keep = np.empty(n, dtype=bool)
    keep[order] = keep_pair[pair_id]
    return keep


def _oracle_first(group, score, tiebreak, n_groups):
    with np.errstate(invalid="ignore"):  # np.maximum.at warns on NaN
        return _first_per_group_numpy(group, score, tiebreak, n_groups)


def _assert_same_first(group, score, tiebreak, n_groups):
    expected = _oracle_first(group, score, tiebreak, n_groups)
    got = gains.first_per_group(group, score, tiebreak, n_groups)
    assert got.dtype == np.int64
    assert np.array_equal(got, expected), (got, expected)


def _assert_same_budget(agent, contact, strength, budget, tiebreak):
    expected = _within_budget_numpy(agent, contact, strength, budget, tiebreak)
    got = within_budget(agent, contact, strength, budget, tiebreak)
    assert got.dtype == bool
    assert np.array_equal(got, expected), (got, expected)


EXAMPLES = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Few distinct values make ties in score, strength and tiebreak the rule, not the exception.
TIED = [0.0, -0.0, 0.25, 0.5, 1.0, -np.inf, np.inf, np.nan]


@st.composite
def _values(draw, n):
    """n floats: from a handful of values (ties), or any floats (NaN and infinities too)."""
    if draw(st.booleans()):
        pool = draw(st.lists(st.sampled_from(TIED), min_size=1, max_size=4))
        xs = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    else:
        xs = draw(st.lists(st.floats(width=64), min_size=n, max_size=n))
    return np.array(xs, dtype=np.float64)


@st.composite
def _ids(draw, n, n_ids):
    return np.array(
        draw(st.lists(st.integers(0, n_ids - 1), min_size=n, max_size=n)), dtype=np.int64
    )


@st.composite
def _events(draw):
    n = draw(st.integers(0, 120))
    n_ids = draw(st.integers(1, 40))
    return draw(_ids(n, n_ids)), draw(_values(n)), draw(_values(n)), n_ids


@EXAMPLES
@given(_events(), st.sampled_from([1, -7]), st.sampled_from([1, 3, 10**9]))
def test_first_per_group_sorted_matches_numpy(events, offset, spread):
    # No n_groups, or one too large for scattering: the result is sorted by group. Spread
    # ids (beyond 32 per event) take the sorting fallback instead of the dense scratch.
    group, score, tiebreak, n_ids = events
    group = group * spread + offset
    _assert_same_first(group, score, tiebreak, None)
    group = (group - offset) // spread
    _assert_same_first(group, score, tiebreak, 8 * len(group) + n_ids)


@EXAMPLES
@given(_events(), st.booleans())
def test_first_per_group_scattered_matches_numpy(events, negative):
    # 8 * events >= n_groups: the winners come in event order, full ties all kept.
    group, score, tiebreak, n_ids = events
    n_groups = max(n_ids, int(group.max(initial=0)) + 1)
    if len(group) == 0 or 8 * len(group) < n_groups:
        n_groups = max(1, 8 * len(group))
        group = group % n_groups
    if negative:  # numpy indexing wraps negative ids, and so does the kernel
        group = group - n_groups * (np.arange(len(group)) % 2)
    _assert_same_first(group, score, tiebreak, n_groups)


@st.composite
def _incidences(draw):
    n = draw(st.integers(0, 160))
    n_agents = draw(st.integers(1, 6))
    n_contacts = draw(st.sampled_from([1, 2, 3, 5, 10, 30, 100]))
    agent = draw(_ids(n, n_agents)) * draw(st.sampled_from([1, 2, 10**9])) - 3
    # Pair keys reach ~1e8 in the model; negative keys must work too.
    contact = draw(_ids(n, n_contacts)) * draw(st.sampled_from([1, 100_000_007, -(2**40)]))
    return agent, contact, draw(_values(n)), draw(_values(n))


@EXAMPLES
@given(
    _incidences(),
    st.one_of(st.sampled_from([None, 0, 1, 2, 3, 8, 10**6, 2.5]), st.integers(-1, 120)),
)
def test_within_budget_matches_numpy(incidences, budget):
    agent, contact, strength, tiebreak = incidences
    _assert_same_budget(agent, contact, strength, budget, tiebreak)


@pytest.mark.parametrize("seed", range(3))
def test_kernels_match_numpy_at_realistic_sizes(seed):
    # Tens of thousands of incidences; one agent with hundreds of distinct contacts (the
    # sorting branch of the ranking); strengths rounded so many tie.
    rng = np.random.default_rng(seed)
    n, n_agents = 30_000, 1_000
    agent = rng.integers(0, n_agents, n)
    agent[: n // 10] = 7
    pool = rng.integers(0, 10**8, (n_agents, 25))
    contact = pool[agent, rng.integers(0, 25, n)]
    contact[: n // 10] = rng.integers(0, 600, n // 10)
    strength = np.round(rng.random(n), 1)
    tiebreak = np.where(rng.random(n) < 0.2, 0.5, rng.random(n))
    for budget in (1, 8, 20, 300):
        _assert_same_budget(agent, contact, strength, budget, tiebreak)
    n_groups = 120_000
    for n_events in (2_000, 10_000, 15_000, 100_000):
        group = rng.integers(0, n_groups, n_events)
        score = np.round(rng.random(n_events), 2)
        tb = np.round(rng.random(n_events), 3)
        for ng in (None, n_groups):
            _assert_same_first(group, score, tb, ng)


@pytest.mark.parametrize(
    ("score_dtype", "tiebreak_dtype"),
    [(np.int64, np.float64), (np.int32, np.float32), (np.bool_, np.uint8), (np.float32, np.int8)],
)
def test_first_per_group_matches_numpy_for_other_dtypes(score_dtype, tiebreak_dtype):
    rng = np.random.default_rng(0)
    group = rng.integers(0, 30, 200)
    score = rng.integers(0, 2, 200).astype(score_dtype)
    tiebreak = rng.integers(0, 3, 200).astype(tiebreak_dtype)
    for n_groups in (None, 30, 10**4):
        _assert_same_first(group, score, tiebreak, n_groups)


def test_kernels_on_empty_input():
    empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
    for n_groups in (None, 0, 5):
        _assert_same_first(empty_i, empty_f, empty_f, n_groups)
    for budget in (None, 0, 3):
        _assert_same_budget(empty_i, empty_i, empty_f, budget, empty_f)
