import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.metrics.kernels import gini
from sim.rules import common, forgetting, gains, help, sharing
from sim.rules.budget import within_budget
from sim.world.ties import build_index


def test_linear_in_strength_interpolates():
    out = common.linear_in_strength(np.array([0.0, 0.5, 1.0]), 0.2, 1.0)
    assert out.tolist() == pytest.approx([0.2, 0.6, 1.0])


def test_gain_closes_a_share_of_the_gap_and_never_goes_down():
    g = gains.gain(
        np.array([1.0, 0.2]),
        np.array([0.0, 0.6]),
        rate=0.5,
        bandwidth=np.array([0.8, 1.0]),
        complexity=np.array([0.25, 0.0]),
    )
    # 0.5 * 0.8 * 0.75 * (1 - 0) = 0.3; a source that knows less gives nothing.
    assert g.tolist() == pytest.approx([0.3, 0.0])


def test_p_answer_without_bystanders_is_helpfulness_times_willingness():
    p = help.p_answer(
        np.array([0.5, 0.5]),
        np.array([0.0, 1.0]),
        np.array([1, 1]),
        stranger_willingness=0.2,
        bystander_exponent=1.0,
    )
    assert p.tolist() == pytest.approx([0.1, 0.5])


def test_bystander_effect_divides_strangers_but_not_strong_ties():
    # n = 4 able helpers, gamma = 1: a stranger answers with 1/4 of its alone probability,
    # a tie of strength 1 as if alone, a tie of 0.5 with 4 ** -0.5 = 1/2 of it.
    h = np.ones(3)
    s = np.array([0.0, 1.0, 0.5])
    alone = help.p_answer(h, s, np.ones(3), 0.2, 1.0)
    crowd = help.p_answer(h, s, np.full(3, 4), 0.2, 1.0)
    assert (crowd / alone).tolist() == pytest.approx([0.25, 1.0, 0.5])


def test_forget_shrinks_unused_and_drops_below_floor():
    k = np.array([0.5, 0.5, 0.0105, 0.3], dtype=np.float32)
    used = np.array([True, False, False, False])
    out = forgetting.forget(k, used, rate=0.1, floor=0.01)
    assert out.tolist() == pytest.approx([0.5, 0.45, 0.0, 0.27], rel=1e-6)
    assert out.dtype == np.float32


def test_first_per_group_takes_the_largest_score():
    group = np.array([5, 2, 5, 2, 7])
    score = np.array([0.1, 0.3, 0.4, 0.3, 0.0])
    tiebreak = np.array([0.0, 0.9, 0.0, 0.1, 0.5])
    assert gains.first_per_group(group, score, tiebreak).tolist() == [1, 2, 4]


def test_budget_serves_strongest_contacts_first():
    # Agent 0 has contacts 10 (s=0.9), 11 (s=0.1), 12 (s=0.5); budget 2 drops contact 11.
    # Two incidences on contact 10 are one contact. Agent 1 has one contact, always kept.
    agent = np.array([0, 0, 0, 0, 1])
    contact = np.array([10, 11, 12, 10, 11])
    strength = np.array([0.9, 0.1, 0.5, 0.9, 0.1])
    keep = within_budget(agent, contact, strength, 2, np.zeros(5))
    assert keep.tolist() == [True, False, True, True, True]


def test_budget_none_keeps_everything():
    keep = within_budget(np.zeros(3, int), np.arange(3), np.zeros(3), None, np.zeros(3))
    assert keep.all()


def test_budget_breaks_equal_strengths_by_tiebreak():
    keep = within_budget(
        np.zeros(3, int), np.arange(3), np.full(3, 0.5), 1, np.array([0.1, 0.7, 0.3])
    )
    assert keep.tolist() == [True, False, False]


def test_random_true_column_picks_only_true_columns_uniformly():
    rng = np.random.default_rng(0)
    mask = np.tile(np.array([[False, True, True, False], [False] * 4]), (4000, 1))
    pick = common.random_true_column(mask, rng)
    assert set(pick[0::2].tolist()) == {1, 2}
    assert (pick[1::2] == -1).all()
    # 4000 Bernoulli(1/2) picks of column 1: sd = sqrt(4000 / 4) ~ 31.6; allow 5 sd.
    assert abs((pick[0::2] == 1).sum() - 2000) < 5 * 31.6


def test_gini_of_equal_and_concentrated():
    assert gini(np.ones(5)) == pytest.approx(0.0)
    # One of n holds everything: G = (n - 1) / n.
    assert gini(np.array([0, 0, 0, 4.0])) == pytest.approx(0.75)


def _gini_by_definition(x):
    # Mean absolute difference over all ordered pairs / (2 * mean): G = sum|xi - xj| / (2 n^2 mu).
    x = np.asarray(x, dtype=np.float64)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())


