"""The outline of a report: its sections and their blocks, walked by every writer.

:func:`outline` says once what a report shows and in which order; the HTML
writer (:mod:`seedwise.report.render_html`) and the Markdown writer
(:mod:`seedwise.report.render_markdown`) each walk the same sections and
only decide how a block looks.
"""

from __future__ import annotations

from seedwise._document import Block, Figure, Paragraph, Section
from seedwise.report.attribution import attribution_notes, attribution_table
from seedwise.report.data import MetricPart, ReportData
from seedwise.report.tables import facts_table, failures_table, overview_table, verdicts_table
from seedwise.stats.aggregate_results import aggregate_blocks, task_table
from seedwise.stats.comparison_results import comparison_blocks
from seedwise.stats.curve_results import verdict
from seedwise.stats.ranking_results import ranking_blocks
from seedwise.stats.summary_results import summary_blocks

__all__ = ["NO_VERDICT", "outline"]

#: What the check section says when no verdict was kept.
NO_VERDICT = (
    "No kept seedwise check verdict for these studies' code and config "
    "(seedwise check EXPERIMENT --keep keeps one beside the store)."
)


def _notes(lines: list[str]) -> list[Block]:
    return [Paragraph(line, "note") for line in lines]


def _metric(index: int, metric: MetricPart, data: ReportData) -> Section:
    blocks: list[Block] = [
        Figure(f"metric-{index}", f"{metric.name}: values by seed and intervals")
    ]
    blocks += summary_blocks(metric.summaries, label="study")
    blocks += _notes(list(metric.notes))
    if metric.ranking is not None:
        blocks.append(Paragraph("Ranking", "heading"))
        alt = f"{metric.name}: mean ranks, and the studies that cannot be told apart joined"
        blocks += [Figure(f"ranking-{index}", alt), *ranking_blocks(metric.ranking)]
        if data.sweep is not None and data.heat_map(metric):
            row, column = data.sweep.keys
            alt = f"{metric.name}: the mean of each cell, {row} by row, {column} by column"
            blocks.append(Figure(f"grid-{index}", alt))
    if metric.comparison is not None:
        blocks.append(Paragraph("Comparison", "heading"))
        blocks += _notes([metric.comparison_note] if metric.comparison_note else [])
        blocks += comparison_blocks(metric.comparison, details=True)
        blocks += [Paragraph(f"caution: {line}", "note") for line in metric.cautions]
    anchor = f"metric-{index}"
    return Section(anchor, f"Metric: {metric.name}", tuple(blocks), f"Metric {metric.name}")


def outline(data: ReportData) -> list[Section]:
    """The report's sections, in order, with everything each one shows.

    Args:
        data: What the report shows.

    Returns:
        Studies, one section per metric, learning curves (when any were
        logged), variance by source (when attributed), failures, the
        reproducibility check and the environment. Figures are referred to
        by key (``metric-1``, ``curve-1``, ``attribution-1``); a writer
        leaves out a figure it was not given.
    """
    names = tuple(study.name for study in data.studies)
    differ = _notes(["Highlighted rows differ between the studies."] if len(names) > 1 else [])
    sections = [
        Section(
            "studies",
            "Studies",
            (
                overview_table(data),
                Paragraph("Definitions", "heading"),
                *differ,
                facts_table(data.definitions, names),
            ),
        )
    ]
    sections += [_metric(index, metric, data) for index, metric in enumerate(data.metrics, start=1)]
    if data.logged:
        curves: tuple[Block, ...] = ()
        for index, found in enumerate(data.curve_results, start=1):
            alt = f"{found.metric} by {found.x}: mean and 95% simultaneous band of each study"
            curves += (Figure(f"curve-{index}", alt),)
            curves += tuple(Paragraph(verdict(item, found)) for item in found.differences)
            curves += tuple(_notes(list(found.notes)))
        title = "Learning curves (logged steps)"
        sections.append(Section("curves", title, curves, "Learning curves"))
    if data.across_tasks:
        across: list[Block] = []
        for index, aggregated in enumerate(data.across_tasks, start=1):
            across += [
                Paragraph(f"{aggregated.metric}", "heading"),
                Figure(
                    f"tasks-intervals-{index}", f"{aggregated.metric}: aggregates with intervals"
                ),
                Figure(f"tasks-profiles-{index}", f"{aggregated.metric}: run profiles with bands"),
                Figure(
                    f"tasks-improvement-{index}", f"{aggregated.metric}: probability of improvement"
                ),
                Figure(
                    f"tasks-ranking-{index}", f"{aggregated.metric}: critical-difference diagram"
                ),
                *aggregate_blocks(aggregated),
                Paragraph("Each algorithm's mean on each task (runs in brackets)", "heading"),
                task_table(aggregated),
            ]
        sections.append(Section("across-tasks", "Across tasks", tuple(across)))
    if data.attributions:
        shares: list[Block] = []
        for index, result in enumerate(data.attributions, start=1):
            alt = f"share of the variance of {result.metric} by source"
            shares += [Figure(f"attribution-{index}", alt), attribution_table(result)]
            shares += _notes(attribution_notes(result))
        sections.append(Section("attribution", "Variance by source", tuple(shares)))
    failures, more = failures_table(data)
    listed: Block = failures if failures.rows else Paragraph("Every run finished.")
    sections.append(Section("failures", "Failures", (listed, *_notes(more))))
    verdicts = verdicts_table(data)
    kept: Block = verdicts if verdicts.rows else Paragraph(NO_VERDICT)
    sections.append(Section("check", "Reproducibility check", (kept,)))
    environment = (*differ, facts_table(data.environments, names))
    sections.append(Section("environment", "Environment", environment))
    return sections
