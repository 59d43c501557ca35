"""Worker processes on this machine: how they start, who watches them, how they end.

A worker is a fresh interpreter (spawn start method) that leads its own
process group, so that one ``killpg`` stops it and every process its
experiments started. :class:`WorkerProcess` is the runner's handle on one;
:mod:`seedwise.runner.local` runs tasks on them and
:mod:`seedwise.runner.pool` keeps idle ones warm between studies.

Should this process be killed outright (SIGKILL, the OOM killer), a small
watcher process of its own, which needs no interpreter lock of the runner or
of a worker, kills every worker's group within 0.2 s; a worker started by the
main thread is also killed by the kernel itself the moment the runner dies
(see :func:`seedwise.runner.worker.watch_parent`). At exit, every group still
held is killed.
"""

from __future__ import annotations

import atexit
import contextlib
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
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess

from seedwise.runner.tasks import RunTask
from seedwise.runner.worker import worker_main

__all__ = [
    "START_LOCK",
    "STOP_GRACE_S",
    "WorkerProcess",
    "alone_in_group",
    "cpu_seconds",
    "describe_exit",
    "end_group",
    "kill_worker",
    "spawn_state",
    "start_worker",
    "stop_processes",
]

#: How long workers asked to exit may take before they are killed.
STOP_GRACE_S = 5.0


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
            watcher.wait(STOP_GRACE_S)
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


# Held while a worker starts: spawn copies ``os.environ``, ``sys.path`` and the working
# folder, which :func:`_environment` and :func:`_main_module_hidden` change meanwhile, so
# two threads (an Optuna search with ``n_jobs=2``) must not start workers at once; and
# held by :func:`spawn_state`, so that nobody reads them half changed.
START_LOCK = threading.RLock()


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
    with START_LOCK:
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
class WorkerProcess:
    """The runner's handle on one worker process.

    Attributes:
        name: The worker's name in its current executor (``w1``, ``w2``...),
            recorded with each run.
        process: The process.
        connection: The runner's end of its pipe.
        environment: The variables of :func:`~seedwise.runner.tasks.worker_environment`
            it started with.
        task: The task it holds, or None when idle.
        deadline: When the task it holds times out (``time.monotonic()``), or None.
        sent: When the task was sent.
        started: When the task's experiment started, or None before.
        runs: Tasks it has finished.
        warm_key: What must match for it to be kept warm for another study
            (:class:`~seedwise.runner.pool.WarmKey`), or None when it may not be.
        lent: It came warm from the pool (its first run had no start to pay for).
    """

    name: str
    process: BaseProcess
    connection: Connection
    environment: tuple[tuple[str, str], ...]
    task: RunTask | None = None
    deadline: float | None = None
    sent: float = 0.0
    started: float | None = None
    runs: int = 0
    warm_key: object | None = None
    lent: bool = False


def spawn_state(variables: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """What a worker started now with ``variables`` would hold: its whole environment.

    With the working folder and ``sys.path`` (spawn copies both), as sorted pairs.
    """
    with START_LOCK:
        environment = {**os.environ, **variables}
        state = {f"env:{name}": value for name, value in environment.items()}
        state["cwd"] = os.getcwd()
        state["sys.path"] = os.pathsep.join(sys.path)
    return tuple(sorted(state.items()))


def start_worker(
    context: SpawnContext, name: str, log_path: str | None, environment: dict[str, str]
) -> WorkerProcess:
    """Start a worker process with ``environment`` added to this process's, logging to ``log_path``.

    Args:
        context: The spawn context.
        name: The worker's name.
        log_path: The file its output goes to, or None for this process's terminal.
        environment: Variables set for it (hash seed, thread counts).
    """
    parent, child = context.Pipe(duplex=True)
    process = context.Process(
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
    with START_LOCK, _environment(environment), _main_module_hidden():
        process.start()
    child.close()
    assert process.pid is not None
    _LIVE_GROUPS.add(process.pid)
    return WorkerProcess(
        name=name,
        process=process,
        connection=parent,
        environment=tuple(sorted(environment.items())),
    )


def end_group(process: BaseProcess) -> None:
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


def kill_worker(worker: WorkerProcess) -> None:
    """Kill ``worker`` and every process of its group, and reap it."""
    end_group(worker.process)
    if worker.process.exitcode is None:
        # Killed before it made its group: it has started nothing yet.
        worker.process.kill()
    worker.process.join(STOP_GRACE_S)


def stop_processes(processes: list[BaseProcess], grace: float = STOP_GRACE_S) -> None:
    """Wait up to ``grace`` seconds for workers asked to exit, then kill what is left of them.

    Every process's group is killed too: what an experiment left running
    goes with its worker.
    """
    deadline = time.monotonic() + grace
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
        end_group(process)
        if process.exitcode is None:
            process.kill()
        process.join(STOP_GRACE_S)


def alone_in_group(pid: int) -> bool:
    """Whether the group ``pid`` leads holds no live process but ``pid`` itself.

    Read from ``/proc``; where there is none, the answer is False, so that no
    worker is kept warm with processes of its runs still about.
    """
    try:
        entries = os.listdir("/proc")
    except OSError:
        return False
    for entry in entries:
        if not entry.isdigit() or int(entry) == pid:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the name: state, ppid, pgrp. A zombie waits only to be reaped.
        if len(fields) > 2 and int(fields[2]) == pid and fields[0] not in (b"Z", b"X"):
            return False
    return True


def cpu_seconds(pid: int) -> float | None:
    """The CPU seconds process ``pid`` has used (its reaped children's included).

    From Linux's ``/proc``; None elsewhere, or once the process is gone.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return None
    # Past the command's name, which may hold spaces: utime, stime, cutime, cstime
    # are the 14th to 17th fields, counted in clock ticks.
    fields = text.rsplit(b")", 1)[-1].split()
    if len(fields) < 15:
        return None
    try:
        ticks = sum(int(value) for value in fields[11:15])
    except ValueError:
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


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
