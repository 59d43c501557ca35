"""Seed hunting marked: a study that grew after its comparison was shown; best-seed claims.

Two ways an honest test still gives a dishonest answer. Runs added one at a
time until a comparison turns significant make its false-positive rate
grow with every look (a confidence sequence, ``seedwise run --until-ci``,
is the valid way to add runs). And a difference quoted between the two
studies' best seeds says more about the spread than about the studies.
These functions take plain values (the store keeps when each comparison
was first shown; :func:`seedwise.store.note_showings`) and say each in one
line, for ``compare`` and ``report``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seedwise.stats._format import format_interval, signed_number
from seedwise.stats._pair import ADD_RUNS
from seedwise.stats.comparison_results import PairComparison
from seedwise.stats.sample import Sample

__all__ = ["BestSeedClaim", "Growth", "best_seed_claim", "grown"]


@dataclass(frozen=True)
class Growth:
    """A study that had fewer finished runs when its comparison with another was first shown.

    Attributes:
        study: The study that grew.
        other: The study it was compared with.
        metric: The metric compared.
        before: Its finished runs when the comparison was first shown.
        now: Its finished runs now.
        shown: When the comparison was first shown (Unix seconds).
    """

    study: str
    other: str
    metric: str
    before: int
    now: int
    shown: float

    def line(self) -> str:
        """The caution, in one line."""
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.shown))
        return (
            f"{self.study} grew from {self.before} to {self.now} runs after its comparison with "
            f"{self.other} on {self.metric} was first shown ({when}): a test repeated as runs "
            f"are added until it is significant is wrong more often than its alpha; {ADD_RUNS}"
        )

    def to_dict(self) -> dict[str, object]:
        """The growth as JSON-ready values."""
        return dict(self.__dict__)


def grown(
    study: str, other: str, metric: str, before: int | None, now: int, shown: float
) -> Growth | None:
    """The growth of ``study`` since the comparison was first shown with ``before`` runs, if any."""
    if before is None or now <= before:
        return None
    return Growth(study, other, metric, before, now, shown)


@dataclass(frozen=True)
class BestSeedClaim:
    """The difference between two studies' best runs, beside the difference of their means.

    Attributes:
        a: The baseline's label.
        b: The candidate's label.
        best_a: A's best finite value.
        best_b: B's best finite value.
        difference: ``best_b - best_a``.
        pair: The pair's comparison, whose mean difference and interval it is set beside.
    """

    a: str
    b: str
    best_a: float
    best_b: float
    difference: float
    pair: PairComparison

    def line(self) -> str:
        """The caution, in one line."""
        interval = self.pair.difference_ci
        shown = format_interval(interval.low, interval.high, interval.confidence)
        return (
            f"a claim quoted from the best seeds ({self.b}'s best run against {self.a}'s best: "
            f"{signed_number(self.difference)}) claims more than the mean difference, "
            f"{signed_number(self.pair.difference)} {shown}: quote the mean and its interval"
        )

    def to_dict(self) -> dict[str, object]:
        """The claim as JSON-ready values."""
        return {
            "a": self.a,
            "b": self.b,
            "best_a": self.best_a,
            "best_b": self.best_b,
            "difference": self.difference,
            "mean_difference": self.pair.difference,
            "mean_difference_ci": self.pair.difference_ci.to_dict(),
        }


def _best(values: Sequence[float] | np.ndarray, goal: str) -> float | None:
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return None
    return float(finite.max() if goal == "max" else finite.min())


def best_seed_claim(a: Sample, b: Sample, pair: PairComparison) -> BestSeedClaim | None:
    """The best runs' difference of ``pair``, when it claims more than the mean's interval does.

    A claim is marked when the difference between the two best runs lies
    beyond the interval on its own side of zero: further from no difference
    than the data allow (a best-seed difference that says less than the
    mean does is not marked). Only where there is a choice to hunt among
    (three runs or more on each side) and the interval is defined.
    """
    low, high = pair.difference_ci.low, pair.difference_ci.high
    if low is None or high is None or min(pair.n_a, pair.n_b) < 3:
        return None
    best_a, best_b = _best(a.values, pair.goal), _best(b.values, pair.goal)
    if best_a is None or best_b is None:
        return None
    difference = best_b - best_a
    if not math.isfinite(difference) or not (
        difference > max(high, 0.0) or difference < min(low, 0.0)
    ):
        return None
    return BestSeedClaim(pair.a, pair.b, best_a, best_b, difference, pair)
