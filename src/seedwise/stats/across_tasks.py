"""Results across tasks: rliable's aggregates with intervals that hold at 3 runs per task.

:func:`aggregate` takes each algorithm's scores on each task and gives, per
algorithm, the mean, the median of task means, the interquartile mean
(IQM) and the optimality gap (Agarwal et al. 2021; the point estimates are
``rliable.metrics``'), performance profiles and the average probability of
improvement between algorithms, and the ranking of the algorithms over
tasks (:mod:`seedwise.stats.task_ranking`).

The intervals. rliable's percentile intervals of the stratified bootstrap
cover 88% at 3 runs per task and 92% at 5: resampling n runs from n
shrinks each task's variance by ``(n - 1) / n``, and the spread of a few
runs is itself uncertain. seedwise widens the percentile interval about
the estimate by ``sqrt(n / (n - 1))`` (the variance the resampling loses;
Rao and Wu 1988 rescale each run by it) times ``t / z``, the Student
quantile at the Welch-Satterthwaite degrees of freedom of the stratified
mean over the normal one, and takes the hull of that and the stratified
bootstrap-t of the same resamples (the mean's standard error from each
task's variance; the IQM's from the runs winsorized at the pooled
quartiles). The median of task means is also bounded by the median of each
task's t-interval bounds (if every task's interval holds its mean, the
medians of their ends hold the median), and its interval is the hull of
the two. With ``task_bootstrap`` the truth is the population the tasks
were drawn from: the tasks and their runs are resampled (rliable's
``task_bootstrap=True``) and the percentile interval is widened by
``sqrt(T / (T - 1)) t(T - 1) / z``. The run profile's band and the
probability of improvement's interval are :mod:`seedwise.stats._task_bounds`'.
docs/tasks.md gives the measured coverage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from seedwise.errors import UsageError
from seedwise.stats._aggregate_boot import (
    TaskScores,
    resampled_statistics,
    studentized,
    task_stderr,
)
from seedwise.stats._data import (
    check_level,
    check_positive_int,
    generator,
    own_words,
    root_seed,
    to_array,
)
from seedwise.stats.goal import Goal, infer_goal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    from seedwise.stats.aggregate_results import Aggregates
    from seedwise.stats.ranking_posthoc import Posthoc

__all__ = [
    "IMPROVEMENT_METHOD",
    "INTERVAL_METHOD",
    "MEDIAN_METHOD",
    "NORMALIZATIONS",
    "PROFILE_METHOD",
    "TASK_BOOTSTRAP_METHOD",
    "Normalization",
    "aggregate",
    "interval_bounds",
    "welch_df",
]

#: How the intervals of the mean, IQM and optimality gap are made (named in every output).
INTERVAL_METHOD = (
    "hull of the stratified bootstrap-t and the stratified percentile widened by "
    "sqrt(n/(n-1)) t(df)/z"
)
#: How the interval of the median of task means is made.
MEDIAN_METHOD = (
    "hull of the stratified percentile widened by sqrt(n/(n-1)) t(df)/z and the median of "
    "per-task t-interval bounds"
)
#: The four aggregates' intervals with ``task_bootstrap`` (the population of tasks).
TASK_BOOTSTRAP_METHOD = (
    "percentile of the bootstrap of tasks and their runs, widened by sqrt(T/(T-1)) t(T-1)/z"
)
#: The run profile's band (``seedwise.stats._task_bounds.profile_band``).
PROFILE_METHOD = (
    "pointwise Clopper-Pearson at the effective runs T^2/sum(1/n_t) (Hoeffding 1956), "
    "each threshold on its own"
)
#: The probability of improvement's interval (``_task_bounds.improvement_bounds``).
IMPROVEMENT_METHOD = (
    "hull of the stratified percentile (runs of X and Y resampled apart) widened by "
    "sqrt(n/(n-1)) t(df)/z and the Wilson interval at the effective runs "
    "T^2/sum(1/min(n_t, m_t)) (Birnbaum-McCarty variance bound)"
)


def welch_df(scores: TaskScores, share: float = 1.0) -> float:
    """The Welch-Satterthwaite degrees of freedom of the mean of task means (inf: no spread).

    ``share`` is the part of each task's runs the statistic rests on: the
    interquartile mean's spread comes from the middle half of the runs, so
    its degrees of freedom are counted on half of them.
    """

    _, stderr = task_stderr(scores)
    usable = scores.counts > 1
    variance = stderr[usable] ** 2
    total = float(variance.sum())
    if total <= 0.0:
        return float("inf")
    return total**2 / float((variance**2 / (share * (scores.counts[usable] - 1.0))).sum())


def _rescale_factor(scores: TaskScores) -> float:
    """How much wider the mean's spread is than its stratified bootstrap's.

    Resampling n runs from n gives a task's mean ``(n - 1) / n`` of its
    variance; over tasks of unequal spread and counts the ratio of the
    stratified mean's variance to its bootstrap's is this, squared (Rao-Wu's
    ``sqrt(n / (n - 1))`` where every task has n runs).
    """
    import math

    _, stderr = task_stderr(scores)
    usable = scores.counts > 1
    variance = stderr[usable] ** 2
    n = scores.counts[usable].astype(float)
    shrunk = float((variance * (n - 1.0) / n).sum())
    return math.sqrt(float(variance.sum()) / shrunk) if shrunk > 0 else 1.0


def interval_bounds(
    scores: TaskScores,
    n_resamples: int,
    rng: np.random.Generator,
    confidence: float,
    *,
    task_bootstrap: bool = False,
    gamma: float = 1.0,
) -> NDArray[np.float64]:
    """The lower and upper bounds of the four aggregates, a (2, 4) array (see the module).

    Args:
        scores: One algorithm's scores.
        n_resamples: Bootstrap resamples.
        rng: Where they come from.
        confidence: The level.
        task_bootstrap: Resample the tasks too.
        gamma: The optimality gap's threshold.
    """
    import numpy as np
    from scipy import special

    from seedwise.stats._aggregate_boot import point_estimates

    alpha = 1.0 - confidence
    estimate = point_estimates(scores, gamma)
    z = float(special.ndtri(1 - alpha / 2))
    if task_bootstrap:
        # The truth is the population of tasks: the tasks' resampling loses
        # (T - 1) / T of the variance, and T task means pin it down to T - 1 df.
        boot = resampled_statistics(scores, n_resamples, rng, task_bootstrap=True, gamma=gamma)
        low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
        tasks = int(scores.counts.size)
        scale = 1.0
        if tasks > 1:
            quantile = float(special.stdtrit(tasks - 1, 1 - alpha / 2))
            scale = math.sqrt(tasks / (tasks - 1)) * quantile / z
        low = estimate - scale * np.maximum(estimate - low, 0.0)
        high = estimate + scale * np.maximum(high - estimate, 0.0)
        return np.stack((low, high))
    centre, spread, t_values, boot = studentized(scores, n_resamples, rng, gamma)
    rescale = _rescale_factor(scores)
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    df = np.array([welch_df(scores, share) for share in (1.0, 1.0, 0.5, 1.0)])
    widen = np.where(np.isfinite(df), special.stdtrit(np.minimum(df, 1e12), 1 - alpha / 2) / z, 1.0)
    widen = widen * rescale
    low = estimate - widen * np.maximum(estimate - low, 0.0)
    high = estimate + widen * np.maximum(high - estimate, 0.0)
    # The bootstrap-t (of the mean, the clipped mean behind the gap, the IQM)
    # widens the hull where few tasks of unequal spread leave t(df)/z short.
    t_low, t_high = np.quantile(t_values, [alpha / 2, 1 - alpha / 2], axis=0)
    below = centre - t_high * spread
    above = centre - t_low * spread
    below[1], above[1] = gamma - above[1], gamma - below[1]
    for index, column in enumerate((0, 3, 2)):
        if np.isfinite(below[index]):
            low[column] = min(low[column], float(below[index]))
        if np.isfinite(above[index]):
            high[column] = max(high[column], float(above[index]))
    means, stderr = task_stderr(scores)
    quantile = special.stdtrit(np.maximum(scores.counts - 1, 1), 1 - alpha / 2)
    reach = np.where(np.isfinite(stderr), quantile * stderr, 0.0)
    low[1] = min(low[1], float(np.median(means - reach)))
    high[1] = max(high[1], float(np.median(means + reach)))
    return np.stack((low, high))


Normalization = Literal["none", "min-max", "baseline"]
NORMALIZATIONS: tuple[Normalization, ...] = ("none", "min-max", "baseline")


def _scores_by_task(
    scores: Mapping[str, Mapping[str, ArrayLike]], cautions: list[str]
) -> tuple[tuple[str, ...], dict[str, list[NDArray[np.float64]]]]:
    """Each algorithm's finite runs on each task every algorithm has, in one task order."""
    import numpy as np

    if len(scores) < 1:
        raise UsageError("aggregate needs one or more algorithms. Received: none")
    task_sets = {name: set(map(str, tasks)) for name, tasks in scores.items()}
    shared = set.intersection(*task_sets.values())
    first = next(iter(scores.values()))
    order = tuple(str(task) for task in first if str(task) in shared)
    for name, tasks in task_sets.items():
        missing = sorted(set().union(*task_sets.values()) - tasks)
        if missing:
            cautions.append(
                f"missing tasks: {name} has no runs on {', '.join(missing)}; those tasks are "
                "left out of every algorithm's aggregates"
            )
    if not order:
        raise UsageError(
            "aggregate needs tasks that every algorithm has. Received: no task in common to "
            + ", ".join(scores)
        )
    found: dict[str, list[NDArray[np.float64]]] = {}
    for name, by_task in scores.items():
        by_text = {str(task): values for task, values in by_task.items()}
        found[name] = []
        for task in order:
            values = to_array(by_text[task], name=f"{name} on {task}")
            kept = values[np.isfinite(values)]
            if kept.size < values.size:
                cautions.append(
                    f"non-finite scores: {values.size - kept.size} runs of {name} on {task} "
                    "(NaN or inf) left out"
                )
            if kept.size == 0:
                raise UsageError(
                    f"every run of {name} on {task} is missing or non-finite. Received: "
                    f"{values.size} runs; expected at least one finite score per task"
                )
            found[name].append(kept)
    return order, found


