"""One pair of samples: its tests first, then, once corrected, the whole ``PairComparison``.

A comparison of several samples corrects the primary p-values over the
pairs, and each pair's shift interval is taken at the level the correction
holds it to. So a pair is made in two steps: :func:`run_pair_tests` runs the
tests (all that the correction needs), and :func:`finish_pair` builds the
one :class:`~seedwise.stats.comparison_results.PairComparison` from them and the
corrected values.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from seedwise.stats import effects
from seedwise.stats._data import generator
from seedwise.stats._headline import difference_interval, mean_interval, proportion_interval
from seedwise.stats._intervals import (
    MIN_INTERVAL_N,
    Interval,
    bootstrap_intervals,
    no_spread,
    rounding_tolerance,
    undefined,
)
from seedwise.stats._resamples import Moments, Resamples
from seedwise.stats._shift import rank_sum_test, shift_estimate, shift_interval, signed_rank_test
from seedwise.stats.comparison_results import (
    BEATS,
    CLIFFS_DELTA,
    EffectSize,
    PairComparison,
    TestResult,
)
from seedwise.stats.goal import Goal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["PairTests", "finish_pair", "run_pair_tests"]

WILCOXON = "Wilcoxon signed-rank"
PAIRED_T = "paired t"
MANN_WHITNEY = "Mann-Whitney U"
WELCH_T = "Welch t"
PERMUTATION = "permutation (difference of means)"
NORMALITY_ALPHA = 0.05


#: How to add runs without hunting for significance: a rule fixed in advance
#: whose interval stays valid however often it is looked at.
ADD_RUNS = (
    "add runs with seedwise run --until-ci (a confidence sequence, valid at every look), "
    "not one at a time until p <= alpha"
)


@dataclass(frozen=True)
class PairTests:
    """The tests of one pair before correction, and the values they ran on.

    Attributes:
        a: A's label.
        b: B's label.
        x: A's finite values (for a paired design, aligned with ``y``).
        y: B's finite values.
        tests: Every test run, the primary one first (none when no test could run).
        direction: +1 when B is larger (by the shift, else the primary
            statistic), -1 smaller, 0 undecided.
        shift: The Hodges-Lehmann shift of B against A, None without tests.
        unavailable: Why no test could run, else None.
        identical: Why there is nothing to test, else None.
        notes: Warnings found on the way (dropped values, small n, normality).
    """

    a: str
    b: str
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    tests: tuple[TestResult, ...]
    direction: int
    shift: float | None = None
    unavailable: str | None = None
    identical: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def primary_p(self) -> float | None:
        """The primary test's raw p-value, None when no test ran."""
        return next((test.p_value for test in self.tests if test.primary), None)


def _stream(root: int, label_a: str, label_b: str, purpose: str) -> np.random.Generator:
    return generator(root, "compare", label_a, label_b, purpose)


