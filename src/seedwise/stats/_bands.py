"""Simultaneous bands over a curve: the mean of runs at every x, covered at once.

A pointwise 95% interval at each of 50 x values misses the true curve
somewhere far more often than 5% of the time. A simultaneous band widens
every interval by one critical value ``c``, chosen so that the whole true
curve lies inside ``mean(x) +/- c * se(x)`` with 95% probability. Here ``c``
is the larger of two values:

- the studentized bootstrap max-t: the 95% quantile over resamples of runs
  of ``max_x |mean*(x) - mean(x)| / max(se*(x), 0.3 se(x))`` (each
  resample's own standard error, which gives the heavy tail the
  t-distribution has at few runs; the floor keeps the few resamples that
  repeat two or three runs, whose spread is near 0 somewhere by chance, from
  setting the quantile: without it the band at 5 runs was 50 to 110 times
  as wide as the pointwise interval);
- the max-t of a Gaussian process with the runs' correlation across x,
  scaled to Student's t with ``n - 1`` degrees of freedom.

The bootstrap's quantile is taken at ``1 - (1 - level) / 2``: where seed
effects are skewed (a rare seed does much better or worse), a sample that
missed the rare seed shows a small spread and a mean far from the truth,
and the quantile at the nominal level covered the whole curve in only 89%
of simulated studies at 5 runs and 92% at 30. Below 10 runs, where the
bootstrap has few distinct resamples, ``c`` is also at least the Bonferroni
t quantile over the grid at that half error, ``t(1 - (1 - level) / (4 m),
n - 1)``, ``m`` the usable points but at most 50: more points than that are
never independent at few runs, and the two parts above, which see the
correlation, take over where per-step noise makes many points independent.
The coverage of the entire curve was measured by simulation
(``benchmarks/sim_curves.py``, docs/curves.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.stats._pointwise import Estimate, Statistic, estimate, residuals

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

#: One sample of runs x points, or two (baseline, other) for an unpaired difference.
Samples = tuple["NDArray[np.float64]", ...]

__all__ = ["BAND_METHOD", "BAND_MIN_RUNS", "Band", "simultaneous_band"]

#: The fewest runs at an x for a band there (and for a pointwise interval).
BAND_MIN_RUNS = 3
#: Below this many runs the band is at least the Bonferroni t band (at half the error).
_SMALL = 10
#: The most grid points the Bonferroni floor counts.
_BONFERRONI_POINTS = 50
#: The floor of a resample's standard error, as a share of the sample's.
_SE_FLOOR = 0.3
#: Resamples are drawn in chunks of this many, to bound memory at long curves.
_CHUNK = 200
#: The most resampled values held at once (each resample holds runs x points of them).
_VALUES_AT_ONCE = 2_000_000

BAND_METHOD = (
    "simultaneous: mean +/- c * se, c the largest of the studentized bootstrap max-t over "
    "runs at half the error (se floored at 0.3 se), the Gaussian max-t with t(n - 1) tails, "
    "and below 10 runs the Bonferroni t over the grid at half the error"
)


@dataclass(frozen=True)
class Band:
    """The mean curve with its pointwise intervals and its simultaneous band.

    Attributes:
        mean: The mean of the runs' finite values at each x (NaN where none).
        n: The number of runs with a finite value at each x.
        se: The standard error of the mean at each x.
        low, high: The pointwise t-interval at each x (NaN below 3 runs).
        band_low, band_high: The simultaneous band (NaN below 3 runs).
        critical: The band's critical value ``c`` (NaN when there is no band).
        level: The confidence level.
    """

    mean: NDArray[np.float64]
    n: NDArray[np.int64]
    se: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    band_low: NDArray[np.float64]
    band_high: NDArray[np.float64]
    critical: float
    level: float


def _max_t(
    mean_star: NDArray[np.float64],
    se_star: NDArray[np.float64],
    mean: NDArray[np.float64],
    usable: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """``max_x |mean* - mean| / se*`` per resample (inf where it moved with no spread)."""
    import numpy as np

    shift = np.abs(mean_star - mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(se_star > 0, shift / se_star, np.where(shift > 0, np.inf, 0.0))
    t = np.where(usable & np.isfinite(mean_star), t, 0.0)
    return np.asarray(t.max(axis=-1), dtype=np.float64)


def _combined(samples: Samples, statistic: Statistic) -> Estimate:
    """The statistic of one sample, or the difference ``second - first`` of two unpaired ones.

    The difference's standard error is the root of the sum of squares, its
    count and degrees of freedom the smaller side's (a conservative Welch).
    """
    import numpy as np

    parts = [estimate(values, statistic) for values in samples]
    if len(parts) == 1:
        return parts[0]
    (est_a, n_a, se_a, df_a), (est_b, n_b, se_b, df_b) = parts
    return est_b - est_a, np.minimum(n_a, n_b), np.hypot(se_a, se_b), np.minimum(df_a, df_b)


def _bootstrap_critical(
    samples: Samples,
    usable: NDArray[np.bool_],
    level: float,
    n_resamples: int,
    rng: np.random.Generator,
    statistic: Statistic = "mean",
) -> float:
    """The studentized bootstrap quantile of the max-t over the usable x.

    Two samples (an unpaired difference) are resampled apart, each from its own runs.
    """
    import numpy as np

    mean, _, se, _ = _combined(samples, statistic)
    floor = _SE_FLOOR * se
    maxima = []
    # Resamples of (runs x points) values each: about 2 million values (16 MB) at a time.
    size_all = sum(values.size for values in samples)
    chunk = max(1, min(_CHUNK, _VALUES_AT_ONCE // size_all))
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        drawn = tuple(
            values[rng.integers(0, values.shape[0], size=(size, values.shape[0]))]
            for values in samples
        )
        mean_star, _, se_star, _ = _combined(drawn, statistic)
        # A resample that drew one run at an x has no spread there: the floor stands in.
        se_star = np.where(np.isfinite(se_star), np.maximum(se_star, floor), floor)
        maxima.append(_max_t(mean_star, se_star, mean, usable))
    return float(np.quantile(np.concatenate(maxima), level, method="higher"))


def _gaussian_critical(
    samples: Samples,
    usable: NDArray[np.bool_],
    level: float,
    n_resamples: int,
    rng: np.random.Generator,
    statistic: Statistic = "mean",
) -> float:
    """The quantile of ``max_x |Z(x)| / S``: Z Gaussian, S ~ chi(df) / sqrt(df).

    The correlation comes from the runs' residuals at the usable x (the
    statistic's: winsorized for the IQM; runs missing at an x contribute 0
    there), so Z is drawn as a Gaussian combination of the runs' residual
    curves, each sample's weighted by its share of the standard error.
    """
    import numpy as np

    _, _, se, df_all = _combined(samples, statistic)
    scaled = []
    for values in samples:
        own_se = estimate(values, statistic)[2]
        found = residuals(values, statistic)
        kept = np.isfinite(found) & usable
        norm = np.sqrt((np.where(kept, found, 0.0) ** 2).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = own_se / se if len(samples) > 1 else np.ones_like(se)
            scaled.append(np.where(kept & (norm > 0), found / norm * share, 0.0))
    df = max(int(df_all[usable].min()), 1)
    maxima = []
    for start in range(0, n_resamples, _CHUNK):
        size = min(_CHUNK, n_resamples - start)
        z = sum(rng.standard_normal((size, part.shape[0])) @ part for part in scaled)
        chi = np.sqrt(rng.chisquare(df, size=size) / df)
        maxima.append(np.abs(np.asarray(z))[:, usable].max(axis=1) / chi)
    return float(np.quantile(np.concatenate(maxima), level, method="higher"))


def _bonferroni_critical(
    n: NDArray[np.int64], df: NDArray[np.int64], usable: NDArray[np.bool_], level: float
) -> float:
    """Below 10 runs: the t quantile that holds each of (at most 50) points at half the error.

    0 from 10 runs on, where the bootstrap alone holds the level.
    """
    import numpy as np
    from scipy.special import stdtrit

    if int(n[usable].min()) >= _SMALL:
        return 0.0
    points = min(int(np.count_nonzero(usable)), _BONFERRONI_POINTS)
    return float(stdtrit(max(int(df[usable].min()), 1), 1 - (1 - level) / (4 * points)))


def simultaneous_band(
    values: NDArray[np.float64],
    *,
    statistic: Statistic = "mean",
    baseline: NDArray[np.float64] | None = None,
    level: float = 0.95,
    n_resamples: int = 2_000,
    rng: np.random.Generator,
) -> Band:
    """The statistic of ``values`` (runs x points), its pointwise intervals and simultaneous band.

    NaN marks a run with no value at a point (it ended before, or diverged).
    Points with fewer than :data:`BAND_MIN_RUNS` runs get no interval.

    Args:
        values: One row per run, one column per point of the grid.
        statistic: ``"mean"`` or ``"iqm"`` (:mod:`seedwise.stats._pointwise`).
        baseline: Another study's runs on the same grid, not paired with
            ``values``: the band is then of the difference ``statistic(values)
            - statistic(baseline)``, each side resampled from its own runs.
        level: The confidence level of the intervals and of the band.
        n_resamples: Resamples of each of the two critical values.
        rng: The generator of the resamples.

    Returns:
        The :class:`Band` (``n``: the smaller side's runs, for a difference).
    """
    import numpy as np
    from scipy.special import stdtrit

    values = np.asarray(values, dtype=np.float64)
    samples: Samples = (
        (values,) if baseline is None else (np.asarray(baseline, dtype=np.float64), values)
    )
    mean, n, se, df = _combined(samples, statistic)
    usable = (n >= BAND_MIN_RUNS) & np.isfinite(se)
    nan = np.full(mean.shape, np.nan)
    if not usable.any():
        return Band(mean, n, se, nan, nan.copy(), nan.copy(), nan.copy(), math.nan, level)
    with np.errstate(invalid="ignore"):
        pointwise = stdtrit(np.maximum(df, 1), 0.5 + level / 2)
    pointwise = np.where(usable, pointwise, np.nan)
    if np.all(se[usable] == 0):
        critical = 0.0
    else:
        half_error = 1 - (1 - level) / 2
        critical = max(
            _bootstrap_critical(samples, usable, half_error, n_resamples, rng, statistic),
            _gaussian_critical(samples, usable, level, n_resamples, rng, statistic),
            float(np.nanmax(pointwise)),
            _bonferroni_critical(n, df, usable, level),
        )
    half = np.where(usable, pointwise * se, np.nan)
    band_half = np.where(usable, critical * se, np.nan)
    return Band(
        mean=mean,
        n=n,
        se=se,
        low=mean - half,
        high=mean + half,
        band_low=mean - band_half,
        band_high=mean + band_half,
        critical=critical,
        level=level,
    )
