"""``seedwise.sweep``: a grid of configurations, one study per cell, every cell on the same seeds.

Every cell is a study of its own, named ``SWEEP/KEY=V,KEY2=V2``, with the
sweep's seed: repeat ``i`` of every cell runs with the same seed, so any
two cells are compared pair by pair. The runs go through the one run loop
(:func:`~seedwise.runner.loop.drive`) on one set of warm workers, taken
seed by seed across the cells (every cell's repeat 0, then every cell's
repeat 1, ...), so that a sweep stopped part way has as many runs in every
cell, give or take one round. Each cell's repeats are claimed from the store
like a study's (:class:`~seedwise.runner.study_loop.StoreSource`): resuming,
several runners on one store, failures and ``timeout`` follow ``run``'s rules.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seedwise._closing import Closing
from seedwise.errors import SweepInterrupted, UsageError
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.executor import ExecutorFactory
from seedwise.runner.folders import worker_log_dir
from seedwise.runner.loop import StopRequest
from seedwise.runner.options import RunOptions, split_keywords
from seedwise.runner.spec import StudySpec, begin_study, default_study_name, prepare_study
from seedwise.runner.studies import refuse_inside_loading
from seedwise.runner.study_loop import StoreSource, StudyRun, drive_claims
from seedwise.runner.tasks import RunTask
from seedwise.seeding import Deterministic
from seedwise.store import Store, Study, open_store
from seedwise.store.names import (
    SWEEP_SEPARATOR,
    cell_name,
    check_study_name,
    check_task_name,
    value_text,
)

__all__ = [
    "MAX_CELLS",
    "SweepRun",
    "SweepStudies",
    "cell_name",
    "check_sweep_name",
    "grid_cells",
    "prepare_sweep",
    "run_sweep",
    "sweep",
]

#: The most cells one sweep may have.
MAX_CELLS = 10_000

# The longest sweep name: room is left for "/", a cell and the hash of a cut name.
_MAX_SWEEP_NAME = 60

# sweep()'s own keywords; the others are run()'s, split as run() splits them.
_SWEEP_KEYWORDS = ("fn_or_ref", "grid", "config", "name")


def check_sweep_name(name: object) -> str:
    """``name``, if it may name a sweep: a study's name of at most 60 characters, without ``/``.

    Raises:
        UsageError: Anything else, named in one line.
    """
    name = check_study_name(name)
    if SWEEP_SEPARATOR in name:
        raise UsageError(
            f"A sweep's name must not hold {SWEEP_SEPARATOR!r}, which ends it in its cells' "
            f"names. Received: name={name!r}; expected a name such as 'lr-grid'"
        )
    if len(name) > _MAX_SWEEP_NAME:
        raise UsageError(
            f"A sweep's name may have at most {_MAX_SWEEP_NAME} characters, so that its "
            f"cells' names can start with it. Received: name={name[:20]!r}... "
            f"({len(name)} characters); expected a shorter name"
        )
    return name


def grid_cells(
    grid: Mapping[str, Sequence[Any]], config: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every cell of ``grid``: one value of each key, in the grid's order (the last key fastest).

    Raises:
        UsageError: No key, a key with no values (or values not in a list),
            a key also in ``config``, or more than 10,000 cells.
    """
    if not isinstance(grid, Mapping) or not grid:
        raise UsageError(
            f"A sweep needs a grid of at least one key. Received: grid={grid!r}; expected "
            "--grid KEY=V1,V2 (in Python: grid={'lr': [0.01, 0.1]})"
        )
    for key, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise UsageError(
                f"Grid key {key!r} needs a list of one or more values. Received: {values!r}; "
                f"expected --grid {key}=V1,V2 (in Python: grid={{{key!r}: [V1, V2]}})"
            )
        if config is not None and key in config:
            raise UsageError(
                f"Key {key!r} is given both in the grid and in the config. Received: "
                f"--grid {key}=... and --set {key}=...; expected each key once"
            )
    cells = math.prod(len(values) for values in grid.values())
    if cells > MAX_CELLS:
        sizes = " x ".join(str(len(values)) for values in grid.values())
        raise UsageError(
            f"A sweep may have at most {MAX_CELLS:,} cells. Received: a grid of {sizes} = "
            f"{cells:,} cells; expected fewer keys or values"
        )
    keys = list(grid)
    return [dict(zip(keys, chosen, strict=True)) for chosen in itertools.product(*grid.values())]


