"""The executor interface: where runs execute, behind four calls.

The run loop (:mod:`seedwise.runner.loop`) submits tasks and receives run
records as they arrive; it never knows whether the workers are local
processes or a cluster. A new executor implements these five calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from seedwise.records import RunRecord
from seedwise.runner.tasks import RunTask

__all__ = ["Executor", "ExecutorFactory"]


class Executor(Protocol):
    """Runs tasks somewhere and reports their outcomes as they finish."""

    def free_slots(self) -> int:
        """How many more tasks can be submitted now without waiting."""
        ...

    def submit(self, task: RunTask) -> None:
        """Start ``task``; must only be called while :meth:`free_slots` is positive."""
        ...

    def wait(self, timeout: float) -> list[RunRecord]:
        """Records of tasks that ended (in any status) within ``timeout`` seconds.

        A task with warm-up runs yields one record per run, warm-ups first.
        """
        ...

    def cancel(self) -> list[RunTask]:
        """Stop every running task; returns the tasks that were stopped unfinished."""
        ...

    def shutdown(self) -> None:
        """Release every worker; the executor cannot be used afterwards."""
        ...


class ExecutorFactory(Protocol):
    """Makes a fresh executor for each sweep (an executor is shut down when its loop ends).

    ``seedwise.runner.run.LocalExecutorFactory`` and
    ``seedwise.runner.dask.DaskExecutorFactory`` are the two at hand.
    """

    def create(self, *, workers: int | None = None, log_dir: Path | None = None) -> Executor:
        """A new executor; ``workers`` overrides the factory's size, ``log_dir`` takes output."""
        ...
