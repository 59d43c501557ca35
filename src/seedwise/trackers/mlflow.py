"""A study's runs in MLflow: one parent run per study, one child run per repeat.

Everything is written from the process that runs the study (or exports it),
never from its workers: the tracking store and the experiment are made once,
by that process, so that no two processes race to create them (MLflow's
SQLite schema, or its file store's experiment, made by two workers at once,
loses runs); before any worker starts where the runs' own code may log to
the same store (:func:`prepare_export`). Each run is tagged with seedwise's
own id of what it holds (``seedwise.run_id``: ``STUDY#REPEAT``; the parent
``seedwise.study``), so a resume or a second export finds what it wrote and
adds nothing twice; a child is whole once it has ended.

A server (``http://...``) is written to over MLflow's REST API with the
standard library (:mod:`seedwise.trackers.mlflow_rest`): MLflow is not
imported at all. Any other tracking store (a SQLite file, a folder,
Databricks) goes through MLflow's own client (:class:`ClientWriter`),
``mlflow`` imported here, on first use.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.errors import TrackerError, UsageError
from seedwise.records import RunRecord, RunStatus
from seedwise.trackers._export import (
    config_fields,
    env_hash,
    finished_summary,
    run_id,
    stored_runs,
)
from seedwise.trackers.mlflow_rest import FoundRun, MetricRow, RestWriter, speaks_rest

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from seedwise.stats import Summaries
    from seedwise.store import Study

__all__ = [
    "DEFAULT_EXPERIMENT",
    "ClientWriter",
    "MlflowExport",
    "Writer",
    "client_for",
    "open_export",
    "prepare_export",
    "prepare_from_environment",
    "prepare_tracking_store",
    "probe_server",
    "run_id",
    "unreachable",
    "writer_for",
    "writes_from_a_process",
]

#: The experiment seedwise writes to when neither ``--experiment`` nor
#: ``MLFLOW_EXPERIMENT_NAME`` names one.
DEFAULT_EXPERIMENT = "seedwise"

# MLflow's own limits on one log_batch call.
_BATCH_METRICS = 1000
_BATCH_PARAMS = 100
_TAG_CHARS = 5000

_STATUS = {RunStatus.OK: "FINISHED"}
# MLflow's statuses of a run that has ended.
_ENDED = frozenset({"FINISHED", "FAILED", "KILLED"})


def client_for(tracking_uri: str | None) -> MlflowClient:
    """MLflow's client of ``tracking_uri``; MLflow is imported here, on first use.

    Raises:
        UsageError: MLflow is not installed.
    """
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise UsageError(
            "MLflow is not installed. Received: --log-to mlflow; expected `pip install mlflow`"
        ) from None
    return MlflowClient(tracking_uri=tracking_uri)


class ClientWriter:
    """The export's calls through MLflow's own client (every store that is not a plain server).

    The same calls as :class:`~seedwise.trackers.mlflow_rest.RestWriter`, which documents them.
    """

    def __init__(self, client: MlflowClient) -> None:
        self.client = client

    def check(self) -> None:
        self.client.search_experiments(max_results=1)

    def experiment_id(self, name: str) -> str | None:
        found = self.client.get_experiment_by_name(name)
        return None if found is None else str(found.experiment_id)

    def create_experiment(self, name: str) -> str:
        return str(self.client.create_experiment(name))

    def search(self, experiment_id: str, filter_string: str, max_results: int) -> list[FoundRun]:
        return [
            FoundRun(str(r.info.run_id), str(r.info.status), dict(r.data.tags), dict(r.data.params))
            for r in self.client.search_runs(
                [experiment_id], filter_string=filter_string, max_results=max_results
            )
        ]

    def create_run(
        self, experiment_id: str, tags: Mapping[str, str], start_time: int | None = None
    ) -> str:
        run = self.client.create_run(experiment_id, start_time=start_time, tags=dict(tags))
        return str(run.info.run_id)

    def log_batch(
        self,
        run_id: str,
        metrics: Iterable[MetricRow] = (),
        params: Iterable[tuple[str, str]] = (),
        tags: Iterable[tuple[str, str]] = (),
    ) -> None:
        from mlflow.entities import Metric, Param, RunTag

        self.client.log_batch(
            run_id,
            metrics=[Metric(*row) for row in metrics],
            params=[Param(k, v) for k, v in params],
            tags=[RunTag(k, v) for k, v in tags],
        )

    def set_terminated(self, run_id: str, status: str, end_time: int | None = None) -> None:
        self.client.set_terminated(run_id, status, end_time=end_time)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self.client.set_tag(run_id, key, value)

    def delete_run(self, run_id: str) -> None:
        self.client.delete_run(run_id)

    def log_artifact(self, run_id: str, path: Path) -> bool:
        self.client.log_artifact(run_id, str(path))
        return True


#: The calls the export makes of a tracking store; both writers take the same ones.
Writer = RestWriter | ClientWriter


def writer_for(tracking_uri: str | None) -> Writer:
    """How the export reaches ``tracking_uri``: over REST for a plain server, else MLflow's client.

    Raises:
        UsageError: The store needs MLflow's client and MLflow is not installed.
    """
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or ""
    if speaks_rest(uri):
        return RestWriter(uri)
    return ClientWriter(client_for(tracking_uri))


def prepare_tracking_store(tracking_uri: str | None, experiment: str | None) -> str | None:
    """Make the tracking store's schema, and ``experiment`` if named, once; its id.

    Called before a study's workers start. MLflow makes a SQLite store's
    schema (and a file store's default experiment) when a client first
    touches it; workers that do so at the same moment race, and some of
    their runs fail ("table ... already exists"). Once made here, they find it.

    Returns:
        The experiment's id, or None when none was named.

    Raises:
        TrackerError: The tracking URI cannot be reached, or MLflow refused.
    """
    return _prepared(writer_for(tracking_uri), tracking_uri, experiment)


def _prepared(writer: Writer, tracking_uri: str | None, experiment: str | None) -> str | None:
    probe_server(tracking_uri)
    try:
        if experiment is None:
            writer.check()
            return None
        found = writer.experiment_id(experiment)
        if found is not None:
            return found
        try:
            return writer.create_experiment(experiment)
        except Exception:
            # Another process made it between the two calls: take that one.
            again = writer.experiment_id(experiment)
            if again is None:
                raise
            return again
    except TrackerError:
        raise
    except Exception as caught:
        raise unreachable(tracking_uri, caught) from None


def prepare_from_environment() -> bool:
    """Prepare ``$MLFLOW_TRACKING_URI`` and ``$MLFLOW_EXPERIMENT_NAME`` for a run's own logging.

    An experiment that logs to MLflow itself, run by several workers, would
    otherwise race to make the store; done here once when the variable is
    set and MLflow is installed. Returns whether it was.
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri or importlib.util.find_spec("mlflow") is None:
        return False
    prepare_tracking_store(uri, os.environ.get("MLFLOW_EXPERIMENT_NAME"))
    return True


def probe_server(tracking_uri: str | None) -> None:
    """Refuse a server that does not answer within seconds.

    MLflow's own client retries a refused connection with backoff for
    minutes before it gives up; one plain request to the server's health
    endpoint says as much at once.
    """
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or ""
    if not uri.startswith(("http://", "https://")):
        return
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=10):
            pass
    except (OSError, urllib.error.URLError) as caught:
        reason = getattr(caught, "reason", caught)
        raise TrackerError(
            f"MLflow's tracking server does not answer: {reason}. Received: tracking URI "
            f"{uri!r}; expected a running MLflow server (mlflow server --host H --port P), "
            "sqlite:///PATH or a folder"
        ) from None


