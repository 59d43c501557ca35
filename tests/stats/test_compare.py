"""compare: values equal scipy.stats, verdicts, corrections, warnings, pairing."""

from __future__ import annotations

import html
import json

import numpy as np
import pytest
from scipy import stats

from seedwise.errors import UsageError
from seedwise.stats import compare, effects
from seedwise.stats._data import generator
from seedwise.stats._format import format_p, signed_number
from seedwise.stats._headline import difference_interval, mean_interval
from seedwise.stats._intervals import interval_cell
from seedwise.stats._resamples import drawn_moments
from seedwise.stats.compare import verdict_levels
from seedwise.stats.comparison_results import (
    PairComparison,
    estimates_table,
    pairs_table,
    ranking_table,
    verdict_line,
)

RESAMPLES = 999
_rng = np.random.default_rng(2024)
_SEED_NOISE = _rng.normal(0.0, 0.01, 30)
A = 0.031 + _SEED_NOISE + _rng.normal(0.0, 0.002, 30)
B = 0.025 + _SEED_NOISE + _rng.normal(0.0, 0.002, 30)


def test_paired_tests_equal_scipy() -> None:
    pair = compare(A, B, metric="mse", paired=True, n_resamples=RESAMPLES, seed=5).pairs[0]
    wilcoxon, t = pair.tests
    expected_w = stats.wilcoxon(B, A, method="exact")
    expected_t = stats.ttest_rel(B, A)
    assert (wilcoxon.name, wilcoxon.primary) == ("Wilcoxon signed-rank", True)
    assert wilcoxon.statistic == pytest.approx(expected_w.statistic)
    assert wilcoxon.p_value == pytest.approx(expected_w.pvalue)
    assert t.statistic == pytest.approx(expected_t.statistic)
    assert t.p_value == pytest.approx(expected_t.pvalue)
    # Every pair of 30 seeds reads the resamples of one stream, named by the root seed alone.
    ci = mean_interval(B - A, 0.95, RESAMPLES, generator(5, "compare", "paired"))
    assert (pair.difference_ci.low, pair.difference_ci.high) == (ci.low, ci.high)
    t_ci = expected_t.confidence_interval(0.95)
    assert ci.low <= t_ci.low
    assert t_ci.high <= ci.high
    assert pair.difference == pytest.approx(np.mean(B - A))


def test_unpaired_tests_equal_scipy() -> None:
    a, b = A[:25], B[5:]
    pair = compare(a, b, paired=False, n_resamples=RESAMPLES, seed=5).pairs[0]
    mann_whitney, welch, permutation = pair.tests
    expected_u = stats.mannwhitneyu(b, a, method="exact")
    expected_t = stats.ttest_ind(b, a, equal_var=False)
    expected_p = stats.permutation_test(
        (b, a),
        lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        n_resamples=RESAMPLES,
        vectorized=True,
        rng=generator(5, "compare", "A", "B", "permutation"),
    )
    assert mann_whitney.primary
    assert mann_whitney.name == "Mann-Whitney U"
    assert (mann_whitney.statistic, mann_whitney.p_value) == pytest.approx(
        (expected_u.statistic, expected_u.pvalue)
    )
    assert (welch.statistic, welch.p_value) == pytest.approx(
        (expected_t.statistic, expected_t.pvalue)
    )
    assert (permutation.statistic, permutation.p_value) == pytest.approx(
        (expected_p.statistic, expected_p.pvalue)
    )
    # Each sample is resampled from a stream named by its label, once for all its pairs.
    resampled = tuple(
        drawn_moments(x, RESAMPLES, generator(5, "compare", "sample", label))
        for x, label in ((a, "A"), (b, "B"))
    )
    ci = difference_interval(a, b, 0.95, (resampled[0], resampled[1]))
    assert (pair.difference_ci.low, pair.difference_ci.high) == (ci.low, ci.high)
    welch_ci = expected_t.confidence_interval(0.95)
    assert ci.low <= welch_ci.low
    assert welch_ci.high <= ci.high
    assert (pair.n_a, pair.n_b) == (25, 25)


