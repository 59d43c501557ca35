"""When to stop adding runs: the confidence-sequence rule behind ``--until-ci``.

A fixed-n interval checked after every run and reported when it is narrow
enough covers less than its level (the rule stops when the spread is by
chance small, and on skewed data a small spread goes with a low mean): the
naive t-interval covered 77 to 94% in simulation. This rule instead reports
a confidence sequence, an interval meant to hold at every n at once, so
that stopping whenever it is narrow enough keeps the coverage:

    mean +/- sigma_u * sqrt((n + m) * log((n + m) / (m * alpha**2))) / n

Robbins' normal-mixture boundary (Robbins 1970; Howard et al. 2021, eq. 14)
with the mixture tuned to ``m = MIXTURE_RUNS = 10`` runs, and ``sigma_u`` the 90%
chi-square upper confidence bound of the standard deviation,
``s * sqrt((n - 1) / chi2.ppf(0.1, n - 1))``, in place of the known sigma the
boundary assumes. It is wider than a fixed-n t-interval (about 1.7 times at
30 runs), so reaching a target takes about three times the runs a fixed
design needs; in exchange it covered at least 95% on normal, exponential and
lognormal data (benchmarks/sim_statistics.py, docs/statistics.md).

The rule never stops for the target before ``MIN_RUNS = 17`` runs: runs
that fail now and then (one in five diverges) look, until a failed one
turns up, like runs with a small spread, and a rule that stopped at 10 did
so without having seen one in 11% of such studies, covering 88%. 17 runs
see a failure mode of 1 in 5 with probability ``1 - 0.8**17 = 97.7%``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from seedwise.errors import UsageError
from seedwise.stats._bounded import SEE_RUNS
from seedwise.stats._data import check_level, check_positive_int, own_words, to_finite
from seedwise.stats._format import format_number, plain_dict
from seedwise.stats._intervals import Interval, no_interval_reason, undefined

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["MIN_RUNS", "MIXTURE_RUNS", "StopDecision", "confidence_sequence", "sequential_stop"]

#: The fewest finite values before the rule may stop for the target: 17, which
#: see a failure mode of 1 in 5 with probability 97.7% (``_bounded.SEE_RUNS``).
MIN_RUNS = SEE_RUNS

#: The ``m`` Robbins' normal mixture is tuned to.
MIXTURE_RUNS = 10

StopReason = Literal["target", "max_runs", "continue"]


@dataclass(frozen=True)
class StopDecision:
    """Whether to stop adding runs, and why.

    Attributes:
        stop: True when no more runs are needed.
        reason: ``"target"`` (half-width reached), ``"max_runs"`` (the
            maximum was reached first) or ``"continue"``.
        n: Finite values so far.
        n_nonfinite: Non-finite values so far, excluded and not counted.
        half_width: The current half-width of the confidence sequence, or
            None with fewer than 3 values or zero spread.
        target: The half-width asked for.
        interval: The confidence sequence's interval of the mean at this n.
        message: One line saying what happened.
        late: Runs that finished after the decision to stop (they were in
            flight); stored, but not part of ``interval``.
    """

    stop: bool
    reason: StopReason
    n: int
    n_nonfinite: int
    half_width: float | None
    target: float
    interval: Interval
    message: str
    late: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready values."""
        result = dict(self.__dict__)
        result["interval"] = self.interval.to_dict()
        return plain_dict(result)

    def __str__(self) -> str:
        return self.message


