"""Stored studies as scores by (algorithm, task): the input of ``seedwise aggregate``.

A study's task is the one stored with it (``seedwise run --task NAME``,
``seedwise sweep --task-key KEY``, an import's ``--task-from``), or one
config key's value (``--task-key dataset``): of a sweep's cells
(:meth:`Store.sweep`, the key one of the grid's), or of studies named one
by one. The algorithm is what tells the studies of one task apart: the
experiment where they run different ones, and the config keys (a sweep's
grid keys) whose values differ between studies of the same task
(``model=svm``); where nothing does, the sweep's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.errors import MissingMetricError, StoreError, UsageError
from seedwise.store.names import value_text
from seedwise.store.study import Study

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.store.core import Store

__all__ = ["StoredScores", "scores_by_task", "scores_of_studies"]


@dataclass(frozen=True)
class StoredScores:
    """Each algorithm's finite scores of one metric on each task, read from the store.

    Attributes:
        metric: The metric.
        task_key: The config key that names the task; None where the
            studies' stored tasks do.
        scores: ``{algorithm: {task: runs}}``.
        studies: ``{(algorithm, task): study}``, the study behind each entry.
        notes: What was left out, one line for each.
    """

    metric: str
    task_key: str | None
    scores: dict[str, dict[str, NDArray[np.float64]]]
    studies: dict[tuple[str, str], str]
    notes: tuple[str, ...]


def _entries(
    store: Store, names: list[str], task_key: str | None
) -> tuple[str | None, list[tuple[str, dict[str, str], str | None]]]:
    """The sweep (or None), and each study's name, what tells it apart, and its task."""
    if len(names) == 1:
        try:
            grid = store.sweep(names[0])
        except StoreError:
            grid = None
        if grid is not None:
            if task_key is not None and task_key not in grid.keys:
                raise UsageError(
                    f"--task-key {task_key} is not a key of sweep {grid.name!r}. Received: "
                    f"{task_key!r}; expected one of {', '.join(grid.keys)}"
                )
            return grid.name, [
                (
                    cell.study,
                    dict(cell.labels),
                    cell.labels[task_key]
                    if task_key is not None
                    else store.study_record(cell.study).task,
                )
                for cell in grid.cells
            ]
    entries: list[tuple[str, dict[str, str], str | None]] = []
    for name in names:
        record = store.study(name).record
        config = {key: value_text(value) for key, value in record.config.items()}
        task = record.task if task_key is None else config.get(task_key)
        entries.append((record.name, {"experiment": record.experiment, **config}, task))
    return None, entries


def _labelled(
    sweep: str | None,
    entries: list[tuple[str, dict[str, str], str | None]],
    task_key: str | None,
    notes: list[str],
) -> list[tuple[str, str, str]]:
    """(study, algorithm, task) of each named study, or of a sweep's cells.

    The task is the study's stored one (``--task``), or with ``task_key`` its
    value of that config key. The algorithm is what tells the studies of one
    task apart: the experiment and the config keys whose values differ
    between studies of the same task (a key that only follows the task, as
    the task key or a data path does, is not the algorithm's).
    """
    lacking = [name for name, _, task in entries if task is None]
    how = (
        f"its config has no key {task_key!r}"
        if task_key is not None
        else "it was run without --task"
    )
    if lacking and len(lacking) == len(entries):
        fix = (
            f"studies whose config sets it (seedwise run ... --set {task_key}=NAME)"
            if task_key is not None
            else "studies run with --task NAME (or --task-key KEY: the task is that config key)"
        )
        shown = lacking[0] if len(lacking) == 1 else f"{lacking[0]} and {len(lacking) - 1} more"
        raise UsageError(
            f"study {lacking[0]!r} has no task: {how}. Received: {shown}"
            f"{'' if task_key is None else f'; --task-key {task_key}'}; expected {fix}"
        )
    if lacking:
        notes.append(
            f"no task: {', '.join(map(repr, lacking))} {'has' if len(lacking) == 1 else 'have'} "
            f"no task ({how}); left out"
        )
    kept = [(name, config, task) for name, config, task in entries if task is not None]
    keys = sorted(
        {key for _, config, _ in kept for key in config} - ({task_key} if task_key else set())
    )
    by_task: dict[str, list[dict[str, str]]] = {}
    for _, config, task in kept:
        by_task.setdefault(str(task), []).append(config)
    differ = [
        key
        for key in keys
        if any(len({config.get(key) for config in group}) > 1 for group in by_task.values())
    ]
    fallback = sweep or "all"
    return [
        (
            name,
            ",".join(f"{key}={config.get(key, '')}" for key in differ) or fallback,
            str(task),
        )
        for name, config, task in kept
    ]


