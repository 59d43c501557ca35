"""compare --rope (stats.bayesian): baycomp's signed-rank test when paired, a stated prior."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats.bayesian import PAIRED_PRIOR, UNPAIRED_PRIOR, rope_compare


def test_paired_probabilities_match_baycomp_within_monte_carlo_error() -> None:
    baycomp = pytest.importorskip("baycomp")
    rng = np.random.default_rng(11)
    a = rng.normal(0.80, 0.02, 10)
    b = a + 0.006 + rng.normal(0.0, 0.01, 10)
    found = rope_compare(a, b, rope=0.005, paired=True, labels=["A", "B"], goal="max")
    # baycomp's left is its first argument better: P(B better), P(rope), P(A better).
    theirs = baycomp.SignedRankTest.probs(b, a, 0.005, random_state=2, nsamples=50_000)
    ours = (found.b_better, found.equivalent, found.a_better)
    # Two independent runs of 50,000 samples: each share's standard error is below 0.0023.
    np.testing.assert_allclose(ours, theirs, atol=0.012)
    assert found.paired
    assert found.prior == PAIRED_PRIOR
    assert "prior: Dirichlet process" in found.line()
    assert "P(B better)" in found.line()
    # Lower is better: the same values read the other way round.
    lower = rope_compare(a, b, rope=0.005, paired=True, goal="min")
    assert lower.a_better == pytest.approx(found.b_better, abs=0.012)


def test_unpaired_probability_is_the_behrens_fisher_posterior() -> None:
    from scipy import stats

    rng = np.random.default_rng(5)
    a, b = rng.normal(0.0, 1.0, 30), rng.normal(0.4, 2.0, 40)
    found = rope_compare(a, b, rope=0.0, paired=False, goal="max", n_samples=200_000)
    # With flat priors the posterior P(B better) is close to 1 - Welch's one-sided p.
    welch = stats.ttest_ind(b, a, equal_var=False, alternative="greater").pvalue
    assert found.b_better == pytest.approx(1.0 - welch, abs=0.01)
    assert found.prior == UNPAIRED_PRIOR
    assert not found.paired
    wide = rope_compare(a, b, rope=0.5, paired=False, goal="max")
    assert wide.equivalent is not None
    assert wide.equivalent > 0.3
    assert sum((wide.a_better or 0, wide.equivalent, wide.b_better or 0)) == pytest.approx(1.0)


def test_few_runs_are_cautioned_and_bad_ropes_refused() -> None:
    few = rope_compare([0.5, 0.6, 0.55], [0.6, 0.7, 0.62], rope=0.01, paired=True)
    assert any("lean on it" in note for note in few.notes)
    none = rope_compare([0.5], [0.6, 0.7], rope=0.01, paired=False)
    assert none.b_better is None
    assert "cannot be computed" in none.line()
    for bad in (-0.1, float("nan"), "0.1"):
        with pytest.raises(UsageError, match="rope="):
            rope_compare([0.5, 0.6], [0.6, 0.7], rope=bad)  # type: ignore[arg-type]
