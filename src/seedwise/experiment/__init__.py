"""The experiment protocol: the run context, references to experiments, checking results.

An experiment is a function ``fn(ctx: RunContext) -> Mapping[str, float]``
(or a plain script); its reference (:mod:`~seedwise.experiment.reference`)
is read once, found and checked without running it (``resolve``), and
loaded where it runs (``loading``). What counts as its code is in
:mod:`~seedwise.experiment.code`; what is observed while it runs, in
:mod:`~seedwise.experiment.watch`. Importing this package imports neither
NumPy nor any ML framework.
"""

from __future__ import annotations

from seedwise.experiment.code.identity import experiment_source_hash as experiment_source_hash
from seedwise.experiment.context import RunContext as RunContext
from seedwise.experiment.context import current_context as current_context
from seedwise.experiment.context import real_number as real_number
from seedwise.experiment.context import record as record
from seedwise.experiment.fingerprint import digest_array as digest_array
from seedwise.experiment.fingerprint import to_array as to_array
from seedwise.experiment.loading import Experiment as Experiment
from seedwise.experiment.loading import load_experiment as load_experiment
from seedwise.experiment.reference import ByValueRef as ByValueRef
from seedwise.experiment.reference import ExperimentRef as ExperimentRef
from seedwise.experiment.reference import FunctionRef as FunctionRef
from seedwise.experiment.reference import ScriptRef as ScriptRef
from seedwise.experiment.reference import parse_reference as parse_reference
from seedwise.experiment.resolve import resolve_experiment as resolve_experiment
from seedwise.experiment.values import check_metrics as check_metrics
from seedwise.experiment.values import parse_assignment as parse_assignment
from seedwise.records import FingerprintRecord as FingerprintRecord
from seedwise.records import StepRecord as StepRecord

__all__ = [
    "ByValueRef",
    "Experiment",
    "ExperimentRef",
    "FingerprintRecord",
    "FunctionRef",
    "RunContext",
    "ScriptRef",
    "StepRecord",
    "check_metrics",
    "current_context",
    "digest_array",
    "experiment_source_hash",
    "load_experiment",
    "parse_assignment",
    "parse_reference",
    "real_number",
    "record",
    "resolve_experiment",
    "to_array",
]
