"""Coverage of the 95% BCa interval of the mean on a skewed distribution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from seedwise.stats import summarize
from seedwise.stats._data import generator


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.mean(x, axis=axis))


@pytest.mark.slow
def test_bca_interval_of_the_mean_covers_about_95_percent() -> None:
    # Gamma with shape 4 (skewness 1, mean 1). On more skewed distributions
    # BCa at n = 30 covers less: about 92% for the exponential and 89% for the
    # lognormal(0, 1) (docs/statistics.md), below this test's band.
    true_mean = 1.0
    samples = np.random.default_rng(20240601).gamma(4.0, 0.25, size=(2_000, 30))
    # One vectorised call bootstraps all 2,000 samples: each row is its own
    # sample, and the resampling indices, shared between rows, are those a
    # one-row call with the same Generator and batch would draw, so each row's
    # interval is exactly as if bootstrapped alone. The default 10,000
    # resamples then cost about 3 s in all, so no reduction is needed.
    result = stats.bootstrap(
        (samples,),
        _mean,
        n_resamples=10_000,
        batch=100,
        axis=-1,
        method="BCa",
        rng=np.random.default_rng(1),
    )
    low, high = result.confidence_interval
    coverage = float(np.mean((low <= true_mean) & (true_mean <= high)))
    assert 0.92 <= coverage <= 0.97, coverage


def test_summarize_bootstraps_exactly_as_scipy_does() -> None:
    # Ties the coverage above to seedwise's own intervals.
    x = np.random.default_rng(5).exponential(size=30)
    s = summarize(x, metric="loss", n_resamples=2_000, seed=9)
    expected = stats.bootstrap(
        (x,), _mean, n_resamples=2_000, method="BCa", rng=generator(9, "summary", "loss")
    ).confidence_interval
    # Same draws: the mean's interval is the same whether the median rides along or not.
    assert (s.mean_ci.low, s.mean_ci.high) == pytest.approx((expected.low, expected.high))
