"""MLflow's REST API spoken without MLflow, to a real ``mlflow server`` read by MLflow's client.

The tests that need no MLflow server talk to a small HTTP server of their
own, which records what it was sent and answers as the test says.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import math
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from seedwise.errors import TrackerError
from seedwise.trackers import mlflow_rest
from seedwise.trackers.mlflow import ClientWriter, writer_for
from seedwise.trackers.mlflow_rest import RestWriter, speaks_rest
from tests.conftest import run_python


class _Recorder:
    """A local HTTP server: each request recorded, each answered from ``answers`` in turn."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                recorder.requests.append((self.command, self.path, dict(self.headers), body))
                code, payload = (
                    recorder.answers.pop(0) if len(recorder.answers) > 1 else (recorder.answers[0])
                )
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    made = _Recorder([(200, {})])
    yield made
    made.http.shutdown()


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_URI", *mlflow_rest._CLIENT_ONLY,
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(mlflow_rest, "_BACKOFF", 0.01)


def test_a_plain_server_is_written_over_rest_and_anything_else_through_mlflows_client(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert speaks_rest("http://127.0.0.1:5000")
    assert speaks_rest("https://mlflow.example.org/prefix")
    for uri in ("sqlite:///m.db", "file:///tmp/mlruns", "databricks", "/tmp/mlruns", ""):
        assert not speaks_rest(uri), uri
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert isinstance(writer_for(None), RestWriter)
    # What MLflow's client knows and this module does not speak sends the calls through MLflow.
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
    assert not speaks_rest("http://127.0.0.1:5000")
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "false")
    assert speaks_rest("http://127.0.0.1:5000")
    credentials = tmp_path / "home" / ".mlflow" / "credentials"
    credentials.parent.mkdir(parents=True)
    credentials.write_text("[mlflow]\nmlflow_tracking_username = someone\n")
    assert not speaks_rest("http://127.0.0.1:5000")


def test_basic_credentials_and_tokens_are_sent_as_mlflows_client_sends_them(
    recorder: _Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ann")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pa:ss")
    RestWriter(recorder.uri).check()
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-1")
    RestWriter(recorder.uri).check()
    (method, path, basic, body), (_, _, bearer, _) = recorder.requests
    assert (method, path) == ("POST", "/api/2.0/mlflow/experiments/search")
    assert json.loads(body) == {"max_results": 1}
    assert basic["Authorization"] == "Basic " + base64.b64encode(b"ann:pa:ss").decode()
    assert bearer["Authorization"] == "Bearer tok-1"


def test_a_batch_is_split_within_mlflows_limits_on_one_request(recorder: _Recorder) -> None:
    metrics = [("m", float(k), 0, k) for k in range(1500)]
    params = [(f"p{k}", "v") for k in range(150)]
    tags = [(f"t{k}", "v") for k in range(30)]
    RestWriter(recorder.uri).log_batch("r1", metrics=metrics, params=params, tags=tags)
    sent = [json.loads(request[3]) for request in recorder.requests]
    for body in sent:
        assert body["run_id"] == "r1"
        assert len(body["params"]) <= 100
        assert len(body["tags"]) <= 100
        assert len(body["params"]) + len(body["tags"]) + len(body["metrics"]) <= 1000
    assert len(sent) == 2
    assert [p["key"] for b in sent for p in b["params"]] == [k for k, _ in params]
    assert [t["key"] for b in sent for t in b["tags"]] == [k for k, _ in tags]
    assert [m["step"] for b in sent for m in b["metrics"]] == list(range(1500))


def test_non_finite_metrics_are_sent_as_mlflows_json_writes_them(recorder: _Recorder) -> None:
    RestWriter(recorder.uri).log_batch(
        "r1", metrics=[("a", math.inf, 5, 0), ("b", -math.inf, 5, 1), ("c", math.nan, 5, 2)]
    )
    sent = json.loads(recorder.requests[0][3])
    assert [m["value"] for m in sent["metrics"]] == ["Infinity", "-Infinity", "NaN"]


