"""Studies in MLflow, written to a real ``mlflow server`` and read back with MLflow's own client."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import default_sigint, run_python
from tests.trackers.conftest import free_port

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

pytestmark = pytest.mark.slow

EXPERIMENT = textwrap.dedent(
    """
    def train(ctx, width=3):
        rng = ctx.rng("data")
        for step in range(4):
            ctx.log(step, loss=float(rng.normal()))
        return {"mse": float(rng.normal()) ** 2 + width}
    """
)

# An experiment that logs to MLflow itself, as users write it (usercode/mlflow_in_run.py).
SELF_LOGGING = textwrap.dedent(
    """
    import mlflow
    import seedwise

    ctx = seedwise.current_context()
    mlflow.set_experiment("own-experiment")
    with mlflow.start_run():
        mlflow.log_param("seed", ctx.seed)
        mlflow.log_metric("acc", ctx.seed % 7 / 7)
    seedwise.record(acc=ctx.seed % 7 / 7)
    """
)


def _seedwise(args: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    return run_python(["-m", "seedwise", *args, "--store", str(folder / "s.db")], cwd=folder)


@pytest.fixture(params=["server", "sqlite"])
def tracking(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A tracking URI: the real server (written over REST, on a thread of the study's
    process) or a SQLite store (written by MLflow's client, in a process of its own)."""
    if request.param == "server":
        return str(request.getfixturevalue("server"))
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def _runs(uri: str, experiment: str) -> list[mlflow.entities.Run]:
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None
    return list(client.search_runs([found.experiment_id], max_results=1000))


def test_run_log_to_mlflow_writes_a_parent_and_one_child_per_repeat_once(
    tracking: str, tmp_path: Path
) -> None:
    server = tracking
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    run = [
        "run", f"{tmp_path / 'exp.py'}:train", "--repeats", "4", "--workers", "2",
        "--set", "width=2", "--name", "study-a", "--framework", "numpy",
        "--log-to", f"mlflow={server}", "--experiment-name", "e1", "--log-to-report",
    ]  # fmt: skip
    done = _seedwise(run, tmp_path)
    assert done.returncode == 0, done.stderr

    runs = _runs(server, "e1")
    parents = [r for r in runs if r.data.tags.get("seedwise.kind") == "study"]
    children = [r for r in runs if r.data.tags.get("seedwise.kind") == "repeat"]
    assert len(parents) == 1
    assert len(children) == 4
    parent = parents[0]
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    assert sorted(c.data.tags["seedwise.run_id"] for c in children) == [
        f"study-a#{k}" for k in range(4)
    ]
    client = MlflowClient(server)
    with mlflow_store(tmp_path) as study:
        for child in children:
            repeat = int(child.data.params["repeat"])
            stored = study.store.run("study-a", repeat)
            assert stored is not None
            assert child.data.params["seed"] == str(stored.seed)
            assert child.data.params["config.width"] == "2"
            assert child.data.metrics["mse"] == stored.metrics["mse"]
            assert child.data.tags["seedwise.code_hash"] == study.record.code_hash
            assert child.data.tags["seedwise.env_hash"] == stored.env_hash
            assert "python" in child.data.tags["seedwise.environment"]
            history = client.get_metric_history(child.info.run_id, "loss")
            assert [(m.step, m.value) for m in history] == [(s.step, s.value) for s in stored.steps]
        summary = study.summary("mse")["mse"]
    assert parent.data.metrics["mse.n"] == 4
    assert parent.data.metrics["mse.mean"] == pytest.approx(summary.mean)
    low = summary.mean_ci.low
    assert parent.data.metrics.get("mse.mean_ci_low") == (
        None if low is None else pytest.approx(low)
    )
    assert parent.data.tags["seedwise.method.mse"] == summary.mean_ci.method
    assert [a.path for a in client.list_artifacts(parent.info.run_id)] == ["report.html"]

    # A resume and a re-export add nothing.
    assert _seedwise(run, tmp_path).returncode == 0
    exported = _seedwise(
        ["export", "study-a", "--to", f"mlflow={server}", "--experiment-name", "e1"], tmp_path
    )
    assert exported.returncode == 0, exported.stderr
    assert "0 runs written" in exported.stderr
    assert len(_runs(server, "e1")) == 5


