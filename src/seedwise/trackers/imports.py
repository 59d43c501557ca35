"""Runs made elsewhere brought into the store as read-only studies.

Every source (a CSV or Parquet file, a pandas frame, an MLflow experiment,
TensorBoard event files) reads its runs into :class:`ImportedRun` values,
as they come, and hands them to :func:`store_imported`, the one place that
checks them and writes them. Everything is checked before anything is
written, and then written in one transaction: a bad seed, a duplicate seed
within a study, a run with no seed or no study stores nothing.

A run's study is its study value, or ``STUDY@TASK`` when the source names
a task (one study per algorithm and task, each with its task in
``studies.task``). A study's config is what all its runs share (the study
and task values among them), so ``seedwise aggregate --task-key`` finds the
task there too. Importing the same source again updates its studies: runs
are matched by seed (``seedwise.store.imports``).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seedwise.errors import InvalidSeedError, UsageError
from seedwise.experiment.values import check_metric_name
from seedwise.records import RunRecord, RunStatus, StepRecord
from seedwise.seeding.streams import MAX_SEED, check_seed
from seedwise.store import Store, StudyRecord, default_store_path
from seedwise.store.names import check_study_name, check_task_name

if TYPE_CHECKING:
    import pandas as pd

    from seedwise.store.imports import ImportCounts

__all__ = [
    "TASK_MARK",
    "TIME_COLUMN",
    "ImportResult",
    "ImportedRun",
    "import_frame",
    "read_table",
    "store_imported",
    "wall_time_steps",
]

#: Between a study's value and its task in the name of an imported study (``svm@iris``).
TASK_MARK = "@"

#: The logged column of an imported run's wall time at each step, for ``curves --x time``.
TIME_COLUMN = "time"

_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class ImportedRun:
    """One run as a source read it, before it is checked.

    Attributes:
        where: How the source names the run, for messages (``row 3``,
            ``MLflow run 4f2a...``).
        study: The run's study value (what ``--study`` names).
        seed: The run's seed as the source holds it (an int, or text of one).
        metrics: The run's final metrics.
        steps: The run's logged steps (``curves`` reads them).
        task: The run's task, when the source names one.
        config: What the source knows of the run's configuration (MLflow's params).
        status: How the run ended.
        error: Why it failed, when it did.
        started: When it started, in Unix seconds, when known.
        finished: When it ended, when known.
        source_id: The source's own id of the run (MLflow's run id), kept
            with the study (``imported["runs"]``: seed -> id).
    """

    where: str
    study: object
    seed: object
    metrics: Mapping[str, object]
    steps: Sequence[StepRecord] = ()
    task: object = None
    config: Mapping[str, Any] = field(default_factory=dict)
    status: RunStatus = RunStatus.OK
    error: str | None = None
    started: float | None = None
    finished: float | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: each study with its runs added and replaced."""

    studies: tuple[ImportCounts, ...]

    @property
    def added(self) -> int:
        """Runs of seeds their studies did not hold."""
        return sum(study.added for study in self.studies)

    @property
    def replaced(self) -> int:
        """Runs written again over the run of the same seed (a re-import)."""
        return sum(study.replaced for study in self.studies)

    @property
    def names(self) -> list[str]:
        """The imported studies' names."""
        return [study.study for study in self.studies]

    def line(self) -> str:
        """One line for the terminal: how many studies and runs."""
        count = len(self.studies)
        return (
            f"imported {count} {'study' if count == 1 else 'studies'}: {self.added} runs added, "
            f"{self.replaced} replaced ({', '.join(self.names[:5])}"
            f"{', ...' if count > 5 else ''})"
        )


