"""What a comparison returns, and the one place its tables and verdicts are built.

The result types hold data only (numbers, intervals, labels, reasons); the
functions below build every table of a comparison once, as
:mod:`seedwise._document` blocks, and make the one line of prose (the
verdict). The terminal (``__str__``), notebooks (``_repr_html_``) and the
report (:mod:`seedwise.report`) all show those blocks, so they show the
same rows, digits and signs.

Every difference and shift of a pair is ``b - a``: the later sample minus
the earlier one, which is the baseline when there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from seedwise._document import Block, Paragraph, Table, html_blocks, text_lines
from seedwise._html import notebook_block, notebook_text
from seedwise.stats._format import (
    format_number,
    format_p,
    level_text,
    plain_dict,
    signed_number,
)
from seedwise.stats._intervals import Interval, interval_cell
from seedwise.stats.corrections import Correction, correction_name
from seedwise.stats.goal import Goal, GoalSource

__all__ = [
    "BEATS",
    "CLIFFS_DELTA",
    "Comparison",
    "EffectSize",
    "PairComparison",
    "RankEntry",
    "TestResult",
    "comparison_blocks",
    "estimates_table",
    "pair_blocks",
    "pairs_table",
    "ranking_table",
    "tests_table",
    "verdict_line",
]

CLIFFS_DELTA = "Cliff's delta (B > A)"
BEATS = "P(B beats A)"

#: From this many samples on, a comparison prints one line per pair, not one
#: row per sample measured against the first: the other pairs matter as much.
PAIRS_TABLE_FROM = 4


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test of "A and B do not differ".

    Attributes:
        name: The test, e.g. ``"Wilcoxon signed-rank"``.
        statistic: The test statistic as SciPy reports it (for ``B`` against
            ``A``), or None when the test was not run.
        p_value: The two-sided p-value before correction.
        p_adjusted: The p-value after the comparison's correction.
        primary: Whether this test decides the verdict.
        note: Why the test was not run, or a caution about it.
    """

    name: str
    statistic: float | None
    p_value: float | None
    p_adjusted: float | None = None
    primary: bool = False
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The test as JSON-ready values."""
        return plain_dict(self.__dict__)


@dataclass(frozen=True)
class EffectSize:
    """An effect size of B against A, with its interval.

    Attributes:
        name: ``"Hedges' g"``, ``"Cliff's delta (B > A)"`` (of the values, whatever
            the goal) or ``"P(B beats A)"`` (B better, respecting the goal).
        value: The estimate, or None when undefined.
        interval: Its interval.
        note: Why it is undefined, or how to read it.
    """

    name: str
    value: float | None
    interval: Interval
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The effect size as JSON-ready values."""
        return plain_dict({**self.__dict__, "interval": self.interval.to_dict()})


