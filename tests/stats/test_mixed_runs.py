"""Runs that fall in two clusters (some diverged), and a declared range of values."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats import compare, summarize
from seedwise.stats._bounded import betting_interval, looks_mixed

RESAMPLES = 999
# Eight trained runs near 0.9 and two diverged to chance level (k/200).
MIXED = np.array([0.905, 0.89, 0.1, 0.915, 0.9, 0.885, 0.11, 0.895, 0.91, 0.9])


def test_accuracies_with_diverged_runs_get_the_bounded_interval() -> None:
    interval = summarize(MIXED, metric="accuracy", n_resamples=RESAMPLES).mean_ci
    assert interval.low is not None
    assert interval.high is not None
    assert 0.0 <= interval.low < float(np.mean(MIXED)) < interval.high <= 1.0
    # The t / bootstrap-t hull spans [0, 1] after the cut: the betting interval is narrower.
    assert interval.high - interval.low < 0.75
    assert "betting" in interval.method
    assert interval.note is not None
    assert "2 of 10 runs lie" in interval.note


def test_five_runs_with_a_diverged_one_say_the_mean_cannot_be_pinned_down() -> None:
    summary = summarize(MIXED[:5], metric="accuracy", n_resamples=RESAMPLES)
    assert summary.mean_ci.low is None
    assert summary.mean_ci.note is not None
    assert "cannot be pinned down" in summary.mean_ci.note
    assert "1 of 5 runs lies" in summary.mean_ci.note
    assert summary.mean_ci_t.defined  # the t-interval stays, with its assumption


def test_unimodal_accuracies_are_not_mixed() -> None:
    rng = np.random.default_rng(3)
    for n in (5, 10, 30):
        for values in rng.binomial(200, 0.9, (200, n)) / 200:
            assert looks_mixed(values, 0.0, 1.0) is None
    assert looks_mixed(MIXED, 0.0, 1.0) == (2, pytest.approx(0.775))


def test_the_betting_interval_covers_skewed_bounded_data() -> None:
    # Bernoulli(0.1) at 20 runs: the t-interval covers 91% of these samples.
    rng = np.random.default_rng(4)
    x = rng.binomial(1, 0.1, (150, 20)).astype(float)
    bounds = np.array([betting_interval(row, 0.0, 1.0, 0.95) for row in x])
    assert np.all((bounds[:, 0] >= 0.0) & (bounds[:, 1] <= 1.0))
    assert np.mean((bounds[:, 0] <= 0.1) & (bounds[:, 1] >= 0.1)) >= 0.95


def test_a_declared_range_keeps_the_intervals_inside() -> None:
    values = np.array([9.2, 9.9, 9.95, 9.7, 10.0, 9.99])
    free = summarize(values, metric="score", n_resamples=RESAMPLES)
    assert free.mean_ci.high is not None
    assert free.mean_ci.high > 10.0
    bounded = summarize(values, metric="score", n_resamples=RESAMPLES, value_range=(0, 10))
    assert bounded.mean_ci.high == 10.0
    assert bounded.mean_ci_t.high == 10.0
    assert bounded.mean_ci.note is not None
    assert "cut to [0, 10]" in bounded.mean_ci.note


def test_a_declared_range_finds_diverged_runs_of_any_metric() -> None:
    reward = MIXED * 500 - 100  # a reward in [-100, 400]
    interval = summarize(reward, metric="reward", value_range=(-100, 400)).mean_ci
    assert "betting interval for values in [-100, 400]" in interval.method


def test_a_value_outside_the_declared_range_is_an_error_naming_it() -> None:
    with pytest.raises(UsageError, match=r"Received: 1\.5 \(1 of 4 values outside\)"):
        summarize([0.5, 0.6, 1.5, 0.7], metric="accuracy", value_range=(0, 1))


@pytest.mark.parametrize("value_range", [(1, 0), (0, float("inf")), ("a", 1), (0,), 3])
def test_a_bad_range_is_refused(value_range: object) -> None:
    with pytest.raises(UsageError, match="value_range="):
        summarize([0.5, 0.6, 0.7], value_range=value_range)  # type: ignore[arg-type]


def test_compare_keeps_differences_within_the_declared_range() -> None:
    a = np.array([0.1, 0.12, 0.09, 0.11, 0.1, 0.13])
    b = np.array([0.98, 1.0, 0.99, 0.2, 1.0, 0.97])
    free = compare(a, b, metric="score", n_resamples=199).pairs[0]
    assert free.difference_ci is not None
    assert free.difference_ci.low is not None
    assert free.difference_ci.low < -1.0  # -3.1: a difference no two values in [0, 1] have
    pair = compare(a, b, metric="score", n_resamples=199, value_range=(0, 1)).pairs[0]
    for interval in (pair.difference_ci, pair.shift_ci):
        assert interval is not None
        assert interval.low is not None
        assert interval.high is not None
        assert -1.0 <= interval.low <= interval.high <= 1.0
    with pytest.raises(UsageError, match=r"Received: -0\.5"):
        compare(a, np.append(b[:-1], -0.5), metric="score", value_range=(0, 1))


def test_any_shape_covers_means_that_rest_on_failures_a_sample_did_not_show() -> None:
    # One run in five diverges to chance level (true mean 0.74): 10.7% of 10-run samples
    # see no diverged run and look trained, so the default interval covers about 90%.
    rng = np.random.default_rng(11)
    diverged = rng.random((200, 10)) < 0.2
    x = np.where(diverged, rng.binomial(200, 0.1, (200, 10)), rng.binomial(200, 0.9, (200, 10)))
    samples = x / 200.0
    chosen = [summarize(v, metric="accuracy", any_shape=True).mean_ci for v in samples]
    assert all("any shape" in interval.method for interval in chosen)
    covered = [interval.contains(0.74) for interval in chosen]
    assert np.mean(covered) >= 0.95
    clean = samples[~diverged.any(axis=1)]
    assert clean.shape[0] > 5  # samples that look trained, and are covered all the same
    assert all(
        summarize(v, metric="accuracy", any_shape=True).mean_ci.contains(0.74) for v in clean
    )


def test_any_shape_needs_a_range_with_both_bounds() -> None:
    with pytest.raises(UsageError, match="Received: a lower bound of 0 only"):
        summarize([1.0, 2.0, 3.0, 4.0, 5.0], metric="loss", any_shape=True)
    with pytest.raises(UsageError, match="Received: no bounds"):
        summarize([-1.0, 2.0, 3.0, 4.0, 5.0], metric="reward", any_shape=True)
    declared = summarize([1.0, 2.0, 3.0, 4.0, 5.0], value_range=(0, 10), any_shape=True)
    assert declared.mean_ci.method == "betting interval for values in [0, 10], any shape"
    with pytest.raises(UsageError, match="any_shape is True or False"):
        summarize(MIXED, metric="accuracy", any_shape=1)  # type: ignore[arg-type]
