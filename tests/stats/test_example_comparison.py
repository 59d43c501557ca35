"""B against A on their per-example results: two-level intervals, pairing, McNemar."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats.example_comparison import ExampleSample, compare_examples
from seedwise.stats.examples import two_level_difference, two_level_interval


def _sample(name: str, values: np.ndarray, seeds: tuple[int, ...] | None = None) -> ExampleSample:
    runs, examples = values.shape
    return ExampleSample(
        name=name,
        set_name="test",
        seeds=seeds if seeds is not None else tuple(range(runs)),
        ids=tuple(range(examples)),
        values=values,
    )


def _correct(runs: int, examples: int, accuracy: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hard = rng.normal(0.0, 1.0, examples)
    return (
        rng.normal(0.0, 0.3, (runs, 1)) + hard + rng.normal(0, 0.5, (runs, examples)) > -accuracy
    ).astype(float)


def test_paired_difference_is_the_interval_of_b_minus_a() -> None:
    a, b = _correct(6, 80, 0.8, 1), _correct(6, 80, 1.2, 2)
    paired = two_level_difference(a, b, paired=True, n_resamples=500, seed=3)
    direct = two_level_interval(b - a, n_resamples=500, seed=3)
    assert (paired.low, paired.high) == (direct.low, direct.high)
    assert paired.low < b.mean() - a.mean() < paired.high


def test_unpaired_difference_resamples_the_examples_once_for_both() -> None:
    # B is A shifted by 0.1 on every example: the examples' variance cancels in the
    # difference, and what is left is the seeds'. Resampling the examples apart for A
    # and B would keep it and give a far wider interval.
    rng = np.random.default_rng(4)
    hard = rng.normal(0.0, 1.0, 300)
    a = hard + rng.normal(0.0, 0.05, (8, 1))
    b = hard + 0.1 + rng.normal(0.0, 0.05, (8, 1))
    found = two_level_difference(a, b, paired=False, n_resamples=1000, seed=5)
    assert found.low is not None
    assert found.high is not None
    assert found.low < 0.1 < found.high
    assert found.high - found.low < 0.15
    assert "unpaired" in found.method


def test_compare_examples_pairs_by_seed_and_tests_each_seed() -> None:
    a, b = _correct(5, 120, 0.2, 6), _correct(5, 120, 1.5, 7)
    result = compare_examples(_sample("a", a), _sample("b", b), n_resamples=500)
    assert result.paired
    assert result.seeds == (5, 5)
    assert result.goal == "max"
    low, high = result.difference_interval.low, result.difference_interval.high
    assert low is not None
    assert high is not None
    assert 0 < low < result.difference < high
    assert result.verdict.startswith("b is better than a")
    assert len(result.mcnemar) == 5
    assert result.mcnemar_seeds == (0, 1, 2, 3, 4)
    text = result.text()
    assert "McNemar's exact test per seed" in text
    assert "paired by seed" in text
    assert result.to_dict()["mcnemar"][0]["only_other"] == result.mcnemar[0].only_b


def test_unshared_seeds_compare_unpaired_without_mcnemar() -> None:
    a, b = _correct(4, 50, 0.5, 8), _correct(6, 50, 0.5, 9)
    result = compare_examples(
        _sample("a", a), _sample("b", b, seeds=(10, 11, 12, 13, 14, 15)), n_resamples=500
    )
    assert not result.paired
    assert result.seeds == (4, 6)
    assert result.mcnemar == ()
    assert any("no McNemar test" in note for note in result.notes)


def test_losses_are_lower_is_better_by_the_set_name_and_only_shared_ids_count() -> None:
    a = ExampleSample("a", "loss", (0, 1), (1, 2, 3), np.array([[0.5, 0.4, 0.9], [0.6, 0.5, 0.8]]))
    b = ExampleSample("b", "loss", (0, 1), (3, 2), np.array([[0.1, 0.2], [0.2, 0.1]]))
    result = compare_examples(a, b, n_resamples=200)
    assert result.examples == 2
    assert result.goal == "min"
    assert result.means[0] == pytest.approx(np.mean([0.4, 0.9, 0.5, 0.8]))
    assert any("recorded by one study only" in note for note in result.notes)


def test_no_shared_examples_is_refused() -> None:
    a = ExampleSample("a", "test", (0, 1), (1, 2), np.ones((2, 2)))
    b = ExampleSample("b", "test", (0, 1), (3, 4), np.ones((2, 2)))
    with pytest.raises(UsageError, match="Received: 0 shared ids"):
        compare_examples(a, b)
