"""Warm workers across studies: reused when they can pass for fresh ones, and never leaked."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import seedwise
from seedwise.records import first_difference
from seedwise.runner.pool import WARM_POOL
from seedwise.store import open_store
from tests.conftest import PROGRAMS, ROOT, default_sigint

WARM = PROGRAMS / "warm.py"
REMEMBERS = f"{WARM}:remembers"
FAST = ("python", "numpy")


def _run(store: Path, experiment: str = REMEMBERS, **keywords: Any) -> seedwise.Study:
    keywords.setdefault("repeats", 2)
    keywords.setdefault("workers", 1)
    return seedwise.run(experiment, store=store, frameworks=FAST, **keywords)


def _pids(study: seedwise.Study) -> set[int]:
    return {int(pid) for pid in study.metrics("pid")}


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _gone(pids: set[int], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_second_study_runs_in_the_first_ones_worker_with_its_module_state_fresh(
    tmp_path: Path,
) -> None:
    first = _run(tmp_path / "s.db", repeats=3, config={"scale": 1})
    second = _run(tmp_path / "s.db", config={"scale": 2})
    assert _pids(second) == _pids(first)
    # The module's list of calls starts empty, as in a fresh worker; within a study it grows.
    assert first.metrics("calls").tolist() == [1.0, 2.0, 3.0]
    assert second.metrics("calls").tolist() == [1.0, 2.0]
    # What the first study's runs put on sys.path and in the warning filters is gone.
    assert second.metrics("seen_mark")[0] == 0.0
    assert second.metrics("filtered")[0] == 0.0


def _fresh_and_warm(
    tmp_path: Path, experiment: str, configs: tuple[dict[str, Any], dict[str, Any]], **keywords: Any
) -> None:
    """Study ``b`` (``configs[1]``) alone in a fresh process, and in a worker that ran ``a``.

    Asserts the worker was reused, and that every metric but the pid, every
    logged step and every fingerprint of each repeat are the same bit for bit.
    """
    fresh_store = tmp_path / "fresh.db"
    script = (
        "import seedwise\n"
        f"seedwise.run({experiment!r}, repeats=3, workers=1, store={str(fresh_store)!r}, "
        f"config={configs[1]!r}, name='b', **{keywords!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)])),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Warm: the same study in a worker that first ran another study of the same code.
    warm_store = tmp_path / "warm.db"
    ran = {}
    for name, config in zip("ab", configs, strict=True):
        ran[name] = seedwise.run(
            experiment, repeats=3, workers=1, store=warm_store, config=config, name=name, **keywords
        )
    assert _pids(ran["b"]) == _pids(ran["a"])
    with open_store(fresh_store) as fresh_runs, open_store(warm_store) as warm_runs:
        for repeat in range(3):
            expected = fresh_runs.run("b", repeat)
            got = warm_runs.run("b", repeat)
            assert expected is not None
            assert got is not None
            assert got.steps
            assert got.fingerprints
            # Everything but the pid (the workers are other processes) is the same, bit for bit.
            expected.metrics.pop("pid")
            got.metrics.pop("pid")
            assert first_difference(expected, got) is None, repeat


def test_a_reused_worker_gives_the_bits_of_a_fresh_process(tmp_path: Path) -> None:
    _fresh_and_warm(tmp_path, REMEMBERS, ({"scale": 1}, {"scale": 2}), frameworks=FAST)


@pytest.mark.slow
def test_a_reused_keras_worker_gives_the_bits_of_a_fresh_process(tmp_path: Path) -> None:
    if importlib.util.find_spec("keras") is None:
        pytest.skip("needs keras")
    _fresh_and_warm(
        tmp_path,
        f"{WARM}:keras_sequence",
        ({"epochs": 3, "learning_rate": 0.01}, {"epochs": 3, "learning_rate": 0.001}),
    )


def test_a_worker_is_not_reused_in_another_environment_or_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _run(tmp_path / "s.db", config={"scale": 1})
    monkeypatch.setenv("SEEDWISE_WARM_TEST", "7")
    marked = _run(tmp_path / "s.db", config={"scale": 2})
    assert _pids(marked).isdisjoint(_pids(first))
    assert marked.metrics("marked").tolist() == [7.0, 7.0]
    monkeypatch.chdir(tmp_path)
    moved = _run(tmp_path / "s.db", config={"scale": 3})
    assert _pids(moved).isdisjoint(_pids(marked) | _pids(first))
    assert moved.metrics("cwd")[0] == len(str(tmp_path))


def test_a_changed_experiment_file_gets_a_fresh_worker_and_runs_the_new_code(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "warm_copy.py"
    copy.write_text(WARM.read_text())
    experiment = f"{copy}:remembers"
    first = _run(tmp_path / "s.db", experiment, config={"scale": 1})
    copy.write_text(WARM.read_text().replace("VERSION = 1", "VERSION = 2"))
    second = _run(tmp_path / "s.db", experiment, config={"scale": 2})
    assert _pids(second).isdisjoint(_pids(first))
    assert second.metrics("version").tolist() == [2.0, 2.0]


def test_shutdown_stops_the_warm_workers_and_the_next_study_starts_its_own(
    tmp_path: Path,
) -> None:
    first = _run(tmp_path / "s.db", config={"scale": 1})
    assert len(WARM_POOL) == 1
    seedwise.shutdown()
    assert len(WARM_POOL) == 0
    assert _gone(_pids(first))
    second = _run(tmp_path / "s.db", config={"scale": 2})
    assert _pids(second).isdisjoint(_pids(first))
    seedwise.shutdown()
    seedwise.shutdown()  # again: nothing to do


def test_fresh_process_per_run_keeps_no_worker_warm(tmp_path: Path) -> None:
    study = _run(tmp_path / "s.db", fresh_process_per_run=True)
    assert len(WARM_POOL) == 0
    assert len(_pids(study)) == 2


_TWO_STUDIES = """
import os, signal, sys
import seedwise

