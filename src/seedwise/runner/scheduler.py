"""The sweep: claim repeats, hand them to an executor, store each outcome the moment it arrives."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedwise.errors import SeedwiseError, UsageError
from seedwise.experiment import experiment_source_hash, split_reference
from seedwise.runner.executor import Executor
from seedwise.runner.tasks import RunOutcome, RunTask, StudySettings
from seedwise.seeding import derive_seed
from seedwise.store import RunRecord, Store, StudyRecord, make_owner

__all__ = [
    "StudySpec",
    "SweepInterrupted",
    "SweepResult",
    "default_study_name",
    "make_task",
    "open_study",
    "run_seed",
    "sweep",
]

_POLL_S = 0.25


def run_seed(study_seed: int, repeat: int) -> int:
    """The seed of repeat ``repeat``: ``derive_seed(study_seed, "repeat", repeat)``."""
    return derive_seed(study_seed, "repeat", repeat)


@dataclass(frozen=True)
class StudySpec:
    """What defines a study: the experiment, its config, the root seed and the settings."""

    experiment: str
    config: dict[str, Any]
    seed: int
    settings: StudySettings
    name: str


def default_study_name(
    experiment: str, config: dict[str, Any], seed: int, settings: StudySettings
) -> str:
    """``<experiment>-<hash>``: the experiment's name and a hash of what defines the study."""
    target, function_name = split_reference(experiment)
    base = Path(target).stem if target.endswith(".py") else target
    identity = json.dumps(
        {"experiment": experiment, "config": config, "seed": seed, "settings": settings.to_dict()},
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    return f"{base}.{function_name}-{digest}"


def open_study(store: Store, spec: StudySpec, *, allow_code_change: bool) -> StudyRecord:
    """Create the study or check that the stored one matches ``spec``.

    Raises:
        UsageError: The study exists with another experiment, config, seed or
            settings, or the experiment's source changed and
            ``allow_code_change`` is False.
    """
    code_hash = experiment_source_hash(spec.experiment)
    record = store.ensure_study(
        spec.name,
        experiment=spec.experiment,
        config=spec.config,
        seed=spec.seed,
        settings=spec.settings.to_dict(),
        code_hash=code_hash,
    )
    wanted = {
        "experiment": spec.experiment,
        "config": spec.config,
        "seed": spec.seed,
        "settings": spec.settings.to_dict(),
    }
    stored = {
        "experiment": record.experiment,
        "config": record.config,
        "seed": record.seed,
        "settings": record.settings,
    }
    different = [key for key in wanted if _canonical(wanted[key]) != _canonical(stored[key])]
    if different:
        key = different[0]
        raise UsageError(
            f"Study {spec.name!r} already exists with another {key}. Received: "
            f"{key}={_canonical(wanted[key])}; stored {key}={_canonical(stored[key])}; "
            "use another --name, or the stored values"
        )
    if record.code_hash != code_hash:
        if not allow_code_change:
            raise UsageError(
                f"The experiment's source changed since study {spec.name!r} began. Received: "
                f"source sha256 {code_hash[:12]}; stored {record.code_hash[:12]}; rerun with "
                "--allow-code-change to continue the study with the new code, or use a new --name"
            )
        store.set_code_hash(spec.name, code_hash)
    return record


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass
class SweepResult:
    """What one sweep did."""

    study: str
    store: Path
    repeats: int
    already_done: int
    counts: dict[str, int] = field(
        default_factory=lambda: {"ok": 0, "failed": 0, "crashed": 0, "timeout": 0}
    )
    elsewhere: list[int] = field(default_factory=list)
    stopped: str | None = None

    @property
    def failures(self) -> int:
        """Runs of this sweep that did not finish."""
        return self.counts["failed"] + self.counts["crashed"] + self.counts["timeout"]

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
        }


class SweepInterrupted(SeedwiseError):
    """The sweep was stopped by Ctrl-C or SIGTERM; finished runs are stored."""

    exit_code = 130

    def __init__(self, result: SweepResult, *, command: str | None = None) -> None:
        stored = result.already_done + result.counts["ok"]
        resume = f": {command}" if command else ""
        super().__init__(
            f"Interrupted: {stored} of {result.repeats} runs of study {result.study!r} are "
            f"stored in {result.store}; run the same command again to resume{resume}"
        )
        self.result = result


