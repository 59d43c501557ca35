"""Comparisons of two or more samples of runs: tests, intervals, effects, verdicts."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from seedwise._html import notebook_block
from seedwise.errors import UsageError
from seedwise.stats._data import (
    check_level,
    check_positive_int,
    generator,
    pick_metric,
    root_seed,
    to_array,
)
from seedwise.stats._display import comparison_html, pair_html
from seedwise.stats._format import format_interval, format_number, format_p, plain_dict
from seedwise.stats._intervals import Interval
from seedwise.stats._pair import (
    BEATS,
    CLIFFS_DELTA,
    EffectSize,
    Goal,
    PairAnalysis,
    TestResult,
    analyse_pair,
)
from seedwise.stats._shift import shift_interval
from seedwise.stats.corrections import Correction, adjust_p_values, correction_name
from seedwise.stats.goal import GoalSource, infer_goal
from seedwise.stats.studies import StudyMetrics, StudySource
from seedwise.stats.studies import environment_notes as notes_on_environments

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Comparison", "EffectSize", "PairComparison", "RankEntry", "TestResult", "compare"]


@dataclass(frozen=True)
class PairComparison:
    """B against A: tests, the interval of the difference, effect sizes, a verdict.

    Differences and effect sizes are B minus A. ``p_value`` is the primary
    test's p-value after the comparison's correction: Wilcoxon signed-rank
    for paired samples, Mann-Whitney U for unpaired ones.

    Attributes:
        a: A's label.
        b: B's label.
        metric: The metric compared.
        goal: ``"min"`` or ``"max"``.
        paired: Whether runs were paired by seed.
        n_a: A's finite values used (for a paired comparison, the pairs).
        n_b: B's finite values used.
        mean_a: A's mean over the values used.
        mean_b: B's mean over the values used.
        difference: ``mean_b - mean_a`` (paired: the mean per-seed difference).
        difference_ci: The interval of ``difference``: the hull of the t (Welch
            t) and bootstrap-t intervals, at ``confidence``, not adjusted.
        tests: Every test run, the primary one first.
        effects: Hedges' g and Cliff's delta (B > A), both of the values, and P(B
            beats A), which respects the goal, with intervals.
        p_value: The primary test's corrected p-value.
        significant: Whether ``p_value <= alpha``.
        winner: The better label when significant, else None.
        verdict: One line in plain words.
        warnings: Small n, non-normal data, disagreements, dropped runs.
        shift: The Hodges-Lehmann shift of B against A, the estimand of the
            verdict: the median of the Walsh averages of the per-seed
            differences (paired) or of all differences ``b_j - a_i``.
        shift_ci: The interval of ``shift`` from inverting the primary test, at
            ``1 - level`` where ``level`` is the significance level this pair's
            verdict is held to after the multiplicity correction: it excludes 0
            exactly when the verdict is significant.
    """

    a: str
    b: str
    metric: str
    goal: Goal
    paired: bool
    n_a: int
    n_b: int
    mean_a: float | None
    mean_b: float | None
    difference: float | None
    difference_ci: Interval
    tests: tuple[TestResult, ...]
    effects: tuple[EffectSize, ...]
    p_value: float | None
    significant: bool
    winner: str | None
    verdict: str
    warnings: tuple[str, ...] = field(default=())
    shift: float | None = None
    shift_ci: Interval | None = None

    @property
    def primary(self) -> TestResult | None:
        """The test that decides the verdict, or None when none could run."""
        return next((test for test in self.tests if test.primary), None)

    def effect(self, name: str) -> EffectSize:
        """The effect size called ``name``, e.g. ``"Cliff's delta"`` or ``"P(B beats A)"``."""
        for effect in self.effects:
            if name in (effect.name, effect.name.removesuffix(" (B > A)")):
                return effect
        raise KeyError(name)

    def effect_label(self, effect: EffectSize) -> str:
        """The effect's name with the pair's labels: ``P(tuned beats base)``."""
        return effect.name.replace(BEATS, f"P({self.b} beats {self.a})").replace(
            CLIFFS_DELTA, f"Cliff's delta ({self.b} > {self.a})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready values."""
        result = {
            name: getattr(self, name)
            for name in (
                "a", "b", "metric", "goal", "paired", "n_a", "n_b", "mean_a", "mean_b",
                "difference", "p_value", "significant", "winner", "verdict", "shift",
            )
        }  # fmt: skip
        result["difference_ci"] = self.difference_ci.to_dict()
        result["shift_ci"] = None if self.shift_ci is None else self.shift_ci.to_dict()
        result["tests"] = [test.to_dict() for test in self.tests]
        result["effects"] = [effect.to_dict() for effect in self.effects]
        result["warnings"] = list(self.warnings)
        return plain_dict(result)

    def _repr_html_(self) -> str:
        """The pair as HTML, for notebooks (every label escaped)."""
        return str(notebook_block(pair_html(self)))

    def __str__(self) -> str:
        lines = [self.verdict]
        if self.difference is not None:
            ci = self.difference_ci
            what = "mean per-seed difference" if self.paired else "difference of means"
            lines.append(
                f"  {what} {self.b} - {self.a}: {format_number(self.difference)} "
                f"{format_interval(ci.low, ci.high, ci.confidence)} ({ci.method})"
                + (f": {ci.note}" if ci.note else "")
            )
        for test in self.tests:
            stat = format_number(test.statistic)
            adjusted = (
                "" if test.p_adjusted == test.p_value else f", adjusted {format_p(test.p_adjusted)}"
            )
            mark = " (primary)" if test.primary else ""
            lines.append(
                f"  {test.name}{mark}: statistic {stat}, {format_p(test.p_value)}{adjusted}"
            )
        for effect in self.effects:
            interval = format_interval(
                effect.interval.low, effect.interval.high, effect.interval.confidence
            )
            label = self.effect_label(effect)
            lines.append(f"  {label} = {format_number(effect.value, 3)} {interval}")
        lines.extend(f"  warning: {warning}" for warning in self.warnings)
        return "\n".join(lines)


