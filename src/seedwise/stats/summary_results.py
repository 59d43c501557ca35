"""What a summary returns, and the one place its tables are built.

``Summary`` and ``Summaries`` hold data only; the functions below build
their tables once, as :mod:`seedwise._document` blocks, for the terminal
(``__str__``), notebooks (``_repr_html_``) and the report alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from seedwise._document import Block, Paragraph, Table, html_blocks, text_lines
from seedwise._html import notebook_block, notebook_text
from seedwise.stats._format import format_number, level_text, plain_dict
from seedwise.stats._intervals import Interval, interval_cell

__all__ = [
    "Summaries",
    "Summary",
    "interval_notes",
    "quick_table",
    "summary_blocks",
    "summary_table",
]


@dataclass(frozen=True)
class Summary:
    """One metric over repeated runs.

    Attributes:
        metric: The metric's name.
        n: The number of finished runs with a finite value: every number
            below rests on these.
        n_nonfinite: Values that were NaN or infinite, counted and excluded.
        n_failed: Runs that failed, when known; else None.
        mean: The arithmetic mean (None when n = 0).
        std: The sample standard deviation, ddof = 1 (None when n < 2).
        sem: The standard error of the mean, std / sqrt(n) (None when n < 2).
        median: The median.
        q1: The 25th percentile (linear interpolation).
        q3: The 75th percentile.
        iqr: ``q3 - q1``.
        min: The smallest value.
        max: The largest value.
        mean_ci: The interval of the mean to quote: the hull of the t-interval
            and the studentized bootstrap (bootstrap-t) interval, whose
            coverage was measured (docs/statistics.md); undefined below 5 values.
        mean_ci_t: The t-interval of the mean (exact for normal data only).
        median_ci: The order-statistic (binomial) interval of the median,
            distribution-free; undefined below 6 values at 95%.
        confidence: The confidence level of the intervals.
        notes: Why some numbers are missing, and what was excluded.
        study: The study the runs belong to, when a sample of a study was
            summarised; else None.
        geometric_mean: The exponential of the mean of the logarithms, when
            asked for or when positive values span 3 orders of magnitude;
            else None.
        geometric_mean_ci: Its interval: the interval of the mean of the
            logarithms, exponentiated (coverage in docs/statistics.md, table 9).
    """

    metric: str
    n: int
    n_nonfinite: int
    n_failed: int | None
    mean: float | None
    std: float | None
    sem: float | None
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    min: float | None
    max: float | None
    mean_ci: Interval
    mean_ci_t: Interval
    median_ci: Interval
    confidence: float
    notes: tuple[str, ...] = field(default=())
    study: str | None = None
    geometric_mean: float | None = None
    geometric_mean_ci: Interval | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values (intervals as nested dicts)."""
        result = {key: value for key, value in self.__dict__.items() if key != "study"}
        for name in ("mean_ci", "mean_ci_t", "median_ci", "geometric_mean_ci"):
            interval = getattr(self, name)
            result[name] = None if interval is None else interval.to_dict()
        return plain_dict({"study": self.study, **result, "notes": list(self.notes)})

    def text(self, *, details: bool = False) -> str:
        """The summary as terminal text: one table row, then the methods and notes."""
        return "\n".join(text_lines(summary_blocks([self], details=details)))

    def __str__(self) -> str:
        return self.text()

    _repr_pretty_ = notebook_text

    def _repr_html_(self) -> str:
        """The summary as an HTML table, for notebooks (every label escaped)."""
        return str(notebook_block(html_blocks(summary_blocks([self], details=True))))


@dataclass(frozen=True)
class Summaries:
    """Summaries of several metrics of the same runs, by metric name.

    Attributes:
        metrics: Metric name -> its ``Summary``.
        study: The study the runs belong to, when known; else None.
    """

    metrics: dict[str, Summary]
    study: str | None = None

    def __getitem__(self, metric: str) -> Summary:
        return self.metrics[metric]

    def __iter__(self) -> Iterator[str]:
        return iter(self.metrics)

    def __len__(self) -> int:
        return len(self.metrics)

    def to_dict(self) -> dict[str, Any]:
        """``{metric: summary.to_dict()}``."""
        return {metric: summary.to_dict() for metric, summary in self.metrics.items()}

    def text(self, *, details: bool = False) -> str:
        """Every metric as one row of a table, then the methods and notes."""
        return "\n".join(text_lines(self._blocks(details)))

    def __str__(self) -> str:
        return self.text()

    _repr_pretty_ = notebook_text

    def _repr_html_(self) -> str:
        """Every metric's summary in one HTML table, for notebooks."""
        return str(notebook_block(html_blocks(self._blocks(True))))

    def _blocks(self, details: bool) -> list[Block]:
        summaries = list(self.metrics.values())
        title = [] if self.study is None else [Paragraph(_study_title(self.study, summaries))]
        return [*title, *summary_blocks(summaries, details=details)]


# The rows of every summary table, built once for every output.


def _study_title(study: str, summaries: Sequence[Summary]) -> str:
    failed = next((s.n_failed for s in summaries if s.n_failed is not None), None)
    if failed is None:
        return f"study {study}"
    if failed == 0:
        return f"study {study} (every run finished)"
    return f"study {study} ({failed} run{'s' if failed != 1 else ''} did not finish)"


