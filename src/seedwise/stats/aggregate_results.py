"""The rows, JSON and text of :class:`Aggregates` (``seedwise.aggregate``), built once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedwise._document import Block, Paragraph, Table, text_lines
from seedwise.stats._format import distinct_digits, format_number, level_text, plain_dict

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.stats._intervals import Interval
    from seedwise.stats.task_ranking import CriticalDifference, TaskRanking

__all__ = [
    "AggregateEstimate",
    "Aggregates",
    "AlgorithmAggregates",
    "Improvement",
    "RunProfile",
    "aggregate_blocks",
    "aggregates_dict",
    "latex_tables",
    "task_table",
]


@dataclass(frozen=True)
class AggregateEstimate:
    """One aggregate of one algorithm: ``"mean"``, ``"median"``, ``"iqm"``, ``"optimality gap"``."""

    statistic: str
    value: float
    interval: Interval


@dataclass(frozen=True)
class AlgorithmAggregates:
    """One algorithm's aggregates over the tasks.

    Attributes:
        algorithm: Its name.
        runs: Its runs on each task, in the tasks' order.
        estimates: Mean, median of task means, IQM and optimality gap.
        task_means: Its mean on each task (normalised), in the tasks' order.
    """

    algorithm: str
    runs: tuple[int, ...]
    estimates: tuple[AggregateEstimate, ...]
    task_means: tuple[float, ...]


@dataclass(frozen=True)
class RunProfile:
    """The fraction of runs that score above each threshold, with a pointwise band."""

    algorithm: str
    thresholds: NDArray[np.float64]
    fraction: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]


@dataclass(frozen=True)
class Improvement:
    """The average probability that a run of ``x`` beats a run of ``y`` on a task."""

    x: str
    y: str
    probability: float
    interval: Interval


@dataclass(frozen=True)
class Aggregates:
    """Results across tasks, per algorithm (``seedwise.aggregate``).

    Attributes:
        metric: The metric.
        goal: ``"max"`` or ``"min"``: which direction of the raw scores is better.
        normalization: ``"none"``, ``"min-max"`` or ``"baseline"``, with its reference.
        tasks: The tasks, in order.
        algorithms: Each algorithm's aggregates.
        profiles: Each algorithm's run profile.
        improvements: Each ordered pair's probability of improvement.
        ranking: The ranking over tasks (Friedman, post-hoc, Bayesian signed-rank).
        confidence: The level of every interval.
        n_resamples: Bootstrap resamples.
        task_bootstrap: Whether the tasks were resampled too.
        methods: How each kind of interval was made.
        cautions: What the reader must know, each a named caution.
    """

    metric: str
    goal: str
    normalization: str
    tasks: tuple[str, ...]
    algorithms: tuple[AlgorithmAggregates, ...]
    profiles: tuple[RunProfile, ...]
    improvements: tuple[Improvement, ...]
    ranking: TaskRanking | None
    confidence: float
    n_resamples: int
    task_bootstrap: bool
    methods: dict[str, str]
    cautions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return aggregates_dict(self)

    def text(self) -> str:
        """The terminal tables and notes."""
        return "\n".join(text_lines(aggregate_blocks(self)))

    def __str__(self) -> str:
        return self.text()


def _pair(interval: Interval, digits: int) -> str:
    if interval.low is None or interval.high is None:
        return "n/a"
    return f"[{format_number(interval.low, digits)}, {format_number(interval.high, digits)}]"


def _value(value: float, digits: int) -> str:
    return format_number(value, digits) if math.isfinite(value) else "n/a"


def _estimate_rows(found: Aggregates) -> list[tuple[str, ...]]:
    rows = []
    for algorithm in found.algorithms:
        numbers = [e.value for e in algorithm.estimates if math.isfinite(e.value)]
        # Values equal but for rounding (an IQM of 2.0000000000000004 beside a
        # mean of 2) are one value: only values that differ choose the digits.
        distinct = {float(f"{number:.12g}") for number in numbers}
        digits = distinct_digits(*distinct) if len(distinct) > 1 else 4
        cells: list[str] = [algorithm.algorithm, str(len(algorithm.runs)), str(sum(algorithm.runs))]
        for estimate in algorithm.estimates:
            cells += [_value(estimate.value, digits), _pair(estimate.interval, digits)]
        rows.append(tuple(cells))
    return rows


def task_table(found: Aggregates) -> Table:
    """Each algorithm's mean on each task (normalised where the scores are), one row a task."""
    header = ("task", *(a.algorithm for a in found.algorithms))
    rows = []
    for i, task in enumerate(found.tasks):
        means = [a.task_means[i] for a in found.algorithms]
        finite = [m for m in means if math.isfinite(m)]
        digits = distinct_digits(*finite) if len(set(finite)) > 1 else 4
        rows.append(
            (
                task,
                *(
                    f"{_value(m, digits)} ({a.runs[i]})"
                    for m, a in zip(means, found.algorithms, strict=True)
                ),
            )
        )
    return Table(header, tuple(rows), numeric=tuple(range(1, len(header))))