@dataclass(frozen=True)
class RankEntry:
    """One sample's place in the ranking by mean."""

    rank: int
    label: str
    mean: float | None
    n: int

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready values."""
        return plain_dict(self.__dict__)


@dataclass(frozen=True)
class Comparison:
    """The result of ``compare``: every pair, a ranking, and warnings.

    Attributes:
        metric: The metric compared.
        goal: ``"min"`` or ``"max"``.
        paired: Whether runs were paired by seed.
        correction: ``"holm"``, ``"bh"`` or ``"none"``, applied over the pairs.
        alpha: The significance level of the verdicts.
        confidence: The confidence level of the intervals.
        labels: The samples' labels, in the order given.
        baseline: The label every other sample was compared with, or None
            for all pairs.
        pairs: One ``PairComparison`` per pair.
        ranking: The samples ordered from best to worst mean.
        warnings: Warnings for the whole comparison, e.g. environment notes.
        design: One line saying how the runs were matched: paired on how
            many seeds, or unpaired and why.
        dropped_seeds: For a comparison paired on shared seeds, each label's
            seeds that were left out because another sample lacks them.
        goal_source: ``"given"``, ``"inferred"`` from the metric's name, or
            ``"assumed"`` (lower is better) because the name says neither.
        goal_note: One line saying which direction is better and why
            (:attr:`seedwise.stats.goal.GoalChoice.note`).
    """

    metric: str
    goal: Goal
    paired: bool
    correction: Correction
    alpha: float
    confidence: float
    labels: tuple[str, ...]
    baseline: str | None
    pairs: tuple[PairComparison, ...]
    ranking: tuple[RankEntry, ...]
    warnings: tuple[str, ...] = field(default=())
    design: str = ""
    dropped_seeds: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    goal_source: GoalSource = "given"
    goal_note: str = ""

    def pair(self, a: str, b: str) -> PairComparison:
        """The comparison of ``b`` against ``a`` (in either order as computed)."""
        for pair in self.pairs:
            if {pair.a, pair.b} == {a, b}:
                return pair
        raise KeyError((a, b))

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready values."""
        return plain_dict(
            {
                "metric": self.metric,
                "goal": self.goal,
                "goal_source": self.goal_source,
                "goal_note": self.goal_note,
                "paired": self.paired,
                "correction": self.correction,
                "alpha": self.alpha,
                "confidence": self.confidence,
                "labels": list(self.labels),
                "baseline": self.baseline,
                "pairs": [pair.to_dict() for pair in self.pairs],
                "ranking": [entry.to_dict() for entry in self.ranking],
                "warnings": list(self.warnings),
                "design": self.design,
                "dropped_seeds": {k: list(v) for k, v in self.dropped_seeds.items()},
            }
        )

    def _repr_html_(self) -> str:
        """Every pair, the ranking and the warnings as HTML, for notebooks."""
        return comparison_html(self)

    def __str__(self) -> str:
        lines = [f"design: {self.design}"] if self.design else []
        lines.extend([f"goal: {self.goal_note}"] if self.goal_note else [])
        lines.extend(str(pair) for pair in self.pairs)
        better = "lowest" if self.goal == "min" else "highest"
        ranking = ", ".join(
            f"{entry.rank}. {entry.label} ({format_number(entry.mean)}, n = {entry.n})"
            for entry in self.ranking
        )
        lines.append(f"ranking by mean {self.metric} ({better} first): {ranking}")
        lines.extend(f"warning: {warning}" for warning in self.warnings)
        return "\n".join(lines)


