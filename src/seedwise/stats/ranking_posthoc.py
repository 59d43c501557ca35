"""The post-hoc comparisons of a ranking: which columns differ from the best, and by how much.

Columns of a table of seeds x cells (or seeds x values of a grid key):
the Wilcoxon signed-rank test of every pair, Holm-corrected over all pairs
(the default), or the Nemenyi test on the mean ranks; and the paired shift
of the best over another column with its interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from seedwise.errors import UsageError
from seedwise.stats._intervals import Interval, t_interval
from seedwise.stats._shift import shift_estimate, shift_interval, signed_rank_test
from seedwise.stats.corrections import adjust_p_values
from seedwise.stats.goal import Goal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "POSTHOC_TESTS",
    "Posthoc",
    "VersusBest",
    "adjusted_vs_best",
    "alike_groups",
    "check_posthoc",
    "decide_vs_best",
    "few_seeds_note",
    "nemenyi_critical_difference",
    "nemenyi_pairs",
    "paired_advantage",
    "paired_t_vs_best",
    "pairwise_signed_rank",
]

#: How the cells that cannot be told apart from the best are found.
Posthoc = Literal["wilcoxon-holm", "nemenyi"]

#: Every ``posthoc`` that :func:`adjusted_vs_best` takes; the first is the default.
POSTHOC_TESTS: tuple[Posthoc, ...] = ("wilcoxon-holm", "nemenyi")


def check_posthoc(posthoc: object) -> Posthoc:
    """``posthoc``, if it names a post-hoc test of :data:`POSTHOC_TESTS`.

    Raises:
        UsageError: Anything else.
    """
    for known in POSTHOC_TESTS:
        if posthoc == known:
            return known
    raise UsageError(
        f"Unknown post-hoc test. Received: posthoc={posthoc!r}; expected one of "
        f"{', '.join(POSTHOC_TESTS)}"
    )


def few_seeds_note(n: int, k: int, alpha: float, posthoc: Posthoc, of: str = "") -> str | None:
    """Why no pair of ``k`` columns can differ at ``n`` seeds after Holm, or None if some can.

    ``of`` names the columns in the line (``" of values"``); by default they are the cells.

    The smallest two-sided signed-rank p-value at ``n`` seeds is ``2 / 2^n``;
    below Holm's first threshold ``alpha / pairs`` no pair is ever called
    different, and silence must not read as a tie.
    """
    smallest = 2.0 / 2.0**n
    pairs = k * (k - 1) // 2
    if posthoc != "wilcoxon-holm" or pairs == 0 or smallest <= alpha / pairs:
        return None
    return (
        f"with {n} seeds no pair{of} can be told apart after Holm over {pairs} "
        f"pair{'s' if pairs != 1 else ''} (the smallest Wilcoxon p is {smallest:.3g}); add seeds"
    )


@dataclass(frozen=True)
class VersusBest:
    """Each column's family-wise p-value against the best, and the test that gave it.

    Attributes:
        p: Column -> its adjusted p-value; None where no test could decide.
        posthoc: The test: the one asked for, or ``"paired-t-holm"`` where too
            few seeds let the signed-rank test pass Holm's threshold.
        note: Why the paired t-test decides, when it does.
        undecided: Column -> why it is undecided (the t-test could not stand in).
    """

    p: dict[int, float | None]
    posthoc: str
    note: str | None = None
    undecided: dict[int, str] = field(default_factory=dict)


def decide_vs_best(
    table: NDArray[np.float64], best: int, posthoc: Posthoc, alpha: float, of: str = ""
) -> VersusBest:
    """The post-hoc p-values against ``best``, with the paired t-test where the rank test cannot.

    With too few seeds for any signed-rank p to pass Holm's first threshold
    (:func:`few_seeds_note`), the paired t-test decides instead, as
    ``compare``'s verdicts do at 3 to 5 seeds (:func:`paired_t_vs_best`).
    """
    n, k = (int(x) for x in table.shape)
    few = few_seeds_note(n, k, alpha, posthoc, of)
    if few is None:
        return VersusBest(dict(adjusted_vs_best(table, best, posthoc)), posthoc)
    p, undecided = paired_t_vs_best(table, best, alpha)
    note = (
        f"{few.removesuffix('; add seeds')}: the paired t-test decides instead (Holm over "
        "the same pairs), where Shapiro-Wilk does not reject normality of a pair's "
        "differences; it assumes normal differences, and more seeds let the rank test decide"
    )
    return VersusBest(p, "paired-t-holm", note, undecided)


def adjusted_vs_best(table: NDArray[np.float64], best: int, posthoc: Posthoc) -> dict[int, float]:
    """Each column's family-wise p-value of its pair with column ``best``.

    ``"wilcoxon-holm"``: the signed-rank p of every pair
    (:func:`pairwise_signed_rank`), Holm-adjusted over all ``k (k - 1) / 2``
    pairs, as ``scikit_posthocs.posthoc_wilcoxon(..., p_adjust="holm")``
    gives them. ``"nemenyi"``: the Nemenyi test of the mean ranks within
    seeds, ``scikit_posthocs.posthoc_nemenyi_friedman``, already family-wise.
    """
    k = int(table.shape[1])
    if posthoc == "nemenyi":
        return _nemenyi_vs_best(table, best)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    raw = pairwise_signed_rank(table, pairs)
    adjusted = adjust_p_values(raw, "holm") if len(raw) > 1 else raw
    found = {}
    for (i, j), p in zip(pairs, adjusted, strict=True):
        if best in (i, j):
            found[j if i == best else i] = float(p)
    return found


def paired_t_vs_best(
    table: NDArray[np.float64], best: int, alpha: float
) -> tuple[dict[int, float | None], dict[int, str]]:
    """Each column's Holm-adjusted paired t p-value against ``best``, where the t-test may stand in.

    For seeds too few for the signed-rank test to pass Holm's threshold:
    the paired t-test (``scipy.stats.ttest_rel``) of every pair, Holm-adjusted
    over all ``k (k - 1) / 2`` pairs. A pair with ``best`` whose differences
    Shapiro-Wilk finds far from normal (p below ``alpha``), or that have no
    spread, gets None: the t-test cannot stand in, and the pair is undecided.

    Returns:
        The p-values by column, and why, for each undecided column.
    """
    import warnings

    import numpy as np
    from scipy import stats

    from seedwise.stats._intervals import no_spread

    k = int(table.shape[1])
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    raw = []
    for i, j in pairs:
        differences = table[:, j] - table[:, i]
        if no_spread(differences, scale=table[:, [i, j]]):
            raw.append(1.0 if not np.any(differences) else 0.0)
            continue
        raw.append(float(stats.ttest_rel(table[:, j], table[:, i]).pvalue))
    adjusted = adjust_p_values(raw, "holm") if len(raw) > 1 else raw
    found: dict[int, float | None] = {}
    reasons: dict[int, str] = {}
    for (i, j), p in zip(pairs, adjusted, strict=True):
        if best not in (i, j):
            continue
        other = j if i == best else i
        differences = table[:, other] - table[:, best]
        if no_spread(differences, scale=table[:, [best, other]]) and np.any(differences):
            found[other] = None
            reasons[other] = "the differences have no spread, so the t-test cannot run"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            normal = no_spread(differences) or stats.shapiro(differences).pvalue >= alpha
        if not normal:
            found[other] = None
            reasons[other] = "Shapiro-Wilk rejects normality of the differences"
            continue
        found[other] = float(p)
    return found, reasons


def _nemenyi_vs_best(table: NDArray[np.float64], best: int) -> dict[int, float]:
    """The Nemenyi p of each column against ``best`` (:func:`nemenyi_pairs`)."""
    k = int(table.shape[1])
    others = [i for i in range(k) if i != best]
    found = nemenyi_pairs(table, [(best, i) for i in others])
    return dict(zip(others, found, strict=True))


def nemenyi_pairs(table: NDArray[np.float64], pairs: Sequence[tuple[int, int]]) -> list[float]:
    """The Nemenyi p of each pair of columns: studentized range of mean-rank gaps.

    ``q = |R_i - R_j| / sqrt(k (k + 1) / (6 n))`` and ``p = P(Q_{k, inf} >=
    q sqrt(2))``, as Demsar (2006) and ``posthoc_nemenyi_friedman`` define it;
    already family-wise over all pairs.
    """
    import numpy as np
    from scipy import stats

    if not pairs:
        return []
    n, k = (int(x) for x in table.shape)
    # The gaps between mean ranks are the same whichever way the values are ranked.
    ranks = stats.rankdata(table, axis=1).mean(axis=0)
    scale = np.sqrt(k * (k + 1) / (6.0 * n))
    first = np.array([i for i, _ in pairs])
    second = np.array([j for _, j in pairs])
    q = np.abs(ranks[first] - ranks[second]) / scale * np.sqrt(2.0)
    p = stats.studentized_range.sf(q, k, np.inf)
    return [float(min(1.0, max(0.0, value))) for value in p]


def nemenyi_critical_difference(k: int, n: int, alpha: float) -> float:
    """Demsar's (2006) critical difference of mean ranks: ``q_alpha sqrt(k (k + 1) / (6 n))``.

    ``q_alpha`` is the studentized range's ``1 - alpha`` quantile over
    ``sqrt(2)`` (Demsar's table: 2.343 at k = 3, 2.569 at 4, 2.728 at 5 for
    alpha 0.05); two mean ranks further apart than this differ by Nemenyi's test.
    """
    import math

    from scipy import stats

    q = float(stats.studentized_range.ppf(1.0 - alpha, k, math.inf)) / math.sqrt(2.0)
    return q * math.sqrt(k * (k + 1) / (6.0 * n))


def alike_groups(k: int, apart: set[tuple[int, int]]) -> tuple[tuple[int, ...], ...]:
    """The bars of a critical-difference diagram over ``k`` columns in mean-rank order.

    A group is a longest run of neighbours in that order no pair of which is
    in ``apart`` (the pairs ``(i, j)``, ``i < j``, a post-hoc test tells
    apart), as Demsar (2006) joins them; a group that another holds is left
    out, and so is a column alone.
    """
    groups: list[tuple[int, ...]] = []
    reach = 0
    for start in range(k):
        end = start
        while end + 1 < k and all((i, end + 1) not in apart for i in range(start, end + 1)):
            end += 1
        # A run that ends where an earlier one ended lies inside it.
        if end > start and end > reach:
            groups.append(tuple(range(start, end + 1)))
        reach = max(reach, end)
    return tuple(groups)


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


def paired_advantage(
    best: NDArray[np.float64],
    other: NDArray[np.float64],
    goal: Goal,
    confidence: float,
    n_resamples: int,
    seed: int,
) -> tuple[float, Interval]:
    """How much ``best`` beats ``other`` seed by seed, positive when ``best`` is better.

    The paired Hodges-Lehmann shift with the interval from inverting the
    signed-rank test; where too few seeds leave that interval unbounded
    (below 6 at 95%), the paired t-interval, named as such.
    """
    a, b = (other, best) if goal == "max" else (best, other)
    estimate = shift_estimate(a, b, paired=True)
    interval = shift_interval(
        a, b, paired=True, confidence=confidence, n_resamples=n_resamples, seed=seed
    )
    if not interval.defined:
        fallback = t_interval(b - a, confidence)
        interval = Interval(
            fallback.low, fallback.high, confidence, f"paired {fallback.method}", fallback.n,
            fallback.note or f"the rank interval is unbounded at {fallback.n} seeds",
        )  # fmt: skip
    return float(estimate), interval
