"""How to run a study, apart from what the study is: :class:`RunOptions`, checked once.

A study's definition (:class:`~seedwise.runner.spec.StudySpec`) says what
its runs compute; these options say how many runs to make now, where they
execute, where they are stored and when to stop. ``seedwise.run`` and the
command line build one of each and hand both to
:func:`~seedwise.runner.studies.run_study`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from seedwise.errors import UsageError
from seedwise.experiment.checkpoint import DEFAULT_KEEP
from seedwise.records import RunRecord
from seedwise.runner.executor import ExecutorFactory
from seedwise.runner.local import LocalExecutor
from seedwise.runner.pool import WARM_POOL
from seedwise.runner.spec import MAX_REPEATS, StudySpec, check_positive
from seedwise.store import default_store_path
from seedwise.store.claims import claim_lease_s

__all__ = [
    "LocalExecutorFactory",
    "RunOptions",
    "choose_executor",
    "split_keywords",
    "store_file",
]


def store_file(store: str | os.PathLike[str] | None) -> Path:
    """``store`` as a path, or the default: ``$SEEDWISE_STORE`` or ``.seedwise/seedwise.db``."""
    return default_store_path() if store is None else Path(store)


@dataclass(frozen=True)
class RunOptions:
    """How to run a study: how many repeats, where, stored where, and when to stop.

    Checked when made: a bad value raises before any store is opened.
    The callbacks take no part in equality.

    Attributes:
        repeats: How many runs (repeats ``0 .. repeats - 1``); with
            ``until_ci``, the most runs.
        store: The store file.
        workers: Worker processes; None for one per core and more while
            the throughput rises (one per batch for a vectorised study).
        timeout: Seconds a run may take before its worker is killed.
        executor: ``"local"``, ``"dask"`` or an executor factory.
        scheduler: With ``executor="dask"``, a running scheduler's address.
        fresh_process_per_run: A new worker process for every run.
        retry_failed: Rerun repeats whose stored run did not finish.
        keep_checkpoints: The newest checkpoints each run keeps
            (``ctx.checkpoint``, ``--keep-checkpoints``), 1 or more.
        allow_code_change: Continue a study whose experiment's code changed.
        max_failures: Stop once this many runs have not finished.
        until_ci: Stop adding runs once the metric's 95% confidence sequence
            has at most this half-width.
        metric: The metric ``until_ci`` follows; None for the first returned.
        on_start: Called once the study is open, before the first run, with
            the finished runs already stored among the repeats covered.
        on_record: Called with each run's record once it is stored.
        keep_claiming: Asked before each new claim, with ``until_ci``'s rule
            if any; once either says False, no more repeats start (running
            ones finish and are stored). A tuner's stopping rule
            (``seedwise.optuna``'s racing) comes in here.

    Raises:
        UsageError: A value out of range.
    """

    repeats: int = 30
    store: Path = field(default_factory=default_store_path)
    workers: int | None = None
    timeout: float | None = None
    executor: str | ExecutorFactory = "local"
    scheduler: str | None = None
    fresh_process_per_run: bool = False
    retry_failed: bool = False
    allow_code_change: bool = False
    max_failures: int | None = None
    keep_checkpoints: int = DEFAULT_KEEP
    until_ci: float | None = None
    metric: str | None = None
    on_start: Callable[[list[RunRecord]], None] | None = field(default=None, compare=False)
    on_record: Callable[[RunRecord], None] | None = field(default=None, compare=False)
    keep_claiming: Callable[[], bool] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # A path given as text is the same store: equal options either way.
        object.__setattr__(self, "store", Path(self.store))
        check_positive(self.repeats, "repeats")
        check_positive(self.keep_checkpoints, "keep_checkpoints")
        if not isinstance(self.repeats, int) or self.repeats > MAX_REPEATS:
            raise UsageError(
                f"`repeats` must be an int from 1 to {MAX_REPEATS:,}. "
                f"Received: repeats={self.repeats!r}"
            )
        check_positive(self.workers, "workers", allow_none=True)
        check_positive(self.timeout, "timeout", allow_none=True)
        check_positive(self.max_failures, "max_failures", allow_none=True)
        check_positive(self.until_ci, "until_ci", allow_none=True)
        if self.until_ci is not None and not math.isfinite(self.until_ci):
            raise UsageError(f"`until_ci` must be finite. Received: until_ci={self.until_ci!r}")
        # Read by the claims of the store, once the study has been written: checked first.
        claim_lease_s()

    def executor_factory(self, spec: StudySpec) -> ExecutorFactory:
        """The factory of the executors that run ``spec``'s repeats.

        A vectorised study without ``workers`` gets one worker per batch, at
        most the number of cores: more would start idle processes.
        """
        workers = self.workers
        vectorize = spec.settings.vectorize
        if vectorize is not None and workers is None:
            workers = min(os.cpu_count() or 1, math.ceil(self.repeats / vectorize))
        factory = choose_executor(
            self.executor,
            self.scheduler,
            workers=workers,
            timeout=self.timeout,
            runs_per_worker=1 if self.fresh_process_per_run else None,
            warm=True,
        )
        if isinstance(factory, LocalExecutorFactory):
            # The study's repeats: the adaptive count starts no worker they cannot pay for.
            factory = replace(factory, expected_runs=self.repeats)
        return factory


def split_keywords(keywords: Mapping[str, Any]) -> tuple[dict[str, Any], RunOptions]:
    """``seedwise.run``'s keywords apart: those of the study's definition, and the options.

    Args:
        keywords: Keywords of ``seedwise.run`` by name (``store`` may be a
            str or None, as there).

    Returns:
        The keywords of :func:`~seedwise.runner.spec.prepare_study`, and the
        :class:`RunOptions` made of the others.

    Raises:
        UsageError: An option out of range.
    """
    names = {item.name for item in fields(RunOptions)}
    chosen = {key: value for key, value in keywords.items() if key in names}
    rest = {key: value for key, value in keywords.items() if key not in names}
    return rest, RunOptions(**{**chosen, "store": store_file(chosen.get("store"))})


@dataclass(frozen=True)
class LocalExecutorFactory:
    """Makes the local executor for a study: ``workers`` processes, a per-run ``timeout``.

    With ``warm``, its workers come from and go back to this process's pool of
    warm workers (:mod:`seedwise.runner.pool`), so that the next study that
    can use them starts none; without, every executor starts its own (a
    rerun's and a check's fresh processes).
    """

    workers: int | None = None
    timeout: float | None = None
    runs_per_worker: int | None = None
    warm: bool = False
    expected_runs: int | None = None

    def create(self, *, workers: int | None = None, log_dir: Path | None = None) -> LocalExecutor:
        """A new executor; workers print to ``log_dir`` if given.

        Without a count (``workers`` here or in the factory), it starts one
        worker per core and adds more while the throughput still rises
        (:mod:`seedwise.runner.adaptive`).
        """
        count = workers or self.workers or os.cpu_count() or 1
        return LocalExecutor(
            count,
            adaptive=workers is None and self.workers is None,
            expected_runs=self.expected_runs,
            timeout=self.timeout,
            runs_per_worker=self.runs_per_worker,
            log_dir=log_dir,
            pool=WARM_POOL if self.warm else None,
        )


def choose_executor(
    executor: str | ExecutorFactory,
    scheduler: str | None,
    *,
    workers: int | None,
    timeout: float | None,
    runs_per_worker: int | None,
    warm: bool = False,
) -> ExecutorFactory:
    """The executor factory for ``executor``: ``"local"``, ``"dask"``, ``"slurm"`` or a factory.

    ``"slurm"`` gets a :class:`~seedwise.runner.slurm.SlurmExecutorFactory`
    of the cluster's defaults; pass one for a partition, a time limit, GPUs.

    ``warm`` keeps local workers warm between studies (:class:`LocalExecutorFactory`).

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
    if executor == "slurm":
        from seedwise.runner.slurm import SlurmExecutorFactory

        return SlurmExecutorFactory(
            workers=workers, timeout=timeout, runs_per_process=runs_per_worker
        )
    if executor != "local":
        raise UsageError(
            f"Unknown executor. Received: executor={executor!r}; expected 'local', 'dask', "
            "'slurm' or an executor factory"
        )
    return LocalExecutorFactory(
        workers=workers, timeout=timeout, runs_per_worker=runs_per_worker, warm=warm
    )
