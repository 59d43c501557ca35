"""The Dask worker's side of runs on a cluster: each task handed to a run process.

A Dask task calls :func:`run_on_dask_worker`, which hands the task to this
worker thread's **run process**: a fresh interpreter started with the
study's :func:`~seedwise.runner.tasks.worker_environment`, leading its own
process group, serving :func:`child_main` over a socket. It places the code
that travelled with the task, checks its identity, enforces the timeout and
the runner's stop, and sends back the records (and the run's files when its
folder was not the submitter's). :mod:`seedwise.runner.dask` is the
submitting side.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from seedwise.experiment.code.bundle import CodeBundle
from seedwise.experiment.code.identity import CodeIdentity, code_identity, describe_change
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.processes import describe_exit
from seedwise.runner.tasks import RunTask, worker_environment
from seedwise.runner.worker import execute_chain, watch_parent

__all__ = ["Outcome", "Payload", "child_main", "end_run_processes", "run_on_dask_worker"]

_POLL_S = 0.2
_STOP_CHECK_S = 1.0
#: The most bytes of a run's output.log sent back from a worker without the run's folder.
_OUTPUT_TAIL = 1 << 20


def _checked_chain(
    task: RunTask, expected: CodeIdentity | None, worker: str, cache: dict[str, Any]
) -> list[RunRecord]:
    """Run ``task`` after checking that the code here is the study's; refuse it otherwise."""
    from seedwise.errors import ExperimentError

    if expected is not None:
        key = f"identity:{task.experiment.text}"
        try:
            if key not in cache:
                cache[key] = code_identity(task.experiment)
            here: CodeIdentity = cache[key]
        except ExperimentError as error:
            return task.ended(RunStatus.FAILED, f"ExperimentError: {error}", worker=worker)
        if here.digest != expected.digest:
            return task.ended(
                RunStatus.FAILED,
                "CodeMismatch: the experiment's code where the run landed is not the study's "
                f"({describe_change(expected.files, here.files)}). Received: "
                f"code={here.digest[:12]} on {socket.gethostname()}; expected "
                f"code={expected.digest[:12]}, the code the study was begun with",
                worker=worker,
            )
    return execute_chain(task, worker, cache)


def child_main(descriptor: int) -> None:
    """Serve runs sent over the socket ``descriptor`` until it sends None or closes.

    The entry point of a run process (``python -c``); each message is
    ``(task, expected code identity, worker name)`` and each answer the
    task's records.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent()
    connection = Connection(descriptor)
    cache: dict[str, Any] = {}
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task, expected, worker = message
        connection.send(_checked_chain(task, expected, worker, cache))


@dataclass
class _RunProcess:
    process: subprocess.Popen[bytes]
    connection: Connection
    environment: tuple[tuple[str, str], ...]
    worker: str
    runs: int = 0

    def kill(self) -> None:
        """Kill the run process's group and reap it (safe from any thread, and twice)."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        _LIVE.discard(self)

    def end(self) -> None:
        """Kill the run process's group, reap it and close the socket to it."""
        self.kill()
        with contextlib.suppress(OSError):
            self.connection.close()

    def __hash__(self) -> int:
        return id(self)


_LIVE: set[_RunProcess] = set()
_THREAD = threading.local()


@atexit.register
def _end_live() -> None:
    for child in list(_LIVE):
        child.end()


def end_run_processes(workers: Collection[str]) -> None:
    """Kill the run processes that the Dask workers named ``workers`` started in this process.

    A local cluster's workers are threads of the runner, and their run
    processes its children: closing the cluster ends the threads, not the
    processes, which would otherwise wait, warm and idle, until the runner
    exits. Only killed and reaped here: the socket belongs to the worker
    thread, which may still be polling it, and sees it close.
    """
    for child in list(_LIVE):
        if child.worker in workers:
            child.kill()


def _start(environment: dict[str, str], cwd: str | None, code: str, worker: str) -> _RunProcess:
    parent, child = socket.socketpair()
    command = f"from seedwise.runner.dask_worker import child_main; child_main({child.fileno()})"
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", command],
            env={**os.environ, **environment},
            pass_fds=(child.fileno(),),
            start_new_session=True,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    finally:
        child.close()
    connection = Connection(parent.detach())
    started = _RunProcess(process, connection, (*sorted(environment.items()), ("", code)), worker)
    _LIVE.add(started)
    return started


def _run_process(
    environment: dict[str, str], cwd: str | None, code: str, worker: str
) -> _RunProcess:
    """This thread's warm run process for ``environment`` and ``code``, started if it has none.

    A run process serves one experiment's code, as a local worker serves one
    study: what a run leaves in its process (imported modules, the
    environment fingerprint) never meets another experiment's runs.
    """
    key = (*sorted(environment.items()), ("", code))
    current: _RunProcess | None = getattr(_THREAD, "child", None)
    if current is not None and (current.environment != key or current.process.poll() is not None):
        current.end()
        current = None
    if current is None:
        current = _start(environment, cwd, code, worker)
        _THREAD.child = current
    return current