def prepare_sweep(
    fn_or_ref: str | Callable[..., Any],
    grid: Mapping[str, Sequence[Any]],
    *,
    config: Mapping[str, Any] | None = None,
    name: str | None = None,
    task: str | None = None,
    task_key: str | None = None,
    **study: Any,
) -> tuple[str, list[StudySpec]]:
    """The sweep's name and the spec of every cell, checked (touches no store, runs no code).

    Args:
        fn_or_ref: The experiment, as ``seedwise.run`` takes it.
        grid: Each swept key and its values.
        config: The config every cell shares.
        name: The sweep's name; default the experiment's name, ``-sweep-``
            and a hash of grid, config, seed and settings.
        task: The task of every cell (``--task``), or None.
        task_key: The grid key whose value is each cell's task
            (``--task-key dataset``), or None.
        **study: The other keywords of
            :func:`~seedwise.runner.spec.prepare_study` (``seed``,
            ``threads``, ``frameworks``, ...), the same for every cell.

    Raises:
        UsageError: A bad grid (:func:`grid_cells`), name, task or setting,
            a task key that is not a grid key, both a task and a task key, or
            ``vectorize`` (a sweep claims one repeat of a cell at a time).
        ExperimentError: An experiment that cannot be called with a cell's config.
    """
    if study.get("vectorize") is not None:
        raise UsageError(
            f"A sweep runs each repeat alone. Received: vectorize={study['vectorize']!r}; "
            "expected no --vectorize (vectorise with seedwise run, one cell at a time)"
        )
    shared = dict(config or {})
    cells = grid_cells(grid, shared)
    tasks = _cell_tasks(grid, cells, task, task_key)
    if name is not None:
        check_sweep_name(name)
    if name is None:
        first = prepare_study(fn_or_ref, config={**shared, **cells[0]}, **study)
        whole: dict[str, Any] = {
            "config": shared,
            "grid": {key: list(values) for key, values in grid.items()},
        }
        # A task makes another sweep; a sweep without one keeps the name it had before.
        if task is not None:
            whole["task"] = task
        if task_key is not None:
            whole["task_key"] = task_key
        head, _, digest = default_study_name(
            first.source, whole, first.seed, first.settings
        ).rpartition("-")
        name = f"{head}-sweep-{digest}"
    sweep_name = name
    return sweep_name, [
        prepare_study(
            fn_or_ref,
            config={**shared, **cell},
            name=cell_name(sweep_name, cell),
            task=cell_task,
            **study,
        )
        for cell, cell_task in zip(cells, tasks, strict=True)
    ]


def _cell_tasks(
    grid: Mapping[str, Sequence[Any]],
    cells: list[dict[str, Any]],
    task: str | None,
    task_key: str | None,
) -> list[str | None]:
    """Each cell's task: ``task`` for all, or the cell's value of the grid key ``task_key``."""
    if task_key is None:
        return [check_task_name(task)] * len(cells)
    if task is not None:
        raise UsageError(
            f"A sweep's task is named once. Received: task={task!r} and "
            f"task_key={task_key!r}; expected --task NAME (every cell's task) or "
            "--task-key KEY (each cell's value of a grid key), not both"
        )
    if task_key not in grid:
        raise UsageError(
            f"The task key must be a key of the grid. Received: task_key={task_key!r}; "
            f"expected one of {', '.join(grid)}"
        )
    return [check_task_name(value_text(cell[task_key])) for cell in cells]


@dataclass
class SweepRun:
    """What one run of a sweep did: one :class:`StudyRun` per cell, in the grid's order.

    Attributes:
        name: The sweep's name (the cells' names start with it and ``/``).
        cells: What each cell's study did, its ``runs`` read after the sweep.
        stopped: ``"max-failures"``, ``"interrupted"`` or None.
    """

    name: str
    cells: list[StudyRun] = field(default_factory=list)
    stopped: str | None = None

    def interrupted(self, command: str | None = None) -> SweepInterrupted:
        """The error that says this sweep was interrupted and how to resume it."""
        stored = sum(cell.already_done + cell.counts[RunStatus.OK.value] for cell in self.cells)
        total = sum(cell.repeats for cell in self.cells)
        resume = f": {command}" if command else ""
        store = self.cells[0].store if self.cells else ""
        return SweepInterrupted(
            f"Interrupted: {stored} of {total} runs of sweep {self.name!r} "
            f"({len(self.cells)} cells) are stored in {store}; run the same command again "
            f"to resume{resume}",
            self,
        )


