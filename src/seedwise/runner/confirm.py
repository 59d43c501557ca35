"""``seedwise.confirm``: a sweep's best cell, and the cells tied with it, rerun on fresh seeds.

The best cell of a sweep is chosen on the seeds that measured it, so its
mean and margin are biased in its favour (the winner's curse;
benchmarks/sim_winners_curse.py measures it). Confirming reruns the cells
that ``seedwise rank`` puts at the top (the best, every cell tied with it,
and the runner-up, so that the margin is measured again) on seeds that
played no part in the choice.

Each rerun cell is a study of its own, beside the sweep's:
``SWEEP:confirm/KEY=V,...`` (a sweep named ``SWEEP:confirm``, which ``ls``
lists as one), with the cell's experiment, config and settings and the
study seed ``derive_seed(SEED, "confirm")`` for every rerun cell, so the
rerun cells are paired by seed among themselves. Its repeat ``i`` runs with
``repeat_seed(derive_seed(SEED, "confirm"), i)``. Those seeds are checked
against every seed the sweep's cells ran with before anything runs; should
one coincide (about one sweep in four million at 30 x 30 runs, as two
unrelated 32-bit streams), the next stream, ``derive_seed(SEED, "confirm",
1)``, is taken, and so on. A confirmation is resumed like any sweep: the
same call runs only what is missing.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from seedwise.errors import UsageError
from seedwise.experiment.reference import same_experiment
from seedwise.experiment.resolve import resolve_experiment
from seedwise.records import RunRecord
from seedwise.runner.executor import ExecutorFactory
from seedwise.runner.options import RunOptions, store_file
from seedwise.runner.spec import StudySpec, run_seed
from seedwise.runner.studies import _stored_spec, refuse_inside_loading
from seedwise.runner.sweep import SweepRun, run_sweep
from seedwise.seeding.streams import derive_seed
from seedwise.stats import Ranking
from seedwise.stats.confirmation import Confirmation, ConfirmedCell, confirmation
from seedwise.stats.goal import Goal
from seedwise.store import Store, Study, open_store
from seedwise.store.analysis import rank_sweep
from seedwise.store.names import SWEEP_SEPARATOR, fit_study_name, sweep_of

__all__ = [
    "CONFIRM_MARK",
    "CONFIRM_STREAM",
    "chosen_cells",
    "confirm",
    "confirm_specs",
    "confirmation_name",
    "confirmation_seed",
    "confirmed_best",
    "prepare_confirmation",
    "run_confirmation",
]

#: The named stream, below the sweep's seed, that the fresh seeds come from.
CONFIRM_STREAM = "confirm"

#: What ends the name of the sweep that holds a sweep's confirmation runs.
CONFIRM_MARK = ":confirm"


def confirmation_name(cell: str) -> str:
    """``SWEEP:confirm/KEY=V,...``: the study that holds the cell ``cell`` rerun on fresh seeds."""
    sweep = sweep_of(cell)
    if sweep is None:
        return fit_study_name(f"{cell}{CONFIRM_MARK}")
    return fit_study_name(f"{sweep}{CONFIRM_MARK}{SWEEP_SEPARATOR}{cell[len(sweep) + 1 :]}")


def confirmation_seed(study_seed: int, used: set[int], repeats: int) -> int:
    """The study seed of the fresh runs: ``derive_seed(study_seed, "confirm")``, or the next.

    Args:
        study_seed: The sweep's study seed.
        used: Every seed the sweep's runs ran with.
        repeats: The fresh runs per cell.

    Returns:
        The first of ``derive_seed(study_seed, "confirm")``,
        ``derive_seed(study_seed, "confirm", 1)``, ... whose first
        ``repeats`` run seeds are none of ``used``.
    """
    for attempt in itertools.count():
        keys: tuple[str | int, ...] = (
            (CONFIRM_STREAM,) if attempt == 0 else (CONFIRM_STREAM, attempt)
        )
        seed = derive_seed(study_seed, *keys)
        if not any(run_seed(seed, repeat) in used for repeat in range(repeats)):
            return seed
    raise AssertionError("unreachable")  # pragma: no cover


def chosen_cells(ranking: Ranking) -> list[str]:
    """The cells a confirmation reruns: the best, every cell tied with it, and the runner-up."""
    chosen = list(ranking.tied_for_best)
    if len(ranking.cells) > 1 and ranking.cells[1].label not in chosen:
        chosen.append(ranking.cells[1].label)
    return chosen


def confirm_specs(
    store: Store, ranking: Ranking, specs: Mapping[str, StudySpec], repeats: int
) -> list[StudySpec]:
    """The studies that rerun the ranking's chosen cells on fresh seeds, one per cell.

    Args:
        store: The store the sweep is in.
        ranking: The ranking of the sweep's cells.
        specs: Each chosen cell's study, by its name.
        repeats: The fresh runs per cell.

    Raises:
        UsageError: The fresh seeds of a confirmation already stored meet
            the seeds the sweep ran with.
    """
    chosen = chosen_cells(ranking)
    used = {run.seed for cell in ranking.cells for run in store.runs(cell.label)}
    stored = {study.name for study in store.list_studies()}
    names = {cell: confirmation_name(cell) for cell in chosen}
    begun = [store.study_record(name).seed for name in names.values() if name in stored]
    if begun:
        seed = begun[0]
        clash = sorted(r for r in range(repeats) if run_seed(seed, r) in used)
        if clash:
            raise UsageError(
                f"Repeat {clash[0]} of the stored confirmation would rerun a seed the sweep "
                f"ran with. Received: --repeats {repeats}; expected at most {clash[0]}"
            )
    else:
        seed = confirmation_seed(specs[chosen[0]].seed, used, repeats)
    return [replace(specs[cell], seed=seed, name=names[cell]) for cell in chosen]


def run_confirmation(
    ranking: Ranking, specs: Mapping[str, StudySpec], options: RunOptions, *, seed: int = 0
) -> tuple[SweepRun, Confirmation]:
    """Rerun the ranking's chosen cells on fresh seeds and set the two estimates side by side.

    Args:
        ranking: The ranking of the sweep's cells (:func:`select`).
        specs: Each chosen cell's study, by its name.
        options: How to run the fresh runs; ``repeats`` is the fresh runs per cell.
        seed: The seed of the intervals' resamples.

    Raises:
        SweepInterrupted: Ctrl-C or SIGTERM; finished runs are kept.
    """
    with open_store(options.store) as reader:
        fresh = confirm_specs(reader, ranking, specs, options.repeats)
    best = ranking.cells[0].label
    sweep = sweep_of(fresh[0].name) or fresh[0].name
    outcome = run_sweep(fresh, options, sweep)
    design = (
        f"{options.repeats} fresh seeds per cell, study seed {fresh[0].seed} "
        f"(derive_seed({specs[best].seed}, {CONFIRM_STREAM!r}), none a seed of the selection)"
    )
    with open_store(options.store) as reader:
        samples = {
            cell: reader.study(spec.name).sample(
                ranking.metric, [r for r in reader.runs(spec.name) if r.repeat < options.repeats]
            )
            for cell, spec in zip(chosen_cells(ranking), fresh, strict=True)
        }
    return outcome, confirmation(ranking, samples, design=design, seed=seed)


def confirmed_best(store: Store, ranking: Ranking) -> ConfirmedCell | None:
    """The best of ``ranking`` on fresh seeds, where a confirmation of it is stored, else None."""
    best = ranking.cells[0].label
    name = confirmation_name(best)
    if name not in {study.name for study in store.list_studies()}:
        return None
    sample = store.study(name).sample(ranking.metric)
    if not sample.values.size:
        return None
    return confirmation(ranking, {best: sample}).cells[0]


def _cell_spec(
    store: Path,
    study: Study,
    experiment: str | Callable[..., Any] | None,
    trust_store: bool,
) -> StudySpec:
    """A cell's study as stored, its experiment the one named or one the store may run."""
    record = study.record
    if experiment is None or isinstance(experiment, str):
        return _stored_spec(record, store, trust_store=trust_store, experiment=experiment)
    source = resolve_experiment(experiment, config=record.config)
    if not same_experiment(record.experiment, source):
        raise UsageError(
            f"The experiment named is not the one study {record.name!r} stores. Received: "
            f"experiment={source.text!r}; expected the stored experiment, {record.experiment!r}"
        )
    return StudySpec.from_record(record, source)


