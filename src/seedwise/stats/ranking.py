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

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats._data import check_level, check_positive_int, own_words, root_seed, to_array
from seedwise.stats.compare import _from_samples, _labels, _pairing
from seedwise.stats.goal import Goal, infer_goal
from seedwise.stats.ranking_marginals import check_grid, marginal_effects
from seedwise.stats.ranking_posthoc import (
    Posthoc,
    check_posthoc,
    decide_vs_best,
    paired_advantage,
    pairwise_signed_rank,
)
from seedwise.stats.ranking_results import (
    FriedmanTest,
    Margin,
    MarginalEffect,
    MarginalValue,
    RankedCell,
    Ranking,
)
from seedwise.stats.sample import Sample, check_samples
from seedwise.stats.summary import summarize

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FriedmanTest",
    "MarginalEffect",
    "MarginalValue",
    "Margin",
    "RankedCell",
    "Ranking",
    "pairwise_signed_rank",
    "rank",
]

# SciPy's caution on friedmanchisquare: the chi-square p-value is reliable above 10 blocks.
_FRIEDMAN_RELIABLE_N = 10


@own_words
def rank(
    *samples: ArrayLike | Sample,
    metric: str | None = None,
    goal: Goal | None = None,
    seeds: Sequence[Sequence[int]] | None = None,
    labels: Sequence[str] | None = None,
    grid: Sequence[Mapping[str, str]] | None = None,
    posthoc: Posthoc = "wilcoxon-holm",
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
    Holm-adjusted Wilcoxon signed-rank p-value above ``alpha`` (or, with
    ``posthoc="nemenyi"``, a Nemenyi p above it). The margin
    of the best over the runner-up is their paired Hodges-Lehmann shift with
    the inverted signed-rank interval, or the paired t-interval where too
    few seeds leave the former unbounded. With ``grid`` (each cell's value
    of each grid key), each key's marginal effect is computed on the same
    seeds (:mod:`seedwise.stats.ranking_marginals`).

    Args:
        *samples: Two or more samples (``study.sample(metric)``) or arrays.
        metric: The metric's name (default the samples', or ``"value"``).
        goal: ``"min"`` or ``"max"``; None infers it from the metric's name.
        seeds: Each array's per-run seeds; default: arrays pair by position.
        labels: The cells' names; default the studies' names, or ``"A"``, ...
        grid: Each cell's grid values as text, ``{key: value}``, the same
            keys for every cell; None: no marginal effects.
        posthoc: ``"wilcoxon-holm"`` (every pair's signed-rank test, Holm
            over all pairs) or ``"nemenyi"`` (the Nemenyi test of mean ranks).
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
    posthoc = check_posthoc(posthoc)
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
    cells_grid, keys = check_grid(grid, len(names)) if grid is not None else ((), ())
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
        # Name the samples that cannot take part, such as a study whose runs all failed.
        short = [
            name for name, array in zip(names, arrays, strict=True) if np.isfinite(array).sum() < 2
        ]
        which = f" ({', '.join(short)}: fewer than 2 finite values)" if short else ""
        raise UsageError(
            f"rank needs two or more seeds that every sample has with a finite value. "
            f"Received: {n}{which}; expected runs of the samples on shared seeds"
        )
    sign = 1.0 if choice.goal == "min" else -1.0
    from scipy import stats

    mean_ranks = stats.rankdata(sign * table, axis=1).mean(axis=0)
    means = table.mean(axis=0)
    order = sorted(range(len(names)), key=lambda i: (sign * means[i], mean_ranks[i], i))
    best = order[0]
    versus = decide_vs_best(table, best, posthoc, alpha)
    adjusted = versus.p
    warnings.extend(
        f"{names[i]} against {names[best]}: undecided (neither tied for best nor worse), {reason}"
        for i, reason in versus.undecided.items()
    )
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
    if versus.note is not None:
        warnings.append(versus.note)
    margin = _margin(table, order, names, choice.goal, confidence, n_resamples, root)
    warnings.append(
        "the best cell was chosen on the same seeds that measured it: its mean and margin "
        "are biased in its favour (winner's curse: the best of 10 equal cells reads +1.5 "
        "standard errors high at 5 and 10 seeds, docs/sweeps.md)"
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
        posthoc=versus.posthoc,
        marginals=marginal_effects(
            table, cells_grid, keys, goal=choice.goal, posthoc=posthoc, alpha=alpha,
            confidence=confidence, n_resamples=n_resamples, seed=root, metric=metric_name,
        ) if keys else (),
    )  # fmt: skip


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
    estimate, interval = paired_advantage(
        table[:, order[0]], table[:, order[1]], goal, confidence, n_resamples, root
    )
    return Margin(names[order[0]], names[order[1]], estimate, interval)
