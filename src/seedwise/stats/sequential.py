"""When to stop adding runs: the fixed-width t-interval rule behind ``--until-ci``.

The rule (Chow and Robbins 1965, with a minimum sample): after each finished
run, compute the t-interval of the mean of the finite values so far; stop as
soon as there are at least ``min_runs`` of them and the interval's half-width
is at most the target, or when ``max_runs`` values have been collected.

The honest caveat: the number of runs depends on the data, so the interval
printed when the rule stops is the naive fixed-n t-interval and covers the true
mean *less* often than its nominal level. The rule tends to stop when the
sample standard deviation happens to be small, which is exactly when the
interval is too narrow. The rule is consistent (coverage tends to the nominal
level as the target half-width shrinks). In simulation
(benchmarks/sim_sequential_coverage.py) a nominal 95% interval covers about
94% on normal data, but only 87-90% on exponential data and 78-84% on
lognormal data, where a small sample standard deviation goes with an
underestimated mean; docs/statistics.md gives the figures. For a
confirmatory claim, use the number of runs the rule found to plan a fresh
study of fixed size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from seedwise.errors import UsageError
from seedwise.stats._data import check_level, check_positive_int, to_sample
from seedwise.stats._format import format_number, plain_dict
from seedwise.stats._intervals import Interval, t_interval

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["StopDecision", "sequential_stop"]

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
        half_width: The current t-interval half-width, or None with fewer
            than 3 values or zero spread.
        target: The half-width asked for.
        interval: The current t-interval of the mean (naive: see the module
            docstring for its caveat).
        message: One line saying what happened.
    """

    stop: bool
    reason: StopReason
    n: int
    n_nonfinite: int
    half_width: float | None
    target: float
    interval: Interval
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready values."""
        result = dict(self.__dict__)
        result["interval"] = self.interval.to_dict()
        return plain_dict(result)

    def __str__(self) -> str:
        return self.message


def sequential_stop(
    values: ArrayLike,
    half_width: float,
    *,
    min_runs: int = 10,
    max_runs: int | None = None,
    confidence: float = 0.95,
) -> StopDecision:
    """Decide, after a run finishes, whether the interval is narrow enough to stop.

    Equivalent to: with ``x`` the finite values so far and
    ``h = t(1 - (1 - confidence) / 2, n - 1) * std(x, ddof=1) / sqrt(n)``,
    stop when ``n >= min_runs and h <= half_width`` (reason ``"target"``), or
    when ``n >= max_runs`` (reason ``"max_runs"``); otherwise continue. Zero
    spread never meets the target (the interval is undefined), so a metric
    whose runs all agree stops at ``max_runs``.

    Optional stopping makes this naive interval anti-conservative: see the
    module docstring and docs/statistics.md.

    Args:
        values: The metric's values so far, one per finished run; NaN and
            infinities are excluded and do not count towards ``n``.
        half_width: The target half-width, in the metric's units.
        min_runs: Never stop for the target with fewer finite values.
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
    sample = to_sample(values)
    interval = t_interval(sample.values, confidence)
    current = interval.half_width
    n = sample.n
    level = f"{100 * confidence:g}%"
    shown = format_number(current)
    reached = current is not None and current <= half_width
    if n >= min_runs and reached:
        reason: StopReason = "target"
        message = (
            f"stop: the {level} t-interval half-width {shown} is at most the target "
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
        need = f"at least {min_runs} runs" if n < min_runs else "a narrower interval"
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