def test_effect_sizes_match_their_definitions() -> None:
    a, b = A[:20], B[:25]
    pair = compare(a, b, paired=False, goal="min", n_resamples=RESAMPLES).pairs[0]
    pooled = np.sqrt((19 * a.var(ddof=1) + 24 * b.var(ddof=1)) / 43)
    d = (b.mean() - a.mean()) / pooled
    assert pair.effect("Hedges' g").value == pytest.approx(d * (1 - 3 / (4 * 43 - 1)), rel=1e-4)
    signs = np.sign(b[None, :] - a[:, None])
    assert pair.effect("Cliff's delta").value == pytest.approx(signs.mean())
    lower = (b[None, :] < a[:, None]).mean() + 0.5 * (b[None, :] == a[:, None]).mean()
    assert pair.effect("P(B beats A)").value == pytest.approx(lower)
    u = stats.mannwhitneyu(b, a).statistic
    assert effects.probability_greater(a, b) == pytest.approx(u / (20 * 25))
    for effect in pair.effects:
        assert effect.interval.defined
        assert effect.interval.low <= effect.value <= effect.interval.high  # type: ignore[operator]


def test_paired_probability_is_per_seed_and_respects_goal() -> None:
    a = np.arange(10.0)
    b = a + np.array([1, 1, 1, 1, 1, 1, 1, -1, -1, 0.0])
    low = compare(a, b, paired=True, goal="min", n_resamples=RESAMPLES).pairs[0]
    high = compare(a, b, paired=True, goal="max", n_resamples=RESAMPLES).pairs[0]
    assert low.effect("P(B beats A)").value == pytest.approx(0.25)
    assert high.effect("P(B beats A)").value == pytest.approx(0.75)


def test_verdict_names_winner_shift_interval_test_and_n() -> None:
    result = compare(A, B, metric="mse", goal="min", paired=True, n_resamples=RESAMPLES)
    pair = result.pairs[0]
    assert pair.winner == "B"
    assert pair.significant
    d = B - A
    walsh = (d[:, None] + d[None, :])[np.triu_indices(30)] / 2
    assert pair.shift == pytest.approx(np.median(walsh))
    ci = pair.shift_ci
    assert ci is not None
    assert ci.high is not None
    assert ci.high < 0
    assert verdict_line(pair) == (
        f"B beats A (baseline) on mse: B - A = {np.median(walsh):.4g} "
        f"[95% CI {ci.low:.4g}, {ci.high:.4g}] (Hodges-Lehmann shift), p < 0.0001 (Wilcoxon), "
        "n = 30 paired"
    )
    assert [entry.label for entry in result.ranking] == ["B", "A"]


def test_goal_max_reverses_the_winner_and_the_ranking() -> None:
    result = compare(A, B, paired=True, goal="max", n_resamples=RESAMPLES)
    assert result.pairs[0].winner == "A"
    assert verdict_line(result.pairs[0]).startswith("A (baseline) beats B on value: B - A = -")
    assert [entry.label for entry in result.ranking] == ["A", "B"]


# The user's case: the second sample scores higher on every seed.
LOW_SCORES = 0.7958 + _rng.normal(0.0, 0.005, 12)
HIGH_SCORES = LOW_SCORES + 0.028 + _rng.normal(0.0, 0.002, 12)


@pytest.mark.parametrize(
    ("metric", "goal"),
    [
        *((name, "max") for name in ("accuracy", "val_accuracy", "test/acc", "eval_f1", "top1")),
        *((name, "min") for name in ("loss", "val_loss", "mse", "top1_error", "wer")),
    ],
)
def test_without_a_goal_the_metric_name_decides_which_is_better(metric: str, goal: str) -> None:
    result = compare(
        LOW_SCORES, HIGH_SCORES, metric=metric, paired=True, labels=["low", "high"],
        n_resamples=RESAMPLES,
    )  # fmt: skip
    pair = result.pairs[0]
    assert (result.goal, result.goal_source, pair.goal) == (goal, "inferred", goal)
    best, worst = ("high", "low") if goal == "max" else ("low", "high")
    assert pair.winner == best
    named = {"low": "low (baseline)", "high": "high"}
    assert verdict_line(pair).startswith(f"{named[best]} beats {named[worst]} on {metric}: ")
    assert [entry.label for entry in result.ranking] == [best, worst]
    text = str(result).splitlines()
    better = "higher" if goal == "max" else "lower"
    assert text[1] == f"goal: {result.goal_note}"
    assert text[2] == verdict_line(pair)
    assert result.goal_note.startswith(f"{better} is better (inferred from ")
    first = "highest" if goal == "max" else "lowest"
    ranking = ranking_table(result)
    assert ranking.header[3] == f"mean ({first} first)"
    assert ranking.rows[0][:2] == ("1", best)
    # "high" is larger on all 12 seeds, so better exactly when higher is better; the
    # Clopper-Pearson bound of 12 in 12 is 0.025 ** (1 / 12) = 0.7354, and 2p - 1 = 0.4707.
    rows = {row[0]: row[1:3] for row in estimates_table(pair).rows}
    assert rows["Cliff's delta (high > low)"] == ("1", "[95% CI 0.4707, 1]")
    beats = ("1", "[95% CI 0.7354, 1]") if goal == "max" else ("0", "[95% CI 0, 0.2646]")
    assert rows["P(high beats low)"] == beats
    assert "P(high beats low)" in result.text(details=True)
    d = result.to_dict()
    assert (d["goal"], d["goal_source"], d["goal_note"]) == (goal, "inferred", result.goal_note)