def unreachable(tracking_uri: str | None, caught: BaseException) -> TrackerError:
    """The one-line error for a tracking store that refused, from what MLflow raised."""
    first = str(caught).strip().splitlines()[0] if str(caught).strip() else type(caught).__name__
    return TrackerError(
        f"MLflow's tracking store cannot be used: {first[:300]}. Received: "
        f"tracking URI {tracking_uri or os.environ.get('MLFLOW_TRACKING_URI') or '(default)'!r}; "
        "expected a reachable MLflow server (http://HOST:PORT), sqlite:///PATH or a folder"
    )


@dataclass
class _Parent:
    run_id: str
    children: dict[str, tuple[str, str]]  # seedwise run id -> (MLflow run id, status)


class MlflowExport:
    """Writes studies to one MLflow experiment, each study once, each run once.

    Args:
        tracking_uri: MLflow's tracking URI; None for MLflow's own default
            (``MLFLOW_TRACKING_URI``, else ``./mlruns`` or ``sqlite:///mlflow.db``).
        experiment: The experiment; None for ``MLFLOW_EXPERIMENT_NAME``, else
            ``"seedwise"``.

    Raises:
        TrackerError: The tracking store cannot be reached.
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str | None = None) -> None:
        self.tracking_uri = tracking_uri
        name = experiment or os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
        self.writer = writer_for(tracking_uri)
        self.experiment_id = str(_prepared(self.writer, tracking_uri, name))
        self._parents: dict[str, _Parent] = {}
        self._sweep_runs: dict[str, str] = {}  # a cell's name -> its sweep's MLflow run
        self.written = 0
        self.failures: list[str] = []

    def nest(self, sweep: str, cells: Sequence[str]) -> str:
        """The MLflow run of ``sweep`` (found by its tag, else made); ``cells`` go under it."""
        found = self.writer.search(
            self.experiment_id, "tags.`seedwise.kind` = 'sweep'", max_results=5000
        )
        mine = [r for r in found if r.tags.get("seedwise.sweep") == sweep]
        if mine:
            sweep_id = mine[0].run_id
        else:
            tags = {"mlflow.runName": sweep, "seedwise.kind": "sweep", "seedwise.sweep": sweep}
            sweep_id = self.writer.create_run(self.experiment_id, tags)
        self._sweep_runs.update(dict.fromkeys(cells, sweep_id))
        return sweep_id

    def end_sweep(self, sweep_id: str) -> None:
        """Mark a sweep's run finished, once its cells are written."""
        self.writer.set_terminated(sweep_id, "FINISHED")

    def parent(self, study: Study) -> str:
        """The MLflow run of ``study``: found by its tag, else made, with its params."""
        name = study.name
        if name in self._parents:
            return self._parents[name].run_id
        found = self.writer.search(
            self.experiment_id, "tags.`seedwise.kind` = 'study'", max_results=5000
        )
        mine = [r for r in found if r.tags.get("seedwise.study") == name]
        record = study.record
        params = {"seed": record.seed, **config_fields(record.config)}
        sweep_parent = self._sweep_runs.get(name)
        if mine:
            parent_id = mine[0].run_id
            # A run cut off after it was made and before its params were written gets them now.
            missing = {k: v for k, v in params.items() if k not in mine[0].params}
            if missing:
                self._log_params(parent_id, missing)
            # A cell exported before as a study of its own goes under its sweep's run.
            if sweep_parent is not None and mine[0].tags.get("mlflow.parentRunId") is None:
                self.writer.set_tag(parent_id, "mlflow.parentRunId", sweep_parent)
        else:
            tags = {
                "mlflow.runName": name,
                "seedwise.kind": "study",
                "seedwise.study": name,
                "seedwise.experiment": record.experiment,
                "seedwise.code_hash": record.code_hash,
                "seedwise.settings": _text(json.dumps(record.settings, sort_keys=True)),
            }
            if sweep_parent is not None:
                tags["mlflow.parentRunId"] = sweep_parent
            parent_id = self.writer.create_run(self.experiment_id, tags)
            self._log_params(parent_id, params)
        children = (
            []
            if not mine
            else self.writer.search(
                self.experiment_id,
                f"tags.`mlflow.parentRunId` = '{parent_id}'",
                max_results=50000,
            )
        )
        self._parents[name] = _Parent(
            parent_id,
            {
                # A child is whole once it has ended (set_terminated is its last call); one
                # cut off before (a killed process) has no status here, and is written again.
                c.tags["seedwise.run_id"]: (
                    c.run_id,
                    c.tags.get("seedwise.status", "") if c.status in _ENDED else "",
                )
                for c in children
                if "seedwise.run_id" in c.tags
            },
        )
        return parent_id

    def log_run(self, study: Study, record: RunRecord) -> bool:
        """Write one run as a child of its study's run, unless it is there already.

        A child of the same run id with another status (a failed repeat
        since rerun) is replaced. Returns whether anything was written.
        """
        if not self._missing(study, record):
            return False
        parent = self._parents[study.name]
        key = run_id(study.name, record.repeat)
        existing = parent.children.get(key)
        if existing is not None:
            self.writer.delete_run(existing[0])
        tags = {
            "mlflow.runName": f"{study.name}/{record.repeat}",
            "mlflow.parentRunId": parent.run_id,
            "seedwise.kind": "repeat",
            "seedwise.run_id": key,
            "seedwise.study": study.name,
            "seedwise.status": record.status.value,
            "seedwise.code_hash": study.record.code_hash,
        }
        environment_key = env_hash(record)
        if environment_key is not None:
            tags["seedwise.env_hash"] = environment_key
        if record.environment is not None:
            tags["seedwise.environment"] = _text(json.dumps(record.environment, sort_keys=True))
        if record.error is not None:
            tags["seedwise.error"] = _text(record.error)
        child = self.writer.create_run(
            self.experiment_id,
            tags,
            start_time=None if record.started is None else int(record.started * 1000),
        )
        params = {
            "seed": record.seed,
            "repeat": record.repeat,
            **config_fields(study.record.config),
        }
        stamp = int((record.finished or record.started or 0) * 1000)
        metrics = _metric_rows(record, stamp)
        if len(params) <= _BATCH_PARAMS and len(metrics) <= _BATCH_METRICS:
            # A small run in one request (most runs), not two.
            self.writer.log_batch(child, metrics=metrics, params=_params(params))
        else:
            self._log_params(child, params)
            for start in range(0, len(metrics), _BATCH_METRICS):
                self.writer.log_batch(child, metrics=metrics[start : start + _BATCH_METRICS])
        end = None if record.finished is None else int(record.finished * 1000)
        self.writer.set_terminated(child, _STATUS.get(record.status, "FAILED"), end_time=end)
        parent.children[key] = (child, record.status.value)
        self.written += 1
        return True

    def _missing(self, study: Study, record: RunRecord) -> bool:
        """Whether MLflow lacks this run as it is (none, or one of another status)."""
        if study.name not in self._parents:
            self.parent(study)
        existing = self._parents[study.name].children.get(run_id(study.name, record.repeat))
        return existing is None or existing[1] != record.status.value

    def log_study(
        self, study: Study, *, report: bool = True, summary: Summaries | None = None
    ) -> str:
        """Write every stored run of ``study`` missing there, then its summary and report."""
        parent_id = self.parent(study)
        for record in stored_runs(study, lambda brief: self._missing(study, brief)):
            self.log_run(study, record)
        self.finish(study, report=report, summary=summary)
        return parent_id

    def finish(
        self, study: Study, *, report: bool = True, summary: Summaries | None = None
    ) -> None:
        """The study's summary as metrics of its run, its report as an artifact; run ended.

        ``summary``: the study's, where the caller has it already.
        """
        parent_id = self.parent(study)
        metrics: list[MetricRow] = []
        tags: list[tuple[str, str]] = []
        made = finished_summary(study, summary)
        if made is not None:
            for name, one in made.metrics.items():
                values = {
                    "n": one.n,
                    "mean": one.mean,
                    "mean_ci_low": one.mean_ci.low,
                    "mean_ci_high": one.mean_ci.high,
                    "median": one.median,
                    "std": one.std,
                }
                metrics += [
                    (f"{name}.{part}", float(v), 0, 0)
                    for part, v in values.items()
                    if v is not None
                ]
                tags.append((f"seedwise.method.{name}", _text(one.mean_ci.method)))
        tags.append(("seedwise.runs", str(len(study.runs))))
        self.writer.log_batch(parent_id, metrics=metrics, tags=tags)
        if report and made is not None:
            self._log_report(study, parent_id)
        self.writer.set_terminated(parent_id, "FINISHED")

    def _log_report(self, study: Study, parent_id: str) -> None:
        from seedwise.report import write_report

        with tempfile.TemporaryDirectory(prefix="seedwise-mlflow-") as folder:
            path = write_report([study], Path(folder) / "report.html")
            if not self.writer.log_artifact(parent_id, path):
                # Kept where only MLflow's client writes (a folder, a bucket the server names).
                ClientWriter(client_for(self.tracking_uri)).log_artifact(parent_id, path)

    def _log_params(self, run: str, params: dict[str, Any]) -> None:
        items = _params(params)
        for start in range(0, len(items), _BATCH_PARAMS):
            self.writer.log_batch(run, params=items[start : start + _BATCH_PARAMS])


