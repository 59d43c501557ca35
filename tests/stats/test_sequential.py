"""sequential_stop: the confidence-sequence rule with a minimum and a maximum."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from seedwise.errors import UsageError
from seedwise.stats import sequential_stop
from seedwise.stats.sequential import confidence_sequence

VALUES = np.random.default_rng(3).normal(1.0, 0.1, 40)


def _half_width(x: np.ndarray, m: int = 10) -> float:
    # Robbins' normal-mixture boundary with the 90% upper bound of the std.
    n = x.size
    upper = x.std(ddof=1) * np.sqrt((n - 1) / stats.chi2.ppf(0.1, n - 1))
    return float(upper * np.sqrt((n + m) * np.log((n + m) / (m * 0.05**2))) / n)


def test_stops_at_the_first_n_that_meets_the_target_after_the_minimum() -> None:
    target = _half_width(VALUES[:25]) * 1.0001
    decisions = [sequential_stop(VALUES[:n], target) for n in range(1, 41)]
    first = next(d for d in decisions if d.stop)
    expected = next(n for n in range(17, 41) if _half_width(VALUES[:n]) <= target)
    assert (first.n, first.reason) == (expected, "target")
    assert first.half_width == pytest.approx(_half_width(VALUES[:expected]))
    assert first.message.startswith("stop: the 95% confidence sequence's half-width")
    assert first.interval.low == pytest.approx(VALUES[:expected].mean() - first.half_width)


def test_never_stops_for_the_target_before_min_runs() -> None:
    decision = sequential_stop(VALUES[:5], half_width=10.0)
    assert not decision.stop
    assert decision.reason == "continue"
    assert "need at least 17 runs (before a failure mode of 1 in 5" in decision.message


def test_stops_at_max_runs_and_says_so() -> None:
    decision = sequential_stop(VALUES[:20], half_width=1e-6, max_runs=20)
    assert decision.stop
    assert decision.reason == "max_runs"
    assert "reached max_runs = 20" in decision.message


def test_nonfinite_runs_do_not_count_and_zero_spread_never_meets_the_target() -> None:
    decision = sequential_stop([*VALUES[:9], np.nan, np.inf], half_width=10.0)
    assert (decision.n, decision.n_nonfinite, decision.stop) == (9, 2, False)
    flat = sequential_stop([1.0] * 18, half_width=0.5, max_runs=20)
    assert not flat.stop
    assert flat.half_width is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"half_width": 0.0}, "half_width=0.0"),
        ({"half_width": 1.0, "min_runs": 2}, "min_runs=2"),
        ({"half_width": 1.0, "max_runs": 5}, "max_runs=5"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        sequential_stop(VALUES, **kwargs)  # type: ignore[arg-type]


def test_runs_that_fail_now_and_then_are_not_stopped_before_a_failure_could_show() -> None:
    # Trained runs near 0.9; one in five diverges to 0.1, and none has yet. Their spread
    # is small, so the interval meets the target at 10 runs, before any failure shows.
    clean = np.random.default_rng(5).normal(0.9, 0.02, 16)
    assert _half_width(clean[:10]) <= 0.1
    assert not sequential_stop(clean, half_width=0.1).stop
    assert sequential_stop([*clean, 0.9], half_width=0.1).reason == "target"


def test_confidence_sequence_is_bit_identical_to_chi2_ppf_and_imports_no_scipy_stats() -> None:
    # Its chi-square quantile comes from scipy.special (light to import); the numbers are
    # exactly those of scipy.stats.chi2.ppf, for every n a tuner or --until-ci meets.
    rng = np.random.default_rng(5)
    for n in range(3, 300):
        x = rng.normal(1.0, 0.1, n)
        interval = confidence_sequence(x, min_runs=10, confidence=0.95)
        # The computation as it was written with scipy.stats, step for step.
        alpha = 1.0 - 0.95
        upper = float(np.std(x, ddof=1)) * math.sqrt((n - 1) / float(stats.chi2.ppf(0.1, n - 1)))
        width = upper * math.sqrt((n + 10) * math.log((n + 10) / (10 * alpha**2))) / n
        assert interval.low == float(np.mean(x)) - width, n
        assert interval.high == float(np.mean(x)) + width, n
    code = (
        "import sys; from seedwise.stats.sequential import confidence_sequence; "
        "confidence_sequence([1.0, 2.0, 4.0], min_runs=10, confidence=0.95); "
        "print('scipy.stats' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]