@dataclass(frozen=True)
class PairComparison:
    """B against A: tests, estimates with intervals, effect sizes and the decision.

    Every difference, shift and effect size is of B against A (``b - a``),
    B the later sample, A the earlier one or the baseline. ``p_value`` is the
    primary test's p-value after the comparison's correction: Wilcoxon
    signed-rank for paired samples, Mann-Whitney U for unpaired ones.

    Attributes:
        a: A's label (the baseline of the pair).
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
            t) and bootstrap-t intervals, at the comparison's confidence.
        shift: The Hodges-Lehmann shift of B against A, the estimand of the
            decision: the median of the Walsh averages of the per-seed
            differences (paired) or of all differences ``b_j - a_i``.
        shift_ci: The interval of ``shift`` from inverting the primary test at
            ``1 - level``, ``level`` being what this pair is held to after the
            correction: it excludes 0 exactly when the pair is significant.
        tests: Every test run, the primary one first.
        effects: Hedges' g and Cliff's delta (B > A), both of the values, and P(B
            beats A), which respects the goal, with intervals.
        p_value: The primary test's corrected p-value.
        significant: Whether ``p_value <= alpha``.
        winner: The better label when significant, else None.
        correction: The correction's name when it was applied over several
            pairs (``"Holm"``), else None.
        unavailable: Why no test could run (too few values), else None.
        identical: Why there is nothing to test (the samples are identical), else None.
        warnings: Small n, non-normal data, disagreements, dropped runs.
        undecided: Why the rank test cannot decide at this n (its smallest
            possible p-value is above the level), else None. The t-test then
            decides if its normality assumption holds (``t_interval`` is set
            and ``p_value`` is its corrected p-value); otherwise nothing does.
        t_interval: The t (Welch t) interval of ``difference`` at the level
            the pair is held to, when the t-test decides; else None.
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
    shift: float | None
    shift_ci: Interval | None
    tests: tuple[TestResult, ...]
    effects: tuple[EffectSize, ...]
    p_value: float | None
    significant: bool
    winner: str | None
    correction: str | None = None
    unavailable: str | None = None
    identical: str | None = None
    warnings: tuple[str, ...] = field(default=())
    undecided: str | None = None
    t_interval: Interval | None = None

    @property
    def primary(self) -> TestResult | None:
        """The test that decides, or None when none could run."""
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
        """The pair as JSON-ready values; ``direction`` says which way the differences go."""
        result = dict(self.__dict__)
        result["direction"] = f"{self.b} - {self.a}"
        result["difference_ci"] = self.difference_ci.to_dict()
        result["shift_ci"] = None if self.shift_ci is None else self.shift_ci.to_dict()
        result["t_interval"] = None if self.t_interval is None else self.t_interval.to_dict()
        result["tests"] = [test.to_dict() for test in self.tests]
        result["effects"] = [effect.to_dict() for effect in self.effects]
        result["warnings"] = list(self.warnings)
        return plain_dict(result)

    def __str__(self) -> str:
        return "\n".join(text_lines(pair_blocks(self)))

    _repr_pretty_ = notebook_text

    def _repr_html_(self) -> str:
        """The pair as HTML, for notebooks (every label escaped)."""
        return str(notebook_block(html_blocks(pair_blocks(self))))


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
        alpha: The significance level of the decisions.
        confidence: The confidence level of the intervals.
        labels: The samples' labels, in the order given.
        baseline: The label every other sample was compared with, or None
            for all pairs.
        pairs: One ``PairComparison`` per pair, each of the later sample
            against the earlier one (or the baseline).
        ranking: The samples ordered from best to worst mean.
        warnings: Warnings for the whole comparison, e.g. environment notes.
        design: One line saying how the runs were matched: paired on how
            many seeds, or unpaired and why.
        dropped_seeds: For a comparison paired on shared seeds, each label's
            seeds that were left out because another sample lacks them.
        goal_source: ``"given"``, ``"inferred"`` from the metric's name, or
            ``"assumed"`` (lower is better) because the name says neither.
        goal_note: One line saying which direction is better and why.
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

    @property
    def reference(self) -> str:
        """The label the ranking measures every other against: the baseline, or the first."""
        return self.baseline if self.baseline is not None else self.labels[0]

    def pair(self, a: str, b: str) -> PairComparison:
        """The comparison of ``b`` against ``a`` (in either order as computed)."""
        for pair in self.pairs:
            if {pair.a, pair.b} == {a, b}:
                return pair
        raise KeyError((a, b))

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready values."""
        result = dict(self.__dict__)
        result["pairs"] = [pair.to_dict() for pair in self.pairs]
        result["ranking"] = [entry.to_dict() for entry in self.ranking]
        result["dropped_seeds"] = {k: list(v) for k, v in self.dropped_seeds.items()}
        return plain_dict(result)

    def text(self, *, details: bool = False) -> str:
        """The comparison as terminal text; ``details`` adds every pair's tests and estimates."""
        return "\n".join(text_lines(comparison_blocks(self, details=details)))

    def __str__(self) -> str:
        return self.text()

    _repr_pretty_ = notebook_text

    def _repr_html_(self) -> str:
        """Every pair, the ranking and the warnings as HTML, for notebooks."""
        return str(notebook_block(html_blocks(comparison_blocks(self, details=True))))