def confirm(
    sweep: str | Mapping[str, Study],
    *,
    repeats: int = 10,
    metric: str | None = None,
    goal: Goal | None = None,
    experiment: str | Callable[..., Any] | None = None,
    trust_store: bool = False,
    store: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    timeout: float | None = None,
    retry_failed: bool = False,
    allow_code_change: bool = False,
    max_failures: int | None = None,
    executor: str | ExecutorFactory = "local",
    scheduler: str | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
    seed: int = 0,
) -> Confirmation:
    """Rerun a sweep's best cell, the cells tied with it and the runner-up on fresh seeds.

    The cells are ranked as ``seedwise rank SWEEP`` ranks them; the chosen ones
    are rerun ``repeats`` times each on seeds none of the sweep's runs had,
    each in a study ``SWEEP:confirm/KEY=V,...``; calling it again resumes.

    Args:
        sweep: The sweep's name, or the studies :func:`seedwise.sweep` returned.
        repeats: Fresh runs per rerun cell (default 10, as `seedwise confirm`).
        metric: The metric that ranks the cells (default the first returned).
        goal: ``"min"`` or ``"max"``; None infers it from the metric's name.
        experiment: The sweep's experiment (a function, or its reference's
            text); needed where the store may not name it (its code lies
            outside the store's folder) unless ``trust_store``.
        trust_store: Run the experiment the store names, wherever its code lies.
        store: The store; default the one the studies are in, or the default store.
        workers, timeout, retry_failed, allow_code_change, max_failures,
            executor, scheduler, on_record: As in ``seedwise.sweep``.
        seed: The seed of the intervals' resamples.

    Returns:
        The :class:`~seedwise.stats.confirmation.Confirmation`: each rerun
        cell's mean at selection and on fresh seeds, and the margin of the
        best over the runner-up, both ways.

    Raises:
        UsageError: No such sweep, an experiment other than the stored one.
        UntrustedExperimentError: The store names code outside its folder,
            and neither ``experiment`` nor ``trust_store`` says to run it.
        SweepInterrupted: Ctrl-C or SIGTERM; finished runs are kept.

    Example:
        >>> studies = seedwise.sweep(train, grid={"lr": [0.01, 0.1]}, repeats=10)  # doctest: +SKIP
        >>> print(seedwise.confirm(studies, repeats=10, experiment=train))  # doctest: +SKIP
    """
    refuse_inside_loading()
    if not isinstance(sweep, str) and store is None and sweep:
        store = next(iter(sweep.values())).store_path
    options = RunOptions(
        repeats=repeats,
        store=store_file(store),
        workers=workers,
        timeout=timeout,
        retry_failed=retry_failed,
        allow_code_change=allow_code_change,
        max_failures=max_failures,
        executor=executor,
        scheduler=scheduler,
        on_record=on_record,
    )
    if isinstance(sweep, str):
        name = sweep
    else:
        first = next(iter(sweep), "")
        found = sweep_of(first)
        if found is None:
            raise UsageError(
                f"confirm takes a sweep, or the studies seedwise.sweep returned. Received: a "
                f"study {first!r}; expected cells named SWEEP/KEY=V,..."
            )
        name = found
    ranking, specs = prepare_confirmation(
        options.store,
        name,
        metric=metric,
        goal=goal,
        experiment=experiment,
        trust_store=trust_store,
        seed=seed,
    )
    return run_confirmation(ranking, specs, options, seed=seed)[1]


def prepare_confirmation(
    store: Path,
    sweep: str,
    *,
    metric: str | None,
    goal: Goal | None,
    experiment: str | Callable[..., Any] | None,
    trust_store: bool,
    seed: int = 0,
) -> tuple[Ranking, dict[str, StudySpec]]:
    """``seedwise rank SWEEP``, and the study of each cell it chooses to rerun.

    Args:
        store: The store's file.
        sweep: The sweep's name.
        metric, goal, experiment, trust_store, seed: As :func:`confirm` takes them.

    Raises:
        StoreError: No such sweep.
        UsageError: Fewer than two cells with runs, or an experiment other
            than the stored one.
        UntrustedExperimentError: The store may not name the experiment.
    """
    with open_store(store) as reader:
        ranking = rank_sweep(reader, sweep, metric, goal=goal, seed=seed)
        specs = {
            cell: _cell_spec(store, reader.study(cell), experiment, trust_store)
            for cell in chosen_cells(ranking)
        }
    return ranking, specs
