"""The one record of a run, from the worker to the store and back, and its status type.

Everything here is plain data: the runner's workers build :class:`RunRecord`
objects, the store writes and reads them, ``check`` and ``--only-repeat``
compare them with :func:`first_difference`. This package sits below both the
runner and the store and imports neither.
"""

from __future__ import annotations

from seedwise.records.compare import Difference as Difference
from seedwise.records.compare import array_difference as array_difference
from seedwise.records.compare import first_difference as first_difference
from seedwise.records.compare import metric_differences as metric_differences
from seedwise.records.compare import same_bits as same_bits
from seedwise.records.compare import ulp_distance as ulp_distance
from seedwise.records.run import CONFIG_COLUMN as CONFIG_COLUMN
from seedwise.records.run import METRIC_COLUMN as METRIC_COLUMN
from seedwise.records.run import RUN_COLUMNS as RUN_COLUMNS
from seedwise.records.run import RUN_STATUSES as RUN_STATUSES
from seedwise.records.run import FingerprintRecord as FingerprintRecord
from seedwise.records.run import PredictionRecord as PredictionRecord
from seedwise.records.run import RunRecord as RunRecord
from seedwise.records.run import RunStatus as RunStatus
from seedwise.records.run import StepRecord as StepRecord
from seedwise.records.run import UnseededUse as UnseededUse
from seedwise.records.run import is_reserved_metric as is_reserved_metric
from seedwise.records.run import metric_column as metric_column

__all__ = [
    "CONFIG_COLUMN",
    "METRIC_COLUMN",
    "RUN_COLUMNS",
    "RUN_STATUSES",
    "Difference",
    "FingerprintRecord",
    "PredictionRecord",
    "RunRecord",
    "RunStatus",
    "StepRecord",
    "UnseededUse",
    "array_difference",
    "first_difference",
    "is_reserved_metric",
    "metric_column",
    "metric_differences",
    "same_bits",
    "ulp_distance",
]