def compare(
    a: ArrayLike | Mapping[str, ArrayLike] | StudySource,
    b: ArrayLike | Mapping[str, ArrayLike] | StudySource,
    *more: ArrayLike | Mapping[str, ArrayLike] | StudySource,
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

    Studies (``seedwise.Study``, or any :class:`StudySource`) are compared on
    their finished runs: ``compare(study_a, study_b, metric="mse")`` is
    ``compare(values_a, values_b, metric="mse", seeds=[seeds_a, seeds_b],
    labels=[study_a.name, study_b.name])``, plus a warning for each study
    with runs that did not finish and the notes of
    :func:`seedwise.stats.environment_notes` on their environments.

    Args:
        a: A's values, one per run; a mapping metric -> values; or a study.
        b: B's values.
        *more: Further samples.
        metric: The metric's name; required when samples are mappings or
            studies.
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
            Studies give their own.
        labels: The samples' names; default the studies' names, or ``"A"``,
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

    Returns:
        The ``Comparison``.

    Raises:
        MissingMetricError: A sample is a mapping or study without ``metric``.
        UsageError: Bad labels, baseline, goal, correction, levels, paired
            samples of unequal lengths, or studies mixed with arrays.

    Example:
        >>> result = compare([3.1, 2.9, 3.4, 3.0, 3.2, 3.3], [2.1, 2.0, 2.4, 2.2, 1.9, 2.3],
        ...                  metric="mse", goal="min", paired=True, n_resamples=999)
        >>> result.pairs[0].winner
        'B'
    """
    samples: tuple[object, ...] = (a, b, *more)
    studies = _read_studies(samples, metric, seeds)
    if studies is not None:
        samples = tuple(study.values[str(metric)] for study in studies)
        seeds = [study.seeds for study in studies]
        labels = [study.name for study in studies] if labels is None else labels
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
        to_array(pick_metric(sample, metric, name=label), name=label)  # type: ignore[arg-type]
        for sample, label in zip(samples, names, strict=True)
    ]
    warnings = [f"environment: {note}" for note in environment_notes]
    if studies is not None:
        warnings.extend(_study_warnings(studies, names))
    pairing = _pairing(arrays, names, paired, seeds, warnings)
    is_paired, arrays = pairing.paired, pairing.arrays
    pair_indices = _pair_indices(names, baseline)
    analyses: list[_Analysed] = []
    for i, j in pair_indices:
        x, y, notes = _finite_pair(arrays[i], arrays[j], is_paired, names[i], names[j])
        analysis = analyse_pair(
            x, y, paired=is_paired, label_a=names[i], label_b=names[j], goal=goal,
            alpha=alpha, confidence=confidence, n_resamples=n_resamples, root=root,
        )  # fmt: skip
        analyses.append(_Analysed(names[i], names[j], analysis, notes, x, y))
    pairs = _corrected_pairs(analyses, metric_name, goal, correction, alpha, n_resamples, root)
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


def _read_studies(
    samples: tuple[object, ...], metric: str | None, seeds: Sequence[Sequence[int]] | None
) -> list[StudyMetrics] | None:
    """Each study's finished runs of ``metric``; None when the samples are not studies."""
    studies = [sample for sample in samples if isinstance(sample, StudySource)]
    if not studies:
        return None
    if len(studies) != len(samples):
        kinds = ", ".join(type(sample).__name__ for sample in samples)
        raise UsageError(
            "compare takes studies or arrays, not a mix. Received: samples of types "
            f"{kinds}; expected only studies, or only arrays (study.metrics(name) gives one)"
        )
    if metric is None:
        known = ", ".join(map(repr, studies[0].study_metrics().values)) or "none"
        raise UsageError(
            "`metric` is required when comparing studies. Received: metric=None; "
            f"expected one of: {known}"
        )
    if seeds is not None:
        raise UsageError(
            "Studies give their own seeds. Received: seeds and studies; expected seeds=None"
        )
    return [study.study_metrics([metric]) for study in studies]


def _study_warnings(studies: list[StudyMetrics], names: tuple[str, ...]) -> list[str]:
    """Runs that did not finish, and differences between the studies' environments."""
    warnings = [
        f"{study.n_failed} runs of {name} did not finish and are left out"
        for study, name in zip(studies, names, strict=True)
        if study.n_failed
    ]
    environments = {name: study.environments for study, name in zip(studies, names, strict=True)}
    warnings.extend(f"environment: {note}" for note in notes_on_environments(environments))
    return warnings


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


@dataclass(frozen=True)
class _Analysed:
    a: str
    b: str
    analysis: PairAnalysis
    notes: list[str]
    x: NDArray[np.float64]
    y: NDArray[np.float64]


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
        design += f"; {count} runs without a partner left out (seeds {listed})"
        warnings.append(
            f"{count} runs without a partner on every sample were left out; the comparison "
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
            notes.append(
                f"{int((~keep).sum())} pairs with a non-finite value (NaN or inf) left out"
            )
        return x[keep], y[keep], notes
    for label, values in ((label_a, x), (label_b, y)):
        bad = int((~np.isfinite(values)).sum())
        if bad:
            notes.append(f"{bad} non-finite values (NaN or inf) of {label} left out")
    return x[np.isfinite(x)], y[np.isfinite(y)], notes


def _corrected_pairs(
    analyses: list[_Analysed],
    metric: str,
    goal: Goal,
    correction: Correction,
    alpha: float,
    n_resamples: int,
    root: int,
) -> tuple[PairComparison, ...]:
    """Pairs with each test's p-values corrected across the pairs, and verdicts."""
    families: dict[str, list[tuple[int, int]]] = {}
    for pair_index, item in enumerate(analyses):
        for test_index, test in enumerate(item.analysis.tests):
            if test.p_value is not None:
                families.setdefault(test.name, []).append((pair_index, test_index))
    adjusted: dict[tuple[int, int], float] = {}
    for members in families.values():
        raw = [analyses[p].analysis.tests[t].p_value for p, t in members]
        for member, value in zip(members, adjust_p_values(raw, correction), strict=True):  # type: ignore[arg-type]
            adjusted[member] = value
    label = correction_name(correction) if len(analyses) > 1 and correction != "none" else None
    primaries = [
        next((test.p_value for test in item.analysis.tests if test.primary), None)
        for item in analyses
    ]
    levels = verdict_levels(primaries, correction, alpha)
    pairs = []
    for pair_index, item in enumerate(analyses):
        analysis = item.analysis
        tests = tuple(
            replace(test, p_adjusted=adjusted.get((pair_index, test_index)))
            for test_index, test in enumerate(analysis.tests)
        )
        primary = next((test for test in tests if test.primary), None)
        p_value = primary.p_adjusted if primary is not None else None
        significant = p_value is not None and p_value <= alpha
        shift_ci = None
        if primary is not None:
            seed = int(generator(root, "compare", item.a, item.b, "rank test").integers(2**63 - 1))
            shift_ci = shift_interval(
                item.x, item.y, paired=analysis.paired, confidence=1.0 - levels[pair_index],
                n_resamples=n_resamples, seed=seed,
            )  # fmt: skip
        winner = None
        if significant and analysis.direction:
            b_larger = analysis.direction > 0
            winner = item.b if b_larger == (goal == "max") else item.a
        pairs.append(
            PairComparison(
                a=item.a,
                b=item.b,
                metric=metric,
                goal=goal,
                paired=analysis.paired,
                n_a=analysis.n_a,
                n_b=analysis.n_b,
                mean_a=analysis.mean_a,
                mean_b=analysis.mean_b,
                difference=analysis.difference,
                difference_ci=analysis.difference_ci,
                tests=tests,
                effects=analysis.effects,
                p_value=p_value,
                significant=significant,
                winner=winner,
                verdict=_verdict(
                    item.a, item.b, metric, analysis, primary, p_value, winner, label, shift_ci
                ),
                warnings=(*item.notes, *analysis.warnings),
                shift=analysis.shift,
                shift_ci=shift_ci,
            )
        )
    return tuple(pairs)


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


def _verdict(
    name_a: str,
    name_b: str,
    metric: str,
    analysis: PairAnalysis,
    primary: TestResult | None,
    p_value: float | None,
    winner: str | None,
    correction: str | None,
    shift_ci: Interval | None,
) -> str:
    if analysis.unavailable is not None:
        return f"cannot compare {name_a} and {name_b} on {metric}: {analysis.unavailable}"
    if analysis.identical is not None:
        return f"no difference between {name_a} and {name_b} on {metric}: {analysis.identical}"
    sizes = (
        f"n = {analysis.n_a} paired"
        if analysis.paired
        else f"n = {analysis.n_a} + {analysis.n_b} unpaired"
    )
    test = primary.name.split(" ")[0] if primary is not None else "no test"
    method = f"{test}, {correction}" if correction else test
    if winner == name_a:
        first, second = name_a, name_b
        mean_first, mean_second = analysis.mean_a, analysis.mean_b
        sign = -1.0
    else:
        first, second = name_b, name_a
        mean_first, mean_second = analysis.mean_b, analysis.mean_a
        sign = 1.0
    shift = None if analysis.shift is None else sign * analysis.shift
    if shift_ci is None:
        interval = "[CI n/a]"
    else:
        low, high = shift_ci.low, shift_ci.high
        if sign < 0:
            low, high = _neg(high), _neg(low)
        interval = format_interval(low, high, shift_ci.confidence)
    numbers = (
        f"shift {format_number(shift)} {interval} (Hodges-Lehmann), "
        f"{format_p(p_value)} ({method}), {sizes}; "
        f"mean {format_number(mean_first)} vs {format_number(mean_second)}"
    )
    if winner is not None:
        return f"{first} beats {second} on {metric}: {numbers}"
    return f"no significant difference between {first} and {second} on {metric}: {numbers}"


def _neg(value: float | None) -> float | None:
    return None if value is None else -value


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