# The rows of every comparison table, built once for every output.


def verdict_line(pair: PairComparison, *, baseline: str | None = None) -> str:
    """The decision on one pair in one line, the shift as ``b - a`` whoever wins.

    Args:
        pair: The pair.
        baseline: The label to mark ``(baseline)``; default the pair's ``a``;
            ``""`` marks none (all pairs of more than two samples).

    Returns:
        E.g. ``long beats short (baseline) on mse: long - short = -0.41 [95% CI
        -0.52, -0.3] (Hodges-Lehmann shift), p < 0.0001 (Wilcoxon), n = 30 paired``.
    """
    base = pair.a if baseline is None else baseline

    def name(label: str) -> str:
        return f"{label} (baseline)" if label == base else label

    a, b, metric = name(pair.a), name(pair.b), pair.metric
    if pair.unavailable is not None:
        return f"cannot compare {b} with {a} on {metric}: {pair.unavailable}"
    if pair.identical is not None:
        return f"no difference between {b} and {a} on {metric}: {pair.identical}"
    sizes = f"n = {pair.n_a} paired" if pair.paired else f"n = {pair.n_a} + {pair.n_b} unpaired"
    primary = pair.primary
    test = primary.name.split(" ")[0] if primary is not None else "no test"
    method = f"{test}, {pair.correction}" if pair.correction else test
    numbers = (
        f"{pair.b} - {pair.a} = {signed_number(pair.shift)} {interval_cell(pair.shift_ci)} "
        f"(Hodges-Lehmann shift), {format_p(pair.p_value)} ({method}), {sizes}"
    )
    if pair.undecided is not None:
        if pair.t_interval is None:
            return f"cannot decide between {b} and {a} on {metric}: {pair.undecided}"
        t_test = pair.tests[1].name
        t_method = f"{t_test}, {pair.correction}" if pair.correction else t_test
        what = "the differences" if pair.paired else "each sample"
        numbers = (
            f"{pair.b} - {pair.a} = {signed_number(pair.difference)} "
            f"{interval_cell(pair.t_interval)} (mean difference), {format_p(pair.p_value)} "
            f"({t_method}), {sizes}; {pair.undecided}, so the {t_test} test decides: it "
            f"assumes {what} normal, and Shapiro-Wilk finds no sign against it"
        )
    if pair.winner is not None:
        first, second = (b, a) if pair.winner == pair.b else (a, b)
        return f"{first} beats {second} on {metric}: {numbers}"
    return f"no significant difference between {b} and {a} on {metric}: {numbers}"


def tests_table(pair: PairComparison) -> Table:
    """Every test of one pair: statistic, p-value, corrected p-value, note."""
    rows = tuple(
        (
            test.name + (" (primary)" if test.primary else ""),
            format_number(test.statistic),
            format_p(test.p_value),
            format_p(test.p_adjusted),
            test.note or "",
        )
        for test in pair.tests
    )
    return Table(("test", "statistic", "p", "p corrected", "note"), rows, numeric=(1,))


def estimates_table(pair: PairComparison) -> Table:
    """The shift, the difference of means and the effect sizes of one pair, all ``b - a``."""
    direction = f"{pair.b} - {pair.a}"
    what = "mean per-seed difference" if pair.paired else "difference of means"
    shift_method = "" if pair.shift_ci is None else pair.shift_ci.method
    rows = [
        (
            f"shift ({direction}), Hodges-Lehmann",
            signed_number(pair.shift),
            interval_cell(pair.shift_ci),
            shift_method or "no test: no interval",
        ),
        (
            f"{what} ({direction})",
            signed_number(pair.difference),
            interval_cell(pair.difference_ci),
            f"{pair.difference_ci.method}, n = {pair.difference_ci.n}",
        ),
    ]
    for effect in pair.effects:
        rows.append(
            (
                pair.effect_label(effect),
                format_number(effect.value, 3),
                interval_cell(effect.interval),
                f"{effect.interval.method}, n = {effect.interval.n}",
            )
        )
    return Table(("estimate", "value", "interval", "method"), tuple(rows), numeric=(1,))


