"""MLflow's REST API spoken with the standard library: a study written to a server without MLflow.

Importing MLflow costs seconds of CPU (its client, then its protobuf
messages), which a 2-core machine takes from the study's own workers. An
MLflow tracking server takes the same calls as plain JSON over HTTP
(``/api/2.0/mlflow/...``), so the writes ``--log-to mlflow=http://...`` makes
(an experiment, runs, their params, metrics and tags, their ends, a report)
go straight to the server from here, and MLflow is never imported in the
study's process.

Only what a plain server needs is spoken here: basic authentication
(``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD``) or a bearer
token (``MLFLOW_TRACKING_TOKEN``). A server reached through anything else
MLflow's client knows (a credentials file, client certificates, custom TLS
settings, AWS signatures, an auth plugin, workspaces) goes through MLflow's
own client instead (:func:`speaks_rest`).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedwise._json import json_number
from seedwise.errors import TrackerError

__all__ = ["FoundRun", "MetricRow", "RestWriter", "speaks_rest"]

#: One metric value as MLflow keeps it: name, value, timestamp (ms), step.
MetricRow = tuple[str, float, int, int]

# What makes MLflow's client reach a server in ways this module does not speak.
_CLIENT_ONLY = (
    "MLFLOW_TRACKING_AUTH",
    "MLFLOW_TRACKING_AWS_SIGV4",
    "MLFLOW_TRACKING_CLIENT_CERT_PATH",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "MLFLOW_ENABLE_WORKSPACES",
    "MLFLOW_WORKSPACE",
)
_FALSE = {"", "0", "false", "no"}

# Responses worth asking again, as MLflow's client does (with backoff).
_RETRY = frozenset({429, 500, 502, 503, 504})
_ATTEMPTS = 5
_BACKOFF = 0.5  # seconds before the second attempt, doubled before each later one

# MLflow's limits on one runs/log-batch request: params and tags each, and items in all.
_BATCH_KEYED = 100
_BATCH_ITEMS = 1000

# The server's own limit on one page of runs/search.
_PAGE = 50000


@dataclass(frozen=True)
class FoundRun:
    """A run found in an experiment: its id, status, tags and params."""

    run_id: str
    status: str
    tags: dict[str, str]
    params: dict[str, str]


def speaks_rest(tracking_uri: str) -> bool:
    """Whether ``tracking_uri`` is a server this module can write to as MLflow's client would."""
    if not tracking_uri.startswith(("http://", "https://")):
        return False
    if any(os.environ.get(name, "").strip().lower() not in _FALSE for name in _CLIENT_ONLY):
        return False
    return not (Path.home() / ".mlflow" / "credentials").exists()


