"""``seedwise.summarize``, ``compare`` and ``rank``: the statistics, on studies as well as arrays.

The statistics (:mod:`seedwise.stats`) take arrays or one plain
:class:`~seedwise.stats.Sample` and never read a store. These functions
are the public face that also takes stored studies: each ``Study`` becomes
its sample of ``metric`` here, read once, and everything else goes to the
statistics unchanged. So ``seedwise.compare(study_a, study_b, metric="mse")``
is ``seedwise.stats.compare(study_a.sample("mse"), study_b.sample("mse"))``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.stats import compare as compare_samples
from seedwise.stats import rank as rank_samples
from seedwise.stats import summarize as summarize_sample
from seedwise.store.study import Study

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from seedwise.stats import Comparison, Ranking, Sample, Summary

__all__ = ["compare", "rank", "summarize"]


def _sample(value: Study | Sample | ArrayLike, metric: str | None) -> Sample | ArrayLike:
    if not isinstance(value, Study):
        return value
    if metric is None:
        raise UsageError(
            f"A study is summarised or compared on one metric. Received: study {value.name!r} "
            "without metric=; expected metric='NAME', one of "
            f"{', '.join(value.metric_names()) or 'its metrics (it has none yet)'}"
        )
    return value.sample(metric)


def summarize(
    values: Study | Sample | ArrayLike, *, metric: str | None = None, **options: Any
) -> Summary:
    """Summarise one metric of a study, a sample or an array of values.

    Equivalent to ``seedwise.stats.summarize(study.sample(metric), **options)``
    for a ``Study``, and to ``seedwise.stats.summarize(values, metric=metric,
    **options)`` otherwise; the options (``confidence``, ``n_resamples``,
    ``seed``, ``n_failed``, ``bootstrap_max_n``) are that function's.

    Raises:
        UsageError: A study without ``metric``, or bad options.
    """
    sample = _sample(values, metric)
    if isinstance(values, Study):
        return summarize_sample(sample, **options)
    return summarize_sample(sample, metric=metric, **options)


def compare(
    a: Study | Sample | ArrayLike,
    b: Study | Sample | ArrayLike,
    *more: Study | Sample | ArrayLike,
    metric: str | None = None,
    **options: Any,
) -> Comparison:
    """Compare two or more studies, samples or arrays of values on one metric.

    Equivalent to ``seedwise.stats.compare(*samples, metric=metric, **options)``
    with each ``Study`` replaced by ``study.sample(metric)``; the options
    (``goal``, ``paired``, ``seeds``, ``labels``, ``baseline``,
    ``correction``, ``alpha``, ``confidence``, ``n_resamples``, ``seed``) are
    that function's. Studies are paired by seed and labelled with their names.

    Example:
        >>> seedwise.compare(study_a, study_b, metric="mse", goal="min")  # doctest: +SKIP

    Raises:
        UsageError: A study without ``metric``, or bad options.
    """
    samples = [_sample(value, metric) for value in (a, b, *more)]
    return compare_samples(*samples, metric=metric, **options)


def rank(*values: Study | Sample | ArrayLike, metric: str | None = None, **options: Any) -> Ranking:
    """Rank k studies, samples or arrays run on the same seeds, on one metric.

    Equivalent to ``seedwise.stats.rank(*samples, metric=metric, **options)``
    with each ``Study`` replaced by ``study.sample(metric)``; the options
    (``goal``, ``seeds``, ``labels``, ``alpha``, ``confidence``,
    ``n_resamples``, ``seed``) are that function's.

    Example:
        >>> seedwise.rank(study_a, study_b, study_c, metric="accuracy")  # doctest: +SKIP

    Raises:
        UsageError: A study without ``metric``, or bad options.
    """
    samples = [_sample(value, metric) for value in values]
    return rank_samples(*samples, metric=metric, **options)
