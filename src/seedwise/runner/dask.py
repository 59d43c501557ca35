"""Runs on a Dask cluster: a local one, or one that a scheduler address names.

The store stays with the runner that submits: each run is one Dask task, and
what comes back is the run's whole :class:`~seedwise.records.RunRecord`,
stored by the sweep as it arrives, as with local workers.

Where a task lands, the Dask worker does not run the experiment itself: it
hands the task to a **run process** of its own, a fresh interpreter started
with :func:`~seedwise.runner.tasks.worker_environment` of the study's
settings (``PYTHONHASHSEED`` and thread counts are set before that
interpreter starts, as for local workers), which then serves that worker
thread's later runs of the same settings warm, through
:func:`~seedwise.runner.worker.execute_chain`. So the hash seed, the thread
counts, deterministic ops and framework seeding hold on a Dask worker as they
do locally, whatever environment the Dask worker itself was started with.

- The run process leads its own process group. A run past ``timeout`` has
  the group killed and is recorded ``timeout``; a run process that dies (a
  segfault, ``os._exit``, killed for memory) gives a ``crashed`` record with
  its exit code or signal, and the next run starts a new one.
- A Dask worker that dies mid-run (its machine lost, ``kill -9``): Dask
  reruns the task on another worker, as it does for any task, up to the
  scheduler's ``distributed.scheduler.allowed-failures`` (3 by default);
  past that the run is recorded ``crashed`` with Dask's reason. A rerun gives
  the same result, as a run's result depends only on its code, config, seed
  and settings. A run process watches its Dask worker and kills its group
  when the worker is gone, so nothing is left running.
- Code travels: the experiment's file and the user's modules it imports go
  with the tasks (:mod:`seedwise.experiment.bundle`); a function from a
  notebook travels by value. The run process computes the code identity of
  what it is about to run and refuses (a ``failed`` run) code that is not the
  study's. seedwise and the frameworks must be installed on the workers.
- A run's folder (``ctx.workdir``, ``output.log``) is the submitter's path
  when its parent folder exists where the run lands (a shared filesystem, a
  local cluster); otherwise a folder under the Dask worker's local
  directory, and the run's ``output.log`` and captured tensors come back
  with its record.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from seedwise.errors import UsageError
from seedwise.experiment.bundle import CodeBundle, bundle_code
from seedwise.experiment.identity import CodeIdentity, code_identity, describe_change
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.local import describe_exit
from seedwise.runner.tasks import RunTask, worker_environment

__all__ = [
    "SCHEDULER_VARIABLE",
    "DaskExecutor",
    "DaskExecutorFactory",
    "check_scheduler_address",
    "child_main",
    "dask_factory",
    "run_on_dask_worker",
]

#: The environment variable that names a scheduler for ``--executor dask``.
SCHEDULER_VARIABLE = "SEEDWISE_DASK_SCHEDULER"

_SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")
_POLL_S = 0.2
_STOP_CHECK_S = 1.0
_CONNECT_TIMEOUT_S = 10.0
#: The most bytes of a run's output.log sent back from a worker without the run's folder.
_OUTPUT_TAIL = 1 << 20


def check_scheduler_address(address: str) -> str:
    """Return ``address`` if it looks like a Dask scheduler address, else raise.

    Raises:
        UsageError: No ``scheme://host:port``.
    """
    text = address.strip() if isinstance(address, str) else ""
    host_port = next((text[len(s) :] for s in _SCHEMES if text.startswith(s)), None)
    if not host_port or (":" not in host_port and not text.startswith("inproc://")):
        raise UsageError(
            f"Not a Dask scheduler address. Received: scheduler={address!r}; expected "
            "tcp://HOST:PORT (or tls://, ws://, wss://), as `dask scheduler` prints it"
        )
    return text


# ---------------------------------------------------------------------------
# The run process, on a Dask worker's machine.


def _watch_parent(parent: int) -> None:
    """Kill this process's group once the Dask worker that started it is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.killpg(0, signal.SIGKILL)


def _refused(task: RunTask, worker: str, error: str) -> list[RunRecord]:
    now = time.time()
    return [
        RunRecord(
            study=run.study,
            repeat=run.repeat,
            seed=run.seed,
            status=RunStatus.FAILED,
            error=error,
            started=now,
            finished=now,
            duration=0.0,
            worker=worker,
        )
        for run in task.chain()
    ]