def run_pair_tests(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    paired: bool,
    label_a: str,
    label_b: str,
    alpha: float,
    n_resamples: int,
    root: int,
    notes: tuple[str, ...] = (),
) -> PairTests:
    """The tests of B (``y``) against A (``x``), before any correction.

    Args:
        x: A's finite values (for a paired design, aligned with ``y``).
        y: B's finite values.
        paired: Whether ``x[i]`` and ``y[i]`` share a seed.
        label_a: A's name, for messages and for naming the resampling streams.
        label_b: B's name.
        alpha: The significance level, for the small-n warnings.
        n_resamples: Resamples for every permutation test.
        root: The root seed of the resampling streams.
        notes: Warnings about the pair found before (values left out).

    Returns:
        The :class:`PairTests`.
    """
    import numpy as np

    n_a, n_b = int(x.shape[0]), int(y.shape[0])
    too_few = _too_few(n_a, n_b, paired, label_a, label_b)
    if too_few is not None:
        return PairTests(label_a, label_b, x, y, (), 0, unavailable=too_few, notes=notes)
    pooled = np.concatenate([x, y])
    if no_spread(pooled):
        rounding = "" if float(pooled.min()) == float(pooled.max()) else " (up to float rounding)"
        same = f"every value is {float(pooled[0]):.4g} in both{rounding}"
        return PairTests(label_a, label_b, x, y, (), 0, identical=same, notes=notes)
    found: list[str] = list(notes)
    seed = int(_stream(root, label_a, label_b, "rank test").integers(0, 2**63 - 1))
    if paired:
        if float(np.max(np.abs(y - x))) <= rounding_tolerance(x, y):
            rounding = "" if not np.any(y - x) else " (up to float rounding)"
            same = f"the values are identical on every seed{rounding}"
            return PairTests(label_a, label_b, x, y, (), 0, identical=same, notes=notes)
        tests, direction = _paired_tests(x, y, alpha, n_resamples, seed, found)
    else:
        permutation = _stream(root, label_a, label_b, "permutation")
        tests, direction = _unpaired_tests(x, y, alpha, n_resamples, seed, permutation, found)
    shift = shift_estimate(x, y, paired=paired)
    if shift != 0.0:
        direction = 1 if shift > 0 else -1
    difference = float(np.mean(y)) - float(np.mean(x))
    if direction and difference * direction < 0:
        found.append(
            "the mean difference and the median shift point in opposite directions: "
            "a few extreme runs pull the mean; look at the distributions"
        )
    return PairTests(label_a, label_b, x, y, tests, direction, shift, notes=tuple(found))


