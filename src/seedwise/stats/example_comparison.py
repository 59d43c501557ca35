"""Two studies compared on their per-example results: seeds and test examples both resampled.

``compare A B --examples`` reads what each run recorded with
``ctx.record_predictions(ids, values)`` (one :class:`ExampleSample` per
study) and gives each study's mean over seeds and examples with its
two-level interval, the difference ``B - A`` with its two-level interval
(paired by seed when the studies share seeds), and, where the values are
0/1 correctness and the runs are paired, McNemar's exact test seed by seed
(:mod:`seedwise.stats.examples`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seedwise._document import Block, Paragraph, Table, text_lines
from seedwise.errors import UsageError
from seedwise.stats._data import check_level, generator, own_words, root_seed
from seedwise.stats._format import distinct_digits, format_number, level_text, plain_dict
from seedwise.stats.examples import (
    McNemar,
    mcnemar_per_seed,
    two_level_difference,
    two_level_interval,
)
from seedwise.stats.goal import infer_goal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.stats._intervals import Interval

__all__ = ["ExampleComparison", "ExampleSample", "compare_examples", "examples_shown"]

#: McNemar's p below which a seed's test counts as showing a difference (each alone).
_MCNEMAR_ALPHA = 0.05


def examples_shown(set_name: str) -> str:
    """What stands for the metric when ``compare --examples`` records that it showed a pair.

    The store keeps each showing per pair and metric; a comparison of the
    per-example results of a set is kept apart from any metric's.

    Example:
        >>> examples_shown("test")
        "per-example results 'test'"
    """
    return f"per-example results {set_name!r}"


@dataclass(frozen=True, eq=False)
class ExampleSample:
    """One study's per-example results: one row per finished run, one column per example.

    Attributes:
        name: The study's name.
        set_name: The name the runs recorded the set under.
        seeds: Each row's seed.
        ids: Each column's example id (those every run recorded).
        values: ``runs x examples``: 0/1 correctness, or a loss.
        n_without: Finished runs that recorded no such set (left out).
        n_dropped: Example ids some run recorded but not every run (left out).
    """

    name: str
    set_name: str
    seeds: tuple[int, ...]
    ids: tuple[int | str, ...]
    values: NDArray[np.float64]
    n_without: int = 0
    n_dropped: int = 0


@dataclass(frozen=True)
class ExampleComparison:
    """A study against another on the same test examples, both sources of variance at once.

    Attributes:
        baseline, other: The two studies' names (``other - baseline``).
        set_name: The set of per-example results compared.
        goal: Which direction of the values is better: ``"min"`` or ``"max"``.
        goal_note: Why, in one line.
        examples: The examples both studies' runs all recorded.
        paired: Whether runs were paired by seed (the seeds both ran).
        seeds: The seeds used of each study (the shared ones when paired).
        means: Each study's mean over its seeds and the examples.
        intervals: Each study's two-level interval.
        difference: ``mean(other) - mean(baseline)``.
        difference_interval: Its two-level interval.
        mcnemar: One exact McNemar test per paired seed (0/1 values only), else empty.
        notes: What the reader must know (runs and examples left out).
    """

    baseline: str
    other: str
    set_name: str
    goal: str
    goal_note: str
    examples: int
    paired: bool
    seeds: tuple[int, int]
    means: tuple[float, float]
    intervals: tuple[Interval, Interval]
    difference: float
    difference_interval: Interval
    mcnemar: tuple[McNemar, ...] = ()
    mcnemar_seeds: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> str:
        """Whether the interval of the difference excludes 0, and which study is better."""
        low, high = self.difference_interval.low, self.difference_interval.high
        level = level_text(self.difference_interval.confidence)
        if low is None or high is None or low <= 0 <= high:
            return (
                f"no difference between {self.other} and {self.baseline} that holds over both "
                f"the seeds and the test examples ({level} two-level interval includes 0)"
            )
        higher = self.other if low > 0 else self.baseline
        lower = self.baseline if higher == self.other else self.other
        better, worse = (higher, lower) if self.goal == "max" else (lower, higher)
        return (
            f"{better} is better than {worse} over both the seeds and the test examples "
            f"({level} two-level interval of the difference excludes 0)"
        )

    def blocks(self) -> list[Block]:
        """The table, the verdict, McNemar's tests and the notes."""
        digits = distinct_digits(*self.means, self.difference)
        level = level_text(self.difference_interval.confidence)

        def interval(found: Interval) -> str:
            if found.low is None or found.high is None:
                return "n/a"
            return f"[{format_number(found.low, digits)}, {format_number(found.high, digits)}]"

        design = "paired by seed" if self.paired else "unpaired (no shared seeds)"
        rows = [
            (name, str(count), format_number(mean, digits), interval(found))
            for name, count, mean, found in zip(
                (self.baseline, self.other), self.seeds, self.means, self.intervals, strict=True
            )
        ]
        rows.append(
            (
                f"{self.other} - {self.baseline}",
                str(min(self.seeds)) if self.paired else f"{self.seeds[0]} + {self.seeds[1]}",
                format_number(self.difference + 0.0, digits),
                interval(self.difference_interval),
            )
        )
        blocks: list[Block] = [
            Paragraph(
                f"per-example results {self.set_name!r}: {self.examples} examples recorded by "
                f"every run, {design}; {self.goal_note}",
                "heading",
            ),
            Table(("", "seeds", "mean", f"{level} two-level CI"), tuple(rows), numeric=(1, 2)),
            Paragraph(self.verdict, "verdict"),
        ]
        if self.mcnemar:
            blocks.append(Paragraph(self._mcnemar_line(), "note"))
        blocks.append(
            Paragraph(
                f"two-level interval: {self.difference_interval.method}, seeds and examples "
                "both resampled; its coverage: docs/statistics.md",
                "note",
            )
        )
        blocks.extend(Paragraph(note, "warning") for note in self.notes)
        return blocks

    def _mcnemar_line(self) -> str:
        shown = [t for t in self.mcnemar if t.p_value < _MCNEMAR_ALPHA]
        other_more = sum(t.only_b > t.only_a for t in shown)
        base_more = sum(t.only_a > t.only_b for t in shown)
        return (
            f"McNemar's exact test per seed (right on different examples): p < {_MCNEMAR_ALPHA:g} "
            f"in {len(shown)} of {len(self.mcnemar)} seeds ({self.other} right more often in "
            f"{other_more}, {self.baseline} in {base_more}); each seed's test is of that seed's "
            "runs on these examples alone, not of the configurations"
        )

    def text(self) -> str:
        """The terminal form."""
        return "\n".join(text_lines(self.blocks()))

    def __str__(self) -> str:
        return self.text()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""

        def interval(found: Interval) -> dict[str, Any]:
            return {"low": found.low, "high": found.high, "method": found.method}

        return plain_dict(
            {
                "baseline": self.baseline,
                "other": self.other,
                "set": self.set_name,
                "goal": self.goal,
                "goal_note": self.goal_note,
                "examples": self.examples,
                "paired": self.paired,
                "confidence": self.difference_interval.confidence,
                "studies": [
                    {"name": name, "seeds": count, "mean": mean, "interval": interval(found)}
                    for name, count, mean, found in zip(
                        (self.baseline, self.other),
                        self.seeds,
                        self.means,
                        self.intervals,
                        strict=True,
                    )
                ],
                "difference": self.difference,
                "difference_interval": interval(self.difference_interval),
                "verdict": self.verdict,
                "mcnemar": [
                    {
                        "seed": seed,
                        "only_baseline": t.only_a,
                        "only_other": t.only_b,
                        "p": t.p_value,
                    }
                    for seed, t in zip(self.mcnemar_seeds, self.mcnemar, strict=True)
                ],
                "notes": list(self.notes),
            }
        )