def store_imported(
    runs: Sequence[ImportedRun],
    *,
    source: Mapping[str, Any],
    experiment: str,
    store: str | os.PathLike[str] | None = None,
    seed_from: str = "seed",
    study_from: str = "study",
    task_from: str | None = None,
) -> ImportResult:
    """Check ``runs`` and write them as imported studies, all or nothing.

    Args:
        runs: The runs, as the source read them.
        source: Where they came from (``{"source": "csv", "path": ...}``),
            stored as each study's ``imported``; ``source["source"]`` is the kind.
        experiment: What the studies' experiment column says (``csv:results.csv``).
        store: The store; None for the default.
        seed_from: How the source names the seed, for messages (``--seed seed``).
        study_from: How it names the study.
        task_from: How it names the task, when it does.

    Returns:
        The studies written, with their counts.

    Raises:
        UsageError: No runs; a run with no study, no seed, a seed that is not
            an integer in range, a seed twice in one study, a missing task, or
            a metric that is not a number or has a reserved name (nothing is
            written).
        ImportedStudyError: A study of the same name was run by seedwise.
    """
    if not runs:
        raise UsageError(
            f"There are no runs to import. Received: {source.get('from', source)}; "
            "expected at least one run"
        )
    grouped: dict[str, list[tuple[ImportedRun, int]]] = {}
    tasks: dict[str, str | None] = {}
    for run in runs:
        study = _label(run.study, run, study_from, "study")
        task = (
            None if task_from is None else check_task_name(_label(run.task, run, task_from, "task"))
        )
        name = check_study_name(study if task is None else f"{study}{TASK_MARK}{task}")
        tasks[name] = task
        grouped.setdefault(name, []).append((run, _seed(run, seed_from)))
    created = time.time()
    studies = []
    for name, members in grouped.items():
        members.sort(key=lambda member: member[1])  # repeats in seed order, whatever the source's
        seen: dict[int, str] = {}
        for run, seed in members:
            if seed in seen:
                raise UsageError(
                    f"Seed {seed} appears twice in study {name!r} ({seen[seed]} and {run.where}). "
                    f"Received: {seed_from} = {seed} twice; expected each seed once per study "
                    "(a study is one configuration repeated over seeds)"
                )
            seen[seed] = run.where
        record = StudyRecord(
            name=name,
            experiment=experiment,
            config=_shared(run.config for run, _ in members),
            seed=0,
            settings={},
            code_hash="",
            created=created,
            task=tasks[name],
            imported={**source, "imported": created, **_source_ids(members)},
        )
        studies.append((record, [_record(name, run, seed) for run, seed in members]))
    with Store(default_store_path() if store is None else store) as opened:
        return ImportResult(tuple(opened.import_studies(studies)))


def wall_time_steps(latest: Mapping[int, float], origin: float) -> list[StepRecord]:
    """The column ``time`` of an imported run: seconds from ``origin`` at each step.

    Args:
        latest: Each step's wall time (of its latest value), in seconds.
        origin: When the run started, in seconds.

    Returns:
        One step of ``time`` per step, in step order, as ``ctx.log(step,
        time=...)`` would have logged it.
    """
    return [StepRecord(step, TIME_COLUMN, latest[step] - origin) for step in sorted(latest)]


def _source_ids(members: Sequence[tuple[ImportedRun, int]]) -> dict[str, Any]:
    ids = {str(seed): run.source_id for run, seed in members if run.source_id is not None}
    return {"runs": ids} if ids else {}


def _label(value: object, run: ImportedRun, source: str, what: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        raise UsageError(
            f"A run has no {what}: {run.where}. Received: {source} empty; expected every "
            f"run to name its {what}"
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _seed(run: ImportedRun, source: str) -> int:
    value = run.seed
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        raise UsageError(
            f"A run has no seed: {run.where}. Received: {source} empty; expected every run "
            "to carry its seed (runs without one cannot be told apart or paired)"
        )
    text_integer = isinstance(value, str) and _INTEGER.fullmatch(value) is not None
    whole_float = (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, numbers.Integral))
        and float(value).is_integer()
    )
    if text_integer or whole_float:
        value = int(value)  # type: ignore[call-overload]
    try:
        return check_seed(value, name=source)
    except InvalidSeedError:
        raise InvalidSeedError(
            f"The seed of {run.where} is not an integer in [0, {MAX_SEED}]. Received: "
            f"{source} = {run.seed!r}; expected an integer such as 0 or 42"
        ) from None


def _record(study: str, run: ImportedRun, seed: int) -> RunRecord:
    metrics: dict[str, float] = {}
    for key, value in run.metrics.items():
        name = check_metric_name(str(key))
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)  # A column that also holds text reads as text.
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue  # A cell left empty: this run has no such metric.
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise UsageError(
                f"Metric {name!r} of {run.where} is not a number. Received: {name}={value!r}; "
                "expected a number (leave out the columns that are not metrics with --metric)"
            )
        metrics[name] = float(value)
    duration = None if run.started is None or run.finished is None else run.finished - run.started
    return RunRecord(
        study=study,
        repeat=0,
        seed=seed,
        status=run.status,
        metrics=metrics,
        error=run.error,
        started=run.started,
        finished=run.finished,
        duration=duration,
        steps=tuple(run.steps),
    )


