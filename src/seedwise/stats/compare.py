"""Comparisons of two or more samples of runs: tests, intervals, effects, decisions."""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats._data import check_level, check_positive_int, own_words, root_seed, to_array
from seedwise.stats._format import counted
from seedwise.stats._intervals import Interval, clip_interval
from seedwise.stats._pair import PairTests, finish_pair, run_pair_tests
from seedwise.stats._range import check_range, metric_range
from seedwise.stats._resamples import Resamples
from seedwise.stats.comparison_results import (
    Comparison,
    EffectSize,
    PairComparison,
    RankEntry,
    TestResult,
)
from seedwise.stats.corrections import Correction, adjust_p_values, correction_name
from seedwise.stats.goal import Goal, infer_goal
from seedwise.stats.sample import Sample, check_samples
from seedwise.stats.sample import environment_notes as notes_on_environments

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Comparison", "EffectSize", "PairComparison", "RankEntry", "TestResult", "compare"]


@own_words
def compare(
    a: ArrayLike | Sample,
    b: ArrayLike | Sample,
    *more: ArrayLike | Sample,
    metric: str | None = None,
    goal: Goal | None = None,
    paired: bool | None = None,
    seeds: Sequence[Sequence[int]] | None = None,
    labels: Sequence[str] | None = None,
    baseline: str | None = None,
    correction: Correction = "holm",
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int | np.random.Generator = 0,
    environment_notes: Sequence[str] = (),
    value_range: tuple[float, float] | None = None,
) -> Comparison:
    """Compare two or more samples of runs on one metric.

    Paired samples (runs that share seeds) are compared through their
    per-seed differences: Wilcoxon signed-rank (primary) and paired t.
    Unpaired samples: Mann-Whitney U (primary), Welch's t and a permutation
    test of the difference of means. P-values are exact, or permutation
    p-values with ties and zeros (``seedwise.stats._shift``). The verdict's
    estimand is the Hodges-Lehmann shift, with the interval got by inverting
    the primary test at the level the correction holds the pair to, so the
    interval excludes 0 exactly when the verdict is significant. The mean
    difference is reported beside it with the hull of the t (Welch t) and
    bootstrap-t intervals. Every pair also gets Hedges' g (paired: g_z) with a
    BCa interval, and Cliff's delta (B > A, of the values) and P(B beats A,
    respecting ``goal``) with Clopper-Pearson intervals, defined at 0 and 1.
    With more than two samples, the primary p-values are corrected over the
    pairs.

    The rank tests are primary because run-to-run results of ML models are
    often skewed or have outliers, where they keep their level and lose
    little power (95% of the t-test's efficiency under normality).

    Every difference, shift and effect size of a pair is of the later sample
    against the earlier one, or against ``baseline`` (``b - a``), so that
    their signs agree wherever they are shown.

    Samples (``study.sample("mse")``, :class:`~seedwise.stats.Sample`) are
    compared like their values: ``compare(study_a.sample("mse"),
    study_b.sample("mse"))`` is ``compare(values_a, values_b, metric="mse",
    seeds=[seeds_a, seeds_b], labels=[study_a.name, study_b.name])``, plus a
    warning for each study with runs that did not finish and the notes of
    :func:`seedwise.stats.environment_notes` on their environments.

    Args:
        a: A's values, one per run, or a sample.
        b: B's values.
        *more: Further samples.
        metric: The metric's name (default ``"value"``, or the samples').
        goal: ``"min"`` when lower is better (losses), ``"max"`` when higher
            is; None infers it from the metric's name
            (:func:`seedwise.stats.goal.infer_goal`: ``"max"`` for accuracy,
            f1, reward, ...; ``"min"`` for loss, error, time, ...) and
            assumes ``"min"`` when the name says neither.
            ``Comparison.goal_source`` and ``goal_note`` say which.
        paired: True when ``a[i]`` and ``b[i]`` come from the same seed;
            False for independent samples; None decides from ``seeds``:
            paired on the seeds every sample has when those are at least
            half of each sample's runs (``Comparison.design`` and
            ``dropped_seeds`` say which were left out), else unpaired; and
            unpaired when no seeds are given.
        seeds: Each sample's per-run seeds; paired samples are aligned by
            seed, and runs without a partner are dropped with a warning.
            Samples give their own.
        labels: The samples' names; default the samples' study names, or ``"A"``,
            ``"B"``, ... for arrays.
        baseline: Compare every other sample with this label only; default
            all pairs.
        correction: ``"holm"`` (family-wise error), ``"bh"``
            (Benjamini-Hochberg false discovery rate) or ``"none"``.
        alpha: The significance level of the verdicts.
        confidence: The confidence level of the intervals.
        n_resamples: Resamples of every bootstrap and permutation test.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.
        environment_notes: Differences between the samples' code or
            environments, reported among the warnings.
        value_range: ``(low, high)``, the values the metric can take: every
            value must lie there, and the intervals of differences stay
            within ``+/-(high - low)``.

    Returns:
        The ``Comparison``.

    Raises:
        UsageError: Bad labels, baseline, goal, correction, levels, paired
            samples of unequal lengths, samples of different metrics, samples
            mixed with arrays, or a study where its sample belongs.

    Example:
        >>> result = compare([3.1, 2.9, 3.4, 3.0, 3.2, 3.3], [2.1, 2.0, 2.4, 2.2, 1.9, 2.3],
        ...                  metric="mse", goal="min", paired=True, n_resamples=999)
        >>> result.pairs[0].winner
        'B'
    """
    samples: tuple[object, ...] = (a, b, *more)
    found = check_samples(samples)
    warnings = [f"environment: {note}" for note in environment_notes]
    if found is not None:
        samples, seeds, labels, metric = _from_samples(found, metric, seeds, labels, warnings)
    metric_name = metric or "value"
    choice = infer_goal(metric_name, goal)
    goal = choice.goal
    if paired not in (None, True, False):
        raise UsageError(f"`paired` must be True, False or None. Received: paired={paired!r}")
    alpha = check_level(alpha, name="alpha")
    confidence = check_level(confidence, name="confidence")
    check_positive_int(n_resamples, name="n_resamples", minimum=100)
    names = _labels(labels, len(samples))
    if baseline is not None and baseline not in names:
        raise UsageError(
            f"The baseline is not one of the labels. Received: baseline={baseline!r}; "
            f"expected one of {', '.join(map(repr, names))}"
        )
    root = root_seed(seed)
    arrays = [
        to_array(sample, name=label)  # type: ignore[arg-type]
        for sample, label in zip(samples, names, strict=True)
    ]
    declared = check_range(value_range)
    if declared is not None:
        import numpy as np

        for array in arrays:
            metric_range(array[np.isfinite(array)], metric_name, declared)
    pairing = _pairing(arrays, names, paired, seeds, warnings)
    is_paired, arrays = pairing.paired, pairing.arrays
    tested: list[PairTests] = []
    for i, j in _pair_indices(names, baseline):
        x, y, notes = _finite_pair(arrays[i], arrays[j], is_paired, names[i], names[j])
        tested.append(
            run_pair_tests(
                x,
                y,
                paired=is_paired,
                label_a=names[i],
                label_b=names[j],
                alpha=alpha,
                n_resamples=n_resamples,
                root=root,
                notes=tuple(notes),
            )
        )
    resamples = Resamples(root, n_resamples)
    adjusted = _adjusted(tested, correction)
    levels = verdict_levels([item.primary_p for item in tested], correction, alpha)
    label = correction_name(correction) if len(tested) > 1 and correction != "none" else None
    pairs = tuple(
        finish_pair(
            item,
            adjusted=adjusted[index],
            level=levels[index],
            correction=label,
            metric=metric_name,
            goal=goal,
            paired=is_paired,
            alpha=alpha,
            confidence=confidence,
            n_resamples=n_resamples,
            root=root,
            resamples=resamples,
        )
        for index, item in enumerate(tested)
    )
    if declared is not None:
        pairs = tuple(_within(pair, declared[1] - declared[0]) for pair in pairs)
    return Comparison(
        metric=metric_name,
        goal=goal,
        paired=is_paired,
        correction=correction,
        alpha=alpha,
        confidence=confidence,
        labels=names,
        baseline=baseline,
        pairs=pairs,
        ranking=_ranking(arrays, names, goal),
        warnings=tuple(warnings),
        design=pairing.design,
        dropped_seeds=pairing.dropped,
        goal_source=choice.source,
        goal_note=choice.note,
    )


