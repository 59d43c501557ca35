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

__all__ = ["BayesianPair", "TaskRanking", "bayesian_signed_rank", "rank_over_tasks"]


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
class TaskRanking:
    """The ranking of algorithms over tasks.

    Attributes:
        ranking: :func:`seedwise.stats.rank` of the task means (its seeds are
            the tasks); None when it could not run (``note`` says why).
        rope: The region of practical equivalence of the Bayesian test.
        pairs: The Bayesian signed-rank test of every pair.
        n_samples: Posterior samples of each pair.
        note: Why the ranking is missing, if it is.
    """

    ranking: Ranking | None
    rope: float
    pairs: tuple[BayesianPair, ...]
    n_samples: int
    note: str | None = None


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
    return TaskRanking(ranking, rope, tuple(pairs), n_samples, note)


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
