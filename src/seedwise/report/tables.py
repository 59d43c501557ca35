"""The report's own tables (studies, facts, failures, check verdicts) as text cells.

The tables of summaries and comparisons are those of the terminal, built in
:mod:`seedwise.stats.summary_results` and :mod:`seedwise.stats.comparison_results`;
these are the ones only a report has.
Cells hold raw text from the store; each writer escapes them.
"""

from __future__ import annotations

from seedwise._document import Table
from seedwise.records import RUN_STATUSES
from seedwise.report.data import MAX_FAILURES_LISTED, FactRow, ReportData

__all__ = ["facts_table", "failures_table", "overview_table", "verdicts_table"]


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
