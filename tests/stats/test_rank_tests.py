"""The rank tests' p-values with ties and zeros: exact, and the ones SciPy's enumeration gives."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from seedwise.stats._shift import rank_sum_test, shift_interval, signed_rank_test

# Accuracies on a 200-example test set: every value is k / 200, so ties are the rule.
_TIED = st.integers(-4, 4).map(lambda k: k / 200.0)


def _enumerated(call: object, *samples: np.ndarray) -> float:
    """SciPy's p-value over every arrangement (more resamples than there are)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        method = stats.PermutationMethod(n_resamples=10**7)
        return float(call(*samples, method=method).pvalue)  # type: ignore[operator]


@settings(max_examples=25, deadline=None)
@given(st.lists(_TIED, min_size=2, max_size=8))
def test_signed_rank_p_with_ties_and_zeros_is_scipys_enumerated_one(values: list[float]) -> None:
    d = np.asarray(values)
    nonzero = d[d != 0]
    result = signed_rank_test(d, 10_000, 0)
    if nonzero.shape[0] < 2:
        assert result.p_value == 1.0
        return
    assert result.p_value == pytest.approx(_enumerated(stats.wilcoxon, nonzero), rel=1e-12)
    assert result.statistic == pytest.approx(float(stats.wilcoxon(nonzero).statistic))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, 4).map(lambda k: k / 10), min_size=2, max_size=6),
    st.lists(st.integers(0, 4).map(lambda k: k / 10), min_size=2, max_size=6),
)
def test_rank_sum_p_with_ties_is_scipys_enumerated_one(a_: list[float], b_: list[float]) -> None:
    a, b = np.asarray(a_), np.asarray(b_)
    if np.unique(np.concatenate([a, b])).shape[0] == a.shape[0] + b.shape[0]:
        return
    result = rank_sum_test(a, b, 10_000, 0)
    if np.unique(np.concatenate([a, b])).shape[0] == 1:
        assert result.p_value == 1.0
        return

    def mann_whitney(x: np.ndarray, y: np.ndarray, method: object) -> object:
        return stats.mannwhitneyu(x, y, alternative="two-sided", method=method)

    assert result.p_value == pytest.approx(_enumerated(mann_whitney, b, a), rel=1e-12)
    assert result.statistic == float(stats.mannwhitneyu(b, a).statistic)
    assert result.method == "exact, conditional on ties"


def test_thirty_tied_pairs_agree_with_a_large_random_permutation_test() -> None:
    rng = np.random.default_rng(3)
    a = rng.binomial(200, 0.85, 30) / 200
    b = a + rng.integers(-2, 4, 30) / 200
    d = b - a
    exact = signed_rank_test(d, 10_000, 0)
    # Random sign flips of the midranks, drawn all at once (SciPy's loop takes 20 s).
    nonzero = d[d != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    observed = ranks[nonzero > 0].sum()
    flips = np.random.default_rng(0).integers(0, 2, (200_000, nonzero.shape[0]))
    null = flips @ ranks
    below, above = np.mean(null <= observed + 1e-9), np.mean(null >= observed - 1e-9)
    sampled = min(1.0, 2 * min(below, above))
    standard_error = max(np.sqrt(sampled * (1 - sampled) / 200_000), 1e-6)
    assert abs(exact.p_value - sampled) < 4 * standard_error
    assert exact.method == "exact, conditional on ties"


def test_a_tied_interval_excludes_zero_exactly_when_the_test_rejects_between_candidates() -> None:
    # The interval is the test inverted; with exact p-values the two are one computation
    # at every shift strictly between Walsh averages.
    rng = np.random.default_rng(11)
    for _ in range(40):
        a = rng.binomial(200, 0.8, 10) / 200
        b = a + rng.integers(-1, 3, 10) / 200
        interval = shift_interval(a, b, paired=True, confidence=0.95, n_resamples=10_000, seed=0)
        if interval.low is None or interval.high is None:
            continue
        d = b - a
        walsh = np.unique((d[:, None] + d[None, :])[np.triu_indices(10)] / 2)
        for s in (walsh[:-1] + walsh[1:]) / 2:
            accepted = signed_rank_test(d - s, 10_000, 0).p_value > 0.05
            assert accepted == (interval.low <= s <= interval.high)


def test_untied_signed_rank_is_scipys_own_result_exactly() -> None:
    # The untied test is computed once per (k, sum of positive ranks): the result
    # must be SciPy's on the data themselves, to the last bit, exact and asymptotic.
    rng = np.random.default_rng(5)
    for k in (2, 3, 6, 10, 30, 50, 51, 80):
        for _ in range(20):
            d = rng.normal(0.2, 1.0, k) * rng.choice([1e-3, 1.0, 1e4])
            method = "exact" if k <= 50 else "asymptotic"
            expected = stats.wilcoxon(d, method=method)
            result = signed_rank_test(d, 10_000, 0)
            assert (result.statistic, result.p_value) == (
                float(expected.statistic),
                float(expected.pvalue),
            )
            assert result.method == ("exact" if k <= 50 else "normal approximation")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6).map(lambda k: k / 7.0), min_size=1, max_size=40))
def test_doubled_midranks_are_twice_scipys_midranks(values: list[float]) -> None:
    from seedwise.stats._shift import _doubled_midranks

    x = np.asarray(values)
    expected = np.rint(2.0 * stats.rankdata(x, method="average")).astype(np.int64)
    assert _doubled_midranks(x).tolist() == expected.tolist()


def test_untied_rank_sum_is_scipys_own_result_exactly() -> None:
    # Computed once per (n_a, n_b, B's rank sum): SciPy's result on the data, to the last bit.
    rng = np.random.default_rng(6)
    for n_a, n_b in ((2, 3), (4, 4), (10, 7), (30, 30), (50, 49), (60, 45)):
        for _ in range(15):
            a, b = rng.normal(0.0, 1.0, n_a), rng.normal(0.3, 1.0, n_b)
            method = "exact" if n_a * n_b <= 2_500 else "asymptotic"
            expected = stats.mannwhitneyu(b, a, alternative="two-sided", method=method)
            result = rank_sum_test(a, b, 10_000, 0)
            assert (result.statistic, result.p_value) == (
                float(expected.statistic),
                float(expected.pvalue),
            )
            assert result.method == ("exact" if method == "exact" else "normal approximation")
