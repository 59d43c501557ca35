"""Runs on Slurm: batch jobs, each a Dask worker that serves many runs.

``--executor slurm`` submits, through dask-jobqueue's ``SLURMCluster``,
``workers`` batch jobs with ``sbatch``. Each job starts one Dask worker with
one thread, which joins a Dask scheduler that this runner starts in its own
process (on the login node); from there on the runs go as with
``--executor dask`` (:mod:`seedwise.runner.dask`): one Dask task per run, a
warm run process per worker, and every run's record sent back to this
runner, which alone writes the store. The store never leaves the machine that
submits; the jobs need only seedwise and the experiment's frameworks
installed, and a network path back to the scheduler.

One worker job serves many runs rather than one job (or one job of an
array) per run: a run then costs a Dask task's round trip and not a job's
queueing, start-up and the import of the frameworks (figures in
docs/cluster.md). The jobs end when the study does (``scancel`` through the
cluster's close), or at their ``--time``; a job that Slurm preempts or
kills takes its run with it, and Dask reruns that run on another worker
(or on the requeued job, once it starts again), resuming it from its checkpoint.
"""

from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedwise.errors import UsageError
from seedwise.runner.dask import DaskExecutor, _signals_held

__all__ = ["SlurmExecutorFactory", "check_slurm_time", "sbatch_message", "slurm_directives"]

_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d{1,2}))?(?::(\d{1,2}))?$")


def check_slurm_time(text: str) -> str:
    """``text`` if it is a time limit ``sbatch --time`` takes, else raise.

    Accepted: ``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH``, ``D-HH:MM``, ``D-HH:MM:SS``.

    Raises:
        UsageError: Anything else.
    """
    value = text.strip() if isinstance(text, str) else ""
    if not _TIME.match(value):
        raise UsageError(
            f"Not a Slurm time limit. Received: time={text!r}; expected HH:MM:SS "
            "(or MM, MM:SS, D-HH, D-HH:MM, D-HH:MM:SS), as sbatch --time takes"
        )
    return value


def slurm_directives(gpus_per_run: int | None, options: tuple[str, ...]) -> list[str]:
    """The ``#SBATCH`` lines beyond partition and time: a GPU request, the user's options.

    Raises:
        UsageError: An option that is not one ``--NAME[=VALUE]`` of sbatch.
    """
    lines: list[str] = []
    if gpus_per_run is not None:
        if not isinstance(gpus_per_run, int) or isinstance(gpus_per_run, bool) or gpus_per_run < 1:
            raise UsageError(
                f"`gpus_per_run` must be a positive int. Received: gpus_per_run={gpus_per_run!r}"
            )
        lines.append(f"--gres=gpu:{gpus_per_run}")
    for option in options:
        text = option.strip() if isinstance(option, str) else ""
        if not text.startswith("--") or len(shlex.split(text)) != 1 or "\n" in text:
            raise UsageError(
                f"Not one sbatch option. Received: slurm_option={option!r}; expected one "
                "--NAME or --NAME=VALUE, e.g. --account=proj or --qos=short"
            )
        lines.append(text)
    return lines


@dataclass(frozen=True)
class SlurmExecutorFactory:
    """Makes the Slurm executor of a study: ``workers`` batch jobs, each one Dask worker.

    Args:
        workers: Batch jobs to submit (each runs one run at a time, many in turn).
        partition: ``sbatch --partition``; None for the cluster's default.
        time: ``sbatch --time`` of each job; a job past it ends, and its
            run is rerun on another job.
        gpus_per_run: GPUs each job asks for (``--gres=gpu:N``).
        slurm_options: More sbatch options, each ``--NAME[=VALUE]``.
        memory: Memory of each job (``--mem``), as dask-jobqueue writes it.
        timeout: Seconds a run may take before its run process is killed.
        runs_per_process: End a run process after this many runs.
        log_directory: Where the jobs' own output goes; None for the
            submitting folder's ``.seedwise/slurm``.
    """

    workers: int | None = None
    partition: str | None = None
    time: str | None = None
    gpus_per_run: int | None = None
    slurm_options: tuple[str, ...] = field(default=())
    memory: str = "2GB"
    timeout: float | None = None
    runs_per_process: int | None = None
    log_directory: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "slurm_options", tuple(self.slurm_options))
        if self.time is not None:
            check_slurm_time(self.time)
        slurm_directives(self.gpus_per_run, self.slurm_options)

    def job_options(self, jobs_log: Path) -> dict[str, Any]:
        """The keywords of each worker job (``dask_jobqueue.SLURMJob``) for this factory."""
        return {
            "cores": 1,
            "processes": 1,
            "memory": self.memory,
            "queue": self.partition,
            "walltime": self.time,
            "job_extra_directives": slurm_directives(self.gpus_per_run, self.slurm_options),
            "job_name": "seedwise",
            "log_directory": str(jobs_log),
        }

    def create(self, *, workers: int | None = None, log_dir: Path | None = None) -> DaskExecutor:
        """Submit the worker jobs and return an executor on their scheduler.

        The jobs join as Slurm starts them; runs wait in the scheduler's
        queue meanwhile.

        Raises:
            UsageError: dask-jobqueue is missing, or sbatch refused the jobs.
        """
        try:
            import distributed
            from dask_jobqueue import SLURMCluster
        except ImportError:
            raise UsageError(
                "The Slurm executor needs dask-jobqueue. Received: executor='slurm' without "
                "it installed; expected `pip install seedwise[slurm]`"
            ) from None
        jobs = workers or self.workers or 1
        jobs_log = self.log_directory or Path(".seedwise", "slurm")
        jobs_log.mkdir(parents=True, exist_ok=True)
        cluster: Any = None
        with _signals_held():
            try:
                kept = _requeued_jobs_kept()
                cluster = SLURMCluster(
                    **self.job_options(jobs_log),
                    scheduler_options={"dashboard_address": ":0"},
                    silence_logs=logging.ERROR,
                )
                _submit_jobs(cluster, jobs)
                client = distributed.Client(cluster, set_as_default=False)
            except Exception as error:
                if cluster is not None:
                    _close_quietly(cluster)
                kept.__exit__(None, None, None)
                raise UsageError(self._refused_line(error)) from None
        return DaskExecutor(
            client,
            self.timeout,
            runs_per_process=self.runs_per_process,
            cluster=_KeptWhileOpen(cluster, kept),
            close_client=True,
        )

    def _refused_line(self, error: Exception) -> str:
        """The one line that says what sbatch refused: the values it names, and its words."""
        said = sbatch_message(error)
        received = {
            "partition": self.partition,
            "time": self.time,
        }
        shown = [
            f"{key}={value!r}"
            for key, value in received.items()
            if value is not None and _names(said, key, value)
        ]
        shown += [f"slurm_option={o!r}" for o in self.slurm_options if _names(said, "option", o)]
        if not shown:
            shown = [f"{key}={value!r}" for key, value in received.items()]
            shown.append(f"slurm_options={list(self.slurm_options)!r}")
        return (
            f"Slurm refused the worker jobs: sbatch said {said!r}. Received: {', '.join(shown)}; "
            "expected values that this cluster's sbatch accepts (`sinfo` lists its partitions "
            "and their time limits)"
        )


