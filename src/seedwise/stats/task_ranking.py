"""Algorithms ranked over tasks: Demsar's path on task means, and the Bayesian signed-rank test.

Across tasks the blocks are the tasks, not the seeds: each algorithm's
value on a task is its mean over that task's runs, and :func:`rank`
(Friedman, then Wilcoxon-Holm or Nemenyi against the best, as ``seedwise
rank`` does over seeds) runs on those, one row per task. The Bayesian
signed-rank test (Benavoli et al. 2014, 2017; baycomp's
``SignedRankTest``) gives, for each pair, the posterior probability that
one is better by more than the region of practical equivalence (ROPE),
that they are equivalent within it, or that the other is better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats.ranking import rank

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.stats.goal import Goal
    from seedwise.stats.ranking_posthoc import Posthoc
    from seedwise.stats.ranking_results import Ranking

__all__ = [
    "BayesianPair",
    "CriticalDifference",
    "TaskRanking",
    "bayesian_signed_rank",
    "critical_difference",
    "rank_over_tasks",
]


@dataclass(frozen=True)
class BayesianPair:
    """The Bayesian signed-rank test of two algorithms over tasks.

    Attributes:
        a, b: The algorithms.
        a_better: P(a is better by more than the ROPE).
        equivalent: P(the difference lies within the ROPE).
        b_better: P(b is better by more than the ROPE).
    """

    a: str
    b: str
    a_better: float
    equivalent: float
    b_better: float


@dataclass(frozen=True)
class CriticalDifference:
    """Demsar's (2006) path over tasks, and what its critical-difference diagram draws.

    Two algorithms: the Wilcoxon signed-rank test of their task means. Three
    or more: the Friedman test; where it does not reject at ``alpha`` no
    post-hoc test is run and every algorithm is in one group; where it
    does, every pair is tested (``posthoc``: Nemenyi on the mean ranks, or
    Wilcoxon signed-rank with Holm over all pairs, Benavoli et al. 2016).

    Attributes:
        labels: The algorithms, best mean rank first.
        mean_ranks: Their mean ranks over tasks (1 the best), in that order.
        n_tasks: The tasks (blocks).
        alpha: The family-wise level.
        posthoc: ``"nemenyi"``, ``"wilcoxon-holm"``, ``"wilcoxon"`` (two
            algorithms), or None where Friedman did not reject.
        friedman_p: The Friedman p-value (None with two algorithms).
        critical_difference: Nemenyi's critical difference of mean ranks
            (:func:`~seedwise.stats.ranking_posthoc.nemenyi_critical_difference`),
            drawn on the diagram with Nemenyi; None otherwise.
        pairs: ``(a, b, p)`` for every pair tested, ``p`` family-wise.
        groups: The bars: runs of algorithms (in mean-rank order) that no
            test tells apart.
        decision: The path taken, in one line.
    """

    labels: tuple[str, ...]
    mean_ranks: tuple[float, ...]
    n_tasks: int
    alpha: float
    posthoc: str | None
    friedman_p: float | None
    critical_difference: float | None
    pairs: tuple[tuple[str, str, float], ...]
    groups: tuple[tuple[str, ...], ...]
    decision: str


def critical_difference(
    task_means: dict[str, NDArray[np.float64]], *, goal: Goal, posthoc: Posthoc, alpha: float
) -> CriticalDifference:
    """Demsar's path on the algorithms' task means (see :class:`CriticalDifference`).

    Args:
        task_means: Each algorithm's mean on each task, the tasks in one
            order, every value finite.
        goal: Which direction is better.
        posthoc: ``"nemenyi"`` or ``"wilcoxon-holm"``.
        alpha: The family-wise level.
    """
    import warnings

    import numpy as np
    from scipy import stats

    from seedwise.stats.corrections import adjust_p_values
    from seedwise.stats.ranking_posthoc import (
        alike_groups,
        few_seeds_note,
        nemenyi_critical_difference,
        nemenyi_pairs,
        pairwise_signed_rank,
    )

    names = list(task_means)
    table = np.column_stack([task_means[name] for name in names])
    n, k = (int(x) for x in table.shape)
    sign = -1.0 if goal == "max" else 1.0
    ranks = stats.rankdata(sign * table, axis=1).mean(axis=0)
    order = sorted(range(k), key=lambda i: (ranks[i], i))
    table, ranks = table[:, order], ranks[order]
    labels = tuple(names[i] for i in order)
    everything = (tuple(labels),)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    friedman_p: float | None = None
    if k == 2:
        p = pairwise_signed_rank(table, pairs)
        tested = "wilcoxon"
        decision = f"two algorithms: Wilcoxon signed-rank over {n} tasks, p = {p[0]:.3g}" + (
            " (no difference shown)" if p[0] > alpha else ""
        )
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            friedman = stats.friedmanchisquare(*table.T)
        friedman_p = float(friedman.pvalue)
        if not friedman_p <= alpha:
            return CriticalDifference(
                labels, tuple(map(float, ranks)), n, alpha, None, friedman_p, None, (),
                everything if np.isfinite(friedman_p) else (),
                f"Friedman over {n} tasks, p = {friedman_p:.3g}: no difference shown at "
                f"alpha {alpha:g}, so no post-hoc test (Demsar 2006); one group",
            )  # fmt: skip
        if posthoc == "nemenyi":
            p = nemenyi_pairs(table, pairs)
            tested = "nemenyi"
        else:
            raw = pairwise_signed_rank(table, pairs)
            p = [float(v) for v in adjust_p_values(raw, "holm")]
            tested = "wilcoxon-holm"
        decision = (
            f"Friedman over {n} tasks, p = {friedman_p:.3g}, rejects at alpha {alpha:g}: "
            + (
                "Nemenyi over all pairs"
                if tested == "nemenyi"
                else "Wilcoxon signed-rank over all pairs, Holm-adjusted"
            )
        )
        few = few_seeds_note(n, k, alpha, posthoc, " of algorithms")
        if few is not None:
            decision += f"; {few.replace('seeds', 'tasks').removesuffix('; add tasks')}"
    apart = {pair for pair, value in zip(pairs, p, strict=True) if value <= alpha}
    return CriticalDifference(
        labels=labels,
        mean_ranks=tuple(map(float, ranks)),
        n_tasks=n,
        alpha=alpha,
        posthoc=tested,
        friedman_p=friedman_p,
        critical_difference=nemenyi_critical_difference(k, n, alpha)
        if tested == "nemenyi"
        else None,
        pairs=tuple(
            (labels[i], labels[j], float(value)) for (i, j), value in zip(pairs, p, strict=True)
        ),
        groups=tuple(tuple(labels[i] for i in group) for group in alike_groups(k, apart)),
        decision=decision,
    )


@dataclass(frozen=True)
class TaskRanking:
    """The ranking of algorithms over tasks.

    Attributes:
        ranking: :func:`seedwise.stats.rank` of the task means (its seeds are
            the tasks); None when it could not run (``note`` says why).
        rope: The region of practical equivalence of the Bayesian test.
        pairs: The Bayesian signed-rank test of every pair.
        n_samples: Posterior samples of each pair.
        note: Why the ranking is missing, if it is.
        diagram: Demsar's path and its critical-difference diagram; None
            with fewer than 2 tasks.
    """

    ranking: Ranking | None
    rope: float
    pairs: tuple[BayesianPair, ...]
    n_samples: int
    note: str | None = None
    diagram: CriticalDifference | None = None


def bayesian_signed_rank(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    rope: float,
    rng: np.random.Generator,
    *,
    higher_is_better: bool = True,
    n_samples: int = 50_000,
    prior: float = 0.5,
) -> tuple[float, float, float]:
    """P(a better), P(equivalent), P(b better) of paired values over tasks.

    Equivalent to ``baycomp.SignedRankTest.probs(b, a, rope, prior=prior)``
    when higher is better (baycomp's left is its first argument better): a
    Dirichlet process posterior over the differences, with a pseudo-observation
    of weight ``prior`` at 0; each sample's mass on pairwise mean
    differences above ``rope``, within it and below ``-rope``; each
    probability the share of samples where that region has the most mass.
    """
    import numpy as np

    diff = (a - b) if higher_is_better else (b - a)
    diff = np.concatenate(([0.0], diff))
    sums = diff[:, None] + diff[None, :]
    above = (sums > 2 * rope) + 0.5 * (sums == 2 * rope)
    below = (-sums > 2 * rope) + 0.5 * (-sums == 2 * rope)
    alphas = np.ones(diff.size)
    alphas[0] = prior
    weights = rng.dirichlet(alphas, n_samples)
    better = np.einsum("si,ij,sj->s", weights, above, weights, optimize=True)
    worse = np.einsum("si,ij,sj->s", weights, below, weights, optimize=True)
    mass = np.column_stack((better, 1.0 - better - worse, worse))
    winners = np.bincount(np.argmax(mass, axis=1), minlength=3) / n_samples
    return float(winners[0]), float(winners[1]), float(winners[2])


def rank_over_tasks(
    task_means: dict[str, NDArray[np.float64]],
    *,
    goal: Goal,
    posthoc: Posthoc,
    alpha: float,
    rope: float,
    rng: np.random.Generator,
    metric: str,
    n_samples: int = 50_000,
) -> TaskRanking:
    """Rank the algorithms on their task means, and test each pair with the Bayesian signed rank.

    Args:
        task_means: Each algorithm's mean on each task, the tasks in one order.
        goal: Which direction is better.
        posthoc: The post-hoc test of :func:`seedwise.stats.rank`.
        alpha: Its family-wise level.
        rope: The region of practical equivalence, in the scores' units.
        rng: Where the posterior samples come from.
        metric: The metric's name.
        n_samples: Posterior samples of each pair.
    """
    import numpy as np

    names = list(task_means)
    ranking: Ranking | None = None
    note = None
    tasks = len(next(iter(task_means.values())))
    if tasks < 2:
        note = f"no ranking over tasks: it needs 2 or more tasks; received {tasks}"
    else:
        ranking, note = _ranking(task_means, names, goal, posthoc, alpha, rng, metric)
    diagram = None
    table = np.column_stack([task_means[name] for name in names])
    usable = table[np.isfinite(table).all(axis=1)]
    if usable.shape[0] >= 2:
        diagram = critical_difference(
            {name: usable[:, i] for i, name in enumerate(names)},
            goal=goal,
            posthoc=posthoc,
            alpha=alpha,
        )
    pairs = []
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = task_means[first], task_means[second]
            finite = np.isfinite(a) & np.isfinite(b)
            probabilities = bayesian_signed_rank(
                a[finite],
                b[finite],
                rope,
                rng,
                higher_is_better=goal == "max",
                n_samples=n_samples,
            )
            pairs.append(BayesianPair(first, second, *probabilities))
    return TaskRanking(ranking, rope, tuple(pairs), n_samples, note, diagram)


def _ranking(
    task_means: dict[str, NDArray[np.float64]],
    names: list[str],
    goal: Goal,
    posthoc: Posthoc,
    alpha: float,
    rng: np.random.Generator,
    metric: str,
) -> tuple[Ranking | None, str | None]:
    """:func:`rank` of the task means, or why it could not run."""
    try:
        return rank(
            *(task_means[name] for name in names),
            labels=names,
            metric=metric,
            goal=goal,
            posthoc=posthoc,
            alpha=alpha,
            n_resamples=1_000,
            seed=int(rng.integers(0, 2**62)),
        ), None
    except UsageError as error:
        return None, f"no ranking over tasks: {error}"
