"""What a run may do to its warm worker: fork, read stdin, move, change the environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import seedwise
from seedwise.runner.folders import run_folder
from seedwise.store import open_store
from tests.conftest import PROGRAMS, ROOT

WORKERS = PROGRAMS / "workers.py"
FAST = ("python", "numpy")


def _cli(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "seedwise", "run", *args, "--framework", "python"],
        cwd=folder,
        # This checkout's seedwise, whichever one the environment has installed.
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)])),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_that_returns_never_speaks_for_the_worker(tmp_path: Path) -> None:
    study = seedwise.run(
        f"{WORKERS}:forks", repeats=4, workers=1, store=tmp_path / "s.db", frameworks=FAST
    )
    runs = {run.repeat: run for run in study.runs}
    assert sorted(runs) == [0, 1, 2, 3]
    assert [runs[r].status for r in range(4)] == ["ok"] * 4
    # The parent's metrics, never the child's.
    assert [runs[r].metrics for r in range(4)] == [
        {"value": float(r), "child": 0.0} for r in range(4)
    ]


@pytest.mark.slow  # a fresh command-line runner whose standard input stays open
def test_a_run_reads_end_of_file_from_stdin_and_input_fails_with_its_message(
    tmp_path: Path,
) -> None:
    runner = _cli(
        tmp_path, f"{WORKERS}:reads_stdin", "--repeats", "2", "--workers", "1", "--name", "reads"
    )
    assert runner.stdin is not None
    # Something waits on the runner's stdin, which stays open: a run must not read it.
    runner.stdin.write("typed at the terminal\n")
    runner.stdin.flush()
    try:
        runner.wait(timeout=60)
    finally:
        runner.kill()
        runner.communicate()
    with open_store(tmp_path / ".seedwise" / "seedwise.db") as store:
        runs = {run.repeat: run for run in store.runs("reads")}
    assert runs[0].status == "ok", runs[0].error
    assert runs[0].metrics == {"descriptor": 0.0, "cat": 0.0, "python": 0.0}
    assert runs[1].status == "failed"
    assert runs[1].error == "EOFError: EOF when reading a line"


def test_each_run_starts_in_the_same_folder_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    away = tmp_path / "away"
    away.mkdir()
    monkeypatch.chdir(tmp_path)
    study = seedwise.run(
        f"{WORKERS}:moves",
        repeats=3,
        workers=1,
        store="c/s.db",  # relative: a run that moves must not take it along
        frameworks=FAST,
        config={"home": str(tmp_path), "away": str(away)},
    )
    assert [run.metrics for run in study.runs] == [
        {"home": 1.0, "clean": 1.0, "index": float(r)} for r in range(3)
    ]
    folder = run_folder(tmp_path / "c" / "s.db", study.name)
    logs = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("output.log"))
    assert logs == [(folder / f"{r:05d}" / "output.log").relative_to(tmp_path) for r in range(3)]
    assert list(away.iterdir()) == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_holding_the_interpreter_lock_dies_with_its_runner(tmp_path: Path) -> None:
    runner = _cli(tmp_path, f"{WORKERS}:spins", "--repeats", "1", "--set", f"log={tmp_path}")
    pids_file = tmp_path / "pids.txt"
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not pids_file.exists() or not pids_file.read_text():
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.1)
        pids = [int(pid) for pid in pids_file.read_text().split()]
        time.sleep(0.5)  # well inside the regex by now
        runner.kill()
        runner.wait()
        killed = time.monotonic()
        while any(_alive(pid) for pid in pids) and time.monotonic() - killed < 5:
            time.sleep(0.05)
        assert [pid for pid in pids if _alive(pid)] == []
    finally:
        runner.kill()
        # Survivors hold the runner's output pipes: they go first.
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        runner.communicate()


def test_a_run_s_moves_are_undone_but_the_variables_seeding_sets_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedwise.runner.worker import _same_folder_and_environment
    from seedwise.seeding import SEEDING_VARIABLES

    monkeypatch.chdir(tmp_path)
    for name in SEEDING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SEEDWISE_TEST_CHANGED", "before")
    (tmp_path / "away").mkdir()
    with _same_folder_and_environment():
        os.chdir(tmp_path / "away")
        os.environ["SEEDWISE_TEST_CHANGED"] = "during"
        os.environ["SEEDWISE_TEST_ADDED"] = "during"
        # What seeding sets when a framework is first imported inside a run.
        for name in SEEDING_VARIABLES:
            os.environ[name] = "set by seeding"
    assert Path.cwd() == tmp_path
    assert os.environ["SEEDWISE_TEST_CHANGED"] == "before"
    assert "SEEDWISE_TEST_ADDED" not in os.environ
    kept = {name: os.environ.pop(name) for name in SEEDING_VARIABLES}
    assert kept == dict.fromkeys(SEEDING_VARIABLES, "set by seeding")


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="needs Linux's SCHED_BATCH")
def test_a_worker_and_all_it_starts_are_scheduled_as_batch_work(tmp_path: Path) -> None:
    before = os.sched_getscheduler(0)
    study = seedwise.run(
        f"{WORKERS}:policies", repeats=2, workers=1, store=tmp_path / "s.db", frameworks=FAST
    )
    assert study.counts()["ok"] == 2
    for run in study.runs:
        assert run.metrics == {
            "run": os.SCHED_BATCH,
            "thread": os.SCHED_BATCH,
            "child": os.SCHED_BATCH,
            "index": run.repeat,
        }
    # The study's own process keeps the policy it had.
    assert os.sched_getscheduler(0) == before