def _checked_chain(
    task: RunTask, expected: CodeIdentity | None, worker: str, cache: dict[str, Any]
) -> list[RunRecord]:
    """Run ``task`` after checking that the code here is the study's; refuse it otherwise."""
    from seedwise.errors import ExperimentError
    from seedwise.runner.worker import execute_chain

    if expected is not None:
        key = f"identity:{task.experiment.reference}"
        try:
            if key not in cache:
                cache[key] = code_identity(task.experiment)
            here: CodeIdentity = cache[key]
        except ExperimentError as error:
            return _refused(task, worker, f"ExperimentError: {error}")
        if here.digest != expected.digest:
            return _refused(
                task,
                worker,
                "CodeMismatch: the experiment's code where the run landed is not the study's "
                f"({describe_change(expected.files, here.files)}). Received: "
                f"code={here.digest[:12]} on {socket.gethostname()}; expected "
                f"code={expected.digest[:12]}, the code the study was begun with",
            )
    return execute_chain(task, worker, cache)


def child_main(descriptor: int) -> None:
    """Serve runs sent over the socket ``descriptor`` until it sends None or closes.

    The entry point of a run process (``python -c``); each message is
    ``(task, expected code identity, worker name)`` and each answer the
    task's records.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
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
    runs: int = 0

    def end(self) -> None:
        """Kill the run process's group and reap it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.connection.close()
        self.process.wait()
        _LIVE.discard(self)

    def __hash__(self) -> int:
        return id(self)


_LIVE: set[_RunProcess] = set()
_THREAD = threading.local()


@atexit.register
def _end_live() -> None:
    for child in list(_LIVE):
        child.end()


def _start(environment: dict[str, str], cwd: str | None, code: str) -> _RunProcess:
    parent, child = socket.socketpair()
    command = f"from seedwise.runner.dask import child_main; child_main({child.fileno()})"
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
    started = _RunProcess(process, connection, (*sorted(environment.items()), ("", code)))
    _LIVE.add(started)
    return started


def _run_process(environment: dict[str, str], cwd: str | None, code: str) -> _RunProcess:
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
        current = _start(environment, cwd, code)
        _THREAD.child = current
    return current


@dataclass(frozen=True)
class _Payload:
    """What one Dask task carries to the worker."""

    task: RunTask
    bundle: CodeBundle | None
    identity: CodeIdentity | None
    timeout: float | None
    runs_per_process: int | None
    stop_event: str | None
    cwd: str


@dataclass
class _Outcome:
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


def _lost(task: RunTask, worker: str, status: RunStatus, error: str, began: float) -> _Outcome:
    finished = time.time()
    return _Outcome(
        [
            RunRecord(
                study=run.study,
                repeat=run.repeat,
                seed=run.seed,
                status=status,
                error=error,
                started=began,
                finished=finished,
                duration=finished - began,
                worker=worker,
            )
            for run in task.chain()
        ]
    )


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


def run_on_dask_worker(payload: _Payload) -> _Outcome:
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
        run = replace(task.experiment, reference=placed.source.reference)
        task = _each_run(task, lambda each: replace(each, experiment=run))
        if placed.import_paths:
            inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
            environment["PYTHONPATH"] = os.pathsep.join([*placed.import_paths, *inherited])
    cwd = payload.cwd if os.path.isdir(payload.cwd) else None
    code = task.experiment.reference
    if payload.identity is not None:
        code += f"@{payload.identity.digest}"
    child = _run_process(environment, cwd, code)
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
    return _Outcome(records, _files_back(payload.task, task) if moved else {})


# ---------------------------------------------------------------------------
# The executor, in the runner's process.


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


