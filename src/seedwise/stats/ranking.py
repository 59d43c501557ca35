"""k cells paired by seed, ranked on one metric: the table, the Friedman test, the best group.

A grid of configurations run on the same seeds is a randomized block
design with seeds as blocks. :func:`rank` orders the cells by their mean,
tests whether any differ (Friedman, seeds as blocks), and finds the cells
that cannot be told apart from the best: the Wilcoxon signed-rank test of
every pair (the exact tests of :mod:`seedwise.stats._shift`, as ``compare``
uses), Holm-corrected over all ``k (k - 1) / 2`` pairs, so that the family
covers whichever cell the data make best.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats._data import check_level, check_positive_int, own_words, root_seed, to_array
from seedwise.stats._intervals import Interval, t_interval
from seedwise.stats._shift import shift_estimate, shift_interval, signed_rank_test
from seedwise.stats.compare import _from_samples, _labels, _pairing
from seedwise.stats.corrections import adjust_p_values
from seedwise.stats.goal import Goal, infer_goal
from seedwise.stats.ranking_results import FriedmanTest, Margin, RankedCell, Ranking
from seedwise.stats.sample import Sample, check_samples
from seedwise.stats.summary import summarize

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["FriedmanTest", "Margin", "RankedCell", "Ranking", "pairwise_signed_rank", "rank"]

# SciPy's caution on friedmanchisquare: the chi-square p-value is reliable above 10 blocks.
_FRIEDMAN_RELIABLE_N = 10


@own_words
def rank(
    *samples: ArrayLike | Sample,
    metric: str | None = None,
    goal: Goal | None = None,
    seeds: Sequence[Sequence[int]] | None = None,
    labels: Sequence[str] | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int | np.random.Generator = 0,
) -> Ranking:
    """Rank k samples of runs paired by seed on one metric.

    The samples are paired on the seeds every one of them has (the others
    are left out and named in ``Ranking.dropped_seeds``), and a seed where
    any sample's value is NaN or infinite is left out of all, with a
    warning. On those seeds, each cell gets ``summarize``'s mean and median
    with their intervals and its mean rank (ranked within each seed, 1 the
    best, ties sharing their midrank). The Friedman test
    (``scipy.stats.friedmanchisquare``, seeds as blocks) needs 3 cells and 3
    seeds. The cells tied for best are those whose pair with the best has a
    Holm-adjusted Wilcoxon signed-rank p-value above ``alpha``. The margin
    of the best over the runner-up is their paired Hodges-Lehmann shift with
    the inverted signed-rank interval, or the paired t-interval where too
    few seeds leave the former unbounded.

    Args:
        *samples: Two or more samples (``study.sample(metric)``) or arrays.
        metric: The metric's name (default the samples', or ``"value"``).
        goal: ``"min"`` or ``"max"``; None infers it from the metric's name.
        seeds: Each array's per-run seeds; default: arrays pair by position.
        labels: The cells' names; default the studies' names, or ``"A"``, ...
        alpha: The family-wise level of the post-hoc comparisons.
        confidence: The level of every interval.
        n_resamples: Bootstrap resamples of the intervals of the mean.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.

    Returns:
        The ``Ranking``.

    Raises:
        UsageError: Fewer than two samples, samples of different metrics or
            without shared seeds, bad labels, goal or levels.

    Example:
        >>> r = rank([1.0, 2.0, 3.0], [2.0, 3.0, 4.5], [0.5, 1.0, 2.0], goal="max",
        ...          n_resamples=999)
        >>> [cell.label for cell in r.cells]
        ['B', 'A', 'C']
    """
    import numpy as np

    if len(samples) < 2:
        raise UsageError(
            f"rank needs two or more samples. Received: {len(samples)}; expected A B [C ...]"
        )
    alpha = check_level(alpha, name="alpha")
    confidence = check_level(confidence, name="confidence")
    check_positive_int(n_resamples, name="n_resamples", minimum=100)
    root = root_seed(seed)
    warnings: list[str] = []
    values: tuple[object, ...] = samples
    found = check_samples(samples)
    if found is not None:
        values, seeds, labels, metric = _from_samples(found, metric, seeds, labels, warnings)
    metric_name = metric or "value"
    choice = infer_goal(metric_name, goal)
    names = _labels(labels, len(values))
    arrays = [to_array(v, name=n) for v, n in zip(values, names, strict=True)]  # type: ignore[arg-type]
    pairing = _pairing(arrays, names, True, seeds, warnings)
    table = np.column_stack(pairing.arrays) if pairing.arrays[0].size else np.empty((0, len(names)))
    finite = np.isfinite(table).all(axis=1)
    design = pairing.design
    if not finite.all():
        left = int((~finite).sum())
        warnings.append(
            f"{left} seed{'s' if left != 1 else ''} with a non-finite value (NaN or inf) in "
            "some cell left out of every cell"
        )
        design += f"; {left} seeds with a non-finite value left out"
        table = table[finite]
    n = int(table.shape[0])
    if n < 2:
        raise UsageError(
            f"rank needs two or more seeds that every sample has with a finite value. "
            f"Received: {n}; expected runs of the samples on shared seeds"
        )
    sign = 1.0 if choice.goal == "min" else -1.0
    from scipy import stats

    mean_ranks = stats.rankdata(sign * table, axis=1).mean(axis=0)
    means = table.mean(axis=0)
    order = sorted(range(len(names)), key=lambda i: (sign * means[i], mean_ranks[i], i))
    best = order[0]
    adjusted = _adjusted_vs_best(table, best)
    cells = []
    for i in order:
        summary = summarize(
            table[:, i],
            metric=metric_name,
            confidence=confidence,
            n_resamples=n_resamples,
            seed=root,
        )
        p = None if i == best else adjusted[i]
        cells.append(
            RankedCell(
                label=names[i],
                n=n,
                mean=summary.mean,
                mean_ci=summary.mean_ci,
                median=summary.median,
                median_ci=summary.median_ci,
                mean_rank=float(mean_ranks[i]),
                p_vs_best=p,
                tied_with_best=i == best or (p is not None and p > alpha),
            )
        )
    smallest = 2.0 / 2.0**n
    pairs = len(names) * (len(names) - 1) // 2
    if smallest > alpha / pairs:
        warnings.append(
            f"with {n} seeds no pair can be told apart after Holm over {pairs} pairs (the "
            f"smallest Wilcoxon p is {smallest:.3g}); add seeds"
        )
    margin = _margin(table, order, names, choice.goal, confidence, n_resamples, root)
    warnings.append(
        "the best cell was chosen on the same seeds that measured it: its mean and margin "
        "are biased in its favour (winner's curse); confirm it on fresh seeds"
    )
    return Ranking(
        metric=metric_name,
        goal=choice.goal,
        goal_source=choice.source,
        goal_note=choice.note,
        alpha=alpha,
        confidence=confidence,
        n_seeds=n,
        cells=tuple(cells),
        friedman=_friedman(table),
        tied_for_best=tuple(cell.label for cell in cells if cell.tied_with_best),
        margin=margin,
        design=design,
        dropped_seeds=pairing.dropped,
        warnings=tuple(warnings),
    )


def _adjusted_vs_best(table: NDArray[np.float64], best: int) -> dict[int, float]:
    """Each cell's Holm-adjusted p-value of its pair with ``best``, Holm over every pair."""
    k = int(table.shape[1])
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    raw = pairwise_signed_rank(table, pairs)
    adjusted = adjust_p_values(raw, "holm") if len(raw) > 1 else raw
    found = {}
    for (i, j), p in zip(pairs, adjusted, strict=True):
        if best in (i, j):
            found[j if i == best else i] = float(p)
    return found


