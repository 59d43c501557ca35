"""Studies as inputs of the statistics, through the StudySource protocol (no store needed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from seedwise.errors import MissingMetricError, UsageError
from seedwise.stats import (
    StudyMetrics,
    StudySource,
    compare,
    environment_notes,
    plan_from_studies,
    sample_size,
    summarize,
)

RESAMPLES = 200


@dataclass
class FakeStudy:
    """The least a study must offer the statistics."""

    name: str
    seeds: list[int]
    mse: list[float]
    n_failed: int = 0
    environments: list[dict[str, Any]] = field(default_factory=list)

    def study_metrics(self, metrics: Sequence[str] | None = None) -> StudyMetrics:
        for metric in metrics or ():
            if metric != "mse":
                raise MissingMetricError(f"no {metric!r}. Received: metric={metric!r}")
        return StudyMetrics(
            name=self.name,
            seeds=tuple(self.seeds),
            values={"mse": np.array(self.mse, dtype=np.float64)},
            n_failed=self.n_failed,
            environments=tuple(self.environments),
        )


A = FakeStudy("a", [1, 2, 3, 4, 5, 6], [3.1, 2.9, 3.4, 3.0, 3.2, 3.3])
B = FakeStudy("b", [6, 5, 4, 3, 2, 1], [2.3, 1.9, 2.2, 2.4, 2.0, 2.1], n_failed=2)


def test_a_plain_object_is_study_like_and_arrays_are_not() -> None:
    assert isinstance(A, StudySource)
    assert not isinstance(np.array(A.mse), StudySource)
    assert not isinstance({"mse": A.mse}, StudySource)


def test_compare_aligns_study_values_by_seed() -> None:
    result = compare(A, B, metric="mse", n_resamples=RESAMPLES)
    aligned = compare(
        A.mse, list(reversed(B.mse)), metric="mse", paired=True, labels=["a", "b"],
        n_resamples=RESAMPLES,
    )  # fmt: skip
    assert result.pairs == aligned.pairs
    assert result.warnings == ("2 runs of b did not finish and are left out",)
    relabelled = compare(A, B, metric="mse", labels=["x", "y"], n_resamples=RESAMPLES)
    assert relabelled.labels == ("x", "y")


def test_summarize_takes_the_failed_count_from_the_study() -> None:
    summary = summarize(B, metric="mse", n_resamples=RESAMPLES)
    assert (summary.study, summary.n_failed, summary.n) == ("b", 2, 6)
    assert summarize(B, metric="mse", n_resamples=RESAMPLES, n_failed=0).n_failed == 0
    assert summary.to_dict()["study"] == "b"


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


def test_plan_from_studies_uses_per_seed_differences() -> None:
    plan = plan_from_studies([A, B], metric="mse", effect=0.2, paired=True)
    by_seed = dict(zip(B.seeds, B.mse, strict=True))
    differences = [by_seed[seed] - value for seed, value in zip(A.seeds, A.mse, strict=True)]
    assert plan == sample_size(A.mse, 0.2, paired=True, pilot_differences=differences)
    with pytest.raises(UsageError, match="two pilot studies that share seeds"):
        plan_from_studies([A], metric="mse", effect=0.2, paired=True)
    with pytest.raises(UsageError, match="Received: 3 studies"):
        plan_from_studies([A, B, A], metric="mse", effect=0.2)
