"""``seedwise.run``: repeat an experiment N times, in parallel, into the store.

Run ``i`` gets the seed ``derive_seed(study_seed, "repeat", i)``; the worker
calls ``seed_everything`` with it before the experiment. Settings that can
change the numbers (threads, ``PYTHONHASHSEED``, deterministic ops, the Keras
backend) are fixed per study and applied identically to every worker, so a
run's result depends neither on the number of workers nor on the order.
"""

from __future__ import annotations

import inspect
import os
import struct
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedwise.errors import UsageError
from seedwise.experiment import load_experiment
from seedwise.runner.local import LocalExecutor
from seedwise.runner.scheduler import (
    StudySpec,
    SweepInterrupted,
    SweepResult,
    default_study_name,
    make_task,
    open_study,
    run_seed,
    safe_name,
    sweep,
)
from seedwise.runner.study import Study
from seedwise.runner.tasks import RunOutcome, StudySettings
from seedwise.seeding import check_seed
from seedwise.store import RunRecord, Store, default_store_path

__all__ = [
    "LocalExecutorFactory",
    "RepeatCheck",
    "RunOutcome",
    "Study",
    "StudySettings",
    "SweepInterrupted",
    "SweepResult",
    "check_positive",
    "worker_log_dir",
    "experiment_reference",
    "prepare_study",
    "rerun_repeat",
    "run",
    "run_seed",
]


def check_positive(value: object, name: str, *, allow_none: bool = False) -> Any:
    """Return ``value`` if it is a positive number (or None when allowed), else raise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise UsageError(
            f"`{name}` must be a positive number. Received: {name}={value!r}; expected 1 or more"
            if not isinstance(value, float)
            else f"`{name}` must be positive. Received: {name}={value!r}; expected a number > 0"
        )
    return value


def experiment_reference(fn_or_ref: str | Callable[..., Any]) -> str:
    """The ``FILE.py:fn`` or ``module:fn`` reference that workers load.

    A function defined in an importable module is referenced by module; one
    defined in a script (``__main__``) by the script's file.

    Raises:
        UsageError: A lambda, a nested function, or one without a source file.
    """
    if isinstance(fn_or_ref, str):
        load_experiment(fn_or_ref)
        return fn_or_ref
    if not callable(fn_or_ref):
        raise UsageError(
            f"An experiment must be a function or a reference. Received: {fn_or_ref!r}; "
            "expected fn(ctx) or 'path/to/file.py:fn'"
        )
    name = getattr(fn_or_ref, "__qualname__", "")
    module = getattr(fn_or_ref, "__module__", None)
    if not name.isidentifier():
        raise UsageError(
            f"Workers load experiments by name: it must be a module-level function. "
            f"Received: {name or fn_or_ref!r}; expected a function defined at the top of a module"
        )
    source = inspect.getsourcefile(fn_or_ref)
    if module and module != "__main__" and not module.startswith("seedwise_experiment_"):
        module_object = sys.modules.get(module)
        if module_object is not None and getattr(module_object, name, None) is fn_or_ref:
            reference = f"{module}:{name}"
            load_experiment(reference)
            return reference
    if source is None:
        raise UsageError(
            f"Cannot find the file that defines the experiment. Received: {name}; "
            "expected a function defined in a .py file"
        )
    reference = f"{os.path.relpath(source)}:{name}"
    load_experiment(reference)
    return reference


def prepare_study(
    experiment: str,
    *,
    seed: int,
    config: Mapping[str, Any] | None,
    threads: int,
    deterministic: bool,
    frameworks: tuple[str, ...] | None,
    name: str | None,
) -> StudySpec:
    """Check the inputs and build the spec of a study (touches no store)."""
    study_seed = check_seed(seed)
    settings = StudySettings.for_study(
        study_seed,
        threads=threads,
        deterministic=deterministic,
        keras_backend=os.environ.get("KERAS_BACKEND"),
        frameworks=frameworks,
    )
    config_dict = dict(config or {})
    study_name = name or default_study_name(experiment, config_dict, study_seed, settings)
    if not study_name.strip():
        raise UsageError(f"A study name must not be empty. Received: name={name!r}")
    return StudySpec(
        experiment=experiment,
        config=config_dict,
        seed=study_seed,
        settings=settings,
        name=study_name,
    )


@dataclass(frozen=True)
class LocalExecutorFactory:
    """Makes the local executor for a study: ``workers`` processes, a per-run ``timeout``."""

    workers: int | None = None
    timeout: float | None = None
    runs_per_worker: int | None = None

    def create(
        self,
        settings: StudySettings,
        *,
        workers: int | None = None,
        log_dir: Path | None = None,
    ) -> LocalExecutor:
        """A new executor with the study's settings; workers print to ``log_dir`` if given."""
        count = workers or self.workers or os.cpu_count() or 1
        return LocalExecutor(
            count,
            settings,
            timeout=self.timeout,
            runs_per_worker=self.runs_per_worker,
            log_dir=log_dir,
        )