def test_a_name_that_says_neither_is_lower_is_better_and_the_output_says_so() -> None:
    result = compare(LOW_SCORES, HIGH_SCORES, metric="widgets", paired=True, n_resamples=RESAMPLES)
    assumed = (
        "lower is better assumed for metric 'widgets' (its name does not say); "
        "pass --goal max if higher is better"
    )
    assert (result.goal, result.goal_source, result.goal_note) == ("min", "assumed", assumed)
    assert result.pairs[0].winner == "A"
    assert str(result).splitlines().count(f"goal: {assumed}") == 1
    assert result.to_dict()["goal_source"] == "assumed"
    assert f"goal: {html.escape(assumed)}" in result._repr_html_()


def test_an_explicit_goal_overrides_the_name() -> None:
    result = compare(
        LOW_SCORES, HIGH_SCORES, metric="accuracy", goal="min", paired=True,
        labels=["low", "high"], n_resamples=RESAMPLES,
    )  # fmt: skip
    assert (result.goal, result.goal_source) == ("min", "given")
    assert result.goal_note == "lower is better (given, though the name 'accuracy' suggests higher)"
    pair = result.pairs[0]
    assert pair.winner == "low"
    # Cliff's delta compares values whatever the goal; P(B beats A) follows the goal.
    assert pair.effect("Cliff's delta").value == 1.0
    assert pair.effect("P(B beats A)").value == 0.0
    rows = {row[0]: row[1] for row in estimates_table(pair).rows}
    assert (rows["Cliff's delta (high > low)"], rows["P(high beats low)"]) == ("1", "0")
    loss = compare(LOW_SCORES, HIGH_SCORES, metric="loss", goal="max", n_resamples=RESAMPLES)
    assert (loss.goal, loss.goal_source, loss.pairs[0].winner) == ("max", "given", "B")


def test_no_significant_difference_is_said_plainly() -> None:
    noise = np.random.default_rng(1).normal(size=(2, 30))
    pair = compare(noise[0], noise[1], n_resamples=RESAMPLES).pairs[0]
    assert not pair.significant
    assert pair.winner is None
    line = verdict_line(pair)
    assert line.startswith("no significant difference between B and A (baseline) on value:")
    assert "(Mann-Whitney), n = 30 + 30 unpaired" in line


def test_three_samples_all_pairs_holm_corrected() -> None:
    c = A + 0.0005
    result = compare(A, B, c, labels=["base", "new", "tweak"], paired=True, n_resamples=RESAMPLES)
    assert [(p.a, p.b) for p in result.pairs] == [
        ("base", "new"), ("base", "tweak"), ("new", "tweak")
    ]  # fmt: skip
    raw = [float(pair.tests[0].p_value or 0.0) for pair in result.pairs]
    m = len(raw)
    order = np.argsort(raw)
    expected = np.maximum.accumulate([min(1.0, (m - k) * raw[i]) for k, i in enumerate(order)])
    adjusted = [result.pairs[i].p_value for i in order]
    assert adjusted == pytest.approx(list(expected))
    assert "(Wilcoxon, Holm)" in verdict_line(result.pairs[0])
    assert [entry.label for entry in result.ranking] == ["new", "base", "tweak"]