def scores_by_task(
    store: Store, names: list[str], metric: str | None, task_key: str | None = None
) -> StoredScores:
    """The scores of ``metric`` by algorithm and task, from studies or one sweep.

    Args:
        store: The open store.
        names: Studies, or one sweep's name.
        metric: The metric; default the first study's first metric.
        task_key: The config key whose value is the task; None for the
            tasks stored with the studies (``--task``, ``--task-key`` of a sweep).

    Raises:
        UsageError: No study with a task (those of some are left out, with
            a note), two studies for one (algorithm, task), the key not a
            grid key of the sweep.
        StoreError: No such study or sweep.
        MissingMetricError: No study has a finished run of ``metric``.
    """
    notes: list[str] = []
    sweep, entries = _entries(store, names, task_key)
    return _scores(
        store, _labelled(sweep, entries, task_key, notes), names, metric, task_key, notes
    )


def scores_of_studies(studies: Sequence[Study], metric: str | None) -> StoredScores:
    """The scores of ``metric`` by algorithm and stored task, of studies already open.

    As :func:`scores_by_task` without a task key (the report's "Across
    tasks"): the algorithm is what differs between studies of one task.

    Raises:
        UsageError: No study with a task, two studies for one (algorithm, task).
        MissingMetricError: No study has a finished run of ``metric``.
    """
    notes: list[str] = []
    entries = [
        (
            study.name,
            {
                "experiment": study.record.experiment,
                **{key: value_text(value) for key, value in study.record.config.items()},
            },
            study.record.task,
        )
        for study in studies
    ]
    by_name = {study.name: study for study in studies}
    labelled = _labelled(None, entries, None, notes)
    return _scores(by_name, labelled, [study.name for study in studies], metric, None, notes)


def _scores(
    source: Store | Mapping[str, Study],
    labelled: list[tuple[str, str, str]],
    names: list[str],
    metric: str | None,
    task_key: str | None,
    notes: list[str],
) -> StoredScores:
    """Each (algorithm, task)'s finite scores of ``metric``, from ``source``'s studies."""
    studies: dict[tuple[str, str], str] = {}
    for name, algorithm, task in labelled:
        if (algorithm, task) in studies:
            raise UsageError(
                f"two studies for algorithm {algorithm!r} on task {task!r}: "
                f"{studies[algorithm, task]!r} and {name!r}. Received: both; expected one "
                "study for each (algorithm, task)"
            )
        studies[algorithm, task] = name
    scores: dict[str, dict[str, NDArray[np.float64]]] = {}
    first_error: MissingMetricError | None = None
    for (algorithm, task), name in studies.items():
        study = source[name] if isinstance(source, Mapping) else Study(source, name)
        if metric is None:
            found = study.metric_names()
            metric = found[0] if found else "value"
        try:
            sample = study.sample(metric)
        except MissingMetricError as error:
            first_error = first_error or error
            notes.append(f"{name}: no finished run of {metric}; left out")
            continue
        if not sample.values.size:
            notes.append(f"{name}: no finished run of {metric}; left out")
            continue
        scores.setdefault(algorithm, {})[task] = sample.values
    if not scores:
        if first_error is not None:
            raise first_error
        raise UsageError(
            f"no study has a finished run of {metric!r}. Received: {', '.join(names)}; "
            "expected studies with runs"
        )
    return StoredScores(metric or "value", task_key, scores, studies, tuple(notes))
