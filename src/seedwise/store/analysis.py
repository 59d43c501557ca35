"""``seedwise.summarize``, ``compare`` and ``rank``: the statistics, on studies as well as arrays.

The statistics (:mod:`seedwise.stats`) take arrays or one plain
:class:`~seedwise.stats.Sample` and never read a store. These functions
are the public face that also takes stored studies: each ``Study`` becomes
its sample of ``metric`` here, read once, and everything else goes to the
statistics unchanged. So ``seedwise.compare(study_a, study_b, metric="mse")``
is ``seedwise.stats.compare(study_a.sample("mse"), study_b.sample("mse"))``.
``rank`` also takes names: a sweep's name ranks its cells
(:func:`rank_sweep`), and any other name is a study in the store.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

from seedwise.errors import MissingMetricError, StoreError, UsageError
from seedwise.stats import compare as compare_samples
from seedwise.stats import rank as rank_samples
from seedwise.stats import summarize as summarize_sample
from seedwise.stats.curves import Curves, CurveSample
from seedwise.stats.curves import curves as curves_of_samples
from seedwise.store.core import Store, open_store
from seedwise.store.study import Study

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

    from seedwise.records import RunRecord
    from seedwise.stats import Comparison, Ranking, Sample, Summary
    from seedwise.store.records import SweepGrid

__all__ = [
    "compare",
    "curves",
    "first_metric",
    "rank",
    "rank_sweep",
    "summarize",
    "sweep_tasks",
    "tasks_of",
]


def first_metric(studies: Sequence[Study], runs: Sequence[list[RunRecord]]) -> str:
    """The first metric of the first study whose ``runs`` returned any (``"value"`` if none).

    A study whose every run failed says nothing of the metrics the others share.
    """
    for study, found in zip(studies, runs, strict=True):
        names = study.metric_names(found)
        if names:
            return names[0]
    return "value"


def _sample(value: Study | Sample | ArrayLike, metric: str | None) -> Sample | ArrayLike:
    if not isinstance(value, Study):
        return value
    if metric is None:
        raise UsageError(
            f"A study is summarised or compared on one metric. Received: study {value.name!r} "
            "without metric=; expected metric='NAME', one of "
            f"{', '.join(value.metric_names()) or 'its metrics (it has none yet)'}"
        )
    return value.sample(metric)


def summarize(
    values: Study | Sample | ArrayLike, *, metric: str | None = None, **options: Any
) -> Summary:
    """Summarise one metric of a study, a sample or an array of values.

    Equivalent to ``seedwise.stats.summarize(study.sample(metric), **options)``
    for a ``Study``, and to ``seedwise.stats.summarize(values, metric=metric,
    **options)`` otherwise; the options (``confidence``, ``n_resamples``,
    ``seed``, ``n_failed``, ``bootstrap_max_n``) are that function's.

    Raises:
        UsageError: A study without ``metric``, or bad options.
    """
    sample = _sample(values, metric)
    if isinstance(values, Study):
        return summarize_sample(sample, **options)
    return summarize_sample(sample, metric=metric, **options)


def compare(
    a: Study | Sample | ArrayLike,
    b: Study | Sample | ArrayLike,
    *more: Study | Sample | ArrayLike,
    metric: str | None = None,
    **options: Any,
) -> Comparison:
    """Compare two or more studies, samples or arrays of values on one metric.

    Equivalent to ``seedwise.stats.compare(*samples, metric=metric, **options)``
    with each ``Study`` replaced by ``study.sample(metric)``; the options
    (``goal``, ``paired``, ``seeds``, ``labels``, ``baseline``,
    ``correction``, ``alpha``, ``confidence``, ``n_resamples``, ``seed``) are
    that function's. Studies are paired by seed and labelled with their names.

    Example:
        >>> seedwise.compare(study_a, study_b, metric="mse", goal="min")  # doctest: +SKIP

    Raises:
        UsageError: A study without ``metric``, or bad options.
    """
    samples = [_sample(value, metric) for value in (a, b, *more)]
    return compare_samples(*samples, metric=metric, **options)


def rank(
    *values: Study | Sample | ArrayLike | str,
    metric: str | None = None,
    store: str | os.PathLike[str] | None = None,
    **options: Any,
) -> Ranking:
    """Rank k studies, samples or arrays run on the same seeds, or a sweep's cells, on one metric.

    Equivalent to ``seedwise.stats.rank(*samples, metric=metric, **options)``
    with each ``Study`` replaced by ``study.sample(metric)``; the options
    (``goal``, ``seeds``, ``labels``, ``alpha``, ``confidence``,
    ``n_resamples``, ``seed``) are that function's. A name (a str) is read
    from ``store`` (default: ``SEEDWISE_STORE`` or ``.seedwise/seedwise.db``):
    one sweep's name ranks every cell of the sweep (:func:`rank_sweep`);
    other names are studies (an exact name, a unique prefix or ``@last``).

    Example:
        >>> seedwise.rank(study_a, study_b, study_c, metric="accuracy")  # doctest: +SKIP
        >>> seedwise.rank("lr-opt", metric="accuracy")  # doctest: +SKIP

    Raises:
        UsageError: A study without ``metric``, or bad options.
        StoreError: A name that is neither a sweep nor a study.
    """
    if not any(isinstance(value, str) for value in values):
        samples = [_sample(value, metric) for value in values]
        return rank_samples(*samples, metric=metric, **options)
    with open_store(store) as opened:
        if len(values) == 1:
            return rank_sweep(opened, str(values[0]), _needed(metric, values[0]), **options)
        studies = [opened.study(value) if isinstance(value, str) else value for value in values]
        samples = [_sample(value, metric) for value in studies]
        return rank_samples(*samples, metric=metric, **options)


def _needed(metric: str | None, name: object) -> str:
    if metric is None:
        raise UsageError(
            f"A sweep is ranked on one metric. Received: sweep {name!r} without metric=; "
            "expected metric='NAME'"
        )
    return metric


def tasks_of(store: Store, names: list[str]) -> list[str | None]:
    """The task of each study in ``names`` (None where it has none), in their order."""
    return [store.study_record(name).task for name in names]


def _distinct(tasks: list[str | None]) -> list[str | None]:
    return list(dict.fromkeys(tasks))


def sweep_tasks(store: Store, name: str) -> list[str | None]:
    """The tasks the cells of sweep ``name`` belong to, each once, in the grid's order.

    Raises:
        StoreError: No such sweep.
    """
    return _distinct(tasks_of(store, list(store.sweep(name).studies)))


def _cells_of_task(store: Store, grid: SweepGrid, name: str, task: str | None) -> SweepGrid:
    """``grid`` cut to the cells of ``task``, without the keys that no longer vary.

    Cells of different tasks are not ranked against each other: which
    dataset is easier is not a choice between algorithms. With one task
    (or none) the grid is kept whole.

    Raises:
        UsageError: The sweep holds several tasks and ``task`` is None, or
            no cell is of ``task``.
    """
    tasks = tasks_of(store, list(grid.studies))
    found = _distinct(tasks)
    shown = ", ".join("(none)" if item is None else item for item in found)
    if task is None:
        if len(found) <= 1:
            return grid
        raise UsageError(
            f"sweep {name!r} holds {len(found)} tasks ({shown}); cells of different tasks are "
            f"not ranked against each other. Received: no task; expected task='NAME' to rank "
            f"the cells of one (seedwise rank {name} --task NAME), or seedwise aggregate "
            f"{name} --metric M across them"
        )
    if task not in found:
        raise UsageError(
            f"sweep {name!r} has no cell of task {task!r}. Received: task={task!r}; expected "
            f"one of {shown}"
        )
    cells = tuple(cell for cell, of in zip(grid.cells, tasks, strict=True) if of == task)
    varying = tuple(key for key in grid.keys if len({cell.labels[key] for cell in cells}) > 1)
    fixed = {key: cells[0].labels[key] for key in grid.keys if key not in varying}
    kept = tuple(
        dataclasses.replace(cell, labels={key: cell.labels[key] for key in varying})
        for cell in cells
    )
    missing = tuple(
        {key: value for key, value in combination.items() if key in varying}
        for combination in grid.missing
        if all(combination.get(key) == value for key, value in fixed.items())
    )
    return dataclasses.replace(
        grid,
        keys=varying,
        values={key: tuple(dict.fromkeys(cell.labels[key] for cell in kept)) for key in varying},
        cells=kept,
        missing=missing,
    )


def rank_sweep(
    store: Store,
    name: str,
    metric: str | None = None,
    *,
    task: str | None = None,
    **options: Any,
) -> Ranking:
    """Rank every cell of the sweep ``name`` on ``metric``: ``rank`` of its cells' samples.

    The cells come in the grid's order (:meth:`Store.sweep`), with their
    grid values, so the ranking carries each key's marginal effect
    (``Ranking.marginals``). A cell with no finished run of ``metric`` is
    left out, and so is a study named as a cell but not made from its
    config; each is named in the ranking's warnings, as is every cell of the
    grid that has no study. A sweep over several tasks (``--task-key``) is
    ranked one task at a time: ``task`` names it, and the task's key, which
    no longer varies, leaves the marginal effects.

    Args:
        store: The open store.
        name: The sweep's name (``SWEEP`` or ``SWEEP/``).
        metric: The metric; default the first metric of the first cell that has one.
        task: The task whose cells are ranked (:func:`sweep_tasks` lists
            them); needed where the sweep holds more than one.
        **options: :func:`seedwise.stats.rank`'s options.

    Raises:
        StoreError: No such sweep; the message lists the closest sweeps
            (and a study of that name is pointed to ``rank A B``).
        UsageError: Fewer than two cells with runs of ``metric``, several
            tasks and no ``task``, or bad options.
        MissingMetricError: No cell has a finished run of ``metric``.
    """
    try:
        grid = store.sweep(name)
    except StoreError as error:
        if not _is_study(store, name):
            raise StoreError(f"{error}, or two or more studies (A B [C ...])") from None
        raise UsageError(
            f"rank of one name ranks a sweep's cells; {name!r} is a study, not a sweep. "
            f"Received: {name!r}; expected a sweep's name (see seedwise ls), or two or more "
            "studies: seedwise rank A B [C ...]"
        ) from error
    grid = _cells_of_task(store, grid, name, task)
    studies = [Study(store, study) for study in grid.studies]
    runs = [study.runs for study in studies]
    if metric is None:
        metric = first_metric(studies, runs)
    samples: list[Sample] = []
    labels: list[dict[str, str]] = []
    left_out: list[str] = []
    first_error: MissingMetricError | None = None
    for cell, study, cell_runs in zip(grid.cells, studies, runs, strict=True):
        try:
            sample = study.sample(metric, cell_runs)
        except MissingMetricError as error:
            first_error = first_error or error
            left_out.append(study.name)
            continue
        if sample.values.size:
            samples.append(sample)
            labels.append(cell.labels)
        else:
            left_out.append(study.name)
    if not samples and first_error is not None:
        raise first_error
    if len(samples) < 2:
        raise UsageError(
            f"rank of sweep {grid.name!r} needs two or more cells with a finished run of "
            f"{metric!r}. Received: {len(samples)} of {len(studies)} cells; expected a sweep "
            "with runs in two or more cells"
        )
    result = rank_samples(*samples, metric=metric, grid=labels, **options)
    notes = _grid_notes(grid, left_out, metric)
    return dataclasses.replace(result, warnings=(*notes, *result.warnings))


def _is_study(store: Store, name: str) -> bool:
    try:
        store.resolve_name(name)
    except StoreError:
        return False
    return True


def _grid_notes(grid: SweepGrid, left_out: list[str], metric: str) -> list[str]:
    """What of the sweep's grid the ranking does not rest on, one line for each kind."""
    notes = []
    if grid.missing:
        shown = "; ".join(",".join(f"{k}={v}" for k, v in cell.items()) for cell in grid.missing)
        notes.append(f"{len(grid.missing)} cell(s) of the grid have no study: {shown}")
    if left_out:
        notes.append(
            f"{len(left_out)} cell(s) with no finished run of {metric!r} left out: "
            + ", ".join(left_out)
        )
    if grid.unmatched:
        notes.append(
            f"{len(grid.unmatched)} study(ies) named as cells of {grid.name!r} but not made from "
            "their config left out: " + ", ".join(grid.unmatched)
        )
    return notes


def curves(
    *values: Study | CurveSample,
    metric: str,
    x: str = "step",
    **options: Any,
) -> Curves:
    """The learning curves of one metric of studies, aligned, with simultaneous bands.

    Equivalent to ``seedwise.stats.curves(*samples, **options)`` with each
    ``Study`` replaced by ``study.curve_sample(metric, x=x)``; the options
    (``points``, ``method``, ``goal``, ``level``, ``n_resamples``, ``seed``)
    are that function's. Later studies are compared with the first, paired by seed.

    Example:
        >>> seedwise.curves(study_a, study_b, metric="loss")  # doctest: +SKIP

    Raises:
        UsageError: No studies, a metric or x no run logged, or bad options.
    """
    samples = [
        value.curve_sample(metric, x=x) if isinstance(value, Study) else value for value in values
    ]
    return curves_of_samples(*samples, **options)