def confidence_sequence(values: ArrayLike, *, min_runs: int, confidence: float) -> Interval:
    """The rule's interval of the mean after ``n`` finite values (see the module docstring).

    Args:
        values: The values so far; non-finite ones are dropped.
        min_runs: The ``m`` the mixture is tuned to.
        confidence: The confidence level.

    Returns:
        The interval, or an undefined one with fewer than 3 values or zero spread.
    """
    import numpy as np

    # scipy.special, not scipy.stats: chi2.ppf(q, df) is 2 * gammaincinv(df / 2, q), the
    # same numbers, without the second or more that importing scipy.stats costs a tuner.
    from scipy import special

    x = to_finite(values).values
    n = int(x.shape[0])
    method = f"confidence sequence (normal mixture, m = {min_runs}, 90% upper bound of the std)"
    reason = no_interval_reason(x)
    if reason is not None:
        return undefined(method, n, confidence, reason)
    alpha = 1.0 - confidence
    chi2_ppf = 2.0 * float(special.gammaincinv((n - 1) / 2.0, 0.1))
    upper = float(np.std(x, ddof=1)) * math.sqrt((n - 1) / chi2_ppf)
    width = upper * math.sqrt((n + min_runs) * math.log((n + min_runs) / (min_runs * alpha**2))) / n
    mean = float(np.mean(x))
    return Interval(mean - width, mean + width, confidence, method, n)


@own_words
def sequential_stop(
    values: ArrayLike,
    half_width: float,
    *,
    min_runs: int = MIN_RUNS,
    max_runs: int | None = None,
    confidence: float = 0.95,
) -> StopDecision:
    """Decide, after a run finishes, whether the interval is narrow enough to stop.

    Equivalent to: with ``x`` the finite values so far and ``h`` the
    half-width of :func:`confidence_sequence`, stop when ``n >= min_runs and
    h <= half_width`` (reason ``"target"``), or when ``n >= max_runs``
    (reason ``"max_runs"``); otherwise continue. Zero spread never meets the
    target (the interval is undefined), so a metric whose runs all agree
    stops at ``max_runs``. The interval keeps its coverage whenever the rule
    stops (see the module docstring).

    Args:
        values: The metric's values so far, one per finished run; NaN and
            infinities are excluded and do not count towards ``n``.
        half_width: The target half-width, in the metric's units.
        min_runs: Never stop for the target with fewer finite values
            (default 17, which see a failure mode of 1 in 5 with
            probability 97.7%).
        max_runs: Stop when this many finite values have been collected;
            None for no maximum.
        confidence: The confidence level of the interval.

    Returns:
        The ``StopDecision``.

    Raises:
        UsageError: A bad target, minimum, maximum or level.

    Example:
        >>> sequential_stop([1.0, 1.1, 0.9] * 4, half_width=0.1).reason
        'target'
    """
    confidence = check_level(confidence, name="confidence")
    if (
        isinstance(half_width, bool)
        or not isinstance(half_width, (int, float))
        or not (half_width > 0 and half_width < float("inf"))
    ):
        raise UsageError(
            f"`half_width` must be a positive finite number. Received: half_width={half_width!r}"
        )
    check_positive_int(min_runs, name="min_runs", minimum=3)
    if max_runs is not None:
        check_positive_int(max_runs, name="max_runs", minimum=min_runs)
    sample = to_finite(values)
    interval = confidence_sequence(sample.values, min_runs=MIXTURE_RUNS, confidence=confidence)
    current = interval.half_width
    n = sample.n
    level = f"{100 * confidence:g}%"
    shown = format_number(current)
    reached = current is not None and current <= half_width
    if n >= min_runs and reached:
        reason: StopReason = "target"
        message = (
            f"stop: the {level} confidence sequence's half-width {shown} is at most the target "
            f"{format_number(half_width)} after {n} runs"
        )
    elif max_runs is not None and n >= max_runs:
        reason = "max_runs"
        message = (
            f"stop: reached max_runs = {max_runs} with half-width {shown}, above the target "
            f"{format_number(half_width)}"
        )
    else:
        reason = "continue"
        need = (
            f"at least {min_runs} runs (before a failure mode of 1 in 5 would likely show)"
            if n < min_runs
            else "a narrower interval"
        )
        message = (
            f"continue: {n} runs, half-width {shown}, target {format_number(half_width)}; "
            f"need {need}"
        )
    return StopDecision(
        stop=reason != "continue",
        reason=reason,
        n=n,
        n_nonfinite=sample.n_nonfinite,
        half_width=current,
        target=float(half_width),
        interval=interval,
        message=message,
    )
