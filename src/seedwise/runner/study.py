"""A study read back from the store: its runs, metric arrays, tables and summaries."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.store import RunRecord, Store, StudyRecord, open_store

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from seedwise.stats import Summaries, Summary

__all__ = ["Study"]


class Study:
    """One study in a store. Every property reads the store afresh.

    Example:
        >>> study = seedwise.open_store(".seedwise/seedwise.db").study("sequence.train-1a2b3c4d")
        ... # doctest: +SKIP
        >>> study.metrics("mse").mean()  # doctest: +SKIP
    """

    def __init__(self, store_path: str | Path, name: str) -> None:
        self.store_path = Path(store_path)
        self.name = name

    def __repr__(self) -> str:
        return f"Study({str(self.store_path)!r}, {self.name!r})"

    def _open(self) -> Store:
        return open_store(self.store_path)

    @property
    def record(self) -> StudyRecord:
        """The study's definition: experiment, config, seed, settings, code hash."""
        with self._open() as store:
            return store.get_study(self.name)

    @property
    def runs(self) -> list[RunRecord]:
        """Every stored run, by repeat (the latest attempt at each repeat)."""
        with self._open() as store:
            return store.runs(self.name)

    def metric_names(self, runs: list[RunRecord] | None = None) -> list[str]:
        """The metrics the runs returned, in the order the first run returned them."""
        names: list[str] = []
        for run in self.runs if runs is None else runs:
            for name in run.metrics:
                if name not in names:
                    names.append(name)
        return names

    def metrics(self, name: str, runs: list[RunRecord] | None = None) -> np.ndarray:
        """The values of metric ``name`` over the finished (``ok``) runs, by repeat.

        Args:
            name: The metric.
            runs: The runs to read, when the caller has them already; default
                the study's runs, read from the store.

        Raises:
            UsageError: No finished run returned a metric of that name.
        """
        import numpy as np

        finished = [run for run in (self.runs if runs is None else runs) if run.status == "ok"]
        if finished and not any(name in run.metrics for run in finished):
            known = ", ".join(self.metric_names(finished)) or "none"
            raise UsageError(
                f"Study {self.name!r} has no metric of that name. Received: metric={name!r}; "
                f"expected one of: {known}"
            )
        return np.array([run.metrics.get(name, np.nan) for run in finished], dtype=np.float64)

    def counts(self, runs: list[RunRecord] | None = None) -> dict[str, int]:
        """The number of stored runs in each status."""
        counts = {"ok": 0, "failed": 0, "crashed": 0, "timeout": 0}
        for run in self.runs if runs is None else runs:
            counts[run.status] = counts.get(run.status, 0) + 1
        return counts

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per run: repeat, seed, status, each metric, duration, error."""
        runs = self.runs
        names = self.metric_names(runs)
        rows = []
        for run in runs:
            row: dict[str, Any] = {"repeat": run.repeat, "seed": run.seed, "status": run.status}
            for name in names:
                row[name] = run.metrics.get(name)
            row.update({"duration": run.duration, "worker": run.worker, "error": run.error})
            rows.append(row)
        return rows

    def to_pandas(self) -> pd.DataFrame:
        """The runs as a DataFrame, one row per run (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise UsageError(
                "Study.to_pandas needs pandas, which is not installed. Received: pandas missing; "
                "expected `pip install pandas`"
            ) from None
        return pd.DataFrame.from_records(self.to_records())

    def summary(self, metric: str | None = None, *, seed: int = 0) -> Summary | Summaries:
        """Summaries of every metric (or one) over the finished runs; see seedwise.summarize."""
        from seedwise.stats import summarize

        runs = self.runs
        counts = self.counts(runs)
        failed = counts["failed"] + counts["crashed"] + counts["timeout"]
        names = [metric] if metric is not None else self.metric_names(runs)
        values = {name: self.metrics(name, runs) for name in names}
        if metric is not None:
            return summarize(values, metric=metric, seed=seed, n_failed=failed)
        return summarize(values, seed=seed, n_failed=failed)
