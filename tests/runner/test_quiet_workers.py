"""Timeouts count the run only; what workers print stays out of the runner's terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

import seedwise
from seedwise.store import open_store
from tests.conftest import PROGRAMS, run_python

SLOW_START = f"{PROGRAMS / 'slow_start.py'}:train"


@pytest.mark.slow
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
    # The replacement worker spends 2 s loading the module before repeat 1: a
    # run's recorded time is the experiment's own, without it.
    assert runs[1].duration is not None
    assert runs[1].duration < 1.0


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_scripts_installed_imports_do_not_count_toward_its_timeout(tmp_path: Path) -> None:
    # The package takes 2 s to import; the timeout is 1 s. The worker imports
    # it before the script's first run, so no run times out, and each run
    # still executes the whole script as __main__.
    packages = tmp_path / "site"
    packages.mkdir()
    (packages / "slowpkg.py").write_text("import time\ntime.sleep(2.0)\nVALUE = 3.0\n")
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "script.py").write_text(
        "import random\n\nimport slowpkg\n\nprint(f'VALUE: {slowpkg.VALUE * random.random()!r}')\n"
    )
    store = tmp_path / "s.db"
    arguments = [str(folder / "script.py"), "--repeats", "3", "--workers", "1", "--timeout", "1"]
    arguments += ["--metric", r"value=VALUE: (\S+)", "--store", str(store), "--framework", "python"]
    completed = run_python(["-m", "seedwise", "run", *arguments], env={"PYTHONPATH": str(packages)})
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    with open_store(store) as opened:
        (listed,) = opened.list_studies()
        runs = list(opened.runs(listed.name))
    assert [run.status for run in runs] == ["ok"] * 3, [run.error for run in runs]
    assert len({run.metrics["value"] for run in runs}) == 3
