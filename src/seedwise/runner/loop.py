"""The one run loop: hand tasks to an executor as slots free up, take records as they arrive.

Every way seedwise runs experiments goes through :func:`drive`: a study's
sweep (``seedwise.run``, ``seedwise run``, the demo), a rerun of one repeat
(``--only-repeat``) and the fresh processes of ``seedwise.check``. What to
run next and what to do with a finished run is the caller's, through a
:class:`TaskSource`; where runs execute is the executor's.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from seedwise.records import RunRecord
from seedwise.runner.executor import Executor
from seedwise.runner.tasks import RunTask

__all__ = ["StopRequest", "TaskList", "TaskSource", "drive"]

_POLL_S = 0.25


class TaskSource(Protocol):
    """What to run, and what becomes of each finished run."""

    def take(self, free: int) -> Sequence[RunTask]:
        """At most ``free`` tasks to start now; empty when there is nothing to start."""
        ...

    def accept(self, record: RunRecord) -> bool:
        """Keep one finished run (store it, collect it); called as soon as it arrives.

        Returns:
            False when the run was dropped instead (its claim was lost to
            another runner): it then counts for nothing, not even as a failure.
        """
        ...

    def tick(self) -> None:
        """Called at every poll of the loop, for upkeep such as renewing claims."""
        ...


class TaskList:
    """A fixed list of tasks, run in order; the records are kept in :attr:`records`."""

    def __init__(self, tasks: Sequence[RunTask]) -> None:
        self._waiting = list(tasks)
        self.records: list[RunRecord] = []

    def take(self, free: int) -> list[RunTask]:
        """The next ``free`` tasks."""
        taken, self._waiting = self._waiting[:free], self._waiting[free:]
        return taken

    def accept(self, record: RunRecord) -> bool:
        """Collect ``record``."""
        self.records.append(record)
        return True

    def tick(self) -> None:
        """Nothing to keep up."""


class StopRequest:
    """Set by SIGINT or SIGTERM while a loop runs; the loop stops at its next poll.

    Stopping at a poll, not wherever the signal lands, keeps every store
    transaction whole. A second signal stops at once (KeyboardInterrupt),
    except while :attr:`shielded`: once stopping has begun, the clean-up
    (killing running runs, releasing claims) is never cut short, however
    many signals arrive (``docker stop`` and ``kill -- -PGID`` send several).
    """

    def __init__(self) -> None:
        self.requested = False
        self.shielded = False
        self.signals = 0

    def _handle(self, signum: int, frame: object) -> None:
        self.signals += 1
        if self.requested and not self.shielded:
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


def drive(
    executor: Executor,
    source: TaskSource,
    *,
    on_record: Callable[[RunRecord], None] | None = None,
    max_failures: int | None = None,
    poll: float = _POLL_S,
    stop: StopRequest | None = None,
) -> str | None:
    """Run what ``source`` gives until it gives nothing more and no run is in flight.

    Args:
        executor: Where the runs execute; shut down when the loop ends.
        source: What to run next, and where each finished run goes.
        on_record: Called with each record after ``source`` accepted it
            (progress bars, callbacks).
        max_failures: Stop once this many runs have not finished: running
            runs are killed, nothing new starts, ``stopped="max-failures"``.
        poll: The longest wait for a record between two looks at the source.
        stop: A stop request the caller has installed, to keep handling
            signals through its own clean-up; by default the loop installs
            its own for its duration.

    Returns:
        Why the loop stopped early (``"max-failures"``), or None.

    Raises:
        KeyboardInterrupt: Ctrl-C or SIGTERM; running runs were stopped
            (they are not recorded) and the executor shut down.
    """
    stopped: str | None = None
    failures = 0
    in_flight = 0
    owned = stop is None
    request = StopRequest() if stop is None else stop
    try:
        with request.installed() if owned else contextlib.nullcontext(request):
            while True:
                if request.requested:
                    raise KeyboardInterrupt
                source.tick()
                free = executor.free_slots()
                if free > 0 and stopped is None:
                    for task in source.take(free):
                        executor.submit(task)
                        in_flight += len(task.chain())
                if in_flight == 0:
                    break
                for record in executor.wait(poll):
                    in_flight -= 1
                    if not source.accept(record):
                        continue
                    failures += record.status.is_failure
                    if on_record is not None:
                        on_record(record)
                if max_failures is not None and failures >= max_failures and stopped is None:
                    stopped = "max-failures"
                    executor.cancel()
                    in_flight = 0
    except KeyboardInterrupt:
        request.shielded = True
        executor.cancel()
        raise
    finally:
        executor.shutdown()
    return stopped
