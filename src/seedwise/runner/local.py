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
When the executor is shut down (or, failing that, when this process exits)
no worker and no process of a worker's group is left running. Should this
process be killed outright (SIGKILL, the OOM killer), a small watcher
process of its own, which needs no interpreter lock of the runner or of a
worker, kills every worker's group within 0.2 s; a worker started by the
main thread is also killed by the kernel itself the moment the runner dies
(see :func:`seedwise.runner.worker.watch_parent`).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from seedwise.records import RunRecord, RunStatus
from seedwise.runner.tasks import RunTask, worker_environment
from seedwise.runner.worker import RUN_STARTED, worker_main

__all__ = ["LocalExecutor"]

_STOP_GRACE_S = 5.0
# How long a worker whose pipe closed may take to exit by itself.
_EXIT_GRACE_S = 1.0
# A run's timeout counts from the moment its experiment starts. Before that a
# worker may still be starting, importing and loading the experiment's module
# (TensorFlow alone takes seconds): that gets this much more, so a module that
# hangs on import is still stopped.
_LOAD_ALLOWANCE_S = 300.0


def _kill_group(pgid: int) -> None:
    """Send SIGKILL to every process of the group ``pgid``; nothing if it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


# The watcher: told of each worker's group as it starts and ends, it kills the groups
# it still holds once this process is gone (its pipe closes or it is re-parented).
# A separate process, so that nothing of it waits for an interpreter lock held by a
# runner frozen in C or killed, or by a worker spinning in a regex.
_WATCHER = """
import os, select, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
runner, groups, pending = int(sys.argv[1]), set(), b""
while True:
    if select.select([0], [], [], 0.2)[0]:
        chunk = os.read(0, 4096)
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\\n")
        for line in lines:
            (groups.add if line[:1] == b"+" else groups.discard)(int(line[1:]))
    elif os.getppid() != runner:
        break
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class _LiveGroups:
    """The process groups of the workers this process started and has not cleaned up.

    Killed at exit should an executor never be shut down, and by the watcher
    process should this process die without cleaning up. The watcher runs
    while there is a group to watch.
    """

    def __init__(self) -> None:
        self._groups: set[int] = set()
        self._watcher: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def add(self, pgid: int) -> None:
        with self._lock:
            self._groups.add(pgid)
            if self._watcher is None:
                self._watcher = _start_watcher()
            self._tell(f"+{pgid}")

    def discard(self, pgid: int) -> None:
        with self._lock:
            if pgid not in self._groups:
                return
            self._groups.discard(pgid)
            self._tell(f"-{pgid}")
            if not self._groups:
                self._stop_watcher()

    def kill_all(self) -> None:
        with self._lock:
            for pgid in list(self._groups):
                _kill_group(pgid)
            self._groups.clear()
            self._stop_watcher()

    def _tell(self, line: str) -> None:
        watcher = self._watcher
        if watcher is None or watcher.stdin is None:
            return
        try:
            watcher.stdin.write(f"{line}\n".encode())
            watcher.stdin.flush()
        except OSError:
            # The watcher is gone; each worker's own watch remains.
            self._watcher = None

    def _stop_watcher(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is None:
            return
        with contextlib.suppress(OSError):
            if watcher.stdin is not None:
                watcher.stdin.close()
        try:
            watcher.wait(_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()


def _start_watcher() -> subprocess.Popen[bytes] | None:
    """Start the watcher process, in a session of its own; None where it cannot start."""
    if not sys.executable or not hasattr(os, "killpg"):
        return None
    try:
        return subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHER, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Out of this process's group: `kill -9 -PGID` of the runner must not take it.
            start_new_session=True,
        )
    except OSError:
        return None


_LIVE_GROUPS = _LiveGroups()


@atexit.register
def _kill_live_groups() -> None:
    # Registered after multiprocessing's own exit handler, so it runs first:
    # that handler joins non-daemonic children, which would wait forever for
    # a worker blocked on its pipe.
    _LIVE_GROUPS.kill_all()


def _worker_entry(
    connection: Connection,
    worker: str,
    log_path: str | None,
    start_method: str | None,
    parent: int,
    main_thread_parent: bool,
) -> None:
    """Lead a new process group, then serve tasks (the target of every worker process).

    The group holds the worker and every process its experiments start, so
    one ``killpg`` stops them all. Until ``setpgid`` runs the worker has
    started nothing, and the executor falls back to killing the worker alone.

    Args:
        connection: The worker's end of its pipe.
        worker: The worker's name.
        log_path: The file the worker's output goes to, or None.
        start_method: The ``multiprocessing`` start method for the processes
            the experiment starts, or None for the platform's default (fork
            on Linux before Python 3.14), as under ``python train.py``; a
            spawned worker would otherwise inherit spawn. An experiment may
            still choose its own: every start method's children can import
            its code (:mod:`~seedwise.experiment.child_imports`).
        parent: The executor's process id.
        main_thread_parent: Whether the executor's main thread started the
            worker (see :func:`seedwise.runner.worker.watch_parent`).
    """
    os.setpgid(0, 0)
    multiprocessing.set_start_method(start_method, force=True)
    worker_main(connection, worker, log_path, parent=parent, main_thread_parent=main_thread_parent)


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """Set ``variables`` while a worker starts: spawn copies ``os.environ``."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start workers without the ``__main__`` module that started this process.

    The spawn start method runs the parent's ``__main__`` again in each child
    (as ``__mp_main__``) unless it has neither a ``__spec__`` nor a
    ``__file__``. A worker never needs it: a function from ``__main__`` or a
    notebook travels by value. Running it again would run a script without an
    ``if __name__ == "__main__":`` guard a second time (its own
    ``seedwise.run`` included), and fail for ``python -`` (no file).
    """
    main = sys.modules.get("__main__")
    hidden = {}
    with _MAIN_LOCK:
        if main is not None:
            for attribute in ("__spec__", "__file__"):
                if attribute in vars(main):
                    hidden[attribute] = vars(main)[attribute]
            main.__spec__ = None
            vars(main).pop("__file__", None)
        try:
            yield
        finally:
            if main is not None:
                for attribute, value in hidden.items():
                    setattr(main, attribute, value)
                if "__spec__" not in hidden:
                    vars(main).pop("__spec__", None)


@dataclass
class _Worker:
    name: str
    process: BaseProcess
    connection: Connection
    environment: tuple[tuple[str, str], ...]
    task: RunTask | None = None
    deadline: float | None = None
    sent: float = 0.0
    started: float | None = None
    runs: int = 0


def describe_exit(exitcode: int | None) -> str:
    """Say how a worker process ended, e.g. ``killed by signal SIGKILL``."""
    if exitcode is None:
        return "worker process vanished"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        hint = " (killed from outside, e.g. for memory)" if name == "SIGKILL" else ""
        return f"worker killed by signal {name}{hint}"
    return f"worker exited with code {exitcode}"


class LocalExecutor:
    """A pool of warm worker processes on this machine.

    Args:
        workers: How many processes run at once.
        timeout: Seconds a run may take before its worker is killed, or None;
            counted from the moment the experiment starts (the worker's start
            and the experiment's loading get up to 300 s more).
        runs_per_worker: Retire a worker after this many runs (1: every run in
            a fresh process); None to keep workers warm.
        log_dir: A folder for each worker's output (``<worker>.log``); None to
            let workers print to this process's terminal.
    """

    def __init__(
        self,
        workers: int,
        timeout: float | None = None,
        *,
        runs_per_worker: int | None = None,
        log_dir: Path | None = None,
    ):
        self._size = workers
        self._timeout = timeout
        self._runs_per_worker = runs_per_worker
        self._log_dir = log_dir
        self._retired: list[BaseProcess] = []
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._names = itertools.count(1)

    def _start_worker(self, environment: dict[str, str]) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        name = f"w{next(self._names)}"
        log_path = None if self._log_dir is None else str(self._log_dir / f"{name}.log")
        process = self._context.Process(
            target=_worker_entry,
            # The platform's default for the experiment's own processes, whatever this
            # process chose, as under ``python train.py``.
            # The kernel's parent-death signal follows the thread that starts the worker:
            # asked for only when that is the main thread, which ends with this process.
            args=(
                child,
                name,
                log_path,
                None,
                os.getpid(),
                threading.current_thread() is threading.main_thread(),
            ),
            name=f"seedwise-{name}",
            daemon=False,
        )
        with _environment(environment), _main_module_hidden():
            process.start()
        child.close()
        assert process.pid is not None
        _LIVE_GROUPS.add(process.pid)
        worker = _Worker(
            name=name,
            process=process,
            connection=parent,
            environment=tuple(sorted(environment.items())),
        )
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
        environment = worker_environment(task.settings)
        key = tuple(sorted(environment.items()))
        idle = [w for w in self._workers if w.task is None]
        matching = [w for w in idle if w.environment == key]
        if matching:
            worker = matching[0]
        else:
            # An idle worker of other settings would only hold a slot: retire it.
            for other in idle[: max(0, len(self._workers) - self._size + 1)]:
                self._retire(other)
            worker = self._start_worker(environment)
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
                        self._kill(worker)
                        self._discard(worker)
                        continue
                    worker.task = None
                    worker.runs += 1
                    self._retire_if_done(worker)
                    continue
                except (EOFError, OSError):
                    pass
            if worker.connection in ready or worker.process.sentinel in ready:
                # A worker that is ending by itself (its pipe closes first) is let finish,
                # so that its exit code, not the SIGKILL below, says how it ended.
                wait([worker.process.sentinel], timeout=_EXIT_GRACE_S)
                # What the crashed worker started dies with it.
                self._end_group(worker.process)
                worker.process.join(_STOP_GRACE_S)
                records.extend(
                    self._lost(worker, RunStatus.CRASHED, describe_exit(worker.process.exitcode))
                )
            elif worker.deadline is not None and now >= worker.deadline:
                self._kill(worker)
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

    def _retire_if_done(self, worker: _Worker) -> None:
        if self._runs_per_worker is not None and worker.runs >= self._runs_per_worker:
            self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            worker.connection.send(None)
        self._retired.append(worker.process)
        self._discard(worker)

    def _lost(self, worker: _Worker, status: RunStatus, error: str) -> list[RunRecord]:
        """Records of a task whose worker died or was killed: one per run of its chain."""
        task = worker.task
        assert task is not None
        self._discard(worker)
        duration = time.monotonic() - (worker.sent if worker.started is None else worker.started)
        return task.ended(status, error, worker=worker.name, started=time.time() - duration)

    def _kill(self, worker: _Worker) -> None:
        """Kill ``worker`` and every process of its group, and reap it."""
        self._end_group(worker.process)
        if worker.process.exitcode is None:
            # Killed before it made its group: it has started nothing yet.
            worker.process.kill()
        worker.process.join(_STOP_GRACE_S)

    @staticmethod
    def _end_group(process: BaseProcess) -> None:
        """Kill the process group ``process`` leads, if it made one.

        Called before ``process`` is reaped: until then its pid, and so the
        group's id, cannot be reused by another process.
        """
        pid = process.pid
        if pid is None:
            return
        _LIVE_GROUPS.discard(pid)
        with contextlib.suppress(OSError):
            if os.getpgid(pid) != pid:
                return
        _kill_group(pid)

    def _discard(self, worker: _Worker) -> None:
        worker.connection.close()
        self._workers.remove(worker)

    def cancel(self) -> list[RunTask]:
        """Kill every busy worker; return the tasks they held."""
        stopped = []
        for worker in [w for w in self._workers if w.task is not None]:
            stopped.append(worker.task)
            self._kill(worker)
            self._discard(worker)
        return [task for task in stopped if task is not None]

    def shutdown(self) -> None:
        """Ask idle workers to exit, kill busy ones, and wait for all."""
        self.cancel()
        for worker in list(self._workers):
            with contextlib.suppress(OSError, BrokenPipeError):
                worker.connection.send(None)
        deadline = time.monotonic() + _STOP_GRACE_S
        processes = [worker.process for worker in self._workers] + self._retired
        pending = {process.sentinel: process for process in processes}
        while pending:
            left = deadline - time.monotonic()
            ended = wait(list(pending), timeout=max(0.0, left))
            for sentinel in ended:
                pending.pop(sentinel)  # type: ignore[arg-type]
            if not ended and left <= 0:
                break
        # Exited workers are not reaped yet, so their group ids are still theirs.
        for process in processes:
            self._end_group(process)
            if process.exitcode is None:
                process.kill()
            process.join(_STOP_GRACE_S)
        for worker in list(self._workers):
            self._discard(worker)
        self._retired.clear()