def _shared(configs: Any) -> dict[str, Any]:
    """The items every one of ``configs`` has, with the same value."""
    shared: dict[str, Any] | None = None
    for config in configs:
        items = dict(config)
        shared = (
            items
            if shared is None
            else {k: v for k, v in shared.items() if k in items and items[k] == v}
        )
    return shared or {}


def import_frame(
    frame: pd.DataFrame,
    *,
    study: str,
    seed: str,
    task: str | None = None,
    metrics: Sequence[str] | None = None,
    store: str | os.PathLike[str] | None = None,
    source: Mapping[str, Any] | None = None,
) -> ImportResult:
    """Import a pandas frame of runs, one row per run, as read-only studies.

    Args:
        frame: One row per run.
        study: The column that names each row's study (its algorithm).
        seed: The column of each row's seed (integers).
        task: The column of each row's task (data set, environment), if any;
            a study is then one study value on one task, named ``STUDY@TASK``.
        metrics: The metric columns; None for every numeric column but the
            study, seed and task columns.
        store: The store; None for the default.
        source: Where the frame came from, stored with each study; None for
            ``{"source": "pandas"}``.

    Returns:
        What was written: each study, its runs added and replaced.

    Raises:
        UsageError: A column that is not in the frame, or any bad value
            :func:`store_imported` refuses (nothing is written).

    Example:
        >>> seedwise.import_frame(df, study="model", seed="seed", task="dataset")  # doctest: +SKIP
    """
    source = dict(source or {"source": "pandas", "from": "a pandas DataFrame"})
    named = {"--study": study, "--seed": seed}
    if task is not None:
        named["--task"] = task
    columns = [str(column) for column in frame.columns]
    for option, column in [*named.items(), *(("--metric", m) for m in metrics or ())]:
        if column not in columns:
            raise UsageError(
                f"{source.get('from')} has no column {column!r}. Received: {option} {column}; "
                f"expected one of {', '.join(map(repr, columns[:20]))}"
            )
    if metrics is None:
        import pandas as pd

        metrics = [
            str(column)
            for column in frame.columns
            if str(column) not in named.values()
            and pd.api.types.is_numeric_dtype(frame[column])
            and not pd.api.types.is_bool_dtype(frame[column])
        ]
    if not metrics:
        raise UsageError(
            f"{source.get('from')} has no metric column. Received: columns "
            f"{', '.join(map(repr, columns[:20]))}; expected a numeric column besides "
            "the study, seed and task, or --metric COLUMN"
        )
    kept = list(named.values())
    runs = []
    for position, row in enumerate(frame.to_dict("records")):
        values = {str(key): _plain(value) for key, value in row.items()}
        runs.append(
            ImportedRun(
                where=f"row {position + 1}",
                study=values[study],
                seed=values[seed],
                task=None if task is None else values[task],
                metrics={name: values[name] for name in metrics},
                config={key: values[key] for key in kept if key != seed},
            )
        )
    return store_imported(
        runs,
        source=source,
        experiment=f"{source['source']}:{source.get('path', 'DataFrame')}",
        store=store,
        seed_from=f"--seed {seed}",
        study_from=f"--study {study}",
        task_from=None if task is None else f"--task {task}",
    )


def _plain(value: object) -> object:
    """A frame's cell as plain Python (numpy scalars unwrapped), NaN and NA as None."""
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        with contextlib.suppress(TypeError, ValueError):
            value = item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in {"NAType", "NaTType"}:
        return None
    return value


def read_table(path: str | os.PathLike[str], kind: str) -> pd.DataFrame:
    """The runs of a CSV or Parquet file, one row per run.

    Raises:
        UsageError: The file is missing or cannot be read as ``kind``.
    """
    import pandas as pd

    try:
        if kind == "parquet":
            return pd.read_parquet(path)
        # Exact floats: pandas' default parser may differ from the text in the last digit.
        return pd.read_csv(path, float_precision="round_trip")
    except (OSError, ValueError, ImportError) as caught:
        first = str(caught).strip().splitlines()[0] if str(caught).strip() else type(caught)
        shown = os.fspath(path)
        raise UsageError(
            f"{shown!r} cannot be read as {kind}: {first}. Received: {shown!r}; "
            f"expected a readable {kind} file of one row per run"
        ) from None
