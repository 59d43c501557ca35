"""rank's post-hoc tests against scikit-posthocs: Wilcoxon with Holm, and Nemenyi."""

from __future__ import annotations

import numpy as np
import pytest
import scikit_posthocs as sp
from scipy import stats

from seedwise.errors import UsageError
from seedwise.stats.ranking import rank
from seedwise.stats.ranking_posthoc import adjusted_vs_best, check_posthoc

RESAMPLES = 999
_rng = np.random.default_rng(7)
# Six cells x 14 seeds with a shared seed effect; cell i is 0.15 * i better (higher).
TABLE = _rng.normal(0.0, 1.0, (14, 1)) + _rng.normal(0.0, 0.2, (14, 6)) + 0.15 * np.arange(6)
LABELS = [f"cell-{i}" for i in range(6)]


def _best_row(frame: object, best: int) -> dict[int, float]:
    matrix = np.asarray(frame)
    return {i: float(matrix[best, i]) for i in range(matrix.shape[0]) if i != best}


def test_wilcoxon_holm_equals_scikit_posthocs() -> None:
    # No ties and no zero differences: scipy's wilcoxon is exact here, as ours is.
    expected = sp.posthoc_wilcoxon(list(TABLE.T), p_adjust="holm")
    for best in range(6):
        assert adjusted_vs_best(TABLE, best, "wilcoxon-holm") == pytest.approx(
            _best_row(expected, best), rel=1e-9
        )
    ranking = rank(*TABLE.T, labels=LABELS, goal="max", n_resamples=RESAMPLES)
    assert ranking.cells[0].label == "cell-5"
    by_label = {cell.label: cell.p_vs_best for cell in ranking.cells[1:]}
    assert [by_label[f"cell-{i}"] for i in range(5)] == pytest.approx(
        [_best_row(expected, 5)[i] for i in range(5)], rel=1e-9
    )


@pytest.mark.parametrize("tied", [False, True])
def test_nemenyi_equals_scikit_posthocs(tied: bool) -> None:
    table = np.round(TABLE * 2) / 2 if tied else TABLE
    expected = sp.posthoc_nemenyi_friedman(table)
    for best in range(6):
        assert adjusted_vs_best(table, best, "nemenyi") == pytest.approx(
            _best_row(expected, best), rel=1e-9, abs=1e-12
        )


def test_rank_with_nemenyi_groups_by_its_p_values() -> None:
    ranking = rank(*TABLE.T, labels=LABELS, goal="max", posthoc="nemenyi", n_resamples=RESAMPLES)
    expected = _best_row(sp.posthoc_nemenyi_friedman(TABLE), 5)
    tied = ["cell-5"] + [f"cell-{i}" for i in range(4, -1, -1) if expected[i] > 0.05]
    assert list(ranking.tied_for_best) == [c.label for c in ranking.cells if c.label in tied]
    assert set(ranking.tied_for_best) == set(tied)
    assert ranking.posthoc == "nemenyi"
    assert "vs best (Nemenyi)" in ranking.text()
    # The Friedman test does not depend on the post-hoc test.
    assert ranking.friedman.statistic == pytest.approx(stats.friedmanchisquare(*TABLE.T).statistic)
    # Holm's few-seeds caution is about the signed-rank test only.
    few = rank(*TABLE[:4].T, goal="max", posthoc="nemenyi", n_resamples=RESAMPLES)
    assert not any("told apart" in warning for warning in few.warnings)


def test_an_unknown_posthoc_is_one_error() -> None:
    with pytest.raises(UsageError) as caught:
        rank(*TABLE.T, posthoc="tukey")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "Unknown post-hoc test. Received: posthoc='tukey'; expected one of wilcoxon-holm, nemenyi"
    )
    assert check_posthoc("nemenyi") == "nemenyi"