def summary_table(
    summaries: Sequence[Summary],
    *,
    label: Literal["metric", "study"] = "metric",
    details: bool = False,
) -> Table:
    """One row per summary: n, mean and its interval, median and its interval, std, min, max.

    Args:
        summaries: The summaries (of several metrics, or of one metric in several studies).
        label: ``"metric"`` to label rows by metric, ``"study"`` by study
            (then a ``failed`` column follows ``n``).
        details: Add the standard error, the t-interval of the mean and the IQR.

    Returns:
        The table; :func:`interval_notes` says how its intervals were made.
    """
    f = format_number
    level = level_text(summaries[0].confidence) if summaries else "95%"
    failed = label == "study" and any(s.n_failed is not None for s in summaries)
    header = [label, "n", *(["failed"] if failed else []), "mean", f"{level} CI of the mean"]
    header += ["median", f"{level} CI of the median", "std", "min, max"]
    geometric = any(s.geometric_mean_ci is not None for s in summaries)
    if geometric:
        header += ["geometric mean", f"{level} CI of the geometric mean"]
    if details:
        header += ["se", f"{level} t-interval of the mean", "IQR (25th, 75th)"]
    rows = []
    for s in summaries:
        row = [s.metric if label == "metric" else (s.study or s.metric), str(s.n)]
        row += [str(s.n_failed) if s.n_failed is not None else ""] if failed else []
        row += [
            f(s.mean),
            interval_cell(s.mean_ci, level=False),
            f(s.median),
            interval_cell(s.median_ci, level=False),
        ]
        row.append(f(s.std))
        row.append("n/a" if s.min is None else f"{f(s.min)}, {f(s.max)}")
        if geometric:
            row += [f(s.geometric_mean), interval_cell(s.geometric_mean_ci, level=False)]
        if details:
            row += [f(s.sem), interval_cell(s.mean_ci_t, level=False)]
            row.append("n/a" if s.q1 is None else f"{f(s.q1)}, {f(s.q3)}")
        rows.append(tuple(row))
    numbers = {"n", "failed", "mean", "median", "std", "se", "geometric mean"}
    numeric = tuple(index for index, title in enumerate(header) if title in numbers)
    return Table(tuple(header), tuple(rows), numeric=numeric)


def interval_notes(
    summaries: Sequence[Summary],
    *,
    label: Literal["metric", "study"] = "metric",
    details: bool = False,
) -> list[str]:
    """How the intervals of a summary table were made, then each summary's notes."""
    methods = sorted(
        {f"mean: {s.mean_ci.method}; median: {s.median_ci.method}" for s in summaries if s.n}
    )
    lines = [f"intervals: {method}" for method in methods]
    lines += sorted(
        {f"geometric mean: {s.geometric_mean_ci.method}" for s in summaries if s.geometric_mean_ci}
    )
    if details:
        lines.append(
            "the CI of the mean is the one to quote (its coverage was measured, "
            "docs/statistics.md); the t-interval is exact for normal data only"
        )
    # A note shared by several summaries is said once, naming each of them.
    shared: dict[str, list[str]] = {}
    for s in summaries:
        who = s.metric if label == "metric" else (s.study or s.metric)
        located = [("mean", s.mean_ci), ("median", s.median_ci)]
        if s.geometric_mean_ci is not None:
            located.append(("geometric mean", s.geometric_mean_ci))
        said = [*s.notes]
        said += [
            f"interval of the {what}: {interval.note}"
            for what, interval in located
            if interval.note and s.n
        ]
        for note in said:
            shared.setdefault(note, []).append(who)
    lines.extend(f"{', '.join(whose)}: {note}" for note, whose in shared.items())
    return lines


def summary_blocks(
    summaries: Sequence[Summary],
    *,
    label: Literal["metric", "study"] = "metric",
    details: bool = False,
) -> list[Block]:
    """The summary table and its notes."""
    notes = interval_notes(summaries, label=label, details=details)
    table = summary_table(summaries, label=label, details=details)
    return [table, *(Paragraph(line, "note") for line in notes)]


def quick_table(numbers: Mapping[str, Sequence[float]]) -> Table:
    """Plain numbers of each metric, without intervals: n, mean, std, median, min and max.

    Args:
        numbers: Metric -> its finite values.

    Returns:
        The table (``study.summary()`` gives the intervals).
    """
    import numpy as np

    rows = []
    for name, values in numbers.items():
        x = np.asarray(values, dtype=np.float64)
        if x.size == 0:
            rows.append((name, "0", "n/a", "n/a", "n/a", "n/a"))
            continue
        std = format_number(float(np.std(x, ddof=1))) if x.size > 1 else "n/a"
        low, high = format_number(float(x.min())), format_number(float(x.max()))
        mean, median = format_number(float(np.mean(x))), format_number(float(np.median(x)))
        rows.append((name, str(x.size), mean, std, median, f"{low}, {high}"))
    header = ("metric", "n", "mean", "std", "median", "min, max")
    return Table(header, tuple(rows), numeric=(1, 2, 3, 4))