class RestWriter:
    """The calls seedwise's MLflow export makes, as HTTP requests to one tracking server.

    Args:
        tracking_uri: The server, ``http://HOST:PORT`` (a path after it kept).

    Errors the server answers with, or a server that stops answering, raise
    :class:`~seedwise.errors.TrackerError` with the server's own message.
    """

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self._headers = {"Content-Type": "application/json"}
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        user = os.environ.get("MLFLOW_TRACKING_USERNAME")
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        elif user is not None:
            pair = f"{user}:{os.environ.get('MLFLOW_TRACKING_PASSWORD', '')}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        self._timeout = float(os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT") or 120)

    # The requests.

    def _call(
        self, method: str, endpoint: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """One call of the API; its JSON answer. ``GET`` bodies become the query string."""
        url = f"{self.tracking_uri}/api/2.0/mlflow/{endpoint}"
        data = None
        if method == "GET" and body:
            url += "?" + urllib.parse.urlencode(body)
        elif body is not None:
            data = json.dumps(body).encode()
        answer = self._send(urllib.request.Request(url, data, self._headers, method=method))
        return dict(json.loads(answer or b"{}"))

    def _send(self, request: urllib.request.Request) -> bytes:
        for attempt in range(_ATTEMPTS):
            try:
                with urllib.request.urlopen(request, timeout=self._timeout) as response:
                    return bytes(response.read())
            except urllib.error.HTTPError as caught:
                if caught.code in _RETRY and attempt + 1 < _ATTEMPTS:
                    time.sleep(_BACKOFF * 2**attempt)
                    continue
                raise _refused(request, caught) from None
            except OSError as caught:
                if attempt + 1 < _ATTEMPTS:
                    time.sleep(_BACKOFF * 2**attempt)
                    continue
                reason = getattr(caught, "reason", caught)
                raise TrackerError(
                    f"MLflow's tracking server stopped answering: {reason}. Received: tracking "
                    f"URI {self.tracking_uri!r}; expected a running MLflow server"
                ) from None
        raise AssertionError("unreachable")

    # Experiments.

    def check(self) -> None:
        """One cheap call, so that a server that refuses does so now."""
        self._call("POST", "experiments/search", {"max_results": 1})

    def experiment_id(self, name: str) -> str | None:
        """The id of the experiment ``name``, or None when there is none of that name."""
        try:
            found = self._call("GET", "experiments/get-by-name", {"experiment_name": name})
        except _Missing:
            return None
        return str(found["experiment"]["experiment_id"])

    def create_experiment(self, name: str) -> str:
        """Make the experiment ``name``; its id."""
        return str(self._call("POST", "experiments/create", {"name": name})["experiment_id"])

    # Runs.

    def search(self, experiment_id: str, filter_string: str, max_results: int) -> list[FoundRun]:
        """The runs of ``experiment_id`` that ``filter_string`` matches, page by page."""
        found: list[FoundRun] = []
        token: str | None = None
        while len(found) < max_results:
            body: dict[str, Any] = {
                "experiment_ids": [experiment_id],
                "filter": filter_string,
                "max_results": min(_PAGE, max_results - len(found)),
            }
            if token:
                body["page_token"] = token
            page = self._call("POST", "runs/search", body)
            for run in page.get("runs", []):
                data = run.get("data", {})
                found.append(
                    FoundRun(
                        str(run["info"]["run_id"]),
                        str(run["info"].get("status", "")),
                        _pairs(data.get("tags", [])),
                        _pairs(data.get("params", [])),
                    )
                )
            token = page.get("next_page_token")
            if not token:
                break
        return found

    def create_run(
        self, experiment_id: str, tags: Mapping[str, str], start_time: int | None = None
    ) -> str:
        """Make a run with ``tags``; its id. ``start_time`` in ms, else now."""
        body = {
            "experiment_id": experiment_id,
            "user_id": tags.get("mlflow.user", "unknown"),
            "start_time": int(time.time() * 1000) if start_time is None else start_time,
            "tags": _list(tags.items()),
        }
        return str(self._call("POST", "runs/create", body)["run"]["info"]["run_id"])

    def log_batch(
        self,
        run_id: str,
        metrics: Iterable[MetricRow] = (),
        params: Iterable[tuple[str, str]] = (),
        tags: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Metrics, params and tags of one run, in as few requests as MLflow's limits allow.

        A request holds at most 100 params, 100 tags and 1000 items in all
        (MLflow's client splits a batch the same way).
        """
        rest_metrics = [
            {"key": key, "value": json_number(value), "timestamp": stamp, "step": step}
            for key, value, stamp, step in metrics
        ]
        rest_params, rest_tags = _list(params), _list(tags)
        while True:
            body: dict[str, Any] = {"run_id": run_id}
            room = _BATCH_ITEMS
            for name, items, most in (
                ("params", rest_params, _BATCH_KEYED),
                ("tags", rest_tags, _BATCH_KEYED),
                ("metrics", rest_metrics, _BATCH_ITEMS),
            ):
                taken = min(len(items), most, room)
                body[name] = items[:taken]
                del items[:taken]
                room -= taken
            self._call("POST", "runs/log-batch", body)
            if not (rest_params or rest_tags or rest_metrics):
                return

    def set_terminated(self, run_id: str, status: str, end_time: int | None = None) -> None:
        """End the run with ``status``, at ``end_time`` (ms) or now."""
        end = int(time.time() * 1000) if end_time is None else end_time
        body = {"run_id": run_id, "status": status, "end_time": end}
        self._call("POST", "runs/update", body)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        """Set one tag of a run."""
        self._call("POST", "runs/set-tag", {"run_id": run_id, "key": key, "value": value})

    def delete_run(self, run_id: str) -> None:
        """Delete a run (MLflow keeps it, marked deleted)."""
        self._call("POST", "runs/delete", {"run_id": run_id})

    def log_artifact(self, run_id: str, path: Path) -> bool:
        """Upload ``path`` into the run's artifacts, where the server keeps them.

        Returns False, uploading nothing, when the run's artifacts are not
        served by the server (``mlflow-artifacts:``) but kept where only
        MLflow's client writes (a folder, a bucket).
        """
        info = self._call("GET", "runs/get", {"run_id": run_id})["run"]["info"]
        where = urllib.parse.urlparse(str(info.get("artifact_uri", "")))
        if where.scheme != "mlflow-artifacts":
            return False
        target = f"{where.path.strip('/')}/{urllib.parse.quote(path.name)}"
        url = f"{self.tracking_uri}/api/2.0/mlflow-artifacts/artifacts/{target}"
        headers = dict(self._headers)
        headers["Content-Type"] = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._send(urllib.request.Request(url, path.read_bytes(), headers, method="PUT"))
        return True


class _Missing(TrackerError):
    """The server has no such resource (``RESOURCE_DOES_NOT_EXIST``)."""


def _refused(request: urllib.request.Request, caught: urllib.error.HTTPError) -> TrackerError:
    """The error for an HTTP error answer, with the server's own message."""
    try:
        answer = json.loads(caught.read() or b"{}")
    except ValueError:
        answer = {}
    code = answer.get("error_code", f"HTTP {caught.code}")
    message = str(answer.get("message") or caught.reason).strip().splitlines()
    first = message[0][:300].rstrip(".") if message else ""
    endpoint = urllib.parse.urlparse(request.full_url).path
    kind = _Missing if code == "RESOURCE_DOES_NOT_EXIST" else TrackerError
    return kind(
        f"MLflow's tracking server refused {endpoint}: {code}: {first}. Received: tracking URI "
        f"{request.full_url.split('/api/')[0]!r}; expected a server that accepts MLflow's "
        "REST API 2.0"
    )


def _pairs(items: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {str(item["key"]): str(item.get("value", "")) for item in items}


def _list(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in items]