@pytest.mark.parametrize("seed", range(12))
def test_gini_equals_the_mean_difference_definition(seed):
    # Values with many zeros and many ties at the maximum (the sorted middle is then short),
    # in float32 and float64: the shortcut must give the textbook value.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    x = rng.random(n) * (rng.random(n) < rng.random())
    x[rng.random(n) < rng.random()] = 1.0
    x = x.astype(rng.choice([np.float32, np.float64]))
    if x.sum() == 0:
        assert gini(x) == 0.0
    else:
        assert gini(x) == pytest.approx(_gini_by_definition(x), abs=1e-9)


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


def test_first_per_group_scatter_rejects_out_of_range_groups():
    for group in (np.array([4, 0]), np.array([-5, 0])):
        with pytest.raises(IndexError):
            _first_per_group_numpy(group, np.zeros(2), np.zeros(2), 4)
        with pytest.raises(IndexError):
            gains.first_per_group(group, np.zeros(2), np.zeros(2), 4)


def test_first_per_group_keeps_full_ties_when_scattering():
    # Equal score and tiebreak in group 0: sorting keeps the last, scattering both.
    group, score, tiebreak = np.array([0, 1, 0]), np.ones(3), np.zeros(3)
    assert gains.first_per_group(group, score, tiebreak).tolist() == [2, 1]
    assert gains.first_per_group(group, score, tiebreak, 2).tolist() == [0, 1, 2]


def test_budget_counts_the_first_incidence_of_a_repeated_contact():
    # Contact 10's first incidence has tiebreak 0.9, its second 0.0: 0.9 counts, so with
    # budget 1 contact 11 (0.5) wins. Equal strengths and tiebreaks go by the lower key.
    agent = np.zeros(3, int)
    keep = within_budget(
        agent, np.array([10, 11, 10]), np.full(3, 0.5), 1, np.array([0.9, 0.5, 0.0])
    )
    assert keep.tolist() == [False, True, False]
    keep = within_budget(agent, np.array([12, 11, 13]), np.ones(3), 1, np.zeros(3))
    assert keep.tolist() == [False, True, False]


@pytest.mark.parametrize("pull", [False, True])
def test_share_kernels_give_the_same_draws_in_one_block_or_many(pull):
    # The kernels fill buffers block by block; how the work is cut into blocks must not
    # change which shares are noticed (the random numbers are drawn in the same order).

    n = 120  # complete graph: 7140 ties, far more candidates than the smallest block (1024)
    u, v = np.triu_indices(n, 1)
    indptr, nbr, tie_of = build_index(u, v, n)
    strength = np.random.default_rng(0).random(len(u))
    k = (np.random.default_rng(1).random(n) < 0.5).astype(np.float32)
    if pull:
        kernel = sharing._pulled_rows
        rows = np.flatnonzero(k < 1.0)
        args = (indptr, nbr, tie_of, k > 0, k, 1, rows, 0.9)
    else:
        kernel = sharing._noticed_rows
        rows = np.flatnonzero(k > 0)
        args = (indptr, nbr, tie_of, strength, rows, k, 1, 0.2, 0.9, False)

    def run(expected):
        rng = np.random.default_rng(7)
        return sharing._in_blocks(
            kernel, (*args, rng), len(rows), expected, lambda r: n - 1
        ), rng.random()

    one, after_one = run(expected=1e9)
    many, after_many = run(expected=0)  # blocks of 1024, then 2048, ...
    assert len(one[0]) > 3000  # several blocks were needed
    assert all(np.array_equal(a, b) for a, b in zip(one, many, strict=True))
    assert after_one == after_many  # the generator advanced by the same draws


@pytest.mark.parametrize("seed", range(10))
def test_able_members_are_the_members_who_know_enough_and_more_than_the_asker(seed):
    # Oracle: for each member asker, the members whose level is >= the threshold and above
    # the asker's, listed in the order of a stable sort by level; non-members get none.
    rng = np.random.default_rng(seed)
    n, n_items = int(rng.integers(2, 60)), int(rng.integers(1, 5))
    # Levels on a coarse grid, so equal levels (and levels equal to the asker's) are common.
    k = (rng.integers(0, 5, (n, n_items)) / 4).astype(np.float32)
    member = rng.random(n) < 0.6
    members = np.flatnonzero(member)
    askers = rng.integers(0, n, int(rng.integers(0, 30)))
    item = rng.integers(0, n_items, len(askers))
    thr = np.float32(0.5)
    start, count, ptr, sorted_members = help.able_members(
        k.ravel(), n_items, members, askers, item, member[askers], thr
    )
    for q, (a, it) in enumerate(zip(askers.tolist(), item.tolist(), strict=True)):
        if not member[a]:
            assert count[q] == 0
            continue
        col = k[members, it]
        order = members[np.argsort(col, kind="stable")]
        expected = [b for b in order.tolist() if k[b, it] >= thr and k[b, it] > k[a, it]]
        first = ptr[it] + start[q]
        got = sorted_members[first : first + int(count[q])].tolist()
        assert got == expected
        assert first + count[q] == ptr[it + 1]  # the able ones are the end of the list