class SweepStudies(dict[str, Study], Closing):
    """Each cell's :class:`Study` by its name, in the grid's order, read through one open store.

    What :func:`sweep` returns. Every study borrows the one read-only store
    (as ``store.study(name)`` does), so a grid of any size holds one
    connection; :meth:`close`, or the end of a ``with`` block, closes it,
    and closing one study leaves it open for the others.

    Example:
        >>> with seedwise.sweep(train, grid={"lr": [0.01, 0.1]}) as studies:  # doctest: +SKIP
        ...     studies["train-sweep-1a2b3c4d/lr=0.1"].summary()
    """

    def __init__(self, store: Store, names: Sequence[str]) -> None:
        """The studies ``names`` of ``store``, which they share and :meth:`close` closes."""
        super().__init__((name, store.study(name)) for name in names)
        self.store = store

    def close(self) -> None:
        """Close the store every study reads through."""
        self.store.close()


class _Rounds:
    """Every cell's repeats, taken seed by seed: each cell's repeat 0, then repeat 1, ...

    A repeat another runner holds is passed over (it is that runner's), as
    ``run`` passes it over; the rounds after it go on.
    """

    def __init__(self, sources: list[StoreSource], repeats: int) -> None:
        self.sources = sources
        self.repeats = repeats
        self.by_study = {source.spec.name: source for source in sources}
        self.floor = 0  # every round below it is handled in every cell

    def _pending(self) -> Iterator[tuple[StoreSource, int]]:
        whole = True
        for repeat in range(self.floor, self.repeats):
            for source in self.sources:
                if repeat in source.handled:
                    continue
                whole = False
                if repeat not in source.in_flight:
                    yield source, repeat
            if whole:
                self.floor = repeat + 1

    def take(self, free: int) -> list[RunTask]:
        tasks: list[RunTask] = []
        pending = self._pending()
        while len(tasks) < free:
            chunk = list(itertools.islice(pending, free - len(tasks)))
            if not chunk:
                break
            wanted: dict[str, list[int]] = {}
            for source, repeat in chunk:
                wanted.setdefault(source.spec.name, []).append(repeat)
            for study, repeats in wanted.items():
                tasks += self.by_study[study].claim(repeats, len(repeats))
        return tasks

    def tick(self) -> None:
        for source in self.sources:
            source.tick()

    def accept(self, record: RunRecord) -> bool:
        return self.by_study[record.study].accept(record)


def run_sweep(specs: Sequence[StudySpec], options: RunOptions, name: str) -> SweepRun:
    """Run (or resume) every cell of a sweep on one set of warm workers, seed by seed.

    Every cell is begun in the store before any run starts, so that a cell
    that differs from its stored study is refused with nothing run.

    Args:
        specs: The cells (:func:`prepare_sweep`).
        options: How to run them; ``until_ci`` is not taken.
        name: The sweep's name.

    Raises:
        UsageError: A stored cell differs from its spec, ``until_ci``, or a bad executor.
        SweepInterrupted: Ctrl-C or SIGTERM; finished runs are kept, claims released.
    """
    if options.until_ci is not None:
        raise UsageError(
            f"A sweep runs a fixed number of repeats per cell. Received: "
            f"until_ci={options.until_ci!r}; expected repeats=N and no until_ci"
        )
    outcome = SweepRun(name=name)
    stop = StopRequest()
    with stop.installed():
        executor = options.executor_factory(specs[0]).create(
            log_dir=worker_log_dir(options.store, name)
        )
        with Store(options.store) as store:
            sources: list[StoreSource] = []
            previous: list[RunRecord] = []
            try:
                # The cells already stored first: only they can differ from their spec, and
                # one that does is refused before any new cell is written.
                stored = {study.name for study in store.list_studies()}
                for spec in sorted(specs, key=lambda spec: spec.name not in stored):
                    begin_study(store, spec, allow_code_change=options.allow_code_change)
                for spec in specs:
                    done = [
                        r
                        for r in store.runs(spec.name)
                        if r.status.is_finished and r.repeat < options.repeats
                    ]
                    previous += done
                    handled = {r.repeat for r in done}
                    cell = StudyRun(
                        spec=spec,
                        store=store.path,
                        repeats=options.repeats,
                        already_done=len(handled),
                    )
                    outcome.cells.append(cell)
                    sources.append(
                        StoreSource(
                            store,
                            cell,
                            list(range(options.repeats)),
                            handled,
                            retry_failed=options.retry_failed,
                            keep_claiming=None,
                        )
                    )
            except BaseException:
                executor.shutdown()
                raise
            if options.on_start is not None:
                options.on_start(previous)
            outcome.stopped = drive_claims(
                executor,
                _Rounds(sources, options.repeats),
                sources,
                lambda: outcome,
                on_record=options.on_record,
                max_failures=options.max_failures,
                stop=stop,
            )
            for source, cell in zip(sources, outcome.cells, strict=True):
                cell.stopped = outcome.stopped
                claims = store.claims(cell.study)
                cell.elsewhere = sorted(
                    r for r in source.repeats if r in claims and r not in source.handled
                )
                cell.runs = [r for r in store.runs(cell.study) if r.repeat < options.repeats]
    return outcome