def test_a_busy_server_is_asked_again_and_one_that_stays_busy_refused_in_one_line(
    recorder: _Recorder,
) -> None:
    recorder.answers[:] = [(503, {}), (429, {}), (200, {"experiment_id": "7"})]
    assert RestWriter(recorder.uri).create_experiment("e") == "7"
    assert len(recorder.requests) == 3

    recorder.answers[:] = [(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"})]
    with pytest.raises(TrackerError) as caught:
        RestWriter(recorder.uri).check()
    message = str(caught.value)
    assert "\n" not in message
    assert "/api/2.0/mlflow/experiments/search: TEMPORARILY_UNAVAILABLE: busy" in message
    assert len(recorder.requests) == 3 + mlflow_rest._ATTEMPTS


def test_a_server_that_stops_answering_is_one_line() -> None:
    writer = RestWriter("http://127.0.0.1:9")  # the discard port: nothing listens there
    with pytest.raises(TrackerError, match=r"^MLflow's tracking server stopped answering: .*"):
        writer.check()


# Against a real MLflow server.

mlflow_needed = pytest.mark.skipif(
    importlib.util.find_spec("mlflow") is None, reason="needs mlflow"
)


@pytest.mark.slow
@mlflow_needed
def test_the_rest_writer_leaves_in_mlflow_what_mlflows_client_reads_back(server: str) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(server)
    writer = RestWriter(server)
    assert writer.experiment_id("rest-1") is None
    experiment = writer.create_experiment("rest-1")
    assert writer.experiment_id("rest-1") == experiment
    run = writer.create_run(experiment, {"mlflow.runName": "r", "k": "v"}, start_time=1000)
    # More steps than one request of MLflow's takes; values a diverged run leaves.
    steps = [("loss", float(s), 2000, s) for s in range(1500)]
    writer.log_batch(run, metrics=steps[:1000], params=[("seed", "3")], tags=[("t", "x")])
    writer.log_batch(run, metrics=[*steps[1000:], ("inf", math.inf, 2000, 0)])
    writer.log_batch(run, metrics=[("nan", math.nan, 2000, 0), ("neg", -math.inf, 2000, 0)])
    writer.set_tag(run, "later", "y")
    writer.set_terminated(run, "FINISHED", end_time=3000)

    read = client.get_run(run)
    assert read.info.status == "FINISHED"
    assert (read.info.start_time, read.info.end_time) == (1000, 3000)
    assert read.info.run_name == "r"
    assert read.data.params == {"seed": "3"}
    assert {k: read.data.tags[k] for k in ("k", "t", "later")} == {"k": "v", "t": "x", "later": "y"}
    # Non-finite values read back as they do when MLflow's own client writes them
    # (its SQL store keeps infinities as the largest floats).
    own = client.create_run(experiment).info.run_id
    for key, value in (("inf", math.inf), ("neg", -math.inf), ("nan", math.nan)):
        client.log_metric(own, key, value, timestamp=2000, step=0)
    theirs = client.get_run(own).data.metrics
    assert read.data.metrics["inf"] == theirs["inf"] > 1e308
    assert read.data.metrics["neg"] == theirs["neg"] < -1e308
    assert math.isnan(read.data.metrics["nan"])
    assert math.isnan(theirs["nan"])
    history = client.get_metric_history(run, "loss")
    assert sorted((m.step, m.value) for m in history) == [(s, float(s)) for s in range(1500)]

    found = writer.search(experiment, "tags.k = 'v'", max_results=10)
    assert [(f.run_id, f.status, f.params) for f in found] == [(run, "FINISHED", {"seed": "3"})]
    assert found[0].tags["later"] == "y"
    report = Path(__file__).with_name("conftest.py")
    assert writer.log_artifact(run, report)
    assert [a.path for a in client.list_artifacts(run)] == ["conftest.py"]
    writer.delete_run(run)
    assert client.get_run(run).info.lifecycle_stage == "deleted"
    with pytest.raises(TrackerError, match="runs/log-batch"):
        writer.log_batch("no-such-run", params=[("a", "1")])


@pytest.mark.slow
@mlflow_needed
def test_search_goes_through_every_page(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mlflow_rest, "_PAGE", 2)
    writer = RestWriter(server)
    experiment = writer.create_experiment("rest-pages")
    made = {writer.create_run(experiment, {"p": "1"}) for _ in range(5)}
    assert {f.run_id for f in writer.search(experiment, "tags.p = '1'", 100)} == made
    assert len(writer.search(experiment, "tags.p = '1'", 3)) == 3


@pytest.mark.slow
@mlflow_needed
def test_log_to_a_server_imports_no_mlflow_in_the_studys_process(
    server: str, tmp_path: Path
) -> None:
    (tmp_path / "exp.py").write_text(
        textwrap.dedent(
            """
            def train(ctx):
                return {"mse": float(ctx.rng("d").normal()) ** 2}
            """
        )
    )
    program = textwrap.dedent(
        f"""
        import sys
        from seedwise.cli import main
        code = main(["run", {str(tmp_path / "exp.py") + ":train"!r}, "--repeats", "3",
                     "--workers", "1", "--framework", "numpy", "--name", "quiet",
                     "--store", {str(tmp_path / "s.db")!r},
                     "--log-to", "mlflow={server}", "--experiment-name", "no-import"])
        print("exit", code, "mlflow imported", "mlflow" in sys.modules)
        """
    )
    done = run_python(["-c", program], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "exit 0 mlflow imported False" in done.stdout

    from mlflow.tracking import MlflowClient

    client = MlflowClient(server)
    experiment = client.get_experiment_by_name("no-import")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.data.tags.get("seedwise.run_id", "parent") for r in runs) == [
        "parent", "quiet#0", "quiet#1", "quiet#2",
    ]  # fmt: skip
    assert all(r.info.status == "FINISHED" for r in runs)


@pytest.mark.slow
@mlflow_needed
def test_the_client_writer_gives_what_the_rest_writer_gives(server: str, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    sqlite = f"sqlite:///{tmp_path / 'm.db'}"
    for writer in (RestWriter(server), ClientWriter(MlflowClient(sqlite))):
        experiment = writer.create_experiment("same")
        run = writer.create_run(experiment, {"mlflow.runName": "r"}, start_time=5)
        writer.log_batch(run, metrics=[("m", 1.5, 7, 2)], params=[("p", "q")])
        writer.set_terminated(run, "FAILED", end_time=9)
        (found,) = writer.search(experiment, "params.p = 'q'", 10)
        assert (found.run_id, found.status, found.params) == (run, "FAILED", {"p": "q"})
        assert found.tags["mlflow.runName"] == "r"
