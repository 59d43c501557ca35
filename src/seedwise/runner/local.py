"""Warm worker processes on this machine (spawn start method).

Each worker is a fresh interpreter started with the environment of the
settings of the task it is first given (``PYTHONHASHSEED``, thread counts;
see :func:`worker_environment`), connected by its own pipe, so the executor
always knows which task a worker holds. A warm worker takes only tasks whose
settings give the same environment. A worker that dies is
detected through its process sentinel; its run is recorded ``crashed`` and a
new worker takes its place. A run past its timeout (counted from the moment
its experiment starts, not from when the worker started or loaded it) has its
worker killed, and a replacement starts at once, ahead of the next run.

Workers are not daemonic, so an experiment may start processes of its own
(a torch ``DataLoader`` with ``num_workers > 0``, a ``multiprocessing`` pool,
scikit-learn's ``n_jobs``). Each worker leads its own process group, and
whenever the executor kills or retires a worker it signals the whole group:
the processes an experiment started go with the worker that started them.
When the executor is shut down no process an experiment started is left
running: each idle worker alone in its group goes back to the pool of warm
workers (:mod:`seedwise.runner.pool`, for executors made with one), every
other one is stopped with its group. The processes themselves are started,
watched and stopped by :mod:`seedwise.runner.processes`.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from seedwise.experiment.code.identity import code_identity
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.adaptive import MOST_PER_CORE, WorkerCount
from seedwise.runner.pool import WarmKey, WarmPool
from seedwise.runner.processes import (
    STOP_GRACE_S,
    WorkerProcess,
    alone_in_group,
    cpu_seconds,
    describe_exit,
    end_group,
    kill_worker,
    start_worker,
    stop_processes,
)
from seedwise.runner.tasks import RunTask, StudySettings, worker_environment
from seedwise.runner.worker import RUN_STARTED, Lend

__all__ = ["LocalExecutor", "describe_exit"]

# How long a worker whose pipe closed may take to exit by itself.
_EXIT_GRACE_S = 1.0
# A run's timeout counts from the moment its experiment starts. Before that a
# worker may still be starting, importing and loading the experiment's module
# (TensorFlow alone takes seconds): that gets this much more, so a module that
# hangs on import is still stopped.
_LOAD_ALLOWANCE_S = 300.0


class LocalExecutor:
    """A set of warm worker processes on this machine.

    Args:
        workers: How many processes run at once.
        timeout: Seconds a run may take before its worker is killed, or None;
            counted from the moment the experiment starts (the worker's start
            and the experiment's loading get up to 300 s more).
        runs_per_worker: Retire a worker after this many runs (1: every run in
            a fresh process); None to keep workers warm.
        log_dir: A folder for each worker's output (``<worker>.log``); None to
            let workers print to this process's terminal.
        pool: Where idle workers wait for the next study once this executor
            is shut down, and where it first looks for a worker; None to
            start its own and stop them all at the end. Taken only with
            ``log_dir`` and without ``runs_per_worker``.
        adaptive: Start with ``workers`` and add one while the throughput
            still rises (:mod:`seedwise.runner.adaptive`); without
            ``runs_per_worker`` only.
        expected_runs: How many runs it will be given, if known: the
            adaptive count starts no worker that the runs left could not
            pay for.
        device: Variables its workers start with beyond the study's
            (``CUDA_VISIBLE_DEVICES`` of :mod:`seedwise.runner.gpus`).
    """

    def __init__(
        self,
        workers: int,
        timeout: float | None = None,
        *,
        runs_per_worker: int | None = None,
        log_dir: Path | None = None,
        pool: WarmPool | None = None,
        adaptive: bool = False,
        expected_runs: int | None = None,
        device: dict[str, str] | None = None,
    ):
        self._device = dict(device or {})
        self._fixed = workers
        self._expected = expected_runs
        self._finished = 0
        self.count = (
            WorkerCount(
                workers, max(workers, MOST_PER_CORE * (os.cpu_count() or 1)), os.cpu_count()
            )
            if adaptive and runs_per_worker is None
            else None
        )
        self._timeout = timeout
        self._runs_per_worker = runs_per_worker
        self._log_dir = log_dir
        self._pool = pool if log_dir is not None and runs_per_worker is None else None
        self._retired: list[BaseProcess] = []
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[WorkerProcess] = []
        self._names = itertools.count(1)
        # The warm key of each (experiment, settings) this executor has run, made once.
        self._keys: dict[tuple[str, StudySettings], WarmKey | None] = {}
        if self._pool is not None:
            self._pool.grow(workers)

    @property
    def _size(self) -> int:
        return self._fixed if self.count is None else self.count.size

    def _log_path(self, name: str) -> str | None:
        return None if self._log_dir is None else str(self._log_dir / f"{name}.log")

    def _start_worker(self, environment: dict[str, str]) -> WorkerProcess:
        name = f"w{next(self._names)}"
        if self._pool is not None:
            # Idle warm workers of other studies give way: the machine holds this many.
            self._pool.grow(len(self._workers) + 1)
            self._pool.make_room(len(self._workers) + 1)
        worker = start_worker(self._context, name, self._log_path(name), environment)
        self._workers.append(worker)
        return worker

    def _warm_key(self, task: RunTask, environment: dict[str, str]) -> WarmKey | None:
        """The key under which ``task``'s worker may be kept warm; None if it may not."""
        if self._pool is None:
            return None
        index = (task.experiment.text, task.settings)
        if index not in self._keys:
            try:
                code = code_identity(task.experiment).digest
            except Exception:
                # Code that cannot be read here is not matched: its workers stay its own.
                self._keys[index] = None
            else:
                self._keys[index] = WarmKey.of(task, environment, code)
        return self._keys[index]

    def _lent(self, key: WarmKey) -> WorkerProcess | None:
        """A warm worker of ``key`` from the pool, renamed and logging for this executor."""
        if self._pool is None:
            return None
        worker = self._pool.take(key)
        if worker is None:
            return None
        worker.name = f"w{next(self._names)}"
        worker.runs = 0
        worker.lent = True
        log_path = self._log_path(worker.name)
        assert log_path is not None
        try:
            worker.connection.send(Lend(worker.name, log_path))
        except OSError:
            kill_worker(worker)
            worker.connection.close()
            return None
        self._workers.append(worker)
        return worker

    def free_slots(self) -> int:
        """Slots not holding a task."""
        busy = sum(1 for worker in self._workers if worker.task is not None)
        return self._size - busy

    def submit(self, task: RunTask) -> None:
        """Hand ``task`` to an idle worker of its environment, starting one if none is idle."""
        for dead in [w for w in self._workers if w.task is None and not w.process.is_alive()]:
            self._discard(dead)
        environment = {**worker_environment(task.settings), **self._device}
        key = self._warm_key(task, environment)
        idle = [w for w in self._workers if w.task is None]
        matching = [w for w in idle if w.environment == tuple(sorted(environment.items()))]
        if matching:
            worker = matching[0]
            if worker.runs and worker.warm_key != key:
                # It ran other studies' settings or code: it may not pass for a fresh worker.
                worker.warm_key = None
        else:
            # An idle worker of other settings would only hold a slot: retire it.
            for other in idle[: max(0, len(self._workers) - self._size + 1)]:
                self._retire(other)
            warm = None if key is None else self._lent(key)
            worker = warm or self._start_worker(environment)
        if not worker.runs:
            worker.warm_key = key
        worker.task = task
        worker.sent = time.monotonic()
        worker.started = None
        worker.deadline = (
            None if self._timeout is None else worker.sent + _LOAD_ALLOWANCE_S + self._timeout
        )
        worker.connection.send(task)

    def wait(self, timeout: float) -> list[RunRecord]:
        """Collect records of runs that ended, crashed or timed out, within ``timeout`` seconds."""
        busy = [w for w in self._workers if w.task is not None]
        if not busy:
            time.sleep(min(timeout, 0.05))
            return []
        now = time.monotonic()
        deadlines = [w.deadline - now for w in busy if w.deadline is not None]
        limit = max(0.0, min([timeout, *deadlines]))
        handles: list[object] = [w.connection for w in busy]
        handles += [w.process.sentinel for w in busy]
        ready = set(wait(handles, timeout=limit))  # type: ignore[arg-type]
        records: list[RunRecord] = []
        now = time.monotonic()
        for worker in busy:
            task = worker.task
            assert task is not None
            if worker.connection in ready:
                try:
                    message = worker.connection.recv()
                    if message == RUN_STARTED:
                        # The experiment starts now: the run's clock starts with it.
                        worker.started = now
                        if self._timeout is not None:
                            worker.deadline = now + self._timeout
                        continue
                    received = task.received(message, worker=worker.name)
                    records.extend(received)
                    # The same records, as sent (by identity: a NaN metric equals nothing).
                    as_sent = isinstance(message, list) and len(received) == len(message)
                    pairs = zip(received, message, strict=False) if as_sent else ()
                    if not as_sent or any(mine is not sent for mine, sent in pairs):
                        # Something else spoke on its pipe: the worker is not to be trusted.
                        kill_worker(worker)
                        self._discard(worker)
                        continue
                    worker.task = None
                    worker.runs += 1
                    self._retire_if_done(worker)
                    if worker in self._workers:
                        self._counted(worker, now)
                    continue
                except (EOFError, OSError):
                    pass
            if worker.connection in ready or worker.process.sentinel in ready:
                # A worker that is ending by itself (its pipe closes first) is let finish,
                # so that its exit code, not the SIGKILL below, says how it ended.
                wait([worker.process.sentinel], timeout=_EXIT_GRACE_S)
                # What the crashed worker started dies with it.
                end_group(worker.process)
                worker.process.join(STOP_GRACE_S)
                records.extend(
                    self._lost(worker, RunStatus.CRASHED, describe_exit(worker.process.exitcode))
                )
            elif worker.deadline is not None and now >= worker.deadline:
                kill_worker(worker)
                records.extend(
                    self._lost(
                        worker,
                        RunStatus.TIMEOUT,
                        f"run exceeded the timeout of {self._timeout:g} s",
                    )
                )
                # Its replacement starts and imports now, ahead of the run it will take.
                if len(self._workers) < self._size:
                    self._start_worker(dict(worker.environment))
        return records

    def _counted(self, worker: WorkerProcess, now: float) -> None:
        """Tell the adaptive count of a finished run; let ``worker`` go if it is one too many."""
        if self.count is None:
            return
        self._finished += 1
        remaining = None if self._expected is None else max(0, self._expected - self._finished)
        # The workers' CPU time tells the count when their runs fill the cores.
        cpu = (
            None
            if self.count.settled
            else {
                pid: cpu_seconds(pid) for w in self._workers if (pid := w.process.pid) is not None
            }
        )
        if worker.runs > 1:
            self.count.observe(worker.sent, now, remaining, cpu)
        elif not worker.lent:
            self.count.started(now - worker.sent)
        self.count.warm(sum(1 for w in self._workers if w.runs), now, cpu)
        if len(self._workers) > self.count.size:
            self._release(worker)

    def _release(self, worker: WorkerProcess) -> None:
        """Let an idle ``worker`` go: back to the pool when it is whole, else asked to exit."""
        key = worker.warm_key
        pid = worker.process.pid
        if (
            self._pool is not None
            and isinstance(key, WarmKey)
            and pid is not None
            and worker.process.is_alive()
            and alone_in_group(pid)
        ):
            self._workers.remove(worker)
            self._pool.give(key, worker)
        else:
            self._retire(worker)

    def _retire_if_done(self, worker: WorkerProcess) -> None:
        if self._runs_per_worker is not None and worker.runs >= self._runs_per_worker:
            self._retire(worker)

    def _retire(self, worker: WorkerProcess) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            worker.connection.send(None)
        self._retired.append(worker.process)
        self._discard(worker)

    def _lost(self, worker: WorkerProcess, status: RunStatus, error: str) -> list[RunRecord]:
        """Records of a task whose worker died or was killed: one per run of its chain."""
        task = worker.task
        assert task is not None
        self._discard(worker)
        duration = time.monotonic() - (worker.sent if worker.started is None else worker.started)
        return task.ended(status, error, worker=worker.name, started=time.time() - duration)

    def _discard(self, worker: WorkerProcess) -> None:
        worker.connection.close()
        self._workers.remove(worker)

    def cancel(self) -> list[RunTask]:
        """Kill every busy worker; return the tasks they held."""
        stopped = []
        for worker in [w for w in self._workers if w.task is not None]:
            stopped.append(worker.task)
            kill_worker(worker)
            self._discard(worker)
        return [task for task in stopped if task is not None]

    def shutdown(self) -> None:
        """Kill busy workers; keep idle whole ones warm in the pool; stop the rest and wait."""
        self.cancel()
        for worker in list(self._workers):
            self._release(worker)
        stop_processes(self._retired)
        self._retired.clear()