def sbatch_message(error: BaseException) -> str:
    """What sbatch said when it refused a job: its error lines, joined into one.

    dask-jobqueue raises a ``RuntimeError`` holding the command, its exit code,
    its stdout and its stderr; sbatch's own words are the stderr lines (an
    ``sbatch: error: ...`` line, or ``sbatch: unrecognized option ...``), here
    without their ``sbatch: error:`` prefix.
    """
    text = str(error)
    stderr = text.split("stderr:", 1)[1] if "stderr:" in text else text
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = [line for line in lines if line.startswith("sbatch:")] or lines
    words = [line.removeprefix("sbatch:").strip().removeprefix("error:").strip() for line in said]
    return "; ".join(words) if words else repr(error)


def _names(said: str, key: str, value: str) -> bool:
    """Whether sbatch's message ``said`` is about the received ``key=value``."""
    lowered = said.lower()
    if key == "partition":
        return "partition" in lowered
    if key == "time":
        return "time limit" in lowered or "time_limit" in lowered
    option = value.split("=", 1)[0]
    return option in said or option.lstrip("-").lower() in lowered


def _requeued_jobs_kept() -> Any:
    """Dask's config, set so that a requeued job's worker may come back; exit it to undo.

    A ``SpecCluster`` cancels a job whose worker has been gone for
    ``distributed.deploy.lost-worker-timeout`` (15 s by default). A job that
    Slurm requeues (``scontrol requeue``, a preemption with
    ``PreemptMode=REQUEUE``) keeps its job id and waits in the queue before
    it starts again, so after 15 s the cluster cancelled it, and a study
    with one job waited for a worker that would never come. The timeout is
    raised to a year while the cluster is open; a job that really ended is
    cancelled, harmlessly, when the study does.
    """
    import dask.config

    return dask.config.set({"distributed.deploy.lost-worker-timeout": "365d"})


class _KeptWhileOpen:
    """The cluster, with the config of :func:`_requeued_jobs_kept` undone when it closes."""

    def __init__(self, cluster: Any, kept: Any) -> None:
        self._cluster = cluster
        self._kept = kept

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cluster, name)

    def close(self) -> None:
        try:
            self._cluster.close()
        finally:
            self._kept.__exit__(None, None, None)


def _submit_jobs(cluster: Any, jobs: int) -> None:
    """Submit ``jobs`` worker jobs with sbatch and return once each was accepted.

    ``SpecCluster.scale`` submits in the background and only logs an
    sbatch refusal (a bad partition, an option sbatch does not know, a time
    limit past the partition's): the study then waited for workers that
    would never come. Here the submissions are awaited, so a refusal raises
    the ``RuntimeError`` that names sbatch's message, before the store is
    opened. A job accepted is not yet running; runs wait in the scheduler's
    queue until Slurm starts it.
    """
    for _ in range(jobs):
        cluster.worker_spec.update(cluster.new_worker_spec())

    async def submitted() -> None:
        await cluster._correct_state()

    cluster.sync(submitted)


def _close_quietly(cluster: Any) -> None:
    """Close a cluster some of whose jobs sbatch refused, cancelling those it accepted.

    A refused job's worker never started: the cluster's close asserts that
    every worker it made has ended, so a refused one is marked failed and
    forgotten first. What the close logs of them is not news.
    """
    from distributed.core import Status

    for name, worker in list(cluster.workers.items()):
        if getattr(worker, "job_id", None) is None:
            worker.status = Status.failed
            del cluster.workers[name]
            cluster.worker_spec.pop(name, None)
    quiet = [logging.getLogger(name) for name in ("distributed", "tornado", "asyncio")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        cluster.close()
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
