"""A study's sweep: claim repeats, run them through the run loop, store each as it arrives."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedwise.errors import SweepInterrupted
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.batched import identical_lanes
from seedwise.runner.executor import Executor
from seedwise.runner.loop import StopRequest, drive
from seedwise.runner.spec import StudySpec, run_seed, safe_name
from seedwise.runner.tasks import RunTask, batch_tasks
from seedwise.store import Store, make_owner
from seedwise.store.claims import CLAIM_RENEW_S

__all__ = [
    "SweepResult",
    "make_task",
    "repeat_folder",
    "run_folder",
    "run_workdir",
    "runs_root",
    "sweep",
]


@dataclass
class SweepResult:
    """What one sweep did.

    Attributes:
        study: The study's name.
        store: The store's path.
        repeats: How many repeats the sweep covers.
        already_done: How many of them had finished before it started.
        counts: The runs it made, by status.
        elsewhere: Repeats another runner on the store holds.
        stopped: Why it stopped early: ``"rule"`` (a stopping rule such as
            ``--until-ci``), ``"max-failures"``, ``"interrupted"``, or None.
        identical_lanes: For a vectorised study whose every batch returned
            identical metrics in each of its runs, the warning that says why
            (randomness drawn outside the key) and how to fix it; else None.
    """

    study: str
    store: Path
    repeats: int
    already_done: int
    counts: dict[str, int] = field(default_factory=RunStatus.counts)
    elsewhere: list[int] = field(default_factory=list)
    stopped: str | None = None
    identical_lanes: str | None = None

    @property
    def failures(self) -> int:
        """Runs of this sweep that did not finish."""
        return sum(n for status, n in self.counts.items() if RunStatus(status).is_failure)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {
            "study": self.study,
            "store": str(self.store),
            "repeats": self.repeats,
            "already_done": self.already_done,
            "counts": dict(self.counts),
            "claimed_by_other_runners": list(self.elsewhere),
            "stopped": self.stopped,
            "identical_lanes": self.identical_lanes,
        }

    def interrupted(self, command: str | None = None) -> SweepInterrupted:
        """The error that says this sweep was interrupted and how to resume it."""
        stored = self.already_done + self.counts[RunStatus.OK.value]
        resume = f": {command}" if command else ""
        return SweepInterrupted(
            f"Interrupted: {stored} of {self.repeats} runs of study {self.study!r} are "
            f"stored in {self.store}; run the same command again to resume{resume}",
            self,
        )


def make_task(spec: StudySpec, repeat: int, workdir: str) -> RunTask:
    """The task that runs repeat ``repeat`` of the study ``spec``."""
    return RunTask(
        study=spec.name,
        repeat=repeat,
        seed=run_seed(spec.seed, repeat),
        experiment=spec.source,
        config=spec.config,
        settings=spec.settings,
        workdir=workdir,
    )


def runs_root(store: Path) -> Path:
    """The folder of a store's runs, beside it: ``<store folder>/<store name>-runs/``.

    Named after the store, so that two stores in one folder keep their runs
    apart (``results.db`` has ``results-runs/``; the default store,
    ``.seedwise/seedwise.db``, has ``.seedwise/seedwise-runs/``).
    """
    path = Path(store)
    return path.parent / f"{path.stem}-runs"


def run_folder(store: Path, study: str) -> Path:
    """The folder of a study's runs: ``<runs root>/<study>/``."""
    return runs_root(store) / safe_name(study)


def repeat_folder(store: Path, study: str, repeat: int) -> Path:
    """The folder of one run's artefacts and ``output.log``: ``<run folder>/<repeat, 5 digits>``."""
    return run_folder(store, study) / f"{repeat:05d}"


def run_workdir(store: Store, study: str, repeat: int) -> str:
    """:func:`repeat_folder` of a run of ``store``, as the task's ``workdir``."""
    return str(repeat_folder(store.path, study, repeat))


