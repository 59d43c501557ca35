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

__all__ = ["Executor", "ExecutorFactory", "SharedExecutor"]


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

    ``seedwise.runner.options.LocalExecutorFactory`` and
    ``seedwise.runner.dask.DaskExecutorFactory`` are the two at hand.
    """

    def create(self, *, workers: int | None = None, log_dir: Path | None = None) -> Executor:
        """A new executor; ``workers`` overrides the factory's size, ``log_dir`` takes output."""
        ...


class SharedExecutor:
    """One executor lent to several sweeps in turn, so that its warm workers serve them all.

    Each sweep's loop shuts down what it was given when it ends; the
    executor this lends survives that, and its owner shuts it down once, when
    the last sweep is done (``seedwise attribute`` runs its studies so).

    Args:
        executor: The executor to lend.
    """

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def create(self, *, workers: int | None = None, log_dir: Path | None = None) -> Executor:
        """The shared executor, lent: its ``shutdown`` does nothing."""
        return _Lent(self.executor)


class _Lent:
    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    def free_slots(self) -> int:
        return self._executor.free_slots()

    def submit(self, task: RunTask) -> None:
        self._executor.submit(task)

    def wait(self, timeout: float) -> list[RunRecord]:
        return self._executor.wait(timeout)

    def cancel(self) -> list[RunTask]:
        return self._executor.cancel()

    def shutdown(self) -> None:
        """Nothing: the owner shuts the shared executor down."""
