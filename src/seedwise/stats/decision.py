"""Decisions with a margin: is B not worse than A by more than D, better by D, or within D?

A release is gated on a claim about the improvement of B (the candidate)
over A (the baseline), ``mean(B) - mean(A)`` where higher is better and
``mean(A) - mean(B)`` where lower is: *non-inferior* (the improvement is
above ``-D``), *superior* (above ``D``) or *equivalent* (between ``-D`` and
``D``, two one-sided tests). Each claim holds when a confidence bound at
``1 - alpha`` is past the margin: the lower bound (and for equivalence the
upper one too) of the headline interval of the mean difference at
``1 - 2 alpha``, the hull of the t (paired, or Welch) and the studentized
bootstrap intervals, as ``compare`` prints it. Its error rate at the margin
was measured by simulation (docs/statistics.md, table 10).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from seedwise.errors import UsageError
from seedwise.stats._data import check_level, check_positive_int, generator, own_words, root_seed
from seedwise.stats._format import format_number
from seedwise.stats._headline import difference_interval, mean_interval
from seedwise.stats._intervals import Interval, no_spread
from seedwise.stats._resamples import drawn_moments
from seedwise.stats._two import PairAnswer, two_samples
from seedwise.stats.goal import Goal
from seedwise.stats.sample import Sample

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["CLAIMS", "Claim", "Decision", "decide"]

Claim = Literal["non-inferior", "superior", "equivalent"]

#: The claims :func:`decide` takes.
CLAIMS: tuple[Claim, ...] = ("non-inferior", "superior", "equivalent")


@dataclass(frozen=True)
class Decision(PairAnswer):
    """Whether a claim about B against A holds at a margin.

    Attributes (beside ``PairAnswer``'s names, metric, goal, pairing and runs):
        claim: ``"non-inferior"``, ``"superior"`` or ``"equivalent"``.
        holds: Whether the data support the claim at ``alpha``.
        margin: The margin ``D`` (in the metric's units).
        improvement: B's improvement over A (positive when B is better).
        low: The lower confidence bound of the improvement at ``1 - alpha``
            (None when no bound could be had).
        high: The upper bound at ``1 - alpha``.
        alpha: The error rate of the claim at the margin.
        method: How the bounds were computed.
        reason: Why the claim cannot be decided, when no bound could be had.
        notes: Cautions (runs left out, no spread).
    """

    claim: Claim
    holds: bool
    margin: float
    improvement: float | None
    low: float | None
    high: float | None
    alpha: float
    method: str
    reason: str | None = None
    notes: tuple[str, ...] = field(default=())

    def line(self) -> str:
        """The decision in one line: the claim, the margin, the bound and the verdict."""
        f = format_number
        claim = {
            "non-inferior": f"{self.b} is not worse than {self.a} by {f(self.margin)} or more",
            "superior": f"{self.b} is better than {self.a} by more than {f(self.margin)}",
            "equivalent": f"{self.b} is within {f(self.margin)} of {self.a}",
        }[self.claim]
        verdict = "holds" if self.holds else "does not hold"
        level = f"{100 * (1 - self.alpha):.4g}%"
        design = self.design
        if self.low is None or self.high is None:
            return (
                f"{self.claim}: {claim} ({self.direction}): cannot be decided, "
                f"so it does not hold: {self.reason} ({design})"
            )
        lower = f"lower {level} bound of the improvement {f(self.low)}"
        upper = f"upper {level} bound {f(self.high)}"
        if self.claim == "non-inferior":
            bound = f"{lower} {'>' if self.low > -self.margin else '<='} {f(-self.margin)}"
        elif self.claim == "superior":
            bound = f"{lower} {'>' if self.low > self.margin else '<='} {f(self.margin)}"
        else:
            bound = f"{lower}, {upper}: {'inside' if self.holds else 'not inside'} "
            bound += f"(-{f(self.margin)}, {f(self.margin)})"
        return (
            f"{self.claim}: {claim} ({self.direction}): {verdict}; "
            f"improvement {f(self.improvement)}, {bound} ({design}; {self.method})"
        )


@own_words
def decide(
    a: ArrayLike | Sample,
    b: ArrayLike | Sample,
    *,
    margin: float,
    claim: Claim = "non-inferior",
    metric: str | None = None,
    goal: Goal | None = None,
    paired: bool | None = None,
    seeds: Sequence[Sequence[int]] | None = None,
    labels: Sequence[str] | None = None,
    alpha: float = 0.05,
    n_resamples: int = 10_000,
    seed: int | np.random.Generator = 0,
) -> Decision:
    """Whether B is non-inferior to, superior to, or equivalent to A, at ``margin``.

    The improvement of B over A is ``mean(B) - mean(A)`` where higher is
    better (``mean(A) - mean(B)`` where lower is). Its bounds at ``1 - alpha``
    are those of the headline interval of the mean difference at
    ``1 - 2 alpha`` (paired by seed when the samples share their seeds, as
    ``compare`` pairs them). *non-inferior* holds when the lower bound is
    above ``-margin``; *superior* when it is above ``margin``; *equivalent*
    when both bounds are inside ``(-margin, margin)`` (two one-sided tests at
    ``alpha`` each). No bound (fewer than 5 runs, values too large) means
    the claim cannot be decided and does not hold.

    Args:
        a: The baseline: a sample (``study.sample(metric)``) or values.
        b: The candidate.
        margin: ``D``, at least 0 (above 0 for equivalence), in the metric's units.
        claim: ``"non-inferior"``, ``"superior"`` or ``"equivalent"``.
        metric: The metric's name (default the samples', or ``"value"``).
        goal: ``"min"`` or ``"max"``; None infers it from the metric's name.
        paired: None pairs by seed when the samples share seeds.
        seeds: Each array's per-run seeds, for arrays.
        labels: The two names; default the samples', or ``"A"`` and ``"B"``.
        alpha: The claim's error rate at the margin.
        n_resamples: Bootstrap resamples.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.

    Returns:
        The ``Decision``.

    Raises:
        UsageError: A bad margin, claim, level or sample.
    """
    import numpy as np

    if claim not in CLAIMS:
        raise UsageError(f"Unknown claim. Received: {claim!r}; expected one of {', '.join(CLAIMS)}")
    if isinstance(margin, bool) or not isinstance(margin, (int, float)):
        raise UsageError(f"A margin is a number. Received: margin={margin!r}; expected e.g. 0.01")
    margin = float(margin)
    smallest = 0.0 if claim != "equivalent" else math.ulp(0.0)
    if not (math.isfinite(margin) and margin >= smallest):
        expected = "a number above 0" if claim == "equivalent" else "a number of at least 0"
        raise UsageError(
            f"A margin is {expected}, in the metric's units. Received: margin={margin!r}; "
            f"expected e.g. 0.01"
        )
    alpha = check_level(alpha, name="alpha")
    if alpha >= 0.5:
        raise UsageError(f"alpha is below 0.5. Received: alpha={alpha}; expected e.g. 0.05")
    check_positive_int(n_resamples, name="n_resamples", minimum=100)
    root = root_seed(seed)
    notes: list[str] = []
    two = two_samples(
        a, b, metric=metric, goal=goal, paired=paired, seeds=seeds, labels=labels, notes=notes
    )
    x, y, sign = two.x, two.y, two.sign
    interval = _difference(x, y, two.paired, 1.0 - 2.0 * alpha, n_resamples, root, notes)
    improvement = None
    if x.shape[0] and y.shape[0]:
        # + 0.0: a difference of 0 with lower-is-better is 0, never -0.
        improvement = sign * float(np.mean(y) - np.mean(x)) + 0.0
    low = high = None
    if interval.low is not None and interval.high is not None:
        low, high = sorted((sign * interval.low + 0.0, sign * interval.high + 0.0))
    holds = low is not None and high is not None and _holds(claim, low, high, margin)
    return Decision(
        claim=claim, holds=holds, margin=margin, a=two.a, b=two.b, metric=two.metric,
        goal=two.goal, paired=two.paired, n_a=int(x.shape[0]), n_b=int(y.shape[0]),
        improvement=improvement, low=low, high=high, alpha=alpha, method=interval.method,
        reason=None if low is not None else interval.note, notes=tuple(notes),
    )  # fmt: skip


def _holds(claim: Claim, low: float, high: float, margin: float) -> bool:
    if claim == "non-inferior":
        return low > -margin
    if claim == "superior":
        return low > margin
    return -margin < low and high < margin


def _difference(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    paired: bool,
    confidence: float,
    n_resamples: int,
    root: int,
    notes: list[str],
) -> Interval:
    """The headline interval of ``mean(y) - mean(x)``; a point where the differences are equal."""
    import numpy as np

    if paired:
        d = y - x
        if d.shape[0] >= 2 and no_spread(d, scale=np.concatenate([x, y])):
            value = float(np.mean(d))
            notes.append(
                f"every difference is {format_number(value)} (up to float rounding): the "
                "bounds are that difference"
            )
            return Interval(value, value, confidence, "no spread: every difference equal", len(d))
        rng = generator(root, "decide", "paired")
        return mean_interval(d, confidence, n_resamples, rng, scale=np.concatenate([x, y]))
    moments = (
        drawn_moments(x, n_resamples, generator(root, "decide", "a")),
        drawn_moments(y, n_resamples, generator(root, "decide", "b")),
    )
    return difference_interval(x, y, confidence, moments)
