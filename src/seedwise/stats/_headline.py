"""The headline intervals: of a mean, a difference of means, a median and a proportion.

Each method is chosen for the sample sizes seedwise users run (3 to 30
seeds) and was checked by simulation (benchmarks/sim_statistics.py, figures
in docs/statistics.md):

- the mean (and a difference of means): the hull of the Student (or Welch)
  t-interval and the studentized bootstrap (bootstrap-t) interval; below
  ``SMALL_N`` runs the bootstrap-t part is taken at the doubled error rate's
  half, ``1 - (1 - confidence) / 2``. The t part keeps the level on normal
  data, the bootstrap-t part on skewed data. Below ``MIN_MEAN_N`` runs no
  interval keeps its level on skewed data, so there is none;
- the median: the distribution-free order-statistic interval
  (``scipy.stats.quantile_test``), exact for continuous data;
- a proportion: Clopper-Pearson (``scipy.stats.binomtest(...).proportion_ci``),
  defined at 0 and 1.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from seedwise.stats._bounded import MIXED_MIN_N, betting_interval, looks_mixed, orders_apart
from seedwise.stats._intervals import (
    Interval,
    no_interval_reason,
    no_spread,
    rounding_tolerance,
    t_interval,
    undefined,
)
from seedwise.stats._resamples import Moments, drawn_moments

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "MIN_MEAN_N",
    "SMALL_N",
    "clustered_interval",
    "difference_interval",
    "few_runs_orders_apart",
    "mean_interval",
    "median_interval",
    "proportion_interval",
]

#: Fewer runs than this give no headline interval of a mean: with 3 or 4
#: runs of a skewed metric every method tried covers 90% or less.
MIN_MEAN_N = 5

#: Below this many runs the bootstrap-t part is taken at a higher level.
SMALL_N = 10


def mean_interval(
    x: NDArray[np.float64],
    confidence: float,
    n_resamples: int,
    rng: np.random.Generator | Moments,
    *,
    scale: NDArray[np.float64] | None = None,
) -> Interval:
    """The headline interval of the mean of ``x``: the hull of t and bootstrap-t.

    Equivalent to the union of ``scipy.stats.ttest_1samp(x, 0).confidence_interval(
    confidence)`` and the studentized bootstrap interval ``[mean - q(1 - a/2) se,
    mean - q(a/2) se]``, where ``q`` are quantiles of ``(mean* - mean) / se*``
    over ``n_resamples`` resamples drawn by ``rng``, and ``a = 1 - confidence``
    (halved below ``SMALL_N`` runs).

    Args:
        x: Finite values.
        confidence: The confidence level.
        n_resamples: Bootstrap resamples.
        rng: The Generator that draws the resamples, or the moments of
            resamples of ``x`` drawn before (shared with other intervals).
        scale: The values ``x`` was computed from, when ``x`` holds paired
            differences: spread at their rounding counts as none.

    Returns:
        The interval, or an undefined one with the reason.
    """

    def resampled() -> tuple[Moments]:
        return (rng if isinstance(rng, Moments) else drawn_moments(x, n_resamples, rng),)

    return _hull((x,), confidence, n_resamples, resampled, scale)


def few_runs_orders_apart(x: NDArray[np.float64]) -> str | None:
    """Why positive values give no interval of their mean: clusters orders apart, few runs.

    None unless every value is above 0, there are fewer than ``MIXED_MIN_N``
    and they fall in two clusters at least an order of magnitude apart
    (``_bounded.orders_apart``): a loss that diverged beside runs that
    trained. The mean (and the geometric mean) then rests on how often the
    far cluster turns up, which so few runs cannot say, and the bootstrap-t
    of such a sample reaches hundreds of times past its largest value.

    Args:
        x: Finite values.
    """
    n = int(x.shape[0])
    if n >= MIXED_MIN_N or n < 2 or float(x.min()) <= 0.0:
        return None
    apart = orders_apart(x)
    if apart is None:
        return None
    far, orders = apart
    return (
        f"{far} of {n} runs {'lies' if far == 1 else 'lie'} {orders:.2g} orders of magnitude "
        f"away from the rest (diverged or failed runs?): from {n} runs that include such runs "
        f"the mean cannot be pinned down, since it rests on how often they happen; at least "
        f"{MIXED_MIN_N} runs are needed, and the median and the runs' values say more"
    )


def clustered_interval(
    x: NDArray[np.float64], low: float, high: float, confidence: float
) -> Interval | None:
    """The interval of the mean of runs in ``[low, high]`` that fall in two clusters, or None.

    None when the values do not fall in two clusters (``_bounded.looks_mixed``):
    the t / bootstrap-t hull is the answer then. Otherwise the hull of the
    t-interval and the betting interval for bounded values, which holds its
    level whatever the shape, cut to the range; below ``MIXED_MIN_N`` runs
    no interval, and the reason says why.

    Args:
        x: Finite values inside ``[low, high]``.
        low: The lowest value the metric can take.
        high: The highest.
        confidence: The confidence level.
    """
    n = int(x.shape[0])
    method = f"hull of t and betting interval for values in [{low:g}, {high:g}]"
    if no_interval_reason(x) is not None:
        return None
    mixed = looks_mixed(x, low, high)
    if mixed is None:
        return None
    far, gap = mixed
    runs = f"{far} of {n} runs {'lies' if far == 1 else 'lie'} {gap:.3g} away from the rest"
    if n < MIXED_MIN_N:
        return undefined(
            method,
            n,
            confidence,
            f"{runs} (diverged or failed runs?): from {n} runs that include such runs the mean "
            f"cannot be pinned down, since it rests on how often they happen; at least "
            f"{MIXED_MIN_N} runs are needed, and the median and the runs' values say more",
        )
    t = t_interval(x, confidence)
    bet_low, bet_high = betting_interval(x, low, high, confidence)
    if t.low is None or t.high is None:
        return None
    note = (
        f"{runs} (diverged or failed runs?): the mean rests on how often they happen; this "
        "interval holds its level for any values in the range, whatever their shape"
    )
    return Interval(
        max(low, min(t.low, bet_low)),
        min(high, max(t.high, bet_high)),
        confidence,
        method,
        n,
        note,
    )


def difference_interval(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    confidence: float,
    resampled: tuple[Moments, Moments],
) -> Interval:
    """The interval of ``mean(b) - mean(a)`` for independent samples: Welch t and bootstrap-t.

    The hull of ``scipy.stats.ttest_ind(b, a, equal_var=False).confidence_interval(
    confidence)`` and the two-sample studentized bootstrap (each sample resampled
    on its own, the Welch standard error recomputed per resample).

    Args:
        a: A's finite values.
        b: B's finite values.
        confidence: The confidence level.
        resampled: The moments of A's and of B's resamples, drawn independently.

    Returns:
        The interval, or an undefined one with the reason.
    """
    return _hull((a, b), confidence, resampled[0].count, lambda: resampled)


def _method(n: int, confidence: float, n_resamples: int, welch: bool) -> tuple[str, float]:
    boot_level = confidence if n >= SMALL_N else 1.0 - (1.0 - confidence) / 2.0
    t = "Welch t" if welch else "t"
    return f"hull of {t} and bootstrap-t ({100 * boot_level:g}%), {n_resamples} resamples", (
        boot_level
    )


def _hull(
    data: tuple[NDArray[np.float64], ...],
    confidence: float,
    n_resamples: int,
    resampled: Callable[[], tuple[Moments, ...]],
    scale: NDArray[np.float64] | None = None,
) -> Interval:
    """The hull of the t (Welch t) interval and the bootstrap-t of ``resampled()``.

    ``resampled`` is called only where a bootstrap is needed, so that
    degenerate data draw nothing.
    """
    from scipy import stats

    smallest = min(int(x.shape[0]) for x in data)
    size = sum(int(x.shape[0]) for x in data)
    method, boot_level = _method(smallest, confidence, n_resamples, len(data) == 2)
    if len(data) == 1:
        reason = no_interval_reason(data[0], scale=scale)
        if reason is not None:
            return undefined(method, size, confidence, reason)
    elif all(no_spread(x) for x in data):
        return undefined(method, size, confidence, "both samples have no spread")
    if smallest < MIN_MEAN_N:
        return undefined(
            method,
            size,
            confidence,
            f"fewer than {MIN_MEAN_N} runs ({smallest}): no interval of a mean keeps its "
            "level on skewed metrics at this n; the t-interval beside it assumes normal data",
        )
    if len(data) == 1:
        t = stats.ttest_1samp(data[0], 0.0).confidence_interval(confidence)
    else:
        t = stats.ttest_ind(data[1], data[0], equal_var=False).confidence_interval(confidence)
    bootstrap = _bootstrap_t(data, boot_level, resampled())
    if bootstrap is None:
        # Most runs share one value: many resamples have no spread, and their t
        # is not a number. The t part alone is what can be said.
        t_method = f"{'Welch t' if len(data) == 2 else 't'}-interval"
        note = (
            f"the runs share few values, so at least {100 * (1 - boot_level) / 2:g}% of "
            "bootstrap resamples have no spread and the bootstrap-t is undefined: "
            f"{t_method} alone, which assumes normal data; more runs make it trustworthy"
        )
        return Interval(float(t.low), float(t.high), confidence, t_method, size, note)
    low_b, high_b = bootstrap
    low, high = min(float(t.low), low_b), max(float(t.high), high_b)
    return Interval(low, high, confidence, method, size, _beyond_the_values(data, low, high))


def _beyond_the_values(
    data: tuple[NDArray[np.float64], ...], low: float, high: float
) -> str | None:
    """A caution when a mean's interval reaches past the values by more than their range."""
    if len(data) != 1:
        return None
    x = data[0]
    smallest, largest = float(x.min()), float(x.max())
    spread = largest - smallest
    if high - largest <= spread and smallest - low <= spread:
        return None
    return (
        f"it reaches past the values by more than their range: from {x.shape[0]} values the "
        "mean is poorly known (a few values far from the rest widen the bootstrap-t); the "
        "median and its interval say more, and more runs narrow it"
    )