class _StoreSource:
    """The sweep's tasks: repeats claimed from the store as slots free up; records stored."""

    def __init__(
        self,
        store: Store,
        spec: StudySpec,
        repeats: list[int],
        handled: set[int],
        *,
        retry_failed: bool,
        keep_claiming: Callable[[int], bool] | None,
    ) -> None:
        self.store = store
        self.spec = spec
        self.repeats = repeats
        self.handled = handled
        self.in_flight: set[int] = set()
        self.owner = make_owner()
        self.started = time.time()
        self.retry_failed = retry_failed
        self.keep_claiming = keep_claiming
        self.stopped_by_rule = False
        self.renewed = time.monotonic()
        self.counts = RunStatus.counts()

    def take(self, free: int) -> list[RunTask]:
        if self.stopped_by_rule:
            return []
        if self.keep_claiming is not None and not self.keep_claiming(len(self.in_flight)):
            self.stopped_by_rule = True
            return []
        candidates = [r for r in self.repeats if r not in self.handled and r not in self.in_flight]
        if not candidates:
            return []
        claimed = self.store.claim(
            self.spec.name,
            candidates,
            self.owner,
            retry_failed=self.retry_failed,
            # A vectorised study's task holds a batch of repeats.
            limit=free * (self.spec.settings.vectorize or 1),
            retry_before=self.started,
        )
        self.in_flight.update(claimed)
        return batch_tasks(
            [make_task(self.spec, r, run_workdir(self.store, self.spec.name, r)) for r in claimed],
            self.spec.settings.vectorize,
        )

    def tick(self) -> None:
        now = time.monotonic()
        if self.in_flight and now - self.renewed >= CLAIM_RENEW_S:
            self.store.renew(self.spec.name, self.owner)
            self.renewed = now

    def accept(self, record: RunRecord) -> None:
        self.store.record_run(record)
        self.in_flight.discard(record.repeat)
        self.handled.add(record.repeat)
        self.counts[record.status.value] += 1


def sweep(
    store: Store,
    spec: StudySpec,
    executor: Executor,
    repeats: list[int],
    *,
    retry_failed: bool = False,
    max_failures: int | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
    keep_claiming: Callable[[int], bool] | None = None,
) -> SweepResult:
    """Run every repeat in ``repeats`` that is not finished yet, storing each as it ends.

    Repeats are claimed in small batches, as workers free up, so that several
    runners on one store share the work and never run a repeat twice.

    Args:
        store: The writable store; the study must exist in it.
        spec: The study.
        executor: Where the runs execute; shut down when the sweep ends.
        repeats: The repeats the sweep covers.
        retry_failed: Rerun repeats whose stored run did not finish.
        max_failures: Stop once this many runs of this sweep have not finished.
        on_record: Called with each run's record once it is stored.
        keep_claiming: Asked before each new claim, with the number of runs
            in flight (claimed, not yet recorded); once it says False, no
            more repeats start (running ones finish), ``stopped="rule"``.

    Returns:
        What the sweep did.

    Raises:
        SweepInterrupted: Ctrl-C or SIGTERM; running runs were stopped, every
            finished run is stored, the claims are released.
    """
    finished_before = {
        run.repeat
        for run in store.runs(spec.name)
        if run.status.is_finished and run.repeat in repeats
    }
    result = SweepResult(
        study=spec.name, store=store.path, repeats=len(repeats), already_done=len(finished_before)
    )
    source = _StoreSource(
        store,
        spec,
        repeats,
        set(finished_before),
        retry_failed=retry_failed,
        keep_claiming=keep_claiming,
    )
    stop = StopRequest()
    # Installed around the clean-up too: a second SIGTERM must not leave claims behind.
    with stop.installed():
        try:
            looped = drive(
                executor, source, on_record=on_record, max_failures=max_failures, stop=stop
            )
        except KeyboardInterrupt:
            stop.shielded = True
            result.stopped = "interrupted"
            raise result.interrupted() from None
        finally:
            stop.shielded = True
            result.counts = dict(source.counts)
            store.release(spec.name, source.owner)
    result.stopped = looped.stopped or ("rule" if source.stopped_by_rule else None)
    claims = store.claims(spec.name)
    result.elsewhere = sorted(r for r in repeats if r in claims and r not in source.handled)
    if (spec.settings.vectorize or 1) > 1:
        covered = set(repeats)
        result.identical_lanes = identical_lanes(
            [run for run in store.runs(spec.name) if run.repeat in covered]
        )
    return result