def _within(pair: PairComparison, width: float) -> PairComparison:
    """``pair`` with its intervals of differences cut to ``+/-width``, as far as values reach."""
    from dataclasses import replace

    def cut(interval: Interval | None) -> Interval | None:
        return None if interval is None else clip_interval(interval, (-width, width))

    return replace(
        pair,
        difference_ci=clip_interval(pair.difference_ci, (-width, width)),
        shift_ci=cut(pair.shift_ci),
        t_interval=cut(pair.t_interval),
    )


def _from_samples(
    samples: list[Sample],
    metric: str | None,
    seeds: Sequence[Sequence[int]] | None,
    labels: Sequence[str] | None,
    warnings: list[str],
) -> tuple[tuple[object, ...], Sequence[Sequence[int]] | None, Sequence[str], str]:
    """The values, seeds, labels and metric of samples, and their warnings."""
    metrics = {sample.metric for sample in samples}
    if len(metrics) != 1 or (metric is not None and metric not in metrics):
        raise UsageError(
            "The samples must hold the metric compared. Received: samples of "
            f"{sorted(metrics)!r}"
            + ("" if metric is None else f" and metric={metric!r}")
            + "; expected one metric for every sample"
        )
    if seeds is not None:
        raise UsageError(
            "Samples give their own seeds. Received: seeds and samples; expected seeds=None"
        )
    names = [sample.name for sample in samples] if labels is None else list(labels)
    if all(sample.seeds is not None for sample in samples):
        seeds = [sample.seeds for sample in samples]  # type: ignore[misc]
    warnings.extend(
        f"{counted(sample.n_failed, 'run')} of {name} did not finish and "
        f"{'is' if sample.n_failed == 1 else 'are'} left out"
        for sample, name in zip(samples, names, strict=False)
        if sample.n_failed
    )
    warnings.extend(
        f"{name}: {note}"
        for sample, name in zip(samples, names, strict=False)
        for note in sample.notes
    )
    environments = {name: sample.environments for sample, name in zip(samples, names, strict=False)}
    warnings.extend(f"environment: {note}" for note in notes_on_environments(environments))
    return tuple(sample.values for sample in samples), seeds, names, metrics.pop()


