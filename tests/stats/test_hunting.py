"""Seed hunting marked: growth after a comparison was shown, and claims from the best seeds."""

from __future__ import annotations

import numpy as np

from seedwise.stats import Sample, compare
from seedwise.stats.hunting import best_seed_claim, grown


def _pair(a: list[float], b: list[float]) -> tuple[Sample, Sample]:
    seeds = tuple(range(len(a)))
    return Sample("a", "acc", np.array(a), seeds), Sample("b", "acc", np.array(b), seeds)


def test_a_best_seeds_difference_outside_the_interval_is_marked() -> None:
    # B's mean is A's; one lucky B seed makes a best-against-best claim of +0.08.
    a, b = _pair([0.80, 0.81, 0.79, 0.80, 0.81, 0.79], [0.79, 0.80, 0.78, 0.79, 0.80, 0.89])
    pair = compare(a, b).pairs[0]
    claim = best_seed_claim(a, b, pair)
    assert claim is not None
    assert claim.difference == np.float64(0.89) - np.float64(0.81)
    assert pair.difference_ci.high is not None
    assert claim.difference > pair.difference_ci.high
    line = claim.line()
    assert line.startswith(
        "a claim quoted from the best seeds (b's best run against a's best: +0.08)"
    )
    assert "quote the mean and its interval" in line
    assert claim.to_dict()["best_b"] == 0.89


def test_no_mark_inside_the_interval_at_few_runs_or_with_no_finite_value() -> None:
    a, b = _pair([0.80, 0.82, 0.78, 0.81, 0.79], [0.81, 0.83, 0.79, 0.82, 0.80])
    pair = compare(a, b).pairs[0]  # every run of B 0.01 above its seed's A: best - best = 0.01
    assert best_seed_claim(a, b, pair) is None
    a, b = _pair([0.80, 0.70], [0.90, 0.95])
    assert best_seed_claim(a, b, compare(a, b).pairs[0]) is None  # two runs: nothing to hunt among
    a, b = _pair([0.8, 0.81, 0.79], [float("nan")] * 3)
    assert best_seed_claim(a, b, compare(a, b).pairs[0]) is None


def test_lower_is_better_takes_the_smallest_as_best() -> None:
    seeds = tuple(range(6))
    a = Sample("a", "loss", np.array([1.0, 1.1, 0.9, 1.0, 1.1, 0.9]), seeds)
    b = Sample("b", "loss", np.array([1.0, 1.1, 0.9, 1.0, 1.1, 0.5]), seeds)
    claim = best_seed_claim(a, b, compare(a, b).pairs[0])
    assert claim is not None
    assert (claim.best_a, claim.best_b) == (0.9, 0.5)


def test_growth_only_when_there_are_more_runs_than_when_first_shown() -> None:
    assert grown("b", "a", "acc", 5, 5, 0.0) is None
    assert grown("b", "a", "acc", None, 9, 0.0) is None
    growth = grown("b", "a", "acc", 5, 9, 0.0)
    assert growth is not None
    assert growth.to_dict()["before"] == 5
    assert "(1970-01-01 00:00 UTC)" in growth.line()
