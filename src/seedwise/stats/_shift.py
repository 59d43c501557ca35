"""The rank tests behind every verdict, and the shift they estimate with its interval.

A verdict rests on one estimand: the Hodges-Lehmann shift of B against A,
with the interval got by inverting the very test that decides the verdict
(the set of shifts ``s`` for which the test of ``B - s`` against ``A`` keeps
p above the level). So the interval excludes 0 exactly when the test
rejects, at whatever level the multiplicity correction sets.

P-values are exact. Without ties or zeros they are SciPy's exact ones. With
ties or zero differences (accuracies on a test set, rewards of a discrete
game) they are exact *conditional* p-values: the null distribution of the
statistic given the tied ranks, counted by dynamic programming over doubled
midranks (integers). This is the distribution that enumerating every sign
flip or every split would give (``scipy.stats.permutation_test`` with all
arrangements), computed in milliseconds instead of seconds. Samples too large
for the count (more than 300 non-zero differences, or a rank-sum table that
takes over 50 million additions) use the normal approximation with SciPy's tie correction,
which is then accurate.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.stats._intervals import Interval, rounding_tolerance, undefined

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["RankTest", "rank_sum_test", "shift_estimate", "shift_interval", "signed_rank_test"]

# Up to this many pairs (no ties, no zeros), the Wilcoxon p is SciPy's exact one.
_EXACT_SIGNED_RANK_N = 50
# Up to this many pairs of runs (no ties), the Mann-Whitney p is SciPy's exact one.
_EXACT_RANK_SUM_PAIRS = 2_500
# With ties, the largest samples whose conditional null distribution is counted:
# non-zero differences (signed rank), additions to fill the count table (rank sum).
_CONDITIONAL_SIGNED_RANK_N = 300
_CONDITIONAL_RANK_SUM_STEPS = 50_000_000
_CONDITIONAL = "exact, conditional on ties"


@dataclass(frozen=True)
class RankTest:
    """One rank test's result: statistic, two-sided p-value and how it was computed."""

    statistic: float
    p_value: float
    method: str


def signed_rank_test(d: NDArray[np.float64], n_resamples: int, seed: int) -> RankTest:
    """The two-sided Wilcoxon signed-rank test of the differences ``d``, zeros dropped.

    Equivalent to ``scipy.stats.wilcoxon(d, method=m)`` with ``m`` ``"exact"``
    (at most 50 non-zero differences, no ties, no zeros), ``"asymptotic"``
    without ties above that, and, with ties or zeros, to
    ``scipy.stats.permutation_test`` over all ``2**k`` sign flips of the
    ``k`` non-zero differences: the exact null distribution of the sum of
    positive midranks given the ties, counted in ``O(k**3)`` steps instead
    of enumerated (up to 300 non-zero differences; the tie-corrected normal
    approximation above that).

    Args:
        d: Per-seed differences B - A.
        n_resamples: Unused; kept so that every rank test takes the same arguments.
        seed: Unused, for the same reason: the p-values are exact.

    Returns:
        The test's result.
    """
    import numpy as np
    from scipy import stats

    del n_resamples, seed
    nonzero = d[d != 0]
    k = int(nonzero.shape[0])
    if k < 2:
        # With one non-zero difference both sign flips are as extreme: p = 1.
        return RankTest(0.0, 1.0, f"{k} non-zero difference{'s' if k != 1 else ''}: p = 1")
    size = np.abs(nonzero)
    order = np.argsort(size, kind="stable")
    ties = bool(np.any(size[order[1:]] == size[order[:-1]]))
    if (ties or k < d.shape[0]) and k <= _CONDITIONAL_SIGNED_RANK_N:
        doubled = _doubled_midranks(size)
        observed = int(doubled[nonzero > 0].sum())
        p = _two_sided(_sign_flip_counts(doubled), observed)
        statistic = min(observed, int(doubled.sum()) - observed) / 2.0
        return RankTest(statistic, p, _CONDITIONAL)
    if ties:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.wilcoxon(nonzero, method="asymptotic")
        return RankTest(float(result.statistic), float(result.pvalue), "normal approximation")
    # Without ties or zeros the ranks are 1..k and the test depends on the sum of
    # the positive ones alone: one SciPy call per (k, sum), however many pairs and
    # shifts of an interval's inversion ask for it.
    ranks = np.empty(k, dtype=np.int64)
    ranks[order] = np.arange(1, k + 1)
    return _untied_signed_rank(k, int(ranks[nonzero > 0].sum()))


