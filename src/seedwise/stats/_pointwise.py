"""The statistic of a curve at each x over runs: the mean or the IQM, its standard error and df.

Both work over axis -2 (runs) of arrays shaped ``(..., runs, points)``,
ignoring NaN (a run with no value at a point), so that one call serves the
sample and a whole chunk of bootstrap resamples of it.

The IQM (interquartile mean, rliable's headline statistic) is the 25%
trimmed mean: the mean of the runs left after the lowest and the highest
``g = floor(n / 4)`` at that x are set aside (``scipy.stats.trim_mean(x,
0.25)``). Its standard error is Tukey and McLaughlin's (1963), as in
Wilcox's trimmed-mean t: the standard deviation of the winsorized values
(the set-aside runs moved to the nearest kept one) over ``(1 - 2 g / n)
sqrt(n)``, with ``n - 2 g - 1`` degrees of freedom. Below 4 runs nothing is
trimmed and the IQM is the mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["STATISTICS", "Estimate", "Statistic", "estimate", "residuals"]

Statistic = Literal["mean", "iqm"]
#: The statistics a curve can show at each x.
STATISTICS: tuple[Statistic, ...] = ("mean", "iqm")
#: The share of runs the IQM sets aside on each side.
_TRIM = 0.25

Estimate = tuple[
    "NDArray[np.float64]", "NDArray[np.int64]", "NDArray[np.float64]", "NDArray[np.int64]"
]


def _winsorized(
    values: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """The trimmed mean, the winsorized values (NaN kept), n and g at each x."""
    import numpy as np

    finite = np.isfinite(values)
    n = finite.sum(axis=-2)
    g = np.floor(_TRIM * n).astype(np.int64)
    ordered = np.sort(np.where(finite, values, np.inf), axis=-2)
    rank = np.arange(values.shape[-2]).reshape(-1, 1)
    keep = (rank >= np.expand_dims(g, -2)) & (rank < np.expand_dims(n - g, -2))
    with np.errstate(invalid="ignore", divide="ignore"):
        trimmed = np.where(keep, ordered, 0.0).sum(axis=-2) / (n - 2 * g)
    last = values.shape[-2] - 1
    low = np.take_along_axis(ordered, np.expand_dims(np.clip(g, 0, last), -2), axis=-2)
    high = np.take_along_axis(ordered, np.expand_dims(np.clip(n - g - 1, 0, last), -2), axis=-2)
    winsorized = np.where(finite, np.clip(values, low, high), np.nan)
    return trimmed, winsorized, n, g


def estimate(values: NDArray[np.float64], statistic: Statistic) -> Estimate:
    """The statistic, the count, the standard error and the t degrees of freedom at each x."""
    import numpy as np

    if statistic == "iqm":
        trimmed, winsorized, n, g = _winsorized(values)
        _, _, spread = _mean(winsorized)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = spread / (1.0 - 2.0 * g / n)
        return trimmed, n.astype(np.int64), se, (n - 2 * g - 1).astype(np.int64)
    mean, n, se = _mean(values)
    return mean, n, se, n - 1


def residuals(values: NDArray[np.float64], statistic: Statistic) -> NDArray[np.float64]:
    """Each run's deviation at each x that drives the statistic's error (NaN where none).

    The mean's: the value less the mean. The IQM's: the winsorized value
    less the winsorized mean (the trimmed mean's influence, up to a factor).
    """
    import numpy as np

    if statistic == "iqm":
        values = _winsorized(values)[1]
    mean = _mean(values)[0]
    return np.asarray(values - np.expand_dims(mean, -2), dtype=np.float64)


def _mean(
    values: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Mean, count and standard error over axis -2 (runs), ignoring NaN."""
    import numpy as np

    finite = np.isfinite(values)
    n = finite.sum(axis=-2)
    filled = np.where(finite, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=-2) / n
        centred = np.where(finite, values - np.expand_dims(mean, -2), 0.0)
        var = (centred**2).sum(axis=-2) / (n - 1)
        se = np.sqrt(var / n)
    return mean, n.astype(np.int64), se
