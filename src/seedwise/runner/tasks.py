"""What the run loop hands to workers: a study's settings and one task per run.

What comes back is a :class:`seedwise.records.RunRecord`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from seedwise.errors import UsageError
from seedwise.experiment.checkpoint import DEFAULT_KEEP
from seedwise.experiment.reference import ExperimentRef
from seedwise.experiment.values import metric_patterns_from
from seedwise.experiment.watch.ops import OpsRequest
from seedwise.records import RunRecord, RunStatus
from seedwise.seeding import FRAMEWORKS, Deterministic, check_deterministic, derive_seed
from seedwise.seeding.pins import StreamPins

__all__ = ["RunTask", "StudySettings", "batch_tasks", "worker_environment"]


@dataclass(frozen=True)
class StudySettings:
    """Settings that can change a run's numbers: fixed per study, the same for every run.

    Attributes:
        threads: Threads per run for BLAS / OpenMP, TensorFlow, torch and XLA.
        hash_seed: The ``PYTHONHASHSEED`` of every worker.
        deterministic: Deterministic ops on (``seed_everything(deterministic=...)``).
        keras_backend: ``KERAS_BACKEND`` for the workers, or None for Keras's default.
        frameworks: The frameworks to seed, or None for every installed one.
        metric_patterns: ``(name, regex)`` pairs: each run's metric ``name``
            is read from what the run printed (``--metric NAME=REGEX``).
        pins: The named streams held at a fixed key while others vary
            (``seedwise attribute``), or None.
        vectorize: Repeats per batched call of a keyed experiment
            (``--vectorize K``), or None to run each repeat alone. Part of
            the study's identity: batched arithmetic may round differently
            at another batch size.
    """

    threads: int
    hash_seed: int
    deterministic: Deterministic = True
    keras_backend: str | None = None
    frameworks: tuple[str, ...] | None = None
    metric_patterns: tuple[tuple[str, str], ...] = ()
    pins: StreamPins | None = None
    vectorize: int | None = None

    @classmethod
    def for_study(
        cls,
        seed: int,
        *,
        threads: int = 1,
        deterministic: Deterministic = True,
        keras_backend: str | None = None,
        frameworks: tuple[str, ...] | None = None,
        metric_patterns: tuple[tuple[str, str], ...] = (),
        pins: StreamPins | None = None,
        vectorize: int | None = None,
    ) -> StudySettings:
        """Settings for a study with root ``seed``; the hash seed is derived from it."""
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise UsageError(
                f"`threads` must be a positive int. Received: threads={threads!r}; "
                "expected 1 or more"
            )
        if frameworks is not None:
            unknown = [name for name in frameworks if name not in FRAMEWORKS]
            if unknown:
                raise UsageError(
                    f"Unknown framework. Received: frameworks={list(frameworks)!r}; "
                    f"expected names from {', '.join(FRAMEWORKS)}"
                )
        if vectorize is not None and (
            isinstance(vectorize, bool) or not isinstance(vectorize, int) or vectorize < 1
        ):
            raise UsageError(
                f"`vectorize` must be a positive int. Received: vectorize={vectorize!r}; "
                "expected the number of repeats per batched call, 1 or more"
            )
        return cls(
            threads=threads,
            hash_seed=derive_seed(seed, "PYTHONHASHSEED", bits=32),
            deterministic=check_deterministic(deterministic),
            keras_backend=keras_backend,
            frameworks=None if frameworks is None else tuple(frameworks),
            metric_patterns=tuple(metric_patterns_from(metric_patterns)),
            pins=pins,
            vectorize=vectorize,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict, as stored with the study."""
        data: dict[str, Any] = {
            "threads": self.threads,
            "hash_seed": self.hash_seed,
            "deterministic": self.deterministic,
            "keras_backend": self.keras_backend,
            "frameworks": None if self.frameworks is None else list(self.frameworks),
        }
        if self.metric_patterns:
            # Only when set, so that studies without patterns keep their stored settings.
            data["metric_patterns"] = [list(pair) for pair in self.metric_patterns]
        if self.pins is not None:
            data["pins"] = self.pins.to_dict()
        if self.vectorize is not None:
            data["vectorize"] = self.vectorize
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudySettings:
        """Rebuild settings from :meth:`to_dict` output."""
        frameworks = data.get("frameworks")
        return cls(
            threads=int(data["threads"]),
            hash_seed=int(data["hash_seed"]),
            deterministic=_deterministic(data.get("deterministic", True)),
            keras_backend=data.get("keras_backend"),
            frameworks=None if frameworks is None else tuple(frameworks),
            metric_patterns=tuple(
                (str(name), str(regex)) for name, regex in data.get("metric_patterns", ())
            ),
            pins=None if data.get("pins") is None else StreamPins.from_dict(data["pins"]),
            vectorize=None if data.get("vectorize") is None else int(data["vectorize"]),
        )


def _deterministic(stored: object) -> Deterministic:
    return "warn" if stored == "warn" else bool(stored)