FINAL_VALUE = textwrap.dedent(
    """
    def train(ctx):
        for step in range(3):
            ctx.log(step, loss=1.0 / (step + 1) + ctx.repeat)
        # Repeat 0 returns its last logged loss; repeat 1 another value (its best, say).
        return {"loss": 1.0 / 3 + ctx.repeat if ctx.repeat == 0 else -1.0, "acc": 0.5}
    """
)


def test_a_returned_metric_with_logged_steps_is_mlflows_latest_value_and_adds_no_step_0(
    server: str, tmp_path: Path
) -> None:
    (tmp_path / "exp.py").write_text(FINAL_VALUE)
    run = [
        "run", f"{tmp_path / 'exp.py'}:train", "--repeats", "2", "--workers", "1",
        "--framework", "python", "--log-to", f"mlflow={server}", "--experiment-name", "final",
    ]  # fmt: skip
    done = _seedwise(run, tmp_path)
    assert done.returncode == 0, done.stderr
    client = MlflowClient(server)
    children = {
        int(r.data.params["repeat"]): r
        for r in _runs(server, "final")
        if r.data.tags.get("seedwise.kind") == "repeat"
    }
    logged = {k: [(step, 1.0 / (step + 1) + k) for step in range(3)] for k in (0, 1)}
    history = {
        k: sorted((m.step, m.value) for m in client.get_metric_history(child.info.run_id, "loss"))
        for k, child in children.items()
    }
    assert children[0].data.metrics["loss"] == 1.0 / 3
    assert history[0] == logged[0]  # the returned value is the last step's: nothing added
    assert children[1].data.metrics["loss"] == -1.0  # what seedwise summarises, not 4/3
    assert history[1] == sorted([*logged[1], (2, -1.0)])  # at the last step, not step 0
    assert [
        (m.step, m.value) for m in client.get_metric_history(children[1].info.run_id, "acc")
    ] == [(0, 0.5)]


