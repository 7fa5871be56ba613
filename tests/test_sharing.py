"""Tests of the share kernels (sim.rules.sharing and sim.rules.pull)."""

import numpy as np
import pytest

from sim.rules import pull as pull_rules
from sim.rules import sharing
from sim.world.tie_index import build_index


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
        kernel = pull_rules._pulled_rows
        rows = np.flatnonzero(k < 1.0)
        args = (indptr, nbr, tie_of, k > 0, k, 1, rows, 0.9)
    else:
        kernel = sharing._noticed_rows
        rows = np.flatnonzero(k > 0)
        args = (indptr, nbr, tie_of, strength, rows, k, 1, 0.2, 0.9, False)

    def run(expected):
        rng = np.random.default_rng(7)
        extra = (strength, 0.5) if pull else (0.5,)  # the strong threshold splits the count
        return pull_rules._in_blocks(
            kernel, (*args, rng, *extra), len(rows), expected, lambda r: n - 1
        ), rng.random()

    one, after_one = run(expected=1e9)
    many, after_many = run(expected=0)  # blocks of 1024, then 2048, ...
    assert len(one[0]) > 3000  # several blocks were needed
    assert all(np.array_equal(a, b) for a, b in zip(one, many, strict=True))
    assert after_one == after_many  # the generator advanced by the same draws
