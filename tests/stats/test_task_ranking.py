"""Demsar's path over tasks and its CD diagram, against scipy and scikit-posthocs."""

from __future__ import annotations

import numpy as np
import pytest
import scikit_posthocs as sp
from scipy import stats

from seedwise.stats.ranking_posthoc import nemenyi_critical_difference
from seedwise.stats.task_ranking import critical_difference

RNG = np.random.default_rng(7)
# 12 tasks x 4 algorithms: d clearly best, a and b alike, c worst.
TABLE = (
    RNG.normal(0.0, 0.05, (12, 4)) + np.array([0.5, 0.52, 0.3, 0.8]) + RNG.normal(0, 0.3, (12, 1))
)
NAMES = ("a", "b", "c", "d")


def _means(table: np.ndarray) -> dict[str, np.ndarray]:
    return {name: table[:, i] for i, name in enumerate(NAMES)}


@pytest.mark.parametrize(("k", "q"), [(2, 1.960), (3, 2.343), (4, 2.569), (5, 2.728), (10, 3.164)])
def test_the_critical_difference_is_demsars_table(k: int, q: float) -> None:
    # Demsar (2006), Table 5(a): q_0.05 of the Nemenyi test.
    n = 20
    assert nemenyi_critical_difference(k, n, 0.05) == pytest.approx(
        q * np.sqrt(k * (k + 1) / (6 * n)), abs=1e-3
    )


def test_nemenyi_pairs_are_scikit_posthocs_and_the_ranks_scipys() -> None:
    found = critical_difference(_means(TABLE), goal="max", posthoc="nemenyi", alpha=0.05)
    assert found.friedman_p == pytest.approx(stats.friedmanchisquare(*TABLE.T).pvalue)
    assert found.friedman_p < 0.05
    ranks = dict(zip(NAMES, stats.rankdata(-TABLE, axis=1).mean(axis=0), strict=True))
    assert found.labels[0] == "d"
    assert found.labels[-1] == "c"
    assert found.mean_ranks == pytest.approx([ranks[name] for name in found.labels])
    expected = sp.posthoc_nemenyi_friedman(TABLE)
    index = {name: i for i, name in enumerate(NAMES)}
    for a, b, p in found.pairs:
        assert p == pytest.approx(float(expected.iloc[index[a], index[b]]), abs=1e-9)
    assert found.critical_difference == pytest.approx(nemenyi_critical_difference(4, 12, 0.05))
    # The bars join exactly the neighbours whose mean ranks lie within the critical difference.
    for group in found.groups:
        spread = ranks[group[-1]] - ranks[group[0]]
        assert spread <= found.critical_difference
    assert "Nemenyi" in found.decision


def test_wilcoxon_holm_pairs_are_scikit_posthocs() -> None:
    found = critical_difference(_means(TABLE), goal="max", posthoc="wilcoxon-holm", alpha=0.05)
    expected = sp.posthoc_wilcoxon(list(TABLE.T), p_adjust="holm")
    index = {name: i for i, name in enumerate(NAMES)}
    for a, b, p in found.pairs:
        assert p == pytest.approx(float(expected.iloc[index[a], index[b]]), rel=1e-6)
    assert found.critical_difference is None
    # a and b are alike; d and c differ from every other.
    assert ("b", "a") in found.groups or ("a", "b") in found.groups
    assert all(len(group) == 2 for group in found.groups)


def test_friedman_that_does_not_reject_runs_no_post_hoc_test() -> None:
    alike = RNG.normal(0.0, 1.0, (8, 4))
    found = critical_difference(_means(alike), goal="max", posthoc="nemenyi", alpha=0.05)
    assert found.friedman_p == pytest.approx(stats.friedmanchisquare(*alike.T).pvalue)
    assert found.friedman_p > 0.05
    assert found.posthoc is None
    assert found.pairs == ()
    assert found.groups == (found.labels,)
    assert "no post-hoc test (Demsar 2006)" in found.decision


def test_two_algorithms_take_the_wilcoxon_signed_rank_test() -> None:
    two = {"a": TABLE[:, 0], "d": TABLE[:, 3]}
    found = critical_difference(two, goal="max", posthoc="nemenyi", alpha=0.05)
    assert found.posthoc == "wilcoxon"
    assert found.pairs[0][2] == pytest.approx(stats.wilcoxon(TABLE[:, 0], TABLE[:, 3]).pvalue)
    assert found.groups == ()
    # Lower is better: the ranks turn.
    assert critical_difference(two, goal="min", posthoc="nemenyi", alpha=0.05).labels == ("a", "d")
