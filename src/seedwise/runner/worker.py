"""The loop of a warm worker process: receive a task, run it, send back its records.

A worker imports the frameworks once (on its first run, through
``seed_everything``) and keeps them for every later run. Before each run it
clears the Keras session, reseeds everything with the run's seed and applies
the study's thread count; after each run it restores the working folder and
the environment variables the run began with. So a run's result does not
depend on what the worker ran before.

A worker kept warm for another study (:mod:`seedwise.runner.pool`) is first
sent a :class:`Lend`: it takes its new name and log, and starts the study
as a fresh worker would, except for the installed packages it has imported
(:func:`_start_afresh`).

A worker reads nothing from its runner's terminal: its standard input is
``/dev/null``. A process an experiment forks never speaks for the worker: if
it returns from the experiment (instead of calling ``os._exit``), it exits
there and then, and only the worker's own record goes back.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from seedwise.env import collect_environment
from seedwise.errors import InvalidResultError
from seedwise.experiment import RunContext, ScriptRef, check_metrics, load_experiment
from seedwise.experiment.calling import call_experiment
from seedwise.experiment.checkpoint import CHECKPOINT_FOLDER, CheckpointFolder, OwnGenerators
from seedwise.experiment.code.identity import code_identity
from seedwise.experiment.code.user_modules import installed_roots, is_installed
from seedwise.experiment.context import running
from seedwise.experiment.fingerprint import capture_tensors
from seedwise.experiment.values import metrics_from_output
from seedwise.experiment.watch.ops import OPS_FOLDER, record_ops
from seedwise.experiment.watch.unseeded import UnseededWatch
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.batched import batch_calls, share_batch_time
from seedwise.runner.tasks import RunTask, StudySettings
from seedwise.seeding import SEEDING_VARIABLES, pause_collector_during_imports, seed_everything

__all__ = ["Lend", "detach_stdin", "execute", "execute_chain", "watch_parent", "worker_main"]


def _limit_threads(settings: StudySettings) -> None:
    """Apply the thread count to the frameworks this process has imported."""
    threads = settings.threads
    if "torch" in sys.modules:
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            # Already initialised: the values came from TF_NUM_*_THREADS at start.
            pass


def schedule_as_batch_work() -> None:
    """Schedule this process, and every thread and process it starts, as batch work.

    Linux's ``SCHED_BATCH`` policy (same priority, same share of the CPU) marks
    work as not interactive: a thread it wakes does not preempt the thread
    that woke it. Frameworks hand work between their threads many times a
    step, and some of them end a hand-over only after the wake-up: at each
    epoch's end Keras's thread wakes ``tf.data``'s tuning thread to stop it
    and waits for it; woken at once on the same core, before the stop is
    complete, the tuning thread sleeps out its 20 to 40 ms period while the
    core idles (traced with ``strace``). Measured on the tutorial's
    network (one thread, 100 epochs, pinned to one core): 6.5 s of wall time
    for 3.0 s of CPU a fit, and 3.0 s for 2.9 s as batch work, with the same
    weights bit for bit. Threads take their policy from the thread that
    starts them, so this runs before the worker starts any. Elsewhere (no
    such policy, or not allowed) the process keeps its policy.
    """
    batch = getattr(os, "SCHED_BATCH", None)
    if batch is None:
        return
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, batch, os.sched_param(0))


_import_state_frozen = False


def _clear_framework_sessions() -> None:
    """Reset Keras' global state before a run, so that no run depends on the one before.

    Keras ends its clearing with a full garbage collection, which walks every object
    TensorFlow made at import: 0.3 s of a 1.3 s fit on an idle core, 0.5 to 0.9 s under
    load (docs/benchmarks.md). Those objects outlive every run, so the first collection
    moves the survivors out of the collector's sight (``gc.freeze``), and each later one
    walks only what the runs made since. Nothing a run computes depends on when garbage
    is collected.
    """
    global _import_state_frozen
    if "keras" not in sys.modules:
        return
    import keras

    try:
        keras.backend.clear_session(free_memory=False)
    except TypeError:
        # Keras 2 (tf.keras) has no free_memory and collects nothing itself.
        keras.backend.clear_session()
    gc.collect()
    if not _import_state_frozen:
        gc.freeze()
        _import_state_frozen = True


def _first_line(error: BaseException) -> str:
    try:
        text = str(error).strip().splitlines()
    except Exception:
        # An exception whose __str__ raises still deserves its name in the record.
        text = ["(its message could not be read: its __str__ raised)"]
    detail = text[0] if text else ""
    if isinstance(error, SystemExit):
        detail = f"the experiment called sys.exit({error.code!r}); return its metrics instead"
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


class _Environment:
    """The environment fingerprint, collected once per worker after the first run."""

    def __init__(self) -> None:
        self.value: dict[str, Any] | None = None

    def get(self, task: RunTask, code_hash: str | None) -> dict[str, Any]:
        if self.value is None:
            self.value = collect_environment(
                {"settings": task.settings.to_dict(), "experiment_hash": code_hash}
            )
        return self.value


#: The file, in each run's folder, that holds everything the run printed.
OUTPUT_LOG = "output.log"


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (Python's and C libraries') to ``path`` meanwhile."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    descriptor = _open_for_writing(path, append=False)
    try:
        os.dup2(descriptor, 1)
        os.dup2(descriptor, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for handle in (descriptor, *saved):
            os.close(handle)
        _cap(path)


def _result(
    returned: Any,
    context: RunContext,
    patterns: tuple[tuple[str, str], ...],
    output: Path,
) -> dict[str, float]:
    """The run's metrics: read from its output, recorded with ``seedwise.record``, returned.

    Later sources win on a shared name; a run with none of the three fails, and so
    does one that recorded a metric twice, or whose returned result was refused
    (a Hydra callback's), even where its code caught that error.
    """
    for refused in (context.recorded_twice, context.refused_result):
        if refused is not None:
            raise refused
    metrics: dict[str, float] = {}
    if patterns:
        metrics.update(metrics_from_output(output.read_text(errors="replace"), patterns))
    metrics.update(check_metrics(context.recorded))
    if returned is not None or not metrics:
        if returned is None or (isinstance(returned, Mapping) and not returned and not metrics):
            raise InvalidResultError(
                "The run produced no metrics. Received: nothing returned, recorded or "
                "matched; expected the experiment to return a dict such as {'mse': 0.1}, "
                "to call seedwise.record(mse=...), or --metric NAME=REGEX for what it prints"
            )
        metrics.update(check_metrics(returned))
    return metrics


#: What a worker sends its executor when an experiment starts: a run's timeout counts from here.
RUN_STARTED = "run-started"


def _leave_if_forked(worker_pid: int, code: int) -> None:
    """End a process the experiment forked, should it come back out of the experiment.

    Such a child holds a copy of the worker, its pipe to the runner included;
    were it to go on, it would send a record for the run, or take the next
    task, in the worker's name. It exits at once, without the worker's
    clean-up (``os._exit``), once what it printed is flushed.
    """
    if os.getpid() == worker_pid:
        return
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


@contextlib.contextmanager
def _same_folder_and_environment() -> Iterator[None]:
    """Undo a run's ``os.chdir`` and its changes to ``os.environ`` once it ends.

    A warm worker's next run must start where and as the first one did: a
    relative path in a later run would otherwise resolve in the folder an
    earlier run moved to. Variables set while the run imported a framework are
    undone too, except those seeding sets for deterministic ops
    (``SEEDING_VARIABLES``): a framework's backend reads them once, when it
    starts, and later runs of the worker use that backend.
    """
    folder = os.getcwd()
    environment = dict(os.environ)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            # The folder may be gone (the run removed it); the run's paths are absolute.
            os.chdir(folder)
        kept = {name: os.environ[name] for name in SEEDING_VARIABLES if name in os.environ}
        if dict(os.environ) != {**environment, **kept}:
            os.environ.clear()
            os.environ.update({**environment, **kept})


# Called right before each experiment starts (after loading and seeding).
_start_listeners: list[Callable[[], None]] = []


def execute(task: RunTask, worker: str, cache: dict[str, Any]) -> RunRecord:
    """Run one task in this process and describe what happened.

    An exception in the experiment becomes a ``failed`` record with its
    traceback; nothing escapes.
    """

    started = time.time()
    clock = time.perf_counter()
    status = RunStatus.FAILED
    metrics: dict[str, float] = {}
    error: str | None = None
    trace: str | None = None
    context = None
    hooks = contextlib.ExitStack()
    watch = None
    seeding = None
    worker_pid = os.getpid()
    try:
        hooks.enter_context(_same_folder_and_environment())
        if task.watch_unseeded:
            watch = hooks.enter_context(UnseededWatch())
        experiment = task.experiment
        if experiment.text not in cache:
            cache[experiment.text] = (load_experiment(experiment), code_identity(experiment).digest)
        function, code_hash = cache[experiment.text]
        name = None if isinstance(experiment, ScriptRef) else experiment.function
        _clear_framework_sessions()
        pins = task.settings.pins
        seeding = seed_everything(
            task.seed if pins is None else pins.run_seed(task.seed),
            deterministic=task.settings.deterministic,
            frameworks=task.settings.frameworks,
        )
        _limit_threads(task.settings)
        workdir = Path(task.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        own = OwnGenerators() if task.watch_own_generators else None
        context = RunContext(
            task.seed,
            task.repeat,
            task.config,
            workdir,
            pins=pins,
            study=task.study,
            checkpoints=checkpoint_folder(task),
            own_generators=own,
            purpose=task.purpose,
        )
        if own is not None:
            hooks.enter_context(own.watching())
        if task.capture:
            hooks.enter_context(capture_tensors(task.capture_step, workdir / "capture"))
        if task.ops is not None:
            hooks.enter_context(record_ops(task.ops, workdir / OPS_FOLDER))
        if watch is not None:
            watch.patch_frameworks()
        output = workdir / OUTPUT_LOG
        for notify in _start_listeners:
            notify()
        # A run's time is the experiment's own: loading and seeding above are not in it.
        started = time.time()
        clock = time.perf_counter()
        with _output_to(output), running(context):
            try:
                returned = call_experiment(function, context, name)
            except BaseException:
                _leave_if_forked(worker_pid, 1)
                raise
            _leave_if_forked(worker_pid, 0)
        metrics = _result(returned, context, task.settings.metric_patterns, output)
        status = RunStatus.OK
    except (Exception, SystemExit, KeyboardInterrupt) as caught:
        # SystemExit and KeyboardInterrupt from the experiment end the run, not the worker.
        error = _first_line(caught)
        trace = _format_traceback()
    finally:
        hooks.close()
    duration = time.perf_counter() - clock
    _, code_hash = cache.get(task.experiment.text, (None, None))
    environment = cache.setdefault("__environment__", _Environment())
    return RunRecord(
        study=task.study,
        repeat=task.repeat,
        seed=task.seed,
        status=status,
        metrics=metrics,
        error=error,
        traceback=trace,
        started=started,
        finished=started + duration,
        duration=duration,
        worker=worker,
        steps=() if context is None else tuple(context.steps),
        fingerprints=() if context is None else tuple(context.fingerprints),
        predictions=() if context is None else tuple(context.predictions.values()),
        environment=environment.get(task, code_hash),
        unseeded=() if watch is None else tuple(watch.uses),
        frameworks=() if watch is None else watch.frameworks(),
        nondeterministic_ops=() if seeding is None else tuple(seeding.nondeterministic_ops),
        resumed_from=None if context is None else context.resumed_from,
        splits=() if context is None else tuple(context.splits),
    )


def checkpoint_folder(task: RunTask) -> CheckpointFolder:
    """Where the run of ``task`` keeps its checkpoints: ``<its folder>/checkpoints``."""
    return CheckpointFolder(
        Path(task.workdir) / CHECKPOINT_FOLDER,
        keep=task.keep_checkpoints,
        stop_at=task.stop_at_checkpoint,
    )


def execute_chain(task: RunTask, worker: str, cache: dict[str, Any]) -> list[RunRecord]:
    """Run a task's warm-up runs, the task, then its batch, in this process; one record each.

    The runs of a vectorised study's batch are computed in one call (see
    :mod:`seedwise.runner.batched`) and share its time.
    """
    with batch_calls(task):
        records = [execute(run, worker, cache) for run in task.chain()]
    return share_batch_time(task, records)


def _format_traceback() -> str:
    try:
        return traceback.format_exc()
    except Exception:
        return "(the traceback could not be formatted)"


#: The most a worker's log or a run's output file keeps (the end is kept).
MAX_OUTPUT_BYTES = 16 * 1024 * 1024


def _open_for_writing(path: Path, *, append: bool) -> int:
    """Open ``path`` to write, refusing to follow a symbolic link planted in its place."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o644)


