"""Learning curves over seeds: alignment, bands, differences and degenerate runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.special import stdtrit

from seedwise.errors import UsageError
from seedwise.stats._align import align_runs, common_grid
from seedwise.stats._bands import simultaneous_band
from seedwise.stats.curves import CurveSample, curves


def _sample(name: str, ys: list[list[float]], xs: list[list[float]] | None = None) -> CurveSample:
    xs = xs or [list(range(len(y))) for y in ys]
    return CurveSample(
        name=name,
        metric="loss",
        x="step",
        seeds=tuple(range(len(ys))),
        xs=tuple(np.asarray(x, dtype=float) for x in xs),
        ys=tuple(np.asarray(y, dtype=float) for y in ys),
    )


def _noisy(runs: int, shift: float = 0.0, steps: int = 20, seed: int = 0) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    x = np.arange(steps)
    return [
        list(
            np.exp(-x / 5)
            + shift * x / steps
            + 0.05 * rng.standard_normal()
            + 0.01 * rng.standard_normal(steps)
        )
        for _ in range(runs)
    ]


def test_runs_logged_at_different_steps_are_interpolated_and_counted() -> None:
    xs = [np.array([0.0, 2.0, 4.0]), np.array([0.0, 1.0, 2.0, 3.0, 4.0])]
    ys = [np.array([0.0, 2.0, 4.0]), np.array([1.0, 1.0, 1.0, 1.0, 1.0])]
    grid = common_grid(xs, 50)
    aligned = align_runs(xs, ys, grid)
    assert grid.tolist() == [0, 1, 2, 3, 4]
    assert aligned.values[0].tolist() == [0, 1, 2, 3, 4]
    # Steps 1 and 3 of the first run were interpolated, nothing of the second.
    assert aligned.interpolated == 2
    assert aligned.filled == 10


def test_a_run_that_stops_early_is_counted_as_ended_never_carried_forward() -> None:
    xs = [np.arange(10.0), np.arange(5.0)]
    ys = [np.ones(10), np.full(5, 3.0)]
    aligned = align_runs(xs, ys, np.arange(10.0))
    assert np.isnan(aligned.values[1, 5:]).all()
    assert aligned.ended.sum(axis=0).tolist() == [0] * 5 + [1] * 5


def test_bins_take_the_mean_of_the_values_near_each_grid_point() -> None:
    xs = [np.arange(10.0)]
    ys = [np.arange(10.0)]
    aligned = align_runs(xs, ys, np.array([0.0, 4.0, 9.0]), "bin")
    # Edges at 2 and 6.5: bins {0, 1}, {2..6}, {7, 8, 9}.
    assert aligned.values[0].tolist() == [0.5, 4.0, 8.0]
    assert aligned.interpolated == 0


def test_the_band_contains_the_pointwise_interval_which_contains_the_mean() -> None:
    values = np.asarray(_noisy(10))
    band = simultaneous_band(values, rng=np.random.default_rng(0), n_resamples=500)
    assert np.all(band.band_low <= band.low)
    assert np.all(band.low <= band.mean)
    assert np.all(band.mean <= band.high)
    assert np.all(band.high <= band.band_high)
    assert band.critical > 2.26  # wider than the pointwise t(9) quantile


def test_curves_say_when_b_is_reliably_better_and_from_where() -> None:
    a = _sample("a", _noisy(10, seed=1))
    b = _sample("b", [list(np.asarray(y) - 0.3 * np.arange(20) / 20) for y in _noisy(10, seed=1)])
    result = curves(a, b, n_resamples=500)
    (difference,) = result.differences
    assert difference.pairs == 10
    assert difference.better_from is not None
    assert 0 < difference.better_from < 19
    assert difference.worse_from is None
    assert "b is reliably better than a (lower loss) from step" in result.text()


def test_every_run_equal_gives_a_zero_width_band_and_says_so() -> None:
    result = curves(_sample("a", [[1.0, 0.5, 0.25]] * 5), n_resamples=200)
    band = result.studies[0].band
    assert band.critical == 0
    assert band.band_low.tolist() == band.band_high.tolist() == [1.0, 0.5, 0.25]
    assert "every run has the same value at every x: no spread" in result.text()


def test_a_diverged_run_is_left_out_from_its_first_nan_and_counted() -> None:
    ys = [
        [1.0, 0.5, 0.3, 0.2],
        [1.1, 0.6, math.nan, math.inf],
        [0.9, 0.4, 0.2, 0.1],
        [1.0, 0.5, 0.3, 0.1],
    ]
    result = curves(_sample("a", ys), n_resamples=200)
    study = result.studies[0]
    assert study.band.n.tolist() == [4, 4, 3, 3]
    assert study.diverged.tolist() == [0, 0, 1, 1]
    assert "1 of 4 runs diverged" in result.text()
    assert json.loads(json.dumps(result.to_dict()))["studies"][0]["diverged"] == [0, 0, 1, 1]


def test_two_runs_get_the_mean_but_no_band_and_three_get_one() -> None:
    two = curves(_sample("a", _noisy(2)), n_resamples=200)
    assert np.isnan(two.studies[0].band.band_low).all()
    assert "no interval or band: 2 runs at most" in two.text()
    three = curves(_sample("a", _noisy(3)), n_resamples=200)
    assert np.isfinite(three.studies[0].band.band_low).all()


def test_studies_without_shared_seeds_get_the_unpaired_difference() -> None:
    a = _sample("a", _noisy(6, seed=1))
    b = CurveSample(
        "b", "loss", "step", tuple(range(7, 13)), a.xs, tuple(np.asarray(_noisy(6, -0.5, seed=2)))
    )
    result = curves(a, b, n_resamples=300)
    (difference,) = result.differences
    assert not difference.paired
    assert difference.pairs == 0
    assert "b - a, unpaired (the mean of each, its runs resampled apart)" in result.text()
    # The difference of the means, and a band as wide as both studies' spread makes it.
    means = np.mean(_noisy(6, -0.5, seed=2), axis=0) - np.mean(_noisy(6, seed=1), axis=0)
    assert np.allclose(difference.band.mean, means)
    se = np.hypot(result.studies[0].band.se, result.studies[1].band.se)
    assert np.allclose(difference.band.se, se)
    assert difference.better_from is not None  # b's loss falls by 0.5 x / steps: lower later
    paired = curves(a, b, n_resamples=300, paired=True)
    assert paired.differences == ()
    assert "b and a share no seed: no paired difference curve" in paired.text()


def test_an_unpaired_difference_is_wider_than_the_paired_one_on_shared_seed_effects() -> None:
    # Runs of one seed share their seed effect (0.05 N(0, 1) moves the whole curve):
    # pairing cancels it, the unpaired band keeps it.
    a = _sample("a", _noisy(8, seed=5))
    b = _sample("b", [list(np.asarray(run) + 0.02) for run in _noisy(8, seed=5)])
    paired = curves(a, b, n_resamples=300).differences[0]
    unpaired = curves(a, b, n_resamples=300, paired=False).differences[0]
    assert paired.paired
    assert not unpaired.paired
    width = unpaired.band.band_high - unpaired.band.band_low
    assert np.all(paired.band.band_high - paired.band.band_low < 0.1 * width)


def test_the_iqm_at_each_x_is_the_25_percent_trimmed_mean_with_its_band() -> None:
    from scipy import stats

    runs = np.asarray(_noisy(12, seed=6))
    runs[0] += 5.0  # one wild seed: the IQM sets it aside, the mean does not
    result = curves(_sample("a", runs.tolist()), n_resamples=300, statistic="iqm")
    band = result.studies[0].band
    assert np.allclose(band.mean, stats.trim_mean(runs, 0.25, axis=0))
    assert np.all(band.band_low <= band.low)
    assert np.all(band.low <= band.mean)
    mean = curves(_sample("a", runs.tolist()), n_resamples=300).studies[0].band
    assert np.all(band.band_high - band.band_low < mean.band_high - mean.band_low)
    assert "IQM" in result.text()
    assert result.to_dict()["statistic"] == "iqm"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "spline"}, "method='spline'"),
        ({"points": 1}, "points"),
        ({"statistic": "median"}, "statistic='median'"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        curves(_sample("a", _noisy(3)), **options)  # type: ignore[arg-type]


def test_the_result_is_the_same_on_every_call() -> None:
    a, b = _sample("a", _noisy(6, seed=3)), _sample("b", _noisy(6, 0.1, seed=4))
    first, second = curves(a, b, n_resamples=300), curves(a, b, n_resamples=300)
    assert first.to_dict() == second.to_dict()


def test_a_band_from_few_runs_says_why_it_is_wide() -> None:
    few = curves(_sample("a", _noisy(5)), n_resamples=200)
    assert "a: from 5 runs the band is at least the Bonferroni t band" in few.text()
    many = curves(_sample("a", _noisy(10)), n_resamples=200)
    assert "Bonferroni t band" not in many.text()


def test_below_10_runs_the_band_is_never_narrower_than_bonferroni_at_half_the_error() -> None:
    def critical(runs: int, steps: int) -> float:
        values = np.asarray(_noisy(runs, steps=steps))
        return simultaneous_band(values, n_resamples=200, rng=np.random.default_rng(0)).critical

    # Each of the 20 points held at 0.05 / 40: t(1 - 0.05 / 80, 4) = 8.12.
    assert critical(5, 20) >= stdtrit(4, 1 - 0.05 / 80)
    # At most 50 points count: the floor at 400 points is the floor at 50.
    assert critical(5, 400) >= stdtrit(4, 1 - 0.05 / 200)
    assert critical(5, 400) < stdtrit(4, 1 - 0.05 / 1600)


@pytest.mark.slow
def test_the_band_covers_the_whole_curve_when_seed_effects_are_skewed() -> None:
    # benchmarks/sim_curves.py's exponential seed effects at 5 runs, shortened: the band
    # at the nominal bootstrap level without the Bonferroni floor covered 89.3% of these
    # 600 studies; the band covers 94.7% (the Monte Carlo error is about 1 point).
    rng = np.random.default_rng(13)
    x = np.linspace(0.0, 1.0, 50)
    true = 0.1 + np.exp(-4 * x)
    shapes = np.stack([np.exp(-4 * x), np.sin(np.pi * x)])
    covered = 0
    studies = 600
    for _ in range(studies):
        effects = rng.exponential(1.0, (5, 2)) - 1.0
        runs = true + 0.1 * np.sqrt(0.9) * effects @ shapes
        runs += 0.1 * np.sqrt(0.1) * rng.standard_normal(runs.shape)
        band = simultaneous_band(runs, n_resamples=500, rng=rng)
        covered += bool(np.all((band.band_low <= true) & (true <= band.band_high)))
    assert covered / studies >= 0.935


def test_the_band_covers_the_whole_true_curve_in_simulated_studies() -> None:
    # A shortened benchmarks/sim_curves.py (smooth seed effects plus per-step noise, 5
    # runs): the pointwise intervals cover the whole curve in about 29% of studies.
    rng = np.random.default_rng(11)
    x = np.linspace(0.0, 1.0, 30)
    true = 0.1 + np.exp(-4 * x)
    shapes = np.stack([np.exp(-4 * x), np.sin(np.pi * x)])
    covered = pointwise = 0
    for _ in range(150):
        runs = true + 0.084 * rng.standard_normal((5, 2)) @ shapes
        runs += 0.055 * rng.standard_normal(runs.shape)
        band = simultaneous_band(runs, n_resamples=500, rng=rng)
        covered += bool(np.all((band.band_low <= true) & (true <= band.band_high)))
        pointwise += bool(np.all((band.low <= true) & (true <= band.high)))
    assert covered / 150 >= 0.9
    assert pointwise / 150 < 0.6


def test_a_gap_that_closes_is_reported_where_it_holds() -> None:
    # b is better in the middle of the curve only: no "from x on", but where it is.
    bump = np.exp(-(((np.arange(20) - 10) / 3) ** 2))
    ys = _noisy(10, seed=5)
    a = _sample("a", ys)
    noise = np.random.default_rng(6).normal(0, 0.02, (10, 20))
    b = _sample("b", [list(np.asarray(y) - 0.3 * bump + e) for y, e in zip(ys, noise, strict=True)])
    result = curves(a, b, n_resamples=500)
    (difference,) = result.differences
    assert difference.better_from is None
    assert len(difference.better_spans) == 1
    low, high = difference.better_spans[0]
    assert 0 < low <= 10 <= high < 19
    assert f"b is reliably better at steps {int(low)} to {int(high)}" in result.text()
    assert result.to_dict()["differences"][0]["better_spans"] == [[low, high]]
