"""Summaries of one metric over repeated runs: location, spread and intervals."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from seedwise.stats._data import (
    check_level,
    check_positive_int,
    generator,
    pick_metric,
    root_seed,
    to_sample,
)
from seedwise.stats._display import summaries_html, summary_html
from seedwise.stats._format import format_number, plain_dict
from seedwise.stats._headline import mean_interval, median_interval
from seedwise.stats._intervals import Interval, t_interval, undefined
from seedwise.stats.studies import StudySource, environment_notes

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["BOOTSTRAP_MAX_N", "Summaries", "Summary", "summarize"]

#: Above this many values, ``summarize`` does not bootstrap by default: the
#: cost grows as n_resamples x n, and at such n the bootstrap-t interval of the
#: mean agrees with the t-interval. See docs/statistics.md.
BOOTSTRAP_MAX_N = 2_000


@dataclass(frozen=True)
class Summary:
    """One metric over repeated runs.

    Attributes:
        metric: The metric's name.
        n: The number of finished runs with a finite value: every number
            below rests on these.
        n_nonfinite: Values that were NaN or infinite, counted and excluded.
        n_failed: Runs that failed, when the caller said so; else None.
        mean: The arithmetic mean (None when n = 0).
        std: The sample standard deviation, ddof = 1 (None when n < 2).
        sem: The standard error of the mean, std / sqrt(n) (None when n < 2).
        median: The median.
        q1: The 25th percentile (linear interpolation).
        q3: The 75th percentile.
        iqr: ``q3 - q1``.
        min: The smallest value.
        max: The largest value.
        mean_ci: The headline interval of the mean: the hull of the t-interval
            and the studentized bootstrap (bootstrap-t) interval, undefined
            below 5 values (see ``seedwise.stats._headline``).
        mean_ci_t: The t-interval of the mean (exact for normal data).
        median_ci: The order-statistic (binomial) interval of the median,
            distribution-free; undefined below 6 values at 95%.
        confidence: The confidence level of the intervals.
        notes: Why some numbers are missing, and what was excluded.
        study: The study the runs belong to, when a study was summarised;
            else None.
    """

    metric: str
    n: int
    n_nonfinite: int
    n_failed: int | None
    mean: float | None
    std: float | None
    sem: float | None
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    min: float | None
    max: float | None
    mean_ci: Interval
    mean_ci_t: Interval
    median_ci: Interval
    confidence: float
    notes: tuple[str, ...] = field(default=())
    study: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values (intervals as nested dicts)."""
        result: dict[str, Any] = {
            "study": self.study,
            "metric": self.metric,
            "n": self.n,
            "n_nonfinite": self.n_nonfinite,
            "n_failed": self.n_failed,
        }
        for name in ("mean", "std", "sem", "median", "q1", "q3", "iqr", "min", "max"):
            result[name] = getattr(self, name)
        result["mean_ci"] = self.mean_ci.to_dict()
        result["mean_ci_t"] = self.mean_ci_t.to_dict()
        result["median_ci"] = self.median_ci.to_dict()
        result["confidence"] = self.confidence
        result["notes"] = list(self.notes)
        return plain_dict(result)

    def __str__(self) -> str:
        return self._text(with_study=True)

    def _repr_html_(self) -> str:
        """The summary as an HTML table, for notebooks (every label escaped)."""
        return summary_html(self)

    def _text(self, *, with_study: bool) -> str:
        counts = [f"n = {self.n} finished"]
        if self.n_nonfinite:
            counts.append(f"{self.n_nonfinite} non-finite excluded")
        if self.n_failed is not None:
            counts.append(f"{self.n_failed} failed")
        where = f" (study {self.study})" if with_study and self.study is not None else ""
        lines = [f"{self.metric}{where}: {', '.join(counts)}"]
        if self.n:
            f = format_number
            lines.append(
                f"  mean {f(self.mean)}  std {f(self.std)}  se {f(self.sem)}  "
                f"median {f(self.median)}  IQR {f(self.iqr)} [{f(self.q1)}, {f(self.q3)}]  "
                f"min {f(self.min)}  max {f(self.max)}"
            )
            level = f"{100 * self.confidence:g}%"
            lines.append(f"  {level} CI of the mean:   {self.mean_ci}")
            lines.append(f"  {level} CI of the mean:   {self.mean_ci_t}")
            lines.append(f"  {level} CI of the median: {self.median_ci}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


@dataclass(frozen=True)
class Summaries:
    """Summaries of several metrics of the same runs, by metric name.

    Attributes:
        metrics: Metric name -> its ``Summary``.
        study: The study the runs belong to, when a study was summarised;
            else None.
    """

    metrics: dict[str, Summary]
    study: str | None = None

    def __getitem__(self, metric: str) -> Summary:
        return self.metrics[metric]

    def __iter__(self) -> Iterator[str]:
        return iter(self.metrics)

    def __len__(self) -> int:
        return len(self.metrics)

    def to_dict(self) -> dict[str, Any]:
        """``{metric: summary.to_dict()}``."""
        return {metric: summary.to_dict() for metric, summary in self.metrics.items()}

    def _repr_html_(self) -> str:
        """Every metric's summary in one HTML table, for notebooks."""
        return summaries_html(self)

    def __str__(self) -> str:
        lines = [] if self.study is None else [f"study {self.study}"]
        lines.extend(summary._text(with_study=False) for summary in self.metrics.values())
        return "\n".join(lines)


@overload
def summarize(
    values: Mapping[str, ArrayLike] | StudySource,
    *,
    metric: None = None,
    confidence: float = ...,
    n_resamples: int = ...,
    seed: int | np.random.Generator = ...,
    n_failed: int | None = ...,
    bootstrap_max_n: int | None = ...,
) -> Summaries: ...


@overload
def summarize(
    values: Mapping[str, ArrayLike] | StudySource,
    *,
    metric: str,
    confidence: float = ...,
    n_resamples: int = ...,
    seed: int | np.random.Generator = ...,
    n_failed: int | None = ...,
    bootstrap_max_n: int | None = ...,
) -> Summary: ...


@overload
def summarize(
    values: ArrayLike,
    *,
    metric: str | None = None,
    confidence: float = ...,
    n_resamples: int = ...,
    seed: int | np.random.Generator = ...,
    n_failed: int | None = ...,
    bootstrap_max_n: int | None = ...,
) -> Summary: ...


def summarize(
    values: ArrayLike | Mapping[str, ArrayLike] | StudySource,
    *,
    metric: str | None = None,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int | np.random.Generator = 0,
    n_failed: int | None = None,
    bootstrap_max_n: int | None = BOOTSTRAP_MAX_N,
) -> Summary | Summaries:
    """Summarise a metric over repeated runs, with intervals that say their method.

    The headline interval of the mean is the hull of the t-interval
    (``scipy.stats.ttest_1samp(x, 0).confidence_interval(confidence)``) and
    the studentized bootstrap interval, its resamples drawn by one Generator
    per metric derived from ``(seed, metric)``, so a metric's summary does
    not depend on the other metrics summarised with it; below 10 values the
    bootstrap-t part is taken at ``1 - (1 - confidence) / 2``. It covers at
    least 93% (nominal 95%) on normal and exponential data from 5 values
    (docs/statistics.md). The median's interval is the order-statistic one
    (``scipy.stats.quantile_test``), exact whatever the distribution.

    Degenerate inputs give undefined intervals with a reason, never a
    misleading one: no finite values, fewer than 3 (5 for the headline
    interval of the mean, 6 for the median at 95%), or all values equal.

    A study (``seedwise.Study``, or any :class:`StudySource`) is summarised
    over its finished runs, like the mapping of its metrics, with
    ``n_failed`` taken from the study and the result labelled with its name.

    Args:
        values: One metric's values, one per run; a mapping from metric
            name to values; or a study. NaN and infinities are counted and
            excluded.
        metric: For an array, its name (default ``"value"``). For a mapping
            or a study, the metric to summarise; None summarises every metric.
        confidence: The confidence level of every interval.
        n_resamples: Bootstrap resamples of the interval of the mean.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.
        n_failed: How many runs failed, to report alongside; for a study,
            default the study's count.
        bootstrap_max_n: Above this many values, report the t-interval for
            the mean instead of bootstrapping; None always bootstraps.

    Returns:
        A ``Summary`` for one metric, or ``Summaries`` for a mapping summarised
        without ``metric``.

    Raises:
        MissingMetricError: ``metric`` is not in the mapping or the study.
        UsageError: A bad value, level, count or seed.

    Example:
        >>> s = summarize([0.31, 0.29, 0.35, 0.30, 0.33], metric="mse")
        >>> s.n, round(s.mean, 3)
        (5, 0.316)
    """
    confidence = check_level(confidence, name="confidence")
    check_positive_int(n_resamples, name="n_resamples", minimum=100)
    if n_failed is not None:
        check_positive_int(n_failed, name="n_failed", minimum=0)
    if bootstrap_max_n is not None:
        check_positive_int(bootstrap_max_n, name="bootstrap_max_n", minimum=1)
    root = root_seed(seed)
    study = None
    mixed: tuple[str, ...] = ()
    if isinstance(values, StudySource):
        data = values.study_metrics(None if metric is None else [metric])
        study, values = data.name, data.values
        n_failed = data.n_failed if n_failed is None else n_failed
        mixed = tuple(environment_notes({data.name: data.environments}))
    options = (confidence, n_resamples, root, n_failed, bootstrap_max_n, study, mixed)
    if isinstance(values, Mapping) and metric is None:
        return Summaries(
            {
                str(name): _summarize_one(column, str(name), *options)
                for name, column in values.items()
            },
            study=study,
        )
    column = pick_metric(values, metric)
    return _summarize_one(column, "value" if metric is None else metric, *options)


def _summarize_one(
    values: object,
    metric: str,
    confidence: float,
    n_resamples: int,
    root: int,
    n_failed: int | None,
    bootstrap_max_n: int | None,
    study: str | None,
    mixed: tuple[str, ...],
) -> Summary:
    import numpy as np

    sample = to_sample(values, name=metric)  # type: ignore[arg-type]
    x = sample.values
    n = sample.n
    notes: list[str] = list(mixed)
    if sample.n_nonfinite:
        notes.append(f"{sample.n_nonfinite} non-finite values (NaN or inf) excluded")
    if n == 0:
        empty = "no values" if sample.n_nonfinite == 0 else "no finite values"
        notes.append(f"{empty}: nothing to summarise, no interval")
        none = undefined("none", 0, confidence, empty)
        return Summary(
            metric=metric, n=0, n_nonfinite=sample.n_nonfinite, n_failed=n_failed,
            mean=None, std=None, sem=None, median=None, q1=None, q3=None, iqr=None,
            min=None, max=None, mean_ci=none, mean_ci_t=none, median_ci=none,
            confidence=confidence, notes=tuple(notes), study=study,
        )  # fmt: skip
    q1, median, q3 = (float(q) for q in np.percentile(x, [25.0, 50.0, 75.0]))
    std = float(np.std(x, ddof=1)) if n >= 2 else None
    sem = std / float(np.sqrt(n)) if std is not None else None
    if n < 2:
        notes.append("one value: no spread and no interval")
    mean_ci_t = t_interval(x, confidence)
    mean_ci, median_ci = _location_intervals(
        x, confidence, n_resamples, root, metric, bootstrap_max_n
    )
    return Summary(
        metric=metric,
        n=n,
        n_nonfinite=sample.n_nonfinite,
        n_failed=n_failed,
        mean=float(np.mean(x)),
        std=std,
        sem=sem,
        median=median,
        q1=q1,
        q3=q3,
        iqr=q3 - q1,
        min=float(x.min()),
        max=float(x.max()),
        mean_ci=mean_ci,
        mean_ci_t=mean_ci_t,
        median_ci=median_ci,
        confidence=confidence,
        notes=tuple(notes),
        study=study,
    )


def _location_intervals(
    x: NDArray[np.float64],
    confidence: float,
    n_resamples: int,
    root: int,
    metric: str,
    bootstrap_max_n: int | None,
) -> tuple[Interval, Interval]:
    n = int(x.shape[0])
    median_ci = median_interval(x, confidence)
    if bootstrap_max_n is not None and n > bootstrap_max_n:
        t = t_interval(x, confidence)
        note = f"n = {n} > bootstrap_max_n = {bootstrap_max_n}, so no bootstrap: t-interval"
        return Interval(t.low, t.high, confidence, t.method, n, note), median_ci
    mean_ci = mean_interval(x, confidence, n_resamples, generator(root, "summary", metric))
    return mean_ci, median_ci