def children():
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{{entry}}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.isdigit() and int(fields[1]) == os.getpid():
            found.append(entry)
    return found

keywords = dict(workers=2, store={store!r}, frameworks=("python", "numpy"))
seedwise.run({experiment!r}, repeats=2, config={{"scale": 1}}, **keywords)
seedwise.run({experiment!r}, repeats=2, config={{"scale": 2}}, **keywords)
with open({children!r}, "w") as handle:
    handle.write(" ".join(children()))
{ending}
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
@pytest.mark.parametrize(
    ("ending", "code"),
    [
        ("", 0),
        ("raise RuntimeError('the caller fails after its studies')", 1),
        # The sleep gives the interpreter a moment to act on the signal before the
        # script's end; the KeyboardInterrupt cuts it short.
        ("os.kill(os.getpid(), signal.SIGINT); __import__('time').sleep(30)", -signal.SIGINT),
        (
            "seedwise.run({sleeps!r}, repeats=1, config={{'marker': {marker!r}, 'sleep': 60}}, "
            "**keywords)",
            1,
        ),
    ],
    ids=["exits", "raises", "ctrl-c-after", "ctrl-c-during"],
)
def test_no_process_outlives_the_interpreter_that_ran_two_studies(
    tmp_path: Path, ending: str, code: int
) -> None:
    children = tmp_path / "children.txt"
    marker = tmp_path / "marker.txt"
    values = {"sleeps": f"{WARM}:sleeps", "marker": str(marker)}
    script = _TWO_STUDIES.format(
        store=str(tmp_path / "s.db"),
        experiment=REMEMBERS,
        children=str(children),
        ending=ending.format(**values),
    )
    caller = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)])),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    if "sleeps" in ending:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists()
        caller.send_signal(signal.SIGINT)
    _, stderr = caller.communicate(timeout=120)
    assert caller.returncode == code, stderr
    pids = {int(pid) for pid in children.read_text().split()}
    # Two workers and the watcher, at least, were its children.
    assert len(pids) >= 3
    if marker.exists():
        pids.add(int(marker.read_text()))
    assert _gone(pids), [pid for pid in pids if _alive(pid)]
