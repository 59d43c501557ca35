"""The geometric mean for positive values over orders of magnitude, and losses that diverged."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import seedwise
from seedwise.errors import UsageError
from seedwise.stats._headline import mean_interval
from seedwise.stats._intervals import Interval
from seedwise.stats.summary import summarize

# Losses of 10 runs spanning four orders of magnitude, one cluster on the log scale.
SPREAD = np.array([3e-5, 1.2e-4, 4e-4, 9e-4, 2e-3, 5e-3, 1.1e-2, 4e-2, 0.1, 0.3])
# Five runs at 1e-4 but one, whose loss diverged to about 0.16.
DIVERGED = np.array([1.0e-4, 8.0e-5, 8.0e-5, 1.3e-4, 1.633e-1])


def _bounds(interval: Interval | None) -> tuple[float, float]:
    assert interval is not None
    assert interval.low is not None
    assert interval.high is not None
    return interval.low, interval.high


def test_values_over_orders_of_magnitude_get_the_geometric_mean_of_the_logarithms() -> None:
    s = summarize(SPREAD, metric="mse")
    assert s.geometric_mean == pytest.approx(float(stats.gmean(SPREAD)), rel=1e-12)
    # The interval is the headline interval of the logarithms' mean, exponentiated.
    rng = np.random.default_rng(0)
    on_logs = mean_interval(np.log(SPREAD), 0.95, 10_000, rng)
    low, high = _bounds(s.geometric_mean_ci)
    assert low <= s.geometric_mean <= high
    assert s.mean is not None
    assert high < s.mean  # the largest runs pull the mean above every plausible typical run
    assert on_logs.low is not None
    assert on_logs.high is not None
    # Same method, other draws (its generator is the summary's, by metric name).
    assert math.log(low) == pytest.approx(on_logs.low, abs=0.5)
    assert math.log(high) == pytest.approx(on_logs.high, abs=0.5)
    assert "orders of magnitude" in " ".join(s.notes)
    text = s.text()
    assert "95% CI of the geometric mean" in text
    assert "exp of the interval of the mean of the logarithms" in text


def test_the_geometric_mean_is_asked_for_or_turned_off() -> None:
    narrow = [0.30, 0.31, 0.29, 0.33, 0.35]
    assert summarize(narrow, metric="mse").geometric_mean_ci is None
    asked = summarize(narrow, metric="mse", geometric=True)
    assert asked.geometric_mean == pytest.approx(float(stats.gmean(narrow)))
    assert asked.to_dict()["geometric_mean_ci"]["method"].startswith("exp of the interval")
    assert summarize(SPREAD, metric="mse", geometric=False).geometric_mean is None
    negative = summarize([0.3, -0.31, 0.29, 0.33, 0.35], metric="x", geometric=True)
    assert negative.geometric_mean is None
    assert "no geometric mean: it needs every value above 0" in negative.notes
    equal = summarize([0.3] * 5, metric="x", geometric=True)
    assert equal.geometric_mean == pytest.approx(0.3)
    assert equal.geometric_mean_ci is not None
    assert equal.geometric_mean_ci.note == "the values have no spread: no interval"
    with pytest.raises(UsageError, match="Received: geometric='yes'"):
        summarize(narrow, geometric="yes")  # type: ignore[arg-type]


def test_few_runs_orders_of_magnitude_apart_give_no_interval_of_the_mean() -> None:
    # Before, the interval of the mean of these 5 losses was [0, 286], 1,750 times the
    # largest value, and the geometric mean's reached 2e20.
    s = summarize(DIVERGED, metric="loss")
    for interval in (s.mean_ci, s.geometric_mean_ci):
        assert interval is not None
        assert interval.low is None
        assert interval.note is not None
        assert "1 of 5 runs lies 3.1 orders of magnitude away from the rest" in interval.note
        assert "at least 10 runs are needed" in interval.note
    # Ten runs with two diverged get intervals (their coverage: docs/statistics.md, table 9).
    ten = np.concatenate([DIVERGED, [9e-5, 1.1e-4, 1.2e-4, 7e-5, 0.12]])
    again = summarize(ten, metric="loss")
    assert again.mean_ci.defined
    assert again.geometric_mean_ci is not None
    assert again.geometric_mean_ci.defined
    # A loss that is not positive, or one cluster on the log scale, keeps its interval.
    assert summarize(SPREAD[:5], metric="loss").mean_ci.defined
    assert summarize(DIVERGED - 0.01, metric="x").mean_ci.defined


def test_a_study_summary_takes_geometric(tmp_path: object) -> None:
    from tests.runner.conftest import NOISY

    study = seedwise.run(
        NOISY, repeats=5, workers=1, store=f"{tmp_path}/s.db", frameworks=("python", "numpy")
    )
    summaries = study.summary("value", geometric=True)
    expected = summarize(study.sample("value"), geometric=True)
    assert summaries["value"] == expected


@pytest.mark.slow
def test_the_geometric_mean_interval_covers_on_lognormal_runs() -> None:
    rng = np.random.default_rng(9)
    samples = rng.lognormal(0.0, 3.0, (300, 10))
    covered = [
        _bounds(summarize(x, metric="mse", n_resamples=499, geometric=True).geometric_mean_ci)
        for x in samples
    ]
    assert np.mean([low <= 1.0 <= high for low, high in covered]) >= 0.92
