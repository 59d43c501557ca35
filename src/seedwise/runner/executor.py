"""The executor interface: where runs execute, behind four calls.

The scheduler claims repeats, submits them, and records outcomes as they
arrive; it never knows whether the workers are local processes or a cluster.
"""

from __future__ import annotations

from typing import Protocol

from seedwise.runner.tasks import RunOutcome, RunTask

__all__ = ["Executor"]


class Executor(Protocol):
    """Runs tasks somewhere and reports their outcomes as they finish."""

    def free_slots(self) -> int:
        """How many more tasks can be submitted now without waiting."""
        ...

    def submit(self, task: RunTask) -> None:
        """Start ``task``; must only be called while :meth:`free_slots` is positive."""
        ...

    def wait(self, timeout: float) -> list[RunOutcome]:
        """Outcomes of tasks that ended (in any status) within ``timeout`` seconds."""
        ...

    def cancel(self) -> list[RunTask]:
        """Stop every running task; returns the tasks that were stopped unfinished."""
        ...

    def shutdown(self) -> None:
        """Release every worker; the executor cannot be used afterwards."""
        ...
