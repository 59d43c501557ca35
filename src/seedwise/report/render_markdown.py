"""The report as Markdown, its figures as PNG files in a folder beside it.

Text from the store is escaped twice over: ``<``, ``>`` and ``&`` as HTML
entities (Markdown passes raw HTML through), and every character that
Markdown reads as syntax (``*``, ``_``, ``[``, ``|``, backticks, ...) with a
backslash. Line breaks in cells become spaces, so a value never starts a line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from seedwise.report.attribution import attribution_notes, attribution_table
from seedwise.report.data import ReportData
from seedwise.report.tables import (
    Table,
    comparison_notes,
    estimates_table,
    facts_table,
    failures_table,
    interval_methods,
    overview_table,
    ranking_table,
    summary_table,
    tests_table,
    verdicts_table,
)

__all__ = ["DATE_MARK", "markdown_text", "render_markdown"]

#: The start of the one line that changes between two reports of the same store.
DATE_MARK = "Generated "

_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def markdown_text(value: object) -> str:
    """``value`` as Markdown that shows it as written: never markup, never HTML.

    Args:
        value: Anything; it is converted with ``str``.

    Returns:
        One line of escaped text.
    """
    text = " ".join(str(value).split())
    # Backslashes first: escaping after html.escape would break its entities.
    return html.escape(_SYNTAX.sub(r"\\\1", text), quote=False)


def _table(found: Table) -> list[str]:
    if not found.rows:
        return []
    marked = bool(found.highlight) and any(found.highlight)

    def cells(row: Sequence[str], bold: bool = False) -> str:
        texts = [markdown_text(cell) for cell in row]
        if bold:
            texts = [f"**{text}**" if text else text for text in texts]
        return "| " + " | ".join(texts) + " |"

    aligns = ["---:" if column in found.numeric else "---" for column in range(len(found.header))]
    lines = [cells(found.header), "| " + " | ".join(aligns) + " |"]
    for index, row in enumerate(found.rows):
        lines.append(cells(row, bold=marked and found.highlight[index]))
    return [*lines, ""]


def _notes(lines: Sequence[str]) -> list[str]:
    return [*(f"_{markdown_text(line)}_  " for line in lines), ""] if lines else []


def render_markdown(data: ReportData, figures: dict[str, str]) -> str:
    """The report as one Markdown document.

    Args:
        data: What the report shows.
        figures: The path of each figure relative to the document, by key
            (``metric-1``, ..., ``curve-1``, ...), written by the caller.

    Returns:
        The document's text.
    """
    names = tuple(study.name for study in data.studies)
    differ = ["Rows in bold differ between the studies."] if len(names) > 1 else []
    lines = [
        f"# {markdown_text(data.title)}",
        "",
        f"Store: {markdown_text(data.store)}  ",
        # The date has this line to itself: two reports of one store differ here only.
        f"{DATE_MARK}{data.generated} by seedwise {data.version}.",
        "",
        "## Studies",
        "",
        *_table(overview_table(data)),
        "### Definitions",
        "",
        *_notes(differ),
        *_table(facts_table(data.definitions, names)),
    ]
    for index, metric in enumerate(data.metrics, start=1):
        lines += [f"## Metric: {markdown_text(metric.name)}", ""]
        if f"metric-{index}" in figures:
            alt = markdown_text(f"{metric.name}: values by seed and intervals")
            lines += [f"![{alt}]({figures[f'metric-{index}']})", ""]
        lines += _table(summary_table(metric))
        lines += _notes(interval_methods(metric))
        comparison = metric.comparison
        if comparison is None:
            continue
        lines += ["### Comparison", "", *_notes(comparison_notes(comparison))]
        for pair in comparison.pairs:
            lines += [f"**{markdown_text(pair.verdict)}**", ""]
            lines += _table(tests_table(pair))
            lines += _table(estimates_table(pair))
            lines += _notes([f"warning: {warning}" for warning in pair.warnings])
        lines += _table(ranking_table(comparison))
        lines += _notes([f"warning: {warning}" for warning in comparison.warnings])
    if data.logged:
        lines += ["## Learning curves (logged steps)", ""]
        for index, name in enumerate(data.logged, start=1):
            if f"curve-{index}" in figures:
                lines += [f"![{markdown_text(name)} by step]({figures[f'curve-{index}']})", ""]
    if data.attributions:
        lines += ["## Variance by source", ""]
        for index, result in enumerate(data.attributions, start=1):
            alt = f"share of the variance of {markdown_text(result.metric)} by source"
            lines += [f"![{alt}]({figures[f'attribution-{index}']})", ""]
            lines += _table(attribution_table(result)) + _notes(attribution_notes(result))
    failures, more = failures_table(data)
    lines += ["## Failures", ""]
    lines += _table(failures) if failures.rows else ["Every run finished.", ""]
    lines += _notes(more)
    verdicts = verdicts_table(data)
    lines += ["## Reproducibility check", ""]
    lines += (
        _table(verdicts)
        if verdicts.rows
        else [
            "No kept seedwise check verdict for these studies' code and config "
            "(`seedwise check EXPERIMENT --keep` keeps one beside the store).",
            "",
        ]
    )
    lines += ["## Environment", "", *_notes(differ), *_table(facts_table(data.environments, names))]
    return "\n".join(lines).rstrip("\n") + "\n"
