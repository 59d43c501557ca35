"""Decisions at a margin: non-inferior, superior, equivalent, and their bounds."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from seedwise.errors import UsageError
from seedwise.stats.decision import decide

RESAMPLES = 999
RNG = np.random.default_rng(4)
A = RNG.normal(0.80, 0.01, 12)
B = A + RNG.normal(0.002, 0.003, 12)  # paired by position: B is slightly better


def test_non_inferior_uses_the_lower_bound_of_the_paired_improvement() -> None:
    d = decide(A, B, margin=0.005, claim="non-inferior", metric="accuracy", paired=True,
               n_resamples=RESAMPLES)  # fmt: skip
    assert d.paired
    assert d.improvement == pytest.approx(float(np.mean(B - A)))
    assert d.low is not None
    assert d.high is not None
    # The hull of t and bootstrap-t at 90% is at least as wide as the t-interval at 90%.
    t = stats.ttest_1samp(B - A, 0.0).confidence_interval(0.90)
    assert d.low <= t.low + 1e-15
    assert d.high >= t.high - 1e-15
    assert d.holds is (d.low > -0.005)
    assert d.holds
    line = d.line()
    assert line.startswith("non-inferior: B is not worse than A by 0.005 or more")
    assert "holds" in line
    assert "lower 95% bound of the improvement" in line


def test_lower_is_better_turns_the_improvement_around() -> None:
    loss_a, loss_b = 1.0 - A, 1.0 - B
    d = decide(loss_a, loss_b, margin=0.0, claim="superior", metric="val_loss", paired=True,
               n_resamples=RESAMPLES)  # fmt: skip
    assert d.goal == "min"
    assert d.improvement == pytest.approx(float(np.mean(B - A)))
    assert d.low is not None
    assert d.holds is (d.low > 0.0)


def test_equivalence_is_two_one_sided_tests() -> None:
    same = A + RNG.normal(0.0, 0.001, 12)
    inside = decide(A, same, margin=0.01, claim="equivalent", paired=True, n_resamples=RESAMPLES)
    assert inside.holds
    assert inside.low is not None
    assert inside.high is not None
    assert -0.01 < inside.low <= inside.high < 0.01
    wide = decide(A, same, margin=0.0005, claim="equivalent", paired=True, n_resamples=RESAMPLES)
    assert not wide.holds
    assert "not inside (-0.0005, 0.0005)" in wide.line()


def test_too_few_runs_cannot_be_decided_and_do_not_hold() -> None:
    d = decide(A[:3], B[:3], margin=0.05, paired=True, n_resamples=RESAMPLES)
    assert not d.holds
    assert d.low is None
    assert "cannot be decided, so it does not hold" in d.line()


def test_equal_differences_decide_on_the_difference_itself() -> None:
    d = decide(
        A, A + 0.001, margin=0.0, claim="superior", goal="max", paired=True,
        n_resamples=RESAMPLES,
    )  # fmt: skip
    assert d.low == pytest.approx(0.001)
    assert d.holds
    assert any("every difference is 0.001" in note for note in d.notes)
    same = decide(A, A, margin=0.001, claim="non-inferior", paired=True, n_resamples=RESAMPLES)
    assert same.holds
    assert any("lower is better" in note for note in same.notes)  # the assumed goal is said


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"margin": -0.1}, "margin=-0.1"),
        ({"margin": 0.0, "claim": "equivalent"}, "a number above 0"),
        ({"margin": float("nan")}, "margin=nan"),
        ({"margin": "0.1"}, "A margin is a number"),
        ({"margin": 0.1, "claim": "better"}, "Received: 'better'"),
        ({"margin": 0.1, "alpha": 0.6}, "alpha=0.6"),
    ],
)
def test_bad_input_is_one_clear_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        decide(A, B, paired=True, **kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_error_rate_at_the_margin_is_at_most_alpha() -> None:
    # Paired differences with mean exactly -D: a non-inferiority claim must fail 95% of the time.
    rng = np.random.default_rng(12)
    held = [
        decide(np.zeros(10), rng.normal(-0.5, 1.0, 10), margin=0.5, paired=True,
               n_resamples=RESAMPLES, seed=i, goal="max").holds
        for i in range(300)
    ]  # fmt: skip
    assert np.mean(held) <= 0.075


def test_no_difference_where_lower_is_better_prints_0_not_minus_0() -> None:
    d = decide(A, A, margin=0.01, metric="loss", paired=True, n_resamples=RESAMPLES)
    assert d.holds
    assert "improvement 0, lower 95% bound of the improvement 0 > -0.01" in d.line()