def worker_log_dir(store: Path, study: str) -> Path:
    """Where a study's workers write their output: ``<store folder>/logs/<study>/``."""
    return Path(store).parent / "logs" / safe_name(study)


def _same_bits(first: Mapping[str, float], second: Mapping[str, float]) -> bool:
    if list(first) != list(second):
        return False
    return all(struct.pack("<d", first[k]) == struct.pack("<d", second[k]) for k in first)


@dataclass(frozen=True)
class RepeatCheck:
    """One repeat run again: its outcome, the stored run, and whether they agree bit for bit."""

    outcome: RunOutcome
    stored: RunRecord | None
    identical: bool | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {
            "repeat": self.outcome.repeat,
            "seed": self.outcome.seed,
            "status": self.outcome.status,
            "metrics": self.outcome.metrics,
            "error": self.outcome.error,
            "stored_metrics": None if self.stored is None else self.stored.metrics,
            "identical": self.identical,
        }


def rerun_repeat(
    store: Store, spec: StudySpec, repeat: int, factory: LocalExecutorFactory
) -> RepeatCheck:
    """Run exactly one repeat of a study again, in a fresh worker.

    When the repeat has a finished run in the store, the new outcome is
    compared with it bit for bit and the store is left as it was; otherwise
    the new run is stored like any other.
    """
    stored = next(
        (r for r in store.runs(spec.name) if r.repeat == repeat and r.status == "ok"), None
    )
    if stored is None:
        outcomes: list[RunOutcome] = []
        sweep(
            store,
            spec,
            factory.create(spec.settings, workers=1, log_dir=worker_log_dir(store.path, spec.name)),
            [repeat],
            retry_failed=True,
            on_outcome=outcomes.append,
        )
        if not outcomes:
            raise UsageError(
                f"Repeat {repeat} of study {spec.name!r} is being run by another runner. "
                f"Received: --only-repeat {repeat}; expected a repeat no other runner holds"
            )
        return RepeatCheck(outcomes[0], None, None)
    executor = factory.create(
        spec.settings, workers=1, log_dir=worker_log_dir(store.path, spec.name)
    )
    task = make_task(spec, repeat, str(store.path.parent / "runs" / "rerun" / f"{repeat:05d}"))
    try:
        executor.submit(task)
        received: list[RunOutcome] = []
        while not received:
            received = executor.wait(0.5)
    finally:
        executor.shutdown()
    outcome = received[0]
    identical = outcome.status == "ok" and _same_bits(outcome.metrics, stored.metrics)
    return RepeatCheck(outcome, stored, identical)


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
    on_outcome: Callable[[RunOutcome], None] | None = None,
) -> Study:
    """Run an experiment ``repeats`` times with derived seeds, in parallel, into the store.

    Re-running the same call resumes: finished repeats are skipped, failed ones
    rerun only with ``retry_failed``, a larger ``repeats`` adds runs.

    Args:
        fn_or_ref: The experiment ``fn(ctx) -> Mapping[str, float]``, or its
            reference ``"path/to/file.py:fn"`` / ``"package.module:fn"``.
        repeats: How many runs (repeats ``0 .. repeats - 1``).
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
        on_outcome: Called in this process with each run's outcome as it is stored.

    Returns:
        The :class:`Study`, read back from the store.

    Raises:
        UsageError: Bad input (the store is not touched).
        SweepInterrupted: Ctrl-C; finished runs are kept.
    """
    check_positive(repeats, "repeats")
    if not isinstance(repeats, int):
        raise UsageError(f"`repeats` must be an int. Received: repeats={repeats!r}")
    check_positive(workers, "workers", allow_none=True)
    check_positive(timeout, "timeout", allow_none=True)
    if max_failures is not None:
        check_positive(max_failures, "max_failures")
    reference = experiment_reference(fn_or_ref)
    spec = prepare_study(
        reference,
        seed=seed,
        config=config,
        threads=threads,
        deterministic=deterministic,
        frameworks=frameworks,
        name=name,
    )
    path = Path(store) if store is not None else default_store_path()
    with Store(path) as opened:
        open_study(opened, spec, allow_code_change=allow_code_change)
        factory = LocalExecutorFactory(
            workers=workers, timeout=timeout, runs_per_worker=1 if fresh_process_per_run else None
        )
        sweep(
            opened,
            spec,
            factory.create(spec.settings, log_dir=worker_log_dir(path, spec.name)),
            list(range(repeats)),
            retry_failed=retry_failed,
            max_failures=max_failures,
            on_outcome=on_outcome,
        )
    return Study(path, spec.name)
