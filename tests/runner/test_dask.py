"""The Dask executor against a real ``dask scheduler`` and real ``dask worker`` processes.

The cluster runs on 127.0.0.1, started by the fixtures below as a user would
start it; the workers run in a folder of their own, with another
``PYTHONHASHSEED`` and another ``OMP_NUM_THREADS`` than the studies ask for.
"""

from __future__ import annotations

import collections
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from seedwise.records import RunRecord, RunStatus
from seedwise.runner import StudySettings, run_seed
from tests.conftest import PROGRAMS, ROOT
from tests.runner.conftest import NOISY, study_run

distributed = pytest.importorskip("distributed")

# Real Dask schedulers and workers: the cluster marker, and slow (seconds each).
pytestmark = [pytest.mark.cluster, pytest.mark.slow]

PROBE = f"{PROGRAMS / 'dask_probe.py'}:settings"
FAST = ("python", "numpy")
DASK = Path(sys.executable).parent / "dask"


@dataclass
class Cluster:
    """A scheduler and its workers, each a process of its own."""

    address: str
    folder: Path
    scheduler: subprocess.Popen[bytes]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def add_worker(self, name: str) -> subprocess.Popen[bytes]:
        # No nanny: killing this process kills the Dask worker itself.
        environment = dict(os.environ, PYTHONHASHSEED="12345", OMP_NUM_THREADS="7")
        workdir = self.folder / name
        workdir.mkdir()
        process = subprocess.Popen(
            [
                str(DASK),
                "worker",
                self.address,
                "--name",
                name,
                "--nthreads",
                "1",
                "--no-nanny",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--local-directory",
                str(workdir),
            ],
            cwd=workdir,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / f"{name}.log", "wb"),  # noqa: SIM115
        )
        self.workers[name] = process
        return process

    def wait_for_workers(self, count: int) -> None:
        with distributed.Client(self.address, timeout=30) as client:
            client.wait_for_workers(count, timeout=60)

    def stop(self) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            process.kill()
            process.wait()