def _bootstrap_t(
    data: tuple[NDArray[np.float64], ...], level: float, resampled: tuple[Moments, ...]
) -> tuple[float, float] | None:
    """The studentized bootstrap interval of a mean or a difference of means (Efron 1993, 12.5).

    ``resampled`` holds the moments of each sample's resamples. None when so
    many resamples have no spread (their t is infinite or not a number) that
    they would decide a bound: with most runs sharing one value.
    """
    import numpy as np

    sizes = [int(x.shape[0]) for x in data]
    estimates = [(np.mean(x), np.var(x, ddof=1) / n) for x, n in zip(data, sizes, strict=True)]
    estimate = float(estimates[-1][0] - (estimates[0][0] if len(data) == 2 else 0.0))
    se = math.sqrt(sum(float(v) for _, v in estimates))
    # A resample's standard error at the rounding of the values is none at all:
    # its t is infinite, on the side its mean lies (0 when it is the estimate).
    flat = rounding_tolerance(*data) / math.sqrt(sum(sizes))
    last = resampled[-1]
    value = last.means - (resampled[0].means if len(data) == 2 else 0.0)
    spread = np.sqrt(sum(m.variances / n for m, n in zip(resampled, sizes, strict=True)))
    away = np.abs(value - estimate) > flat
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (value - estimate) / spread
        side = np.where(away, np.sign(value - estimate) * np.inf, 0.0)
    t = np.where(spread > flat, t, side)
    alpha = 1.0 - level
    # Infinite t's decide a bound once they reach a quantile taken; well short of
    # that (a quarter of each tail) they only stand beyond it, as they should.
    if float(np.mean(np.isinf(t))) >= alpha / 4.0:
        return None
    q_low, q_high = np.quantile(t, [alpha / 2.0, 1.0 - alpha / 2.0])
    return estimate - float(q_high) * se, estimate - float(q_low) * se