def _adjusted(tested: list[PairTests], correction: Correction) -> list[tuple[float | None, ...]]:
    """Each pair's p-values corrected test by test across the pairs."""
    families: dict[str, list[tuple[int, int]]] = {}
    for pair_index, item in enumerate(tested):
        for test_index, test in enumerate(item.tests):
            if test.p_value is not None:
                families.setdefault(test.name, []).append((pair_index, test_index))
    adjusted: dict[tuple[int, int], float] = {}
    for members in families.values():
        raw = [tested[p].tests[t].p_value for p, t in members]
        for member, value in zip(members, adjust_p_values(raw, correction), strict=True):  # type: ignore[arg-type]
            adjusted[member] = value
    return [
        tuple(adjusted.get((pair_index, test_index)) for test_index in range(len(item.tests)))
        for pair_index, item in enumerate(tested)
    ]


def _labels(labels: Sequence[str] | None, count: int) -> tuple[str, ...]:
    if labels is None:
        letters = string.ascii_uppercase
        return tuple(letters[i] if i < len(letters) else f"S{i + 1}" for i in range(count))
    names = tuple(str(label) for label in labels)
    if len(names) != count or len(set(names)) != count:
        raise UsageError(
            f"`labels` must name each sample once. Received: labels={list(names)!r} for "
            f"{count} samples; expected {count} distinct names"
        )
    return names