def pair_blocks(pair: PairComparison, *, baseline: str | None = None) -> list[Block]:
    """One pair in full: the verdict, the estimates, the tests, the warnings."""
    style: Literal["good", "verdict"] = "good" if pair.winner is not None else "verdict"
    blocks: list[Block] = [Paragraph(verdict_line(pair, baseline=baseline), style)]
    if pair.tests:
        blocks += [estimates_table(pair), tests_table(pair)]
    return [*blocks, *(Paragraph(warning, "warning") for warning in pair.warnings)]


def ranking_table(comparison: Comparison) -> Table:
    """The samples from best to worst mean, each measured against the reference.

    The shift, its interval and the corrected p-value of each row are those
    of its pair with :attr:`Comparison.reference` (``row - reference``).
    """
    better = "lowest" if comparison.goal == "min" else "highest"
    reference = comparison.reference
    rows = []
    for entry in comparison.ranking:
        cells = [str(entry.rank), entry.label, str(entry.n), format_number(entry.mean)]
        if entry.label == reference:
            cells += ["", "", "", "reference"]
        else:
            # Every pair of the reference has it as ``a``: the shift is ``row - reference``.
            pair = comparison.pair(reference, entry.label)
            if pair.identical:
                decision = "identical"
            elif pair.winner is None:
                decision = "n/a" if pair.unavailable else "no difference shown"
            else:
                decision = "better" if pair.winner == entry.label else "worse"
            cells += [
                "0" if pair.identical else signed_number(pair.shift),
                "" if pair.identical else interval_cell(pair.shift_ci),
                format_p(pair.p_value).removeprefix("p = ").removeprefix("p "),
                decision,
            ]
        rows.append(tuple(cells))
    correction = _corrected_by(comparison)
    header = (
        "rank", "study", "n", f"mean ({better} first)", f"shift vs {reference}",
        "interval", f"p ({correction})" if correction else "p", f"vs {reference}",
    )  # fmt: skip
    return Table(header, tuple(rows), numeric=(0, 2, 3, 4))


def _pair_row(pair: PairComparison) -> tuple[tuple[str, ...], bool]:
    """One pair's row of :func:`pairs_table`, and whether the t-test's mean difference is in it."""
    if pair.identical is not None:
        return (f"{pair.b} - {pair.a}", "0", "", "", "identical"), False
    if pair.unavailable is not None:
        return (f"{pair.b} - {pair.a}", "", "", "", "n/a"), False
    t_decides = pair.undecided is not None and pair.t_interval is not None
    estimate, interval = (
        (pair.difference, pair.t_interval) if t_decides else (pair.shift, pair.shift_ci)
    )
    if pair.winner is not None:
        verdict = f"{pair.winner} better"
    elif pair.undecided is not None and not t_decides:
        verdict = "cannot decide"
    else:
        verdict = "no difference shown"
    p_value = format_p(pair.p_value).removeprefix("p = ").removeprefix("p ")
    mark = " (t)" if t_decides else ""
    cells = (f"{pair.b} - {pair.a}", signed_number(estimate) + mark, interval_cell(interval))
    return (*cells, p_value, verdict), t_decides


def _p_order(pair: PairComparison) -> tuple[bool, float, float]:
    """Decided pairs first, by corrected p, the larger shift first among equal p."""
    size = abs(pair.shift) if pair.shift is not None else 0.0
    return (pair.p_value is None, pair.p_value if pair.p_value is not None else 1.0, -size)


