"""Summaries of one metric over repeated runs: location, spread and intervals."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats._bounded import betting_interval
from seedwise.stats._data import (
    check_level,
    check_positive_int,
    generator,
    own_words,
    root_seed,
    to_finite,
)
from seedwise.stats._format import counted
from seedwise.stats._headline import (
    clustered_interval,
    few_runs_orders_apart,
    mean_interval,
    median_interval,
)
from seedwise.stats._intervals import Interval, clip_interval, no_spread, t_interval, undefined
from seedwise.stats._range import check_range, metric_range
from seedwise.stats.sample import Sample, check_samples, environment_notes
from seedwise.stats.summary_results import Summaries, Summary

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["BOOTSTRAP_MAX_N", "Summaries", "Summary", "summarize"]

#: Above this many values, ``summarize`` does not bootstrap by default: the
#: cost grows as n_resamples x n, and at such n the bootstrap-t interval of the
#: mean agrees with the t-interval. See docs/statistics.md.
BOOTSTRAP_MAX_N = 2_000

# Positive values whose largest is this many times the smallest get a note.
_ORDERS_OF_MAGNITUDE = 1_000.0


@own_words
def summarize(
    values: ArrayLike | Sample,
    *,
    metric: str | None = None,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int | np.random.Generator = 0,
    n_failed: int | None = None,
    bootstrap_max_n: int | None = BOOTSTRAP_MAX_N,
    value_range: tuple[float, float] | None = None,
    geometric: bool | None = None,
    any_shape: bool = False,
) -> Summary:
    """Summarise one metric over repeated runs, with intervals that say their method.

    The interval of the mean to quote (``Summary.mean_ci``) is the hull of
    the t-interval (``scipy.stats.ttest_1samp(x, 0).confidence_interval(
    confidence)``) and the studentized bootstrap interval, its resamples
    drawn by one Generator derived from ``(seed, metric)``, so a metric's
    summary does not depend on the other metrics summarised with it; below
    10 values the bootstrap-t part is taken at ``1 - (1 - confidence) / 2``.
    It covers at least 93% (nominal 95%) on normal and exponential data
    from 5 values (docs/statistics.md). The plain t-interval is kept beside
    it (``mean_ci_t``). The median's interval is the order-statistic one
    (``scipy.stats.quantile_test``), exact whatever the distribution.

    Degenerate inputs give undefined intervals with a reason, never a
    misleading one: no finite values, fewer than 3 (5 for the interval of
    the mean, 6 for the median at 95%), or all values equal.

    A :class:`~seedwise.stats.Sample` (``study.sample("mse")``) is summarised
    like its values, with ``n_failed`` taken from it, the result labelled
    with its study, and a note when its runs mixed environments.

    Args:
        values: One metric's values, one per run, or a sample. NaN and
            infinities are counted and excluded.
        metric: The metric's name (default ``"value"``, or the sample's).
        confidence: The confidence level of every interval.
        n_resamples: Bootstrap resamples of the interval of the mean.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.
        n_failed: How many runs failed, to report alongside; for a sample,
            default the sample's count.
        bootstrap_max_n: Above this many values, report the t-interval for
            the mean instead of bootstrapping; None always bootstraps.
        value_range: ``(low, high)``, the values the metric can take: the
            intervals of the mean stay inside it, and runs that fall in
            separate clusters (some diverged) get the betting interval for
            bounded values. Default: the range the values make plain
            (at least 0; [0, 1] for a proportion such as accuracy).
        geometric: Add the geometric mean (the exponential of the mean of
            the logarithms) and its interval (the same method, on the
            logarithms, measured in docs/statistics.md, table 9). None adds
            it where every value is positive and the largest is at least
            1,000 times the smallest; True wherever every value is positive;
            False never.
        any_shape: The interval of the mean is the betting interval for
            bounded values on every sample, which holds its level for every
            distribution in the range, whatever its shape: it covers a mean
            that rests on rare diverged runs a sample did not show, at 7 to
            18 times the width on unimodal accuracies (docs/statistics.md,
            table 7). Needs a range with both bounds, declared or plain.

    Returns:
        The ``Summary``.

    Raises:
        UsageError: A bad value, level, count, seed or range, a value outside
            the declared range, a ``geometric`` that is not a bool or None,
            ``any_shape`` without a range of two bounds, or a ``metric`` that
            is not the sample's.

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
    if geometric is not None and not isinstance(geometric, bool):
        raise UsageError(
            f"geometric is True, False or None. Received: geometric={geometric!r}; expected "
            "None (where positive values span 3 orders of magnitude), True or False"
        )
    if not isinstance(any_shape, bool):
        raise UsageError(f"any_shape is True or False. Received: any_shape={any_shape!r}")
    root = root_seed(seed)
    declared = check_range(value_range)
    samples = check_samples([values])
    if samples is None:
        return _summarize_one(
            values, metric or "value", confidence, n_resamples, root, n_failed,
            bootstrap_max_n, None, (), declared, geometric, any_shape,
        )  # fmt: skip
    (sample,) = samples
    if metric is not None and metric != sample.metric:
        raise UsageError(
            f"The sample holds another metric. Received: metric={metric!r} for a sample of "
            f"{sample.metric!r}; expected metric=None or {sample.metric!r}"
        )
    mixed = (*environment_notes({sample.name: sample.environments}), *sample.notes)
    return _summarize_one(
        sample.values, sample.metric, confidence, n_resamples, root,
        sample.n_failed if n_failed is None else n_failed, bootstrap_max_n, sample.name, mixed,
        declared, geometric, any_shape,
    )  # fmt: skip


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
    declared: tuple[float, float] | None,
    geometric: bool | None,
    any_shape: bool,
) -> Summary:
    import numpy as np

    finite = to_finite(values, name=metric)  # type: ignore[arg-type]
    x = finite.values
    n = finite.n
    bounds = metric_range(x, metric, declared)
    if any_shape and x.shape[0] and None in bounds:
        raise UsageError(
            f"An interval for any shape needs the range of {metric!r}. Received: "
            f"{'no bounds' if bounds == (None, None) else 'a lower bound of 0 only'}; expected "
            "a declared range, value_range=(LOW, HIGH) (--range LOW,HIGH)"
        )
    notes: list[str] = list(mixed)
    if finite.n_nonfinite:
        notes.append(f"{counted(finite.n_nonfinite, 'non-finite value')} (NaN or inf) excluded")
    if n == 0:
        empty = "no values" if finite.n_nonfinite == 0 else "no finite values"
        notes.append(f"{empty}: nothing to summarise, no interval")
        none = undefined("none", 0, confidence, empty)
        return Summary(
            metric=metric, n=0, n_nonfinite=finite.n_nonfinite, n_failed=n_failed,
            mean=None, std=None, sem=None, median=None, q1=None, q3=None, iqr=None,
            min=None, max=None, mean_ci=none, mean_ci_t=none, median_ci=none,
            confidence=confidence, notes=tuple(notes), study=study,
        )  # fmt: skip
    q1, median, q3 = (float(q) for q in np.percentile(x, [25.0, 50.0, 75.0]))
    # A spread at the rounding of the values is no spread: it is printed as 0.
    std = (0.0 if no_spread(x) else float(np.std(x, ddof=1))) if n >= 2 else None
    sem = std / float(np.sqrt(n)) if std is not None else None
    wide = n >= 2 and float(x.min()) > 0.0
    wide = wide and float(x.max()) / float(x.min()) >= _ORDERS_OF_MAGNITUDE
    if n < 2:
        notes.append("one value: no spread and no interval")
    elif wide:
        orders = math.floor(math.log10(float(x.max()) / float(x.min())))
        notes.append(
            f"the values span {orders} orders of magnitude: the largest runs set the mean; "
            "the geometric mean (of the logarithms, exponentiated) and the median fit such "
            "values better"
        )
    geometric_mean, geometric_ci = None, None
    if (geometric or (geometric is None and wide)) and n >= 1 and float(x.min()) > 0.0:
        geometric_mean, geometric_ci = _geometric(x, confidence, n_resamples, root, metric)
    elif geometric and n:
        notes.append("no geometric mean: it needs every value above 0")
    mean_ci_t = clip_interval(t_interval(x, confidence), bounds)
    mean_ci, median_ci = _location_intervals(
        x, confidence, n_resamples, root, metric, bootstrap_max_n, bounds
    )
    if any_shape:
        mean_ci = _any_shape(x, bounds, confidence)
    mean: float | None = float(np.mean(x))
    if not (math.isfinite(mean) and (std is None or math.isfinite(std))):  # type: ignore[arg-type]
        # Finite values near the largest float whose sum or squares overflow.
        overflow = "the values are too large for float arithmetic (their sum overflows)"
        notes.append(f"{overflow}: no mean, spread or interval of the mean")
        mean = std = sem = None
        mean_ci = mean_ci_t = undefined(mean_ci.method, n, confidence, overflow)
    return Summary(
        metric=metric,
        n=n,
        n_nonfinite=finite.n_nonfinite,
        n_failed=n_failed,
        mean=mean,
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
        geometric_mean=geometric_mean,
        geometric_mean_ci=geometric_ci,
    )