class DaskExecutor:
    """Runs tasks as Dask tasks, each in a run process on a Dask worker.

    Args:
        client: A connected ``distributed.Client``.
        timeout: Seconds a run may take before its run process is killed, or None.
        runs_per_process: End a run process after this many runs (1: every
            run in a fresh process); None to keep run processes warm.
        cluster: A cluster this executor made and closes on :meth:`shutdown`.
        close_client: Close ``client`` on :meth:`shutdown`.
    """

    def __init__(
        self,
        client: Any,
        timeout: float | None = None,
        *,
        runs_per_process: int | None = None,
        cluster: Any = None,
        close_client: bool = False,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._runs_per_process = runs_per_process
        self._cluster = cluster
        self._close_client = close_client
        self._futures: dict[Any, RunTask] = {}
        self._bundles: dict[str, tuple[CodeBundle | None, CodeIdentity | None]] = {}
        self._stop_event = f"seedwise-stop-{uuid.uuid4().hex}"
        self._threads = 0
        self._threads_at = -1.0
        self._keys = itertools.count()
        self._cwd = os.getcwd()

    def _slots(self) -> int:
        now = time.monotonic()
        if now - self._threads_at > 1.0:
            self._threads = sum(self._client.nthreads().values())
            self._threads_at = now
        # With no worker yet (a batch job still queued) one task waits in Dask's queue.
        return max(self._threads, 1)

    def free_slots(self) -> int:
        """Threads of the cluster's workers not holding one of this executor's tasks."""
        return max(self._slots() - len(self._futures), 0)

    def _code(self, task: RunTask) -> tuple[CodeBundle | None, CodeIdentity | None]:
        key = task.experiment.reference
        if key not in self._bundles:
            self._bundles[key] = (bundle_code(task.experiment), code_identity(task.experiment))
        return self._bundles[key]

    def submit(self, task: RunTask) -> None:
        """Send ``task`` to the cluster as one Dask task."""
        bundle, identity = self._code(task)
        for run in task.chain():
            Path(run.workdir).parent.mkdir(parents=True, exist_ok=True)
        payload = _Payload(
            task=task,
            bundle=bundle,
            identity=identity,
            timeout=self._timeout,
            runs_per_process=self._runs_per_process,
            stop_event=self._stop_event,
            cwd=self._cwd,
        )
        key = f"seedwise-{task.study}-{task.repeat}-{next(self._keys)}-{uuid.uuid4().hex[:8]}"
        future = self._client.submit(run_on_dask_worker, payload, key=key, pure=False)
        self._futures[future] = task

    def wait(self, timeout: float) -> list[RunRecord]:
        """Records of the tasks that ended within ``timeout`` seconds."""
        from distributed import wait as wait_for
        from distributed.client import FIRST_COMPLETED

        if not self._futures:
            time.sleep(min(timeout, 0.05))
            return []
        try:
            with self._client.as_current():
                done, _ = wait_for(
                    list(self._futures), timeout=timeout, return_when=FIRST_COMPLETED
                )
        except TimeoutError:
            return []
        records: list[RunRecord] = []
        for future in done:
            task = self._futures.pop(future)
            records.extend(self._records(future, task))
        return records

    def _records(self, future: Any, task: RunTask) -> list[RunRecord]:
        if future.status == "finished":
            outcome: _Outcome = future.result()
            for name, data in outcome.files.items():
                path = Path(name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            return outcome.records
        try:
            error = future.exception()
        except Exception as caught:  # cancelled, or the scheduler lost it
            error = caught
        reason = f"the Dask task failed: {_first_line(error)}"
        if type(error).__name__ == "KilledWorker":
            reason = (
                "the Dask workers running it died (Dask reran it until the scheduler's "
                f"allowed-failures): {_first_line(error)}"
            )
        now = time.time()
        return [
            RunRecord(
                study=run.study,
                repeat=run.repeat,
                seed=run.seed,
                status=RunStatus.CRASHED,
                error=reason,
                started=now,
                finished=now,
                duration=0.0,
                worker="dask",
            )
            for run in task.chain()
        ]

    def _stop_running(self) -> None:
        from distributed import Event

        with contextlib.suppress(Exception):
            Event(self._stop_event, client=self._client).set()

    def cancel(self) -> list[RunTask]:
        """Stop every task in flight (their run processes are killed); return them."""
        stopped = list(self._futures.values())
        if self._futures:
            self._stop_running()
            with contextlib.suppress(Exception):
                self._client.cancel(list(self._futures), force=True)
        self._futures.clear()
        return stopped

    def shutdown(self) -> None:
        """Stop what is in flight, then close the client and the cluster this executor made."""
        self.cancel()
        with contextlib.suppress(Exception):
            if self._close_client:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()


@dataclass(frozen=True)
class DaskExecutorFactory:
    """Makes the Dask executor of a study: a local cluster, or a scheduler to join.

    Args:
        scheduler: A scheduler's address (``tcp://HOST:PORT``) to join; None
            for a local cluster (or ``$SEEDWISE_DASK_SCHEDULER`` when
            :func:`dask_factory` builds it).
        workers: The local cluster's worker processes, one thread each
            (default the number of cores); not allowed with ``scheduler``.
        timeout: Seconds a run may take before its run process is killed.
        runs_per_process: End a run process after this many runs (1: every
            run in a fresh process, as ``seedwise check`` needs).
        client: A connected ``distributed.Client`` to use as it is (for
            example on a ``dask_jobqueue.SLURMCluster``); it stays open.

    Example:
        >>> from dask.distributed import Client  # doctest: +SKIP
        >>> from dask_jobqueue import SLURMCluster  # doctest: +SKIP
        >>> cluster = SLURMCluster(cores=1, processes=1, memory="4GB")  # doctest: +SKIP
        >>> cluster.scale(jobs=8)  # doctest: +SKIP
        >>> factory = DaskExecutorFactory(client=Client(cluster))  # doctest: +SKIP
        >>> seedwise.run("train.py:train", repeats=30, executor=factory)  # doctest: +SKIP
    """

    scheduler: str | None = None
    workers: int | None = None
    timeout: float | None = None
    runs_per_process: int | None = None
    client: Any = None

    def __post_init__(self) -> None:
        if self.scheduler is not None:
            check_scheduler_address(self.scheduler)
            if self.workers is not None:
                raise UsageError(
                    "`workers` sizes a local Dask cluster; a scheduler's cluster has its own "
                    f"workers. Received: workers={self.workers!r}, "
                    f"scheduler={self.scheduler!r}; expected one of the two"
                )

    def create(self, *, workers: int | None = None, log_dir: Path | None = None) -> DaskExecutor:
        """A new executor on a new client (and, without a scheduler, a new local cluster).

        Args:
            workers: Overrides :attr:`workers` for a local cluster.
            log_dir: Unused: a run's output goes to its own folder.

        Raises:
            UsageError: dask is not installed, or the scheduler cannot be reached.
        """
        try:
            import distributed
        except ImportError:
            raise UsageError(
                "The Dask executor needs dask.distributed. Received: executor='dask' without "
                "it installed; expected `pip install seedwise[dask]`"
            ) from None
        if self.client is not None:
            return self._executor(self.client)
        if self.scheduler is not None:
            try:
                client = distributed.Client(
                    self.scheduler, timeout=_CONNECT_TIMEOUT_S, set_as_default=False
                )
            except (OSError, TimeoutError) as error:
                raise UsageError(
                    f"Cannot reach the Dask scheduler: {_first_line(error)}. Received: "
                    f"scheduler={self.scheduler!r}; expected a running `dask scheduler` at "
                    "that address"
                ) from None
            return self._executor(client, close_client=True)
        count = workers or self.workers or os.cpu_count() or 1
        cluster = distributed.LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        client = distributed.Client(cluster, set_as_default=False)
        return self._executor(client, cluster=cluster, close_client=True)

    def _executor(
        self, client: Any, *, cluster: Any = None, close_client: bool = False
    ) -> DaskExecutor:
        return DaskExecutor(
            client,
            self.timeout,
            runs_per_process=self.runs_per_process,
            cluster=cluster,
            close_client=close_client,
        )


def dask_factory(
    scheduler: str | None,
    *,
    workers: int | None = None,
    timeout: float | None = None,
    runs_per_process: int | None = None,
) -> DaskExecutorFactory:
    """The factory for ``executor="dask"``: ``scheduler``, else ``$SEEDWISE_DASK_SCHEDULER``.

    Raises:
        UsageError: A bad address, or ``workers`` given with a scheduler.
    """
    address = scheduler or os.environ.get(SCHEDULER_VARIABLE) or None
    return DaskExecutorFactory(
        scheduler=address, workers=workers, timeout=timeout, runs_per_process=runs_per_process
    )