def _normalize(
    found: dict[str, list[NDArray[np.float64]]],
    tasks: tuple[str, ...],
    how: Normalization,
    reference: Mapping[str, Any] | str | None,
    goal: str,
    cautions: list[str],
) -> str:
    """Normalise ``found`` in place (higher better after min-max and baseline); its description."""
    import numpy as np

    if how == "none":
        if reference is not None:
            raise UsageError(
                "a reference needs a normalisation. Received: normalize='none' with a "
                "reference; expected normalize='min-max' or 'baseline'"
            )
        return "raw scores"
    if how == "baseline":
        if not isinstance(reference, str) or reference not in found:
            raise UsageError(
                f"normalize='baseline' needs the baseline algorithm's name. Received: "
                f"reference={reference!r}; expected one of {', '.join(map(repr, found))}"
            )
        bases = [float(np.mean(runs)) for runs in found[reference]]
        zero = [task for task, base in zip(tasks, bases, strict=True) if base == 0.0]
        if zero:
            raise UsageError(
                f"the baseline {reference} has mean 0 on {', '.join(zero)}: no ratio to it. "
                "Received: normalize='baseline'; expected a baseline with non-zero means"
            )
        for runs_list in found.values():
            for i, base in enumerate(bases):
                runs = runs_list[i]
                runs_list[i] = runs / base if goal == "max" else base / runs
        return f"scores over {reference}'s task mean (baseline = 1)"
    ranges: list[tuple[float, float]] = []
    if reference is None:
        for i in range(len(tasks)):
            pooled = np.concatenate([runs[i] for runs in found.values()])
            ranges.append((float(pooled.min()), float(pooled.max())))
        cautions.append(
            "min-max from the data: each task's range is the lowest and highest run of these "
            "algorithms; give reference ranges (random and expert scores) to compare with "
            "other papers"
        )
        described = "min-max over each task's runs"
    elif isinstance(reference, Mapping):
        missing = [task for task in tasks if task not in reference]
        if missing:
            raise UsageError(
                f"the reference has no range for {', '.join(missing)}. Received: reference "
                f"tasks {', '.join(map(str, reference))}; expected every task"
            )
        for task in tasks:
            low, high = (float(v) for v in reference[task])
            ranges.append((low, high))
        described = "min-max over the reference ranges"
    else:
        raise UsageError(
            f"normalize='min-max' takes a reference of ranges by task. Received: "
            f"reference={reference!r}; expected {{task: (low, high)}} or None"
        )
    for task, (low, high) in zip(tasks, ranges, strict=True):
        if not high > low:
            raise UsageError(
                f"task {task} has an empty range for min-max. Received: low={low!r}, "
                f"high={high!r}; expected low < high"
            )
    outside = 0
    for runs_list in found.values():
        for i, (low, high) in enumerate(ranges):
            scaled = (runs_list[i] - low) / (high - low)
            runs_list[i] = scaled if goal == "max" else 1.0 - scaled
            outside += int(((runs_list[i] < 0.0) | (runs_list[i] > 1.0)).sum())
    if outside:
        cautions.append(
            f"scores outside the normalisation range: {outside} "
            f"{'run falls' if outside == 1 else 'runs fall'} outside [0, 1] after min-max; "
            "they are kept as they are (the optimality gap clips them at 1)"
        )
    return described


