"""Tests for cross-validated studies (stats.cv_tests), checked against mlxtend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats.cv_tests import corrected_resampled_t, five_by_two_cv


def _recorded(
    evaluate: Any, **options: Any
) -> tuple[tuple[float, float], list[float], list[float]]:
    """mlxtend's answer, and the per-split scores it computed, read through its scorer."""
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    x, y = make_classification(n_samples=120, n_features=6, random_state=0)
    first, second = LogisticRegression(), DecisionTreeClassifier(random_state=0)
    scores: dict[int, list[float]] = {id(first): [], id(second): []}

    def scorer(estimator: Any, features: Any, labels: Any) -> float:
        value = float(np.mean(estimator.predict(features) == labels))
        scores[id(estimator)].append(value)
        return value

    found = evaluate(first, second, X=x, y=y, scoring=scorer, random_seed=3, **options)
    return found, scores[id(first)], scores[id(second)]


@pytest.mark.slow
def test_five_by_two_cv_matches_mlxtend(restore_global_rng: None) -> None:
    # Importing mlxtend imports the frameworks, which set environment variables of their own.
    evaluate = pytest.importorskip("mlxtend.evaluate")
    (f, p), a, b = _recorded(evaluate.combined_ftest_5x2cv)
    ours = five_by_two_cv(a, b, test="f")
    assert ours.statistic == pytest.approx(f, rel=1e-9)
    assert ours.p_value == pytest.approx(p, rel=1e-9)
    assert ours.df == (10, 5)
    (t, p), a, b = _recorded(evaluate.paired_ttest_5x2cv)
    ours = five_by_two_cv(np.reshape(a, (5, 2)), b, test="t")
    assert ours.statistic == pytest.approx(t, rel=1e-9)
    assert ours.p_value == pytest.approx(p, rel=1e-9)


@pytest.mark.slow
def test_corrected_resampled_t_is_mlxtend_uncorrected_at_ratio_zero_and_wider_above(
    restore_global_rng: None,
) -> None:
    evaluate = pytest.importorskip("mlxtend.evaluate")
    (t, p), a, b = _recorded(evaluate.paired_ttest_resampled, num_rounds=15, test_size=0.3)
    plain = corrected_resampled_t(a, b, test_to_train=0.0)
    assert plain.statistic == pytest.approx(t, rel=1e-9)
    assert plain.p_value == pytest.approx(p, rel=1e-9)
    corrected = corrected_resampled_t(a, b, test_to_train=0.3 / 0.7)
    # Nadeau-Bengio: the variance grows by (1/J + n_test/n_train) / (1/J), so t shrinks by its root.
    assert corrected.statistic == pytest.approx(t / np.sqrt(1 + 15 * 0.3 / 0.7), rel=1e-9)
    assert corrected.p_value > plain.p_value


def test_bad_cross_validated_input_is_refused() -> None:
    with pytest.raises(UsageError, match="10 scores a side"):
        five_by_two_cv([0.1] * 9, [0.2] * 9)
    with pytest.raises(UsageError, match="test_to_train"):
        corrected_resampled_t([0.1, 0.2], [0.2, 0.3], test_to_train=-1.0)
    with pytest.raises(UsageError, match="same splits"):
        corrected_resampled_t([0.1, 0.2], [0.2], test_to_train=0.25)
    same = five_by_two_cv([0.5] * 10, [0.5] * 10)
    assert same.p_value == 1.0