def latex_tables(found: Aggregates) -> tuple[list[tuple[str, Table]], list[str]]:
    """The tables of ``found`` for ``--latex``, each with its caption, and the lines beside them.

    The tables are the terminal's (:func:`aggregate_blocks`) and each task's
    means (:func:`task_table`); the lines are its methods, Demsar's path and
    the cautions.
    """
    heading = ""
    friedman = ""
    tables: list[tuple[str, Table]] = []
    lines: list[str] = []
    for block in aggregate_blocks(found):
        if isinstance(block, Paragraph):
            if block.style == "heading":
                heading = block.text
            elif block.text.startswith("Friedman"):
                friedman = block.text
            else:
                lines.append(block.text)
            continue
        if not isinstance(block, Table):
            continue
        if block.header[0] == "X":
            caption = f"{found.metric}: average probability of improvement P(X > Y) over tasks"
        elif block.header[0] == "A":
            caption = f"{found.metric}: Bayesian signed-rank test over tasks"
        elif block.header[1] == "mean rank over tasks":
            caption = f"{found.metric}: mean ranks over tasks ({friedman})"
        else:
            caption = heading
        tables.append((caption, block))
    caption = (
        f"{found.metric}: each algorithm's mean on each task ({found.normalization}; runs in "
        "brackets)"
    )
    tables.append((caption, task_table(found)))
    return tables, lines


def aggregate_blocks(found: Aggregates) -> list[Block]:
    """The tables, methods and cautions of ``found``."""
    level = level_text(found.confidence)
    header: list[str] = ["algorithm", "tasks", "runs"]
    for statistic in ("mean", "median", "IQM", "optimality gap"):
        header += [statistic, f"{level} CI"]
    blocks: list[Block] = [
        Paragraph(
            f"{found.metric} across {len(found.tasks)} task{'s' if len(found.tasks) != 1 else ''} "
            f"({found.normalization}; "
            f"{'higher' if found.goal == 'max' else 'lower'} is better; every task weighs the "
            "same)",
            "heading",
        ),
        Table(tuple(header), tuple(_estimate_rows(found)), numeric=tuple(range(1, len(header)))),
    ]
    if found.improvements:
        blocks.append(
            Table(
                ("X", "Y", "P(X > Y)", f"{level} CI"),
                tuple(
                    (i.x, i.y, format_number(i.probability, 3), _pair(i.interval, 3))
                    for i in found.improvements
                ),
                numeric=(2, 3),
            )
        )
    blocks += _ranking_blocks(found)
    resampled = "runs within each task" + (" and the tasks" if found.task_bootstrap else "")
    aggregates = (
        f"mean, median, IQM, optimality gap: {found.methods['aggregate']}"
        if found.methods["aggregate"] == found.methods["median"]
        else f"mean, IQM, optimality gap: {found.methods['aggregate']}; median: "
        f"{found.methods['median']}"
    )
    blocks.append(
        Paragraph(
            f"intervals: {found.n_resamples} resamples of {resampled}; {aggregates}; probability "
            f"of improvement: {found.methods['improvement']}; run profiles: "
            f"{found.methods['profile']}",
            "note",
        )
    )
    blocks += [Paragraph(caution, "warning") for caution in found.cautions]
    return blocks