def finish_pair(
    tested: PairTests,
    *,
    adjusted: tuple[float | None, ...],
    level: float,
    correction: str | None,
    metric: str,
    goal: Goal,
    paired: bool,
    alpha: float,
    confidence: float,
    n_resamples: int,
    root: int,
    resamples: Resamples | None = None,
) -> PairComparison:
    """The one :class:`PairComparison` of a tested pair, with its corrected p-values.

    Args:
        tested: The pair's tests (:func:`run_pair_tests`).
        adjusted: Each test's corrected p-value, in the order of ``tested.tests``.
        level: The significance level the correction holds this pair to:
            the shift interval is taken at ``1 - level``.
        correction: The correction's name when applied over several pairs, else None.
        metric: The metric compared.
        goal: ``"min"`` or ``"max"``.
        paired: Whether the runs are paired by seed.
        alpha: The significance level of the decision.
        confidence: The confidence level of the intervals.
        n_resamples: Resamples for every bootstrap.
        root: The root seed of the resampling streams.
        resamples: The comparison's resamples, shared by its pairs; by
            default the pair's own, which are the same.

    Returns:
        The pair, every estimate ``b - a``.
    """
    import numpy as np

    a, b, x, y = tested.a, tested.b, tested.x, tested.y
    n_a, n_b = int(x.shape[0]), int(y.shape[0])
    mean_a = float(np.mean(x)) if n_a else None
    mean_b = float(np.mean(y)) if n_b else None
    difference = mean_b - mean_a if mean_a is not None and mean_b is not None else None
    if difference is not None and abs(difference) <= rounding_tolerance(x, y):
        difference = 0.0  # equal means, up to the rounding of their sums
    tests = tuple(
        replace(test, p_adjusted=value) for test, value in zip(tested.tests, adjusted, strict=True)
    )
    primary = next((test for test in tests if test.primary), None)
    p_value = primary.p_adjusted if primary is not None else None
    significant = p_value is not None and p_value <= alpha
    size = n_a if paired else n_a + n_b
    method = f"BCa bootstrap, {n_resamples} resamples"
    shift_ci = None
    effect_sizes: tuple[EffectSize, ...] = ()
    if primary is None:
        reason = tested.unavailable or tested.identical or "no test"
        difference_ci = undefined(method, size, confidence, reason)
        if tested.identical is not None:
            difference = 0.0
    else:
        seed = int(_stream(root, a, b, "rank test").integers(2**63 - 1))
        shift_ci = shift_interval(
            x, y, paired=paired, confidence=1.0 - level, n_resamples=n_resamples, seed=seed
        )
        if paired and no_spread(y - x, scale=np.concatenate([x, y])):
            # One difference on every seed, up to rounding: the shift is that value.
            constant = float(np.median(y - x))
            shift_ci = replace(shift_ci, low=constant, high=constant)
        shared = resamples if resamples is not None else Resamples(root, n_resamples)
        if paired:
            moments: tuple[Moments, ...] = (shared.paired(y - x),)
            scale = np.concatenate([x, y])
            difference_ci = mean_interval(y - x, confidence, n_resamples, moments[0], scale=scale)
        else:
            moments = (shared.sample(a, x), shared.sample(b, y))
            difference_ci = difference_interval(x, y, confidence, (moments[0], moments[1]))
        effect_sizes = _effect_sizes(x, y, paired, goal, confidence, moments)
    direction = tested.direction
    undecided, t_ci = None, None
    if primary is not None:
        undecided = _undecided(primary.name, x, y, paired, level)
    if undecided is not None:
        # The rank test cannot reach the level at this n: the t-test decides
        # when its assumption holds (it ran, and Shapiro-Wilk did not reject).
        t_test = tests[1]
        significant = False
        p_value = t_test.p_adjusted
        if t_test.p_adjusted is not None and t_test.note is None and difference is not None:
            t_ci = _t_interval(x, y, paired, 1.0 - level)
            significant = t_test.p_adjusted <= alpha
            direction = 1 if difference > 0 else -1 if difference < 0 else 0
        else:
            reason = "its normality assumption fails" if t_test.note else "it cannot run"
            undecided += f", and the {t_test.name} test cannot stand in: {reason}"
    winner = None
    if significant and direction:
        winner = b if (direction > 0) == (goal == "max") else a
    return PairComparison(
        a=a, b=b, metric=metric, goal=goal, paired=paired, n_a=n_a, n_b=n_b,
        mean_a=mean_a, mean_b=mean_b, difference=difference, difference_ci=difference_ci,
        shift=tested.shift, shift_ci=shift_ci, tests=tests, effects=effect_sizes,
        p_value=p_value, significant=significant, winner=winner, correction=correction,
        unavailable=tested.unavailable, identical=tested.identical, warnings=tested.notes,
        undecided=undecided, t_interval=t_ci,
    )  # fmt: skip


def _undecided(
    test: str, x: NDArray[np.float64], y: NDArray[np.float64], paired: bool, level: float
) -> str | None:
    """Why the rank test cannot reach ``level`` at this n, or None when it can."""
    import numpy as np

    if paired:
        k = int(np.count_nonzero(y - x))
        smallest = 2.0 / 2.0**k
        needed = math.ceil(math.log2(2.0 / level))
        runs = f"{k} non-zero differences" if k < x.shape[0] else f"n = {k}"
        need = f"at least {needed} pairs with a non-zero difference are needed"
    else:
        n_a, n_b = int(x.shape[0]), int(y.shape[0])
        smallest = 2.0 / math.comb(n_a + n_b, n_a)
        needed = next(n for n in range(2, 60) if 2.0 / math.comb(2 * n, n) <= level)
        runs = f"n = {n_a} + {n_b}"
        need = f"at least {needed} runs per study are needed"
    if smallest <= level:
        return None
    return (
        f"the {test} test cannot decide at {runs} (its smallest possible p is "
        f"{smallest:.3g}, above {level:.3g}; {need})"
    )