def test_baseline_and_benjamini_hochberg() -> None:
    c = A + 0.0005
    result = compare(
        A, B, c, labels=["base", "new", "tweak"], baseline="base", correction="bh",
        paired=True, n_resamples=RESAMPLES,
    )  # fmt: skip
    assert [(p.a, p.b) for p in result.pairs] == [("base", "new"), ("base", "tweak")]
    raw = [pair.tests[0].p_value for pair in result.pairs]
    assert [p.p_value for p in result.pairs] == pytest.approx(
        list(stats.false_discovery_control(raw))
    )
    assert "Benjamini-Hochberg" in verdict_line(result.pairs[0])


def test_same_inputs_same_comparison_and_pairs_independent_of_others() -> None:
    two = compare(A, B, paired=False, n_resamples=RESAMPLES, seed=11)
    again = compare(A, B, paired=False, n_resamples=RESAMPLES, seed=11)
    three = compare(A, B, A * 1.1, paired=False, n_resamples=RESAMPLES, seed=11)
    assert two == again
    assert two.pairs[0].difference_ci == three.pairs[0].difference_ci
    assert two.pairs[0].effects == three.pairs[0].effects


def test_small_n_and_non_normal_data_are_warned_about() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    b = np.array([2.0, 3.0, 4.0, 5.0, 30.0])
    pair = compare(a, b, paired=True, n_resamples=RESAMPLES).pairs[0]
    assert any("cannot reach p <= 0.05 (smallest possible p = 0.0625)" in w for w in pair.warnings)
    # The honest way to add runs is named, not "more runs" until p passes.
    assert any("seedwise run --until-ci (a confidence sequence" in w for w in pair.warnings)
    assert any("far from normal" in w for w in pair.warnings)
    assert "Shapiro-Wilk" in str(pair.tests[1].note)
    unpaired = compare(a[:3], b[:3], n_resamples=RESAMPLES).pairs[0]
    assert any("smallest possible p = 0.1" in w for w in unpaired.warnings)


def test_environment_notes_are_reported() -> None:
    result = compare(A, B, n_resamples=RESAMPLES, environment_notes=["numpy 2.1 vs 2.4"])
    assert result.warnings == ("environment: numpy 2.1 vs 2.4",)
    assert "warning: environment: numpy 2.1 vs 2.4" in str(result)


def test_nonfinite_values_drop_their_pair() -> None:
    a, b = A.copy(), B.copy()
    a[3], b[7] = np.nan, np.inf
    pair = compare(a, b, paired=True, n_resamples=RESAMPLES).pairs[0]
    assert pair.n_a == pair.n_b == 28
    assert "2 pairs with a non-finite value (NaN or inf) left out" in pair.warnings


def test_one_value_left_out_is_said_in_the_singular() -> None:
    a, b = A.copy(), B.copy()
    a[3] = np.nan
    paired = compare(a, b, paired=True, n_resamples=RESAMPLES).pairs[0]
    assert "1 pair with a non-finite value (NaN or inf) left out" in paired.warnings
    unpaired = compare(a, b, paired=False, n_resamples=RESAMPLES).pairs[0]
    assert "1 non-finite value (NaN or inf) of A left out" in unpaired.warnings
    seeds = [list(range(30)), list(range(1, 31))]
    shifted = compare(A, B, seeds=seeds, n_resamples=RESAMPLES)
    assert "2 runs without a partner left out" in shifted.design
    one = compare(A, B[:29], seeds=[list(range(30)), list(range(29))], n_resamples=RESAMPLES)
    assert "; 1 run without a partner left out (seeds A: 29)" in one.design
    assert one.warnings[0].startswith("1 run without a partner on every sample was left out")


def test_degenerate_pairs_do_not_crash_or_mislead() -> None:
    same = compare([1.0] * 5, [1.0] * 5, paired=True).pairs[0]
    assert verdict_line(same) == (
        "no difference between B and A (baseline) on value: every value is 1 in both"
    )
    assert same.tests == ()
    assert not same.difference_ci.defined
    tied = compare([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], paired=True).pairs[0]
    assert "identical on every seed" in verdict_line(tied)
    single = compare([1.0], [2.0, 3.0]).pairs[0]
    assert verdict_line(single).startswith(
        "cannot compare B with A (baseline) on value: A has 1 finite value"
    )
    empty = compare([], [np.nan, 1.0, 2.0]).pairs[0]
    assert "A has 0 finite values" in verdict_line(empty)
    two = compare([1.0, 2.0], [3.0, 5.0], n_resamples=RESAMPLES).pairs[0]
    assert not two.difference_ci.defined
    assert not two.effects[0].interval.defined
    assert json.loads(json.dumps(two.to_dict()))["difference_ci"]["low"] is None


