"""summarize: values equal scipy.stats, degenerate inputs, determinism, invariants."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from seedwise.errors import UsageError
from seedwise.stats import Sample, summarize
from seedwise.stats._data import generator
from seedwise.stats._headline import _bootstrap_t, mean_interval
from seedwise.stats._resamples import drawn_moments

RESAMPLES = 999
FIXED = np.array(
    [0.031, 0.027, 0.035, 0.029, 0.044, 0.030, 0.026, 0.038, 0.033, 0.028,
     0.052, 0.031, 0.029, 0.034, 0.027, 0.030, 0.041, 0.032, 0.028, 0.036]
)  # fmt: skip


def test_descriptive_values_match_numpy() -> None:
    s = summarize(FIXED, metric="mse", n_resamples=RESAMPLES)
    assert s.n == 20
    assert s.mean == pytest.approx(FIXED.mean())
    assert s.std == pytest.approx(FIXED.std(ddof=1))
    assert s.sem == pytest.approx(stats.sem(FIXED))
    assert s.median == pytest.approx(np.median(FIXED))
    assert s.iqr == pytest.approx(stats.iqr(FIXED))
    assert (s.min, s.max) == (FIXED.min(), FIXED.max())


def test_intervals_equal_scipy_on_fixed_data() -> None:
    s = summarize(FIXED, metric="mse", n_resamples=RESAMPLES, seed=7)
    t = stats.ttest_1samp(FIXED, 0.0).confidence_interval(0.95)
    assert (s.mean_ci_t.low, s.mean_ci_t.high) == pytest.approx((t.low, t.high))
    # The headline interval is the hull of the t and bootstrap-t intervals.
    boot = mean_interval(FIXED, 0.95, RESAMPLES, generator(7, "summary", "mse"))
    assert (s.mean_ci.low, s.mean_ci.high) == (boot.low, boot.high)
    assert s.mean_ci.low <= t.low
    assert t.high <= s.mean_ci.high
    assert s.mean_ci.method == f"hull of t and bootstrap-t (95%), {RESAMPLES} resamples"
    assert s.mean_ci.n == 20
    order = stats.quantile_test(FIXED, q=float(np.median(FIXED))).confidence_interval(0.95)
    assert (s.median_ci.low, s.median_ci.high) == (order.low, order.high)


def test_bootstrap_t_part_matches_its_definition() -> None:
    # (mean* - mean) / se* over resamples drawn as _headline draws them.
    x = FIXED[:12]
    resampled = (drawn_moments(x, 2_000, np.random.default_rng(3)),)
    low, high = _bootstrap_t((x,), 0.9, resampled)
    idx = np.random.default_rng(3).integers(0, 12, (2_000, 12))
    xs = x[idx]
    t = (xs.mean(1) - x.mean()) / (xs.std(1, ddof=1) / np.sqrt(12))
    q = np.quantile(t[~np.isnan(t)], [0.05, 0.95])
    se = x.std(ddof=1) / np.sqrt(12)
    assert (low, high) == pytest.approx((x.mean() - q[1] * se, x.mean() - q[0] * se))


def test_small_samples_say_which_interval_and_why() -> None:
    s = summarize(FIXED[:8])
    assert s.mean_ci.method == "hull of t and bootstrap-t (97.5%), 10000 resamples"
    four = summarize(FIXED[:4])
    assert not four.mean_ci.defined
    assert "fewer than 5 runs" in str(four.mean_ci.note)
    assert four.mean_ci_t.defined
    assert not summarize(FIXED[:5]).median_ci.defined
    assert "0.9375" in str(summarize(FIXED[:5]).median_ci.note)


def test_same_inputs_same_output_and_metrics_independent() -> None:
    first = summarize(FIXED, metric="mse", n_resamples=RESAMPLES, seed=3)
    again = summarize(FIXED.tolist(), metric="mse", n_resamples=RESAMPLES, seed=3)
    # Each metric's stream is keyed by its name: another metric of the same runs leaves it be.
    sample = summarize(Sample("s", "mse", FIXED), n_resamples=RESAMPLES, seed=3)
    assert first == again == replace(sample, study=None, n_failed=None)
    other = summarize(FIXED, metric="acc", n_resamples=RESAMPLES, seed=3)
    assert other.mean_ci != first.mean_ci
    assert summarize(FIXED, n_resamples=RESAMPLES, seed=4).mean_ci != first.mean_ci


def test_generator_seed_is_accepted_and_reproducible() -> None:
    a = summarize(FIXED, n_resamples=RESAMPLES, seed=np.random.default_rng(1))
    b = summarize(FIXED, n_resamples=RESAMPLES, seed=np.random.default_rng(1))
    assert a == b


def test_nonfinite_values_are_counted_excluded_and_reported() -> None:
    values = np.concatenate([FIXED, [np.nan, np.inf, -np.inf]])
    s = summarize(values, metric="mse", n_resamples=RESAMPLES, n_failed=2)
    assert (s.n, s.n_nonfinite, s.n_failed) == (20, 3, 2)
    assert s.mean == pytest.approx(FIXED.mean())
    assert "mse: 3 non-finite values (NaN or inf) excluded" in str(s)
    assert s.to_dict()["n_failed"] == 2


def test_all_values_equal_gives_no_interval_and_says_why() -> None:
    s = summarize([0.5] * 30, n_resamples=RESAMPLES)
    assert (s.mean, s.std, s.median) == (0.5, 0.0, 0.5)
    for interval in (s.mean_ci, s.mean_ci_t, s.median_ci):
        assert not interval.defined
        assert "all 30 values equal 0.5" in str(interval.note)


@pytest.mark.parametrize("values", [[], [np.nan, np.nan]])
def test_empty_sample_is_summarised_without_numbers(values: list[float]) -> None:
    s = summarize(values, n_failed=5)
    assert s.n == 0
    assert s.mean is None
    assert s.std is None
    assert not s.mean_ci.defined
    assert "nothing to summarise" in str(s)
    assert json.loads(json.dumps(s.to_dict()))["mean"] is None


@pytest.mark.parametrize("n", [1, 2])
def test_one_or_two_values_give_no_interval(n: int) -> None:
    s = summarize([1.0, 3.0][:n])
    assert s.n == n
    assert s.mean == pytest.approx([1.0, 2.0][n - 1])
    assert (s.std is None) == (n == 1)
    for interval in (s.mean_ci, s.mean_ci_t, s.median_ci):
        assert not interval.defined
        assert "at least 3" in str(interval.note)


def test_zero_width_bootstrap_interval_is_not_printed() -> None:
    # 27 of 30 values equal: every resample's median is 1.0.
    s = summarize([1.0] * 27 + [2.0, 3.0, 4.0], n_resamples=RESAMPLES)
    assert not s.median_ci.defined
    assert "zero-width" in str(s.median_ci.note)
    assert s.mean_ci.defined


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.5}, "confidence=1.5"),
        ({"n_resamples": 10}, "n_resamples=10"),
        ({"seed": -1}, "seed=-1"),
        ({"n_failed": -1}, "n_failed=-1"),
    ],
)
def test_bad_arguments_name_the_value(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        summarize(FIXED, **kwargs)  # type: ignore[call-overload]


def test_two_dimensional_values_are_refused() -> None:
    with pytest.raises(UsageError, match="one-dimensional"):
        summarize(np.ones((3, 3)))


def test_the_summary_is_one_table_row_with_one_interval_of_the_mean() -> None:
    s = summarize(FIXED, metric="mse", n_resamples=RESAMPLES)
    header, _rule, row, *notes = str(s).splitlines()
    assert header.split("  ")[0] == "metric"
    columns = [cell.strip() for cell in header.split("  ") if cell.strip()]
    assert columns == [
        "metric", "n", "mean", "95% CI of the mean", "median", "95% CI of the median", "std",
        "min, max",
    ]  # fmt: skip
    assert row.split()[:3] == ["mse", "20", f"{s.mean:.4g}"]
    # The header says the level once; the cells hold the bounds only.
    mean_ci = f"[{s.mean_ci.low:.4g}, {s.mean_ci.high:.4g}]"
    assert mean_ci in row
    assert "CI" not in row
    assert f"{s.min:.4g}, {s.max:.4g}" in row
    # The t-interval is the other interval of the mean: only in the details.
    t_ci = f"[{s.mean_ci_t.low:.4g}, {s.mean_ci_t.high:.4g}]"
    assert t_ci not in str(s)
    assert str(s).count("CI of the mean") == 1
    detailed = s.text(details=True)
    assert t_ci in detailed
    assert "95% t-interval of the mean" in detailed
    assert notes[0] == f"intervals: mean: {s.mean_ci.method}; median: {s.median_ci.method}"


def test_to_dict_holds_plain_python_values() -> None:
    d = summarize(FIXED, metric="mse", n_resamples=RESAMPLES).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert type(d["mean"]) is float
    assert type(d["n"]) is int
    assert type(d["mean_ci"]["low"]) is float


def test_large_samples_use_the_t_and_order_statistic_intervals() -> None:
    x = np.random.default_rng(0).exponential(size=3_000)
    s = summarize(x, n_resamples=RESAMPLES)
    assert s.mean_ci.method.startswith("t-interval")
    assert "bootstrap_max_n = 2000" in str(s.mean_ci.note)
    order = stats.quantile_test(x, q=float(np.median(x))).confidence_interval(0.95)
    assert (s.median_ci.low, s.median_ci.high) == pytest.approx((order.low, order.high))
    forced = summarize(x, n_resamples=RESAMPLES, bootstrap_max_n=None)
    assert forced.mean_ci.method.startswith("hull")
    assert forced.mean_ci.low == pytest.approx(s.mean_ci.low, rel=0.02)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), min_size=3, max_size=25
    ).filter(lambda xs: len(set(xs)) >= 3),
    st.integers(min_value=0, max_value=2**32),
)
def test_intervals_contain_their_estimate_and_are_deterministic(
    values: list[float], seed: int
) -> None:
    s = summarize(values, n_resamples=200, seed=seed)
    assert s.mean is not None
    assert s.median is not None
    for interval, point in ((s.mean_ci_t, s.mean), (s.mean_ci, s.mean), (s.median_ci, s.median)):
        if interval.defined:
            assert interval.low is not None
            assert interval.high is not None
            assert interval.low <= point + 1e-9 * (1 + abs(point))
            assert point <= interval.high + 1e-9 * (1 + abs(point))
    assert summarize(values, n_resamples=200, seed=seed) == s


def test_a_mean_interval_far_past_the_values_says_so() -> None:
    # Nine values near 1 and one of 50: the bootstrap-t reaches far past them.
    skewed = np.array([1, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02, 0.98, 1.01, 50.0])
    interval = summarize(skewed, n_resamples=RESAMPLES).mean_ci
    assert interval.high is not None
    assert interval.high - skewed.max() > np.ptp(skewed)
    assert interval.note is not None
    assert "past the values by more than their range" in str(interval)
    assert "median" in interval.note
    # Normal values at n = 10 stay within reach of their range: no note.
    normal = np.random.default_rng(0).normal(size=10)
    assert summarize(normal, n_resamples=RESAMPLES).mean_ci.note is None


def test_nonfinite_numbers_have_one_json_form_and_round_trip() -> None:
    from seedwise._json import json_ready, number_from_json

    values = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "x": 0.5, "none": None}
    encoded = json_ready(values)
    assert encoded == {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity", "x": 0.5, "none": None}
    text = json.dumps(encoded, allow_nan=False)
    back = {key: None if v is None else number_from_json(v) for key, v in json.loads(text).items()}
    assert math.isnan(back["nan"])
    assert back["inf"] == math.inf
    assert back["-inf"] == -math.inf
    # to_dict writes the same form: an infinite statistic stays apart from a missing one.
    assert summarize([1.0, 2.0, math.inf]).to_dict()["n_nonfinite"] == 1
    assert json_ready(np.float64(math.inf)) == "Infinity"