def _t_interval(
    x: NDArray[np.float64], y: NDArray[np.float64], paired: bool, confidence: float
) -> Interval:
    """The t (paired) or Welch t interval of the mean difference ``y - x``."""
    from scipy import stats

    if paired:
        result = stats.ttest_rel(y, x).confidence_interval(confidence)
        method = f"paired t-interval, {int(x.shape[0]) - 1} df"
    else:
        result = stats.ttest_ind(y, x, equal_var=False).confidence_interval(confidence)
        method = "Welch t-interval"
    n = int(x.shape[0]) if paired else int(x.shape[0] + y.shape[0])
    return Interval(float(result.low), float(result.high), confidence, method, n)


def _too_few(n_a: int, n_b: int, paired: bool, label_a: str, label_b: str) -> str | None:
    if paired and n_a < 2:
        return f"a paired comparison needs at least 2 complete pairs; got {n_a}"
    for label, n in ((label_a, n_a), (label_b, n_b)):
        if n < 2:
            return f"{label} has {n} finite value{'s' if n != 1 else ''}; a test needs at least 2"
    return None


def _paired_tests(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    alpha: float,
    n_resamples: int,
    seed: int,
    notes: list[str],
) -> tuple[tuple[TestResult, ...], int]:
    import numpy as np
    from scipy import stats

    d = b - a
    nonzero = d[d != 0]
    wilcoxon = signed_rank_test(d, n_resamples, seed)
    smallest = 2.0 / 2.0 ** nonzero.shape[0]
    wilcoxon_note = f"p-value: {wilcoxon.method}"
    if nonzero.shape[0] < d.shape[0]:
        wilcoxon_note += f"; {d.shape[0] - nonzero.shape[0]} zero differences dropped"
    if smallest > alpha:
        floor = (
            f"with {nonzero.shape[0]} non-zero differences the Wilcoxon test cannot reach "
            f"p <= {alpha:g} (smallest possible p = {smallest:.3g}); {ADD_RUNS}"
        )
        notes.append(floor)
        wilcoxon_note += f"; {floor}"
    ranks = stats.rankdata(np.abs(nonzero))
    direction = int(np.sign(ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()))
    if no_spread(d, scale=np.concatenate([a, b])):
        notes.append(f"every difference is {float(np.median(d)):.4g} (up to float rounding)")
        t_test = TestResult(
            PAIRED_T, None, None, note="every difference is equal: the t statistic is undefined"
        )
    else:
        t_note = _normality_caution((("the differences", d),), notes)
        result = stats.ttest_rel(b, a)
        t_test = _numeric_test(PAIRED_T, result.statistic, result.pvalue, t_note)
    primary = TestResult(
        WILCOXON, wilcoxon.statistic, wilcoxon.p_value, primary=True, note=wilcoxon_note
    )
    return (primary, t_test), direction


