"""Ctrl-C and SIGTERM to ``seedwise run --executor dask`` stop it as they stop local workers.

Each test starts a real ``python -m seedwise run --executor dask`` on a local
Dask cluster (its scheduler on 127.0.0.1, in the runner) and signals it: to
the runner alone (``kill``), or to its whole process group, as a terminal's
Ctrl-C does. Whatever the moment, the runner must exit with code 130, say
how to resume, print no traceback, leave no claim behind, and leave no
process of its own running 5 s after it ended.

A signal must land while the cluster starts, however fast or slow the
machine, so those tests hold the start-up open for 3 s with a scheduler
preload, Dask's own hook (``distributed.scheduler.preload``), which also
says when the start-up has begun.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, skip_unless_installed
from tests.runner.conftest import NOISY

skip_unless_installed("distributed")

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc"),
]

SLOW_START = """\
import os
import time
from pathlib import Path


def dask_setup(scheduler):
    Path(os.environ["SEEDWISE_TEST_STARTING"]).write_text("the scheduler is starting")
    time.sleep(3)
"""

RESUME = "run the same command again to resume: seedwise run "


def _stat(pid: int) -> tuple[str, int] | None:
    """The state letter and parent pid of ``pid``, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _descendants(root: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[1]
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@dataclass
class Runner:
    """A ``seedwise run --executor dask`` and every process it started while it ran."""

    process: subprocess.Popen[str]
    store: Path
    started: set[int] = field(default_factory=set)

    def watch(self) -> None:
        while self.process.poll() is None:
            self.started |= _descendants(self.process.pid)
            time.sleep(0.05)

    def send(self, signum: int, *, group: bool) -> None:
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)

    def finish(self) -> str:
        """Its stderr, once it has exited and 5 s more have passed."""
        _, err = self.process.communicate(timeout=120)
        time.sleep(5.0)
        return err

    def left_running(self) -> list[int]:
        return [pid for pid in self.started if (_stat(pid) or ("Z",))[0] != "Z"]

    def claims(self) -> int:
        connection = sqlite3.connect(f"{self.store.as_uri()}?mode=ro", uri=True)
        try:
            return int(connection.execute("SELECT COUNT(*) FROM claims").fetchone()[0])
        finally:
            connection.close()

    def stored(self) -> int:
        if not self.store.exists():
            return 0
        try:
            connection = sqlite3.connect(f"{self.store.as_uri()}?mode=ro", uri=True)
            try:
                return int(connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
            finally:
                connection.close()
        except sqlite3.OperationalError:
            return 0


def start_runner(folder: Path, *, slow_start: bool) -> Runner:
    environment = dict(os.environ)
    if slow_start:
        preload = folder / "slow_start.py"
        preload.write_text(SLOW_START)
        environment["DASK_DISTRIBUTED__SCHEDULER__PRELOAD"] = f"[{str(preload)!r}]"
        environment["SEEDWISE_TEST_STARTING"] = str(folder / "starting")
    store = folder / "s.db"
    command = [sys.executable, "-m", "seedwise", "run", NOISY, "--repeats", "3"]
    command += ["--set", "delay=1", "--store", str(store), "--executor", "dask"]
    command += ["--workers", "1", "--framework", "python", "--framework", "numpy"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    runner = Runner(process, store)
    threading.Thread(target=runner.watch, daemon=True).start()
    return runner


def wait_for(condition: Callable[[], bool], runner: Runner, what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert runner.process.poll() is None, f"the runner ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within 120 s"
        time.sleep(0.02)


def assert_stopped_cleanly(runner: Runner, err: str, stored: int) -> None:
    assert runner.process.returncode == 130, err
    assert f"Interrupted: {stored} of 3 runs of study" in err, err
    assert RESUME in err, err
    assert "Traceback" not in err, err
    assert runner.claims() == 0
    assert runner.left_running() == []


@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["sigint", "ctrl-c-to-the-group", "sigterm"],
)
def test_a_signal_while_the_local_cluster_starts_stops_the_study(
    tmp_path: Path, signum: int, group: bool
) -> None:
    runner = start_runner(tmp_path, slow_start=True)
    wait_for((tmp_path / "starting").exists, runner, "cluster start-up")
    runner.send(signum, group=group)
    err = runner.finish()
    assert_stopped_cleanly(runner, err, stored=0)
    assert runner.stored() == 0


def test_ctrl_c_after_runs_began_stops_the_study_without_tracebacks(tmp_path: Path) -> None:
    runner = start_runner(tmp_path, slow_start=False)
    wait_for(lambda: runner.stored() >= 1, runner, "stored run")
    runner.send(signal.SIGINT, group=True)
    err = runner.finish()
    stored = runner.stored()
    assert stored in (1, 2)
    assert_stopped_cleanly(runner, err, stored=stored)
    # The run process was started, and is gone with the runner.
    assert len(runner.started) >= 1


@pytest.mark.parametrize("signum", [None, signal.SIGINT, signal.SIGTERM], ids=str)
def test_a_scheduler_that_never_answers_is_refused_or_interrupted_at_once(
    tmp_path: Path, signum: int | None
) -> None:
    # It accepts the connection and says nothing: distributed.Client alone waits forever.
    silent = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    store = tmp_path / "s.db"
    command = [sys.executable, "-m", "seedwise", "run", NOISY, "--repeats", "2"]
    command += ["--store", str(store), "--executor", "dask", "--framework", "python"]
    command += ["--scheduler", f"tcp://127.0.0.1:{silent.getsockname()[1]}"]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not accepted:
        assert process.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.02)
    if signum is not None:
        process.send_signal(signum)
    began = time.monotonic()
    try:
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
        silent.close()
    if signum is None:
        assert process.returncode == 2, err
        assert "Cannot reach the Dask scheduler: TimeoutError: no answer within 10 s" in err
    else:
        assert (process.returncode, err) == (130, "seedwise: interrupted\n")
        assert time.monotonic() - began < 5
    assert not store.exists()