def start_cluster(folder: Path, workers: int) -> Cluster:
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    scheduler = subprocess.Popen(
        [
            str(DASK),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "scheduler.log", "wb"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() or not scheduler_file.read_text().strip():
        assert time.monotonic() < deadline, (folder / "scheduler.log").read_text()
        time.sleep(0.1)
    import json

    address = json.loads(scheduler_file.read_text())["address"]
    cluster = Cluster(address, folder, scheduler)
    for index in range(workers):
        cluster.add_worker(f"worker-{index}")
    cluster.wait_for_workers(workers)
    return cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = start_cluster(tmp_path_factory.mktemp("dask"), workers=2)
    yield started
    started.stop()


def by_repeat(runs: list[RunRecord]) -> dict[int, tuple[object, ...]]:
    """What must agree bit for bit between two runs of a repeat."""
    return {
        run.repeat: (run.status, run.seed, run.metrics, run.steps, run.fingerprints) for run in runs
    }


def rows_per_repeat(store: Path) -> dict[int, int]:
    connection = sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT repeat, COUNT(*) FROM runs GROUP BY repeat").fetchall()
    finally:
        connection.close()
    return dict(rows)


def stored_so_far(store: Path) -> int:
    """Rows stored, 0 while the runner is still creating the store and its tables."""
    if not store.exists():
        return 0
    try:
        return sum(rows_per_repeat(store).values())
    except sqlite3.OperationalError:
        return 0


def test_dask_runs_are_bit_identical_to_one_local_worker_and_stored_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    local = study_run(NOISY, repeats=6, seed=3, workers=1, store=tmp_path / "a.db", frameworks=FAST)
    arrived: list[int] = []
    remote = study_run(
        NOISY,
        repeats=6,
        seed=3,
        store=tmp_path / "b.db",
        frameworks=FAST,
        executor="dask",
        scheduler=cluster.address,
        on_record=lambda run: arrived.append(run.repeat),
    )
    assert by_repeat(remote.runs) == by_repeat(local.runs)
    assert [run.status for run in remote.runs] == [RunStatus.OK] * 6
    assert sorted(arrived) == list(range(6))
    assert rows_per_repeat(tmp_path / "b.db") == dict.fromkeys(range(6), 1)
    with distributed.Client(cluster.address) as client:
        addresses = {f"dask:{address}" for address in client.nthreads()}
    assert {run.worker for run in remote.runs} <= addresses


def test_settings_hold_on_the_dask_worker(cluster: Cluster, tmp_path: Path) -> None:
    options = {
        "repeats": 3,
        "seed": 11,
        "threads": 2,
        "frameworks": (*FAST, "jax"),
        "config": {},
    }
    local = study_run(PROBE, workers=1, store=tmp_path / "a.db", **options)  # type: ignore[arg-type]
    remote = study_run(
        PROBE,
        store=tmp_path / "b.db",
        executor="dask",
        scheduler=cluster.address,
        **options,  # type: ignore[arg-type]
    )
    hash_seed = StudySettings.for_study(11, threads=2).hash_seed
    assert [run.metrics["hash_seed"] for run in remote.runs] == [float(hash_seed)] * 3
    assert [run.metrics["omp_threads"] for run in remote.runs] == [2.0] * 3
    assert [run.metrics["xla_deterministic"] for run in remote.runs] == [1.0] * 3
    assert by_repeat(remote.runs) == by_repeat(local.runs)


def test_a_run_process_that_dies_or_overruns_is_recorded_and_the_sweep_goes_on(
    cluster: Cluster, tmp_path: Path
) -> None:
    started = time.monotonic()
    outcome = study_run(
        NOISY,
        repeats=4,
        store=tmp_path / "s.db",
        frameworks=FAST,
        config={"exit": 1, "sleep": 2},
        timeout=3,
        executor="dask",
        scheduler=cluster.address,
    )
    statuses = {run.repeat: (run.status, run.error) for run in outcome.runs}
    assert statuses[1] == (RunStatus.CRASHED, "worker exited with code 1")
    assert statuses[2] == (RunStatus.TIMEOUT, "run exceeded the timeout of 3 s")
    assert statuses[0][0] == statuses[3][0] == RunStatus.OK
    assert time.monotonic() - started < 30


def _code_folder(root: Path) -> Path:
    folder = root / "project"
    folder.mkdir()
    (folder / "helpers.py").write_text("OFFSET = 40.0\n")
    (folder / "experiment.py").write_text(
        "from helpers import OFFSET\n\n\ndef train(ctx):\n"
        "    return {'value': OFFSET + ctx.repeat}\n"
    )
    return folder


def test_code_travels_to_workers_without_the_files_and_is_checked_there(
    cluster: Cluster, tmp_path: Path
) -> None:
    from seedwise.experiment.code.bundle import bundle_code
    from seedwise.experiment.code.identity import CodeIdentity, code_identity
    from seedwise.experiment.resolve import resolve_experiment
    from seedwise.runner.dask_worker import Payload, run_on_dask_worker
    from seedwise.runner.tasks import RunTask

    folder = _code_folder(tmp_path)
    source = resolve_experiment(f"{folder / 'experiment.py'}:train")
    bundle, identity = bundle_code(source), code_identity(source)
    assert bundle is not None
    assert sorted(name for name, _ in bundle.files) == ["experiment.py", "helpers.py"]
    for file in folder.iterdir():
        file.unlink()
    folder.rmdir()

    def payload(repeat: int, expected: CodeIdentity) -> Payload:
        task = RunTask(
            study="travel",
            repeat=repeat,
            seed=run_seed(0, repeat),
            experiment=source,
            config={},
            settings=StudySettings.for_study(0, frameworks=FAST),
            workdir=str(tmp_path / "gone" / "runs" / f"{repeat:05d}"),
        )
        return Payload(task, bundle, expected, 30.0, None, None, str(tmp_path / "gone"))

    other = CodeIdentity("0" * 64, {"experiment.py": "x", "helpers.py": "y"})
    with distributed.Client(cluster.address) as client:
        kept = client.gather([client.submit(run_on_dask_worker, payload(2, identity), pure=False)])
        refused = client.submit(run_on_dask_worker, payload(3, other), pure=False).result()
    (record,) = kept[0].records
    assert (record.status, record.metrics) == (RunStatus.OK, {"value": 42.0})
    assert record.environment is not None
    assert record.environment["experiment_hash"] == identity.digest
    assert sorted(kept[0].files) == [str(tmp_path / "gone" / "runs" / "00002" / "output.log")]
    (mismatch,) = refused.records
    assert mismatch.status == RunStatus.FAILED
    assert mismatch.error is not None
    assert mismatch.error.startswith("CodeMismatch: the experiment's code where the run landed")
    assert "experiment.py, helpers.py changed" in mismatch.error


def test_a_function_sent_by_value_has_the_submitters_code_identity_on_the_worker(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linecache

    from seedwise.experiment.code.identity import code_identity
    from seedwise.experiment.resolve import resolve_experiment
    from seedwise.runner.dask_worker import Payload, run_on_dask_worker
    from seedwise.runner.tasks import RunTask

    # A notebook cell, as IPython runs it: its text only in linecache, no file.
    cell = "OFFSET = 40.0\n\ndef train(ctx):\n    return {'value': OFFSET + ctx.repeat}\n"
    name = str(tmp_path / "ipykernel_1" / "3.py")
    monkeypatch.setitem(linecache.cache, name, (len(cell), None, cell.splitlines(True), name))
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(compile(cell, name, "exec"), namespace)
    source = resolve_experiment(namespace["train"])  # type: ignore[arg-type]
    identity = code_identity(source)
    assert sorted(identity.files) == ["<function train>", "<value OFFSET>"]
    task = RunTask(
        study="by-value",
        repeat=2,
        seed=run_seed(0, 2),
        experiment=source,
        config={},
        settings=StudySettings.for_study(0, frameworks=FAST),
        workdir=str(tmp_path / "runs" / "00002"),
    )
    payload = Payload(task, None, identity, 30.0, None, None, str(tmp_path))
    with distributed.Client(cluster.address) as client:
        outcome = client.submit(run_on_dask_worker, payload, pure=False).result()
    (record,) = outcome.records
    assert (record.status, record.metrics) == (RunStatus.OK, {"value": 42.0}), record.error
    assert record.environment is not None
    assert record.environment["experiment_hash"] == identity.digest


def test_a_dask_worker_killed_mid_run_has_its_run_rerun_elsewhere(tmp_path: Path) -> None:
    own = start_cluster(tmp_path / "cluster", workers=2)
    log = tmp_path / "log"
    log.mkdir()
    config = {"started": str(log), "delay": 1.5}
    killed: list[int] = []

    def kill_first_busy_worker() -> None:
        pids = {process.pid: process for process in own.workers.values()}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            lines = started_lines(log)
            parents = [int(parent) for parent in lines[2::3]]
            for parent in parents:
                if parent in pids:
                    pids[parent].send_signal(signal.SIGKILL)
                    killed.append(parent)
                    break
            time.sleep(0.05)

    killer = threading.Thread(target=kill_first_busy_worker)
    killer.start()
    try:
        arrived: list[int] = []
        outcome = study_run(
            PROBE,
            repeats=4,
            store=tmp_path / "s.db",
            frameworks=FAST,
            config=config,
            executor="dask",
            scheduler=own.address,
            on_record=lambda run: arrived.append(run.repeat),
        )
    finally:
        killer.join()
        own.stop()
    reference = study_run(
        PROBE, repeats=4, store=tmp_path / "r.db", frameworks=FAST, config=config, workers=1
    )
    assert len(killed) == 1
    assert [run.status for run in outcome.runs] == [RunStatus.OK] * 4
    assert sorted(arrived) == [0, 1, 2, 3]
    assert by_repeat(outcome.runs) == by_repeat(reference.runs)
    lines = started_lines(log)
    starts = collections.Counter(lines[0::3])
    # Each repeat ran once in each study; the run on the killed worker ran again elsewhere.
    assert sum(starts.values()) == 4 + 4 + 1
    # The killed worker's run process went with it.
    run_processes = [
        int(pid)
        for pid, parent in zip(lines[1::3], lines[2::3], strict=True)
        if int(parent) == killed[0]
    ]
    time.sleep(1.0)
    assert [pid for pid in run_processes if _alive(pid)] == []


def started_lines(log: Path) -> list[str]:
    """The words of ``started.log``: repeat, run process, its parent, for each run started."""
    path = log / "started.log"
    return path.read_text().split() if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _seedwise(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "seedwise", *args],
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_kill_9_of_the_runner_then_a_rerun_resumes_the_study(
    cluster: Cluster, tmp_path: Path
) -> None:
    store = tmp_path / "s.db"
    command = ["run", NOISY, "--repeats", "6", "--set", "delay=0.4", "--store", str(store)]
    command += ["--framework", "python", "--framework", "numpy", "--executor", "dask"]
    environment = {"SEEDWISE_DASK_SCHEDULER": cluster.address}
    first = _seedwise(*command, env=environment)
    deadline = time.monotonic() + 120
    while stored_so_far(store) < 2:
        assert time.monotonic() < deadline
        assert first.poll() is None
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    stored_before = sum(rows_per_repeat(store).values())
    second = _seedwise(*command, "--json", env=environment)
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output
    reference = study_run(
        NOISY,
        repeats=6,
        store=tmp_path / "r.db",
        frameworks=FAST,
        config={"delay": 0.4},
        workers=1,
    )
    connection = sqlite3.connect(store)
    statuses = connection.execute("SELECT status FROM runs ORDER BY repeat").fetchall()
    connection.close()
    assert 2 <= stored_before < 6
    assert rows_per_repeat(store) == dict.fromkeys(range(6), 1)
    assert statuses == [("ok",)] * 6
    from seedwise.store import open_study

    resumed = open_study(store, reference.spec.name)
    assert by_repeat(list(resumed.runs)) == by_repeat(reference.runs)


def test_the_command_line_runs_on_a_local_dask_cluster(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    process = _seedwise(
        "run",
        NOISY,
        "--repeats",
        "4",
        "--store",
        str(store),
        "--json",
        "--executor",
        "dask",
        "--workers",
        "2",
        "--framework",
        "python",
        "--framework",
        "numpy",
    )
    output, _ = process.communicate(timeout=180)
    assert process.returncode == 0, output
    reference = study_run(NOISY, repeats=4, store=tmp_path / "r.db", frameworks=FAST, workers=1)
    from seedwise.store import open_study

    study = open_study(store, reference.spec.name)
    assert by_repeat(list(study.runs)) == by_repeat(reference.runs)
    assert {run.worker.split(":")[0] for run in study.runs if run.worker} == {"dask"}


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["--executor", "dask", "--scheduler", "localhost"], "Not a Dask scheduler address"),
        (
            ["--executor", "ray"],
            "unknown executor. Received: 'ray'; expected one of local, dask, slurm",
        ),
        (["--scheduler", "tcp://127.0.0.1:1"], "`scheduler` goes with executor='dask'"),
        (
            ["--executor", "dask", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
            "`workers` sizes a local Dask cluster",
        ),
    ],
)
def test_bad_executor_options_are_refused_before_anything_runs(
    tmp_path: Path, argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedwise.cli import main

    store = tmp_path / "s.db"
    code = main(["run", NOISY, "--store", str(store), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert shown in err
    assert len(err.strip().splitlines()) == 1, err
    assert not store.exists()


def test_check_runs_its_fresh_processes_on_the_dask_workers(cluster: Cluster) -> None:
    from seedwise.check import check

    options = {"seed": 5, "frameworks": FAST, "probes": False}
    local = check(NOISY, **options)  # type: ignore[arg-type]
    remote = check(NOISY, executor="dask", scheduler=cluster.address, **options)  # type: ignore[arg-type]
    # noisy returns hash("seedwise"): the check's second process has another hash seed.
    assert (remote.reproducible, local.reproducible) == (False, False)
    assert remote.metrics == local.metrics
    assert str(remote.first_divergence) == str(local.first_divergence)
    assert [cause.kind for cause in remote.causes] == [cause.kind for cause in local.causes]


def test_a_scheduler_that_cannot_be_reached_leaves_the_store_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_global_rng: None
) -> None:
    # In this process: importing distributed draws from Python's random.
    from seedwise.cli import main

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = tmp_path / "s.db"
    argv = ["--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{port}"]
    frameworks = ["--framework", "python", "--framework", "numpy"]
    code = main(["run", NOISY, "--store", str(store), *frameworks, *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert "Cannot reach the Dask scheduler" in err
    assert not store.exists()


RESUMABLE = f"{Path(__file__).parents[1] / 'check' / 'resumable_numpy.py'}:train"


def test_a_dask_worker_killed_mid_run_resumes_its_run_from_the_last_checkpoint(
    tmp_path: Path,
    restore_global_rng: None,
) -> None:
    # Distributed's client draws from Python's global generator when it reschedules the
    # killed worker's task; that is the client's, not the experiment's, state.
    own = start_cluster(tmp_path / "cluster", workers=2)
    try:
        outcome = study_run(
            RESUMABLE,
            repeats=1,
            store=tmp_path / "s.db",
            frameworks=FAST,
            config={"steps": 4, "kill_parent_at": 1},
            executor="dask",
            scheduler=own.address,
        )
    finally:
        own.stop()
    reference = study_run(
        RESUMABLE, repeats=1, store=tmp_path / "r.db", frameworks=FAST, config={"steps": 4}
    )
    (resumed,), (whole,) = outcome.runs, reference.runs
    assert resumed.status is RunStatus.OK, resumed.error
    assert resumed.resumed_from == 1
    assert whole.resumed_from is None
    assert resumed.metrics == whole.metrics