@own_words
def aggregate(
    scores: Mapping[str, Mapping[str, ArrayLike]],
    *,
    metric: str | None = None,
    goal: Goal | None = None,
    normalize: Normalization = "none",
    reference: Mapping[str, Any] | str | None = None,
    task_bootstrap: bool = False,
    confidence: float = 0.95,
    n_resamples: int = 50_000,
    thresholds: ArrayLike | None = None,
    posthoc: Posthoc = "wilcoxon-holm",
    alpha: float = 0.05,
    rope: float = 0.01,
    seed: int | np.random.Generator = 0,
) -> Aggregates:
    """Each algorithm's results across tasks, with intervals, profiles and rankings.

    Every task weighs the same and every run of a task the same within it,
    so unequal runs per task are neither truncated nor let to outweigh other
    tasks; with equal counts the point estimates are rliable's
    (``rliable.metrics.aggregate_mean``, ``aggregate_median``,
    ``aggregate_iqm``, ``aggregate_optimality_gap``,
    ``probability_of_improvement``).

    Args:
        scores: ``{algorithm: {task: runs}}``, each ``runs`` the run scores.
        metric: The metric's name (default ``"score"``).
        goal: ``"max"`` or ``"min"`` for the raw scores; None infers it from
            the metric's name. Min-max and baseline scores are turned so that
            higher is better.
        normalize: ``"none"``, ``"min-max"`` (by the reference's
            ``{task: (low, high)}``, default each task's range over the runs) or
            ``"baseline"`` (over the reference algorithm's task mean).
        reference: The ranges, or the baseline algorithm's name.
        task_bootstrap: Resample the tasks too (the tasks a sample of many); the
            four aggregates only, the profiles and improvements hold the tasks fixed.
        confidence: The level of every interval.
        n_resamples: Bootstrap resamples (at least 1,000).
        thresholds: The run profile's thresholds; default 51 across the scores.
        posthoc: ``"wilcoxon-holm"`` or ``"nemenyi"``, over tasks.
        alpha: The ranking's family-wise level.
        rope: The Bayesian signed-rank test's region of practical equivalence.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.

    Returns:
        The ``Aggregates``.

    Raises:
        UsageError: No algorithm, no task in common, a task whose runs are all
            missing, a bad normalisation or reference, bad levels.

    Example:
        >>> found = aggregate({"a": {"t1": [0.5, 0.6], "t2": [0.7, 0.8]},
        ...                    "b": {"t1": [0.4, 0.5], "t2": [0.5, 0.6]}}, n_resamples=1000)
        >>> [round(a.estimates[0].value, 3) for a in found.algorithms]
        [0.65, 0.5]
    """
    import numpy as np

    from seedwise.stats._aggregate_boot import (
        STATISTICS,
        improvement,
        point_estimates,
        resampled_improvement,
        run_profile,
    )
    from seedwise.stats._intervals import Interval
    from seedwise.stats._task_bounds import improvement_bounds, profile_band
    from seedwise.stats.aggregate_results import (
        AggregateEstimate,
        Aggregates,
        AlgorithmAggregates,
        Improvement,
        RunProfile,
    )
    from seedwise.stats.ranking_posthoc import check_posthoc
    from seedwise.stats.task_ranking import rank_over_tasks

    if normalize not in NORMALIZATIONS:
        raise UsageError(
            f"Unknown normalisation. Received: normalize={normalize!r}; expected one of "
            + ", ".join(map(repr, NORMALIZATIONS))
        )
    confidence = check_level(confidence, name="confidence")
    alpha = check_level(alpha, name="alpha")
    check_positive_int(n_resamples, name="n_resamples", minimum=1000)
    posthoc = check_posthoc(posthoc)
    if not (isinstance(rope, (int, float)) and math.isfinite(rope) and rope >= 0):
        raise UsageError(f"`rope` must be a number of at least 0. Received: rope={rope!r}")
    root = root_seed(seed)
    metric_name = metric or "score"
    choice = infer_goal(metric_name, goal)
    cautions: list[str] = []
    tasks, found = _scores_by_task(scores, cautions)
    described = _normalize(found, tasks, normalize, reference, choice.goal, cautions)
    higher = choice.goal == "max" or normalize != "none"
    for name, runs_list in found.items():
        single = [task for task, runs in zip(tasks, runs_list, strict=True) if runs.size == 1]
        if single:
            cautions.append(
                f"one run: {name} has a single run on {', '.join(single)}; that task's "
                "variation cannot be measured and is held fixed, so its intervals are too narrow"
            )
    if normalize == "none" and choice.goal == "min":
        cautions.append(
            "optimality gap: it needs scores where higher is better and 1 is optimal; "
            "normalise (min-max or baseline) to get it"
        )
    packed = {
        name: TaskScores(np.concatenate(runs), np.array([r.size for r in runs], np.int64))
        for name, runs in found.items()
    }
    level_method = {
        "aggregate": TASK_BOOTSTRAP_METHOD if task_bootstrap else INTERVAL_METHOD,
        "median": TASK_BOOTSTRAP_METHOD if task_bootstrap else MEDIAN_METHOD,
        "improvement": IMPROVEMENT_METHOD,
        "profile": PROFILE_METHOD,
    }
    algorithms = []
    for name, data in packed.items():
        values = point_estimates(data)
        bounds = interval_bounds(
            data,
            n_resamples,
            generator(root, "aggregate", name),
            confidence,
            task_bootstrap=task_bootstrap,
        )
        estimates = []
        for i, statistic in enumerate(STATISTICS):
            method = level_method["median" if statistic == "median" else "aggregate"]
            interval = Interval(
                float(bounds[0, i]), float(bounds[1, i]), confidence, method, int(data.values.size)
            )
            value = float(values[i])
            if statistic == "optimality gap" and not higher:
                value = math.nan
                interval = Interval(
                    None, None, confidence, method, int(data.values.size), "needs normalised scores"
                )
            estimates.append(AggregateEstimate(statistic, value, interval))
        algorithms.append(
            AlgorithmAggregates(
                name,
                tuple(int(c) for c in data.counts),
                tuple(estimates),
                tuple(float(m) for m in data.task_means()),
            )
        )
    sign = 1.0 if higher else -1.0
    pooled = np.concatenate([data.values for data in packed.values()])
    grid = (
        np.linspace(float(pooled.min()), float(pooled.max()), 51)
        if thresholds is None
        else to_array(thresholds, name="thresholds")
    )
    profiles = []
    for name, data in packed.items():
        oriented = TaskScores(sign * data.values, data.counts)
        fraction = run_profile(oriented, sign * grid)
        low, high = profile_band(fraction, data.counts, confidence)
        profiles.append(RunProfile(name, grid, fraction, low, high))
    improvement_resamples = min(n_resamples, 10_000)
    improvements = []
    names = list(packed)
    for x in names:
        for y in names:
            if x == y:
                continue
            a = TaskScores(sign * packed[x].values, packed[x].counts)
            b = TaskScores(sign * packed[y].values, packed[y].counts)
            boot = resampled_improvement(
                a, b, improvement_resamples, generator(root, "improvement", x, y)
            )
            value = improvement(a, b)
            below, above = improvement_bounds(value, boot, a.counts, b.counts, confidence)
            interval = Interval(below, above, confidence, IMPROVEMENT_METHOD, len(tasks))
            improvements.append(Improvement(x, y, value, interval))
    ranking = None
    if len(names) >= 2:
        ranking = rank_over_tasks(
            {name: packed[name].task_means() for name in names},
            goal="max" if higher else "min",
            posthoc=posthoc,
            alpha=alpha,
            rope=float(rope),
            rng=generator(root, "ranking"),
            metric=metric_name,
        )
    return Aggregates(
        metric=metric_name,
        goal=choice.goal,
        normalization=described,
        tasks=tasks,
        algorithms=tuple(algorithms),
        profiles=tuple(profiles),
        improvements=tuple(improvements),
        ranking=ranking,
        confidence=confidence,
        n_resamples=n_resamples,
        task_bootstrap=task_bootstrap,
        methods=level_method,
        cautions=tuple(cautions),
    )
