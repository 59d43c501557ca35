"""Confidence intervals: the ``Interval`` result, t-intervals and seeded bootstraps."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from seedwise.stats._format import format_interval, plain_dict

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "MIN_INTERVAL_N",
    "Interval",
    "bootstrap_intervals",
    "clip_interval",
    "interval_cell",
    "no_interval_reason",
    "no_spread",
    "rounding_tolerance",
    "t_interval",
    "undefined",
]

#: Fewer values than this give no interval: with two values a bootstrap has
#: three distinct resamples, and a t-interval rests on one degree of freedom.
MIN_INTERVAL_N = 3

# Elements per vectorised call of a statistic: large enough that NumPy, not
# Python, does the work; small enough to stay in cache and in memory.
_BATCH_ELEMENTS = 1_000_000

# Below this many runs, BCa and percentile intervals cover noticeably less than
# their nominal level (Efron and Tibshirani 1993, ch. 14), so they carry a note.
_FEW_RUNS = 10


# Values whose spread is below this share of their magnitude are equal up to
# float rounding: 0.1 + 0.2 and 0.3 differ by 2e-16 of it, a mean over a million
# terms summed in another order by about 1e-13; metrics that really differ (an
# accuracy on a test set of a million examples) by 1e-6 or more.
_ROUNDING = 1e-12


def rounding_tolerance(*samples: NDArray[np.float64]) -> float:
    """How far apart values of these samples can be and still be equal up to float rounding."""
    import numpy as np

    largest = max((float(np.max(np.abs(x))) for x in samples if x.shape[0]), default=0.0)
    return _ROUNDING * largest


def no_spread(values: NDArray[np.float64], *, scale: NDArray[np.float64] | None = None) -> bool:
    """Whether ``values`` are all equal up to float rounding.

    Args:
        values: Finite values.
        scale: The values ``values`` were computed from, when they are
            differences (their rounding is that of the larger operands);
            by default ``values`` themselves.
    """
    import numpy as np

    if values.shape[0] == 0:
        return True
    spread = float(np.max(values) - np.min(values))
    return spread <= rounding_tolerance(values if scale is None else scale)


@dataclass(frozen=True)
class Interval:
    """A confidence interval, or the reason there is none.

    Attributes:
        low: The lower bound; None when the interval is undefined.
        high: The upper bound; None when the interval is undefined.
        confidence: The confidence level, e.g. 0.95.
        method: How the interval was computed, e.g. ``"BCa bootstrap, 10000
            resamples"`` or ``"t-interval, 29 df"``.
        n: The number of values (or pairs) it rests on.
        note: Why the interval is undefined, or a caution about it.
        low_open: The lower bound itself is outside (printed ``>low``): a
            rank test's interval on tied data, where the test rejects the
            bound but not the shifts just above it.
        high_open: The upper bound itself is outside (printed ``<high``).
    """

    low: float | None
    high: float | None
    confidence: float
    method: str
    n: int
    note: str | None = None
    low_open: bool = False
    high_open: bool = False

    @property
    def defined(self) -> bool:
        """Whether both bounds exist."""
        return self.low is not None and self.high is not None

    @property
    def half_width(self) -> float | None:
        """Half the interval's width, or None when it is undefined."""
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2.0

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (False if undefined)."""
        if self.low is None or self.high is None:
            return False
        above = self.low < value if self.low_open else self.low <= value
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def to_dict(self) -> dict[str, Any]:
        """The interval as JSON-ready values."""
        return plain_dict(
            {
                "low": self.low,
                "high": self.high,
                "confidence": self.confidence,
                "method": self.method,
                "n": self.n,
                "note": self.note,
                "low_open": self.low_open,
                "high_open": self.high_open,
            }
        )

    def __str__(self) -> str:
        text = f"{interval_cell(self)} ({self.method}, n = {self.n})"
        return f"{text}: {self.note}" if self.note else text


def undefined(method: str, n: int, confidence: float, reason: str) -> Interval:
    """An interval with no bounds and the reason why."""
    return Interval(None, None, confidence, method, n, reason)


def no_interval_reason(
    values: NDArray[np.float64],
    *,
    what: str = "values",
    scale: NDArray[np.float64] | None = None,
) -> str | None:
    """Why no interval can be computed from ``values``, or None if one can.

    Args:
        values: Finite values.
        what: What the values are, for the message ("values", "differences").
        scale: The values ``values`` were computed from (see :func:`no_spread`).

    Returns:
        A sentence for too few values or for values that are all equal.
    """
    n = int(values.shape[0])
    if n == 0:
        return f"no finite {what}"
    if n < MIN_INTERVAL_N:
        return f"an interval needs at least {MIN_INTERVAL_N} {what}; got {n}"
    if no_spread(values, scale=scale):
        rounding = "" if float(values.max()) == float(values.min()) else " up to float rounding"
        return (
            f"all {n} {what} equal {float(values[0]):.4g}{rounding}: with no spread the "
            "bootstrap (BCa) and t intervals are undefined"
        )
    return None


def t_interval(values: NDArray[np.float64], confidence: float) -> Interval:
    """The Student t-interval for the mean of ``values``.

    Equivalent to ``scipy.stats.ttest_1samp(values, 0).confidence_interval(
    confidence)``: mean +/- t(1 - alpha/2, n - 1) * s / sqrt(n).

    Args:
        values: Finite values.
        confidence: The confidence level.

    Returns:
        The interval, or an undefined one with the reason.
    """
    from scipy import stats

    n = int(values.shape[0])
    method = f"t-interval, {max(n - 1, 0)} df"
    reason = no_interval_reason(values)
    if reason is not None:
        return undefined(method, n, confidence, reason)
    result = stats.ttest_1samp(values, 0.0).confidence_interval(confidence)
    return Interval(float(result.low), float(result.high), confidence, method, n)


def bootstrap_intervals(
    data: Sequence[NDArray[np.float64]],
    statistic: Callable[..., NDArray[np.float64]],
    *,
    count: int,
    paired: bool,
    confidence: float,
    n_resamples: int,
    rng: np.random.Generator | None,
    n: int | None = None,
    distribution: NDArray[np.float64] | None = None,
) -> list[Interval]:
    """BCa bootstrap intervals of ``count`` statistics computed on shared resamples.

    Equivalent to ``scipy.stats.bootstrap(data, statistic, paired=paired,
    confidence_level=confidence, n_resamples=n_resamples, method="BCa",
    rng=rng)``, with ``statistic`` vectorised and returning its ``count``
    values stacked on the first axis; with ``distribution``, the statistics
    of resamples computed before (SciPy's ``bootstrap_result``), so that
    SciPy adds only the jackknife and the BCa bounds. Where BCa is undefined for one of them
    (its jackknife or bias correction degenerates, as for the median of data
    with many ties), the percentile interval of the same bootstrap
    distribution is given instead and its note says so; where that is not
    finite either, the interval is undefined.

    Args:
        data: The samples, each one-dimensional.
        statistic: ``statistic(*samples, axis=-1)`` returning shape
            ``(count, ...)``.
        count: The number of statistics.
        paired: Whether the samples are resampled together, pair by pair.
        confidence: The confidence level.
        n_resamples: The number of bootstrap resamples.
        rng: The Generator that draws the resamples (None with ``distribution``).
        n: The n to report; by default the size of the first sample.
        distribution: The ``(count, n_resamples)`` statistics of resamples
            drawn elsewhere, used instead of drawing.

    Returns:
        One ``Interval`` per statistic.
    """
    import numpy as np
    from scipy import stats

    n = int(data[0].shape[0]) if n is None else n
    total = sum(int(sample.shape[0]) for sample in data)
    batch = max(1, min(n_resamples, _BATCH_ELEMENTS // max(total, 1)))
    bca_method = f"BCa bootstrap, {n_resamples} resamples"
    with warnings.catch_warnings():
        # Degenerate resamples (zero spread, ties) are handled below, by value.
        warnings.simplefilter("ignore")
        common: dict[str, Any] = {"vectorized": True, "paired": paired, "axis": -1}
        common["confidence_level"] = confidence
        if distribution is None:
            result = stats.bootstrap(
                tuple(data), statistic, n_resamples=n_resamples, batch=batch, method="BCa",
                rng=rng, **common,
            )  # fmt: skip
        else:
            # SciPy reads only this attribute of a previous result.
            given = SimpleNamespace(bootstrap_distribution=distribution)
            result = stats.bootstrap(
                tuple(data), statistic, n_resamples=0, batch=batch, method="BCa",
                bootstrap_result=given, **common,
            )  # fmt: skip
        lows = np.atleast_1d(result.confidence_interval.low)
        highs = np.atleast_1d(result.confidence_interval.high)
        p_lows, p_highs = lows, highs
        if not all(_finite(lo, hi) for lo, hi in zip(lows, highs, strict=True)):
            # The percentile interval of the same resamples, where BCa is undefined.
            percentile = stats.bootstrap(
                tuple(data), statistic, n_resamples=0, method="percentile",
                bootstrap_result=result, **common,
            )  # fmt: skip
            p_lows = np.atleast_1d(percentile.confidence_interval.low)
            p_highs = np.atleast_1d(percentile.confidence_interval.high)
    smallest = min(int(sample.shape[0]) for sample in data)
    caution = (
        f"rests on {smallest} runs: bootstrap intervals from fewer than "
        f"{_FEW_RUNS} runs tend to be too narrow"
        if smallest < _FEW_RUNS
        else None
    )
    intervals: list[Interval] = []
    for index in range(count):
        low, high = float(lows[index]), float(highs[index])
        method, note = bca_method, caution
        if not _finite(low, high):
            low, high = float(p_lows[index]), float(p_highs[index])
            method = f"percentile bootstrap, {n_resamples} resamples"
            note = _join(
                "BCa is undefined for these data (degenerate jackknife or bias "
                "correction, e.g. many ties); percentile interval instead",
                caution,
            )
        if not _finite(low, high):
            intervals.append(
                undefined(
                    bca_method,
                    n,
                    confidence,
                    "the bootstrap distribution is degenerate or not finite for these data",
                )
            )
        elif low == high:
            intervals.append(
                undefined(
                    method,
                    n,
                    confidence,
                    f"the bootstrap gives the zero-width interval [{low:.4g}, {low:.4g}]: too "
                    "few distinct resamples, or the estimate sits at a bound; no honest interval",
                )
            )
        else:
            intervals.append(Interval(low, high, confidence, method, n, note))
    return intervals


def clip_interval(interval: Interval, bounds: tuple[float | None, float | None]) -> Interval:
    """``interval`` cut to the range a mean can lie in; its note says when it was cut.

    Args:
        interval: An interval of a mean.
        bounds: The lowest and highest value the metric can take, None where unbounded.
    """
    low, high = interval.low, interval.high
    if low is None or high is None:
        return interval
    least, most = bounds
    cut_low = least is not None and low < least
    cut_high = most is not None and high > most
    if not (cut_low or cut_high):
        return interval
    low = least if cut_low and least is not None else low
    high = most if cut_high and most is not None else high
    if most is None:
        note = f"cut at {least:g}: every value is at least {least:g}, and so is the mean"
    else:
        note = f"cut to [{least:g}, {most:g}]: every value lies there, and so does the mean"
    joined = note if interval.note is None else f"{interval.note}; {note}"
    return Interval(low, high, interval.confidence, interval.method, interval.n, joined)


def _join(first: str, second: str | None) -> str:
    return first if second is None else f"{first}; {second}"


def _finite(low: float, high: float) -> bool:
    return math.isfinite(low) and math.isfinite(high)


def interval_cell(interval: Interval | None, *, level: bool = True) -> str:
    """An interval as a table cell: ``[95% CI low, high]``, or without the level.

    Args:
        interval: The interval; None or an undefined one reads ``n/a``.
        level: Write the confidence level in the cell; False where the
            column's header already says it (``95% CI of the mean``).
    """
    if interval is None:
        return format_interval(None, None, 0.95) if level else "n/a"
    opens = {"low_open": interval.low_open, "high_open": interval.high_open}
    if level:
        return format_interval(interval.low, interval.high, interval.confidence, **opens)
    if interval.low is None or interval.high is None:
        return "n/a"
    return format_interval(interval.low, interval.high, interval.confidence, **opens).replace(
        f"{100 * interval.confidence:.4g}% CI ", "", 1
    )
