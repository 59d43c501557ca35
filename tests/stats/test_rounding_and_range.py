"""Data at the edge: spread at the level of float rounding, runs that mostly share one value,
metrics that cannot be negative or exceed 1."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.stats import compare, summarize

RESAMPLES = 2_000


def test_values_equal_up_to_rounding_have_no_spread() -> None:
    values = np.array([0.1 + 0.2, 0.3, 0.1 + 0.2, 0.3, 0.3, 0.1 + 0.2])
    assert np.ptp(values) > 0  # they differ in the last bit
    summary = summarize(values, metric="acc", n_resamples=RESAMPLES)
    assert summary.std == 0.0
    assert summary.mean_ci.low is None
    assert summary.mean_ci.note is not None
    assert "up to float rounding" in summary.mean_ci.note


def test_differences_equal_up_to_rounding_give_no_absurd_effect() -> None:
    a = np.random.default_rng(1).uniform(0.2, 0.8, 8)
    b = (a * 3 + 0.1) / 3 + 0.1 - 0.1  # a + 1/30, with rounding noise
    assert np.ptp(b - a) > 0
    pair = compare(a, b, paired=True, metric="acc", n_resamples=RESAMPLES).pairs[0]
    assert pair.effect("Hedges' g").value is None
    paired_t = next(test for test in pair.tests if test.name == "paired t")
    assert paired_t.statistic is None
    assert not any("far from normal" in warning for warning in pair.warnings)
    assert pair.shift_ci is not None
    assert pair.shift_ci.low == pair.shift_ci.high == pytest.approx(1 / 30)
    assert pair.winner == "B"


def test_identical_up_to_rounding_is_identical() -> None:
    a = np.array([0.3, 0.5, 0.7, 0.2, 0.9, 0.4])
    b = a + 0.1 - 0.1
    pair = compare(a, b, paired=True, metric="acc", n_resamples=RESAMPLES).pairs[0]
    assert pair.identical is not None
    assert not pair.significant


@pytest.mark.parametrize("n", [6, 10, 20])
def test_runs_that_mostly_share_one_value_get_an_interval_near_the_data(n: int) -> None:
    values = np.full(n, 24.0)
    values[3] = 25.0
    summary = summarize(values, metric="epochs run", n_resamples=RESAMPLES)
    low, high = summary.mean_ci.low, summary.mean_ci.high
    assert low is not None
    assert high is not None
    assert 23.0 < low <= summary.mean <= high < 26.0
    difference = compare(np.full(n, 24.0), values, paired=True, n_resamples=RESAMPLES)
    interval = difference.pairs[0].difference_ci
    assert interval.low is None or (interval.low > -2.0 and interval.high is not None)
    assert interval.high is None or interval.high < 2.0


def test_a_metric_that_cannot_be_negative_gets_no_negative_bound() -> None:
    mse = np.array([1e-5, 2e-5, 1e-4, 3e-6, 6e-4, 1e-5])
    summary = summarize(mse, metric="mse", n_resamples=RESAMPLES)
    assert summary.mean_ci.low == 0.0
    assert summary.mean_ci_t.low is not None
    assert summary.mean_ci_t.low >= 0.0
    assert summary.mean_ci.note is not None
    assert "cut at 0" in summary.mean_ci.note


def test_accuracies_stay_within_zero_and_one() -> None:
    rng = np.random.default_rng(3)
    outside = 0
    for _ in range(50):
        values = rng.binomial(200, 0.995, 5) / 200
        summary = summarize(values, metric="accuracy", n_resamples=RESAMPLES)
        for interval in (summary.mean_ci, summary.mean_ci_t, summary.median_ci):
            if interval.low is not None and interval.high is not None:
                outside += not (interval.low >= 0.0 and interval.high <= 1.0)
    assert outside == 0


def test_a_range_is_not_assumed_for_a_metric_with_negative_values() -> None:
    values = np.array([-0.5, 0.2, 0.1, 0.3, 0.05, 0.4])
    summary = summarize(values, metric="reward", n_resamples=RESAMPLES)
    assert summary.mean_ci.low is not None
    assert summary.mean_ci.low < -0.1


def test_numerical_warnings_do_not_reach_the_user() -> None:
    import warnings

    from seedwise.stats import sample_size, sequential_stop

    rng = np.random.default_rng(0)
    near = np.full(8, 1000.0) + rng.normal(0.0, 1e-10, 8)
    shifted = np.random.default_rng(1).uniform(0.2, 0.8, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summarize(near, metric="x", n_resamples=RESAMPLES)
        compare(shifted, shifted + 0.1 + rng.normal(0.0, 1e-14, 8), paired=True)
        compare(near, near[::-1], n_resamples=RESAMPLES)
        compare(np.array([1.0, np.inf, 2.0, 3.0]), np.array([np.nan, 1.0, 2.0, 2.5]))
        sample_size(np.array([1.0, 1.0, 1.0 + 1e-9, 1.0]), 0.5, n_simulations=200)
        sequential_stop(np.full(12, 3.0), 0.1)
        # Values near the largest float: their spread overflows.
        huge = np.array([1e308, -1e308, 1e308, 1e308, -1e308])
        overflowed = summarize(huge, metric="x", n_resamples=RESAMPLES)
        compare(np.array([1.0, 1.0, 2.0, 3.0, 2.0]), huge, n_resamples=RESAMPLES)
    assert overflowed.mean is None
    assert overflowed.mean_ci.low is None


def test_means_equal_up_to_rounding_differ_by_zero() -> None:
    # Accuracies on a 36-example test set; B's runs are A's in another order.
    a = np.array([30, 34, 35, 35, 33]) / 36
    b = np.array([35, 35, 33, 34, 30]) / 36
    pair = compare(a, b, paired=True, metric="accuracy", n_resamples=RESAMPLES).pairs[0]
    assert float(np.mean(b)) - float(np.mean(a)) != 0.0  # the sums round apart
    assert pair.difference == 0.0


def test_a_shift_at_the_rounding_of_the_values_is_zero() -> None:
    # Accuracies on a 54-example test set: the Walsh averages round to -5.6e-17.
    a = np.array([53, 50, 54, 53, 50, 53]) / 54
    b = np.array([52, 50, 54, 53, 51, 50]) / 54
    pair = compare(a, b, paired=True, metric="accuracy", n_resamples=RESAMPLES).pairs[0]
    assert pair.shift == 0.0
