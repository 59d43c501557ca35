"""``seedwise.run``: repeat an experiment N times, in parallel, into the store.

Run ``i`` gets the seed ``derive_seed(study_seed, "repeat", i)``; the worker
calls ``seed_everything`` with it before the experiment. Settings that can
change the numbers (threads, ``PYTHONHASHSEED``, deterministic ops, the Keras
backend) are fixed per study and applied identically to every worker, so a
run's result depends neither on the number of workers nor on the order.

The command line's ``seedwise run`` calls :func:`run_study`, the same
function ``seedwise.run`` calls, and prints what it returns.
"""

from __future__ import annotations

import math
import os
import struct
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.errors import MissingMetricError, SeedwiseWarning, UsageError
from seedwise.experiment.loading import loading_reference
from seedwise.records import Difference, RunRecord, first_difference
from seedwise.runner.executor import ExecutorFactory
from seedwise.runner.local import LocalExecutor
from seedwise.runner.loop import TaskList, drive
from seedwise.runner.spec import (
    MAX_REPEATS,
    StudySpec,
    begin_study,
    check_positive,
    prepare_study,
)
from seedwise.runner.sweep import SweepResult, make_task, run_folder, sweep
from seedwise.stats import sequential_stop
from seedwise.store import Store, Study, default_store_path, open_study

if TYPE_CHECKING:
    from seedwise.seeding.pins import StreamPins
    from seedwise.stats import StopDecision

__all__ = [
    "LocalExecutorFactory",
    "RepeatCheck",
    "choose_executor",
    "StudyRun",
    "rerun_repeat",
    "run",
    "run_study",
    "worker_log_dir",
]

#: The fewest runs ``until_ci`` looks at before it may stop.
UNTIL_CI_MIN_RUNS = 10


@dataclass(frozen=True)
class LocalExecutorFactory:
    """Makes the local executor for a study: ``workers`` processes, a per-run ``timeout``."""

    workers: int | None = None
    timeout: float | None = None
    runs_per_worker: int | None = None

    def create(self, *, workers: int | None = None, log_dir: Path | None = None) -> LocalExecutor:
        """A new executor; workers print to ``log_dir`` if given."""
        count = workers or self.workers or os.cpu_count() or 1
        return LocalExecutor(
            count, timeout=self.timeout, runs_per_worker=self.runs_per_worker, log_dir=log_dir
        )


def choose_executor(
    executor: str | ExecutorFactory,
    scheduler: str | None,
    *,
    workers: int | None,
    timeout: float | None,
    runs_per_worker: int | None,
) -> ExecutorFactory:
    """The executor factory for ``executor``: ``"local"``, ``"dask"`` or a factory object.

    Raises:
        UsageError: An unknown name, or a scheduler without ``executor="dask"``.
    """
    if scheduler is not None and executor != "dask":
        raise UsageError(
            "`scheduler` goes with executor='dask'. Received: "
            f"scheduler={scheduler!r} with executor={executor!r}; expected executor='dask'"
        )
    if not isinstance(executor, str):
        return executor
    if executor == "dask":
        from seedwise.runner.dask import dask_factory

        return dask_factory(
            scheduler, workers=workers, timeout=timeout, runs_per_process=runs_per_worker
        )
    if executor != "local":
        raise UsageError(
            f"Unknown executor. Received: executor={executor!r}; expected 'local', 'dask' "
            "or an executor factory"
        )
    return LocalExecutorFactory(workers=workers, timeout=timeout, runs_per_worker=runs_per_worker)


def worker_log_dir(store: Path, study: str) -> Path:
    """Where a study's workers write their output: ``<run folder>/workers/``."""
    return run_folder(store, study) / "workers"


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


def rerun_repeat(
    store: Store, spec: StudySpec, repeat: int, factory: LocalExecutorFactory
) -> RepeatCheck:
    """Run exactly one repeat of a study again, in a fresh worker.

    When the repeat has a finished run in the store, the new run is compared
    with everything stored about it (status, returned metrics, every logged
    step, every fingerprint) bit for bit, and the store is left as it was;
    otherwise the new run is stored like any other.

    Raises:
        UsageError: Another runner holds the repeat.
    """
    stored = store.run(spec.name, repeat)
    log_dir = worker_log_dir(store.path, spec.name)
    if stored is None or not stored.status.is_finished:
        records: list[RunRecord] = []
        sweep(
            store,
            spec,
            factory.create(workers=1, log_dir=log_dir),
            [repeat],
            retry_failed=True,
            on_record=records.append,
        )
        if not records:
            raise UsageError(
                f"Repeat {repeat} of study {spec.name!r} is being run by another runner. "
                f"Received: --only-repeat {repeat}; expected a repeat no other runner holds"
            )
        return RepeatCheck(records[0], None, None)
    workdir = run_folder(store.path, spec.name) / "rerun" / f"{repeat:05d}"
    task = make_task(spec, repeat, str(workdir))
    source = TaskList([task])
    drive(factory.create(workers=1, log_dir=log_dir), source)
    (record,) = source.records
    return RepeatCheck(record, stored, first_difference(stored, record))