def safe_name(study: str) -> str:
    """A study's name as a folder name: anything but letters, digits, ``._-`` becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", study)


def make_task(spec: StudySpec, repeat: int, workdir: str) -> RunTask:
    """The task that runs repeat ``repeat`` of the study ``spec``."""
    return RunTask(
        study=spec.name,
        repeat=repeat,
        seed=run_seed(spec.seed, repeat),
        experiment=spec.experiment,
        config=spec.config,
        settings=spec.settings,
        workdir=workdir,
    )


def _workdir(store: Store, study: str, repeat: int) -> str:
    return str(store.path.parent / "runs" / safe_name(study) / f"{repeat:05d}")


def _record(store: Store, study: str, outcome: RunOutcome) -> None:
    store.record_run(
        RunRecord(
            study=study,
            repeat=outcome.repeat,
            seed=outcome.seed,
            status=outcome.status,
            metrics=outcome.metrics,
            error=outcome.error,
            traceback=outcome.traceback,
            started=outcome.started,
            finished=outcome.finished,
            duration=outcome.duration,
            worker=outcome.worker,
        ),
        steps=outcome.steps,
        fingerprints=outcome.fingerprints,
        environment=outcome.environment,
    )


class StopRequest:
    """Set by SIGINT or SIGTERM while a sweep runs; the sweep stops at its next poll.

    Stopping at a poll, not wherever the signal lands, keeps every store
    transaction whole. A second signal stops at once (KeyboardInterrupt).
    """

    def __init__(self) -> None:
        self.requested = False

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Catch SIGINT and SIGTERM (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {
            sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def sweep(
    store: Store,
    spec: StudySpec,
    executor: Executor,
    repeats: list[int],
    *,
    retry_failed: bool = False,
    max_failures: int | None = None,
    on_outcome: Callable[[RunOutcome], None] | None = None,
    keep_claiming: Callable[[], bool] | None = None,
) -> SweepResult:
    """Run every repeat in ``repeats`` that is not finished yet, storing each as it ends.

    Repeats are claimed in small batches, as workers free up, so that several
    runners on one store share the work and never run a repeat twice.

    ``keep_claiming``, when given, is asked before each new claim; once it
    says False, no more repeats start (running ones finish), and the result
    says ``stopped="rule"``.

    Raises:
        SweepInterrupted: On KeyboardInterrupt (Ctrl-C, or SIGTERM turned
            into one by the CLI); running runs are stopped, claims released.
    """
    owner = make_owner()
    started = time.time()
    finished_before = {
        run.repeat for run in store.runs(spec.name) if run.status == "ok" and run.repeat in repeats
    }
    result = SweepResult(
        study=spec.name, store=store.path, repeats=len(repeats), already_done=len(finished_before)
    )
    handled: set[int] = set(finished_before)
    in_flight: set[int] = set()
    stop = StopRequest()
    try:
        with stop.installed():
            while True:
                if stop.requested:
                    raise KeyboardInterrupt
                free = executor.free_slots()
                if (
                    free > 0
                    and result.stopped is None
                    and keep_claiming is not None
                    and not keep_claiming()
                ):
                    result.stopped = "rule"
                if free > 0 and result.stopped is None:
                    candidates = [r for r in repeats if r not in handled and r not in in_flight]
                    claimed = (
                        store.claim(
                            spec.name,
                            candidates,
                            owner,
                            retry_failed=retry_failed,
                            limit=free,
                            retry_before=started,
                        )
                        if candidates
                        else []
                    )
                    for repeat in claimed:
                        executor.submit(make_task(spec, repeat, _workdir(store, spec.name, repeat)))
                        in_flight.add(repeat)
                if not in_flight:
                    break
                for outcome in executor.wait(_POLL_S):
                    _record(store, spec.name, outcome)
                    in_flight.discard(outcome.repeat)
                    handled.add(outcome.repeat)
                    result.counts[outcome.status] += 1
                    if on_outcome is not None:
                        on_outcome(outcome)
                if (
                    max_failures is not None
                    and result.failures >= max_failures
                    and result.stopped is None
                ):
                    result.stopped = "max-failures"
                    executor.cancel()
                    in_flight.clear()
    except KeyboardInterrupt:
        result.stopped = "interrupted"
        executor.cancel()
        raise SweepInterrupted(result) from None
    finally:
        executor.shutdown()
        store.release(spec.name, owner)
    claims = store.claims(spec.name)
    result.elsewhere = sorted(r for r in repeats if r in claims and r not in handled)
    return result