def _ranking_blocks(found: Aggregates) -> list[Block]:
    if found.ranking is None:
        return []
    blocks: list[Block] = []
    ranked = found.ranking.ranking
    if ranked is None:
        if found.ranking.note:
            blocks.append(Paragraph(found.ranking.note, "warning"))
    else:
        friedman = ranked.friedman
        test = (
            f"Friedman over {ranked.n_seeds} tasks: chi2 = {format_number(friedman.statistic, 4)}"
            f", p = {format_number(friedman.p_value, 3)}"
            if friedman.p_value is not None and friedman.statistic is not None
            else f"Friedman over tasks not run: {friedman.reason}"
        )
        blocks.append(Paragraph(test, "plain"))
        blocks.append(
            Table(
                ("algorithm", "mean rank over tasks", f"p vs best ({ranked.posthoc})", "tied"),
                tuple(
                    (
                        cell.label,
                        format_number(cell.mean_rank, 3),
                        "best" if cell.p_vs_best is None else format_number(cell.p_vs_best, 3),
                        "yes" if cell.tied_with_best else "no",
                    )
                    for cell in ranked.cells
                ),
                numeric=(1, 2),
            )
        )
    diagram = found.ranking.diagram
    if diagram is not None:
        blocks.append(Paragraph(f"Demsar's path: {diagram.decision}", "plain"))
        cd = (
            ""
            if diagram.critical_difference is None
            else f"critical difference {format_number(diagram.critical_difference, 3)}; "
        )
        bars = "; ".join(", ".join(group) for group in diagram.groups) or "none"
        blocks.append(Paragraph(f"{cd}not told apart (the diagram's bars): {bars}", "plain"))
    rope = found.ranking.rope
    blocks.append(
        Table(
            ("A", "B", "P(A better)", f"P(within ROPE {format_number(rope, 3)})", "P(B better)"),
            tuple(
                (
                    p.a,
                    p.b,
                    format_number(p.a_better, 3),
                    format_number(p.equivalent, 3),
                    format_number(p.b_better, 3),
                )
                for p in found.ranking.pairs
            ),
            numeric=(2, 3, 4),
        )
    )
    return blocks


def aggregates_dict(found: Aggregates) -> dict[str, Any]:
    """``found`` as JSON values."""
    ranking: dict[str, Any] | None = None
    if found.ranking is not None:
        ranked = found.ranking.ranking
        ranking = {
            "friedman": None
            if ranked is None
            else {
                "statistic": ranked.friedman.statistic,
                "p_value": ranked.friedman.p_value,
                "note": ranked.friedman.reason,
            },
            "posthoc": None if ranked is None else ranked.posthoc,
            "cells": []
            if ranked is None
            else [
                {
                    "algorithm": c.label,
                    "mean_rank": c.mean_rank,
                    "p_vs_best": c.p_vs_best,
                    "tied_with_best": c.tied_with_best,
                }
                for c in ranked.cells
            ],
            "rope": found.ranking.rope,
            "bayesian_signed_rank": [
                {
                    "a": p.a,
                    "b": p.b,
                    "a_better": p.a_better,
                    "equivalent": p.equivalent,
                    "b_better": p.b_better,
                }
                for p in found.ranking.pairs
            ],
            "note": found.ranking.note,
            "critical_difference": None
            if found.ranking.diagram is None
            else _diagram_dict(found.ranking.diagram),
        }

    return plain_dict(
        {
            "metric": found.metric,
            "goal": found.goal,
            "normalization": found.normalization,
            "tasks": list(found.tasks),
            "confidence": found.confidence,
            "n_resamples": found.n_resamples,
            "task_bootstrap": found.task_bootstrap,
            "methods": found.methods,
            "algorithms": [
                {
                    "algorithm": a.algorithm,
                    "runs": list(a.runs),
                    "task_means": list(a.task_means),
                    **{
                        e.statistic.replace(" ", "_"): {
                            "value": e.value,
                            "interval": e.interval.to_dict(),
                        }
                        for e in a.estimates
                    },
                }
                for a in found.algorithms
            ],
            "profiles": [
                {
                    "algorithm": p.algorithm,
                    "thresholds": p.thresholds.tolist(),
                    "fraction": p.fraction.tolist(),
                    "low": p.low.tolist(),
                    "high": p.high.tolist(),
                }
                for p in found.profiles
            ],
            "probability_of_improvement": [
                {"x": i.x, "y": i.y, "probability": i.probability, "interval": i.interval.to_dict()}
                for i in found.improvements
            ],
            "ranking": ranking,
            "cautions": list(found.cautions),
        }
    )


def _diagram_dict(diagram: CriticalDifference) -> dict[str, Any]:
    return {
        "decision": diagram.decision,
        "posthoc": diagram.posthoc,
        "friedman_p": diagram.friedman_p,
        "alpha": diagram.alpha,
        "n_tasks": diagram.n_tasks,
        "critical_difference": diagram.critical_difference,
        "mean_ranks": dict(zip(diagram.labels, diagram.mean_ranks, strict=True)),
        "pairs": [{"a": a, "b": b, "p": p} for a, b, p in diagram.pairs],
        "groups": [list(group) for group in diagram.groups],
    }