@functools.lru_cache(maxsize=65_536)
def _untied_signed_rank(k: int, positive_sum: int) -> RankTest:
    """SciPy's Wilcoxon test of ``k`` untied non-zero differences whose positive ranks sum so.

    ``scipy.stats.wilcoxon`` reads its data only through the ranks of the
    sizes and the signs, so any differences with these ranks give its result:
    here the ranks themselves, the largest made positive first until they
    reach ``positive_sum``.
    """
    import numpy as np
    from scipy import stats

    signs = np.full(k, -1.0)
    left = positive_sum
    for rank in range(k, 0, -1):
        if rank <= left:
            signs[rank - 1], left = 1.0, left - rank
    if k <= _EXACT_SIGNED_RANK_N:
        method, name = "exact", "exact"
    else:
        method, name = "asymptotic", "normal approximation"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.wilcoxon(signs * np.arange(1, k + 1), method=method)
    return RankTest(float(result.statistic), float(result.pvalue), name)


def rank_sum_test(
    a: NDArray[np.float64], b: NDArray[np.float64], n_resamples: int, seed: int
) -> RankTest:
    """The two-sided Mann-Whitney U test of B against A; the statistic is B's U.

    Equivalent to ``scipy.stats.mannwhitneyu(b, a, method=m)`` with ``m``
    ``"exact"`` without ties (up to 2,500 pairs of runs), ``"asymptotic"``
    without ties above that, and, with ties, to ``scipy.stats.permutation_test``
    over all ``C(n_a + n_b, n_a)`` splits: the exact null distribution of
    the smaller group's midrank sum given the ties, counted rather than
    enumerated (while filling the count table takes at most 50 million additions; the
    tie-corrected normal approximation above that).

    Args:
        a: A's values.
        b: B's values.
        n_resamples: Unused; kept so that every rank test takes the same arguments.
        seed: Unused, for the same reason: the p-values are exact.

    Returns:
        The test's result.
    """
    import numpy as np
    from scipy import stats

    del n_resamples, seed
    n_a, n_b = int(a.shape[0]), int(b.shape[0])
    pooled = np.concatenate([a, b])
    ties = int(np.unique(pooled).shape[0]) < n_a + n_b
    small = min(n_a, n_b)
    cells = (small + 1) * (2 * small * (n_a + n_b) + 1)
    if ties and cells * (n_a + n_b) <= _CONDITIONAL_RANK_SUM_STEPS:
        doubled = _doubled_midranks(pooled)
        doubled_b = int(doubled[n_a:].sum())
        group = doubled[n_a:] if n_b <= n_a else doubled[:n_a]
        observed = int(group.sum())
        p = _two_sided(_subset_sum_counts(doubled, small), observed)
        u_b = (doubled_b - n_b * (n_b + 1)) / 2.0
        return RankTest(u_b, p, _CONDITIONAL)
    if ties:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.mannwhitneyu(b, a, alternative="two-sided", method="asymptotic")
        return RankTest(float(result.statistic), float(result.pvalue), "normal approximation")
    # Without ties the test reads B's rank sum alone: one SciPy call per (n_a, n_b, sum).
    ranks = np.empty(n_a + n_b, dtype=np.int64)
    ranks[np.argsort(pooled)] = np.arange(1, n_a + n_b + 1)
    return _untied_rank_sum(n_a, n_b, int(ranks[n_a:].sum()))