def sweep(
    fn_or_ref: str | Callable[..., Any],
    grid: Mapping[str, Sequence[Any]],
    *,
    config: Mapping[str, Any] | None = None,
    repeats: int = 30,
    seed: int = 0,
    name: str | None = None,
    workers: int | None = None,
    store: str | os.PathLike[str] | None = None,
    threads: int = 1,
    timeout: float | None = None,
    deterministic: Deterministic = True,
    frameworks: tuple[str, ...] | None = None,
    retry_failed: bool = False,
    allow_code_change: bool = False,
    max_failures: int | None = None,
    fresh_process_per_run: bool = False,
    executor: str | ExecutorFactory = "local",
    scheduler: str | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
    task: str | None = None,
    task_key: str | None = None,
) -> SweepStudies:
    """Run ``fn_or_ref`` over every cell of ``grid``, ``repeats`` times each, on shared seeds.

    One study per cell, named ``NAME/KEY=V,KEY2=V2`` (cut, with a hash, past
    100 characters), each with the study seed ``seed``: repeat ``i`` of every
    cell runs with the same seed. The runs go seed by seed across the cells
    on one set of warm workers. Calling it again resumes, as ``seedwise.run``.

    Args:
        fn_or_ref: The experiment, as ``seedwise.run`` takes it.
        grid: Each swept config key and its values, e.g. ``{"lr": [0.01, 0.1]}``.
        config: The config every cell shares; no key of it may be in ``grid``.
        repeats: Runs per cell.
        seed: The seed of every cell's study.
        name: The sweep's name; default the experiment's name, ``-sweep-``
            and a hash of grid, config, seed and settings.
        workers, store, threads, timeout, deterministic, frameworks,
            retry_failed, allow_code_change, max_failures,
            fresh_process_per_run, executor, scheduler, on_record: As in
            ``seedwise.run``; ``max_failures`` counts over the whole sweep.
        task: The task of every cell, stored with each (docs/tasks.md).
        task_key: A grid key whose value is each cell's task, e.g.
            ``"dataset"``: ``seedwise aggregate`` then takes the algorithm
            from the other keys.

    Returns:
        Each cell's :class:`Study` by its name, in the grid's order, all
        read through one open store (:class:`SweepStudies`; close it, or use
        it in a ``with`` block).

    Raises:
        UsageError: Bad input: an empty value list, a key in both ``grid``
            and ``config``, more than 10,000 cells, a ``task_key`` not in
            ``grid`` (nothing is stored).

        SweepInterrupted: Ctrl-C or SIGTERM; finished runs are kept.

    Example:
        >>> studies = seedwise.sweep(train, grid={"lr": [0.01, 0.1]}, repeats=10)  # doctest: +SKIP
    """
    refuse_inside_loading()
    given = {key: value for key, value in locals().items() if key not in _SWEEP_KEYWORDS}
    study, options = split_keywords(given)
    sweep_name, specs = prepare_sweep(fn_or_ref, grid, config=config, name=name, **study)
    outcome = run_sweep(specs, options, sweep_name)
    reader = open_store(options.store)
    try:
        return SweepStudies(reader, [cell.study for cell in outcome.cells])
    except BaseException:
        reader.close()
        raise