def _goal(set_name: str, goal: str | None, zero_one: bool) -> tuple[str, str]:
    """0/1 values are correctness (higher is better) unless a goal is given; else the name's."""
    if goal is None and zero_one:
        return "max", "higher is better (0/1 values: correctness; --goal min to override)"
    choice = infer_goal(set_name, goal)
    return choice.goal, choice.note


@own_words
def compare_examples(
    sample_a: ExampleSample,
    sample_b: ExampleSample,
    *,
    goal: str | None = None,
    paired: bool | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | np.random.Generator = 0,
) -> ExampleComparison:
    """B against A on the examples both recorded, seeds and examples both resampled.

    Args:
        sample_a, sample_b: The baseline's and the candidate's per-example results.
        goal: ``"min"`` or ``"max"``; None: higher for 0/1 values, else from the set's name.
        paired: Pair runs by seed; None: when the studies share seeds.
        confidence: The level of the intervals.
        n_resamples: Bootstrap resamples of each interval.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.

    Returns:
        The :class:`ExampleComparison`.

    Raises:
        UsageError: No example both studies recorded, fewer than 2 runs, a
            pairing asked for on studies that share fewer than 2 seeds, or
            non-finite values.
    """
    import numpy as np

    confidence = check_level(confidence, name="confidence")
    in_b = {example: column for column, example in enumerate(sample_b.ids)}
    shared = [(i, in_b[example]) for i, example in enumerate(sample_a.ids) if example in in_b]
    if len(shared) < 2:
        raise UsageError(
            f"Studies {sample_a.name!r} and {sample_b.name!r} share too few examples in their "
            f"predictions {sample_a.set_name!r}. Received: {len(shared)} shared ids; expected at "
            "least 2: both must record the same test set (the same ids)"
        )
    a = sample_a.values[:, [i for i, _ in shared]]
    b = sample_b.values[:, [j for _, j in shared]]
    rows_a = {s: row for row, s in enumerate(sample_a.seeds)}
    common = [(rows_a[s], row, s) for row, s in enumerate(sample_b.seeds) if s in rows_a]
    use_pairs = len(common) >= 2 if paired is None else paired
    if use_pairs and len(common) < 2:
        raise UsageError(
            f"Pairing by seed needs seeds both studies ran. Received: {len(common)} shared seeds "
            f"of {sample_a.name!r} and {sample_b.name!r}; expected at least 2, or --paired no"
        )
    if use_pairs:
        a = a[[i for i, _, _ in common]]
        b = b[[j for _, j, _ in common]]
    root = root_seed(seed)
    intervals = tuple(
        two_level_interval(
            m,
            confidence=confidence,
            n_resamples=n_resamples,
            seed=generator(root, "examples", key),
        )
        for key, m in (("a", a), ("b", b))
    )
    difference = two_level_difference(
        a,
        b,
        paired=use_pairs,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=generator(root, "examples", "difference"),
    )
    zero_one = bool(np.isin(a, (0.0, 1.0)).all() and np.isin(b, (0.0, 1.0)).all())
    tests = mcnemar_per_seed(a, b) if use_pairs and zero_one else ()
    notes = []
    for found in (sample_a, sample_b):
        if found.n_without:
            notes.append(
                f"{found.name}: {found.n_without} finished runs recorded no predictions "
                f"{found.set_name!r} and are left out"
            )
        if found.n_dropped:
            notes.append(
                f"{found.name}: {found.n_dropped} example ids were recorded by some runs only "
                "and are left out"
            )
    left = len(sample_a.ids) + len(sample_b.ids) - 2 * len(shared)
    if left:
        notes.append(f"{left} example ids recorded by one study only are left out")
    if use_pairs and len(common) < max(len(sample_a.seeds), len(sample_b.seeds)):
        notes.append(f"paired on the {len(common)} seeds both studies ran; the others left out")
    if not use_pairs and zero_one:
        notes.append("no McNemar test: it compares runs of one seed, and the runs are unpaired")
    goal_found, goal_note = _goal(sample_a.set_name, goal, zero_one)
    return ExampleComparison(
        baseline=sample_a.name,
        other=sample_b.name,
        set_name=sample_a.set_name,
        goal=goal_found,
        goal_note=goal_note,
        examples=len(shared),
        paired=use_pairs,
        seeds=(a.shape[0], b.shape[0]),
        means=(float(a.mean()), float(b.mean())),
        intervals=intervals,  # type: ignore[arg-type]
        difference=float(b.mean() - a.mean()),
        difference_interval=difference,
        mcnemar=tests,
        mcnemar_seeds=tuple(s for _, _, s in common) if tests else (),
        notes=tuple(notes),
    )
