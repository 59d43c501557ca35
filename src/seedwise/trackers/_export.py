"""What every tracker's export shares: its calls, a study's runs read whole, the fields of a run.

A tracker's module (``mlflow``, ``tensorboard``, ``wandb``) has one export
class with the calls of :class:`TrackerExport`; ``--log-to`` and ``export
--to`` talk to that, never to a tracker's client. :func:`open_export` imports
the tracker's module only when it is asked for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from seedwise._user_text import masked
from seedwise.records import RunRecord

if TYPE_CHECKING:
    from seedwise.store import Study

__all__ = [
    "TRACKER_NAMES",
    "TrackerExport",
    "config_fields",
    "env_hash",
    "export_studies",
    "open_export",
    "run_id",
    "runs_digest",
    "stored_runs",
]

#: Each tracker's name as users write it (``--log-to``), and as it is printed.
TRACKER_NAMES = {"mlflow": "MLflow", "tensorboard": "TensorBoard", "wandb": "W&B"}


class TrackerExport(Protocol):
    """What ``--log-to`` and ``export --to`` ask of a tracker's export."""

    #: How many runs were written (runs already there are not counted).
    written: int

    def nest(self, sweep: str, cells: Sequence[str]) -> str:
        """Put ``cells`` under one entry of ``sweep``, where the tracker has such a thing."""

    def end_sweep(self, sweep_id: str) -> None:
        """Mark the sweep's entry finished."""

    def log_run(self, study: Study, record: RunRecord) -> bool:
        """Write one run, unless it is there already; whether anything was written."""

    def log_study(self, study: Study) -> str:
        """Write every stored run of ``study`` that is missing, then its summary."""


def open_export(tracker: str, where: str | None, experiment: str | None) -> TrackerExport:
    """The export of ``tracker`` (a key of ``TRACKER_NAMES``), its client imported now.

    Raises:
        TrackerError: The tracker cannot be reached or written to.
        UsageError: The tracker's package is not installed.
    """
    module = importlib.import_module(f"seedwise.trackers.{tracker}")
    export: TrackerExport = module.open_export(where, experiment)
    return export


def export_studies(
    tracker: str, studies: Sequence[Study], where: str | None, experiment: str | None
) -> TrackerExport:
    """Write each of ``studies`` to ``tracker``: every run missing there, then its summary."""
    export = open_export(tracker, where, experiment)
    for study in studies:
        export.log_study(study)
    return export


def run_id(study: str, repeat: int) -> str:
    """seedwise's id of one run, as each tracker tags it: ``STUDY#REPEAT``."""
    return f"{study}#{repeat}"


def stored_runs(study: Study) -> Iterator[RunRecord]:
    """Every stored run of ``study``, with its logged steps and its environment."""
    for brief in study.runs:
        environment = brief.environment
        if environment is None and brief.env_hash is not None:
            environment = study.store.environment(
                brief.env_hash, run=f"study {study.name!r} repeat {brief.repeat}"
            )
        steps = tuple(study.store.steps(study.name, brief.repeat))
        yield dataclasses.replace(brief, steps=steps, environment=environment)


def env_hash(record: RunRecord) -> str | None:
    """The hash of the run's environment, as the store keys it.

    A run handed over as it is stored (``--log-to``) carries its environment
    but not yet the hash the store gives it.
    """
    if record.env_hash is not None or record.environment is None:
        return record.env_hash
    from seedwise.store.rows import environment_hash

    return environment_hash(record.environment)


def config_fields(config: dict[str, Any]) -> dict[str, Any]:
    """A study's config as ``config.KEY`` fields, secret-named values as ``***``."""
    return {f"config.{key}": value for key, value in masked(config).items()}


def runs_digest(study: Study) -> str:
    """A short digest of which runs a study holds and their statuses.

    A summary written to a tracker that cannot replace what it wrote
    (an event file, a W&B run) is named by this, so that the same runs give
    the same name and nothing is written twice.
    """
    state = sorted((run.repeat, run.status.value) for run in study.runs)
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:12]
