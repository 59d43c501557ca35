"""Timeouts count the run only; what workers print stays out of the runner's terminal."""

from __future__ import annotations

from pathlib import Path

import seedwise
from tests.conftest import PROGRAMS, run_python

SLOW_START = f"{PROGRAMS / 'slow_start.py'}:train"


def test_timeout_counts_the_run_not_the_workers_start_or_imports(tmp_path: Path) -> None:
    # Loading the module takes 2 s, longer than the 1 s timeout; only the
    # run that sleeps times out, and its replacement worker's load does not
    # make the next run time out.
    study = seedwise.run(
        SLOW_START,
        repeats=3,
        workers=1,
        store=tmp_path / "s.db",
        frameworks=("python", "numpy"),
        config={"sleep": 0},
        timeout=1,
    )
    runs = {run.repeat: run for run in study.runs}
    assert [runs[r].status for r in range(3)] == ["timeout", "ok", "ok"]
    assert runs[0].error == "run exceeded the timeout of 1 s"
    assert runs[0].duration is not None
    assert runs[0].duration < 1.9


def test_worker_output_goes_to_logs_not_the_terminal(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    arguments = ["run", SLOW_START, "--repeats", "2", "--workers", "1", "--store", str(store)]
    completed = run_python(["-m", "seedwise", *arguments])
    assert completed.returncode == 0, completed.stderr[-2000:]
    terminal = completed.stdout + completed.stderr
    assert "BANNER" not in terminal
    assert "RUN OUTPUT" not in terminal
    runs = tmp_path / "s-runs"
    logs = "".join(path.read_text() for path in runs.glob("*/workers/*.log"))
    assert "BANNER: slow_start imported" in logs
    outputs = sorted(runs.rglob("output.log"))
    assert [path.read_text() for path in outputs] == ["RUN OUTPUT 0\n", "RUN OUTPUT 1\n"]
