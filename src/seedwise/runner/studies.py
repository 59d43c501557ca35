"""``seedwise.run``: repeat an experiment N times, in parallel, into the store.

Run ``i`` gets the seed ``derive_seed(study_seed, "repeat", i)``; the worker
calls ``seed_everything`` with it before the experiment. Settings that can
change the numbers (threads, ``PYTHONHASHSEED``, deterministic ops, the Keras
backend) are fixed per study and applied identically to every worker, so a
run's result depends neither on the number of workers nor on the order.

``seedwise.run`` takes flat keywords and builds two objects once: what the
study is (:class:`~seedwise.runner.spec.StudySpec`) and how to run it
(:class:`~seedwise.runner.options.RunOptions`). The command line builds the
same two and calls :func:`run_study` (a study) or :func:`rerun` (one repeat
again, ``--only-repeat`` and ``seedwise rerun``) with them.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seedwise.errors import (
    IdenticalRunsWarning,
    SeedwiseWarning,
    UntrustedExperimentError,
    UsageError,
)
from seedwise.experiment.checkpoint import CHECKPOINT_FOLDER, DEFAULT_KEEP
from seedwise.experiment.loading import loading_reference
from seedwise.experiment.reference import ByValueRef, named_as_stored
from seedwise.experiment.resolve import resolve_experiment
from seedwise.experiment.trust import stored_experiment_trusted
from seedwise.records import Difference, RunRecord, first_difference
from seedwise.runner.batched import identical_lanes
from seedwise.runner.executor import Executor, ExecutorFactory
from seedwise.runner.folders import run_folder, store_tree, worker_log_dir
from seedwise.runner.loop import StopRequest, TaskList, drive
from seedwise.runner.options import LocalExecutorFactory, RunOptions, store_file
from seedwise.runner.spec import StudySpec, begin_study, prepare_study, refuse_imported
from seedwise.runner.study_loop import StudyRun, make_task, run_repeats
from seedwise.runner.until_ci import UntilInterval
from seedwise.seeding import Deterministic
from seedwise.store import Store, Study, StudyRecord, open_store, open_study

__all__ = ["RepeatCheck", "refuse_inside_loading", "rerun", "run", "run_study"]


@dataclass(frozen=True)
class RepeatCheck:
    """One repeat run again, the stored run, and the first difference between them.

    Attributes:
        record: The new run.
        stored: The stored finished run it was compared with, or None when
            the repeat had none (the new run was then stored).
        difference: Where the two first differ (status, a logged step, a
            fingerprint, a returned metric), or None when they agree bit for bit.
    """

    record: RunRecord
    stored: RunRecord | None
    difference: Difference | None

    @property
    def identical(self) -> bool | None:
        """True when bit-identical to the stored run, None when there was none to compare."""
        return None if self.stored is None else self.difference is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        compared = None
        if self.stored is not None:
            compared = {
                "metrics": len(self.stored.metrics),
                "steps": len(self.stored.steps),
                "fingerprints": len(self.stored.fingerprints),
            }
        return {
            "repeat": self.record.repeat,
            "seed": self.record.seed,
            "status": self.record.status.value,
            "metrics": self.record.metrics,
            "error": self.record.error,
            "stored_metrics": None if self.stored is None else self.stored.metrics,
            "compared": compared,
            "identical": self.identical,
            "difference": None if self.difference is None else self.difference.to_dict(),
        }


def rerun(
    study: StudySpec | str,
    repeat: int,
    options: RunOptions,
    *,
    trust_store: bool = False,
    experiment: str | None = None,
) -> RepeatCheck:
    """Run exactly one repeat of a study again, in a fresh local worker.

    When the repeat has a finished run in the store, the new run is compared
    with everything stored about it (status, returned metrics, every logged
    step, every fingerprint) bit for bit, and the store is left as it was;
    otherwise the new run is stored like any other. ``--only-repeat`` and
    ``seedwise rerun`` both come here.

    A study named by its name takes its experiment from the store, and a
    store is data: its experiment runs only when ``experiment`` names it,
    ``trust_store`` is True, or its code lies in the store's folder tree
    (:func:`~seedwise.experiment.trust.stored_experiment_trusted`).

    Args:
        study: The study's definition, or the name of a stored study (a
            unique prefix, or ``@last``), rebuilt from the store as it was run.
        repeat: The repeat to run again.
        options: Of these, ``store``, ``timeout`` and ``allow_code_change``.
        trust_store: Run the experiment a stored study names, wherever its code lies.
        experiment: The stored study's experiment, named (``path/to/file.py:fn``,
            ``package.module:fn``, a script): it runs, and must be the code
            the study names.

    Raises:
        UntrustedExperimentError: The stored study's experiment lies outside
            the store's folder tree, and neither ``trust_store`` nor
            ``experiment`` says to run it (nothing ran, nothing was written).
        UsageError: Another runner holds the repeat, the code changed, or
            ``experiment`` names other code than the study's.
        StoreError: No such stored study.
    """
    if isinstance(study, str):
        with open_store(options.store) as reader:
            stored_study = reader.study(study).record
        refuse_imported(stored_study, f"seedwise rerun of repeat {repeat}")
        spec = _stored_spec(
            stored_study, options.store, trust_store=trust_store, experiment=experiment
        )
    else:
        spec = study
    factory = LocalExecutorFactory(workers=1, timeout=options.timeout)
    with Store(options.store) as store:
        begin_study(store, spec, allow_code_change=options.allow_code_change)
        stored = store.run(spec.name, repeat)
        executor = factory.create(log_dir=worker_log_dir(options.store, spec.name))
        if stored is None or not stored.status.is_finished:
            records: list[RunRecord] = []
            outcome = run_repeats(
                store, spec, executor, [repeat], retry_failed=True, on_record=records.append
            )
            if not records:
                held = outcome.taken_over_line or f"repeat {repeat} is being run by another runner"
                raise UsageError(
                    f"In study {spec.name!r}, {held}. "
                    f"Received: --only-repeat {repeat}; expected a repeat no other runner holds"
                )
            return RepeatCheck(records[0], None, None)
    workdir = run_folder(options.store, spec.name) / "rerun" / f"{repeat:05d}"
    # A rerun reproduces the stored run from its start: an earlier rerun's checkpoints go.
    shutil.rmtree(workdir / CHECKPOINT_FOLDER, ignore_errors=True)
    source = TaskList([replace(make_task(spec, repeat, str(workdir)), purpose="rerun")])
    drive(executor, source)
    (record,) = source.records
    return RepeatCheck(record, stored, first_difference(stored, record))


def _stored_spec(
    record: StudyRecord, store: Path, *, trust_store: bool, experiment: str | None
) -> StudySpec:
    """A stored study's definition, its experiment the one named, or one the store may name.

    Raises:
        UntrustedExperimentError: Neither named nor trusted (nothing imported).
        UsageError: ``experiment`` names other code than the study's.
    """
    if experiment is not None:
        named = resolve_experiment(experiment)
        stored = record.experiment
        source = None if isinstance(named, ByValueRef) else named_as_stored(stored, named)
        if source is None:
            raise UsageError(
                f"The experiment named is not the one study {record.name!r} stores. Received: "
                f"--experiment {named.text!r}; expected the stored experiment, "
                f"{record.experiment!r}"
            )
        return StudySpec.from_record(record, source)
    tree = store_tree(store)
    if not stored_experiment_trusted(record.experiment, tree, trust_store=trust_store):
        raise UntrustedExperimentError(
            f"The experiment of study {record.name!r} comes from the store, not from this command "
            f"line, and its code is not in the store's folder {str(tree)!r}. "
            f"Received: experiment={record.experiment!r}; expected --trust-store to run the code "
            "the store names, or the experiment named with --experiment REF (in Python: "
            "rerun(..., trust_store=True) or experiment=REF)"
        )
    return StudySpec.from_record(record)


def refuse_inside_loading() -> None:
    """Refuse a study started by an experiment's module while a worker imports it.

    Raises:
        UsageError: The experiment's file starts a study at its top level.
    """
    loading = loading_reference()
    if loading is not None:
        raise UsageError(
            f"A study was started while {loading!r} was imported to load its experiment: the "
            "file starts a study at its top level. Put that call under "
            '`if __name__ == "__main__":` so that importing the file only defines the experiment'
        )


def _sweep(
    spec: StudySpec,
    options: RunOptions,
    executor: Executor,
    rule: UntilInterval | None,
    stop: StopRequest,
) -> StudyRun:
    """Begin (or resume) the study in the store and run its repeats on ``executor``."""
    on_record = options.on_record
    swept = False
    try:
        with Store(options.store) as opened:
            begin_study(opened, spec, allow_code_change=options.allow_code_change)
            previous = [
                r
                for r in opened.runs(spec.name)
                if r.status.is_finished and r.repeat < options.repeats
            ]
            if rule is not None:
                for record in previous:
                    rule.observe(record)
            if options.on_start is not None:
                options.on_start(previous)

            def observe(record: RunRecord) -> None:
                if rule is not None:
                    rule.observe(record)
                if on_record is not None:
                    on_record(record)

            swept = True
            outcome = run_repeats(
                opened,
                spec,
                executor,
                list(range(options.repeats)),
                finished={r.repeat for r in previous},
                retry_failed=options.retry_failed,
                max_failures=options.max_failures,
                on_record=observe,
                keep_claiming=_keep_claiming(rule, options.keep_claiming),
                keep_checkpoints=options.keep_checkpoints,
                stop=stop,
            )
            outcome.runs = [r for r in opened.runs(spec.name) if r.repeat < options.repeats]
    finally:
        if not swept:
            executor.shutdown()
    return outcome


def _keep_claiming(
    rule: UntilInterval | None, given: Callable[[], bool] | None
) -> Callable[[], bool] | None:
    """The question asked before each claim: ``until_ci``'s rule and the caller's, both."""
    asked = [ask for ask in (None if rule is None else rule.keep_claiming, given) if ask]
    if not asked:
        return None
    if len(asked) == 1:
        return asked[0]
    return lambda: all(ask() for ask in asked)


def run_study(spec: StudySpec, options: RunOptions) -> StudyRun:
    """Run (or resume) the study ``spec`` as ``options`` say, and say what happened.

    The executor is made first, so that a cluster that cannot be reached is
    refused before the store is touched. The study's stored runs are read
    twice: before, for what is already finished (the resume, the progress,
    ``until_ci``), and once at the end, for the result.

    Args:
        spec: What the study is.
        options: How to run it.

    Returns:
        The :class:`StudyRun`.

    Raises:
        UsageError: The stored study differs from ``spec``, or a bad executor.
        MissingMetricError: With ``until_ci``, a finished run did not return
            the metric (no run was started after it).
        SweepInterrupted: Ctrl-C or SIGTERM; finished runs are kept.
    """
    repeats = options.repeats
    rule = (
        None
        if options.until_ci is None
        else UntilInterval(options.until_ci, options.metric, repeats)
    )
    stop = StopRequest()
    # Installed before the executor starts: a signal while workers or a cluster start
    # stops the sweep at its first poll, with the line that says how to resume.
    with stop.installed():
        executor = options.executor_factory(spec).create(
            log_dir=worker_log_dir(options.store, spec.name)
        )
        outcome = _sweep(spec, options, executor, rule, stop)
    if (spec.settings.vectorize or 1) > 1:
        outcome.identical_lanes = identical_lanes(outcome.runs)
    if rule is not None:
        rule.refuse_missing_metric()
        outcome.metric = rule.metric
        outcome.decision = rule.final(
            [value for r in outcome.runs if (value := rule.value_of(r)) is not None]
        )
    return outcome


def run(
    fn_or_ref: str | Callable[..., Any],
    *,
    repeats: int = 30,
    seed: int = 0,
    config: Mapping[str, Any] | None = None,
    workers: int | None = None,
    store: str | os.PathLike[str] | None = None,
    name: str | None = None,
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
    until_ci: float | None = None,
    metric: str | None = None,
    argv: Sequence[str] = (),
    metric_patterns: Sequence[str | tuple[str, str]] = (),
    vectorize: int | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
    keep_checkpoints: int = DEFAULT_KEEP,
    task: str | None = None,
) -> Study:
    """Run an experiment ``repeats`` times with derived seeds, in parallel, into the store.

    Re-running the same call resumes: finished repeats are skipped, failed ones
    rerun only with ``retry_failed``, a larger ``repeats`` adds runs.

    Args:
        fn_or_ref: The experiment: a function (``fn(ctx)``, ``fn(epochs=100)``
            with config keys as parameters, or ``fn()``; defined in a module,
            a script or a notebook), or a reference ``"path/to/file.py:fn"``,
            ``"package.module:fn"``, or a script ``"path/to/train.py"``.
        repeats: How many runs (repeats ``0 .. repeats - 1``); with
            ``until_ci``, the most runs.
        seed: The study's root seed.
        config: The config every run receives as ``ctx.config``.
        workers: Worker processes; default one per core, and more while the
            throughput still rises (docs/running.md). Workers stay warm
            for the next call that can use them until ``seedwise.shutdown()``.
        store: The store file; default ``$SEEDWISE_STORE`` or ``.seedwise/seedwise.db``.
        name: The study's name; default the experiment's name and a hash of
            config, seed and settings.
        threads: Threads per run (BLAS, OpenMP, TensorFlow, torch, XLA).
        timeout: Seconds a run may take before its worker is killed.
        deterministic: Deterministic ops in every run: True, False, or "warn"
            (torch warns instead of raising; each run records the ops without
            a deterministic kernel that ran).
        frameworks: Seed only these frameworks (default: every installed one;
            an empty tuple seeds nothing, for showing what unseeded runs do).
        retry_failed: Rerun repeats whose stored run failed, crashed or timed out;
            a run that wrote checkpoints (``ctx.checkpoint``) resumes from its last.
        allow_code_change: Continue a study whose experiment source changed.
        max_failures: Stop the sweep once this many runs have not finished.
        fresh_process_per_run: Run every repeat in a new worker process (slower:
            frameworks are imported again each time) instead of warm workers.
        executor: Where runs execute: ``"local"`` (worker processes on this
            machine), ``"dask"`` (a local Dask cluster of ``workers``
            processes, or the cluster of ``scheduler``), or a factory such as
            ``seedwise.runner.dask.DaskExecutorFactory(client=...)``. The
            store stays in this process; results do not depend on it.
        scheduler: With ``executor="dask"``, the address of a running
            scheduler (``tcp://HOST:PORT``); default ``$SEEDWISE_DASK_SCHEDULER``,
            else a local cluster.
        until_ci: Stop adding runs once the 95% confidence sequence of
            ``metric`` (``seedwise.stats.sequential``) has at most this
            half-width (after 10 runs at least).
        metric: The metric ``until_ci`` follows; default the first one returned.
        argv: A script's arguments (its ``sys.argv[1:]``).
        metric_patterns: ``"NAME=REGEX"`` (or ``(name, regex)``): read metric
            ``NAME`` from what each run prints, the regex's first group of
            its last matching line.
        vectorize: Train this many repeats per call of a keyed experiment,
            ``def train(key, config)``, under ``jax.jit(jax.vmap(...))``;
            each repeat is still stored as its own run, with its own seed
            and key (docs/vectorized.md). Part of the study's identity.
            Default workers: one per batch, at most the number of cores.
        on_record: Called in this process with each run's record once it is stored.
        keep_checkpoints: The newest checkpoints each run keeps (``ctx.checkpoint``).
        task: The task the study is run on (``"iris"``, ``"pong"``), stored
            with it so that ``seedwise aggregate`` groups results by
            algorithm and task (docs/tasks.md); part of the study's identity.
            The experiment learns what to run on from its config.

    Returns:
        The :class:`Study`, read back from the store.

    Raises:
        UsageError: Bad input (the store is not touched).
        MissingMetricError: With ``until_ci``, a finished run did not return
            ``metric``: the sweep stops as soon as one has finished (the runs
            that finished are kept).
        SweepInterrupted: Ctrl-C or SIGTERM; finished runs are kept.

    Example:
        >>> study = seedwise.run(train, repeats=30, config={"epochs": 100})  # doctest: +SKIP
        >>> study.summary("mse")  # doctest: +SKIP
    """
    refuse_inside_loading()
    options = RunOptions(
        repeats=repeats,
        store=store_file(store),
        workers=workers,
        timeout=timeout,
        executor=executor,
        scheduler=scheduler,
        fresh_process_per_run=fresh_process_per_run,
        retry_failed=retry_failed,
        keep_checkpoints=keep_checkpoints,
        allow_code_change=allow_code_change,
        max_failures=max_failures,
        until_ci=until_ci,
        metric=metric,
        on_record=on_record,
    )
    spec = prepare_study(
        fn_or_ref,
        seed=seed,
        config=config,
        threads=threads,
        deterministic=deterministic,
        frameworks=frameworks,
        name=name,
        argv=argv,
        metric_patterns=metric_patterns,
        vectorize=vectorize,
        task=task,
    )
    outcome = run_study(spec, options)

    if outcome.taken_over_line is not None:
        warnings.warn(outcome.taken_over_line, SeedwiseWarning, stacklevel=2)
    for caution in outcome.cautions:
        warnings.warn(caution, IdenticalRunsWarning, stacklevel=2)
    return open_study(outcome.store, outcome.spec.name)
