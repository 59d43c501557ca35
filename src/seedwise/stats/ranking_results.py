"""What a ranking returns, and the one place its tables are built.

``Ranking`` and its parts hold data only; :func:`ranking_blocks` builds the
table and the lines once, as :mod:`seedwise._document` blocks, for the
terminal (``__str__``) and notebooks (``_repr_html_``) alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seedwise._document import Block, Paragraph, Table, html_blocks, text_lines
from seedwise._html import notebook_block, notebook_text
from seedwise.stats._format import format_number, format_p, level_text, plain_dict, signed_number
from seedwise.stats._intervals import Interval, interval_cell
from seedwise.stats.confirmation_results import ConfirmedCell, confirmed_paragraph
from seedwise.stats.goal import Goal, GoalSource

__all__ = [
    "FriedmanTest",
    "MarginalEffect",
    "MarginalValue",
    "Margin",
    "RankedCell",
    "Ranking",
    "ranking_blocks",
]


@dataclass(frozen=True)
class RankedCell:
    """One cell (study) of a ranking, on the seeds every cell shares.

    Attributes:
        label: The cell's name.
        n: The seeds its numbers rest on.
        mean: The mean over those seeds.
        mean_ci: The interval of the mean (``summarize``'s ``mean_ci``).
        median: The median.
        median_ci: The order-statistic interval of the median.
        mean_rank: The mean over seeds of its rank within each seed (1 is
            best; ties share their midrank).
        p_vs_best: The Holm-adjusted Wilcoxon signed-rank p-value of its pair
            with the best cell (the paired t-test's where the ranking's
            ``posthoc`` is ``"paired-t-holm"``); None for the best, or when
            no test could decide (the ranking's warnings say why).
        tied_with_best: Whether it cannot be told apart from the best cell.
    """

    label: str
    n: int
    mean: float | None
    mean_ci: Interval
    median: float | None
    median_ci: Interval
    mean_rank: float
    p_vs_best: float | None
    tied_with_best: bool

    def to_dict(self) -> dict[str, Any]:
        """The cell as JSON-ready values."""
        result = dict(self.__dict__)
        result["mean_ci"] = self.mean_ci.to_dict()
        result["median_ci"] = self.median_ci.to_dict()
        return plain_dict(result)


@dataclass(frozen=True)
class FriedmanTest:
    """The Friedman test of k cells with seeds as blocks, or why it did not run.

    Attributes:
        statistic: The tie-corrected chi-square statistic (None when not run).
        p_value: Its chi-square p-value with ``k - 1`` degrees of freedom.
        df: The degrees of freedom.
        reason: Why the test did not run, or a caution about its p-value.
    """

    statistic: float | None
    p_value: float | None
    df: int
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The test as JSON-ready values."""
        return plain_dict(dict(self.__dict__))


@dataclass(frozen=True)
class Margin:
    """How much the best cell beats the runner-up by, seed by seed.

    Attributes:
        best: The best cell.
        runner_up: The second cell.
        estimate: The paired Hodges-Lehmann shift, oriented so that positive
            means the best is better (``best - runner_up`` when higher is
            better, ``runner_up - best`` when lower is).
        interval: Its interval (inverted Wilcoxon signed-rank test, or the
            paired t-interval where that cannot bound the shift).
    """

    best: str
    runner_up: str
    estimate: float | None
    interval: Interval

    def to_dict(self) -> dict[str, Any]:
        """The margin as JSON-ready values."""
        return plain_dict({**self.__dict__, "interval": self.interval.to_dict()})


@dataclass(frozen=True)
class MarginalValue:
    """One value of a grid key: the metric averaged, seed by seed, over the other keys.

    Attributes:
        value: The value, as the cells' names show it.
        n: The seeds its numbers rest on (those of the ranking).
        cells: The cells averaged on each seed (one per combination of the other keys).
        mean: The mean over seeds of the per-seed average.
        mean_ci: Its interval (``summarize``'s ``mean_ci`` of the per-seed averages).
        p_vs_best: The post-hoc p-value of its pair with the key's best value
            (None for the best); the key's values are one family.
        tied_with_best: Whether it cannot be told apart from the best value.
        advantage: How much the best value beats it, seed by seed (the
            paired Hodges-Lehmann shift, positive when the best is better);
            None for the best.
        advantage_ci: The interval of ``advantage`` (None for the best).
    """

    value: str
    n: int
    cells: int
    mean: float | None
    mean_ci: Interval
    p_vs_best: float | None
    tied_with_best: bool
    advantage: float | None = None
    advantage_ci: Interval | None = None

    def to_dict(self) -> dict[str, Any]:
        """The value as JSON-ready values."""
        result = dict(self.__dict__)
        result["mean_ci"] = self.mean_ci.to_dict()
        result["advantage_ci"] = None if self.advantage_ci is None else self.advantage_ci.to_dict()
        return plain_dict(result)


@dataclass(frozen=True)
class MarginalEffect:
    """The marginal effect of one grid key: each of its values over the other keys.

    Attributes:
        key: The grid key.
        values: Its values, in the grid's order.
        best: The best value by the mean (None when there is no effect to measure).
        tied_for_best: The best value, then those that cannot be told apart from it
            (in the grid's order).
        combinations: The combinations of the other keys averaged over.
        left_out: Combinations of the other keys left out because they lack
            a cell for some value (each says which).
        note: Why there is no effect to measure, or a caution about the tests.
        posthoc: The test of ``p_vs_best`` (as ``Ranking.posthoc``); keys of
            few values at few seeds may be decided by the paired t-test
            while the cells are not, or the other way round.
    """

    key: str
    values: tuple[MarginalValue, ...]
    best: str | None
    tied_for_best: tuple[str, ...]
    combinations: int
    left_out: tuple[str, ...] = ()
    note: str | None = None
    posthoc: str = "wilcoxon-holm"

    def to_dict(self) -> dict[str, Any]:
        """The effect as JSON-ready values."""
        result = dict(self.__dict__)
        result["values"] = [value.to_dict() for value in self.values]
        result["tied_for_best"] = list(self.tied_for_best)
        result["left_out"] = list(self.left_out)
        return plain_dict(result)


@dataclass(frozen=True)
class Ranking:
    """k cells ordered on one metric, paired by seed.

    Attributes:
        metric: The metric's name.
        goal: ``"min"`` or ``"max"``.
        goal_source: ``"given"``, ``"inferred"`` or ``"assumed"``.
        goal_note: One line on where the goal came from.
        alpha: The family-wise level of the post-hoc comparisons (Holm).
        confidence: The level of every interval.
        n_seeds: The seeds every cell shares with a finite value.
        cells: The cells from best to worst mean.
        friedman: The Friedman test.
        tied_for_best: The cells that cannot be told apart from the best, best first.
        margin: The best cell over the runner-up (None with one cell).
        design: How the cells were paired, and what was left out.
        dropped_seeds: Per cell, the seeds left out because another cell lacks them.
        warnings: Cautions: runs left out, too few seeds, selection.
        posthoc: The post-hoc test of ``p_vs_best``: ``"wilcoxon-holm"`` or
            ``"nemenyi"``, or ``"paired-t-holm"`` where too few seeds let the
            signed-rank test pass Holm's threshold (see ``warnings``).
        marginals: Per grid key, the marginal effect of each value (a sweep's
            ranking; empty when the cells have no grid).
        confirmed: The best on fresh seeds, where it was rerun (``seedwise confirm``).
    """

    metric: str
    goal: Goal
    goal_source: GoalSource
    goal_note: str
    alpha: float
    confidence: float
    n_seeds: int
    cells: tuple[RankedCell, ...]
    friedman: FriedmanTest
    tied_for_best: tuple[str, ...]
    margin: Margin | None
    design: str
    dropped_seeds: dict[str, tuple[int, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    posthoc: str = "wilcoxon-holm"
    marginals: tuple[MarginalEffect, ...] = ()
    confirmed: ConfirmedCell | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ranking as JSON-ready values."""
        result = dict(self.__dict__)
        result["cells"] = [cell.to_dict() for cell in self.cells]
        result["friedman"] = self.friedman.to_dict()
        result["margin"] = None if self.margin is None else self.margin.to_dict()
        result["tied_for_best"] = list(self.tied_for_best)
        result["dropped_seeds"] = {k: list(v) for k, v in self.dropped_seeds.items()}
        result["warnings"] = list(self.warnings)
        result["marginals"] = [effect.to_dict() for effect in self.marginals]
        result["confirmed"] = None if self.confirmed is None else self.confirmed.to_dict()
        return plain_dict(result)

    def text(self) -> str:
        """The ranking as terminal text."""
        return "\n".join(text_lines(ranking_blocks(self)))

    def __str__(self) -> str:
        return self.text()

    _repr_pretty_ = notebook_text

    def _repr_html_(self) -> str:
        """The ranking as HTML, for notebooks (every label escaped)."""
        return str(notebook_block(html_blocks(ranking_blocks(self))))


def _friedman_line(test: FriedmanTest) -> str:
    if test.statistic is None:
        return f"Friedman test (seeds as blocks): not run: {test.reason}"
    line = (
        f"Friedman test (seeds as blocks): chi-square = {format_number(test.statistic)}, "
        f"df = {test.df}, {format_p(test.p_value)}"
    )
    return f"{line} ({test.reason})" if test.reason else line


def _margin_line(margin: Margin, goal: Goal) -> str:
    better = "lower" if goal == "min" else "higher"
    return (
        f"margin of {margin.best} over {margin.runner_up}: {signed_number(margin.estimate)} "
        f"{interval_cell(margin.interval)} ({margin.interval.method}; positive: "
        f"{margin.best} is {better})"
        + (f": {margin.interval.note}" if margin.interval.note else "")
    )


_POSTHOC_NAMES = {"wilcoxon-holm": "Holm", "nemenyi": "Nemenyi", "paired-t-holm": "paired t, Holm"}


def _versus(best: bool, p: float | None, tied: bool) -> str:
    """The ``vs best`` cell: ``best``, ``tied (p = ...)`` or ``worse (p = ...)``."""
    if best:
        return "best"
    if p is None:
        return "undecided"
    return f"{'tied' if tied else 'worse'} ({format_p(p)})"


def _marginal_blocks(ranking: Ranking) -> list[Block]:
    """The marginal effect of each grid key: one table of every key's values, then its words."""
    level = level_text(ranking.confidence)
    tests = {effect.posthoc for effect in ranking.marginals if effect.values}
    posthoc = " or ".join(_POSTHOC_NAMES.get(test, test) for test in sorted(tests)) or "Holm"
    rows = []
    for effect in ranking.marginals:
        for place, value in enumerate(effect.values):
            versus = _versus(value.value == effect.best, value.p_vs_best, value.tied_with_best)
            if len(tests) > 1 and value.p_vs_best is not None:
                versus += f", {_POSTHOC_NAMES.get(effect.posthoc, effect.posthoc)}"
            rows.append(
                (
                    effect.key if place == 0 else "",
                    value.value,
                    str(value.cells),
                    format_number(value.mean),
                    interval_cell(value.mean_ci, level=False),
                    versus,
                    "" if value.advantage is None else signed_number(value.advantage),
                    "" if value.advantage_ci is None
                    else interval_cell(value.advantage_ci, level=False),
                )
            )  # fmt: skip
    header = (
        "key", "value", "cells", "mean", f"{level} CI", f"vs best ({posthoc})",
        "best's advantage", f"{level} CI",
    )  # fmt: skip
    blocks: list[Block] = [
        Paragraph(
            f"marginal effects: each value's mean over the other keys' values, seed by seed "
            f"({ranking.n_seeds} seeds; each key's values one family; advantage: paired "
            "Hodges-Lehmann shift, positive when the best value is better)"
        ),
    ]
    if rows:
        blocks.append(Table(header, tuple(rows), numeric=(2, 3, 6)))
    for effect in ranking.marginals:
        if len(effect.tied_for_best) > 1:
            blocks.append(
                Paragraph(f"{effect.key}: tied for best: {', '.join(effect.tied_for_best)}")
            )
        elif effect.best is not None:
            blocks.append(Paragraph(f"{effect.key}: best: {effect.best}"))
        if effect.left_out:
            blocks.append(
                Paragraph(
                    f"{effect.key}: {len(effect.left_out)} combination(s) of the other keys "
                    f"left out, lacking a value: {'; '.join(effect.left_out)}",
                    "warning",
                )
            )
        if effect.note:
            blocks.append(Paragraph(f"{effect.key}: {effect.note}", "warning"))
    return blocks


def ranking_blocks(ranking: Ranking) -> list[Block]:
    """A ranking: its design, the table of cells, the test, the best group, the margin."""
    level = level_text(ranking.confidence)
    better = "lowest" if ranking.goal == "min" else "highest"
    rows = []
    for place, cell in enumerate(ranking.cells, 1):
        versus = _versus(place == 1, cell.p_vs_best, cell.tied_with_best)
        rows.append(
            (
                str(place),
                cell.label,
                str(cell.n),
                format_number(cell.mean),
                interval_cell(cell.mean_ci, level=False),
                format_number(cell.median),
                interval_cell(cell.median_ci, level=False),
                f"{cell.mean_rank:.2f}",
                versus,
            )
        )
    header = (
        "rank", "study", "n", f"mean ({better} first)", f"{level} CI", "median", f"{level} CI",
        "mean rank", f"vs best ({_POSTHOC_NAMES.get(ranking.posthoc, ranking.posthoc)})",
    )  # fmt: skip
    blocks: list[Block] = [
        Paragraph(f"design: {ranking.design}", "note"),
        Paragraph(f"goal: {ranking.goal_note}", "note"),
        Table(header, tuple(rows), numeric=(0, 2, 3, 5, 7)),
        Paragraph(_friedman_line(ranking.friedman)),
    ]
    if len(ranking.tied_for_best) > 1:
        names = ", ".join(ranking.tied_for_best)
        blocks.append(Paragraph(f"tied for best: {names}", "verdict"))
    elif ranking.tied_for_best:
        blocks.append(Paragraph(f"best: {ranking.tied_for_best[0]}", "good"))
    if ranking.margin is not None:
        blocks.append(Paragraph(_margin_line(ranking.margin, ranking.goal)))
    if ranking.marginals:
        blocks += _marginal_blocks(ranking)
    warnings = [Paragraph(warning, "warning") for warning in ranking.warnings]
    return [*blocks, *warnings, confirmed_paragraph(ranking.cells[0].label, ranking.confirmed)]
