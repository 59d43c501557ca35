"""A study read back from the store: its runs, metric arrays, tables and summaries."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from seedwise._closing import Closing
from seedwise._document import Block, Paragraph, Table, html_blocks, text_lines
from seedwise._html import notebook_block
from seedwise.errors import MissingMetricError, StoreError, UsageError
from seedwise.records import (
    CONFIG_COLUMN,
    PredictionRecord,
    RunRecord,
    RunStatus,
    StepRecord,
    metric_column,
)
from seedwise.stats import Sample, Summaries, infer_goal, summarize
from seedwise.stats.curve_metrics import curve_metric_values, parse_curve_metric
from seedwise.stats.curves import CurveSample
from seedwise.stats.example_comparison import ExampleSample
from seedwise.stats.summary_results import quick_table
from seedwise.store.records import StudyRecord

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

__all__ = ["Study", "StudyStore"]


class StudyStore(Protocol):
    """What a :class:`Study` reads through: an open :class:`seedwise.Store`."""

    @property
    def path(self) -> Path:
        """The store's file."""
        ...

    def study_record(self, name: str) -> StudyRecord:
        """The study's definition."""
        ...

    def runs(self, study: str) -> list[RunRecord]:
        """The study's runs, by repeat."""
        ...

    def steps(self, study: str, repeat: int) -> list[StepRecord]:
        """The per-step metrics of one run."""
        ...

    def step_columns(
        self, study: str, names: list[str]
    ) -> dict[tuple[int, str], tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """The logged steps and values of metrics ``names`` in every run, by (repeat, name)."""
        ...

    def logged_names(self, study: str) -> list[str]:
        """The metrics the study's runs logged step by step."""
        ...

    def environment(self, env_hash: str, *, run: str | None = None) -> dict[str, Any]:
        """The environment stored under ``env_hash`` (``run`` names the run it comes from)."""
        ...

    def predictions(self, study: str, name: str) -> dict[int, PredictionRecord]:
        """The per-example results of set ``name``, by repeat."""
        ...

    def prediction_names(self, study: str) -> list[str]:
        """The names of the sets of per-example results the study's runs recorded."""
        ...

    def close(self) -> None:
        """Close the store."""
        ...


class Study(Closing):
    """One study in a store, read through one open connection.

    Get one with ``store.study(name)``, on a store opened with
    ``open_store(path)`` (or ``Store(path)``): the study borrows that store,
    and closing the study leaves it open. ``open_study(path, name)`` is the
    same on a store opened read-only for the study alone, which the study
    closes on :meth:`close` (or at the end of a ``with`` block).
    The runs and the record are read again on each access, since a study may
    still be growing; environments, stored under their hash, are read once.
    :meth:`sample` hands one metric of the finished runs to the statistics
    (``seedwise.summarize``, ``seedwise.compare``), which never read a store.

    Example:
        >>> with seedwise.open_store(".seedwise/seedwise.db") as store:  # doctest: +SKIP
        ...     short, long = store.study("demo-100e"), store.study("demo-1000e")
        ...     seedwise.compare(short.sample("mse"), long.sample("mse"), goal="min")
    """

    def __init__(self, store: StudyStore, name: str, *, owns_store: bool = False) -> None:
        """A study of an open store, made by ``store.study(name)``; not built directly.

        Args:
            store: The open store to read through.
            name: The study's full name (not checked here: ``store.study`` resolves it).
            owns_store: Close ``store`` when the study is closed.
        """
        self.store_path = store.path
        self._store: StudyStore | None = store
        self._owns_store = owns_store
        self.name = name
        self._lock = threading.Lock()
        self._environments: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"Study({str(self.store_path)!r}, {self.name!r})"

    def __str__(self) -> str:
        record, runs = self.record, self.runs
        counts = ", ".join(f"{count} {status}" for status, count in self.counts(runs).items())
        lines = [
            f"study {self.name}: {record.experiment}, seed {record.seed}, "
            f"config {json.dumps(record.config, sort_keys=True, default=str)}",
            f"{len(runs)} runs: {counts}",
        ]
        return "\n".join([*lines, *text_lines([self._numbers(runs)])])

    def _repr_html_(self) -> str:
        """The study's definition, its runs by status and its metrics, as HTML for notebooks.

        The numbers are plain (no intervals, which take a bootstrap):
        ``study.summary()`` displays those.
        """
        record, runs = self.record, self.runs
        definition = Table(
            ("field", "value"),
            (
                ("experiment", record.experiment),
                ("seed", str(record.seed)),
                ("config", json.dumps(record.config, sort_keys=True, default=str)),
                ("settings", json.dumps(record.settings, sort_keys=True, default=str)),
                ("code (sha256)", record.code_hash[:12]),
                ("runs", ", ".join(f"{n} {status}" for status, n in self.counts(runs).items())),
            ),
        )
        blocks: list[Block] = [
            Paragraph(f"study {self.name}", "heading"),
            definition,
            self._numbers(runs),
            Paragraph("study.summary() gives intervals", "note"),
        ]
        return str(notebook_block(html_blocks(blocks)))

    def _numbers(self, runs: Sequence[RunRecord]) -> Table:
        """n, mean, std, median, min and max of each metric over the finite values."""
        import numpy as np

        finished = _finished(runs)
        values = {name: self.metrics(name, finished) for name in self.metric_names(finished)}
        return quick_table({name: list(x[np.isfinite(x)]) for name, x in values.items()})

    def close(self) -> None:
        """Close the store this study owns; a borrowed store stays open."""
        with self._lock:
            if self._owns_store and self._store is not None:
                self._store.close()
                self._store = None

    @property
    def store(self) -> StudyStore:
        """The open store the study reads through.

        Raises:
            StoreError: The study was closed together with the store it owned.
        """
        with self._lock:
            if self._store is None:
                raise StoreError(
                    f"The study was closed. Received: study={self.name!r}; expected a study "
                    "whose store is open (open it again with open_study or store.study)"
                )
            return self._store

    @property
    def record(self) -> StudyRecord:
        """The study's definition: experiment, config, seed, settings, code hash.

        Raises:
            StoreError: No such study in the store.
        """
        return self.store.study_record(self.name)

    @property
    def runs(self) -> list[RunRecord]:
        """Every stored run, by repeat (the latest attempt at each repeat).

        Raises:
            StoreError: No such study in the store.
        """
        return self.store.runs(self.name)

    def metric_names(self, runs: Sequence[RunRecord] | None = None) -> list[str]:
        """The metrics the runs returned, in the order the first run returned them.

        Args:
            runs: The runs to read, when the caller has them already; default
                the study's runs, read from the store.

        Returns:
            The metric names, each once.
        """
        names: dict[str, None] = {}
        for run in self.runs if runs is None else runs:
            names.update(dict.fromkeys(run.metrics))
        return list(names)

    def metrics(self, name: str, runs: Sequence[RunRecord] | None = None) -> NDArray[np.float64]:
        """The values of metric ``name`` over the finished (``ok``) runs, by repeat.

        Args:
            name: The metric.
            runs: The runs to read, when the caller has them already; default
                the study's runs, read from the store.

        Returns:
            One float64 per finished run, NaN where a run did not return ``name``.

        Raises:
            MissingMetricError: No finished run returned a metric of that name.
        """
        import numpy as np

        finished = _finished(self.runs if runs is None else runs)
        if finished and not any(name in run.metrics for run in finished):
            known = ", ".join(map(repr, self.metric_names(finished))) or "none"
            raise MissingMetricError(
                f"Study {self.name!r} has no metric of that name. Received: metric={name!r}; "
                f"expected one of: {known}"
            )
        return np.array([run.metrics.get(name, np.nan) for run in finished], dtype=np.float64)

    def counts(self, runs: Sequence[RunRecord] | None = None) -> dict[str, int]:
        """The number of stored runs in each status, every status present.

        Args:
            runs: The runs to count; default the study's runs, read from the store.

        Returns:
            ``{"ok": ..., "failed": ..., "crashed": ..., "timeout": ...}``.
        """
        return RunStatus.counts(run.status for run in (self.runs if runs is None else runs))

    def environments(self, runs: Sequence[RunRecord] | None = None) -> list[dict[str, Any]]:
        """The distinct environments the runs ran in, by hash.

        Args:
            runs: The runs; default the study's runs, read from the store.

        Returns:
            One environment dict per distinct ``env_hash`` (runs without one
            are skipped).

        Raises:
            StoreError: An environment is missing or does not decode.
        """
        runs = self.runs if runs is None else runs
        first = {}
        for run in reversed(runs):
            if run.env_hash is not None:
                first[run.env_hash] = f"study {self.name!r} repeat {run.repeat}"
        hashes = sorted(first)
        for env_hash in hashes:
            if env_hash not in self._environments:
                self._environments[env_hash] = self.store.environment(env_hash, run=first[env_hash])
        return [self._environments[env_hash] for env_hash in hashes]

    def sample(self, metric: str, runs: Sequence[RunRecord] | None = None) -> Sample:
        """One metric of the finished runs, with their seeds, failures and environments.

        This is what the statistics take: ``seedwise.summarize(study.sample("mse"))``,
        ``seedwise.compare(a.sample("mse"), b.sample("mse"))``.

        Args:
            metric: The metric.
            runs: The runs, when the caller has read them already; default
                the study's runs, read from the store once.

        Returns:
            The :class:`~seedwise.stats.Sample` of this study and metric.

        Raises:
            MissingMetricError: No finished run returned ``metric``.
        """
        runs = self.runs if runs is None else runs
        finished = _finished(runs)
        curve = parse_curve_metric(metric)
        notes: tuple[str, ...] = ()
        if curve is None:
            values = self.metrics(metric, finished)
        else:
            logged = self._logged(curve.metric, [curve.metric], finished)
            found = [logged.get((run.repeat, curve.metric)) for run in finished]
            computed = curve_metric_values(
                curve,
                [None if item is None else item[0] for item in found],
                [None if item is None else item[1] for item in found],
                goal=infer_goal(curve.metric).goal,
            )
            values, notes = computed.values, computed.notes
        return Sample(
            name=self.name,
            metric=metric,
            values=values,
            seeds=tuple(run.seed for run in finished),
            n_failed=len(runs) - len(finished),
            environments=tuple(self.environments(finished)),
            notes=notes,
            split=_one_split(finished),
        )

    def _logged(
        self, metric: str, names: list[str], finished: Sequence[RunRecord]
    ) -> dict[tuple[int, str], tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """The logged (steps, values) of ``names`` by (repeat, name), as float arrays.

        Raises:
            MissingMetricError: No finished run logged ``metric``.
        """
        columns = self.store.step_columns(self.name, names)
        repeats = {run.repeat for run in finished}
        if finished and not any((repeat, metric) in columns for repeat in repeats):
            known = ", ".join(map(repr, self.store.logged_names(self.name))) or "none"
            raise MissingMetricError(
                f"No finished run of study {self.name!r} logged that metric step by step. "
                f"Received: metric={metric!r}; expected one logged with ctx.log: {known}"
            )
        return {key: found for key, found in columns.items() if key[0] in repeats}

    def curve_sample(
        self, metric: str, *, x: str = "step", runs: Sequence[RunRecord] | None = None
    ) -> CurveSample:
        """The curve of ``metric`` logged by each finished run, for ``seedwise.stats.curves``.

        Args:
            metric: A metric logged with ``ctx.log``.
            x: ``"step"``, or another logged metric whose value at each step is
                the x (``samples``, ``epoch``, ``time`` as the run logged them).
            runs: The runs, when the caller has read them already.

        Returns:
            The :class:`~seedwise.stats.curves.CurveSample`; a run's points
            without a value of ``x`` at their step are left out.

        Raises:
            MissingMetricError: No finished run logged ``metric``, or ``x``.
        """
        import numpy as np

        runs = self.runs if runs is None else runs
        finished = _finished(runs)
        names = [metric] if x == "step" else [metric, x]
        logged = self._logged(metric, names, finished)
        if x != "step" and finished and not any(key[1] == x for key in logged):
            known = ", ".join(map(repr, self.store.logged_names(self.name)))
            raise MissingMetricError(
                f"No finished run of study {self.name!r} logged the x column. Received: "
                f"x={x!r}; expected 'step' or a metric logged with ctx.log: {known} (seedwise "
                f"does not time steps: log it, e.g. ctx.log(step, {x}=...))"
            )
        seeds, xs, ys = [], [], []
        without = 0
        for run in finished:
            found = logged.get((run.repeat, metric))
            if found is None:
                without += 1
                continue
            steps, values = found
            if x != "step":
                x_steps, x_values = logged.get((run.repeat, x), (np.empty(0), np.empty(0)))
                at = dict(zip(x_steps.tolist(), x_values.tolist(), strict=True))
                mapped = np.array([at.get(step, np.nan) for step in steps.tolist()])
                keep = np.isfinite(mapped)
                steps, values = mapped[keep], values[keep]
            seeds.append(run.seed)
            xs.append(steps)
            ys.append(values)
        return CurveSample(
            name=self.name,
            metric=metric,
            x=x,
            seeds=tuple(seeds),
            xs=tuple(xs),
            ys=tuple(ys),
            n_failed=len(runs) - len(finished),
            n_without=without,
        )

    def example_sample(
        self, name: str | None = None, runs: Sequence[RunRecord] | None = None
    ) -> ExampleSample:
        """The per-example results of each finished run, for ``compare_examples``.

        Args:
            name: The set (``ctx.record_predictions(..., name=...)``); None:
                the one set the runs recorded.
            runs: The runs, when the caller has read them already.

        Returns:
            The :class:`~seedwise.stats.example_comparison.ExampleSample`, on
            the example ids every finished run recorded, in the first run's order.

        Raises:
            MissingMetricError: No finished run recorded that set (or, with
                no name, the runs recorded none, or several).
        """
        import numpy as np

        runs = self.runs if runs is None else runs
        finished = _finished(runs)
        names = self.store.prediction_names(self.name)
        if name is None and len(names) == 1:
            name = names[0]
        if name is None or name not in names:
            known = ", ".join(map(repr, names)) or "none"
            raise MissingMetricError(
                f"Study {self.name!r} has no such per-example results. Received: "
                f"{'no name' if name is None else repr(name)}; expected one recorded with "
                f"ctx.record_predictions(ids, values, name=...): {known}"
            )
        stored = self.store.predictions(self.name, name)
        recorded = [(run.seed, stored[run.repeat]) for run in finished if run.repeat in stored]
        if not recorded:
            raise MissingMetricError(
                f"No finished run of study {self.name!r} recorded predictions {name!r}. "
                f"Received: {len(finished)} finished runs without them; expected runs that call "
                f"ctx.record_predictions(ids, values, name={name!r})"
            )
        every = set(recorded[0][1].ids).intersection(*(set(r.ids) for _, r in recorded[1:]))
        ids = tuple(example for example in recorded[0][1].ids if example in every)
        seen = set().union(*(set(r.ids) for _, r in recorded))
        rows = []
        for _, found in recorded:
            column = {
                example: value for example, value in zip(found.ids, found.values, strict=True)
            }
            rows.append([column[example] for example in ids])
        return ExampleSample(
            name=self.name,
            set_name=name,
            seeds=tuple(seed for seed, _ in recorded),
            ids=ids,
            values=np.array(rows, dtype=np.float64).reshape(len(rows), len(ids)),
            n_without=len(finished) - len(recorded),
            n_dropped=len(seen) - len(ids),
        )

    def to_records(self, runs: Sequence[RunRecord] | None = None) -> list[dict[str, Any]]:
        """One flat dict per run: repeat, seed, status, each metric, duration, worker, error.

        Each metric's column is :func:`seedwise.records.metric_column` of its
        name: the name itself, or ``metric.NAME`` for a name that a column of
        the row already has (``seed``, ``error``, ``config.lr``), which runs
        may not return but a store made elsewhere may hold.

        Args:
            runs: The runs; default the study's runs, read from the store.

        Returns:
            The rows, by repeat; a metric a run did not return is None.
        """
        runs = self.runs if runs is None else runs
        names = self.metric_names(runs)
        rows = []
        for run in runs:
            row: dict[str, Any] = {
                "repeat": run.repeat,
                "seed": run.seed,
                "status": run.status.value,
            }
            for name in names:
                row[metric_column(name)] = run.metrics.get(name)
            row.update({"duration": run.duration, "worker": run.worker, "error": run.error})
            rows.append(row)
        return rows

    def to_rows(self, config: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """:meth:`to_records` after ``study`` and one ``config.<key>`` column per config entry.

        Rows of several studies concatenate into one table.

        Args:
            config: The config to show; default the study's (the command
                line passes it with secrets masked).
        """
        shown = self.record.config if config is None else config
        columns = {f"{CONFIG_COLUMN}{key}": value for key, value in shown.items()}
        return [{"study": self.name, **columns, **row} for row in self.to_records()]

    def to_pandas(self) -> pd.DataFrame:
        """The runs as a DataFrame, one row per run (needs pandas).

        Returns:
            The columns of :meth:`to_records`, after ``study`` (the study's
            name) and one ``config.<key>`` column per config entry, so that
            frames of several studies concatenate into one table.

        Raises:
            UsageError: pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError:
            raise UsageError(
                "Study.to_pandas needs pandas, which is not installed. Received: pandas missing; "
                "expected `pip install pandas`"
            ) from None
        rows = self.to_rows()
        config = [f"{CONFIG_COLUMN}{key}" for key in self.record.config]
        columns = ["study", *config, "repeat", "seed", "status"]
        return pd.DataFrame.from_records(rows, columns=columns if not rows else None)

    def summary(
        self,
        metrics: str | Sequence[str] | None = None,
        *,
        seed: int = 0,
        value_range: tuple[float, float] | None = None,
        geometric: bool | None = None,
        any_shape: bool = False,
    ) -> Summaries:
        """Summaries of every metric (or the ones named) over the finished runs, read once.

        Equivalent to ``seedwise.summarize(study.sample(metric), seed=seed)``
        for each metric, shown as one table.

        Args:
            metrics: A metric, several, or None for every metric.
            seed: The seed of the bootstrap.
            value_range: ``(low, high)``, the values every metric summarised
                can take (``seedwise.summarize``); None: what the values make plain.
            geometric: Add the geometric mean: True for every metric with
                positive values, False never, None where positive values
                span 3 orders of magnitude (``seedwise.summarize``).
            any_shape: The interval of the mean that holds for any shape in
                the range (``seedwise.summarize``).

        Returns:
            The ``Summaries``, labelled with the study's name and its number
            of failed runs.

        Raises:
            MissingMetricError: No finished run returned one of ``metrics``.
        """
        runs = self.runs
        if metrics is None:
            names = self.metric_names(_finished(runs))
        else:
            names = [metrics] if isinstance(metrics, str) else list(metrics)
        return Summaries(
            {
                name: summarize(
                    self.sample(name, runs),
                    seed=seed,
                    value_range=value_range,
                    geometric=geometric,
                    any_shape=any_shape,
                )
                for name in names
            },
            study=self.name,
        )


def _finished(runs: Sequence[RunRecord]) -> list[RunRecord]:
    return [run for run in runs if run.status.is_finished]


def _one_split(finished: Sequence[RunRecord]) -> tuple[int, int] | None:
    """The sizes of the one ``ctx.split`` every finished run drew, when they all agree."""
    sizes = {run.splits for run in finished}
    if len(sizes) != 1:
        return None
    (found,) = sizes
    return found[0] if len(found) == 1 else None
