"""The report's tables as plain text cells, for the HTML and the Markdown renderers alike.

Numbers are formatted as ``seedwise summary`` and ``seedwise compare`` print
them. Cells hold raw text from the store; each renderer escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from seedwise.records import RUN_STATUSES
from seedwise.report.data import MAX_FAILURES_LISTED, FactRow, MetricPart, ReportData
from seedwise.stats import Comparison, Interval, PairComparison
from seedwise.stats._display import interval_notes
from seedwise.stats._format import format_interval, format_number, format_p

__all__ = [
    "Table",
    "comparison_notes",
    "estimates_table",
    "facts_table",
    "failures_table",
    "interval_methods",
    "overview_table",
    "ranking_table",
    "summary_table",
    "tests_table",
    "verdicts_table",
]


@dataclass(frozen=True)
class Table:
    """A table of text cells.

    Attributes:
        header: The column titles.
        rows: The rows, each as long as ``header``.
        highlight: For each row, whether to highlight it (the studies differ there).
        numeric: The columns that hold numbers.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    highlight: tuple[bool, ...] = ()
    numeric: tuple[int, ...] = ()


def _interval(interval: Interval) -> str:
    return format_interval(interval.low, interval.high, interval.confidence)


def _verdict_word(reproducible: bool) -> str:
    return "reproducible" if reproducible else "NOT reproducible"


def overview_table(data: ReportData) -> Table:
    """One row per study: experiment, runs per status, and its kept check verdict."""
    rows = []
    for study in data.studies:
        verdicts = ", ".join(
            f"{_verdict_word(kept.result.reproducible)} (seed {kept.result.seed})"
            for kept in study.verdicts
        )
        rows.append(
            (
                study.name,
                study.record.experiment,
                str(len(study.runs)),
                *(str(study.counts.get(status, 0)) for status in RUN_STATUSES),
                verdicts or "none kept",
            )
        )
    return Table(
        ("study", "experiment", "runs", *RUN_STATUSES, "seedwise check"),
        tuple(rows),
        numeric=tuple(range(2, 3 + len(RUN_STATUSES))),
    )


def facts_table(rows: tuple[FactRow, ...], names: tuple[str, ...]) -> Table:
    """Facts (definitions or environments) by study, rows where the studies differ marked.

    Args:
        rows: The facts.
        names: The studies' names, one column each.

    Returns:
        The table; highlighted rows are the differences.
    """
    differs = len(names) > 1
    return Table(
        ("", *names),
        tuple((row.key, *row.values) for row in rows),
        highlight=tuple(differs and row.differs for row in rows),
    )


def summary_table(metric: MetricPart) -> Table:
    """One row per study: n, failures, mean and median with intervals, spread."""
    f = format_number
    rows = []
    for name, summary in zip(metric.studies, metric.summaries, strict=True):
        rows.append(
            (
                name,
                str(summary.n),
                "" if summary.n_failed is None else str(summary.n_failed),
                f(summary.mean),
                _interval(summary.mean_ci),
                f(summary.median),
                _interval(summary.median_ci),
                f(summary.std),
                f"[{f(summary.q1)}, {f(summary.q3)}]",
                f(summary.min),
                f(summary.max),
            )
        )
    return Table(
        (
            "study",
            "n",
            "failed",
            "mean",
            "interval of the mean",
            "median",
            "interval of the median",
            "std",
            "IQR",
            "min",
            "max",
        ),
        tuple(rows),
        numeric=(1, 2, 3, 5, 7, 9, 10),
    )


def interval_methods(metric: MetricPart) -> list[str]:
    """How the summary's intervals were computed, and each summary's notes."""
    methods = sorted(
        {
            f"mean: {summary.mean_ci.method}; median: {summary.median_ci.method}"
            for summary in metric.summaries
            if summary.n
        }
    )
    lines = [f"intervals ({100 * metric.summaries[0].confidence:g}%): {m}" for m in methods]
    for name, summary in zip(metric.studies, metric.summaries, strict=True):
        lines.extend(f"{name}: {note}" for note in (*summary.notes, *interval_notes(summary)))
    lines.extend(metric.notes)
    return lines


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
    """The difference of one pair and its effect sizes, each with its interval and method."""
    rows = [
        (
            f"difference ({pair.b} - {pair.a})",
            format_number(pair.difference),
            _interval(pair.difference_ci),
            f"{pair.difference_ci.method}, n = {pair.difference_ci.n}",
        )
    ]
    for effect in pair.effects:
        rows.append(
            (
                pair.effect_label(effect),
                format_number(effect.value, 3),
                _interval(effect.interval),
                f"{effect.interval.method}, n = {effect.interval.n}",
            )
        )
    return Table(("estimate", "value", "interval", "method"), tuple(rows), numeric=(1,))


def ranking_table(comparison: Comparison) -> Table:
    """The studies from best to worst mean."""
    better = "lowest" if comparison.goal == "min" else "highest"
    return Table(
        ("rank", "study", f"mean ({better} first)", "n"),
        tuple(
            (str(entry.rank), entry.label, format_number(entry.mean), str(entry.n))
            for entry in comparison.ranking
        ),
        numeric=(0, 2, 3),
    )


def comparison_notes(comparison: Comparison) -> list[str]:
    """The design of a comparison in words: which direction is better and why, pairing, levels."""
    design = "paired by seed" if comparison.paired else "unpaired"
    return [
        f"goal: {comparison.goal_note}",
        f"{design}; p-values corrected over the pairs with "
        f"{comparison.correction}; alpha {comparison.alpha:g}; "
        f"{100 * comparison.confidence:g}% intervals",
    ]


def failures_table(data: ReportData) -> tuple[Table, list[str]]:
    """Every run that did not finish, with its reason (the first few per study).

    Returns:
        The table, and a line per study with more failures than listed.
    """
    rows = []
    more = []
    for study in data.studies:
        failures = study.failures
        for run in failures[:MAX_FAILURES_LISTED]:
            reason = " ".join((run.error or "no reason recorded").split())
            rows.append((study.name, str(run.repeat), str(run.seed), run.status.value, reason))
        if len(failures) > MAX_FAILURES_LISTED:
            more.append(
                f"{study.name}: {len(failures) - MAX_FAILURES_LISTED} more failed runs not "
                f"listed (seedwise show {study.name})"
            )
    return Table(("study", "repeat", "seed", "status", "reason"), tuple(rows), numeric=(1, 2)), more


def verdicts_table(data: ReportData) -> Table:
    """The kept ``seedwise check`` verdicts of each study's code and config."""
    rows = []
    for study in data.studies:
        for kept in study.verdicts:
            result = kept.result
            where = "" if result.first_divergence is None else str(result.first_divergence)
            causes = "; ".join(str(cause) for cause in result.causes)
            rows.append(
                (
                    study.name,
                    _verdict_word(result.reproducible),
                    f"{result.experiment} --seed {result.seed}",
                    f"{len(result.runs)} runs, {result.fingerprints} tensor digests",
                    where,
                    causes,
                    kept.path.name,
                )
            )
    return Table(
        ("study", "verdict", "checked", "compared", "first divergence", "causes", "file"),
        tuple(rows),
    )
