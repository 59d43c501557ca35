"""Per-example results (stats.examples): the two-level interval, McNemar per seed."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats.examples import mcnemar_per_seed, two_level_interval


def test_two_level_interval_is_wider_than_seeds_alone_when_examples_vary() -> None:
    rng = np.random.default_rng(0)
    difficulty = rng.normal(0.0, 1.0, 200)[None, :]
    correct = (rng.random((10, 200)) < 1 / (1 + np.exp(-(1.4 + difficulty)))).astype(float)
    found = two_level_interval(correct, n_resamples=2000)
    assert found.low is not None
    assert found.high is not None
    assert found.low < correct.mean() < found.high
    per_seed = correct.mean(axis=1)
    seeds_only = 2 * 2.26 * per_seed.std(ddof=1) / np.sqrt(10)
    # The test set's sampling error is most of the width: seeds alone leave it out.
    assert found.high - found.low > 2 * seeds_only
    assert found.method.startswith("two-level percentile bootstrap (10 seeds x 200")
    again = two_level_interval(correct, n_resamples=2000)
    assert (again.low, again.high) == (found.low, found.high)


@pytest.mark.slow
def test_mcnemar_per_seed_matches_mlxtend_exact(restore_global_rng: None) -> None:
    # Importing mlxtend imports the frameworks, which set environment variables of their own.
    mlxtend = pytest.importorskip("mlxtend.evaluate")
    rng = np.random.default_rng(4)
    a = (rng.random((3, 60)) < 0.8).astype(float)
    b = (rng.random((3, 60)) < 0.65).astype(float)
    for found in mcnemar_per_seed(a, b):
        row_a, row_b = a[found.seed_index], b[found.seed_index]
        # The target is all ones, so a model's 1 is a right answer; rows A right/wrong, cols B.
        table = mlxtend.mcnemar_table(np.ones(60), row_a, row_b)
        _, p = mlxtend.mcnemar(table, exact=True)
        assert found.p_value == pytest.approx(p, rel=1e-9)
        assert found.only_a == table[0, 1]
        assert found.only_b == table[1, 0]


def test_bad_per_example_results_are_refused() -> None:
    with pytest.raises(UsageError, match="one row per run"):
        two_level_interval([0.5, 0.6, 0.7])
    with pytest.raises(UsageError, match="non-finite"):
        two_level_interval([[0.5, np.nan], [0.6, 0.7]])
    with pytest.raises(UsageError, match="0/1 correctness"):
        mcnemar_per_seed([[1, 0], [0, 1]], [[1, 0.5], [0, 1]])
    same = mcnemar_per_seed([[1, 0], [0, 1]], [[1, 0], [0, 1]])
    assert [m.p_value for m in same] == [1.0, 1.0]
