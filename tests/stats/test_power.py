"""sample_size: exact noncentral-t power, paired against unpaired designs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from seedwise.errors import UsageError
from seedwise.stats import sample_size, t_test_power


def test_textbook_unpaired_figure() -> None:
    # Cohen's d = 0.5, power 0.8, alpha 0.05 two-sided: 64 per group (Cohen 1988, table 2.4.1).
    plan = sample_size(2.0, 1.0)
    assert plan.unpaired_runs_per_group == 64
    assert plan.runs == 64
    assert plan.paired_runs is None


def test_power_equals_the_noncentral_t_and_the_figure_is_the_smallest() -> None:
    plan = sample_size(1.0, 0.5, power=0.9, alpha=0.01)
    n = plan.unpaired_runs_per_group
    assert n is not None
    df, nc = 2 * n - 2, 0.5 / np.sqrt(2 / n)
    crit = stats.t.isf(0.005, df)
    expected = stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
    assert plan.unpaired_power == pytest.approx(expected)
    assert t_test_power(0.5, 1.0, n, paired=False, alpha=0.01) >= 0.9
    assert t_test_power(0.5, 1.0, n - 1, paired=False, alpha=0.01) < 0.9


def test_paired_needs_fewer_runs_when_seed_noise_is_shared() -> None:
    # The design of test_compare's synthetic studies: seed noise std 1 shared by
    # both configurations, run noise std 0.2 each, effect 0.3.
    std = float(np.hypot(1.0, 0.2))
    plan = sample_size(std, 0.3, paired=True, pilot_differences=float(np.sqrt(2) * 0.2))
    assert plan.paired_runs is not None
    assert plan.unpaired_runs_per_group is not None
    assert plan.runs == plan.paired_runs
    assert plan.paired_runs <= 12
    assert plan.unpaired_runs_per_group >= 150
    n = plan.paired_runs
    assert t_test_power(0.3, np.sqrt(2) * 0.2, n, paired=True, alpha=0.05) >= 0.8
    assert t_test_power(0.3, np.sqrt(2) * 0.2, n - 1, paired=True, alpha=0.05) < 0.8


def test_pilot_values_give_their_standard_deviation() -> None:
    pilot = np.random.default_rng(0).normal(size=30)
    diffs = np.random.default_rng(1).normal(scale=0.1, size=30)
    plan = sample_size(pilot, 0.5, pilot_differences=diffs)
    assert plan.std == pytest.approx(pilot.std(ddof=1))
    assert plan.std_differences == pytest.approx(diffs.std(ddof=1))
    assert "paired (shared seeds)" in str(plan)
    assert "unpaired" in str(plan)


def test_large_effects_and_unreachable_targets() -> None:
    assert sample_size(1.0, 1.0, pilot_differences=0.1).paired_runs == 3
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
