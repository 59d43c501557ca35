"""Experiments that start processes of their own: they run, and nothing they start outlives them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import seedwise
from seedwise.runner.processes import cpu_seconds
from tests.conftest import PROGRAMS

PROCESSES = PROGRAMS / "processes.py"
FAST = ("python", "numpy")


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _children(folder: Path, repeat: int) -> list[int]:
    return [int(pid) for pid in (folder / f"children-{repeat}.txt").read_text().split()]


def _gone(pids: list[int], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_pool_runs_in_warm_workers_and_agrees_across_worker_counts(tmp_path: Path) -> None:
    runs = {
        workers: seedwise.run(
            f"{PROCESSES}:pool_squares",
            repeats=3,
            workers=workers,
            store=tmp_path / f"{workers}.db",
            frameworks=FAST,
        )
        for workers in (1, 2)
    }
    one, two = runs[1], runs[2]
    assert one.counts()["ok"] == 3
    assert two.counts()["ok"] == 3
    assert one.metrics("value").tobytes() == two.metrics("value").tobytes()
    # One warm worker made all three runs.
    assert len(set(one.metrics("pid").tolist())) == 1


_LOADED = """
import sys


def train(ctx):
    heavy = ("seedwise.store", "seedwise.stats", "seedwise.runner.studies", "seedwise.runner.local")
    return {"heavy": sum(1 for name in sys.modules if name.startswith(heavy))}
"""


def test_a_worker_imports_neither_the_store_nor_the_statistics(tmp_path: Path) -> None:
    # A worker's start is what a short trial pays for: it imports what runs a task,
    # not the store, the statistics or the study loop of the runner package.
    (tmp_path / "loaded.py").write_text(_LOADED)
    study = seedwise.run(
        f"{tmp_path / 'loaded.py'}:train",
        repeats=1,
        workers=1,
        store=tmp_path / "s.db",
        frameworks=("python",),
    )
    assert study.counts()["ok"] == 1
    assert study.metrics("heavy").tolist() == [0]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX")
def test_a_timed_out_run_takes_the_processes_it_started_with_it(tmp_path: Path) -> None:
    study = seedwise.run(
        f"{PROCESSES}:child_processes",
        repeats=2,
        workers=1,
        store=tmp_path / "s.db",
        frameworks=FAST,
        config={"log": str(tmp_path), "sleep": 0},
        timeout=4,
    )
    runs = {run.repeat: run for run in study.runs}
    assert [runs[0].status, runs[1].status] == ["timeout", "ok"]
    assert _gone(_children(tmp_path, 0))
    assert _gone(_children(tmp_path, 1))


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX")
def test_processes_left_running_by_a_run_end_with_the_runner(tmp_path: Path) -> None:
    started = time.monotonic()
    study = seedwise.run(
        f"{PROCESSES}:child_processes",
        repeats=1,
        workers=1,
        store=tmp_path / "s.db",
        frameworks=FAST,
        config={"log": str(tmp_path), "leave": True},
    )
    assert study.counts()["ok"] == 1
    assert _gone(_children(tmp_path, 0), within=1.0)
    # The worker's own exit waits for its children; shutdown's grace ends that.
    assert time.monotonic() - started < 30


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_cpu_seconds_counts_a_process_s_own_work_and_its_reaped_children_s() -> None:
    before = cpu_seconds(os.getpid())
    assert before is not None
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import time\nt = time.process_time() + 0.3\nwhile time.process_time() < t: pass",
        ],
        check=True,
    )
    after = cpu_seconds(os.getpid())
    assert after is not None
    # Its own 0.3 s and its child's 0.3 s, at the clock's 0.01 s resolution.
    assert after - before >= 0.55
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert cpu_seconds(child.pid) is None