def _params(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, _text(str(value), 6000)) for key, value in params.items()]


def _text(value: str, limit: int = _TAG_CHARS) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _metric_rows(record: RunRecord, stamp: int) -> list[MetricRow]:
    """A run's logged steps and returned metrics as MLflow metrics, each returned value its latest.

    MLflow shows a metric's value at its highest step (then its latest
    time). A returned metric with no logged steps goes at step 0; one that
    also has logged steps is the run's final value of that metric: left out
    where its last step holds that value already, else put at its last step,
    a millisecond later, so the table shows what seedwise summarises and the
    curve gains no point at step 0.
    """
    rows: list[MetricRow] = [(s.name, s.value, stamp, s.step) for s in record.steps]
    last: dict[str, tuple[int, float]] = {}
    for step in record.steps:
        if step.name not in last or step.step >= last[step.name][0]:
            last[step.name] = (step.step, step.value)
    for name, value in record.metrics.items():
        if name not in last:
            rows.append((name, value, stamp, 0))
        elif not _same_value(last[name][1], value):
            rows.append((name, value, stamp + 1, last[name][0]))
    return rows


def _same_value(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def open_export(tracking_uri: str | None, experiment: str | None) -> MlflowExport:
    """The export to ``tracking_uri``'s ``experiment`` (``seedwise.trackers.open_export``)."""
    return MlflowExport(tracking_uri, experiment)


def writes_from_a_process(tracking_uri: str | None) -> bool:
    """Whether ``--log-to`` writes to ``tracking_uri`` from a process of its own.

    Where MLflow's client does the writing (any store but a server) and the
    export is opened after the workers start (:func:`prepare_export`): its
    imports and SQL then run beside the study, not on its interpreter.
    """
    return not _runs_may_log_to(tracking_uri) and not speaks_rest(str(tracking_uri))


def _runs_may_log_to(tracking_uri: str | None) -> bool:
    """Whether a run's own ``mlflow.start_run()`` writes to ``tracking_uri``: MLflow's default
    store or ``$MLFLOW_TRACKING_URI``'s, which must then be made before any worker starts."""
    return tracking_uri is None or tracking_uri == os.environ.get("MLFLOW_TRACKING_URI")


def prepare_export(tracking_uri: str | None, experiment: str | None) -> Callable[[], MlflowExport]:
    """What can be refused at once, refused now; what opens the export, for ``--log-to``.

    MLflow not installed (where its client is needed: any store but a
    server), a server that does not answer or a SQLite store in a folder
    that is not there is refused here, before the study's store is opened.
    The export itself (for a store that is not a server, importing MLflow,
    seconds; opening the tracking store, making the experiment) is then made
    on the export's thread while the workers start: with ``--log-to`` the
    workers write nothing to MLflow, so nothing races. Except where the
    runs' own code may log to the same store (no URI given, or
    ``$MLFLOW_TRACKING_URI``'s: the store ``mlflow.start_run()`` writes to):
    that one is made now, before any worker starts
    (:func:`prepare_tracking_store`).

    Raises:
        UsageError: MLflow is not installed.
        TrackerError: The tracking URI cannot be used.
    """
    if tracking_uri is None or _runs_may_log_to(tracking_uri):
        export = MlflowExport(tracking_uri, experiment)
        return lambda: export
    if not speaks_rest(tracking_uri) and importlib.util.find_spec("mlflow") is None:
        client_for(tracking_uri)  # raises the one line that says to install it
    probe_server(tracking_uri)
    _check_sqlite_folder(tracking_uri)
    return lambda: MlflowExport(tracking_uri, experiment)


def _check_sqlite_folder(tracking_uri: str) -> None:
    """Refuse ``sqlite:///PATH`` in a folder that is not there (MLflow makes no folder)."""
    if not tracking_uri.startswith("sqlite:///"):
        return
    from urllib.parse import unquote

    path = Path(unquote(tracking_uri.removeprefix("sqlite:///").partition("?")[0]))
    if not path.parent.is_dir():
        raise TrackerError(
            f"MLflow's SQLite store cannot be made: its folder {str(path.parent)!r} is not there. "
            f"Received: tracking URI {tracking_uri!r}; expected sqlite:///PATH in a folder "
            "that exists"
        )