@dataclass(frozen=True)
class Payload:
    """What one Dask task carries to the worker."""

    task: RunTask
    bundle: CodeBundle | None
    identity: CodeIdentity | None
    timeout: float | None
    runs_per_process: int | None
    stop_event: str | None
    cwd: str


@dataclass
class Outcome:
    """What one Dask task sends back: the records, and the files of runs made elsewhere."""

    records: list[RunRecord]
    files: dict[str, bytes] = field(default_factory=dict)


def _dask_worker() -> tuple[str, Path]:
    """The name and local directory of the Dask worker this runs on."""
    try:
        from distributed import get_worker

        worker = get_worker()
        return f"dask:{worker.address}", Path(worker.local_directory)
    except (ImportError, ValueError):
        return f"dask:{socket.gethostname()}", Path(tempfile.gettempdir())


def _stop_requested(name: str | None) -> bool:
    if name is None:
        return False
    try:
        from distributed import Event

        return bool(Event(name).is_set())
    except Exception:
        return False


def _lost(task: RunTask, worker: str, status: RunStatus, error: str, began: float) -> Outcome:
    return Outcome(task.ended(status, error, worker=worker, started=began))


def _each_run(task: RunTask, change: Callable[[RunTask], RunTask]) -> RunTask:
    """``task`` with ``change`` applied to it and to every run it carries (warm-ups, batch)."""
    carried: dict[str, Any] = {
        item.name: tuple(change(run) for run in getattr(task, item.name))
        for item in fields(task)
        if isinstance(getattr(task, item.name), tuple)
        and getattr(task, item.name)
        and all(isinstance(run, RunTask) for run in getattr(task, item.name))
    }
    return replace(change(task), **carried)


def _relocate(task: RunTask, local: Path) -> RunTask:
    """The task with its runs' folders under ``local`` when the submitter's are not here."""
    if Path(task.workdir).parent.is_dir():
        return task

    def moved(run: RunTask) -> RunTask:
        path = Path(run.workdir)
        return replace(run, workdir=str(local / "seedwise-runs" / path.parent.name / path.name))

    return _each_run(task, moved)


def _files_back(original: RunTask, here: RunTask) -> dict[str, bytes]:
    """Each run's ``output.log`` (its end) and captured tensors, by their submitter path."""
    files: dict[str, bytes] = {}
    for sent, ran in zip(original.chain(), here.chain(), strict=True):
        folder = Path(ran.workdir)
        wanted = [folder / "output.log", *sorted((folder / "capture").glob("*"))]
        for path in wanted:
            with contextlib.suppress(OSError):
                data = path.read_bytes()
                if path.name == "output.log":
                    data = data[-_OUTPUT_TAIL:]
                files[str(Path(sent.workdir) / path.relative_to(folder))] = data
    return files


def run_on_dask_worker(payload: Payload) -> Outcome:
    """Run one task in this Dask worker thread's run process (the function of every Dask task).

    Returns:
        The task's records, one per run of its chain; and, when the runs'
        folders were not the submitter's, their output and captures.
    """
    worker, local = _dask_worker()
    began = time.time()
    task = _relocate(payload.task, local)
    environment = worker_environment(task.settings)
    if payload.bundle is not None:
        placed = payload.bundle.place(task.experiment, local / "seedwise-code")
        task = _each_run(task, lambda each: replace(each, experiment=placed.experiment))
        if placed.import_paths:
            inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
            environment["PYTHONPATH"] = os.pathsep.join([*placed.import_paths, *inherited])
    cwd = payload.cwd if os.path.isdir(payload.cwd) else None
    code = task.experiment.text
    if payload.identity is not None:
        code += f"@{payload.identity.digest}"
    child = _run_process(environment, cwd, code, worker)
    try:
        child.connection.send((task, payload.identity, worker))
    except OSError:
        child.end()
        return _lost(task, worker, RunStatus.CRASHED, describe_exit(child.process.poll()), began)
    deadline = None if payload.timeout is None else time.monotonic() + payload.timeout
    next_stop_check = time.monotonic() + _STOP_CHECK_S
    while True:
        if child.connection.poll(_POLL_S):
            try:
                records: list[RunRecord] = child.connection.recv()
                break
            except (EOFError, OSError):
                pass
        if child.process.poll() is not None or child.connection.closed:
            child.end()
            reason = describe_exit(child.process.returncode)
            return _lost(task, worker, RunStatus.CRASHED, reason, began)
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            child.end()
            reason = f"run exceeded the timeout of {payload.timeout:g} s"
            return _lost(task, worker, RunStatus.TIMEOUT, reason, began)
        if now >= next_stop_check:
            next_stop_check = now + _STOP_CHECK_S
            if _stop_requested(payload.stop_event):
                child.end()
                return _lost(task, worker, RunStatus.CRASHED, "stopped by the runner", began)
    child.runs += 1
    if payload.runs_per_process is not None and child.runs >= payload.runs_per_process:
        with contextlib.suppress(OSError):
            child.connection.send(None)
        child.end()
        _THREAD.child = None
    moved = task.workdir != payload.task.workdir
    return Outcome(records, _files_back(payload.task, task) if moved else {})
