"""The run profile's band and the probability of improvement's interval, across tasks.

Both statistics are fractions in [0, 1] of few runs on each task, and the
percentile intervals of the stratified bootstrap (rliable's) undercover
them: at 3 runs x 5 tasks the pointwise band holds the true profile at a
threshold in the tail 6% of the time, where a task's runs all fall on one
side of it and its bootstrap has no spread, and the probability of
improvement's interval 83% where one algorithm is far ahead.
``benchmarks/sim_aggregate.py`` measures both (docs/tasks.md).

- The run profile at a threshold counts the runs above it. With n runs on
  each of T tasks, that count is a sum of Tn independent draws of unequal
  rates, and such a sum is less spread in its tails than the binomial of
  the same mean (Hoeffding 1956). :func:`profile_band` is the
  Clopper-Pearson interval of that binomial, at each threshold; over
  unequal counts its size is the effective number of runs
  ``T**2 / sum(1 / n_t)``. It holds at each threshold, not at all at once.
- The probability of improvement of one task, the share of (x, y) run
  pairs that x wins, has a variance of at most ``p (1 - p) / min(n, m)``
  (Birnbaum and McCarty 1958), and the average over tasks, by concavity,
  at most ``p (1 - p) / (T min(n, m))`` with equal counts: the Wilson
  score interval at that effective size. It holds where the bootstrap has
  no spread (every run of x above every run of y); elsewhere it is wide,
  and the percentile interval, widened as the mean's is by
  ``sqrt(n / (n - 1)) t(df) / z``, is the tighter. :func:`improvement_bounds`
  is the hull of the two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["effective_runs", "improvement_bounds", "profile_band", "wilson"]


def effective_runs(counts: NDArray[np.int64]) -> float:
    """``T**2 / sum(1 / n_t)``: the runs of a binomial as spread as the task-weighted share."""
    import numpy as np

    return float(counts.size**2 / np.sum(1.0 / counts.astype(np.float64)))


def profile_band(
    fraction: NDArray[np.float64], counts: NDArray[np.int64], confidence: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The Clopper-Pearson bounds of each share at the effective number of runs.

    Args:
        fraction: The run profile (the share of runs above each threshold).
        counts: Each task's runs.
        confidence: The level of each threshold's interval.

    Returns:
        The lower and upper bounds at each threshold.
    """
    import numpy as np
    from scipy import special

    size = effective_runs(counts)
    tail = (1.0 - confidence) / 2
    above = np.clip(np.asarray(fraction, dtype=np.float64), 0.0, 1.0) * size
    # A share of 0 (or 1) has no lower (upper) tail: its bound is the end itself.
    with np.errstate(invalid="ignore"):
        low = special.betaincinv(np.maximum(above, 1e-300), size - above + 1.0, tail)
        high = special.betaincinv(above + 1.0, np.maximum(size - above, 1e-300), 1.0 - tail)
    low = np.where(above > 0, low, 0.0)
    high = np.where(above < size, high, 1.0)
    return np.minimum(low, fraction), np.maximum(high, fraction)


def wilson(share: float, size: float, confidence: float) -> tuple[float, float]:
    """The Wilson score interval of a share at ``size`` draws (``size`` need not be whole)."""
    import math

    from scipy import special

    z = float(special.ndtri(0.5 + confidence / 2))
    spread = z * z / size
    centre = (share + spread / 2) / (1 + spread)
    reach = z * math.sqrt(share * (1 - share) / size + spread / (4 * size)) / (1 + spread)
    return max(0.0, centre - reach), min(1.0, centre + reach)


def improvement_bounds(
    estimate: float,
    boot: NDArray[np.float64],
    counts_x: NDArray[np.int64],
    counts_y: NDArray[np.int64],
    confidence: float,
) -> tuple[float, float]:
    """The hull of the widened percentile interval and the Wilson interval (see the module).

    Args:
        estimate: The average probability of improvement.
        boot: Its resampled values (the runs of x and y resampled apart).
        counts_x: x's runs on each task.
        counts_y: y's runs on each task.
        confidence: The level.
    """
    import math

    import numpy as np
    from scipy import special

    tail = (1.0 - confidence) / 2
    low, high = (float(v) for v in np.quantile(boot, [tail, 1.0 - tail]))
    fewer = np.minimum(counts_x, counts_y)
    usable = fewer[fewer > 1]
    widen = 1.0
    if usable.size:
        smallest = float(usable.min())
        df = float((usable - 1).sum())
        z = float(special.ndtri(1.0 - tail))
        widen = math.sqrt(smallest / (smallest - 1.0)) * float(special.stdtrit(df, 1.0 - tail)) / z
    low = estimate - widen * max(estimate - low, 0.0)
    high = estimate + widen * max(high - estimate, 0.0)
    below, above = wilson(estimate, effective_runs(fewer), confidence)
    return max(0.0, min(low, below)), min(1.0, max(high, above))
