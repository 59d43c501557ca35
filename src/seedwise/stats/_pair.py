"""The tests, intervals and effect sizes of one pair of samples, before correction."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seedwise.stats import effects
from seedwise.stats._data import generator
from seedwise.stats._format import plain_dict
from seedwise.stats._headline import difference_interval, mean_interval, proportion_interval
from seedwise.stats._intervals import (
    MIN_INTERVAL_N,
    Interval,
    bootstrap_intervals,
    undefined,
)
from seedwise.stats._shift import rank_sum_test, shift_estimate, signed_rank_test
from seedwise.stats.goal import Goal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["EffectSize", "Goal", "PairAnalysis", "TestResult", "analyse_pair"]

WILCOXON = "Wilcoxon signed-rank"
PAIRED_T = "paired t"
MANN_WHITNEY = "Mann-Whitney U"
WELCH_T = "Welch t"
PERMUTATION = "permutation (difference of means)"
CLIFFS_DELTA = "Cliff's delta (B > A)"
BEATS = "P(B beats A)"
NORMALITY_ALPHA = 0.05


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test of "A and B do not differ".

    Attributes:
        name: The test, e.g. ``"Wilcoxon signed-rank"``.
        statistic: The test statistic as SciPy reports it (for
            ``B`` against ``A``), or None when the test was not run.
        p_value: The two-sided p-value before correction.
        p_adjusted: The p-value after the comparison's correction.
        primary: Whether this test decides the verdict.
        note: Why the test was not run, or a caution about it.
    """

    name: str
    statistic: float | None
    p_value: float | None
    p_adjusted: float | None = None
    primary: bool = False
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The test as JSON-ready values."""
        return plain_dict(self.__dict__)


@dataclass(frozen=True)
class EffectSize:
    """An effect size of B against A, with its bootstrap interval.

    Attributes:
        name: ``"Hedges' g"``, ``"Cliff's delta (B > A)"`` (of the values, whatever
            the goal) or ``"P(B beats A)"`` (B better, respecting the goal).
        value: The estimate, or None when undefined.
        interval: Its bootstrap interval.
        note: Why it is undefined, or how to read it.
    """

    name: str
    value: float | None
    interval: Interval
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The effect size as JSON-ready values."""
        return plain_dict(
            {
                "name": self.name,
                "value": self.value,
                "interval": self.interval.to_dict(),
                "note": self.note,
            }
        )


@dataclass(frozen=True)
class PairAnalysis:
    """Everything about one pair that does not depend on the other pairs."""

    paired: bool
    n_a: int
    n_b: int
    mean_a: float | None
    mean_b: float | None
    difference: float | None
    difference_ci: Interval
    tests: tuple[TestResult, ...]
    effects: tuple[EffectSize, ...]
    direction: int
    shift: float | None = None
    unavailable: str | None = None
    identical: str | None = None
    warnings: tuple[str, ...] = field(default=())


