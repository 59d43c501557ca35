"""The rank tests behind every verdict, and the shift they estimate with its interval.

A verdict rests on one estimand: the Hodges-Lehmann shift of B against A,
with the interval got by inverting the very test that decides the verdict
(the set of shifts ``s`` for which the test of ``B - s`` against ``A`` keeps
p above the level). So the interval excludes 0 exactly when the test
rejects, at whatever level the multiplicity correction sets.

P-values are exact where SciPy can enumerate the null distribution (no
ties, no zero differences), else permutation p-values
(``scipy.stats.PermutationMethod``): all ``2**n`` sign flips, or all
``C(n_a + n_b, n_a)`` splits, when there are at most ``n_resamples`` of
them; otherwise ``n_resamples`` random ones, where SciPy's p-value is
``(1 + #{resampled statistics at least as extreme}) / (1 + n_resamples)``,
so that it is never 0 and the test keeps its level. Large samples without
ties use the normal approximation, which is then accurate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.stats._intervals import Interval, undefined

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["RankTest", "rank_sum_test", "shift_estimate", "shift_interval", "signed_rank_test"]

# Up to this many pairs (no ties, no zeros), the Wilcoxon p is SciPy's exact one.
_EXACT_SIGNED_RANK_N = 50
# Up to this many pairs of runs (no ties), the Mann-Whitney p is SciPy's exact one.
_EXACT_RANK_SUM_PAIRS = 2_500


@dataclass(frozen=True)
class RankTest:
    """One rank test's result: statistic, two-sided p-value and how it was computed."""

    statistic: float
    p_value: float
    method: str


def signed_rank_test(d: NDArray[np.float64], n_resamples: int, seed: int) -> RankTest:
    """The two-sided Wilcoxon signed-rank test of the differences ``d``, zeros dropped.

    Equivalent to ``scipy.stats.wilcoxon(d, method=m)`` with ``m`` ``"exact"``
    (at most 50 non-zero differences, no ties, no zeros),
    ``PermutationMethod(n_resamples, rng=default_rng(seed))`` with ties or
    zeros, else ``"asymptotic"``.

    Args:
        d: Per-seed differences B - A.
        n_resamples: The most sign flips a permutation p-value uses.
        seed: Seeds the random sign flips, when there are too many to enumerate.

    Returns:
        The test's result.
    """
    import numpy as np
    from scipy import stats

    nonzero = d[d != 0]
    k = int(nonzero.shape[0])
    if k < 2:
        # With one non-zero difference both sign flips are as extreme: p = 1.
        return RankTest(0.0, 1.0, f"{k} non-zero difference{'s' if k != 1 else ''}: p = 1")
    ties = int(np.unique(np.abs(nonzero)).shape[0]) < k
    method: object
    if not ties and k == d.shape[0] and k <= _EXACT_SIGNED_RANK_N:
        method, name = "exact", "exact"
    elif ties or k < d.shape[0]:
        method = stats.PermutationMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
        name = _permutation_name(2.0**k, n_resamples)
    else:
        method, name = "asymptotic", "normal approximation"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.wilcoxon(nonzero, method=method)
    return RankTest(float(result.statistic), float(result.pvalue), name)


def rank_sum_test(
    a: NDArray[np.float64], b: NDArray[np.float64], n_resamples: int, seed: int
) -> RankTest:
    """The two-sided Mann-Whitney U test of B against A; the statistic is B's U.

    Equivalent to ``scipy.stats.mannwhitneyu(b, a, method=m)`` with ``m``
    ``"exact"`` without ties (up to 2,500 pairs of runs),
    ``PermutationMethod(n_resamples, rng=default_rng(seed))`` with ties, else
    ``"asymptotic"``.

    Args:
        a: A's values.
        b: B's values.
        n_resamples: The most splits a permutation p-value uses.
        seed: Seeds the random splits, when there are too many to enumerate.

    Returns:
        The test's result.
    """
    import numpy as np
    from scipy import stats

    n_a, n_b = int(a.shape[0]), int(b.shape[0])
    pooled = np.concatenate([a, b])
    ties = int(np.unique(pooled).shape[0]) < n_a + n_b
    method: object
    if ties:
        method = stats.PermutationMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
        name = _permutation_name(float(math.comb(n_a + n_b, n_a)), n_resamples)
    elif n_a * n_b <= _EXACT_RANK_SUM_PAIRS:
        method, name = "exact", "exact"
    else:
        method, name = "asymptotic", "normal approximation"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.mannwhitneyu(b, a, alternative="two-sided", method=method)
    return RankTest(float(result.statistic), float(result.pvalue), name)