@functools.lru_cache(maxsize=65_536)
def _untied_rank_sum(n_a: int, n_b: int, rank_sum_b: int) -> RankTest:
    """SciPy's Mann-Whitney test of untied samples whose B's ranks sum to ``rank_sum_b``.

    ``scipy.stats.mannwhitneyu`` reads untied data only through the ranks, so
    any samples with these ranks give its result: here the ranks themselves,
    B's the largest ones that reach the sum, taken from the top.
    """
    import numpy as np
    from scipy import stats

    chosen, left, upper = [], rank_sum_b, n_a + n_b
    for slot in range(n_b, 0, -1):
        # The slot - 1 ranks still to choose need at least 1 + 2 + ... + (slot - 1).
        rank = min(upper, left - (slot - 1) * slot // 2)
        chosen.append(rank)
        left, upper = left - rank, rank - 1
    in_b = np.zeros(n_a + n_b + 1, dtype=bool)
    in_b[chosen] = True
    ranks = np.arange(1, n_a + n_b + 1, dtype=np.float64)
    if n_a * n_b <= _EXACT_RANK_SUM_PAIRS:
        method, name = "exact", "exact"
    else:
        method, name = "asymptotic", "normal approximation"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.mannwhitneyu(
            ranks[in_b[1:]], ranks[~in_b[1:]], alternative="two-sided", method=method
        )
    return RankTest(float(result.statistic), float(result.pvalue), name)


def _doubled_midranks(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Twice the midranks of ``values`` (ties share their mean rank): always integers.

    ``rint(2 * scipy.stats.rankdata(values))``, from one sort: the values
    ranked ``first + 1`` to ``last + 1`` (a run of ties) share the doubled
    rank ``first + last + 2``. The interval's inversion asks for thousands.
    """
    import numpy as np

    n = int(values.shape[0])
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_group = np.ones(n, dtype=bool)
    starts_group[1:] = ordered[1:] != ordered[:-1]
    first = np.flatnonzero(starts_group)
    last = np.append(first[1:], n) - 1
    doubled = np.empty(n, dtype=np.int64)
    doubled[order] = (first + last + 2)[np.cumsum(starts_group) - 1]
    return doubled


def _sign_flip_counts(doubled: NDArray[np.int64]) -> NDArray[np.float64]:
    """How many of the ``2**k`` sign flips give each sum of positive doubled ranks.

    The coefficients of the product of ``(1 + x**r)`` over the doubled ranks ``r``.
    """
    import numpy as np

    counts = np.zeros(int(doubled.sum()) + 1)
    counts[0] = 1.0
    reach = 0
    for rank in doubled.tolist():
        # Reading the old counts before adding: numpy buffers overlapping operands.
        counts[rank : reach + rank + 1] += counts[: reach + 1]
        reach += rank
    return counts


def _subset_sum_counts(doubled: NDArray[np.int64], size: int) -> NDArray[np.float64]:
    """How many subsets of ``size`` of the doubled ranks have each sum.

    A table over (subset size, sum) filled one rank at a time, so the cost
    is ``O(N * size * sum)`` instead of ``C(N, size)`` enumerated splits.
    """
    import numpy as np

    ranks = np.sort(doubled).tolist()
    top = int(sum(ranks[-size:]))
    table = np.zeros((size + 1, top + 1))
    table[0, 0] = 1.0
    for i, rank in enumerate(ranks):
        # In ascending order, the largest sum reached so far is that of the last
        # ``size`` ranks: the rest of the table is still zero and is skipped.
        rows = min(i + 1, size)
        reach = int(sum(ranks[max(0, i + 1 - size) : i + 1]))
        table[1 : rows + 1, rank : reach + 1] += table[:rows, : reach + 1 - rank]
    counts: NDArray[np.float64] = table[size]
    return counts


def _two_sided(counts: NDArray[np.float64], observed: int) -> float:
    """``2 * min(P(S <= observed), P(S >= observed))``, at most 1, from the counts of S."""
    total = float(counts.sum())
    below = float(counts[: observed + 1].sum()) / total
    above = float(counts[observed:].sum()) / total
    return min(1.0, 2.0 * min(below, above))


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

    shift = float(np.median(_candidates(a, b, paired)))
    # A shift at the rounding of the values (sums of k/n accuracies) is none.
    return 0.0 if abs(shift) <= rounding_tolerance(a, b) else shift


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

    def p_at(shift: float) -> float:
        if paired:
            return signed_rank_test(b - a - shift, n_resamples, seed).p_value
        return rank_sum_test(a, b - shift, n_resamples, seed).p_value

    def p(index: int) -> float:
        return p_at(float(mids[index]))

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
    interval = Interval(float(values[low]), float(values[high]), confidence, method, n)
    return _closed_where_accepted(p_at, interval, estimate, alpha)


def _closed_where_accepted(
    p_at: Callable[[float], float], interval: Interval, estimate: float, alpha: float
) -> Interval:
    """The interval, with 0 in it exactly when the test keeps the p of the data above the level.

    ``p`` is constant between candidate shifts, but at a candidate itself some
    differences are zero or tied and its p-value is its own. With ties (test
    accuracies) 0 is often a candidate, and the interval's bound: the test
    then decides whether 0 is in, and a bound of 0 it rejects is printed open
    (``>0``), so that the verdict and its interval are one computation.
    """
    from dataclasses import replace

    low, high = float(interval.low), float(interval.high)  # type: ignore[arg-type]
    zero_accepted = p_at(0.0) > alpha
    low_open = high_open = False
    if zero_accepted and not low <= 0.0 <= high:
        # An accepted shift of 0 beside the run of accepted gaps: the hull takes it.
        low, high = min(low, 0.0), max(high, 0.0)
    elif not zero_accepted and low <= 0.0 <= high:
        # 0 rejected within: the accepted shifts on the estimate's side, 0 excluded.
        if estimate > 0.0:
            low, low_open = 0.0, True
        else:
            high, high_open = 0.0, True
    return replace(interval, low=low, high=high, low_open=low_open, high_open=high_open)


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