def median_interval(x: NDArray[np.float64], confidence: float) -> Interval:
    """The order-statistic interval of the median, exact for continuous data.

    Equivalent to ``scipy.stats.quantile_test(x, q=median(x), p=0.5).confidence_interval(
    confidence)``: the narrowest pair of order statistics whose binomial coverage
    is at least ``confidence``. Below 6 values no pair reaches 95% and the
    interval is undefined; the note gives the coverage of ``[min, max]``.

    Args:
        x: Finite values.
        confidence: The confidence level.

    Returns:
        The interval, or an undefined one with the reason.
    """
    import numpy as np
    from scipy import stats

    n = int(x.shape[0])
    method = "order-statistic (binomial) interval"
    reason = no_interval_reason(x)
    if reason is not None:
        return undefined(method, n, confidence, reason)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.quantile_test(x, q=float(np.median(x)), p=0.5).confidence_interval(
            confidence
        )
    low, high = float(result.low), float(result.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        widest = 1.0 - 2.0 * 0.5**n
        return undefined(
            method,
            n,
            confidence,
            f"with {n} values even [min, max] covers the median with probability only "
            f"{widest:.4g}, below {confidence:g}",
        )
    if low == high:
        return undefined(
            method, n, confidence, f"the order statistics tie at {low:.6g}: zero-width interval"
        )
    return Interval(low, high, confidence, method, n)


def proportion_interval(
    successes_low: float, successes_high: float, n: int, confidence: float, method: str
) -> Interval:
    """The Clopper-Pearson interval of a proportion, widened for ties and fractional counts.

    Equivalent to ``scipy.stats.binomtest(k, n).proportion_ci(confidence, "exact")``
    for an integer ``k = successes_low = successes_high``. With ties (which
    count half) the lower bound is that of ``successes_low`` and the upper
    that of ``successes_high``; a fractional count uses the same beta
    quantiles (``scipy.stats.beta``), which are what Clopper-Pearson is.

    Args:
        successes_low: The successes counting no tie as a success.
        successes_high: The successes counting every tie as a success.
        n: Trials.
        confidence: The confidence level.
        method: The method's name as printed.

    Returns:
        The interval, defined at 0 and 1 alike.
    """
    from scipy import stats

    alpha = 1.0 - confidence
    if n < 1:
        return undefined(method, n, confidence, "no trials")
    low = (
        0.0
        if successes_low <= 0
        else float(stats.beta.ppf(alpha / 2.0, successes_low, n - successes_low + 1.0))
    )
    high = (
        1.0
        if successes_high >= n
        else float(stats.beta.isf(alpha / 2.0, successes_high + 1.0, n - successes_high))
    )
    return Interval(low, high, confidence, method, n)
