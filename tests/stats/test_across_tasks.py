"""seedwise.aggregate (stats.across_tasks): rliable's estimates, unequal runs, cautions, baycomp."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats._aggregate_boot import (
    TaskScores,
    improvement,
    point_estimates,
    resampled_statistics,
)
from seedwise.stats.across_tasks import aggregate, interval_bounds
from seedwise.stats.task_ranking import bayesian_signed_rank

rliable_metrics = pytest.importorskip("rliable.metrics")


def _flat(matrix: np.ndarray) -> TaskScores:
    """rliable's (runs, tasks) matrix as TaskScores."""
    return TaskScores(matrix.T.ravel().copy(), np.full(matrix.shape[1], matrix.shape[0]))


@pytest.mark.parametrize(("runs", "tasks"), [(3, 5), (10, 57), (7, 4)])
def test_point_estimates_are_rliables(runs: int, tasks: int) -> None:
    matrix = np.random.default_rng(runs).beta(2.0, 3.0, (runs, tasks)) * 1.3
    expected = [
        rliable_metrics.aggregate_mean(matrix),
        rliable_metrics.aggregate_median(matrix),
        rliable_metrics.aggregate_iqm(matrix),
        rliable_metrics.aggregate_optimality_gap(matrix),
    ]
    np.testing.assert_allclose(point_estimates(_flat(matrix)), expected, rtol=1e-12, atol=1e-15)


def test_probability_of_improvement_is_rliables() -> None:
    rng = np.random.default_rng(1)
    x = np.round(rng.beta(2.0, 3.0, (6, 9)), 1)  # ties, counted half
    y = np.round(rng.beta(2.0, 2.5, (4, 9)), 1)
    assert improvement(_flat(x), _flat(y)) == pytest.approx(
        rliable_metrics.probability_of_improvement(x, y), abs=1e-12
    )


def test_public_aggregate_matches_rliable_and_orders_intervals() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.beta(3.0, 2.0, (5, 6)), rng.beta(2.0, 3.0, (5, 6))
    scores = {name: {f"t{j}": m[:, j] for j in range(6)} for name, m in (("a", a), ("b", b))}
    found = aggregate(scores, n_resamples=2000)
    first = found.algorithms[0]
    assert [e.statistic for e in first.estimates] == ["mean", "median", "iqm", "optimality gap"]
    assert first.estimates[2].value == pytest.approx(rliable_metrics.aggregate_iqm(a))
    for algorithm in found.algorithms:
        for estimate in algorithm.estimates:
            assert estimate.interval.low is not None
            assert estimate.interval.high is not None
            assert estimate.interval.low <= estimate.value <= estimate.interval.high
    poi = {(i.x, i.y): i.probability for i in found.improvements}
    assert poi["a", "b"] == pytest.approx(rliable_metrics.probability_of_improvement(a, b))
    assert poi["a", "b"] + poi["b", "a"] == pytest.approx(1.0)
    method = found.to_dict()["algorithms"][0]["iqm"]["interval"]["method"]
    assert method.startswith("hull of the stratified bootstrap-t")
    assert "bootstrap-t" in found.text()


def test_unequal_runs_weigh_each_task_the_same() -> None:
    # 2 runs on t0 and 20 on t1: pooling every run would put the mean near t1's.
    scores = {"a": {"t0": [0.0, 0.0], "t1": [1.0] * 20}}
    found = aggregate(scores, n_resamples=1000)
    mean, median, iqm, gap = (e.value for e in found.algorithms[0].estimates)
    assert mean == pytest.approx(0.5)
    assert median == pytest.approx(0.5)
    assert gap == pytest.approx(0.5)
    # Half the weight at 0, half at 1: the middle half is a quarter of each.
    assert iqm == pytest.approx(0.5)
    assert found.algorithms[0].runs == (2, 20)


def test_unequal_runs_profile_weighs_tasks_the_same() -> None:
    found = aggregate(
        {"a": {"t0": [0.0, 0.0], "t1": [1.0] * 20}}, n_resamples=1000, thresholds=[0.5]
    )
    assert found.profiles[0].fraction[0] == pytest.approx(0.5)


def test_rescaled_bootstrap_is_wider_than_plain_percentile() -> None:
    scores = _flat(np.random.default_rng(3).beta(2.0, 3.0, (3, 10)))
    plain = np.quantile(
        resampled_statistics(scores, 4000, np.random.default_rng(0)), [0.025, 0.975], axis=0
    )
    ours = interval_bounds(scores, 4000, np.random.default_rng(0), 0.95)
    assert ((ours[1] - ours[0]) > (plain[1] - plain[0]) * 1.2).all()


def test_same_seed_same_intervals_and_task_bootstrap_is_wider() -> None:
    scores = {
        n: {f"t{j}": np.random.default_rng(j + len(n)).normal(j, 1.0, 5) for j in range(8)}
        for n in ("a", "bb")
    }
    first = aggregate(scores, n_resamples=1000, seed=4).to_dict()
    assert first == aggregate(scores, n_resamples=1000, seed=4).to_dict()
    tasks = aggregate(scores, n_resamples=1000, seed=4, task_bootstrap=True)
    plain = first["algorithms"][0]["mean"]["interval"]
    wide = tasks.algorithms[0].estimates[0].interval
    assert wide.high - wide.low > 2 * (plain["high"] - plain["low"])


