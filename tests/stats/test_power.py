"""sample_size: plans the rank test can meet, with the pilot's uncertainty; t-test power."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from seedwise.errors import UsageError
from seedwise.stats import sample_size, t_test_power
from seedwise.stats.power import rank_test_power, smallest_reachable_n


def test_textbook_t_figure_and_the_rank_test_figure() -> None:
    # Cohen's d = 0.5, power 0.8, alpha 0.05 two-sided: 64 per group for the
    # t-test (Cohen 1988, table 2.4.1); Mann-Whitney needs about 3 / pi more.
    plan = sample_size(2.0, 1.0)
    assert plan.t_test_runs == 64
    assert plan.unpaired_runs_per_group == plan.runs
    assert 64 < plan.runs <= 70  # type: ignore[operator]
    assert plan.unpaired_power is not None
    assert plan.unpaired_power >= 0.8
    assert plan.paired_runs is None
    assert "std given, taken as exact" in str(plan)


def test_the_figure_is_the_smallest_n_whose_simulated_power_reaches_the_target() -> None:
    plan = sample_size(1.0, 1.0, power=0.9, alpha=0.01, n_simulations=500, seed=3)
    n = plan.unpaired_runs_per_group
    assert n is not None
    assert plan.unpaired_power is not None
    assert plan.unpaired_power >= 0.9
    assert t_test_power(1.0, 1.0, n, paired=False, alpha=0.01) >= 0.9
    assert plan.t_test_runs is not None
    assert n >= plan.t_test_runs


def test_never_a_plan_the_test_cannot_meet() -> None:
    # Wilcoxon's smallest two-sided p with 5 pairs is 0.0625: 6 pairs at least.
    assert smallest_reachable_n(True, 0.05) == 6
    # Mann-Whitney with 3 + 3 runs: 0.1; with 4 + 4: 2 / 70.
    assert smallest_reachable_n(False, 0.05) == 4
    huge = sample_size(1.0, 10.0, pilot_differences=0.1, n_simulations=200)
    assert (huge.paired_runs, huge.unpaired_runs_per_group) == (6, 4)
    assert huge.paired_power == 1.0
    # A five-pair study never rejects, whatever the effect.
    never = rank_test_power(
        10.0, 0.1, 5, paired=True, alpha=0.05, n_simulations=200, rng=np.random.default_rng(0)
    )
    assert never == 0.0


def test_a_pilot_plans_at_the_upper_bound_of_its_std_and_says_so() -> None:
    pilot = np.random.default_rng(0).normal(size=10)
    plan = sample_size(pilot, 1.0, n_simulations=300)
    s = pilot.std(ddof=1)
    upper = s * np.sqrt(9 / stats.chi2.ppf(0.2, 9))
    assert plan.std == pytest.approx(s)
    assert plan.std_upper == pytest.approx(upper)
    assert plan.pilot_n == 10
    assert plan.assurance == 0.8
    assert "80% upper bound of the std" in str(plan)
    assert "pilot of 10 runs" in str(plan)
    tiny = sample_size(pilot[:2], 1.0, n_simulations=200)
    assert any("the pilot has 2 runs" in note for note in tiny.notes)


def test_paired_needs_fewer_runs_when_seed_noise_is_shared() -> None:
    # The design of test_compare's synthetic studies: seed noise std 1 shared by
    # both configurations, run noise std 0.2 each, effect 0.3.
    std = float(np.hypot(1.0, 0.2))
    plan = sample_size(
        std, 0.3, paired=True, pilot_differences=float(np.sqrt(2) * 0.2), n_simulations=500
    )
    assert plan.paired_runs is not None
    assert plan.unpaired_runs_per_group is not None
    assert plan.runs == plan.paired_runs
    assert plan.paired_runs <= 12
    assert plan.unpaired_runs_per_group >= 150
    assert plan.paired_power is not None
    assert plan.paired_power >= 0.8


def test_pilot_values_give_their_standard_deviation() -> None:
    pilot = np.random.default_rng(0).normal(size=30)
    diffs = np.random.default_rng(1).normal(scale=0.1, size=30)
    plan = sample_size(pilot, 0.5, pilot_differences=diffs, n_simulations=300)
    assert plan.std == pytest.approx(pilot.std(ddof=1))
    assert plan.std_differences == pytest.approx(diffs.std(ddof=1))
    assert "paired (shared seeds, Wilcoxon)" in str(plan)
    assert "unpaired" in str(plan)


def test_large_effects_and_unreachable_targets() -> None:
    far = sample_size(1.0, 0.001, max_runs=1000)
    assert far.unpaired_runs_per_group is None
    assert "more than max_runs = 1000" in far.notes[0]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1.0, 0.0), {}, "effect=0.0"),
        ((0.0, 1.0), {}, "pilot=0.0"),
        ((1.0, 1.0), {"paired": True}, "pilot_differences=None"),
        (([1.0], 1.0), {}, "2 finite values"),
        ((1.0, 1.0), {"power": 0.01}, "power=0.01"),
    ],
)
def test_bad_inputs_are_refused(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        sample_size(*args, **kwargs)  # type: ignore[arg-type]


def test_a_small_pilot_that_saw_no_failure_does_not_promise_a_tiny_plan() -> None:
    # Five accuracies that all trained, from a metric where one run in five diverges:
    # their spread (0.03) says 4 runs per group; such a study's real power is about 0.4.
    pilot = np.array([0.79, 0.815, 0.77, 0.8, 0.83])
    plan = sample_size(pilot, 0.1, n_simulations=300)
    assert plan.runs == 17
    (rests,) = (note for note in plan.notes if note.startswith("the power assumes"))
    assert rests == (
        "the power assumes the spread seen in the 5 pilot runs; they miss a failure mode of "
        "1 in 5 (diverged runs) with probability 33%, so the plan asks for at least 17 runs, "
        "which see one with probability 97.7%"
    )
    paired = sample_size(pilot, 0.1, paired=True, pilot_differences=pilot - 0.8)
    assert paired.runs == 17
    assert any("5 pilot pairs" in note for note in paired.notes)


def test_a_large_pilot_asks_for_17_runs_and_a_given_std_keeps_its_plan() -> None:
    # A 20-run pilot that saw no failure planned 4 runs; where one run in five diverges,
    # such a plan's real power was 0.43 (docs/statistics.md, table 8).
    pilot = np.random.default_rng(2).normal(0.8, 0.03, 20)
    plan = sample_size(pilot, 0.1, n_simulations=300)
    assert plan.runs == 17
    (rests,) = (note for note in plan.notes if note.startswith("the power assumes"))
    assert rests == (
        "the power assumes the spread seen in the 20 pilot runs; a failure mode (diverged "
        "runs) rarer than 1 in 6 could hide from them, so the plan asks for at least 17 runs, "
        "which see a failure mode of 1 in 5 with probability 97.7%"
    )
    given = sample_size(0.03, 0.1, n_simulations=300)
    assert given.runs is not None
    assert given.runs < 17
    assert not any("the power assumes" in note for note in given.notes)
