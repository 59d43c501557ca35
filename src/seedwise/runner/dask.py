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
  with the tasks (:mod:`seedwise.experiment.code.bundle`); a function from a
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

import contextlib
import itertools
import logging
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from seedwise.errors import UsageError
from seedwise.experiment.code.bundle import CodeBundle, bundle_code
from seedwise.experiment.code.identity import CodeIdentity, code_identity
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.dask_worker import Outcome, Payload, end_run_processes, run_on_dask_worker
from seedwise.runner.tasks import RunTask

__all__ = [
    "SCHEDULER_VARIABLE",
    "DaskExecutor",
    "DaskExecutorFactory",
    "check_scheduler_address",
    "dask_factory",
]

#: The environment variable that names a scheduler for ``--executor dask``.
SCHEDULER_VARIABLE = "SEEDWISE_DASK_SCHEDULER"

_SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")
_CONNECT_TIMEOUT_S = 10.0


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


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM while a Dask client or cluster starts or closes; deliver after.

    Dask's start-up and close wait in the main thread for its event loop's
    thread. A ``KeyboardInterrupt`` raised into that wait is swallowed
    there or leaves a half-started cluster behind (its threads, and an exit
    that fails on it), and the default SIGTERM ends the runner before it
    can say how to resume. So the first signal that arrives meanwhile is
    kept and raised again once Dask is done, into whatever handler was
    there before: the run loop's stop request, which stops the sweep at its
    first poll, or Python's own. Yields the signals held so far, for a
    wait that can end early on one (see :func:`_connect`).
    """
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield held
    except Exception:
        # A start that failed after a signal (a scheduler that never answered): the
        # signal says what the user wants now, not the error.
        if held:
            raise KeyboardInterrupt from None
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if held:
        signal.raise_signal(held[0])


def _connect(distributed: Any, address: str, held: list[int]) -> Any:
    """A client on the scheduler at ``address``, connected within the connect timeout.

    The client connects in a thread of its own while this one waits: a
    scheduler that accepts the connection and never answers holds
    ``distributed.Client`` past its own ``timeout``, and a signal in
    ``held`` ends the wait at once (nothing of the cluster's is on this
    machine to clean up). A client that connects after the wait was given
    up is closed.

    Raises:
        TimeoutError: No answer within the connect timeout.
        KeyboardInterrupt: A signal arrived meanwhile.
    """
    made: list[Any] = []
    failed: list[BaseException] = []
    given_up = threading.Event()

    def connect() -> None:
        try:
            client = distributed.Client(address, timeout=_CONNECT_TIMEOUT_S, set_as_default=False)
        except BaseException as error:  # handed to the waiting thread
            failed.append(error)
            return
        made.append(client)
        if given_up.is_set():
            with contextlib.suppress(Exception):
                client.close()

    thread = threading.Thread(target=connect, name="seedwise-dask-connect", daemon=True)
    thread.start()
    deadline = time.monotonic() + _CONNECT_TIMEOUT_S
    while thread.is_alive() and not held and time.monotonic() < deadline:
        thread.join(0.05)
    if thread.is_alive():
        given_up.set()
        # Checked on both sides: whichever of the two threads comes second closes it.
        for late in made:
            with contextlib.suppress(Exception):
                late.close()
        if held:
            raise KeyboardInterrupt
        raise TimeoutError(f"no answer within {_CONNECT_TIMEOUT_S:g} s")
    if failed:
        raise failed[0]
    return made[0]


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
        key = task.experiment.text
        if key not in self._bundles:
            self._bundles[key] = (bundle_code(task.experiment), code_identity(task.experiment))
        return self._bundles[key]

    def submit(self, task: RunTask) -> None:
        """Send ``task`` to the cluster as one Dask task."""
        bundle, identity = self._code(task)
        for run in task.chain():
            Path(run.workdir).parent.mkdir(parents=True, exist_ok=True)
        payload = Payload(
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
            # Gathering a result picks among the workers that hold it with the global
            # ``random.choice`` (distributed.utils_comm), in this process when the
            # scheduler is (a local or Slurm cluster's): the user's global Python
            # generator is kept as it was.
            state = random.getstate()
            try:
                outcome: Outcome = future.result()
            finally:
                random.setstate(state)
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
        return task.ended(RunStatus.CRASHED, reason, worker="dask")

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
        """Stop what is in flight, close the client and the cluster this executor made.

        A local cluster's run processes are this process's children; they
        are killed once its workers have closed.
        """
        with _signals_held():
            self.cancel()
            workers = self._local_workers()
            if self._close_client:
                with contextlib.suppress(Exception):
                    self._client.close()
            if self._cluster is not None:
                with contextlib.suppress(Exception):
                    self._cluster.close()
            end_run_processes(workers)

    def _local_workers(self) -> set[str]:
        """The names the workers of the local cluster this executor made give their runs."""
        if self._cluster is None:
            return set()
        with contextlib.suppress(Exception):
            return {f"dask:{worker.address}" for worker in self._cluster.workers.values()}
        return set()


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
        started: DaskExecutor | None = None
        try:
            with _signals_held() as held:
                started = self._start(distributed, workers, held)
        except BaseException:
            # The held signal, delivered to Python's own handler, raised: nothing runs yet.
            if started is not None:
                started.shutdown()
            raise
        return started

    def _start(self, distributed: Any, workers: int | None, held: list[int]) -> DaskExecutor:
        """A client on the scheduler, or a local cluster and its client."""
        if self.scheduler is not None:
            try:
                client = _connect(distributed, self.scheduler, held)
            except (OSError, TimeoutError) as error:
                raise UsageError(
                    f"Cannot reach the Dask scheduler: {_first_line(error)}. Received: "
                    f"scheduler={self.scheduler!r}; expected a running `dask scheduler` at "
                    "that address"
                ) from None
            return self._executor(client, close_client=True)
        count = workers or self.workers or os.cpu_count() or 1
        # Workers as threads of this process: each run still runs in a run process of its
        # own, which leads its own process group, so a Ctrl-C at the terminal (SIGINT to
        # the whole foreground group) reaches this runner only, as with local workers.
        cluster = distributed.LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=False,
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
