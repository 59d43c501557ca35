"""HTML of summaries and comparisons, for notebooks (``_repr_html_``) and reports.

The numbers are formatted as the text output formats them
(:mod:`seedwise.stats._format`), so a notebook, a report and the terminal
show the same digits. Every label and note is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from seedwise._html import Html, element, join, notebook_block, table
from seedwise.stats._format import format_interval, format_number, format_p

if TYPE_CHECKING:
    from seedwise.stats._intervals import Interval
    from seedwise.stats.compare import Comparison, PairComparison
    from seedwise.stats.summary import Summaries, Summary

__all__ = [
    "comparison_html",
    "interval_notes",
    "interval_text",
    "pair_html",
    "summaries_html",
    "summaries_table",
    "summary_html",
]


def interval_text(interval: Interval) -> str:
    """An interval as ``[95% CI low, high]``, or ``[95% CI n/a]`` when it is undefined."""
    return format_interval(interval.low, interval.high, interval.confidence)


def _interval_cells(interval: Interval) -> list[object]:
    method = f"{interval.method}, n = {interval.n}"
    note = element("div", interval.note, class_="note") if interval.note else None
    return [interval_text(interval), join([method, note])]


def summary_html(summary: Summary) -> Html:
    """One metric's summary: counts, location, spread and intervals with their methods.

    Args:
        summary: The summary.

    Returns:
        A block of HTML for a notebook.
    """
    return notebook_block(_summary_body(summary, with_study=True))


def _counts(summary: Summary) -> str:
    counts = [f"n = {summary.n} finished"]
    if summary.n_nonfinite:
        counts.append(f"{summary.n_nonfinite} non-finite excluded")
    if summary.n_failed is not None:
        counts.append(f"{summary.n_failed} failed")
    return ", ".join(counts)


def _summary_body(summary: Summary, *, with_study: bool) -> Html:
    f = format_number
    title: list[object] = [element("strong", summary.metric)]
    if with_study and summary.study is not None:
        title.append(Html(" (study "))
        title.append(element("strong", summary.study))
        title.append(Html(")"))
    title.append(Html(": "))
    title.append(_counts(summary))
    level = f"{100 * summary.confidence:g}%"
    rows: list[Sequence[object]] = [
        ["mean", f(summary.mean), *_interval_cells(summary.mean_ci)],
        ["mean", f(summary.mean), *_interval_cells(summary.mean_ci_t)],
        ["median", f(summary.median), *_interval_cells(summary.median_ci)],
        ["std (ddof 1)", f(summary.std), "", ""],
        ["standard error", f(summary.sem), "", ""],
        ["IQR", f(summary.iqr), f"[{f(summary.q1)}, {f(summary.q3)}]", "25th to 75th percentile"],
        ["min, max", f"{f(summary.min)}, {f(summary.max)}", "", ""],
    ]
    parts: list[object] = [element("div", *title)]
    if summary.n:
        parts.append(
            table(["statistic", "value", f"{level} interval", "method"], rows, numeric=(1,))
        )
    parts.extend(element("div", f"note: {note}", class_="note") for note in summary.notes)
    return join(parts)


def summaries_table(summaries: Sequence[Summary], *, label: str = "metric") -> Html:
    """One row per summary: n, failures, mean and median with their intervals, spread.

    Args:
        summaries: The summaries (of several metrics, or of one metric in several studies).
        label: ``"metric"`` to label rows by metric, ``"study"`` by study.

    Returns:
        The table; the intervals' methods follow in a note below it.
    """
    f = format_number
    rows = []
    for summary in summaries:
        name = summary.metric if label == "metric" else (summary.study or summary.metric)
        failed = "" if summary.n_failed is None else str(summary.n_failed)
        rows.append(
            [
                name,
                str(summary.n),
                failed,
                f(summary.mean),
                interval_text(summary.mean_ci),
                f(summary.median),
                interval_text(summary.median_ci),
                f(summary.std),
                f(summary.min),
                f(summary.max),
            ]
        )
    header = [label, "n", "failed", "mean", "CI of the mean", "median", "CI of the median"]
    methods = sorted(
        {
            f"mean: {summary.mean_ci.method}; median: {summary.median_ci.method}"
            for summary in summaries
            if summary.n
        }
    )
    notes = [element("div", f"intervals: {method}", class_="note") for method in methods]
    for summary in summaries:
        who = summary.metric if label == "metric" else (summary.study or summary.metric)
        notes.extend(
            element("div", f"{who}: {note}", class_="note")
            for note in (*summary.notes, *interval_notes(summary))
        )
    return join(
        [
            table([*header, "std", "min", "max"], rows, numeric=(1, 2, 3, 5, 7, 8, 9)),
            *notes,
        ]
    )


def interval_notes(summary: Summary) -> list[str]:
    """Why an interval of the summary is missing, or a caution about it."""
    return [
        f"interval of the {what}: {interval.note}"
        for what, interval in (("mean", summary.mean_ci), ("median", summary.median_ci))
        if interval.note and summary.n
    ]


def summaries_html(summaries: Summaries) -> Html:
    """Every metric's summary in one table.

    Args:
        summaries: The summaries.

    Returns:
        A block of HTML for a notebook.
    """
    title = (
        None
        if summaries.study is None
        else element("div", "study ", element("strong", summaries.study))
    )
    return notebook_block(title, summaries_table(list(summaries.metrics.values())))


def pair_html(pair: PairComparison) -> Html:
    """One pair: the verdict, every test and every effect size with its interval and method.

    Args:
        pair: The pair.

    Returns:
        The pair's markup (not a notebook block).
    """
    winner = "good" if pair.winner is not None else None
    tests = [
        [
            test.name + (" (primary)" if test.primary else ""),
            format_number(test.statistic),
            format_p(test.p_value),
            format_p(test.p_adjusted),
            test.note or "",
        ]
        for test in pair.tests
    ]
    effects = [
        [
            pair.effect_label(effect),
            format_number(effect.value, 3),
            interval_text(effect.interval),
            f"{effect.interval.method}, n = {effect.interval.n}",
        ]
        for effect in pair.effects
    ]
    difference = [
        [
            f"difference ({pair.b} - {pair.a})",
            format_number(pair.difference),
            interval_text(pair.difference_ci),
            f"{pair.difference_ci.method}, n = {pair.difference_ci.n}",
        ]
    ]
    return join(
        [
            element("div", pair.verdict, class_=winner),
            table(["test", "statistic", "p", "p adjusted", "note"], tests, numeric=(1,)),
            table(["estimate", "value", "interval", "method"], difference + effects, numeric=(1,)),
            *(element("div", f"warning: {warning}", class_="note") for warning in pair.warnings),
        ]
    )


def comparison_html(comparison: Comparison) -> Html:
    """Every pair of a comparison, the ranking and the warnings.

    Args:
        comparison: The comparison.

    Returns:
        A block of HTML for a notebook.
    """
    better = "lowest" if comparison.goal == "min" else "highest"
    design = "paired by seed" if comparison.paired else "unpaired"
    heading = element(
        "div",
        element("strong", comparison.metric),
        f": {design}, correction {comparison.correction}, alpha {comparison.alpha:g}, "
        f"{100 * comparison.confidence:g}% intervals",
    )
    goal = element("div", f"goal: {comparison.goal_note}") if comparison.goal_note else None
    ranking = table(
        ["rank", "study", f"mean ({better} first)", "n"],
        [
            [str(entry.rank), entry.label, format_number(entry.mean), str(entry.n)]
            for entry in comparison.ranking
        ],
        numeric=(0, 2, 3),
    )
    return notebook_block(
        heading,
        goal,
        *(pair_html(pair) for pair in comparison.pairs),
        ranking,
        *(element("div", f"warning: {warning}", class_="note") for warning in comparison.warnings),
    )