def test_seeds_decide_and_align_the_pairing() -> None:
    seeds = list(range(30))
    shuffled = np.random.default_rng(0).permutation(30)
    result = compare(A, B[shuffled], seeds=[seeds, shuffled.tolist()], n_resamples=RESAMPLES)
    assert result.paired
    assert result.pairs[0].difference == pytest.approx(np.mean(B - A))
    unpaired = compare(A, B, seeds=[seeds, [s + 100 for s in seeds]], n_resamples=RESAMPLES)
    assert not unpaired.paired
    assert not compare(A, B, n_resamples=RESAMPLES).paired


def test_usage_errors_say_what_was_received() -> None:
    with pytest.raises(UsageError, match=r"equal lengths.*\[30, 29\]"):
        compare(A, B[:-1], paired=True)
    with pytest.raises(UsageError, match="goal='best'"):
        compare(A, B, goal="best")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="correction='bonferroni'"):
        compare(A, B, correction="bonferroni")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="baseline='C'"):
        compare(A, B, baseline="C")
    with pytest.raises(UsageError, match="labels"):
        compare(A, B, labels=["x", "x"])
    with pytest.raises(UsageError, match="one-dimensional"):
        compare(np.ones((2, 2)), B)


def test_json_holds_plain_values_and_says_the_direction() -> None:
    result = compare(A, B, metric="mse", n_resamples=RESAMPLES)
    assert result.metric == "mse"
    d = result.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["pairs"][0]["direction"] == "B - A"
    assert "verdict" not in d["pairs"][0]


