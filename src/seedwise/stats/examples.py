"""Per-example results: one interval over seeds and test examples, and McNemar per seed.

A test set is a sample of examples as the seeds are a sample of runs, and an
interval over seeds alone leaves its variance out. Given each run's result
on each of the same test examples (a runs x examples matrix of 0/1
correctness or of losses), :func:`two_level_interval` resamples both: the
runs with replacement, and the examples with replacement, one set of
examples for every run of a resample (the examples are shared, crossed with
the seeds), and gives the percentile interval of the grand mean. Its
coverage was measured by simulation (``benchmarks/sim_examples.py``,
docs/statistics.md).

:func:`mcnemar_per_seed` tests, seed by seed, whether A and B are right on
different examples more often one way than the other: the exact McNemar
test (a two-sided binomial test of the discordant counts), as mlxtend's
``mcnemar(table, exact=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats._data import check_level, check_positive_int, generator, root_seed
from seedwise.stats._intervals import Interval

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["McNemar", "mcnemar_per_seed", "two_level_difference", "two_level_interval"]


def _matrix(values: ArrayLike, name: str) -> NDArray[np.float64]:
    import numpy as np

    matrix = np.asarray(values, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] < 2 or matrix.shape[1] < 2:
        raise UsageError(
            f"{name} is one row per run and one column per test example. Received: shape "
            f"{matrix.shape}; expected at least 2 runs x 2 examples"
        )
    if not np.isfinite(matrix).all():
        raise UsageError(
            f"{name} has non-finite values. Received: {int((~np.isfinite(matrix)).sum())} "
            "NaN or inf; expected finite results for every run and example"
        )
    return matrix


def two_level_interval(
    results: ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | np.random.Generator = 0,
) -> Interval:
    """The interval of the mean result over seeds and test examples, both resampled.

    Args:
        results: One row per run (seed), one column per test example, the
            same examples in every row: 0/1 correctness, or losses.
        confidence: The interval's level.
        n_resamples: Bootstrap resamples.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.

    Returns:
        The percentile ``Interval`` of the grand mean.

    Raises:
        UsageError: Not a runs x examples matrix of finite values, a bad level.
    """
    import numpy as np

    matrix = _matrix(results, "results")
    confidence = check_level(confidence, name="confidence")
    check_positive_int(n_resamples, name="n_resamples", minimum=100)
    root = root_seed(seed)
    runs, examples = matrix.shape
    # Resample counts, not indices: the mean of a resample is rows' counts x matrix x columns'.
    row_counts = generator(root, "examples", "runs").multinomial(
        runs, np.full(runs, 1.0 / runs), n_resamples
    )
    column_counts = generator(root, "examples", "examples").multinomial(
        examples, np.full(examples, 1.0 / examples), n_resamples
    )
    means = np.einsum("br,re,be->b", row_counts, matrix, column_counts, optimize=True)
    means /= runs * examples
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    method = f"two-level percentile bootstrap ({runs} seeds x {examples} examples)"
    return Interval(float(low), float(high), confidence, method, runs)


def two_level_difference(
    results_a: ArrayLike,
    results_b: ArrayLike,
    *,
    paired: bool,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | np.random.Generator = 0,
) -> Interval:
    """The interval of ``mean(B) - mean(A)`` over seeds and test examples, both resampled.

    The examples are the same for A and B (the columns), so one resample of
    them serves both: what the test set does to A and to B moves together
    and cancels in the difference as far as it does in truth. Paired (row
    ``i`` of A and of B ran on the same seed), one resample of the rows
    serves both too, which is :func:`two_level_interval` of ``B - A``;
    unpaired, the rows of A and of B are resampled apart.

    Args:
        results_a, results_b: One row per run, one column per test example,
            the same examples (columns) in both; the same seeds (rows) when paired.
        paired: Whether row ``i`` of A and of B share their seed.
        confidence: The interval's level.
        n_resamples: Bootstrap resamples.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.

    Returns:
        The percentile ``Interval`` of the difference of the grand means.

    Raises:
        UsageError: Matrices whose examples (or, paired, seeds) differ in
            number, non-finite values, a bad level.
    """
    import numpy as np

    a, b = _matrix(results_a, "results_a"), _matrix(results_b, "results_b")
    if a.shape[1] != b.shape[1] or (paired and a.shape[0] != b.shape[0]):
        raise UsageError(
            "A and B must hold the same examples (columns), and paired the same seeds (rows). "
            f"Received: shapes {a.shape} and {b.shape}; expected "
            f"{'equal shapes' if paired else 'as many columns'}"
        )
    if paired:
        found = two_level_interval(b - a, confidence=confidence, n_resamples=n_resamples, seed=seed)
        method = (
            f"paired two-level percentile bootstrap ({a.shape[0]} seeds x {a.shape[1]} examples)"
        )
        return Interval(found.low, found.high, found.confidence, method, found.n)
    confidence = check_level(confidence, name="confidence")
    check_positive_int(n_resamples, name="n_resamples", minimum=100)
    root = root_seed(seed)
    examples = a.shape[1]
    column_counts = generator(root, "examples", "examples").multinomial(
        examples, np.full(examples, 1.0 / examples), n_resamples
    )
    means = []
    for key, matrix in (("a", a), ("b", b)):
        runs = matrix.shape[0]
        row_counts = generator(root, "examples", "runs", key).multinomial(
            runs, np.full(runs, 1.0 / runs), n_resamples
        )
        total = np.einsum("br,re,be->b", row_counts, matrix, column_counts, optimize=True)
        means.append(total / (runs * examples))
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means[1] - means[0], [tail, 1.0 - tail])
    method = (
        f"unpaired two-level percentile bootstrap ({a.shape[0]} and {b.shape[0]} seeds x "
        f"{examples} examples)"
    )
    return Interval(float(low), float(high), confidence, method, a.shape[0] + b.shape[0])


@dataclass(frozen=True)
class McNemar:
    """The exact McNemar test of one seed's runs of A and B on the same examples.

    Attributes:
        seed_index: The row of the seed.
        only_a: Examples A got right and B wrong.
        only_b: Examples B got right and A wrong.
        p_value: The two-sided exact p (1 when no example is discordant).
    """

    seed_index: int
    only_a: int
    only_b: int
    p_value: float


def mcnemar_per_seed(correct_a: ArrayLike, correct_b: ArrayLike) -> tuple[McNemar, ...]:
    """McNemar's exact test for each seed: are A's and B's errors on different examples balanced?

    Args:
        correct_a: One row per seed, one column per test example: 1 where
            A's run of that seed was right, 0 where wrong.
        correct_b: B's, on the same seeds (rows) and examples (columns).

    Returns:
        One ``McNemar`` per seed, in row order.

    Raises:
        UsageError: Matrices of different shapes, or values other than 0 and 1.
    """
    import numpy as np
    from scipy import stats

    a, b = _matrix(correct_a, "correct_a"), _matrix(correct_b, "correct_b")
    if a.shape != b.shape or not np.isin(a, (0.0, 1.0)).all() or not np.isin(b, (0.0, 1.0)).all():
        raise UsageError(
            f"McNemar needs 0/1 correctness of A and B on the same seeds and examples. Received: "
            f"shapes {a.shape} and {b.shape}; expected equal shapes of 0 and 1 only"
        )
    found = []
    for index in range(a.shape[0]):
        only_a = int(((a[index] == 1) & (b[index] == 0)).sum())
        only_b = int(((a[index] == 0) & (b[index] == 1)).sum())
        total = only_a + only_b
        p = 1.0 if total == 0 else float(stats.binomtest(only_a, total, 0.5).pvalue)
        found.append(McNemar(index, only_a, only_b, min(p, 1.0)))
    return tuple(found)
