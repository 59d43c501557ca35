"""Samples as inputs of the statistics: a study's values with their seeds (no store needed)."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats import (
    Sample,
    compare,
    environment_notes,
    plan_from_samples,
    sample_size,
    summarize,
)

RESAMPLES = 200

A = Sample("a", "mse", np.array([3.1, 2.9, 3.4, 3.0, 3.2, 3.3]), seeds=(1, 2, 3, 4, 5, 6))
B = Sample(
    "b", "mse", np.array([2.3, 1.9, 2.2, 2.4, 2.0, 2.1]), seeds=(6, 5, 4, 3, 2, 1), n_failed=2
)


def test_compare_aligns_sample_values_by_seed() -> None:
    result = compare(A, B, n_resamples=RESAMPLES)
    aligned = compare(
        A.values, B.values[::-1], metric="mse", paired=True, labels=["a", "b"],
        n_resamples=RESAMPLES,
    )  # fmt: skip
    assert result.pairs == aligned.pairs
    assert result.metric == "mse"
    assert result.warnings == ("2 runs of b did not finish and are left out",)
    relabelled = compare(A, B, labels=["x", "y"], n_resamples=RESAMPLES)
    assert relabelled.labels == ("x", "y")


def test_summarize_takes_the_failed_count_and_name_from_the_sample() -> None:
    summary = summarize(B, n_resamples=RESAMPLES)
    assert (summary.study, summary.metric, summary.n_failed, summary.n) == ("b", "mse", 2, 6)
    assert summarize(B, n_resamples=RESAMPLES, n_failed=0).n_failed == 0
    assert summary.to_dict()["study"] == "b"
    with pytest.raises(UsageError, match="metric='loss' for a sample of 'mse'"):
        summarize(B, metric="loss")


def test_samples_do_not_mix_with_arrays_or_other_metrics() -> None:
    with pytest.raises(UsageError, match="Samples and arrays do not mix"):
        compare(A, [1.0, 2.0, 3.0])
    other = Sample("c", "acc", np.array([0.1, 0.2, 0.3]))
    with pytest.raises(UsageError, match=r"samples of \['acc', 'mse'\]"):
        compare(A, other)
    with pytest.raises(UsageError, match="Samples give their own seeds"):
        compare(A, B, seeds=[[1], [2]])


def test_environment_notes_name_mixed_and_differing_facts() -> None:
    old = {"python": "3.11", "packages": {"numpy": "2.1"}, "settings": {"threads": 1}}
    new = {**old, "packages": {"numpy": "2.4"}}
    assert environment_notes({"a": [old], "b": [old]}) == []
    assert environment_notes({"a": [old], "b": [new]}) == [
        "the studies differ in package numpy: results may not be comparable"
    ]
    assert environment_notes({"a": [old, new], "b": [old]}) == [
        "study 'a' mixes several package numpy values",
        "the studies differ in package numpy: results may not be comparable",
    ]
    # A study whose runs all failed recorded no environment: it differs in nothing.
    assert environment_notes({"a": [old], "b": []}) == []


def test_plan_from_samples_uses_per_seed_differences() -> None:
    plan = plan_from_samples([A, B], effect=0.2, paired=True)
    by_seed = dict(zip(B.seeds or (), B.values, strict=True))
    differences = [
        by_seed[seed] - value for seed, value in zip(A.seeds or (), A.values, strict=True)
    ]
    assert plan == sample_size(A.values, 0.2, paired=True, pilot_differences=differences)
    with pytest.raises(UsageError, match="two pilot studies that share seeds"):
        plan_from_samples([A], effect=0.2, paired=True)
    with pytest.raises(UsageError, match="Received: 3 studies"):
        plan_from_samples([A, B, A], effect=0.2)