def analyse_pair(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    paired: bool,
    label_a: str,
    label_b: str,
    goal: Goal,
    alpha: float,
    confidence: float,
    n_resamples: int,
    root: int,
) -> PairAnalysis:
    """Test, estimate and measure B against A.

    Args:
        a: A's finite values (for a paired design, aligned with ``b``).
        b: B's finite values.
        paired: Whether ``a[i]`` and ``b[i]`` share a seed.
        label_a: A's name, for messages and for naming the resampling streams.
        label_b: B's name.
        goal: ``"min"`` or ``"max"``: which direction is better.
        alpha: The significance level, for the small-n warnings.
        confidence: The confidence level of the intervals.
        n_resamples: Resamples for every bootstrap and permutation test.
        root: The root seed of the resampling streams.

    Returns:
        The analysis; its ``direction`` is +1 when the primary test's
        statistic says B is larger, -1 smaller, 0 undecided.
    """
    import numpy as np

    def stream(purpose: str) -> np.random.Generator:
        return generator(root, "compare", label_a, label_b, purpose)

    n_a, n_b = int(a.shape[0]), int(b.shape[0])
    mean_a = float(np.mean(a)) if n_a else None
    mean_b = float(np.mean(b)) if n_b else None
    difference = mean_b - mean_a if mean_a is not None and mean_b is not None else None
    method = f"BCa bootstrap, {n_resamples} resamples"
    size = n_a if paired else n_a + n_b
    too_few = _too_few(n_a, n_b, paired, label_a, label_b)
    if too_few is not None:
        none = undefined(method, size, confidence, too_few)
        return PairAnalysis(
            paired, n_a, n_b, mean_a, mean_b, difference, none, (), (), 0, unavailable=too_few
        )
    pooled = np.concatenate([a, b])
    if float(pooled.min()) == float(pooled.max()):
        same = f"every value is {float(pooled[0]):.4g} in both"
        none = undefined(method, size, confidence, same)
        return PairAnalysis(paired, n_a, n_b, mean_a, mean_b, 0.0, none, (), (), 0, identical=same)
    notes: list[str] = []
    seed = int(stream("rank test").integers(0, 2**63 - 1))
    if paired:
        d = b - a
        if not np.any(d):
            same = "the values are identical on every seed"
            none = undefined(method, size, confidence, same)
            return PairAnalysis(
                paired, n_a, n_b, mean_a, mean_b, 0.0, none, (), (), 0, identical=same
            )
        tests, direction = _paired_tests(a, b, alpha, n_resamples, seed, notes)
        difference_ci = mean_interval(d, confidence, n_resamples, stream("difference"))
    else:
        tests, direction = _unpaired_tests(
            a, b, alpha, n_resamples, seed, stream("permutation"), notes
        )
        difference_ci = difference_interval(a, b, confidence, n_resamples, stream("difference"))
    shift = shift_estimate(a, b, paired=paired)
    if shift != 0.0:
        direction = 1 if shift > 0 else -1
    effect_sizes = _effect_sizes(a, b, paired, goal, confidence, n_resamples, stream("effects"))
    if difference is not None and direction and difference * direction < 0:
        notes.append(
            "the mean difference and the median shift point in opposite directions: "
            "a few extreme runs pull the mean; look at the distributions"
        )
    return PairAnalysis(
        paired,
        n_a,
        n_b,
        mean_a,
        mean_b,
        difference,
        difference_ci,
        tests,
        effect_sizes,
        direction,
        shift=shift,
        warnings=tuple(notes),
    )


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
            f"p <= {alpha:g} (smallest possible p = {smallest:.3g}); use more runs"
        )
        notes.append(floor)
        wilcoxon_note += f"; {floor}"
    ranks = stats.rankdata(np.abs(nonzero))
    direction = int(np.sign(ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()))
    t_note = _normality_caution((("the differences", d),), notes)
    if float(np.ptp(d)) == 0.0:
        t_test = TestResult(
            PAIRED_T, None, None, note="every difference is equal: the t statistic is undefined"
        )
    else:
        result = stats.ttest_rel(b, a)
        t_test = TestResult(PAIRED_T, float(result.statistic), float(result.pvalue), note=t_note)
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
            f"(smallest possible p = {smallest:.3g}); use more runs"
        )
        notes.append(floor)
        mw_note += f"; {floor}"
    u_b = mann_whitney.statistic
    direction = int(np.sign(u_b - n_a * n_b / 2.0))
    t_note = _normality_caution(((f"sample of {n_a}", a), (f"sample of {n_b}", b)), notes)
    if float(np.var(a)) == 0.0 and float(np.var(b)) == 0.0:
        welch = TestResult(
            WELCH_T, None, None, note="both samples have zero spread: the t statistic is undefined"
        )
    else:
        result = stats.ttest_ind(b, a, equal_var=False)
        welch = TestResult(WELCH_T, float(result.statistic), float(result.pvalue), note=t_note)
    primary = TestResult(MANN_WHITNEY, u_b, mann_whitney.p_value, primary=True, note=mw_note)
    total = math.comb(n_a + n_b, n_a)
    perm_note = (
        f"exact: all {total} splits"
        if total <= n_resamples
        else f"{n_resamples} random splits; p = (1 + as extreme) / (1 + {n_resamples})"
    )
    perm = TestResult(
        PERMUTATION, float(permutation.statistic), float(permutation.pvalue), note=perm_note
    )
    return (primary, welch, perm), direction


def _normality_caution(
    samples: tuple[tuple[str, NDArray[np.float64]], ...], notes: list[str]
) -> str | None:
    """A caution for the t results when Shapiro-Wilk rejects normality of a sample."""
    import numpy as np
    from scipy import stats

    rejected = []
    for name, values in samples:
        if values.shape[0] < 3 or float(np.ptp(values)) == 0.0:
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
    n_resamples: int,
    rng: np.random.Generator,
) -> tuple[EffectSize, ...]:

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
    if not math.isfinite(g_value):
        reason = "undefined: zero spread"
        g = EffectSize(g_name, None, undefined(method, n, confidence, reason), reason)
    elif min(a.shape[0], b.shape[0]) < MIN_INTERVAL_N:
        reason = f"an interval needs at least {MIN_INTERVAL_N} runs per sample"
        g = EffectSize(g_name, g_value, undefined(method, n, confidence, reason), g_note)
    else:
        statistic = _paired_g if paired else _unpaired_g
        (interval,) = bootstrap_intervals(
            (a, b), statistic, count=1, paired=paired, confidence=confidence,
            n_resamples=n_resamples, rng=rng, n=n,
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
