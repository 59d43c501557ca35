"""An MLflow experiment's runs brought in as read-only studies (``seedwise import mlflow``).

Each MLflow run is one run of a study: its study, seed and task are read
from the fields named (``params.model``, ``tags.seed``,
``attributes.run_name``), its metrics are their final values, and a metric
logged at more than one step is also a logged step of the run (its
history), so ``seedwise curves`` draws it, with the column ``time``: the
seconds since the run started at each step (``curves --x time``). A run
that other runs name as their parent (``mlflow.parentRunId``: a summary,
such as the study runs ``seedwise export`` writes) is not a repeat and is
left out, as are runs still running. FINISHED runs are ``ok``; FAILED and KILLED ones ``failed``.

Only the MLflow client reads here: nothing is written to the tracking
store, and a store that does not exist yet is refused rather than made.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from seedwise.errors import TrackerError
from seedwise.records import RunStatus, StepRecord
from seedwise.trackers.imports import (
    TIME_COLUMN,
    ImportedRun,
    ImportResult,
    store_imported,
    wall_time_steps,
)
from seedwise.trackers.mlflow import client_for, probe_server, unreachable

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

__all__ = ["import_experiment"]

_STATUS = {"FINISHED": RunStatus.OK, "FAILED": RunStatus.FAILED, "KILLED": RunStatus.FAILED}
_PAGE = 1000


def import_experiment(
    experiment: str,
    *,
    tracking_uri: str | None,
    study_from: str,
    seed_from: str,
    task_from: str | None = None,
    store: str | os.PathLike[str] | None = None,
) -> ImportResult:
    """Import the runs of the MLflow experiment ``experiment`` as read-only studies.

    Args:
        experiment: The experiment's name.
        tracking_uri: MLflow's tracking URI; None for ``$MLFLOW_TRACKING_URI``
            (else ``./mlruns``).
        study_from: Where each run's study is: ``params.KEY``, ``tags.KEY``
            or ``attributes.run_name``.
        seed_from: Where its seed is.
        task_from: Where its task is, if anywhere.
        store: seedwise's store; None for the default.

    Raises:
        TrackerError: The tracking URI cannot be reached, or has no such experiment.
        UsageError: A run with no seed, a seed that is not an integer, or a
            seed twice in one study (nothing is stored).
    """
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or None
    _refuse_missing_store(uri)
    client = client_for(uri)
    probe_server(uri)
    try:
        found = client.get_experiment_by_name(experiment)
        known = [] if found is not None else [e.name for e in client.search_experiments()]
    except Exception as caught:
        raise unreachable(uri, caught) from None
    if found is None:
        listed = ", ".join(map(repr, sorted(known)[:10])) or "none"
        raise TrackerError(
            f"MLflow has no experiment of this name. Received: --experiment {experiment!r} at "
            f"{uri or '(default)'!r}; expected one of {listed}"
        )
    runs = _all_runs(client, str(found.experiment_id))
    parents = {r.data.tags.get("mlflow.parentRunId") for r in runs}
    imported = [
        _imported(client, run, study_from, seed_from, task_from)
        for run in runs
        if run.info.run_id not in parents and run.info.status in _STATUS
    ]
    where = uri or "(default)"
    return store_imported(
        imported,
        source={
            "source": "mlflow",
            "tracking_uri": where,
            "experiment": experiment,
            "experiment_id": str(found.experiment_id),
            "from": f"MLflow experiment {experiment!r} at {where}",
        },
        experiment=f"mlflow:{experiment}",
        store=store,
        seed_from=f"--seed-from {seed_from}",
        study_from=f"--study-from {study_from}",
        task_from=None if task_from is None else f"--task-from {task_from}",
    )


def _refuse_missing_store(uri: str | None) -> None:
    """A local tracking store that does not exist is refused: MLflow would make an empty one."""
    if uri is None or uri.startswith(("http://", "https://", "databricks")):
        return
    if uri.startswith("sqlite:///"):
        path = Path(unquote(uri[len("sqlite:///") :]))  # sqlite:////abs, sqlite:///relative
    elif uri.startswith("file:"):
        path = Path(unquote(urlparse(uri).path))
    elif "://" in uri:
        return
    else:
        path = Path(uri)
    if not path.exists():
        raise TrackerError(
            f"There is no MLflow tracking store at this URI. Received: --tracking-uri {uri!r}; "
            f"expected an existing store ({str(path)!r} does not exist) or a running server "
            "(http://HOST:PORT)"
        )


def _all_runs(client: MlflowClient, experiment_id: str) -> list[Run]:
    runs: list[Run] = []
    token: str | None = None
    while True:
        page = client.search_runs([experiment_id], max_results=_PAGE, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _field(run: Run, name: str) -> Any:
    kind, _, key = name.partition(".")
    if kind == "params":
        return run.data.params.get(key)
    if kind == "tags":
        return run.data.tags.get(key)
    return getattr(run.info, key, None)


def _imported(
    client: MlflowClient, run: Run, study_from: str, seed_from: str, task_from: str | None
) -> ImportedRun:
    info = run.info
    steps: list[StepRecord] = []
    times: dict[int, float] = {}  # each step's latest timestamp, in seconds
    for name in sorted(run.data.metrics):
        history = client.get_metric_history(info.run_id, name)
        if len(history) > 1:
            ordered = sorted(history, key=lambda m: (m.step, m.timestamp))
            steps += [StepRecord(int(m.step), name, float(m.value)) for m in ordered]
            for m in ordered:
                times[int(m.step)] = max(times.get(int(m.step), 0.0), m.timestamp / 1000)
    if times and TIME_COLUMN not in run.data.metrics:
        # Seconds since the run started, or since its first value if logged with an earlier time.
        starts = [min(times.values())] + (
            [] if info.start_time is None else [info.start_time / 1000]
        )
        steps += wall_time_steps(times, min(starts))
    config = {key: value for key, value in run.data.params.items() if f"params.{key}" != seed_from}
    for what in (study_from, task_from):
        if what is not None and not what.startswith("params."):
            config[what.partition(".")[2]] = _field(run, what)
    status = _STATUS[info.status]
    return ImportedRun(
        where=f"MLflow run {info.run_id} ({info.run_name})",
        study=_field(run, study_from),
        seed=_field(run, seed_from),
        task=None if task_from is None else _field(run, task_from),
        metrics=dict(run.data.metrics),
        steps=tuple(steps),
        config=config,
        status=status,
        error=None if status.is_finished else f"MLflow run status {info.status}",
        started=None if info.start_time is None else info.start_time / 1000,
        finished=None if info.end_time is None else info.end_time / 1000,
        source_id=str(info.run_id),
    )
