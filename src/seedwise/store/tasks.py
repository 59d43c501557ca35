"""Stored studies as scores by (algorithm, task): the input of ``seedwise aggregate``.

A task is one config key's value (``--task-key dataset``): of a sweep's
cells (:meth:`Store.sweep`, the key one of the grid's), or of studies
named one by one. The algorithm is the rest of the config that tells the
studies apart: the sweep's other grid keys, or, for studies named one by
one, the experiment where the studies run different ones, and the config
keys whose values differ between them (``model=svm``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedwise.errors import MissingMetricError, StoreError, UsageError
from seedwise.store.names import value_text
from seedwise.store.study import Study

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.store.core import Store

__all__ = ["StoredScores", "scores_by_task"]


@dataclass(frozen=True)
class StoredScores:
    """Each algorithm's finite scores of one metric on each task, read from the store.

    Attributes:
        metric: The metric.
        task_key: The config key that names the task.
        scores: ``{algorithm: {task: runs}}``.
        studies: ``{(algorithm, task): study}``, the study behind each entry.
        notes: What was left out, one line for each.
    """

    metric: str
    task_key: str
    scores: dict[str, dict[str, NDArray[np.float64]]]
    studies: dict[tuple[str, str], str]
    notes: tuple[str, ...]


def _labelled(store: Store, names: list[str], task_key: str) -> list[tuple[str, str, str]]:
    """(study, algorithm, task) of each named study, or of a sweep's cells."""
    if len(names) == 1:
        try:
            grid = store.sweep(names[0])
        except StoreError:
            grid = None
        if grid is not None:
            if task_key not in grid.keys:
                raise UsageError(
                    f"--task-key {task_key} is not a key of sweep {grid.name!r}. Received: "
                    f"{task_key!r}; expected one of {', '.join(grid.keys)}"
                )
            others = [key for key in grid.keys if key != task_key]
            return [
                (
                    cell.study,
                    ",".join(f"{key}={cell.labels[key]}" for key in others) or grid.name,
                    cell.labels[task_key],
                )
                for cell in grid.cells
            ]
    configs: dict[str, dict[str, Any]] = {}
    for name in names:
        study = store.study(name)
        record = study.record
        if task_key not in record.config:
            raise UsageError(
                f"study {study.name!r} has no task: its config has no key {task_key!r}. "
                f"Received: --task-key {task_key}; expected studies whose config sets it "
                f"(seedwise run ... --set {task_key}=NAME)"
            )
        configs[study.name] = {"experiment": record.experiment, **record.config}
    keys = sorted({key for config in configs.values() for key in config} - {task_key})
    differ = [
        key for key in keys if len({value_text(config.get(key)) for config in configs.values()}) > 1
    ]
    return [
        (
            name,
            ",".join(f"{key}={value_text(config.get(key))}" for key in differ) or "all",
            value_text(config[task_key]),
        )
        for name, config in configs.items()
    ]


def scores_by_task(
    store: Store, names: list[str], metric: str | None, task_key: str
) -> StoredScores:
    """The scores of ``metric`` by algorithm and task, from studies or one sweep.

    Args:
        store: The open store.
        names: Studies, or one sweep's name.
        metric: The metric; default the first study's first metric.
        task_key: The config key whose value is the task.

    Raises:
        UsageError: A study without the task key, two studies for one
            (algorithm, task), the key not a grid key of the sweep.
        StoreError: No such study or sweep.
        MissingMetricError: No study has a finished run of ``metric``.
    """
    labelled = _labelled(store, names, task_key)
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
    notes: list[str] = []
    first_error: MissingMetricError | None = None
    for (algorithm, task), name in studies.items():
        study = Study(store, name)
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