def test_export_to_mlflow_writes_a_study_made_without_it(server: str, tmp_path: Path) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    made = _seedwise(
        ["run", f"{tmp_path / 'exp.py'}:train", "--repeats", "3", "--workers", "1",
         "--name", "study-b", "--framework", "numpy"],
        tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    for _ in range(2):
        exported = _seedwise(["export", "study-b", "--to", f"mlflow={server}"], tmp_path)
        assert exported.returncode == 0, exported.stderr
    runs = _runs(server, "seedwise")
    assert sorted(r.data.tags.get("seedwise.run_id", "parent") for r in runs) == [
        "parent", "study-b#0", "study-b#1", "study-b#2",
    ]  # fmt: skip


def test_an_experiment_that_logs_to_mlflow_itself_races_no_worker(tmp_path: Path) -> None:
    # Before the store was made ahead of the workers, 5 of 6 such runs failed on
    # MLflow's schema creation ("table ... already exists"). $MLFLOW_EXPERIMENT_NAME
    # has the experiment made ahead too: two workers' `mlflow.set_experiment` making it
    # at once leave the loser's run in "Default" (MLflow 3.17; docs/trackers.md).
    (tmp_path / "own.py").write_text(SELF_LOGGING)
    uri = f"sqlite:///{tmp_path / 'own.db'}"
    done = run_python(
        ["-m", "seedwise", "run", str(tmp_path / "own.py"), "--repeats", "6", "--workers", "2",
         "--store", str(tmp_path / "s.db"), "--framework", "python", "--json"],
        env={"MLFLOW_TRACKING_URI": uri, "MLFLOW_EXPERIMENT_NAME": "own-experiment"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert len(_runs(uri, "own-experiment")) == 6
    assert _runs(uri, "Default") == []


def test_an_unreachable_tracking_server_is_refused_in_one_line_and_nothing_stored(
    tmp_path: Path,
) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    port = free_port()
    done = _seedwise(
        ["run", f"{tmp_path / 'exp.py'}:train", "--repeats", "2",
         "--log-to", f"mlflow=http://127.0.0.1:{port}"],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "does not answer" in lines[0]
    assert str(port) in lines[0]
    assert not (tmp_path / "s.db").exists()


def mlflow_store(folder: Path):  # type: ignore[no-untyped-def]
    from seedwise.store import open_study

    return open_study(folder / "s.db", "study-a")


def _grid_sweep(folder: Path, *extra: str) -> list[str]:
    """``seedwise sweep`` of 2 cells (``grid/width=1``, ``grid/width=2``) x 2 repeats."""
    (folder / "exp.py").write_text(EXPERIMENT)
    return [
        "sweep", f"{folder / 'exp.py'}:train", "--grid", "width=1,2", "--repeats", "2",
        "--workers", "2", "--name", "grid", "--framework", "numpy", *extra,
    ]  # fmt: skip


def test_a_sweeps_cells_are_nested_under_one_run_of_the_sweep(
    tracking: str, tmp_path: Path
) -> None:
    server = tracking
    sweep = _grid_sweep(tmp_path, "--log-to", f"mlflow={server}", "--experiment-name", "e3")
    for _ in range(2):  # the second is a resume: nothing added
        done = _seedwise(sweep, tmp_path)
        assert done.returncode == 0, done.stderr
    runs = _runs(server, "e3")
    kinds = sorted(r.data.tags.get("seedwise.kind", "") for r in runs)
    assert kinds == ["repeat"] * 4 + ["study"] * 2 + ["sweep"]
    (top,) = [r for r in runs if r.data.tags["seedwise.kind"] == "sweep"]
    cells = [r for r in runs if r.data.tags["seedwise.kind"] == "study"]
    assert {c.data.tags["mlflow.parentRunId"] for c in cells} == {top.info.run_id}
    assert sorted(c.data.params["config.width"] for c in cells) == ["1", "2"]
    client = MlflowClient(server)
    for cell in cells:
        children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == cell.info.run_id]
        assert len(children) == 2
        assert cell.data.metrics["mse.n"] == 2
        # The report is drawn with --log-to-report only, or by an export.
        assert client.list_artifacts(cell.info.run_id) == []
    # The sweep exported by its name after it: nothing new.
    exported = _seedwise(
        ["export", "grid", "--to", f"mlflow={server}", "--experiment-name", "e3"], tmp_path
    )
    assert exported.returncode == 0, exported.stderr
    assert "0 runs written" in exported.stderr
    assert len(_runs(server, "e3")) == 7


def test_export_of_a_sweep_nests_its_cells_under_one_run_of_the_sweep_once(
    server: str, tmp_path: Path
) -> None:
    assert _seedwise(_grid_sweep(tmp_path), tmp_path).returncode == 0
    # One cell exported before as a study of its own, not nested (as an older export did).
    client = MlflowClient(server)
    experiment = client.create_experiment("e4")
    tags = {"seedwise.kind": "study", "seedwise.study": "grid/width=1"}
    alone = client.create_run(experiment, tags=tags).info.run_id
    export = ["export", "grid", "--to", f"mlflow={server}", "--experiment-name", "e4"]
    for written in ("4 runs written", "0 runs written"):
        done = _seedwise(export, tmp_path)
        assert done.returncode == 0, done.stderr
        assert written in done.stderr
    runs = _runs(server, "e4")
    kinds = sorted(r.data.tags.get("seedwise.kind", "") for r in runs)
    assert kinds == ["repeat"] * 4 + ["study"] * 2 + ["sweep"]
    (top,) = [r for r in runs if r.data.tags["seedwise.kind"] == "sweep"]
    assert top.data.tags["seedwise.sweep"] == "grid"
    assert top.info.status == "FINISHED"
    cells = {
        r.data.tags["seedwise.study"]: r for r in runs if r.data.tags["seedwise.kind"] == "study"
    }
    assert sorted(cells) == ["grid/width=1", "grid/width=2"]
    assert cells["grid/width=1"].info.run_id == alone
    assert {c.data.tags["mlflow.parentRunId"] for c in cells.values()} == {top.info.run_id}
    assert cells["grid/width=1"].data.params["config.width"] == "1"
    for cell in cells.values():
        children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == cell.info.run_id]
        assert sorted(c.data.tags["seedwise.run_id"] for c in children) == [
            f"{cell.data.tags['seedwise.study']}#{k}" for k in range(2)
        ]
        assert [a.path for a in client.list_artifacts(cell.info.run_id)] == ["report.html"]


def test_a_child_run_cut_off_before_it_ended_is_written_again_whole(
    server: str, tmp_path: Path
) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    made = _seedwise(
        ["run", f"{tmp_path / 'exp.py'}:train", "--repeats", "2", "--workers", "1",
         "--name", "study-c", "--framework", "numpy"],
        tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    # What a process killed while writing repeat 0 leaves: the study's run, params missing,
    # and a child made (RUNNING) but never given its metrics nor ended.
    client = MlflowClient(server)
    experiment = client.create_experiment("e5")
    tags = {"seedwise.kind": "study", "seedwise.study": "study-c"}
    parent = client.create_run(experiment, tags=tags).info.run_id
    half = {"mlflow.parentRunId": parent, "seedwise.run_id": "study-c#0", "seedwise.status": "ok"}
    cut = client.create_run(experiment, tags=half).info.run_id
    export = ["export", "study-c", "--to", f"mlflow={server}", "--experiment-name", "e5"]
    done = _seedwise(export, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 runs written" in done.stderr
    runs = _runs(server, "e5")
    assert cut not in {r.info.run_id for r in runs}
    children = sorted(
        (r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent),
        key=lambda r: r.data.tags["seedwise.run_id"],
    )
    assert [c.data.tags["seedwise.run_id"] for c in children] == ["study-c#0", "study-c#1"]
    assert {c.info.status for c in children} == {"FINISHED"}
    assert all("mse" in c.data.metrics for c in children)
    (study_run,) = [r for r in runs if r.info.run_id == parent]
    assert "seed" in study_run.data.params


def test_ctrl_c_still_writes_the_runs_stored_before_it(tracking: str, tmp_path: Path) -> None:
    server = tracking
    (tmp_path / "slow.py").write_text(
        "import time\n\ndef train(ctx):\n    time.sleep(1)\n    return {'mse': ctx.seed % 7}\n"
    )
    store = tmp_path / "s.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "seedwise", "run", f"{tmp_path / 'slow.py'}:train",
         "--repeats", "30", "--workers", "1", "--framework", "python", "--name", "slow",
         "--store", str(store), "--log-to", f"mlflow={server}", "--experiment-name", "e6"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
        cwd=tmp_path, preexec_fn=default_sigint,
    )  # fmt: skip
    stored = 0
    deadline = time.monotonic() + 240
    while stored < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
        if store.exists():
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as reader:
                try:
                    stored = reader.execute("SELECT count(*) FROM runs").fetchone()[0]
                except sqlite3.OperationalError:  # the schema is being made
                    continue
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=240)
    assert process.returncode == 130, err
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as reader:
        repeats = sorted(row[0] for row in reader.execute("SELECT repeat FROM runs"))
    assert 2 <= len(repeats) < 30
    runs = _runs(server, "e6")
    children = [r for r in runs if r.data.tags.get("seedwise.kind") == "repeat"]
    assert sorted(int(c.data.params["repeat"]) for c in children) == repeats
    assert {c.info.status for c in children} == {"FINISHED"}


def test_the_writer_process_ends_when_the_study_is_killed(tmp_path: Path) -> None:
    # A study killed with SIGKILL cannot ask its writer to stop; the writer sees its
    # input end, writes what it was sent, and ends: no process outlives the study.
    (tmp_path / "slow.py").write_text(
        "import time\n\ndef train(ctx):\n    time.sleep(1)\n    return {'mse': ctx.seed % 7}\n"
    )
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    store = tmp_path / "s.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "seedwise", "run", f"{tmp_path / 'slow.py'}:train",
         "--repeats", "30", "--workers", "1", "--framework", "python", "--name", "slow",
         "--store", str(store), "--log-to", f"mlflow={uri}", "--experiment-name", "e7"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    writers: list[int] = []
    while not writers and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
        writers = _writer_processes(tmp_path)
    assert writers, "no writer process started"
    time.sleep(3)  # a run or two stored and handed over
    process.kill()
    process.wait(timeout=60)
    deadline = time.monotonic() + 120
    while _writer_processes(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _writer_processes(tmp_path) == []


def _writer_processes(folder: Path) -> list[int]:
    """The pids of tracker writer processes working in ``folder`` (the study's folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            cwd = (entry / "cwd").resolve()
        except OSError:
            continue
        if b"seedwise.trackers.export_process" in command and cwd == folder.resolve():
            found.append(int(entry.name))
    return found


def test_a_store_mlflow_cannot_open_is_one_warning_and_the_runs_stay_stored(
    tmp_path: Path,
) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    (tmp_path / "broken.db").write_text("not a database\n" * 100)
    done = _seedwise(
        ["run", f"{tmp_path / 'exp.py'}:train", "--repeats", "3", "--workers", "1",
         "--framework", "numpy", "--name", "kept",
         "--log-to", f"mlflow=sqlite:///{tmp_path / 'broken.db'}"],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("seedwise: warning: MLflow: ")
    assert "seedwise export kept --to mlflow writes what is missing" in warnings[0]
    with sqlite3.connect(f"file:{tmp_path / 's.db'}?mode=ro", uri=True) as reader:
        assert reader.execute("SELECT count(*) FROM runs").fetchone()[0] == 3


def test_the_study_never_waits_on_a_writer_that_has_not_read_yet(tmp_path: Path) -> None:
    # 30,000 runs handed over while the writer cannot read (stopped): far more than a
    # pipe holds. Each hand-over returns at once; the writer, let go, reads them all.
    import threading

    from seedwise.records import RunRecord, RunStatus
    from seedwise.store import Store
    from seedwise.trackers.export_process import ExportProcess

    store = tmp_path / "s.db"
    Store(store).close()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    writer = ExportProcess("mlflow", uri, "e8", store, report=False)
    pid = writer._process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        record = RunRecord(study="absent", repeat=0, seed=1, status=RunStatus.OK)
        done = threading.Event()

        def hand_over() -> None:
            for _ in range(30_000):
                writer.log_run(record)
            done.set()

        threading.Thread(target=hand_over, daemon=True).start()
        assert done.wait(timeout=120), "handing runs over waited on the writer"
    finally:
        os.kill(pid, signal.SIGCONT)
    failures = writer.close()
    assert writer._process.returncode == 0
    # The study is not in the store: the writer says so once, and drops the rest.
    assert len(failures) == 1
    assert "absent" in failures[0]


def test_the_writer_process_writes_the_summary_it_is_handed(tmp_path: Path) -> None:
    # The study's process makes the summary (the writer would import SciPy for it):
    # the parent carries the one handed over, not one the writer made again.
    import seedwise
    from seedwise.stats import Summaries
    from seedwise.trackers.export_process import ExportProcess

    (tmp_path / "exp.py").write_text(EXPERIMENT)
    done = _seedwise(
        ["run", f"{tmp_path / 'exp.py'}:train", "--repeats", "3", "--workers", "1",
         "--framework", "numpy", "--name", "handed"],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    writer = ExportProcess("mlflow", uri, "e9", tmp_path / "s.db", report=False)
    handed = Summaries({"mse": seedwise.summarize([1.0, 2.0, 6.0])}, study="handed")
    writer.finish(["handed"], {"handed": handed})
    assert writer.close() == []
    runs = _runs(uri, "e9")
    (parent,) = [r for r in runs if r.data.tags.get("seedwise.kind") == "study"]
    assert parent.data.metrics["mse.mean"] == 3.0
    assert parent.data.metrics["mse.n"] == 3
    assert len([r for r in runs if r.data.tags.get("seedwise.kind") == "repeat"]) == 3