def _geometric(
    x: NDArray[np.float64], confidence: float, n_resamples: int, root: int, metric: str
) -> tuple[float, Interval]:
    """The geometric mean and its interval: the headline interval of the logarithms' mean."""
    from dataclasses import replace

    import numpy as np

    logs = np.log(x)
    on_logs = mean_interval(logs, confidence, n_resamples, generator(root, "summary-log", metric))
    method = f"exp of the interval of the mean of the logarithms ({on_logs.method})"
    apart = few_runs_orders_apart(x)
    if apart is not None:
        method = "exp of the interval of the mean of the logarithms (hull of t and bootstrap-t)"
        return float(np.exp(np.mean(logs))), undefined(method, on_logs.n, confidence, apart)
    changes: dict[str, object] = {"method": method}
    if on_logs.defined:
        changes.update(low=float(np.exp(on_logs.low)), high=float(np.exp(on_logs.high)))  # type: ignore[arg-type]
    elif logs.shape[0] >= 2 and no_spread(logs):
        changes.update(note="the values have no spread: no interval")
    return float(np.exp(np.mean(logs))), replace(on_logs, **changes)  # type: ignore[arg-type]


def _any_shape(
    x: NDArray[np.float64], bounds: tuple[float | None, float | None], confidence: float
) -> Interval:
    """The betting interval for bounded values, on any sample: valid for every shape."""
    low, high = bounds
    assert low is not None
    assert high is not None
    method = f"betting interval for values in [{low:g}, {high:g}], any shape"
    bet_low, bet_high = betting_interval(x, low, high, confidence)
    return Interval(bet_low, bet_high, confidence, method, int(x.shape[0]))


def _location_intervals(
    x: NDArray[np.float64],
    confidence: float,
    n_resamples: int,
    root: int,
    metric: str,
    bootstrap_max_n: int | None,
    bounds: tuple[float | None, float | None],
) -> tuple[Interval, Interval]:
    n = int(x.shape[0])
    median_ci = median_interval(x, confidence)
    if bootstrap_max_n is not None and n > bootstrap_max_n:
        t = t_interval(x, confidence)
        note = f"n = {n} > bootstrap_max_n = {bootstrap_max_n}, so no bootstrap: t-interval"
        return clip_interval(Interval(t.low, t.high, confidence, t.method, n, note), bounds), (
            median_ci
        )
    low, high = bounds
    if low is not None and high is not None:
        clustered = clustered_interval(x, low, high, confidence)
        if clustered is not None:
            return clustered, median_ci
    elif low is not None:
        apart = few_runs_orders_apart(x)
        if apart is not None:
            method = "hull of t and bootstrap-t"
            return undefined(method, n, confidence, apart), median_ci
    mean_ci = mean_interval(x, confidence, n_resamples, generator(root, "summary", metric))
    return clip_interval(mean_ci, bounds), median_ci
