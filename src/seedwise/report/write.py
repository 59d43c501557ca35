"""``write_report``: studies in, one HTML file (or Markdown and its PNGs) out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from seedwise.errors import UsageError
from seedwise.report.attribution import attribution_figure
from seedwise.report.data import ReportData, gather
from seedwise.report.plots import (
    curve_figure,
    grid_figure,
    improvement_figure,
    interval_figure,
    metric_figure,
    profile_figure,
    ranking_figure,
    task_ranking_figure,
)
from seedwise.report.render_html import render_html
from seedwise.report.render_markdown import render_markdown
from seedwise.stats.goal import Goal
from seedwise.store import Study

__all__ = ["REPORT_SUFFIXES", "draw_figures", "report_format", "write_report"]

#: The report's format by the output's suffix.
REPORT_SUFFIXES = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def report_format(path: str | os.PathLike[str]) -> str:
    """``"html"`` or ``"markdown"``, from the path's suffix.

    Args:
        path: Where the report goes.

    Returns:
        The format's name.

    Raises:
        UsageError: Any other suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise UsageError(
            f"Unknown report format. Received: output={str(path)!r}; expected a path ending in "
            f"{', '.join(REPORT_SUFFIXES)}"
        )
    return REPORT_SUFFIXES[suffix]


def draw_figures(data: ReportData) -> dict[str, bytes]:
    """Every figure of the report, as PNG bytes by key.

    Args:
        data: What the report shows.

    Returns:
        ``metric-1``, ... (one per metric with a value), ``ranking-1``, ...
        (one per ranked metric, by the metric's number), ``grid-1``, ... (the
        heat map of a ranked metric of a two-key sweep), then ``curve-1``,
        ... (one per logged metric), and for each metric across tasks
        ``tasks-intervals-N``, ``tasks-profiles-N``, ``tasks-improvement-N``
        and ``tasks-ranking-N``.
    """
    figures = {}
    for index, metric in enumerate(data.metrics, start=1):
        if any(summary.n for summary in metric.summaries):
            figures[f"metric-{index}"] = metric_figure(metric, data)
        if metric.ranking is not None:
            figures[f"ranking-{index}"] = ranking_figure(metric)
        if data.sweep is not None and data.heat_map(metric):
            figures[f"grid-{index}"] = grid_figure(metric, data.sweep)
    for index, (name, found) in enumerate(zip(data.logged, data.curve_results, strict=True), 1):
        figures[f"curve-{index}"] = curve_figure(name, found)
    for index, result in enumerate(data.attributions, start=1):
        figures[f"attribution-{index}"] = attribution_figure(result)
    for index, across in enumerate(data.across_tasks, start=1):
        figures[f"tasks-intervals-{index}"] = interval_figure(across)
        figures[f"tasks-profiles-{index}"] = profile_figure(across)
        if across.improvements:
            figures[f"tasks-improvement-{index}"] = improvement_figure(across)
        if across.ranking is not None and across.ranking.diagram is not None:
            figures[f"tasks-ranking-{index}"] = task_ranking_figure(across)
    return figures


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(content)
    os.replace(partial, path)


def write_report(
    studies: Sequence[Study],
    path: str | os.PathLike[str],
    *,
    metrics: Sequence[str] | None = None,
    goal: Goal | None = None,
    seed: int = 0,
    n_resamples: int = 10_000,
    value_range: tuple[float, float] | None = None,
    latex: str | os.PathLike[str] | None = None,
) -> Path:
    """Write a report of ``studies``: HTML (one self-contained file) or Markdown and PNGs.

    For each metric: per-seed values over boxes, lines joining the runs of
    one seed, the mean and median with their intervals, the summary table
    and the comparison of ``seedwise compare`` (the same numbers, the same
    defaults); then learning curves of the logged steps, failed runs and
    their reasons, kept ``seedwise check`` verdicts, and each study's
    definition and environment with their differences highlighted.

    A ``.md`` report puts its figures in a folder beside it,
    ``NAME_files/`` (replacing the PNGs there).

    Args:
        studies: One or more studies of one store.
        path: The output; ``.html``/``.htm`` or ``.md``/``.markdown``.
        metrics: The metrics to report; None for all.
        goal: ``"min"`` when lower is better, ``"max"`` when higher is; None
            infers each metric's goal from its name (accuracy: higher; loss:
            lower; a name that says neither: lower, and the report says so).
        seed: The seed of the bootstraps and permutation tests.
        n_resamples: Resamples of each bootstrap and permutation test.
        value_range: ``(low, high)``, the values every reported metric can
            take (``seedwise.summarize``); None: what the values make plain.
        latex: Also write the "Across tasks" tables as LaTeX to this
            ``.tex`` file (as ``seedwise aggregate --latex``); None: no LaTeX.

    Returns:
        The report's path.

    Raises:
        UsageError: A bad suffix, goal or metric, or no study.
        StoreError: A study that is not in its store.

    Example:
        >>> with seedwise.open_store() as store:  # doctest: +SKIP
        ...     seedwise.write_report([store.study("a"), store.study("b")], "report.html")
    """
    output = Path(path)
    kind = report_format(output)
    data = gather(
        studies,
        metrics=metrics,
        goal=goal,
        seed=seed,
        n_resamples=n_resamples,
        value_range=value_range,
    )
    if latex is not None:
        _write_latex(data, Path(latex))
    figures = draw_figures(data)
    output.parent.mkdir(parents=True, exist_ok=True)
    if kind == "html":
        _write_atomically(output, render_html(data, figures).encode("utf-8"))
        return output
    folder = output.with_name(f"{output.stem}_files")
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    relative = {}
    for key, png in figures.items():
        _write_atomically(folder / f"{key}.png", png)
        relative[key] = f"{folder.name}/{key}.png"
    _write_atomically(output, render_markdown(data, relative).encode("utf-8"))
    return output


def _write_latex(data: ReportData, path: Path) -> None:
    """The "Across tasks" tables of every metric as LaTeX (``--latex``)."""
    from seedwise._latex import latex_document, write_latex
    from seedwise.stats.aggregate_results import latex_tables

    if not data.across_tasks:
        raise UsageError(
            f"--latex writes the report's tables across tasks, and these studies have none. "
            f"Received: --latex {str(path)!r}; expected studies run on two or more tasks "
            "(seedwise run ... --task NAME)"
        )
    tables, lines = [], []
    for found in data.across_tasks:
        more, notes = latex_tables(found)
        tables += more
        lines += notes
    write_latex(path, latex_document(tables, lines, label="report"))
