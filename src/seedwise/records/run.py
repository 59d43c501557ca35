"""A run's record and its parts: status, per-step metrics, tensor digests, unseeded uses."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from seedwise.errors import UsageError
from seedwise.seeding.report import NondeterministicOp

__all__ = [
    "CONFIG_COLUMN",
    "METRIC_COLUMN",
    "RUN_COLUMNS",
    "RUN_STATUSES",
    "FingerprintRecord",
    "PredictionRecord",
    "RunRecord",
    "RunStatus",
    "StepRecord",
    "UnseededUse",
    "is_reserved_metric",
    "metric_column",
]


class RunStatus(str, enum.Enum):
    """How a run ended. The one place that says which statuses count as what.

    A ``str`` enum: ``RunStatus.OK == "ok"``, and the store keeps the value.
    """

    OK = "ok"
    FAILED = "failed"
    CRASHED = "crashed"
    TIMEOUT = "timeout"

    def __str__(self) -> str:
        return self.value

    @property
    def is_finished(self) -> bool:
        """Whether the run finished and returned its metrics: only ``ok``."""
        return self is RunStatus.OK

    @property
    def is_failure(self) -> bool:
        """Whether the run did not finish: it raised, its worker died, or it ran too long."""
        return self is not RunStatus.OK

    @classmethod
    def counts(cls, statuses: Any = ()) -> dict[str, int]:
        """The number of each status in ``statuses``, every status present (0 when none)."""
        counted = {status.value: 0 for status in cls}
        for status in statuses:
            counted[cls(status).value] += 1
        return counted


#: Every status a stored run can have, in display order.
RUN_STATUSES: tuple[str, ...] = tuple(status.value for status in RunStatus)


#: The columns of a run's flat row (``export``, ``show --json``, ``Study.to_pandas``)
#: besides its metrics and its study's config: no metric may take one of these names.
RUN_COLUMNS: tuple[str, ...] = ("study", "repeat", "seed", "status", "duration", "worker", "error")
#: The prefix of the columns made from the config (``config.lr``).
CONFIG_COLUMN = "config."
#: The prefix of a metric's column when its name is reserved (a store made elsewhere).
METRIC_COLUMN = "metric."


def is_reserved_metric(name: str) -> bool:
    """Whether a metric called ``name`` would take another column's place in a run's row.

    True for the names of :data:`RUN_COLUMNS` and for names that start with
    :data:`CONFIG_COLUMN` or :data:`METRIC_COLUMN`. Runs may not return such
    a name (``seedwise.experiment.values.check_metric_name``).
    """
    return name in RUN_COLUMNS or name.startswith((CONFIG_COLUMN, METRIC_COLUMN))


def metric_column(name: str) -> str:
    """The column of metric ``name`` in a run's row: its name, or ``metric.NAME`` when reserved.

    Runs never return a reserved name, but a store made elsewhere may hold
    one: its column is prefixed, so that it neither replaces the run's own
    ``seed`` or ``error`` nor is lost. Distinct names keep distinct columns.

    Example:
        >>> metric_column("mse"), metric_column("seed")
        ('mse', 'metric.seed')
    """
    return METRIC_COLUMN + name if is_reserved_metric(name) else name


@dataclass(frozen=True)
class StepRecord:
    """One metric value logged at one step by ``RunContext.log``.

    Attributes:
        step: The step (epoch, batch, ...) the value belongs to, ``>= 0``.
        name: The metric's name.
        value: The value, as a float (NaN and infinities are kept).
    """

    step: int
    name: str
    value: float


@dataclass(frozen=True)
class FingerprintRecord:
    """The digest of one tensor, recorded by ``RunContext.fingerprint``.

    Attributes:
        step: The step it was taken at, or None.
        name: The leaf's path, e.g. ``"weights/dense/0"``.
        digest: The hex of ``xxh3_128`` over dtype, shape and bytes.
        dtype: The NumPy dtype's name, e.g. ``"float32"``.
        shape: The array's shape.
        sum: The sum of the values as a float64 (real parts for complex
            arrays; NaN for strings and other non-numeric dtypes).
        max_abs: The largest absolute value (0.0 for an empty array; NaN for
            non-numeric dtypes, or when the array holds a NaN).
    """

    step: int | None
    name: str
    digest: str
    dtype: str
    shape: tuple[int, ...]
    sum: float
    max_abs: float


@dataclass(frozen=True)
class PredictionRecord:
    """One run's result on each test example, recorded by ``RunContext.record_predictions``.

    Attributes:
        name: The name of the set (``"test"`` unless given).
        ids: Each example's id (an int or a str), distinct, in the order recorded.
        values: The result on each example, in the order of ``ids``: 0/1
            correctness, or a loss.
    """

    name: str
    ids: tuple[int | str, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class UnseededUse:
    """One call to a random source that no seed controls.

    Attributes:
        kind: What was called, e.g. ``"os.urandom"``.
        location: ``file:line`` of the user code that called it.
        fix: The one-line fix.
    """

    kind: str
    location: str
    fix: str


@dataclass(frozen=True)
class RunRecord:
    """One run of a study: made by a worker (or by the executor when the worker died),
    stored as it arrives, read back from the store.

    Attributes:
        study: The study's name.
        repeat: The repeat index, ``>= 0``.
        seed: The run's seed.
        status: How it ended.
        metrics: The returned metrics (empty unless ``ok``); NaN and
            infinities are kept.
        error: One line saying why the run did not finish, or None.
        traceback: The full traceback of a ``failed`` run, or None.
        started: When the run started (Unix seconds), or None.
        finished: When it finished (Unix seconds), or None.
        duration: Its duration in seconds, or None.
        worker: Which worker ran it, or None.
        env_hash: The key of its environment in the store, or None.
        steps: Its per-step metrics, in the order logged.
        fingerprints: Its tensor digests, in the order recorded.
        environment: The environment it ran in, when known (read back from
            the store only on request: many runs share one).
        unseeded: The random sources no seed controls that its code used
            (recorded when the run watched for them, as ``check`` does).
        frameworks: The frameworks its process had imported when it ended
            (``keras``, ``torch``, ...: ``WATCHED_FRAMEWORKS`` of
            ``seedwise.experiment.watch.unseeded``), recorded by watched runs
            only, for advice that fits the code; not stored.
        nondeterministic_ops: The ops without a deterministic kernel that
            ran, with ``deterministic="warn"`` (name, count, first line of
            the user's code); stored with the unseeded uses.
        resumed_from: The step of the checkpoint the run resumed from
            (``ctx.restore()``), or None for a run that started afresh;
            stored with the unseeded uses.
        predictions: Its per-example results, one record per named set
            (read back from the store by ``Store.run`` and ``Store.predictions``).
        splits: The sizes ``(n_train, n_test)`` of each train/test split it
            drew with ``ctx.split``, in order; stored with the unseeded uses,
            so that ``compare --rope`` knows the runs share training data.
    """

    study: str
    repeat: int
    seed: int
    status: RunStatus
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None
    started: float | None = None
    finished: float | None = None
    duration: float | None = None
    worker: str | None = None
    env_hash: str | None = None
    steps: tuple[StepRecord, ...] = ()
    fingerprints: tuple[FingerprintRecord, ...] = ()
    environment: dict[str, Any] | None = None
    unseeded: tuple[UnseededUse, ...] = ()
    frameworks: tuple[str, ...] = ()
    nondeterministic_ops: tuple[NondeterministicOp, ...] = ()
    resumed_from: int | None = None
    predictions: tuple[PredictionRecord, ...] = ()
    splits: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.status, RunStatus):
            if self.status not in RUN_STATUSES:
                raise UsageError(
                    f"Unknown run status. Received: status={self.status!r}; "
                    f"expected one of {', '.join(RUN_STATUSES)}"
                )
            object.__setattr__(self, "status", RunStatus(self.status))
        for name in (
            "steps", "fingerprints", "unseeded", "frameworks", "nondeterministic_ops",
            "predictions", "splits",
        ):  # fmt: skip
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
