"""Effect sizes of B against A, vectorised so that the bootstrap can resample them.

Every function takes samples ``a`` and ``b`` whose last axis holds the runs
(leading axes index resamples and broadcast against each other) and returns
one value per leading index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "cliffs_delta",
    "hedges_g",
    "hedges_g_of_moments",
    "paired_g_of_moments",
    "paired_hedges_g",
    "paired_probability_greater",
    "probability_greater",
]


def hedges_g(a: NDArray[np.float64], b: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
    """Hedges' g: ``(mean(b) - mean(a)) / pooled std``, corrected for small-sample bias.

    The pooled standard deviation is ``sqrt(((n_a - 1) s_a^2 + (n_b - 1) s_b^2)
    / (n_a + n_b - 2))``, the correction the exact factor ``J(df) =
    Gamma(df / 2) / (sqrt(df / 2) Gamma((df - 1) / 2))`` with ``df = n_a + n_b
    - 2`` (Hedges 1981). With zero pooled spread the result is inf or NaN.
    """
    import numpy as np

    a, b = np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)
    return hedges_g_of_moments(
        (np.mean(a, axis=-1), np.var(a, axis=-1, ddof=1), a.shape[-1]),
        (np.mean(b, axis=-1), np.var(b, axis=-1, ddof=1), b.shape[-1]),
    )


def hedges_g_of_moments(
    a: tuple[NDArray[np.float64], NDArray[np.float64], int],
    b: tuple[NDArray[np.float64], NDArray[np.float64], int],
) -> NDArray[np.float64]:
    """:func:`hedges_g` from each sample's ``(mean, variance with ddof 1, n)``.

    What the bootstrap of g computes from the moments of resamples, drawn
    once for every pair a sample is in.
    """
    import numpy as np

    (mean_a, var_a, n_a), (mean_b, var_b, n_b) = a, b
    df = n_a + n_b - 2
    pooled = ((n_a - 1) * var_a + (n_b - 1) * var_b) / df
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (mean_b - mean_a) / np.sqrt(pooled)
    return g * _correction(df)


def _correction(df: int) -> float:
    """Hedges' exact small-sample factor ``J(df)``."""
    import numpy as np
    from scipy.special import gammaln

    return float(np.exp(gammaln(df / 2) - 0.5 * np.log(df / 2) - gammaln((df - 1) / 2)))


def paired_hedges_g(
    a: NDArray[np.float64], b: NDArray[np.float64], axis: int = -1
) -> NDArray[np.float64]:
    """Paired Hedges' g (g_z): ``mean(d) / std(d, ddof=1)`` with ``d = b - a``, bias-corrected.

    ``sqrt(n) mean(d) / std(d)`` follows a noncentral t with ``n - 1`` df on
    normal differences, so the exact factor ``J(n - 1)`` (see :func:`hedges_g`)
    makes it unbiased for ``(mu_b - mu_a) / sigma_d`` whatever the correlation
    between A and B. With zero spread of the differences the result is inf or NaN.
    """
    import numpy as np

    d = np.moveaxis(b - a, axis, -1)
    return paired_g_of_moments(np.mean(d, axis=-1), np.var(d, axis=-1, ddof=1), d.shape[-1])


def paired_g_of_moments(
    mean: NDArray[np.float64], variance: NDArray[np.float64], n: int
) -> NDArray[np.float64]:
    """:func:`paired_hedges_g` from the differences' mean, variance (ddof 1) and count."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        g = mean / np.sqrt(variance)
    return g * _correction(n - 1)


def probability_greater(
    a: NDArray[np.float64], b: NDArray[np.float64], axis: int = -1
) -> NDArray[np.float64]:
    """``P(B > A) + P(B = A) / 2`` for a random run of each: B's Mann-Whitney U / (n_a n_b).

    Computed from the ranks of the pooled sample (mid-ranks for ties), so it
    costs ``O(n log n)`` rather than ``O(n_a n_b)``.
    """
    import numpy as np
    from scipy import stats

    a, b = np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)
    a, b = _broadcast_leading(a, b)
    n_a, n_b = a.shape[-1], b.shape[-1]
    ranks = stats.rankdata(np.concatenate([a, b], axis=-1), axis=-1)
    u_b = ranks[..., n_a:].sum(axis=-1) - n_b * (n_b + 1) / 2.0
    return u_b / (n_a * n_b)  # type: ignore[no-any-return]


def cliffs_delta(
    a: NDArray[np.float64], b: NDArray[np.float64], axis: int = -1
) -> NDArray[np.float64]:
    """Cliff's delta ``P(B > A) - P(B < A)``, in [-1, 1]; 0 means neither dominates."""
    return 2.0 * probability_greater(a, b, axis=axis) - 1.0


def paired_probability_greater(
    a: NDArray[np.float64], b: NDArray[np.float64], axis: int = -1
) -> NDArray[np.float64]:
    """``P(B > A) + P(B = A) / 2`` over pairs: the share of seeds on which B's run is larger."""
    import numpy as np

    greater = np.mean(b > a, axis=axis)
    ties = np.mean(b == a, axis=axis)
    return greater + 0.5 * ties  # type: ignore[no-any-return]


def _broadcast_leading(
    a: NDArray[np.float64], b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    import numpy as np

    leading = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    return (
        np.broadcast_to(a, (*leading, a.shape[-1])),
        np.broadcast_to(b, (*leading, b.shape[-1])),
    )