def _cap(path: Path, limit: int = MAX_OUTPUT_BYTES) -> None:
    """Keep only the last ``limit`` bytes of ``path``, saying how much was cut."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if size <= limit:
        return
    with path.open("rb") as handle:
        handle.seek(size - limit)
        tail = handle.read()
    cut = f"[seedwise: {size - limit} earlier bytes cut; the last {limit} are kept]\n"
    descriptor = _open_for_writing(path, append=False)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(cut.encode() + tail)


def _redirect_output(log_path: str) -> None:
    """Send this process's stdout and stderr (Python's and C libraries') to a file."""
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    _cap(Path(log_path))
    descriptor = _open_for_writing(Path(log_path), append=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)


# prctl's option that asks the kernel for a signal when the parent ends (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def _die_with_parent_thread() -> bool:
    """Ask Linux to SIGKILL this process the moment the thread that started it ends.

    The kernel delivers it, so it works while the experiment holds the
    interpreter lock (a C loop, a catastrophic regex), when no Python thread
    can run. The signal follows the *thread* that forked this process, not
    the process: only a process started by its parent's main thread, which
    ends only with the process, should ask for it.

    Returns:
        Whether the kernel took the request (False off Linux).
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def watch_parent(
    parent: int | None = None, *, period: float = 0.2, main_thread_parent: bool = False
) -> None:
    """Kill this process's group (its experiment's children too) once its parent dies.

    A runner (or Dask worker) killed with SIGKILL cannot stop its workers; each
    notices that its parent is gone (it is re-parented) within ``period``
    seconds, kills the group it leads and exits. That watch is a thread, and
    waits for the interpreter lock; with ``main_thread_parent`` on Linux the
    kernel also kills this process the moment its parent ends, lock or not
    (the runner's watcher, in :mod:`seedwise.runner.local`, then ends the
    rest of the group).

    Args:
        parent: The parent's pid as the parent knows it; None for the current
            parent. A process whose parent is already gone exits at once.
        period: Seconds between two looks at the parent.
        main_thread_parent: This process was started by its parent's main
            thread (see :func:`_die_with_parent_thread`).
    """
    if parent is None:
        parent = os.getppid()
    if main_thread_parent:
        _die_with_parent_thread()

    def leave() -> None:
        try:
            if os.getpgrp() == os.getpid():  # only a group this worker leads
                os.killpg(os.getpgrp(), signal.SIGKILL)
        finally:
            os._exit(1)

    # The parent may have died before the request above was made: nothing would signal it.
    if os.getppid() != parent:
        leave()

    def watch() -> None:
        while True:
            time.sleep(period)
            if os.getppid() != parent:
                leave()

    threading.Thread(target=watch, name="seedwise-parent-watch", daemon=True).start()


def detach_stdin() -> None:
    """Give this process ``/dev/null`` as its standard input, at the descriptor level.

    A run that reads stdin (``input()``, ``sys.stdin.read()``, a ``cat`` it
    starts) gets end-of-file at once, instead of waiting on the runner's
    terminal, where a background process is stopped by SIGTTIN.
    """
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(null, 0)
    finally:
        os.close(null)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - fd 0 stays open


@dataclass(frozen=True)
class Lend:
    """Sent to a warm worker before the first task of the executor it is lent to.

    Attributes:
        worker: Its name there.
        log_path: The file its output goes to from now on.
    """

    worker: str
    log_path: str


class _Start:
    """What this worker held before its first run, for :func:`_start_afresh` to return to."""

    def __init__(self) -> None:
        self.modules = set(sys.modules)
        self.main = sys.modules.get("__main__")
        self.path = list(sys.path)
        self.argv = list(sys.argv)
        self.filters = list(warnings.filters)
        self.start_method = multiprocessing.get_start_method(allow_none=True)


def _users_module(module: object) -> bool:
    """Whether ``module`` is the user's code: an experiment's file, a module beside it.

    Not the standard library, an installed package or seedwise (their state
    is the point of a warm worker); a module with no file is left alone.
    """
    paths = [getattr(module, "__file__", None)]
    if paths[0] is None:
        # A namespace package of the user's folders has only its search path.
        paths = list(getattr(module, "__path__", None) or [None])
    if not all(isinstance(path, str) for path in paths):
        return False
    # A framework imports thousands of modules: most are plainly installed, no link followed.
    roots = installed_roots()
    return not any(str(path).startswith(roots) or is_installed(Path(str(path))) for path in paths)


def _start_afresh(start: _Start, cache: dict[str, Any]) -> None:
    """Forget every study this worker ran: the next starts as in a fresh worker.

    What goes: the loaded experiments (a function sent by value is unpickled
    again, with fresh globals; the environment's fingerprint stays, since a
    worker is lent only to the same settings and code), the modules of the user's own code imported
    since the worker started (imported again from their files, their
    module-level state fresh, the code as it is now), ``sys.path``,
    ``sys.argv``, the warning filters, ``__main__`` and the start method of
    ``multiprocessing`` as they were at the start, and the state of Python's
    and NumPy's global generators (drawn from the operating system's entropy,
    as a fresh interpreter draws it). The working folder and the environment
    are already restored after every run. What stays: the installed packages
    imported (frameworks among them), which every run seeds again.
    """
    # The environment's fingerprint stays: a worker is lent only to the same settings and code.
    environment = cache.get("__environment__")
    cache.clear()
    if environment is not None:
        cache["__environment__"] = environment
    for name in set(sys.modules) - start.modules:
        module = sys.modules.get(name)
        if module is not None and _users_module(module):
            del sys.modules[name]
    if start.main is not None:
        sys.modules["__main__"] = start.main
    sys.path[:] = start.path
    sys.argv[:] = start.argv
    warnings.filters[:] = start.filters  # type: ignore[index]
    reset = getattr(warnings, "_filters_mutated", None)
    if callable(reset):
        reset()
    multiprocessing.set_start_method(start.start_method, force=True)
    random.seed()
    if "numpy" in sys.modules:
        import numpy as np

        np.random.seed()


def _log_refusal(log_path: str | None) -> str | None:
    """Send output to ``log_path``; the reason every run must fail when that cannot be."""
    if log_path is None:
        return None
    try:
        _redirect_output(log_path)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return f"the worker could not write its log {log_path}: {reason}"
    return None


def worker_main(
    connection: Connection,
    worker: str,
    log_path: str | None = None,
    *,
    parent: int | None = None,
    main_thread_parent: bool = False,
) -> None:
    """Serve tasks from ``connection`` until it sends ``None`` or closes.

    With ``log_path``, everything the worker prints (the experiment's output,
    framework logs) goes to that file instead of the terminal; a log that
    cannot be opened fails every run given to the worker, with the reason.
    ``parent`` and ``main_thread_parent`` go to :func:`watch_parent`.
    """
    # Ctrl-C reaches the whole foreground process group; the runner decides what stops
    # (it kills this worker's group when it must). SIGTERM keeps its default: a worker
    # leads its own group, so a SIGTERM to the runner's group does not reach it, and
    # an ignored SIGTERM would be inherited by the experiment's own processes, which
    # multiprocessing stops with SIGTERM (Pool.terminate).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    schedule_as_batch_work()
    pause_collector_during_imports()
    watch_parent(parent, main_thread_parent=main_thread_parent)
    detach_stdin()
    refusal = _log_refusal(log_path)
    _start_listeners.append(lambda: connection.send(RUN_STARTED))
    cache: dict[str, Any] = {}
    start = _Start()
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        if isinstance(task, Lend):
            worker = task.worker
            refusal = _log_refusal(task.log_path)
            _start_afresh(start, cache)
            continue
        if refusal is not None:
            connection.send(task.ended(RunStatus.FAILED, refusal, worker=worker))
            continue
        connection.send(execute_chain(task, worker, cache))
