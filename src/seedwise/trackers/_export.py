"""What every tracker's export shares: its calls, a study's runs read whole, the fields of a run.

A tracker's module (``mlflow``, ``tensorboard``, ``wandb``) has one export
class with the calls of :class:`TrackerExport`; ``--log-to`` and ``export
--to`` talk to that, never to a tracker's client. :func:`open_export` imports
the tracker's module only when it is asked for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from seedwise._user_text import masked
from seedwise.records import RunRecord

if TYPE_CHECKING:
    from pathlib import Path

    from seedwise.stats import Summaries
    from seedwise.store import Store, Study

__all__ = [
    "TRACKER_NAMES",
    "ExportThread",
    "StudyWriter",
    "TrackerExport",
    "config_fields",
    "env_hash",
    "export_studies",
    "finished_summary",
    "first_line",
    "open_export",
    "prepare_export",
    "run_id",
    "runs_digest",
    "stored_runs",
]

#: Each tracker's name as users write it (``--log-to``), and as it is printed.
TRACKER_NAMES = {"mlflow": "MLflow", "tensorboard": "TensorBoard", "wandb": "W&B"}


class TrackerExport(Protocol):
    """What ``--log-to`` and ``export --to`` ask of a tracker's export."""

    #: How many runs were written (runs already there are not counted).
    written: int

    def nest(self, sweep: str, cells: Sequence[str]) -> str:
        """Put ``cells`` under one entry of ``sweep``, where the tracker has such a thing."""

    def end_sweep(self, sweep_id: str) -> None:
        """Mark the sweep's entry finished."""

    def log_run(self, study: Study, record: RunRecord) -> bool:
        """Write one run, unless it is there already; whether anything was written."""

    def log_study(
        self, study: Study, *, report: bool = True, summary: Summaries | None = None
    ) -> str:
        """Write every stored run of ``study`` that is missing, then its summary.

        ``report``: also its HTML report, where the tracker keeps one (MLflow).
        ``summary``: the study's summary of its stored runs, where the caller
        has it already (:func:`finished_summary`); else it is made here.
        """


def open_export(tracker: str, where: str | None, experiment: str | None) -> TrackerExport:
    """The export of ``tracker`` (a key of ``TRACKER_NAMES``), its client imported now.

    Raises:
        TrackerError: The tracker cannot be reached or written to.
        UsageError: The tracker's package is not installed.
    """
    module = importlib.import_module(f"seedwise.trackers.{tracker}")
    export: TrackerExport = module.open_export(where, experiment)
    return export


def prepare_export(
    tracker: str, where: str | None, experiment: str | None
) -> Callable[[], TrackerExport]:
    """For ``--log-to``: what can be refused at once refused now; what opens the export.

    The opener is called on the :class:`ExportThread`, while the workers
    start (MLflow's client takes seconds to import); each tracker's module
    says what it checks before.

    Raises:
        TrackerError: The tracker cannot be reached or written to.
        UsageError: The tracker's package is not installed.
    """
    module = importlib.import_module(f"seedwise.trackers.{tracker}")
    opener: Callable[[], TrackerExport] = module.prepare_export(where, experiment)
    return opener


def export_studies(
    tracker: str,
    studies: Sequence[Study],
    where: str | None,
    experiment: str | None,
    sweeps: Mapping[str, Sequence[str]] | None = None,
) -> TrackerExport:
    """Write each of ``studies`` to ``tracker``: every run missing there, then its summary.

    Args:
        sweeps: Each sweep's name and its cells among ``studies``; where the
            tracker nests (MLflow), those go under one entry of their sweep.
    """
    export = open_export(tracker, where, experiment)
    ends = [export.nest(sweep, cells) for sweep, cells in (sweeps or {}).items()]
    for study in studies:
        export.log_study(study)
    for sweep_id in ends:
        export.end_sweep(sweep_id)
    return export


class StudyWriter:
    """What ``--log-to`` writes while studies run, in order, to one export.

    Made and used on one thread (an :class:`ExportThread`'s, or the main
    thread of an export's own process): it opens the export, then each
    study's read-only handle as its first run comes. The first call that
    fails ends the writing: the rest are dropped and the failure is kept, in
    one line, in :attr:`failures` (the runs are in the store; ``seedwise
    export`` writes what is missing).

    Args:
        opener: Makes the export (imports the tracker's client).
        store: The store the studies run in.
        report: Also the HTML report of each study, where the tracker keeps one.
    """

    def __init__(self, opener: Callable[[], TrackerExport], store: Path, report: bool) -> None:
        self.failures: list[str] = []
        self._store = store
        self._report = report
        self._open: dict[str, Study] = {}
        self._sweeps: list[str] = []
        self._export: TrackerExport | None = None
        self._reader: Store | None = None
        try:
            self._export = opener()
        except Exception as caught:
            self.failures.append(first_line(caught))

    def log_run(self, record: RunRecord) -> None:
        """Write one stored run."""
        self._attempt(lambda export: export.log_run(self._study(record.study), record))

    def log_stored_run(self, study: str, repeat: int) -> None:
        """Write one run as the store holds it (steps and environment included)."""

        def write(export: TrackerExport) -> None:
            if self._reader is None:
                from seedwise.store import open_store

                self._reader = open_store(self._store)
            record = self._reader.run(study, repeat)
            if record is not None:
                export.log_run(self._study(study), record)

        self._attempt(write)

    def nest(self, sweep: str, cells: Sequence[str]) -> None:
        """Write ``cells`` under one entry of ``sweep``."""
        self._attempt(lambda export: self._sweeps.append(export.nest(sweep, cells)))

    def finish(
        self, studies: Sequence[str], summaries: Mapping[str, Summaries] | None = None
    ) -> None:
        """Write what is missing of ``studies``, their summaries (and reports), end the sweeps.

        ``summaries``: each study's summary, where the caller made it already.
        """

        def close(export: TrackerExport) -> None:
            self.close()
            for study in studies:
                with self._open_study(study) as handle:
                    summary = None if summaries is None else summaries.get(study)
                    export.log_study(handle, report=self._report, summary=summary)
            for sweep_id in self._sweeps:
                export.end_sweep(sweep_id)

        self._attempt(close)

    def close(self) -> None:
        """Close the studies' handles."""
        for handle in self._open.values():
            handle.close()
        self._open.clear()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _attempt(self, call: Callable[[TrackerExport], object]) -> None:
        if self._export is None or self.failures:
            return
        try:
            call(self._export)
        except Exception as caught:  # a tracker's failure must not stop the study
            self.failures.append(first_line(caught))

    def _study(self, name: str) -> Study:
        handle = self._open.get(name)
        if handle is None:
            handle = self._open[name] = self._open_study(name)
        return handle

    def _open_study(self, name: str) -> Study:
        from seedwise.store import open_study

        return open_study(self._store, name)


