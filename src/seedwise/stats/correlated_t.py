"""The Bayesian correlated t-test, for runs that share cross-validation folds or resampled splits.

When each run is one fold of a cross-validation (or one random train/test
split of the same data), the two studies' per-run differences are
correlated through their overlapping training sets, with a correlation
``rho`` that the runs cannot estimate themselves. Corani and Benavoli
(2015) take the Nadeau-Bengio (2003) value, ``rho = n_test / (n_test +
n_train)`` (``1 / k`` for the ``k`` folds of a k-fold cross-validation),
and a non-informative Normal-Gamma prior; the posterior of the mean
difference is then a Student t with ``n - 1`` degrees of freedom around the
mean of the ``n`` differences, with the squared scale

    ``(1 / n + rho / (1 - rho)) * s^2``

where ``s^2`` is the differences' sample variance. This is baycomp's
``CorrelatedTTest``, whose ``runs`` argument (``r`` repetitions of a
``k``-fold cross-validation, ``n = r * k``) is ``rho = 1 / k`` here. The
probabilities come from the Student t's distribution function, so they carry
no Monte Carlo error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats._format import format_number

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["CORRELATED_PRIOR", "CorrelatedPosterior", "check_rho", "correlated_posterior"]

#: The prior of the correlated t-test, as the output states it.
CORRELATED_PRIOR = (
    "non-informative Normal-Gamma on normal differences correlated by rho (baycomp's)"
)

#: Differences whose range is below this share of their size are taken as all equal.
_EQUAL = 1e-12


@dataclass(frozen=True)
class CorrelatedPosterior:
    """The Student posterior of the mean difference, or why there is none.

    Attributes:
        mean: The mean of the differences (B's improvement over A).
        scale: The posterior's scale, ``sqrt((1 / n + rho / (1 - rho)) s^2)``.
        df: Its degrees of freedom, ``n - 1``.
        probabilities: P(A better), P(equivalent), P(B better) by more than
            the ROPE, or None with ``reason``.
        reason: Why no probability is given, or None.
    """

    mean: float
    scale: float
    df: int
    probabilities: tuple[float, float, float] | None
    reason: str | None = None


def check_rho(rho: object) -> float:
    """``rho`` as a float in ``[0, 1)``.

    Raises:
        UsageError: Not a number in ``[0, 1)``.
    """
    if (
        isinstance(rho, bool)
        or not isinstance(rho, (int, float))
        or not (math.isfinite(rho) and 0.0 <= rho < 1.0)
    ):
        raise UsageError(
            "rho is the correlation of runs that share training data, in [0, 1). Received: "
            f"rho={rho!r}; expected e.g. 0.1 for 10 folds (1/k), or n_test/(n_test+n_train)"
        )
    return float(rho)


def correlated_posterior(
    improvement: NDArray[np.float64], rope: float, rho: float
) -> CorrelatedPosterior:
    """The correlated t-test's posterior of B's mean improvement, and its three probabilities.

    Equivalent to ``baycomp.CorrelatedTTest.probs(a, b, rope, runs=r)`` with
    ``improvement = b - a`` (higher is better) and ``rho = 1 / k`` for ``r``
    repetitions of ``k`` folds (baycomp's order is P(A better), P(rope),
    P(B better)). baycomp answers differences that all agree with a point
    mass (probabilities of 0 and 1); here they have no posterior: the data
    hold no spread from which the posterior's width could come.

    Args:
        improvement: B's improvement over A on each fold (signed so that
            above 0 is better), at least 2 values.
        rope: The ROPE's half-width, at least 0.
        rho: The correlation of the folds, in ``[0, 1)`` (see :func:`check_rho`).

    Returns:
        The ``CorrelatedPosterior``: no probabilities, with a reason, for
        fewer than 2 folds or differences that are all equal.
    """
    import numpy as np
    from scipy import stats

    n = int(improvement.shape[0])
    if n < 2:
        return CorrelatedPosterior(
            float(improvement.mean()) if n else math.nan, math.nan, max(n - 1, 0), None,
            f"{n} fold{'' if n == 1 else 's'} with a finite difference; the correlated t needs 2",
        )  # fmt: skip
    mean = float(np.mean(improvement))
    spread = float(np.ptp(improvement))
    if spread <= _EQUAL * max(float(np.max(np.abs(improvement))), math.ulp(1.0)):
        return CorrelatedPosterior(
            mean, 0.0, n - 1, None,
            f"the {n} differences are all {format_number(mean)}: no spread, so no posterior "
            "width (a point mass would claim certainty from identical folds)",
        )  # fmt: skip
    scale = math.sqrt((1.0 / n + rho / (1.0 - rho)) * float(np.var(improvement, ddof=1)))
    behind = float(stats.t.cdf(-rope, n - 1, mean, scale))
    ahead = float(stats.t.sf(rope, n - 1, mean, scale))
    return CorrelatedPosterior(mean, scale, n - 1, (behind, 1.0 - behind - ahead, ahead))