class _UntilInterval:
    """The rule of ``until_ci``: add runs until the metric's confidence sequence is narrow enough.

    The decision to stop is taken once, before a claim, and then stands: runs
    in flight at that moment still finish and are stored, but they neither
    reopen the decision nor enter its interval, so the decision printed at
    the end is the one the sweep acted on.
    """

    def __init__(self, half_width: float, metric: str | None, most: int) -> None:
        self.half_width = half_width
        self.metric = metric
        self.most = most
        self.values: list[float] = []
        self.stopped: StopDecision | None = None
        #: The first finished run without the metric named by the caller: no run is
        #: added after it, since the rule could never be met (a misspelt name).
        self.without_metric: RunRecord | None = None

    def observe(self, record: RunRecord) -> None:
        if not record.status.is_finished:
            return
        if self.metric is not None and self.metric not in record.metrics:
            self.without_metric = self.without_metric or record
        if self.metric is None and record.metrics:
            self.metric = next(iter(record.metrics))
        if self.metric is not None and self.metric in record.metrics:
            self.values.append(record.metrics[self.metric])

    def decide(self, values: Sequence[float] | None = None) -> StopDecision:
        return sequential_stop(
            list(self.values if values is None else values),
            self.half_width,
            min_runs=UNTIL_CI_MIN_RUNS,
            max_runs=max(self.most, UNTIL_CI_MIN_RUNS),
        )

    def keep_claiming(self, in_flight: int = 0) -> bool:
        if self.stopped is not None or self.without_metric is not None:
            return False
        decision = self.decide()
        if decision.stop:
            self.stopped = decision
            return False
        # Runs in flight when the rule stops land afterwards: see final().
        return in_flight >= 0

    def refuse_missing_metric(self) -> None:
        """Raise when a finished run did not return the metric the rule follows."""
        record = self.without_metric
        if record is None:
            return
        returned = ", ".join(record.metrics) or "no metrics"
        raise MissingMetricError(
            f"until_ci follows a metric that a finished run did not return; no more runs were "
            f"started. Received: metric={self.metric!r}, and repeat {record.repeat} returned "
            f"{returned}; expected one of the names the runs return (--metric NAME)"
        )

    def final(self, values: Sequence[float]) -> StopDecision:
        """The decision to report once the sweep is over, given every stored value."""
        if self.stopped is None:
            return self.decide(values)
        late = max(len(values) - self.stopped.n, 0)
        if not late:
            return self.stopped
        runs = "run" if late == 1 else "runs"
        return replace(
            self.stopped,
            late=late,
            message=f"{self.stopped.message}; {late} {runs} in flight at that decision "
            f"finished later and {'is' if late == 1 else 'are'} stored, outside the interval",
        )


@dataclass
class StudyRun:
    """What :func:`run_study` did: the study, this sweep, and the stopping decision.

    Attributes:
        spec: The study's definition.
        store: The store's path.
        sweep: What this sweep did.
        runs: The stored runs of the repeats it covered, after it.
        decision: With ``until_ci``, whether the interval is narrow enough.
        metric: The metric ``until_ci`` and the progress follow, if any.
    """

    spec: StudySpec
    store: Path
    sweep: SweepResult
    runs: list[RunRecord] = field(default_factory=list)
    decision: StopDecision | None = None
    metric: str | None = None

    @property
    def cautions(self) -> list[str]:
        """What the runs suggest is wrong with the experiment, one line each; often none."""
        if self.sweep.identical_lanes is not None:
            # Said instead of "seeds itself": a keyed experiment has no seed to hand on.
            return [self.sweep.identical_lanes]
        if self.seeds_itself:
            return [
                "every run returned the same metrics: the code seems to seed itself with a "
                "constant; hand it the run's seed instead, e.g. seed_everything(ctx.seed) or "
                "random_state=ctx.seed"
            ]
        return []

    @property
    def seeds_itself(self) -> bool:
        """Whether the experiment seems to seed itself and ignore the run's seed.

        True when two or more runs finished and all returned bit-identical
        metrics although each had its own seed: the code seeds itself with a
        constant (``L.seed_everything(42)``, ``random_state=0``) or uses no
        randomness at all. The fix is to seed with ``ctx.seed``.
        """
        finished = [run.metrics for run in self.runs if run.status.is_finished]
        if len(finished) < 2 or not finished[0]:
            return False
        first = _metric_bits(finished[0])
        return all(_metric_bits(metrics) == first for metrics in finished[1:])


def _metric_bits(metrics: Mapping[str, float]) -> dict[str, bytes]:
    """Metrics by their IEEE 754 bits, so that NaN equals NaN and -0.0 differs from 0.0."""
    return {name: struct.pack("<d", value) for name, value in metrics.items()}


