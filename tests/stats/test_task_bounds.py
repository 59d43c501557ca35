"""The run profile's band, the probability of improvement's interval, the task bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from seedwise.stats._aggregate_boot import (
    TaskScores,
    improvement,
    point_estimates,
    resampled_improvement,
    resampled_statistics,
)
from seedwise.stats._task_bounds import (
    effective_runs,
    improvement_bounds,
    profile_band,
    wilson,
)
from seedwise.stats.across_tasks import (
    IMPROVEMENT_METHOD,
    PROFILE_METHOD,
    TASK_BOOTSTRAP_METHOD,
    aggregate,
    interval_bounds,
)


def test_profile_band_is_clopper_pearson_at_the_pooled_runs() -> None:
    counts = np.full(6, 5)  # 30 runs: a share k / 30 is k runs above the threshold
    shares = np.arange(31) / 30
    low, high = profile_band(shares, counts, 0.95)
    for k in range(31):
        exact = stats.binomtest(k, 30).proportion_ci(0.95, method="exact")
        assert low[k] == pytest.approx(exact.low, abs=1e-9)
        assert high[k] == pytest.approx(exact.high, abs=1e-9)


def test_effective_runs_weigh_each_task_the_same() -> None:
    assert effective_runs(np.array([4, 4, 4])) == pytest.approx(12.0)
    # 2 runs and 20: the share is as spread as 2 * 2 / (1/2 + 1/20) runs of one binomial.
    assert effective_runs(np.array([2, 20])) == pytest.approx(4 / 0.55)
    few, many = (profile_band(np.array([0.4]), np.array(c), 0.95) for c in ([2, 20], [20, 20]))
    assert many[1][0] - many[0][0] < few[1][0] - few[0][0]


@pytest.mark.parametrize(
    "rates",
    [
        (0.02, 0.1, 0.5, 0.9, 0.97),
        (0.3, 0.3, 0.3, 0.3, 0.3),
        (0.0, 0.0, 0.05, 1.0, 1.0),
        (0.6, 0.7, 0.8, 0.9, 0.99),
    ],
)
def test_profile_band_holds_its_level_exactly_at_three_runs(rates: tuple[float, ...]) -> None:
    # The count of runs above a threshold, 3 runs on each of 5 tasks of unequal
    # rates, is a sum of binomials: its distribution by convolution, exactly.
    runs = 3
    distribution = np.array([1.0])
    for rate in rates:
        distribution = np.convolve(distribution, stats.binom.pmf(np.arange(runs + 1), runs, rate))
    total = runs * len(rates)
    truth = float(np.mean(rates))
    low, high = profile_band(np.arange(total + 1) / total, np.full(len(rates), runs), 0.95)
    covered = distribution[(low <= truth) & (truth <= high)].sum()
    assert covered >= 0.95


def test_wilson_is_scipys_for_whole_counts() -> None:
    for k, n in ((0, 15), (3, 15), (15, 15), (7, 40)):
        expected = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        found = wilson(k / n, n, 0.95)
        assert found == pytest.approx((expected.low, expected.high), abs=1e-12)


def _scores(matrix: np.ndarray) -> TaskScores:
    return TaskScores(matrix.T.ravel().copy(), np.full(matrix.shape[1], matrix.shape[0]))


def test_improvement_where_x_wins_every_pair_still_has_a_lower_bound() -> None:
    rng = np.random.default_rng(0)
    x = _scores(rng.uniform(0.8, 1.0, (3, 5)))
    y = _scores(rng.uniform(0.0, 0.2, (3, 5)))
    boot = resampled_improvement(x, y, 2000, rng)
    assert improvement(x, y) == 1.0
    assert np.ptp(boot) == 0.0  # the percentile interval is [1, 1]
    low, high = improvement_bounds(1.0, boot, x.counts, y.counts, 0.95)
    assert high == 1.0
    assert low == pytest.approx(wilson(1.0, 15, 0.95)[0])
    assert low < 0.85


def test_improvement_bounds_hold_the_widened_percentile_interval() -> None:
    rng = np.random.default_rng(1)
    x = _scores(rng.beta(3.0, 2.0, (5, 20)))
    y = _scores(rng.beta(2.0, 3.0, (5, 20)))
    value = improvement(x, y)
    boot = resampled_improvement(x, y, 4000, rng)
    plain_low, plain_high = np.quantile(boot, [0.025, 0.975])
    low, high = improvement_bounds(value, boot, x.counts, y.counts, 0.95)
    widen = np.sqrt(5 / 4) * special.stdtrit(80, 0.975) / special.ndtri(0.975)
    assert low <= value - widen * (value - plain_low) + 1e-12
    assert high >= value + widen * (plain_high - value) - 1e-12
    assert low < plain_low < value < plain_high < high


def test_task_bootstrap_of_steady_tasks_is_the_t_interval_of_task_means() -> None:
    # Runs that barely vary within a task: the task means are all there is, and
    # the population mean's interval is Student's t over the T task means.
    rng = np.random.default_rng(2)
    means = rng.normal(0.6, 0.1, 8)
    scores = _scores(means[None, :] + rng.normal(0.0, 1e-6, (4, 8)))
    low, high = interval_bounds(scores, 40_000, rng, 0.95, task_bootstrap=True)[:, 0]
    reach = stats.t.ppf(0.975, 7) * np.std(means, ddof=1) / np.sqrt(8)
    assert (high - low) / 2 == pytest.approx(reach, rel=0.05)
    assert (low + high) / 2 == pytest.approx(np.mean(means), abs=0.1 * reach)


def test_task_bootstrap_is_wider_than_its_percentile_by_the_t_factor() -> None:
    scores = _scores(np.random.default_rng(3).beta(2.0, 3.0, (5, 6)))
    estimate = point_estimates(scores)
    boot = resampled_statistics(scores, 4000, np.random.default_rng(9), task_bootstrap=True)
    plain = np.quantile(boot, [0.025, 0.975], axis=0)
    ours = interval_bounds(scores, 4000, np.random.default_rng(9), 0.95, task_bootstrap=True)
    factor = np.sqrt(6 / 5) * stats.t.ppf(0.975, 5) / stats.norm.ppf(0.975)
    np.testing.assert_allclose(estimate - ours[0], factor * (estimate - plain[0]), rtol=1e-9)
    np.testing.assert_allclose(ours[1] - estimate, factor * (plain[1] - estimate), rtol=1e-9)


def test_aggregate_names_the_methods_and_bands_hold_the_profile() -> None:
    rng = np.random.default_rng(4)
    scores = {
        name: {f"t{j}": rng.beta(shape, 2.0, 3) for j in range(5)}
        for name, shape in (("a", 3.0), ("b", 2.0))
    }
    found = aggregate(scores, n_resamples=1000)
    assert found.methods["profile"] == PROFILE_METHOD
    assert found.methods["improvement"] == IMPROVEMENT_METHOD
    assert "Clopper-Pearson" in found.text()
    for profile in found.profiles:
        assert np.all(profile.low <= profile.fraction)
        assert np.all(profile.fraction <= profile.high)
        assert np.all((profile.low >= 0.0) & (profile.high <= 1.0))
    for pair in found.improvements:
        assert pair.interval.low is not None
        assert pair.interval.high is not None
        assert 0.0 <= pair.interval.low <= pair.probability <= pair.interval.high <= 1.0
    tasks = aggregate(scores, n_resamples=1000, task_bootstrap=True)
    assert tasks.methods["aggregate"] == tasks.methods["median"] == TASK_BOOTSTRAP_METHOD
    assert tasks.algorithms[0].estimates[1].interval.method == TASK_BOOTSTRAP_METHOD
