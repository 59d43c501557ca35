"""The sweep's progress bar: done / failed / total, ETA, and the running mean of a metric."""

from __future__ import annotations

import importlib
import math
import threading
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from seedwise._closing import Closing
from seedwise._user_text import visible
from seedwise.records import RunRecord
from seedwise.stats._intervals import t_interval

__all__ = ["SweepProgress", "final_mean", "running_mean"]


def running_mean(values: list[float]) -> str:
    """``mean [95% CI low, high] (n = k)`` by the t-interval, or just the mean below 2 values."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    mean = sum(finite) / len(finite)
    if len(finite) < 2:
        return f"{mean:.4g} (n = 1)"
    import numpy as np

    interval = t_interval(np.asarray(finite, dtype=np.float64), 0.95)
    if interval.low is None or interval.high is None:
        return f"{mean:.4g} (n = {len(finite)})"
    return f"{mean:.4g} [95% CI {interval.low:.4g}, {interval.high:.4g}] (n = {len(finite)})"


def final_mean(values: list[float], metric: str) -> str:
    """``mean [95% CI low, high] (n = k)`` with the interval ``seedwise summary`` quotes.

    The headline interval of the mean (``Summary.mean_ci``, whose coverage was
    measured), so the line a run ends with and the study's summary agree.
    """
    from seedwise.stats import summarize
    from seedwise.stats._format import format_interval

    summary = summarize(values, metric=metric)
    if summary.mean is None:
        return ""
    interval = summary.mean_ci
    if interval.low is None or interval.high is None:
        return f"{summary.mean:.4g} (n = {summary.n})"
    bounds = format_interval(interval.low, interval.high, interval.confidence)
    return f"{summary.mean:.4g} {bounds} (n = {summary.n})"


class SweepProgress(Closing):
    """A rich progress bar, shown only on a terminal.

    Args:
        console: Where to draw.
        total: The repeats the sweep covers.
        metric: The metric whose running mean is shown; None for the first one returned.
    """

    def __init__(self, console: Console, *, total: int, metric: str | None) -> None:
        self.metric = metric
        self.values: list[float] = []
        self.failed = 0
        self.enabled = console.is_terminal
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metric]}", markup=False),
            console=console,
            disable=not self.enabled,
            transient=False,
        )
        self._task = self._progress.add_task("runs", total=total, failed=0, metric="")
        self._importing: threading.Thread | None = None

    def _metric_text(self) -> str:
        # Off a terminal nothing is drawn: the interval is not computed either.
        if not self.enabled or self.metric is None or not self.values:
            return ""
        # The bar is drawn outside the console's hook: the name is made visible here.
        return f"{visible(self.metric)} {running_mean(self.values)}"

    def __enter__(self) -> SweepProgress:
        # The running mean's interval, and the summary printed after the bar, need SciPy:
        # imported while the workers start, not between a worker's first record and the
        # run it is handed next, nor after the last run.
        self._importing = threading.Thread(
            target=importlib.import_module, args=("scipy.stats",), name="seedwise-progress"
        )
        self._importing.start()
        self._progress.start()
        return self

    def close(self) -> None:
        """Take the bar off the terminal."""
        self._progress.stop()
        if self._importing is not None:
            self._importing.join()

    def start(self, finished: list[RunRecord]) -> None:
        """Show the runs that were finished before the sweep started."""
        for record in finished:
            self._observe(record)
        self._progress.update(self._task, completed=len(finished), metric=self._metric_text())

    def _observe(self, record: RunRecord) -> None:
        if self.metric is None and record.metrics:
            self.metric = next(iter(record.metrics))
        if self.metric is not None and self.metric in record.metrics:
            self.values.append(record.metrics[self.metric])

    def update(self, record: RunRecord) -> None:
        """Count one finished run, whatever its status."""
        fields: dict[str, Any] = {}
        if record.status.is_finished:
            self._observe(record)
            fields["metric"] = self._metric_text()
        else:
            self.failed += 1
            fields["failed"] = self.failed
        self._progress.update(self._task, advance=1, **fields)