def worker_environment(settings: StudySettings) -> dict[str, str]:
    """The environment variables a worker starts with: hash seed and thread counts.

    They must be in place before the worker's interpreter starts (the hash
    seed) or before a framework first initialises (the thread counts).
    """
    threads = str(settings.threads)
    environment = {
        "PYTHONHASHSEED": str(settings.hash_seed),
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
    }
    if settings.threads == 1:
        environment["XLA_FLAGS"] = (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
    if settings.keras_backend is not None:
        environment["KERAS_BACKEND"] = settings.keras_backend
    return environment


@dataclass(frozen=True)
class RunTask:
    """One run for a worker to execute.

    Attributes:
        study: The study's name.
        repeat: The repeat index.
        seed: The run's seed, ``repeat_seed(study_seed, repeat)`` (32 bits).
        experiment: The experiment's reference: a function, a script, or a
            function sent by value.
        config: The study's config.
        settings: The study's settings.
        workdir: The folder for this run's artefacts.
        capture: Save every tensor fingerprinted at ``capture_step`` in full,
            as ``.npy`` under ``workdir/capture`` (for ``seedwise check``).
        capture_step: The step to capture (None: tensors fingerprinted without a step).
        watch_unseeded: Record the unseeded random sources the run's code uses
            (for ``seedwise check``); they come back in ``RunRecord.unseeded``.
        ops: Record the run's ops (for ``seedwise check --ops``): their digests,
            or one op in full, under ``workdir/ops``; None records none.
        warmup: Runs to make first, one after another in the same process
            (for ``seedwise check``: a seed right after another seed); their
            records come back before this task's.
        batch: Repeats of the same study run together with this one in one
            vectorised call (``settings.vectorize``); their records come back
            after this task's.
        keep_checkpoints: The checkpoints the run keeps (``--keep-checkpoints``).
        stop_at_checkpoint: End the worker right after the checkpoint of this
            step (``seedwise check --resume-at``); None to go on.
        watch_own_generators: Fingerprint, at each checkpoint, the states of
            the generators the code makes itself (``check --resume-at``).
        purpose: Why it runs, as ``RunContext.purpose`` says: ``"study"``,
            ``"check"`` or ``"rerun"``.
    """

    study: str
    repeat: int
    seed: int
    experiment: ExperimentRef
    config: dict[str, Any]
    settings: StudySettings
    workdir: str
    capture: bool = False
    capture_step: int | None = None
    watch_unseeded: bool = False
    ops: OpsRequest | None = None
    warmup: tuple[RunTask, ...] = ()
    batch: tuple[RunTask, ...] = ()
    keep_checkpoints: int = DEFAULT_KEEP
    stop_at_checkpoint: int | None = None
    watch_own_generators: bool = False
    purpose: str = "study"

    def chain(self) -> tuple[RunTask, ...]:
        """The runs this task makes, in order: its warm-up runs, itself, its batch."""
        return (*self.warmup, self, *self.batch)

    def ended(
        self, status: RunStatus, error: str, *, worker: str, started: float | None = None
    ) -> list[RunRecord]:
        """Records of a task that ended without results (killed, lost, refused), one per run.

        Args:
            status: The status of every run of the chain.
            error: Why, in one line.
            worker: The worker it was given to.
            started: When it started (``time.time()``); default now.
        """
        finished = time.time()
        began = finished if started is None else started
        return [
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
            for run in self.chain()
        ]

    def received(self, records: object, *, worker: str) -> list[RunRecord]:
        """Exactly one record per run of the chain, from what a worker sent for this task.

        A worker answers a task with its chain's records, in order. Anything
        else (a record of another run, one missing, something not a record:
        what a process forked by the experiment could send in the worker's
        name) is not taken on trust: the records that belong to the chain
        are kept, the rest dropped, and each run of the chain left without
        one is recorded ``crashed``, saying so. A repeat the runner expected
        and never received is a failure, never silence.

        Args:
            records: What the worker sent.
            worker: The worker's name.
        """
        chain = self.chain()
        sent = list(records) if isinstance(records, (list, tuple)) else []
        key = _run_key
        if len(sent) == len(chain) and all(
            isinstance(record, RunRecord) and key(record) == key(run)
            for record, run in zip(sent, chain, strict=True)
        ):
            return sent
        waiting = [record for record in sent if isinstance(record, RunRecord)]
        kept: list[RunRecord] = []
        for run in chain:
            match = next((record for record in waiting if key(record) == key(run)), None)
            if match is not None:
                waiting.remove(match)
                kept.append(match)
                continue
            kept += replace(run, warmup=(), batch=()).ended(
                RunStatus.CRASHED,
                f"the worker sent no record for this run (it sent {_described(records)}); "
                "if the experiment forks, its child must end with os._exit",
                worker=worker,
            )
        return kept


def _run_key(run: RunTask | RunRecord) -> tuple[str, int, int]:
    return run.study, run.repeat, run.seed


def _described(records: object) -> str:
    if not isinstance(records, (list, tuple)):
        return f"a {type(records).__name__}"
    runs = [f"repeat {r.repeat}" for r in records if isinstance(r, RunRecord)]
    return f"records of {', '.join(runs)}" if runs else "no record"


def batch_tasks(tasks: Sequence[RunTask], size: int | None) -> list[RunTask]:
    """Group ``tasks`` into tasks of at most ``size`` runs each (None: one run per task).

    Each group is its first task with the others as its :attr:`RunTask.batch`.
    """
    if size is None or size <= 1:
        return list(tasks)
    groups = [tasks[start : start + size] for start in range(0, len(tasks), size)]
    return [replace(group[0], batch=tuple(group[1:])) for group in groups]