def test_cautions_are_named() -> None:
    scores = {
        "a": {"t0": [0.2, 0.3], "t1": [0.5], "t2": [0.1, 0.2]},
        "b": {"t0": [0.4, 0.5], "t1": [0.6, 0.7]},
    }
    found = aggregate(
        scores,
        n_resamples=1000,
        normalize="min-max",
        reference={"t0": (0.0, 0.4), "t1": (0.0, 1.0)},
    )
    text = " | ".join(found.cautions)
    assert "missing tasks: b has no runs on t2" in text
    assert "one run: a has a single run on t1" in text
    assert "scores outside the normalisation range: 1 run falls" in text
    assert found.tasks == ("t0", "t1")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"normalize": "z"}, "Unknown normalisation"),
        ({"normalize": "baseline", "reference": "c"}, "baseline algorithm's name"),
        ({"normalize": "min-max", "reference": {"t0": (1.0, 1.0)}}, "empty range"),
        ({"reference": "a"}, "a reference needs a normalisation"),
        ({"n_resamples": 10}, "n_resamples"),
    ],
)
def test_bad_input_is_one_usage_error(kwargs: dict[str, object], words: str) -> None:
    scores = {"a": {"t0": [0.2, 0.3]}, "b": {"t0": [0.4, 0.5]}}
    with pytest.raises(UsageError, match=words):
        aggregate(scores, **kwargs)  # type: ignore[arg-type]


def test_no_shared_task_is_refused() -> None:
    with pytest.raises(UsageError, match="no task in common"):
        aggregate({"a": {"t0": [1.0]}, "b": {"t1": [1.0]}}, n_resamples=1000)


def test_baseline_normalisation_puts_the_baseline_at_one() -> None:
    scores = {"base": {"t0": [2.0, 4.0], "t1": [10.0, 10.0]}, "new": {"t0": [6.0], "t1": [20.0]}}
    found = aggregate(scores, normalize="baseline", reference="base", n_resamples=1000)
    assert found.algorithms[0].estimates[0].value == pytest.approx(1.0)
    assert found.algorithms[1].task_means == pytest.approx((2.0, 2.0))


def test_bayesian_signed_rank_matches_baycomp() -> None:
    baycomp = pytest.importorskip("baycomp")
    rng = np.random.default_rng(3)
    a = rng.normal(0.5, 0.05, 20)
    b = a - 0.01 + rng.normal(0.0, 0.02, 20)
    ours = bayesian_signed_rank(a, b, 0.01, np.random.default_rng(0), n_samples=50_000)
    theirs = baycomp.SignedRankTest.probs(a, b, 0.01, random_state=1, nsamples=50_000)
    # Two independent posterior samples of 50,000: a share's Monte Carlo error is below 0.003.
    np.testing.assert_allclose(ours, theirs, atol=0.012)
    assert sum(ours) == pytest.approx(1.0)
    flipped = bayesian_signed_rank(a, b, 0.01, np.random.default_rng(0), higher_is_better=False)
    assert flipped[0] == pytest.approx(ours[2], abs=0.012)


def test_ranking_over_tasks_is_friedman_of_task_means() -> None:
    from scipy import stats

    rng = np.random.default_rng(5)
    means = {n: rng.normal(k * 0.1, 0.2, 12) for k, n in enumerate(("a", "b", "c"))}
    scores = {n: {f"t{j}": [v[j] - 0.01, v[j] + 0.01] for j in range(12)} for n, v in means.items()}
    found = aggregate(scores, n_resamples=1000, goal="max")
    assert found.ranking is not None
    assert found.ranking.ranking is not None
    expected = stats.friedmanchisquare(*means.values())
    assert found.ranking.ranking.friedman.p_value == pytest.approx(expected.pvalue)
    assert len(found.ranking.pairs) == 3


def test_mean_interval_holds_the_bootstrap_t_where_spreads_differ() -> None:
    from seedwise.stats._aggregate_boot import studentized

    # Five tasks of five runs, one of them far noisier and skewed: the case
    # where t(df)/z widening alone covered 93.5% (docs/tasks.md).
    rng = np.random.default_rng(8)
    columns = [rng.normal(0.5, 0.01, 5) for _ in range(4)] + [rng.exponential(0.3, 5)]
    scores = TaskScores(np.concatenate(columns), np.full(5, 5))
    bounds = interval_bounds(scores, 20_000, np.random.default_rng(1), 0.95)
    centre, spread, t_values, _ = studentized(scores, 20_000, np.random.default_rng(2))
    t_low, t_high = np.quantile(t_values[:, 0], [0.025, 0.975])
    assert bounds[0, 0] <= centre[0] - t_high * spread[0] + 1e-3
    assert bounds[1, 0] >= centre[0] - t_low * spread[0] - 1e-3
    # The IQM's bootstrap-t rests on the runs winsorized at the pooled quartiles.
    assert np.isfinite(t_values).all()


def test_one_task_prints_plain_digits_and_says_why_there_is_no_ranking() -> None:
    found = aggregate({"a": {"t": [1.0, 2.0, 3.0]}, "b": {"t": [2.0, 3.0, 4.0]}}, n_resamples=1000)
    text = found.text()
    assert "across 1 task (" in text
    # Equal estimates (2, 2, 2) once chose 15 digits for every bound.
    assert "4.68864729439215" not in text
    assert found.ranking is not None
    assert found.ranking.note == "no ranking over tasks: it needs 2 or more tasks; received 1"
    assert "no ranking over tasks" in text
