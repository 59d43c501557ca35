"""Warm workers kept between studies of one Python process, until it exits or ``shutdown()``.

Starting a worker costs its interpreter and its frameworks' imports
(TensorFlow alone takes seconds), far more than a small run. So when a
study ends, each of its idle workers waits here, under a :class:`WarmKey`
of everything that must match for another study to use it as it would a
fresh worker: the whole environment it started with, the working folder and
``sys.path`` (spawn copies all three), the study's settings (hash seed,
threads, deterministic ops, the frameworks seeded) and the experiment with
its code identity. A changed file is new code: a new worker. A worker lent
again first forgets what it ran (:func:`seedwise.runner.worker._start_afresh`).

Only workers that are whole come back: alive, alone in their process group
(an experiment's process still running would otherwise outlive its study),
trusted (nothing else spoke on their pipe) and not timed out. The pool keeps
at most as many as the largest executor of this process held; beyond that,
and when an executor starts a worker of another key, the workers idle
longest are stopped first. At exit every one is stopped: asked to leave,
then killed with its group (and, should this process be killed outright,
by the watcher of :mod:`seedwise.runner.processes`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
from dataclasses import dataclass

from seedwise.runner.processes import (
    WorkerProcess,
    spawn_state,
    stop_processes,
)
from seedwise.runner.tasks import RunTask

__all__ = ["WARM_POOL", "WarmKey", "WarmPool", "shutdown"]

# How long idle workers asked to leave may take before they are killed.
_LEAVE_GRACE_S = 1.0


@dataclass(frozen=True)
class WarmKey:
    """What must match for an idle worker to run a study as a fresh one would.

    Attributes:
        spawned: The environment, working folder and ``sys.path`` a worker
            started now would have (:func:`~seedwise.runner.processes.spawn_state`).
        settings: The study's settings, as stored.
        experiment: The experiment's reference, as stored.
        code: Its code identity's digest.
    """

    spawned: tuple[tuple[str, str], ...]
    settings: str
    experiment: str
    code: str

    @classmethod
    def of(cls, task: RunTask, environment: dict[str, str], code: str) -> WarmKey:
        """The key of ``task``, run now in a worker started with ``environment``."""
        return cls(
            spawned=spawn_state(environment),
            settings=json.dumps(task.settings.to_dict(), sort_keys=True),
            experiment=task.experiment.text,
            code=code,
        )


class WarmPool:
    """Idle warm workers by :class:`WarmKey`; each taken by one executor at a time."""

    def __init__(self) -> None:
        self._idle: list[tuple[WarmKey, WorkerProcess]] = []  # the longest idle first
        self._lock = threading.Lock()
        self.capacity = 1

    def take(self, key: WarmKey) -> WorkerProcess | None:
        """An idle worker of ``key``, now the caller's; None when there is none."""
        dead: list[WorkerProcess] = []
        taken = None
        with self._lock:
            for entry in list(self._idle):
                held, worker = entry
                if not worker.process.is_alive():
                    self._idle.remove(entry)
                    dead.append(worker)
                elif held == key and taken is None:
                    self._idle.remove(entry)
                    taken = worker
        self._stop(dead)
        return taken

    def give(self, key: WarmKey, worker: WorkerProcess) -> None:
        """Keep ``worker``, idle, for a later study of ``key``."""
        worker.task = None
        worker.deadline = None
        worker.started = None
        with self._lock:
            self._idle.append((key, worker))
            surplus = self._idle[: max(0, len(self._idle) - self.capacity)]
            del self._idle[: len(surplus)]
        self._stop([worker for _, worker in surplus])

    def make_room(self, held: int) -> None:
        """Stop idle workers, the longest idle first, until ``held`` more fit in the capacity."""
        with self._lock:
            surplus = self._idle[: max(0, len(self._idle) + held - self.capacity)]
            del self._idle[: len(surplus)]
        self._stop([worker for _, worker in surplus])

    def grow(self, size: int) -> None:
        """Let the pool keep ``size`` workers: an executor of this process held that many."""
        with self._lock:
            self.capacity = max(self.capacity, size)

    def __len__(self) -> int:
        with self._lock:
            return len(self._idle)

    def shutdown(self) -> int:
        """Stop every idle worker; returns how many there were."""
        with self._lock:
            idle, self._idle = self._idle, []
        self._stop([worker for _, worker in idle])
        return len(idle)

    @staticmethod
    def _stop(workers: list[WorkerProcess]) -> None:
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        stop_processes([worker.process for worker in workers], grace=_LEAVE_GRACE_S)
        for worker in workers:
            worker.connection.close()


#: The warm workers of this process.
WARM_POOL = WarmPool()


def shutdown() -> None:
    """Stop the warm workers that ``seedwise.run`` and ``seedwise.sweep`` keep between calls.

    Workers stay warm after a study, for the next study of this process that
    can use them as fresh workers (the same settings, experiment, code,
    environment, working folder and ``sys.path``), and are stopped when the
    interpreter exits. Call this to free their memory sooner, or to make the
    next study start fresh workers. A study that is running keeps its
    workers; they come back warm when it ends. Calling it again does nothing.

    Equivalent to what happens at exit: each idle worker is asked to leave,
    then, after a second, killed with every process of its group.

    Example:
        >>> seedwise.run(train, repeats=3)  # doctest: +SKIP
        >>> seedwise.shutdown()  # no seedwise worker is left running
    """
    WARM_POOL.shutdown()


# Registered after the kill of every live group (seedwise.runner.processes, imported
# above), so that it runs first: the idle workers are asked to leave before that.
atexit.register(shutdown)
