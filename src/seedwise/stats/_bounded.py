"""The mean of values in a known range, when the runs fall in separate clusters.

Seed results often have two shapes at once: most runs train, a few diverge
(accuracy 0.9 for most seeds, chance level for one in five). The t and
bootstrap-t intervals of such a sample are wide and unstable (the bootstrap-t
reaches past [0, 1] by a factor of ten at 5 runs), because the mean depends
on how often the rare cluster turns up, which a few runs pin down only
loosely. Where the range of the values is known (declared, or plain from
the metric: ``_range.plain_range``), the betting interval of Waudby-Smith and
Ramdas (2023, "Estimating means of bounded random variables by betting",
JRSS-B, hedged capital with the predictable plug-in bets of their eq. 26 and
Theorem 3) holds its level for every distribution in the range, whatever its
shape, and is narrow when the spread is small: it is what such a sample can
honestly say. ``looks_mixed`` is the rule that says when a sample is such.

No interval can cover a mean whose rare cluster a sample does not contain:
with a failure rate of 1 in 5, 10 runs miss it with probability 0.8**10 =
11%, and no rule that leaves such clean-looking samples at their own spread
covers more than 89% at 10 runs (docs/statistics.md, table 7).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "MIXED_MIN_N",
    "RARE_MODE",
    "SEEN",
    "SEE_RUNS",
    "betting_interval",
    "looks_mixed",
    "orders_apart",
]

#: A failure mode this common (one run in five diverges) ...
RARE_MODE = 0.2
#: ... is seen with this probability by ``SEE_RUNS`` runs: the runs a stopping
#: rule waits for and a plan asks for at least, before a small spread is
#: believed (``sequential``, ``power``).
SEEN = 0.975
#: ``ceil(log(1 - SEEN) / log(1 - RARE_MODE))``: 17 runs, which see it with probability 97.7%.
SEE_RUNS = math.ceil(math.log(1.0 - SEEN) / math.log(1.0 - RARE_MODE))

#: Fewer runs than this that fall in separate clusters give no interval of
#: the mean: one run in the far cluster of 5 stands for a rate anywhere from
#: 0.5% to 72% (Clopper-Pearson), so the mean is not pinned down.
MIXED_MIN_N = 10

# A gap between clusters counts when it is at least this share of the range
# and this many times the spread inside the clusters.
_GAP_OF_RANGE = 0.25
_GAP_OF_SPREAD = 8.0

# Positive values with no upper bound are clusters when the gap between
# them, on the log scale, is at least one order of magnitude.
_GAP_OF_ORDERS = 1.0

# Candidate means per unit of the range, and the bets' truncation (WSR: c).
_GRID = 4_000
_TRUNCATE = 0.5


def looks_mixed(x: NDArray[np.float64], low: float, high: float) -> tuple[int, float] | None:
    """Whether the values fall in two clusters: ``(runs in the smaller, the gap)``, or None.

    The values are split at their largest gap. They are mixed when that gap
    is at least a quarter of the range ``[low, high]`` and eight times the
    larger standard deviation of the two clusters (a cluster of one value has
    none): a diverged run at chance level beside trained runs, not the tail
    of one spread.

    Args:
        x: Finite values, at least 2.
        low: The lowest value the metric can take.
        high: The highest.
    """
    return _clusters(x, _GAP_OF_RANGE * (high - low))


def orders_apart(x: NDArray[np.float64]) -> tuple[int, float] | None:
    """Whether positive values fall in two clusters orders of magnitude apart, or None.

    :func:`looks_mixed` on the base-10 logarithms, with a gap of at least
    one order of magnitude: a loss that diverged to 0.1 beside runs at
    1e-4. Returns ``(runs in the smaller cluster, the gap in orders of
    magnitude)``.

    Args:
        x: Finite values above 0, at least 2.
    """
    import numpy as np

    return _clusters(np.log10(x), _GAP_OF_ORDERS)


def _clusters(x: NDArray[np.float64], min_gap: float) -> tuple[int, float] | None:
    import numpy as np

    ordered = np.sort(x)
    gaps = np.diff(ordered)
    if gaps.shape[0] == 0:
        return None
    cut = int(np.argmax(gaps))
    gap = float(gaps[cut])
    below, above = ordered[: cut + 1], ordered[cut + 1 :]
    spread = max(
        float(np.std(part, ddof=1)) if part.shape[0] > 1 else 0.0 for part in (below, above)
    )
    if gap < min_gap or gap < _GAP_OF_SPREAD * spread:
        return None
    return min(below.shape[0], above.shape[0]), gap


def betting_interval(
    x: NDArray[np.float64], low: float, high: float, confidence: float
) -> tuple[float, float]:
    """The hedged-capital betting interval of the mean of values in ``[low, high]``.

    For each candidate mean ``m`` (a grid of 4,000 per range, bounds rounded
    outwards), two gamblers bet on the runs in their order, one that the mean
    is above ``m``, one below, each with the predictable plug-in bet
    ``sqrt(2 log(2 / alpha) / (n var_{i-1}))`` capped at ``1/2`` of what the
    range allows; ``m`` is kept while half the sum of their capitals stays
    below ``1 / alpha`` at every run (Ville's inequality: the interval holds
    its level at every n at once, for every distribution in the range).

    Args:
        x: Finite values inside ``[low, high]``.
        low: The lowest value the metric can take.
        high: The highest, above ``low``.
        confidence: The confidence level.

    Returns:
        The bounds, inside ``[low, high]``.
    """
    import numpy as np

    width = high - low
    y = np.clip((x - low) / width, 0.0, 1.0)
    n = y.shape[0]
    alpha = 1.0 - confidence
    steps = np.arange(1, n + 1)
    mean_so_far = (0.5 + np.cumsum(y)) / (steps + 1)
    var_so_far = (0.25 + np.cumsum((y - mean_so_far) ** 2)) / (steps + 1)
    # The bet on run i uses the runs before it only.
    previous = np.concatenate(([0.25], var_so_far[:-1]))
    bet = np.sqrt(2.0 * math.log(2.0 / alpha) / (n * previous))
    m = (np.arange(_GRID + 1) / _GRID)[:, None]
    with np.errstate(divide="ignore"):
        up = np.minimum(bet, _TRUNCATE / m)
        down = np.minimum(bet, _TRUNCATE / (1.0 - m))
    capital_up = np.cumprod(1.0 + up * (y - m), axis=1)
    capital_down = np.cumprod(1.0 - down * (y - m), axis=1)
    hedged = np.max(0.5 * capital_up + 0.5 * capital_down, axis=1)
    kept = np.flatnonzero(hedged < 1.0 / alpha)
    if kept.shape[0] == 0:
        kept = np.array([int(np.argmin(hedged))])
    first = max(int(kept[0]) - 1, 0)
    last = min(int(kept[-1]) + 1, _GRID)
    return low + width * first / _GRID, low + width * last / _GRID