def pairwise_signed_rank(
    table: NDArray[np.float64], pairs: Sequence[tuple[int, int]]
) -> list[float]:
    """The Wilcoxon signed-rank p-value of each pair of columns of ``table`` (seeds x cells).

    Each is :func:`seedwise.stats._shift.signed_rank_test` of
    ``table[:, j] - table[:, i]``. Without ties or zeros (up to 50 seeds)
    that test's p depends only on the sum of the positive ranks, so it is
    computed once for each sum that occurs: all pairs of 100 cells cost
    tens of tests, not thousands.
    """
    import numpy as np

    if not pairs:
        return []
    first = np.array([i for i, _ in pairs])
    second = np.array([j for _, j in pairs])
    differences = table[:, second] - table[:, first]
    n = int(table.shape[0])
    size = np.sort(np.abs(differences), axis=0)
    plain = (size[0] > 0) & (np.diff(size, axis=0) > 0).all(axis=0)
    if n > 50:
        plain[:] = False
    ranks = np.abs(differences).argsort(axis=0).argsort(axis=0) + 1
    positive_sums = np.where(differences > 0, ranks, 0).sum(axis=0)
    known: dict[int, float] = {}
    result = []
    for column in range(differences.shape[1]):
        if not plain[column]:
            result.append(signed_rank_test(differences[:, column], 0, 0).p_value)
            continue
        key = int(positive_sums[column])
        if key not in known:
            known[key] = signed_rank_test(differences[:, column], 0, 0).p_value
        result.append(known[key])
    return result


def _friedman(table: NDArray[np.float64]) -> FriedmanTest:
    """``scipy.stats.friedmanchisquare`` of the cells, or why it cannot be run."""
    from scipy import stats

    n, k = (int(x) for x in table.shape)
    if k < 3:
        return FriedmanTest(
            None, None, k - 1,
            f"it needs 3 or more cells; with {k}, the Wilcoxon signed-rank test of the pair "
            "decides (seedwise compare A B gives it in full)",
        )  # fmt: skip
    if n < 3:
        return FriedmanTest(None, None, k - 1, f"it needs 3 or more seeds; received {n}")
    if (table == table[:, :1]).all():
        return FriedmanTest(
            None, None, k - 1, "every cell has the same value on every seed: nothing to test"
        )
    result = stats.friedmanchisquare(*table.T)
    caution = None
    if n <= _FRIEDMAN_RELIABLE_N:
        caution = f"chi-square approximation: rough at {n} seeds, reliable above 10"
    return FriedmanTest(float(result.statistic), float(result.pvalue), k - 1, caution)


def _margin(
    table: NDArray[np.float64],
    order: list[int],
    names: tuple[str, ...],
    goal: Goal,
    confidence: float,
    n_resamples: int,
    root: int,
) -> Margin:
    """The best cell's paired shift over the runner-up, positive when the best is better."""
    best, runner = table[:, order[0]], table[:, order[1]]
    a, b = (runner, best) if goal == "max" else (best, runner)
    estimate = shift_estimate(a, b, paired=True)
    interval = shift_interval(
        a, b, paired=True, confidence=confidence, n_resamples=n_resamples, seed=root
    )
    if not interval.defined:
        fallback = t_interval(b - a, confidence)
        interval = Interval(
            fallback.low, fallback.high, confidence, f"paired {fallback.method}", fallback.n,
            fallback.note or f"the rank interval is unbounded at {fallback.n} seeds",
        )  # fmt: skip
    return Margin(names[order[0]], names[order[1]], float(estimate), interval)