def _study(n: int, effect: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two configurations run on the same n seeds: the seed's noise is shared."""
    seed_noise = rng.normal(0.0, 1.0, n)
    a = seed_noise + rng.normal(0.0, 0.2, n)
    b = effect + seed_noise + rng.normal(0.0, 0.2, n)
    return a, b


def test_pairing_detects_a_known_effect_with_fewer_runs() -> None:
    rng = np.random.default_rng(42)
    detected = {True: 0, False: 0}
    for _ in range(20):
        a, b = _study(12, 0.3, rng)
        for paired in (True, False):
            pair = compare(a, b, paired=paired, goal="max", n_resamples=100).pairs[0]
            detected[paired] += pair.winner == "B"
    # sample_size gives 10 seeds paired and 183 runs unpaired for this
    # design (test_power.py); with 12 runs the paired design should mostly find it.
    assert detected[True] >= 14
    assert detected[False] <= 4


def test_a_missing_run_pairs_on_the_shared_seeds_and_says_which_were_dropped() -> None:
    seeds = list(range(100, 120))
    a, b = A[:20], B[:20]
    result = compare(a[1:], b, seeds=[seeds[1:], seeds], n_resamples=RESAMPLES)
    assert result.paired
    assert result.dropped_seeds == {"B": (100,)}
    assert result.design.startswith("paired by seed on the 19 seeds every sample has")
    assert "seeds B: 100" in result.design
    assert str(result).startswith("design: paired by seed on the 19 seeds")
    assert result.pairs[0].n_a == 19
    assert verdict_line(result.pairs[0]).endswith("n = 19 paired")
    assert result.to_dict()["dropped_seeds"] == {"B": [100]}
    # Few shared seeds: unpaired, and the design says why.
    apart = compare(a, b, seeds=[seeds, [s + 15 for s in seeds]], n_resamples=RESAMPLES)
    assert not apart.paired
    assert apart.design == "unpaired (the samples share 5 of their seeds, fewer than half)"


def test_one_sign_everywhere_the_later_sample_minus_the_baseline() -> None:
    # B is lower on every seed and lower is better: B wins, and every B - A is negative.
    result = compare(A, B, metric="mse", paired=True, labels=["base", "new"], n_resamples=RESAMPLES)
    pair = result.pairs[0]
    assert (pair.a, pair.b, pair.winner) == ("base", "new", "new")
    assert pair.shift is not None
    assert pair.difference is not None
    assert pair.shift < 0
    assert pair.difference < 0
    line = verdict_line(pair)
    assert line.startswith(f"new beats base (baseline) on mse: new - base = {pair.shift:.4g} ")
    rows = {row[0]: row[1] for row in estimates_table(pair).rows}
    assert rows["shift (new - base), Hodges-Lehmann"] == f"{pair.shift:.4g}"
    assert rows["mean per-seed difference (new - base)"] == f"{pair.difference:.4g}"
    printed = json.loads(json.dumps(result.to_dict()))["pairs"][0]
    assert (printed["direction"], printed["shift"], printed["difference"]) == (
        "new - base",
        pair.shift,
        pair.difference,
    )
    assert printed["shift_ci"]["high"] < 0
    # The baseline losing reads the same way: its shift is positive, said with its sign.
    worse = compare(B, A, metric="mse", paired=True, labels=["base", "new"], n_resamples=RESAMPLES)
    assert verdict_line(worse.pairs[0]).startswith(
        "base (baseline) beats new on mse: new - base = +"
    )


def test_three_samples_are_one_ranking_table() -> None:
    rng = np.random.default_rng(7)
    samples = [A + shift + rng.normal(0.0, 0.001, 30) for shift in np.linspace(0, 0.01, 3)]
    labels = [f"s{index}" for index in range(3)]
    result = compare(*samples, labels=labels, paired=True, n_resamples=200)
    lines = str(result).splitlines()
    # design, goal, the table's header and rule, one row per sample, and the warnings' count.
    table = ranking_table(result)
    assert len(lines) <= 2 + 2 + 3 + 1 + len(result.warnings)
    assert table.header[:5] == ("rank", "study", "n", "mean (lowest first)", "shift vs s0")
    assert [row[1] for row in table.rows] == [entry.label for entry in result.ranking]
    reference = next(row for row in table.rows if row[1] == "s0")
    assert reference[-1] == "reference"
    last = result.pair("s0", "s2")
    row = next(row for row in table.rows if row[1] == "s2")
    assert row[4] == f"+{last.shift:.4g}"
    assert row[-1] == "worse"
    assert result.text(details=True).count(" on value: ") == 3


def test_four_or_more_samples_are_one_line_per_pair_sorted_by_p() -> None:
    rng = np.random.default_rng(7)
    samples = [A + shift + rng.normal(0.0, 0.001, 30) for shift in np.linspace(0, 0.003, 8)]
    labels = [f"s{index}" for index in range(8)]
    result = compare(*samples, labels=labels, paired=True, n_resamples=200)
    assert len(result.pairs) == 28
    lines = str(result).splitlines()
    table, t_rows = pairs_table(result)
    # design, goal, the correction, the table's header and rule, one row per pair, notes.
    assert len(lines) <= 3 + 2 + 28 + 1 + len(result.warnings)
    assert not t_rows
    assert table.header == ("pair", "shift", "interval", "p (Holm)", "verdict")
    p_values = [pair.p_value for pair in sorted(result.pairs, key=lambda pair: pair.p_value)]
    assert [row[3] for row in table.rows] == [
        format_p(p).removeprefix("p = ").removeprefix("p ") for p in p_values
    ]
    first = min(result.pairs, key=lambda pair: (pair.p_value, -abs(pair.shift)))
    assert table.rows[0][:3] == (
        f"{first.b} - {first.a}",
        signed_number(first.shift),
        interval_cell(first.shift_ci),
    )
    assert table.rows[0][-1] == f"{first.winner} better"
    last = result.pair("s6", "s7")
    assert ("s7 - s6", signed_number(last.shift)) in [row[:2] for row in table.rows]
    assert any(row[-1] == "no difference shown" for row in table.rows)
    # The details hold every pair in full.
    assert result.text(details=True).count(" on value: ") == 28


def test_a_pair_the_t_test_decides_shows_its_mean_difference() -> None:
    rng = np.random.default_rng(2)
    noise = rng.normal(0.0, 1.0, 5)
    samples = [noise + 3.0 * index + rng.normal(0.0, 0.1, 5) for index in range(4)]
    result = compare(*samples, paired=True, n_resamples=200)
    table, t_rows = pairs_table(result)
    assert t_rows
    decided = [pair for pair in result.pairs if pair.t_interval is not None]
    assert decided
    pair = decided[0]
    row = next(row for row in table.rows if row[0] == f"{pair.b} - {pair.a}")
    assert row[1] == f"{signed_number(pair.difference)} (t)"
    assert row[2] == interval_cell(pair.t_interval)
    assert "(t): the rank test cannot decide at this n" in str(result)


def test_at_five_seeds_the_t_test_decides_what_the_rank_test_cannot() -> None:
    ppo = np.array([210.0, 250.0, 180.0, 230.0, 240.0])
    a2c = ppo - np.array([47.0, 30.0, 55.0, 60.0, 40.0])
    result = compare(ppo, a2c, paired=True, labels=("ppo", "a2c"), metric="reward")
    pair = result.pairs[0]
    assert pair.undecided is not None
    assert "at least 6 pairs" in pair.undecided
    assert pair.winner == "ppo"
    assert pair.t_interval is not None
    assert pair.t_interval.high is not None
    assert pair.t_interval.high < 0.0
    line = verdict_line(pair)
    assert line.startswith("ppo (baseline) beats a2c on reward")
    assert "(paired t)" in line
    assert "Shapiro-Wilk finds no sign against it" in line


def test_three_runs_each_of_far_apart_accuracies_are_decided() -> None:
    low, high = np.array([0.30, 0.31, 0.29]), np.array([0.97, 0.96, 0.98])
    pair = compare(low, high, labels=("x", "y"), metric="accuracy").pairs[0]
    assert pair.winner == "y"
    assert pair.undecided is not None
    assert "at least 4 runs per study" in pair.undecided


def test_at_five_seeds_non_normal_differences_are_not_decided() -> None:
    a = np.array([1.0, 1.0, 1.0, 1.0, 9.0])
    b = np.array([2.0, 2.0, 2.0, 2.0, 30.0])
    pair = compare(a, b, paired=True, metric="reward").pairs[0]
    assert pair.winner is None
    assert pair.t_interval is None
    assert verdict_line(pair).startswith("cannot decide between B and A (baseline) on reward")
    assert pair.undecided is not None
    assert "normality assumption fails" in pair.undecided


def _studies(kind: str, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` studies on 30 shared seeds: continuous values, or accuracies k/200 (ties)."""
    if kind == "tied":
        return [rng.binomial(200, 0.85 + 0.004 * i, 30) / 200 for i in range(count)]
    noise = rng.normal(0.0, 0.01, 30)
    return [0.03 + 0.001 * i + noise + rng.normal(0.0, 0.002, 30) for i in range(count)]


def _same_pair(among: PairComparison, alone: PairComparison) -> None:
    """Every number of a pair among many is the pair's own, but for the correction."""
    raw = lambda pair: [(t.name, t.statistic, t.p_value, t.note) for t in pair.tests]  # noqa: E731
    assert raw(among) == raw(alone)
    for name in ("n_a", "n_b", "mean_a", "mean_b", "difference", "difference_ci", "shift"):
        assert getattr(among, name) == getattr(alone, name), name
    assert among.effects == alone.effects
    assert among.warnings == alone.warnings


@pytest.mark.parametrize("kind", ["continuous", "tied"])
@pytest.mark.parametrize("paired", [True, False])
def test_every_pair_among_many_is_the_pair_compared_alone(kind: str, paired: bool) -> None:
    # Resamples are named by what they resample, never by the pair, so that the
    # 6 pairs of 4 studies each give what a comparison of that pair alone gives.
    samples = _studies(kind, 4, np.random.default_rng(13))
    samples[3][4] = np.nan  # one pair size differs: its resamples are drawn for 29 seeds
    labels = [f"cell{index}" for index in range(4)]
    many = compare(*samples, labels=labels, paired=paired, n_resamples=RESAMPLES, seed=3)
    levels = verdict_levels([pair.tests[0].p_value for pair in many.pairs], "holm", 0.05)
    for i, j in ((0, 1), (1, 3), (2, 3)):
        index = next(k for k, p in enumerate(many.pairs) if (p.a, p.b) == (labels[i], labels[j]))
        among = many.pairs[index]
        alone = compare(
            samples[i], samples[j], labels=[labels[i], labels[j]], paired=paired,
            n_resamples=RESAMPLES, seed=3,
        ).pairs[0]  # fmt: skip
        _same_pair(among, alone)
        # The shift's interval is taken at the level Holm holds the pair to.
        at_level = compare(
            samples[i], samples[j], labels=[labels[i], labels[j]], paired=paired,
            n_resamples=RESAMPLES, seed=3, alpha=levels[index],
        ).pairs[0]  # fmt: skip
        assert among.shift_ci == at_level.shift_ci