def _refuse_inside_loading() -> None:
    """Refuse a study started by an experiment's module while a worker imports it."""
    loading = loading_reference()
    if loading is not None:
        raise UsageError(
            f"A study was started while {loading!r} was imported to load its experiment: the "
            "file starts a study at its top level. Put that call under "
            '`if __name__ == "__main__":` so that importing the file only defines the experiment'
        )


def run_study(
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
    deterministic: bool = True,
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
    pins: StreamPins | None = None,
    vectorize: int | None = None,
    on_start: Callable[[list[RunRecord]], None] | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
) -> StudyRun:
    """Run (or resume) a study and say what happened; :func:`run` with the details.

    Args are those of :func:`run`, and:
        pins: Named streams held at a fixed key while others vary (the
            studies of ``seedwise attribute``), or None.
        on_start: Called once the study is open, before the first run, with
            the finished runs already stored among the repeats it covers.

    Returns:
        The :class:`StudyRun`.
    """
    _refuse_inside_loading()
    check_positive(repeats, "repeats")
    if not isinstance(repeats, int) or repeats > MAX_REPEATS:
        raise UsageError(
            f"`repeats` must be an int from 1 to {MAX_REPEATS:,}. Received: repeats={repeats!r}"
        )
    check_positive(workers, "workers", allow_none=True)
    check_positive(timeout, "timeout", allow_none=True)
    check_positive(max_failures, "max_failures", allow_none=True)
    check_positive(until_ci, "until_ci", allow_none=True)
    if until_ci is not None and not math.isfinite(until_ci):
        raise UsageError(f"`until_ci` must be finite. Received: until_ci={until_ci!r}")
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
        pins=pins,
        vectorize=vectorize,
    )
    if vectorize is not None and workers is None:
        # One batch per worker at most: more workers would start idle processes.
        workers = min(os.cpu_count() or 1, math.ceil(repeats / vectorize))
    path = Path(store) if store is not None else default_store_path()
    factory = choose_executor(
        executor,
        scheduler,
        workers=workers,
        timeout=timeout,
        runs_per_worker=1 if fresh_process_per_run else None,
    )
    rule = None if until_ci is None else _UntilInterval(until_ci, metric, repeats)
    # The executor first: a cluster that cannot be reached is refused before the
    # store is touched. The sweep shuts it down; until the sweep starts, this does.
    started = factory.create(log_dir=worker_log_dir(path, spec.name))
    swept = False
    try:
        with Store(path) as opened:
            begin_study(opened, spec, allow_code_change=allow_code_change)
            previous = [
                r for r in opened.runs(spec.name) if r.status.is_finished and r.repeat < repeats
            ]
            if rule is not None:
                for record in previous:
                    rule.observe(record)
            if on_start is not None:
                on_start(previous)

            def observe(record: RunRecord) -> None:
                if rule is not None:
                    rule.observe(record)
                if on_record is not None:
                    on_record(record)

            swept = True
            result = sweep(
                opened,
                spec,
                started,
                list(range(repeats)),
                retry_failed=retry_failed,
                max_failures=max_failures,
                on_record=observe,
                keep_claiming=None if rule is None else rule.keep_claiming,
            )
            runs = [r for r in opened.runs(spec.name) if r.repeat < repeats]
    finally:
        if not swept:
            started.shutdown()
    outcome = StudyRun(spec=spec, store=path, sweep=result, runs=runs)
    if rule is not None:
        rule.refuse_missing_metric()
        outcome.metric = rule.metric
        outcome.decision = rule.final(
            [
                r.metrics[rule.metric]
                for r in runs
                if r.status.is_finished and rule.metric is not None and rule.metric in r.metrics
            ]
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
    deterministic: bool = True,
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
        workers: Worker processes; default the number of cores.
        store: The store file; default ``$SEEDWISE_STORE`` or ``.seedwise/seedwise.db``.
        name: The study's name; default the experiment's name and a hash of
            config, seed and settings.
        threads: Threads per run (BLAS, OpenMP, TensorFlow, torch, XLA).
        timeout: Seconds a run may take before its worker is killed.
        deterministic: Deterministic ops in every run.
        frameworks: Seed only these frameworks (default: every installed one;
            an empty tuple seeds nothing, for showing what unseeded runs do).
        retry_failed: Rerun repeats whose stored run failed, crashed or timed out.
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
    outcome = run_study(
        fn_or_ref,
        repeats=repeats,
        seed=seed,
        config=config,
        workers=workers,
        store=store,
        name=name,
        threads=threads,
        timeout=timeout,
        deterministic=deterministic,
        frameworks=frameworks,
        retry_failed=retry_failed,
        allow_code_change=allow_code_change,
        max_failures=max_failures,
        fresh_process_per_run=fresh_process_per_run,
        executor=executor,
        scheduler=scheduler,
        until_ci=until_ci,
        metric=metric,
        argv=argv,
        metric_patterns=metric_patterns,
        vectorize=vectorize,
        on_record=on_record,
    )
    for caution in outcome.cautions:
        warnings.warn(caution, SeedwiseWarning, stacklevel=2)
    return open_study(outcome.store, outcome.spec.name)
