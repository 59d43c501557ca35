"""Which source of randomness makes results vary: shares of the total variance, with intervals.

The design is one-at-a-time: for each named source (``"init"``, ``"data"``,
``"dropout"``, ...) one study in which that source's stream varies with the
repeat while every other stream, and the run's own seed, stays at one fixed
key; one study in which everything varies (``total``); and, optionally, one
in which every named stream is fixed and only the rest varies (``unnamed``:
randomness that no named stream reaches, such as an unseeded library or
``ctx.seed`` used directly).

The share of a source is ``var(source study) / var(total study)`` (sample
variances, ``ddof = 1``). What the measured parts do not explain is reported
as a row of its own, ``1 - sum of shares``: interactions between sources
(the effect of one source that depends on another's draw), and, when no
``unnamed`` study was run, the unnamed randomness too. It can be negative
when sources compensate one another or by chance.

Intervals (measured coverage in ``docs/statistics.md``, table "attribution",
from ``benchmarks/sim_attribution.py``):

- a share: the hull of the percentile bootstrap (each study resampled on its
  own, ``n_resamples`` times, from an explicit Generator) and Bonett's (2006)
  interval for a ratio of variances, ``log(c * v1 / v2) +/- z * se`` with a
  kurtosis estimated from both samples pooled, which keeps its level on
  heavy-tailed data where the F-interval does not;
- the rest: the hull of the percentile bootstrap and the delta-method
  normal interval of ``1 - sum(v_j) / v_total``.

A share is the variance a source causes *with the other sources at one fixed
draw*; when sources interact, another fixed draw gives another share, and
the interaction row says how much that matters on average.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from seedwise.errors import UsageError
from seedwise.seeding.streams import rng as stream_rng
from seedwise.stats._format import format_number, plain_dict

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["REST", "Attribution", "Share", "attribute_variance", "few_runs_note"]

#: The label of the variance no measured part explains.
REST = "interactions"
#: The label of the study in which only the unnamed randomness varies.
_UNNAMED = "unnamed"
#: The fewest finite values a study needs for an interval.
MIN_VALUES = 3
#: Below this many runs in a study the shares come with a caveat (:func:`few_runs_note`):
#: from 10 runs chance alone moves a variance ratio by up to a factor of 4 either way
#: (95%, normal data), from 4 runs by a factor of 15.
FEW_RUNS = 10
#: The note of a source whose study did not vary: a misspelt source is never drawn.
NO_EFFECT = "every run gave the same value: never drawn, or no effect"
#: The note of an unnamed study that did not vary: every draw is wired to a named source.
NOTHING_UNNAMED = "every run gave the same value: no randomness outside the named streams"


@dataclass(frozen=True)
class Share:
    """One part of the total variance.

    Attributes:
        source: The source's name, ``"unnamed"``, or ``"interactions"`` for
            what the measured parts leave unexplained.
        variance: Its variance (``ddof = 1``); for the rest, the total minus
            every measured part.
        share: ``variance / total variance``, or None when the total is zero.
        low: The interval's lower bound, or None.
        high: The interval's upper bound, or None.
        n: The finite values its study rests on (for the rest, the total's).
        note: Why there is no interval, or what the share means.
    """

    source: str
    variance: float
    share: float | None
    low: float | None
    high: float | None
    n: int
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return plain_dict(
            {
                "source": self.source,
                "variance": self.variance,
                "share": self.share,
                "low": self.low,
                "high": self.high,
                "n": self.n,
                "note": self.note,
            }
        )


@dataclass(frozen=True)
class Attribution:
    """The shares of the total variance of one metric, by source.

    Attributes:
        metric: The metric's name, or None.
        total_variance: The variance of the study in which everything varies.
        n_total: Its finite values.
        shares: One :class:`Share` per source, then ``unnamed`` when measured,
            then the rest (``"interactions"``).
        confidence: The intervals' level.
        method: How the intervals were made.
        notes: Values left out, degenerate studies.
    """

    metric: str | None
    total_variance: float
    n_total: int
    shares: tuple[Share, ...]
    confidence: float
    method: str
    notes: tuple[str, ...] = field(default=())

    def share(self, source: str) -> Share:
        """The share of ``source`` (a source's name, ``"unnamed"`` or ``"interactions"``).

        Raises:
            UsageError: No such part.
        """
        for part in self.shares:
            if part.source == source:
                return part
        raise UsageError(
            f"No such source in the attribution. Received: source={source!r}; expected one "
            f"of {', '.join(part.source for part in self.shares)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            **plain_dict(
                {
                    "metric": self.metric,
                    "total_variance": self.total_variance,
                    "n_total": self.n_total,
                    "confidence": self.confidence,
                    "method": self.method,
                    "notes": list(self.notes),
                }
            ),
            "shares": [part.to_dict() for part in self.shares],
        }

    def __str__(self) -> str:
        level = f"{self.confidence:.0%}"
        lines = [
            f"{self.metric or 'value'}: total variance {format_number(self.total_variance)} "
            f"(n = {self.n_total}); shares with {level} intervals ({self.method})"
        ]
        for part in self.shares:
            share = "n/a" if part.share is None else f"{part.share:.1%}"
            interval = (
                ""
                if part.low is None or part.high is None
                else f" [{part.low:.1%}, {part.high:.1%}]"
            )
            note = f"  ({part.note})" if part.note else ""
            lines.append(f"  {part.source:<14} {share:>7}{interval}  n = {part.n}{note}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


def _finite(values: ArrayLike, label: str, notes: list[str]) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise UsageError(
            f"The values of a study must be one-dimensional. Received: {label} with shape "
            f"{array.shape}; expected one value per run"
        )
    finite: NDArray[np.float64] = array[np.isfinite(array)]
    if finite.size < array.size:
        notes.append(f"{label}: {array.size - finite.size} non-finite values left out")
    if finite.size < 2:
        raise UsageError(
            f"A study needs at least 2 finite values for a variance. Received: {label} with "
            f"{finite.size}; expected 2 or more runs (at least {MIN_VALUES} for an interval)"
        )
    return finite


def _variance(values: NDArray[np.float64]) -> float:
    """The sample variance; exactly 0 when every value is the same (not a rounding residue)."""
    if values[0] == values[-1] and np.all(values == values[0]):
        return 0.0
    return float(values.var(ddof=1))


def _resampled_variances(
    values: NDArray[np.float64], n_resamples: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    indices = rng.integers(0, values.size, size=(n_resamples, values.size))
    variances: NDArray[np.float64] = values[indices].var(axis=1, ddof=1)
    return variances


def _bonett(
    part: NDArray[np.float64], total: NDArray[np.float64], confidence: float
) -> tuple[float, float]:
    """Bonett's interval for ``var(part) / var(total)``, kurtosis pooled over both samples."""
    from scipy import stats

    z = float(stats.norm.ppf((1 + confidence) / 2))
    n1, n2 = part.size, total.size
    deviations = np.concatenate([part - part.mean(), total - total.mean()])
    kurtosis = (n1 + n2) * float(np.sum(deviations**4)) / float(np.sum(deviations**2)) ** 2
    se = math.sqrt(
        max((kurtosis - (n1 - 3) / n1) / (n1 - 1) + (kurtosis - (n2 - 3) / n2) / (n2 - 1), 0.0)
    )
    # The small-sample adjustment of Bonett (2006); the fewest values here are 3 > z.
    adjust = (n1 / (n1 - z)) / (n2 / (n2 - z))
    centre = math.log(adjust * float(part.var(ddof=1)) / float(total.var(ddof=1)))
    return math.exp(centre - z * se), math.exp(centre + z * se)


def _variance_of_variance(values: NDArray[np.float64]) -> float:
    """The delta-method variance of the sample variance: ``(m4 - v**2 (n-3)/(n-1)) / n``."""
    n = values.size
    deviations = values - values.mean()
    m4 = float(np.mean(deviations**4))
    v = _variance(values)
    return max((m4 - v * v * (n - 3) / (n - 1)) / n, 0.0)


def _percentile(draws: NDArray[np.float64], confidence: float) -> tuple[float, float]:
    kept = draws[np.isfinite(draws)]
    tail = (1 - confidence) / 2
    return float(np.quantile(kept, tail)), float(np.quantile(kept, 1 - tail))


def attribute_variance(
    sources: Mapping[str, ArrayLike],
    total: ArrayLike,
    *,
    unnamed: ArrayLike | None = None,
    metric: str | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
    rng: np.random.Generator | None = None,
) -> Attribution:
    """The share of the total variance of a metric that each source of randomness causes.

    Args:
        sources: Source name -> the metric's values in the study where only
            that source varies (one value per run).
        total: The values in the study where every source varies.
        unnamed: The values in the study where every named source is fixed and
            only the rest varies, or None when it was not run (the rest row
            then holds the unnamed randomness too).
        metric: The metric's name, for the output.
        confidence: The intervals' level, between 0 and 1.
        n_resamples: Bootstrap resamples.
        seed: Seeds the bootstrap when ``rng`` is None (one stream per study,
            derived from ``(seed, "attribution", metric, source)``).
        rng: The Generator of the bootstrap's draws.

    Returns:
        The :class:`Attribution`: one share per source, ``unnamed`` when
        given, and the rest, ``"interactions"``.

    Raises:
        UsageError: No source, a study with fewer than 2 finite values, a bad
            ``confidence`` or ``n_resamples``.

    Example:
        >>> g = np.random.default_rng(0)
        >>> init, data = g.normal(0, 2, 30), g.normal(0, 1, 30)
        >>> both = g.normal(0, 2, 30) + g.normal(0, 1, 30)
        >>> result = attribute_variance({"init": init, "data": data}, both)
        >>> round(result.share("init").share, 1)  # doctest: +SKIP
        0.8
    """
    if not sources:
        raise UsageError(
            "An attribution needs at least one source. Received: sources={}; expected e.g. "
            "{'init': values, 'data': values}"
        )
    if not 0 < confidence < 1:
        raise UsageError(
            f"`confidence` must be between 0 and 1. Received: confidence={confidence!r}; "
            "expected e.g. 0.95"
        )
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 100:
        raise UsageError(
            f"`n_resamples` must be an int of at least 100. Received: "
            f"n_resamples={n_resamples!r}; expected e.g. 2000"
        )

    def draws_for(values: NDArray[np.float64], part: str) -> NDArray[np.float64]:
        # Without an explicit Generator each part has its own stream, so that a
        # share does not depend on the order of the sources or on which others are given.
        generator = rng if rng is not None else stream_rng(seed, "attribution", metric or "", part)
        return _resampled_variances(values, n_resamples, generator)

    notes: list[str] = []
    whole = _finite(total, "total", notes)
    parts = {name: _finite(values, name, notes) for name, values in sources.items()}
    if unnamed is not None:
        parts[_UNNAMED] = _finite(unnamed, _UNNAMED, notes)
    total_variance = _variance(whole)
    method = (
        f"hull of percentile bootstrap ({n_resamples} resamples) and Bonett's interval; "
        "rest: hull of bootstrap and delta method"
    )
    if total_variance == 0:
        notes.append("every run of the study where all sources vary gave the same value")
        empty = [
            Share(name, _variance(values), None, None, None, values.size, "no variance")
            for name, values in parts.items()
        ]
        empty.append(Share(REST, 0.0, None, None, None, whole.size, "no variance"))
        return Attribution(metric, 0.0, whole.size, tuple(empty), confidence, method, tuple(notes))
    total_draws = draws_for(whole, "total")
    with np.errstate(divide="ignore", invalid="ignore"):
        rows: list[Share] = []
        explained = np.zeros(n_resamples)
        for name, values in parts.items():
            variance = _variance(values)
            draws = draws_for(values, name)
            explained = explained + draws
            rows.append(_share_row(name, variance, values, whole, draws / total_draws, confidence))
        rest_draws = 1 - explained / total_draws
    rest_variance = total_variance - sum(part.variance for part in rows)
    rows.append(_rest_row(rest_variance, total_variance, parts, whole, rest_draws, confidence))
    fewest = min(whole.size, *(values.size for values in parts.values()))
    if fewest < FEW_RUNS:
        notes.insert(0, few_runs_note(fewest, confidence))
    return Attribution(
        metric, total_variance, whole.size, tuple(rows), confidence, method, tuple(notes)
    )


def few_runs_note(runs: int, confidence: float = 0.95) -> str:
    """The caveat for shares from ``runs`` runs per study: how far chance alone moves a share.

    A share is a ratio of two sample variances of ``runs - 1`` degrees of
    freedom each; for normal data it is off from its true value by a factor
    of the F distribution's quantiles (``runs=4``: 0.065 to 15 times, 95%).

    Args:
        runs: Runs in the smallest study, 2 or more.
        confidence: The level of the range.

    Returns:
        One line.
    """
    from scipy import stats

    tail = (1 - confidence) / 2
    low, high = (float(stats.f.ppf(q, runs - 1, runs - 1)) for q in (tail, 1 - tail))
    return (
        f"few runs: {runs} in a study. From {runs} runs chance alone puts a share anywhere "
        f"from {low:.2g} to {high:.2g} times its true value ({confidence:.0%}, normal data): "
        "shares of hundreds of percent and large negative interactions are to be expected, "
        "and the intervals, which keep their coverage (measured down to 3 runs per study), "
        f"are that wide. Use {FEW_RUNS} runs per study or more; 30 for a share within a "
        "factor of about 2"
    )


def _share_row(
    name: str,
    variance: float,
    values: NDArray[np.float64],
    whole: NDArray[np.float64],
    draws: NDArray[np.float64],
    confidence: float,
) -> Share:
    share = variance / _variance(whole)
    if variance == 0:
        note = NOTHING_UNNAMED if name == _UNNAMED else NO_EFFECT
        return Share(name, 0.0, 0.0, 0.0, 0.0, values.size, note)
    if min(values.size, whole.size) < MIN_VALUES:
        return Share(
            name, variance, share, None, None, values.size, f"an interval needs {MIN_VALUES} runs"
        )
    low, high = _percentile(draws, confidence)
    bonett_low, bonett_high = _bonett(values, whole, confidence)
    return Share(name, variance, share, min(low, bonett_low), max(high, bonett_high), values.size)


def _rest_row(
    variance: float,
    total_variance: float,
    parts: Mapping[str, NDArray[np.float64]],
    whole: NDArray[np.float64],
    draws: NDArray[np.float64],
    confidence: float,
) -> Share:
    from scipy import stats

    share = variance / total_variance
    what = (
        "interactions between sources"
        if _UNNAMED in parts
        else "interactions and randomness no named stream reaches"
    )
    if min(whole.size, *(values.size for values in parts.values())) < MIN_VALUES:
        return Share(REST, variance, share, None, None, whole.size, what)
    low, high = _percentile(draws, confidence)
    explained = total_variance - variance
    spread = sum(_variance_of_variance(values) for values in parts.values()) / total_variance**2
    spread += explained**2 * _variance_of_variance(whole) / total_variance**4
    z = float(stats.norm.ppf((1 + confidence) / 2))
    half = z * math.sqrt(spread)
    return Share(
        REST, variance, share, min(low, share - half), max(high, share + half), whole.size, what
    )