def _pair_indices(names: tuple[str, ...], baseline: str | None) -> list[tuple[int, int]]:
    if baseline is None:
        return [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    base = names.index(baseline)
    return [(base, j) for j in range(len(names)) if j != base]


@dataclass(frozen=True)
class _Pairing:
    paired: bool
    arrays: list[NDArray[np.float64]]
    design: str
    dropped: dict[str, tuple[int, ...]] = field(default_factory=dict)


def _pairing(
    arrays: list[NDArray[np.float64]],
    names: tuple[str, ...],
    paired: bool | None,
    seeds: Sequence[Sequence[int]] | None,
    warnings: list[str],
) -> _Pairing:
    """Whether the samples are paired, the arrays aligned seed by seed if so, and why.

    With seeds and ``paired=None``, the samples are paired on the seeds they
    all share when those are at least half of every sample's runs (a few
    failed or missing runs never unpair a comparison); otherwise unpaired.
    """
    if seeds is None:
        if not paired:
            why = "paired=False" if paired is False else "no seeds given to pair runs by"
            return _Pairing(False, arrays, f"unpaired ({why})")
        lengths = {int(array.shape[0]) for array in arrays}
        if len(lengths) != 1:
            raise UsageError(
                "Paired samples must have equal lengths, one value per shared seed. "
                f"Received: lengths {[int(x.shape[0]) for x in arrays]} for {list(names)}; "
                "expected equal lengths, or paired=False"
            )
        return _Pairing(True, arrays, f"paired by position: {lengths.pop()} pairs (paired=True)")
    seed_lists = [list(map(int, s)) for s in seeds]
    if len(seed_lists) != len(arrays) or any(
        len(s) != array.shape[0] or len(set(s)) != len(s)
        for s, array in zip(seed_lists, arrays, strict=False)
    ):
        raise UsageError(
            "`seeds` must give one distinct seed per run of each sample. Received: "
            f"{[len(s) for s in seed_lists]} seeds for samples of lengths "
            f"{[int(x.shape[0]) for x in arrays]}; expected the same lengths, no repeats"
        )
    shared = set(seed_lists[0]).intersection(*map(set, seed_lists[1:]))
    common = [s for s in seed_lists[0] if s in shared]
    enough = len(common) >= 2 and all(2 * len(common) >= len(s) for s in seed_lists)
    if paired is False or (paired is None and not enough):
        why = (
            "paired=False"
            if paired is False
            else f"the samples share {len(common)} of their seeds, fewer than half"
        )
        return _Pairing(False, arrays, f"unpaired ({why})")
    dropped = {
        name: tuple(seed for seed in s if seed not in shared)
        for name, s in zip(names, seed_lists, strict=True)
    }
    dropped = {name: left for name, left in dropped.items() if left}
    design = f"paired by seed on the {len(common)} seeds every sample has"
    if dropped:
        listed = "; ".join(
            f"{name}: {', '.join(map(str, left[:10]))}"
            + (f" and {len(left) - 10} more" if len(left) > 10 else "")
            for name, left in dropped.items()
        )
        count = sum(len(left) for left in dropped.values())
        design += f"; {counted(count, 'run')} without a partner left out (seeds {listed})"
        warnings.append(
            f"{counted(count, 'run')} without a partner on every sample "
            f"{'was' if count == 1 else 'were'} left out; the comparison "
            f"is paired on the {len(common)} shared seeds"
        )
    aligned = []
    for s, array in zip(seed_lists, arrays, strict=True):
        position = {value: index for index, value in enumerate(s)}
        aligned.append(array[[position[value] for value in common]])
    return _Pairing(True, aligned, design, dropped)


def _finite_pair(
    x: NDArray[np.float64], y: NDArray[np.float64], paired: bool, label_a: str, label_b: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
    import numpy as np

    notes = []
    if paired:
        keep = np.isfinite(x) & np.isfinite(y)
        if not keep.all():
            left = counted(int((~keep).sum()), "pair")
            notes.append(f"{left} with a non-finite value (NaN or inf) left out")
        return x[keep], y[keep], notes
    for label, values in ((label_a, x), (label_b, y)):
        bad = int((~np.isfinite(values)).sum())
        if bad:
            notes.append(f"{counted(bad, 'non-finite value')} (NaN or inf) of {label} left out")
    return x[np.isfinite(x)], y[np.isfinite(y)], notes


def verdict_levels(
    p_values: Sequence[float | None], correction: Correction, alpha: float
) -> list[float]:
    """The significance level each pair's verdict is held to after the correction.

    Testing raw ``p`` against this level gives the same decision as testing
    the corrected p-value against ``alpha``, so an interval at ``1 - level``
    excludes 0 exactly when the verdict is significant. Holm: the pair ranked
    ``i``-th by p gets ``alpha / (m - min(i, k) + 1)``, with ``k`` the first
    rank Holm does not reject. Benjamini-Hochberg: ``max(R, 1) alpha / m``
    with ``R`` rejections (the false-coverage-rate intervals of Benjamini and
    Yekutieli 2005). One pair, or no correction: ``alpha``.

    Args:
        p_values: Each pair's raw primary p-value, None where no test ran.
        correction: ``"holm"``, ``"bh"`` or ``"none"``.
        alpha: The family's significance level.

    Returns:
        One level per pair (``alpha`` where no test ran).
    """
    valid = [(p, index) for index, p in enumerate(p_values) if p is not None]
    m = len(valid)
    levels = [alpha] * len(p_values)
    if m <= 1 or correction == "none":
        return levels
    if correction == "bh":
        rejected = sum(p <= alpha for p in adjust_p_values([p for p, _ in valid], "bh"))
        return [max(rejected, 1) * alpha / m if p is not None else alpha for p in p_values]
    ordered = sorted(valid)
    first_kept = next(
        (rank for rank, (p, _) in enumerate(ordered, 1) if (m - rank + 1) * p > alpha), m + 1
    )
    for rank, (_, index) in enumerate(ordered, 1):
        levels[index] = alpha / (m - min(rank, first_kept) + 1)
    return levels


def _ranking(
    arrays: list[NDArray[np.float64]], names: tuple[str, ...], goal: Goal
) -> tuple[RankEntry, ...]:
    import numpy as np

    entries = []
    for name, array in zip(names, arrays, strict=True):
        finite = array[np.isfinite(array)]
        entries.append((name, float(np.mean(finite)) if finite.size else None, int(finite.size)))
    sign = 1.0 if goal == "min" else -1.0
    ordered = sorted(
        entries,
        key=lambda entry: (entry[1] is None, sign * entry[1] if entry[1] is not None else 0.0),
    )
    return tuple(RankEntry(rank + 1, name, mean, n) for rank, (name, mean, n) in enumerate(ordered))
