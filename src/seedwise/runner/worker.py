"""The loop of a warm worker process: receive a task, run it, send back its records.

A worker imports the frameworks once (on its first run, through
``seed_everything``) and keeps them for every later run. Before each run it
clears the Keras session, reseeds everything with the run's seed and applies
the study's thread count, so a run's result does not depend on what the
worker ran before.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from seedwise.env import collect_environment
from seedwise.errors import InvalidResultError
from seedwise.experiment import RunContext, check_metrics
from seedwise.experiment.context import running
from seedwise.experiment.fingerprint import capture_tensors
from seedwise.experiment.identity import code_identity
from seedwise.experiment.loading import prepare_run
from seedwise.experiment.sources import SourceWatch
from seedwise.experiment.values import metrics_from_output
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.batched import batch_calls, share_batch_time
from seedwise.runner.tasks import RunTask, StudySettings
from seedwise.seeding import seed_everything

__all__ = ["execute", "execute_chain", "worker_main"]


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


def _clear_framework_sessions() -> None:
    if "keras" in sys.modules:
        import keras

        keras.backend.clear_session()


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    detail = text[0] if text else ""
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
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
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


def _result(
    returned: Any,
    context: RunContext,
    patterns: tuple[tuple[str, str], ...],
    output: Path,
) -> dict[str, float]:
    """The run's metrics: read from its output, recorded with ``seedwise.record``, returned.

    Later sources win on a shared name; a run with none of the three fails.
    """
    metrics: dict[str, float] = {}
    if patterns:
        metrics.update(metrics_from_output(output.read_text(errors="replace"), patterns))
    metrics.update(context.recorded)
    if returned is not None or not metrics:
        if returned is None:
            raise InvalidResultError(
                "The run produced no metrics. Received: nothing returned, recorded or "
                "matched; expected the experiment to return a dict such as {'mse': 0.1}, "
                "to call seedwise.record(mse=...), or --metric NAME=REGEX for what it prints"
            )
        metrics.update(check_metrics(returned))
    return metrics


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
    try:
        if task.watch_sources:
            watch = hooks.enter_context(SourceWatch())
        key = task.experiment.reference
        if key not in cache:
            cache[key] = (prepare_run(task.experiment), code_identity(task.experiment).digest)
        function, code_hash = cache[key]
        _clear_framework_sessions()
        pins = task.settings.pins
        seed_everything(
            task.seed if pins is None else pins.run_seed(task.seed),
            deterministic=task.settings.deterministic,
            frameworks=task.settings.frameworks,
        )
        _limit_threads(task.settings)
        workdir = Path(task.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        context = RunContext(task.seed, task.repeat, task.config, workdir, pins=pins)
        if task.capture:
            hooks.enter_context(capture_tensors(task.capture_step, workdir / "capture"))
        if watch is not None:
            watch.patch_frameworks()
        output = workdir / OUTPUT_LOG
        with _output_to(output), running(context):
            returned = function(context)
        metrics = _result(returned, context, task.settings.metric_patterns, output)
        status = RunStatus.OK
    except Exception as caught:
        error = _first_line(caught)
        trace = traceback.format_exc()
    finally:
        hooks.close()
    duration = time.perf_counter() - clock
    _, code_hash = cache.get(task.experiment.reference, (None, None))
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
        environment=environment.get(task, code_hash),
        unseeded=() if watch is None else tuple(watch.uses),
    )


def execute_chain(task: RunTask, worker: str, cache: dict[str, Any]) -> list[RunRecord]:
    """Run a task's warm-up runs, the task, then its batch, in this process; one record each.

    The runs of a vectorised study's batch are computed in one call (see
    :mod:`seedwise.runner.batched`) and share its time.
    """
    with batch_calls(task):
        records = [execute(run, worker, cache) for run in task.chain()]
    return share_batch_time(task, records)


def _redirect_output(log_path: str) -> None:
    """Send this process's stdout and stderr (Python's and C libraries') to a file."""
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    descriptor = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)


def worker_main(connection: Connection, worker: str, log_path: str | None = None) -> None:
    """Serve tasks from ``connection`` until it sends ``None`` or closes.

    With ``log_path``, everything the worker prints (the experiment's output,
    framework logs) goes to that file instead of the terminal.
    """
    # Ctrl-C reaches the whole process group; the scheduler decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if log_path is not None:
        _redirect_output(log_path)
    cache: dict[str, Any] = {}
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        connection.send(execute_chain(task, worker, cache))
