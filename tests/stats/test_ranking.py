"""rank: Friedman equal to scipy, mean ranks, the best group, the margin, degenerate data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from seedwise._json import json_ready
from seedwise.errors import UsageError
from seedwise.stats import Sample, compare
from seedwise.stats._shift import shift_estimate, signed_rank_test
from seedwise.stats.corrections import adjust_p_values
from seedwise.stats.ranking import pairwise_signed_rank, rank

RESAMPLES = 999
_rng = np.random.default_rng(23)
# Five cells x 12 seeds with a shared seed effect; cell i is 0.1 * i better (higher).
GRID = _rng.normal(0.0, 1.0, (12, 1)) + _rng.normal(0.0, 0.1, (12, 5)) + 0.1 * np.arange(5)


def test_friedman_equals_scipy() -> None:
    result = rank(*GRID.T, metric="accuracy", n_resamples=RESAMPLES)
    expected = stats.friedmanchisquare(*GRID.T)
    assert result.friedman.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.friedman.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.friedman.df == 4
    assert result.friedman.reason is None


def test_friedman_with_ties_equals_scipy() -> None:
    tied = np.round(GRID * 2) / 2  # half-point values: many ties within seeds
    result = rank(*tied.T, goal="max", n_resamples=RESAMPLES)
    expected = stats.friedmanchisquare(*tied.T)
    assert result.friedman.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.friedman.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    ranks = stats.rankdata(-tied, axis=1).mean(axis=0)
    by_label = {cell.label: cell.mean_rank for cell in result.cells}
    assert [by_label[x] for x in "ABCDE"] == pytest.approx(ranks)


def test_order_ranks_and_best_group() -> None:
    result = rank(*GRID.T, metric="accuracy", n_resamples=RESAMPLES)
    assert [cell.label for cell in result.cells] == ["E", "D", "C", "B", "A"]
    assert result.goal == "max"
    assert result.goal_source == "inferred"
    expected_ranks = stats.rankdata(-GRID, axis=1).mean(axis=0)
    assert [cell.mean_rank for cell in result.cells] == pytest.approx(expected_ranks[::-1])
    # Holm over all 10 pairs of the raw signed-rank p-values.
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    raw = [signed_rank_test(GRID[:, j] - GRID[:, i], 0, 0).p_value for i, j in pairs]
    holm = dict(zip(pairs, adjust_p_values(raw, "holm"), strict=True))
    for cell, index in zip(result.cells[1:], (3, 2, 1, 0), strict=True):
        assert cell.p_vs_best == pytest.approx(holm[(index, 4)])
        assert cell.tied_with_best == (holm[(index, 4)] > 0.05)
    assert result.tied_for_best == tuple(c.label for c in result.cells if c.tied_with_best)
    assert result.tied_for_best[0] == "E"
    assert "A" not in result.tied_for_best
    assert result.cells[0].mean == pytest.approx(GRID[:, 4].mean())


def test_lower_is_better_orders_and_orients_the_margin() -> None:
    result = rank(*GRID.T, metric="loss", n_resamples=RESAMPLES)
    assert [cell.label for cell in result.cells] == ["A", "B", "C", "D", "E"]
    margin = result.margin
    assert margin is not None
    assert (margin.best, margin.runner_up) == ("A", "B")
    expected = shift_estimate(GRID[:, 0], GRID[:, 1], paired=True)  # B - A > 0: A is better
    assert margin.estimate == pytest.approx(expected)
    assert margin.estimate > 0
    assert margin.interval.defined
    assert margin.interval.method.startswith("inverted Wilcoxon")
    assert margin.interval.low <= margin.estimate <= margin.interval.high  # type: ignore[operator]


def test_pairwise_shortcut_equals_every_test() -> None:
    values = _rng.normal(size=(9, 8))
    values[:, 7] = np.round(values[:, 6], 1)  # a tie-prone column, and zeros against itself
    values[:3, 5] = values[:3, 4]
    pairs = [(i, j) for i in range(8) for j in range(i + 1, 8)]
    expected = [signed_rank_test(values[:, j] - values[:, i], 0, 0).p_value for i, j in pairs]
    assert pairwise_signed_rank(values, pairs) == expected


def test_two_cells_has_no_friedman_and_points_to_compare() -> None:
    result = rank(GRID[:, 0], GRID[:, 4], goal="max", n_resamples=RESAMPLES)
    assert result.friedman.statistic is None
    assert "3 or more cells" in str(result.friedman.reason)
    assert "seedwise compare" in str(result.friedman.reason)
    expected = signed_rank_test(GRID[:, 4] - GRID[:, 0], 0, 0).p_value
    assert result.cells[1].p_vs_best == pytest.approx(expected)  # one pair: no correction
    pair = compare(GRID[:, 0], GRID[:, 4], goal="max", paired=True, n_resamples=RESAMPLES)
    assert result.cells[1].p_vs_best == pair.pairs[0].p_value


def test_all_equal_is_not_tested_and_all_tie() -> None:
    flat = np.full((8, 3), 0.5)
    result = rank(*flat.T, goal="max", n_resamples=RESAMPLES)
    assert result.friedman.statistic is None
    assert "same value" in str(result.friedman.reason)
    assert result.tied_for_best == ("A", "B", "C")
    assert [cell.mean_rank for cell in result.cells] == [2.0, 2.0, 2.0]
    assert "tied for best: A, B, C" in result.text()


def test_three_seeds_run_friedman_with_a_caution_and_the_paired_t_decides() -> None:
    small = GRID[:3, :4]
    result = rank(*small.T, goal="max", n_resamples=RESAMPLES)
    expected = stats.friedmanchisquare(*small.T)
    assert result.friedman.statistic == pytest.approx(expected.statistic)
    assert "rough at 3 seeds" in str(result.friedman.reason)
    assert result.posthoc == "paired-t-holm"
    assert any("no pair can be told apart" in w for w in result.warnings)
    assert any("the paired t-test decides instead" in w for w in result.warnings)
    # The p-values are the paired t-tests', Holm-adjusted over every pair.
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    raw = [stats.ttest_rel(small[:, j], small[:, i]).pvalue for i, j in pairs]
    adjusted = dict(zip(pairs, adjust_p_values(raw, "holm"), strict=True))
    labels = "ABCD"
    best = labels.index(result.cells[0].label)
    for cell in result.cells[1:]:
        other = labels.index(cell.label)
        if cell.p_vs_best is not None:
            assert cell.p_vs_best == pytest.approx(adjusted[tuple(sorted((best, other)))])
    # Too few seeds for the rank interval: the paired t-interval, named.
    assert result.margin is not None
    assert result.margin.interval.method.startswith("paired t")


def test_three_seeds_tell_a_large_gap_apart() -> None:
    # The case: Optuna trials at 3 seeds, 0.97 against 0.30 accuracy, were all
    # "tied for best" because the signed-rank test cannot pass Holm at 3 seeds.
    accuracies = np.array(
        [[0.97, 0.95, 0.30, 0.62], [0.965, 0.93, 0.33, 0.58], [0.975, 0.945, 0.28, 0.64]]
    )
    result = rank(*accuracies.T, metric="accuracy", n_resamples=RESAMPLES)
    assert result.tied_for_best == ("A",)
    assert [cell.label for cell in result.cells] == ["A", "B", "D", "C"]
    assert all(cell.p_vs_best is not None and cell.p_vs_best < 0.05 for cell in result.cells[1:])
    assert "worse (p = " in result.text()


def test_three_seeds_with_far_from_normal_differences_stay_undecided() -> None:
    # Two seeds agree and one is far off: Shapiro-Wilk rejects normality of the
    # differences, so the t-test cannot stand in and the pair is undecided, not tied.
    table = np.array([[0.9, 0.5, 0.1], [0.9, 0.5, 0.1], [0.9, 0.5001, 0.8999]])
    result = rank(*table.T, metric="accuracy", n_resamples=RESAMPLES)
    undecided = [cell for cell in result.cells[1:] if cell.p_vs_best is None]
    assert undecided
    assert all(not cell.tied_with_best for cell in undecided)
    assert "undecided" in result.text()
    assert any("Shapiro-Wilk rejects normality" in w for w in result.warnings)


def test_two_seeds_has_no_friedman() -> None:
    result = rank(*GRID[:2, :3].T, goal="max", n_resamples=RESAMPLES)
    assert result.friedman.statistic is None
    assert "3 or more seeds" in str(result.friedman.reason)


def test_nonfinite_seed_left_out_of_every_cell_with_a_warning() -> None:
    values = GRID.copy()
    values[3, 2] = np.nan
    values[7, 0] = np.inf
    result = rank(*values.T, goal="max", n_resamples=RESAMPLES)
    kept = np.delete(GRID, [3, 7], axis=0)
    assert result.n_seeds == 10
    assert all(cell.n == 10 for cell in result.cells)
    expected = stats.friedmanchisquare(*kept.T)
    assert result.friedman.statistic == pytest.approx(expected.statistic)
    assert any("2 seeds with a non-finite value" in w for w in result.warnings)


def test_samples_pair_on_shared_seeds_and_say_which_were_dropped() -> None:
    a = Sample("a", "acc", np.array([0.1, 0.2, 0.3, 0.4, 0.9]), seeds=(1, 2, 3, 4, 5))
    b = Sample("b", "acc", np.array([0.5, 0.3, 0.4, 0.6]), seeds=(4, 3, 2, 1))
    c = Sample("c", "acc", np.array([0.2, 0.25, 0.35, 0.45]), seeds=(1, 2, 3, 4), n_failed=1)
    result = rank(a, b, c, n_resamples=RESAMPLES)
    assert result.dropped_seeds == {"a": (5,)}
    assert result.n_seeds == 4
    assert result.cells[0].label == "b"
    # b aligned by seed: seeds 1..4 are 0.6, 0.4, 0.3, 0.5.
    assert result.cells[0].mean == pytest.approx(0.45)
    assert any("1 run of c did not finish" in w for w in result.warnings)
    data = json.loads(json.dumps(json_ready(result.to_dict())))
    assert data["cells"][0]["label"] == "b"
    assert data["dropped_seeds"] == {"a": [5]}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (([1.0, 2.0],), "two or more samples"),
        (([1.0, 2.0, 3.0], [1.0, 2.0]), "equal lengths"),
        (([1.0, np.nan], [1.0, 2.0]), "two or more seeds"),
    ],
)
def test_bad_input_one_clear_error(arguments: tuple[list[float], ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        rank(*arguments, n_resamples=RESAMPLES)


def test_labels_are_text_in_every_output() -> None:
    labels = ["<script>alert(1)</script>", "red\x1b[31m", "plain"]
    result = rank(*GRID[:, :3].T, labels=labels, goal="max", n_resamples=RESAMPLES)
    page = result._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "\x1b" not in result.text()
    assert "red\\x1b[31m" in result.text()
