"""The experiment protocol: the run context, loading ``FILE.py:FUNC``, checking results.

An experiment is a function ``fn(ctx: RunContext) -> Mapping[str, float]``.
Importing this package imports neither NumPy nor any ML framework.
"""

from __future__ import annotations

from seedwise.experiment.context import RunContext as RunContext
from seedwise.experiment.context import current_context as current_context
from seedwise.experiment.context import real_number as real_number
from seedwise.experiment.context import record as record
from seedwise.experiment.fingerprint import digest_array as digest_array
from seedwise.experiment.fingerprint import to_array as to_array
from seedwise.experiment.loading import Experiment as Experiment
from seedwise.experiment.loading import experiment_source_hash as experiment_source_hash
from seedwise.experiment.loading import load_experiment as load_experiment
from seedwise.experiment.loading import split_reference as split_reference
from seedwise.experiment.values import check_metrics as check_metrics
from seedwise.experiment.values import parse_assignment as parse_assignment
from seedwise.records import FingerprintRecord as FingerprintRecord
from seedwise.records import StepRecord as StepRecord

__all__ = [
    "Experiment",
    "FingerprintRecord",
    "RunContext",
    "StepRecord",
    "check_metrics",
    "current_context",
    "digest_array",
    "experiment_source_hash",
    "load_experiment",
    "parse_assignment",
    "real_number",
    "record",
    "split_reference",
    "to_array",
]