class ExportThread:
    """One thread that makes every call of a :class:`StudyWriter`, in order, as they are submitted.

    ``--log-to`` writes from the process that runs the study, off its
    critical path: the tracker's client is imported and its store opened
    while the workers start, and each run is written while the next ones
    run. Only this thread touches the export, so no two threads share a
    tracker's client or connection.

    Args:
        opener: Makes the export; called first, on the thread.
        store: The store the studies run in.
        report: Also each study's HTML report, where the tracker keeps one.
    """

    def __init__(self, opener: Callable[[], TrackerExport], store: Path, report: bool) -> None:
        self._calls: queue.SimpleQueue[Callable[[StudyWriter], None] | None] = queue.SimpleQueue()
        self._failures: list[str] = []
        # A daemon: a second Ctrl-C while the thread writes ends the process at once.
        self._thread = threading.Thread(
            target=self._work, args=(opener, store, report), name="seedwise-tracker", daemon=True
        )
        self._thread.start()

    def log_run(self, record: RunRecord) -> None:
        """Write one stored run, after every call submitted before it."""
        self._calls.put(lambda writer: writer.log_run(record))

    def nest(self, sweep: str, cells: Sequence[str]) -> None:
        """Write ``cells`` under one entry of ``sweep``."""
        self._calls.put(lambda writer: writer.nest(sweep, cells))

    def finish(
        self, studies: Sequence[str], summaries: Mapping[str, Summaries] | None = None
    ) -> None:
        """Write what is missing of ``studies`` and their summaries (given, or made there)."""
        self._calls.put(lambda writer: writer.finish(studies, summaries))

    def close(self) -> list[str]:
        """Make every submitted call, then end the thread; the failures, one line each."""
        self._calls.put(None)
        self._thread.join()
        return self._failures

    def _work(self, opener: Callable[[], TrackerExport], store: Path, report: bool) -> None:
        writer = StudyWriter(opener, store, report)
        try:
            while (call := self._calls.get()) is not None:
                call(writer)
        finally:
            writer.close()
            self._failures.extend(writer.failures)


def first_line(caught: BaseException) -> str:
    """What a tracker raised, in one line of at most 300 characters."""
    text = str(caught).strip()
    return text.splitlines()[0][:300] if text else type(caught).__name__


def finished_summary(study: Study, given: Summaries | None = None) -> Summaries | None:
    """``study``'s summary of its finished runs (``given``, or made now); None if none finished."""
    if not any(run.status.is_finished for run in study.runs):
        return None
    return given if given is not None else study.summary()


def run_id(study: str, repeat: int) -> str:
    """seedwise's id of one run, as each tracker tags it: ``STUDY#REPEAT``."""
    return f"{study}#{repeat}"


def stored_runs(
    study: Study, wanted: Callable[[RunRecord], bool] | None = None
) -> Iterator[RunRecord]:
    """Every stored run of ``study``, with its logged steps and its environment.

    ``wanted``: given each run without its steps, whether to read it whole
    (a tracker that holds it already need not).
    """
    for brief in study.runs:
        if wanted is not None and not wanted(brief):
            continue
        environment = brief.environment
        if environment is None and brief.env_hash is not None:
            environment = study.store.environment(
                brief.env_hash, run=f"study {study.name!r} repeat {brief.repeat}"
            )
        steps = tuple(study.store.steps(study.name, brief.repeat))
        yield dataclasses.replace(brief, steps=steps, environment=environment)


def env_hash(record: RunRecord) -> str | None:
    """The hash of the run's environment, as the store keys it.

    A run handed over as it is stored (``--log-to``) carries its environment
    but not yet the hash the store gives it.
    """
    if record.env_hash is not None or record.environment is None:
        return record.env_hash
    from seedwise.store.rows import environment_hash

    return environment_hash(record.environment)


def config_fields(config: dict[str, Any]) -> dict[str, Any]:
    """A study's config as ``config.KEY`` fields, secret-named values as ``***``."""
    return {f"config.{key}": value for key, value in masked(config).items()}


def runs_digest(study: Study) -> str:
    """A short digest of which runs a study holds and their statuses.

    A summary written to a tracker that cannot replace what it wrote
    (an event file, a W&B run) is named by this, so that the same runs give
    the same name and nothing is written twice.
    """
    state = sorted((run.repeat, run.status.value) for run in study.runs)
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:12]