def _permutation_name(total: float, n_resamples: int) -> str:
    if total <= n_resamples:
        return f"permutation, all {int(total)} arrangements"
    return f"permutation, {n_resamples} random arrangements"


def _candidates(
    a: NDArray[np.float64], b: NDArray[np.float64], paired: bool
) -> NDArray[np.float64]:
    """Walsh averages of the differences (paired) or all differences b_j - a_i (unpaired)."""
    import numpy as np

    if paired:
        d = b - a
        i, j = np.triu_indices(d.shape[0])
        return (d[i] + d[j]) / 2.0
    return np.subtract.outer(b, a).ravel()


def shift_estimate(a: NDArray[np.float64], b: NDArray[np.float64], *, paired: bool) -> float:
    """The Hodges-Lehmann shift of B against A.

    Paired: the median of the Walsh averages ``(d_i + d_j) / 2``, ``i <= j``, of
    the differences ``d = b - a``. Unpaired: the median of all ``b_j - a_i``.
    """
    import numpy as np

    return float(np.median(_candidates(a, b, paired)))


def shift_interval(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    paired: bool,
    confidence: float,
    n_resamples: int,
    seed: int,
) -> Interval:
    """The interval of the Hodges-Lehmann shift from inverting the rank test.

    The shifts ``s`` with ``p(s) > 1 - confidence``, where ``p(s)`` is the
    p-value of :func:`signed_rank_test` on ``b - a - s`` (paired) or of
    :func:`rank_sum_test` on ``b - s`` against ``a``. ``p`` is constant
    between consecutive Walsh averages (pairwise differences), so it is
    evaluated at their midpoints, by bisection, and the bounds are Walsh
    averages (pairwise differences): the Moses / Bauer interval.

    Args:
        a: A's finite values (aligned with ``b`` when paired).
        b: B's finite values.
        paired: Which test.
        confidence: The confidence level (after any multiplicity adjustment).
        n_resamples: Resamples of permutation p-values.
        seed: Seeds every permutation p-value alike, so that ``p(s)`` is one
            function of ``s``.

    Returns:
        The interval, or an undefined one when the test cannot reject any shift.
    """
    import numpy as np

    test = "Wilcoxon signed-rank" if paired else "Mann-Whitney"
    method = f"inverted {test} test"
    n = int(a.shape[0]) if paired else int(a.shape[0] + b.shape[0])
    alpha = 1.0 - confidence
    values = np.unique(_candidates(a, b, paired))
    if values.shape[0] < 2:
        return undefined(method, n, confidence, "every difference is the same: no interval")
    mids = np.concatenate([[values[0] - 1.0], (values[:-1] + values[1:]) / 2.0, [values[-1] + 1.0]])

    def p(index: int) -> float:
        shift = float(mids[index])
        if paired:
            return signed_rank_test(b - a - shift, n_resamples, seed).p_value
        return rank_sum_test(a, b - shift, n_resamples, seed).p_value

    estimate = shift_estimate(a, b, paired=paired)
    center = int(np.searchsorted(mids, estimate))
    center = max((c for c in (center - 1, center) if 0 <= c < mids.shape[0]), key=p)
    last = int(mids.shape[0]) - 1
    if p(0) > alpha or p(last) > alpha:
        return undefined(
            method,
            n,
            confidence,
            f"at this n the {test} test cannot reach p <= {alpha:.3g}: no shift is "
            "excluded, so the interval is unbounded",
        )
    if p(center) <= alpha:
        return undefined(method, n, confidence, "the test rejects every shift: no interval")
    low = _bisect(p, 0, center, alpha, rising=True)
    high = _bisect(p, center, last, alpha, rising=False)
    return Interval(float(values[low]), float(values[high]), confidence, method, n)


def _bisect(p: Callable[[int], float], low: int, high: int, alpha: float, *, rising: bool) -> int:
    """The last index of the lower part where ``p > alpha`` switches (rising) or holds."""
    # Rising: p(low) <= alpha < p(high); returns the last rejected gap.
    # Falling: p(low) > alpha >= p(high); returns the last accepted gap.
    while high - low > 1:
        middle = (low + high) // 2
        accepted = p(middle) > alpha
        if accepted == rising:
            high = middle
        else:
            low = middle
    return low