def pairs_table(comparison: Comparison) -> tuple[Table, bool]:
    """One line per pair, by corrected p (smallest first): shift, interval, p, verdict.

    The shift is ``b - a`` with the interval at the level the correction holds
    the pair to, as in the verdicts; where the rank test cannot decide and
    the t-test does, the mean difference and its t-interval, marked ``(t)``.

    Returns:
        The table, and whether any row holds a mean difference marked ``(t)``.
    """
    ordered = sorted(comparison.pairs, key=_p_order)
    built = [_pair_row(pair) for pair in ordered]
    correction = _corrected_by(comparison)
    header = (
        "pair", "shift", "interval", f"p ({correction})" if correction else "p", "verdict",
    )  # fmt: skip
    table = Table(header, tuple(row for row, _ in built), numeric=(1, 3))
    return table, any(t for _, t in built)


def _corrected_by(comparison: Comparison) -> str | None:
    if len(comparison.pairs) < 2 or comparison.correction == "none":
        return None
    return correction_name(comparison.correction)


def _design_line(comparison: Comparison) -> str:
    correction = _corrected_by(comparison)
    count = len(comparison.pairs)
    corrected = (
        f"p-values corrected over {count} pairs with {correction}"
        if correction
        else f"{count} pair{'s' if count != 1 else ''}, p-values not corrected"
    )
    return (
        f"{corrected}; alpha {comparison.alpha:g}; {level_text(comparison.confidence)} intervals; "
        f"every difference is the later study minus the "
        f"{'baseline' if comparison.baseline else 'earlier one'}"
    )


def comparison_blocks(comparison: Comparison, *, details: bool = False) -> list[Block]:
    """A comparison: its design, then one verdict (two samples) or a ranking table (more).

    Args:
        comparison: The comparison.
        details: Add every pair's estimates, tests and warnings, and the
            ranking for two samples too.

    Returns:
        The blocks.
    """
    blocks: list[Block] = []
    if comparison.design:
        blocks.append(Paragraph(f"design: {comparison.design}", "note"))
    if comparison.goal_note:
        blocks.append(Paragraph(f"goal: {comparison.goal_note}", "note"))
    # The baseline is named where there is one: given, or the first of two samples.
    marked = comparison.reference if comparison.baseline or len(comparison.labels) == 2 else ""
    if details:
        blocks.append(Paragraph(_design_line(comparison), "note"))
        for pair in comparison.pairs:
            blocks += pair_blocks(pair, baseline=marked)
        blocks.append(ranking_table(comparison))
    elif len(comparison.pairs) == 1:
        (pair,) = comparison.pairs
        style: Literal["good", "verdict"] = "good" if pair.winner is not None else "verdict"
        blocks.append(Paragraph(verdict_line(pair, baseline=marked), style))
        blocks += [Paragraph(warning, "warning") for warning in pair.warnings]
    elif len(comparison.labels) >= PAIRS_TABLE_FROM:
        table, t_rows = pairs_table(comparison)
        blocks.append(Paragraph(_design_line(comparison), "note"))
        blocks.append(table)
        if t_rows:
            blocks.append(
                Paragraph(
                    "(t): the rank test cannot decide at this n; the t-test does, on the mean "
                    "difference",
                    "note",
                )
            )
        blocks += _warned(comparison)
    else:
        blocks.append(ranking_table(comparison))
        blocks += _warned(comparison)
    return [*blocks, *(Paragraph(warning, "warning") for warning in comparison.warnings)]


def _warned(comparison: Comparison) -> list[Block]:
    """A note of how many pairs carry warnings, which the details show."""
    warned = sum(1 for pair in comparison.pairs if pair.warnings)
    if not warned:
        return []
    count = len(comparison.pairs)
    verb = "carries" if warned == 1 else "carry"
    return [Paragraph(f"{warned} of {count} pairs {verb} warnings (in the details)", "note")]