def _unpaired_tests(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    alpha: float,
    n_resamples: int,
    seed: int,
    rng: np.random.Generator,
    notes: list[str],
) -> tuple[tuple[TestResult, ...], int]:
    import numpy as np
    from scipy import stats

    n_a, n_b = int(a.shape[0]), int(b.shape[0])
    mann_whitney = rank_sum_test(a, b, n_resamples, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        permutation = stats.permutation_test(
            (b, a),
            _difference_of_means,
            permutation_type="independent",
            vectorized=True,
            n_resamples=n_resamples,
            alternative="two-sided",
            rng=rng,
        )
    smallest = 2.0 / math.comb(n_a + n_b, n_a)
    mw_note = f"p-value: {mann_whitney.method}"
    if smallest > alpha:
        floor = (
            f"with {n_a} and {n_b} runs the Mann-Whitney test cannot reach p <= {alpha:g} "
            f"(smallest possible p = {smallest:.3g}); {ADD_RUNS}"
        )
        notes.append(floor)
        mw_note += f"; {floor}"
    u_b = mann_whitney.statistic
    direction = int(np.sign(u_b - n_a * n_b / 2.0))
    t_note = _normality_caution(((f"sample of {n_a}", a), (f"sample of {n_b}", b)), notes)
    if no_spread(a) and no_spread(b):
        welch = TestResult(
            WELCH_T, None, None, note="both samples have zero spread: the t statistic is undefined"
        )
    else:
        result = stats.ttest_ind(b, a, equal_var=False)
        welch = _numeric_test(WELCH_T, result.statistic, result.pvalue, t_note)
    primary = TestResult(MANN_WHITNEY, u_b, mann_whitney.p_value, primary=True, note=mw_note)
    total = math.comb(n_a + n_b, n_a)
    perm_note = (
        f"exact: all {total} splits"
        if total <= n_resamples
        else f"{n_resamples} random splits; p = (1 + as extreme) / (1 + {n_resamples})"
    )
    perm = _numeric_test(PERMUTATION, permutation.statistic, permutation.pvalue, perm_note)
    return (primary, welch, perm), direction


def _numeric_test(name: str, statistic: object, p_value: object, note: str | None) -> TestResult:
    """A t or permutation test's result, undefined where its arithmetic overflowed."""
    value, p = float(statistic), float(p_value)  # type: ignore[arg-type]
    if math.isfinite(value) and math.isfinite(p):
        return TestResult(name, value, p, note=note)
    return TestResult(
        name, None, None, note="undefined: the values are too large for its arithmetic (overflow)"
    )


def _normality_caution(
    samples: tuple[tuple[str, NDArray[np.float64]], ...], notes: list[str]
) -> str | None:
    """A caution for the t results when Shapiro-Wilk rejects normality of a sample."""
    from scipy import stats

    rejected = []
    for name, values in samples:
        if values.shape[0] < 3 or no_spread(values):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = float(stats.shapiro(values).pvalue)
        if p < NORMALITY_ALPHA:
            rejected.append(f"{name} (Shapiro-Wilk p = {p:.2g})")
    if not rejected:
        return None
    caution = (
        f"far from normal: {', '.join(rejected)}; the t results assume normality, "
        "so rely on the rank test"
    )
    notes.append(caution)
    return caution


def _effect_sizes(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    paired: bool,
    goal: Goal,
    confidence: float,
    resampled: tuple[Moments, ...],
) -> tuple[EffectSize, ...]:
    """Hedges' g with its BCa interval, Cliff's delta and P(B beats A).

    g's bootstrap distribution is read from ``resampled``: the moments of the
    resampled differences (paired) or of each sample's resamples.
    """
    import numpy as np

    n_resamples = resampled[0].count
    n = int(a.shape[0]) if paired else int(a.shape[0] + b.shape[0])
    if paired:
        g_name, g_note = (
            "Hedges' g",
            "paired (g_z): mean per-seed difference / std of differences, times the exact "
            "bias correction J(n - 1); 0.2 small, 0.5 medium, 0.8 large",
        )
        g_value = float(effects.paired_hedges_g(a, b))
    else:
        g_name, g_note = (
            "Hedges' g",
            "(mean B - mean A) / pooled std, bias-corrected; |g| 0.2 small, 0.5 medium, 0.8 large",
        )
        g_value = float(effects.hedges_g(a, b))
    method = f"BCa bootstrap, {n_resamples} resamples"
    flat = (
        no_spread(b - a, scale=np.concatenate([a, b])) if paired else no_spread(a) and no_spread(b)
    )
    if flat or not math.isfinite(g_value):
        reason = "undefined: no spread (up to float rounding)"
        g = EffectSize(g_name, None, undefined(method, n, confidence, reason), reason)
    elif min(a.shape[0], b.shape[0]) < MIN_INTERVAL_N:
        reason = f"an interval needs at least {MIN_INTERVAL_N} runs per sample"
        g = EffectSize(g_name, g_value, undefined(method, n, confidence, reason), g_note)
    else:
        if paired:
            (d,) = resampled
            distribution = effects.paired_g_of_moments(d.means, d.variances, int(a.shape[0]))
        else:
            moments_a, moments_b = resampled
            distribution = effects.hedges_g_of_moments(
                (moments_a.means, moments_a.variances, int(a.shape[0])),
                (moments_b.means, moments_b.variances, int(b.shape[0])),
            )
        (interval,) = bootstrap_intervals(
            (a, b), _paired_g if paired else _unpaired_g, count=1, paired=paired,
            confidence=confidence, n_resamples=n_resamples, rng=None, n=n,
            distribution=distribution[np.newaxis, :],
        )  # fmt: skip
        g = EffectSize(g_name, g_value, interval, g_note)
    return (g, *_dominance(a, b, paired, goal, confidence))


def _dominance(
    a: NDArray[np.float64], b: NDArray[np.float64], paired: bool, goal: Goal, confidence: float
) -> tuple[EffectSize, EffectSize]:
    """Cliff's delta and P(B beats A), with Clopper-Pearson intervals."""
    import numpy as np

    better = "lower" if goal == "min" else "higher"
    if paired:
        wins = float(np.sum(b < a) if goal == "min" else np.sum(b > a))
        ties = float(np.sum(b == a))
        trials = int(a.shape[0])
        method = "Clopper-Pearson over seeds"
        beats_note = (
            f"share of seeds on which B's run is {better} (better) than A's; ties count half"
        )
        delta_note = "paired: (seeds where B > A - seeds where B < A) / seeds"
    else:
        greater = float(effects.probability_greater(a, b))
        lesser = 1.0 - greater
        beats_share = greater if goal == "max" else lesser
        ties_share = float(np.mean(np.equal.outer(b, a)))
        trials = int(min(a.shape[0], b.shape[0]))
        wins = (beats_share - ties_share / 2.0) * trials
        ties = ties_share * trials
        method = f"Clopper-Pearson with n = min(n_a, n_b) = {trials} (conservative)"
        beats_note = (
            f"probability that B's run is {better} (better) than A's for a random run of "
            "each; ties count half"
        )
        delta_note = "P(B > A) - P(B < A) over all pairs of runs"
    beats_value = (wins + ties / 2.0) / trials
    interval = proportion_interval(wins, wins + ties, trials, confidence, method)
    beats = EffectSize(BEATS, beats_value, interval, beats_note)
    # Cliff's delta is P(B > A) - P(B < A) = 2 P(B > A or half a tie) - 1.
    larger = beats_value if goal == "max" else 1.0 - beats_value
    low, high = interval.low, interval.high
    low, high = (0.0 if low is None else low), (1.0 if high is None else high)
    bounds = (
        (2.0 * low - 1.0, 2.0 * high - 1.0)
        if goal == "max"
        else (1.0 - 2.0 * high, 1.0 - 2.0 * low)
    )
    delta_interval = Interval(bounds[0], bounds[1], confidence, method, interval.n)
    # The delta compares values, as Hedges' g and the difference do; its name says which way.
    sense = "better" if goal == "max" else "worse"
    delta_note += (
        f", in [-1, 1]: positive when B's values are larger, which is {sense} here "
        f"({better} is better); 0 means neither dominates"
    )
    delta = EffectSize(CLIFFS_DELTA, 2.0 * larger - 1.0, delta_interval, delta_note)
    return delta, beats


def _unpaired_g(
    a: NDArray[np.float64], b: NDArray[np.float64], axis: int = -1
) -> NDArray[np.float64]:
    import numpy as np

    return np.stack([effects.hedges_g(a, b, axis=axis)])


def _paired_g(
    a: NDArray[np.float64], b: NDArray[np.float64], axis: int = -1
) -> NDArray[np.float64]:
    import numpy as np

    return np.stack([effects.paired_hedges_g(a, b, axis=axis)])


def _difference_of_means(
    b: NDArray[np.float64], a: NDArray[np.float64], axis: int = -1
) -> NDArray[np.float64]:
    import numpy as np

    return np.mean(b, axis=axis) - np.mean(a, axis=axis)  # type: ignore[no-any-return]
