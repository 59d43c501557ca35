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
from seedwise.records.run import RUN_STATUSES as RUN_STATUSES
from seedwise.records.run import FingerprintRecord as FingerprintRecord
from seedwise.records.run import RunRecord as RunRecord
from seedwise.records.run import RunStatus as RunStatus
from seedwise.records.run import StepRecord as StepRecord
from seedwise.records.run import UnseededUse as UnseededUse

__all__ = [
    "RUN_STATUSES",
    "Difference",
    "FingerprintRecord",
    "RunRecord",
    "RunStatus",
    "StepRecord",
    "UnseededUse",
    "array_difference",
    "first_difference",
    "metric_differences",
    "same_bits",
    "ulp_distance",
]
