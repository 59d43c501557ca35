"""Nothing lost, nothing crashes: bad input, markup, signals, stale claims, orphans, lost causes.

The short version of the reliability suite; ``benchmarks/reliability.py`` is the long one.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.errors import StoreError
from seedwise.records import RunRecord
from seedwise.store import Store, open_store
from seedwise.store.owners import Owner
from tests.conftest import ROOT

FAST = ["--framework", "python", "--framework", "numpy"]
SLEEPY = [sys.executable, "-m", "seedwise", "run", "exp.py:sleepy"]

EXPERIMENTS = """\
import os
import sys
import time


def ok(ctx, value=1.0):
    print("value", value)
    return {"value": float(value) + ctx.repeat, "[bold]m[/]": 1.0}


def markup(ctx):
    raise ValueError("closing tag [/] and [red]colour[/red]")


def sleepy(ctx, seconds=30.0):
    time.sleep(seconds)
    return {"value": 1.0}


def exits(ctx):
    sys.exit(0)


def interrupted(ctx):
    raise KeyboardInterrupt


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")


def unprintable(ctx):
    raise Unprintable()


def empty(ctx):
    return {}


def shouts(ctx):
    print("x" * 1000)
    return {"value": 1.0}
"""


def digest(path: Path) -> str | None:
    """The bytes of a store, its write-ahead log and every other file beside it, hashed.

    An empty ``-wal`` and the ``-shm`` index, which SQLite creates for a
    reader of a WAL store when they are missing, hold no data and are left out.
    """
    if not path.exists():
        return None
    hasher = hashlib.sha256()
    for item in sorted(path.parent.iterdir()):
        if not item.is_file() or item.name.endswith("-shm"):
            continue
        if item.name.endswith("-wal") and item.stat().st_size == 0:
            continue
        hasher.update(item.name.encode() + item.read_bytes())
    return hasher.hexdigest()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "exp.py").write_text(EXPERIMENTS)
    return tmp_path


def seedwise(folder: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seedwise", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, PYTHONPATH=str(ROOT), SEEDWISE_STORE=str(folder / "s.db")),
    )


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one study of two runs, made without running anything."""
    path = tmp_path_factory.mktemp("populated") / "s.db"
    with Store(path) as store:
        store.ensure_study(
            "study", experiment="x.py:f", config={}, seed=0, settings={}, code_hash="h"
        )
        store.record_run(RunRecord("study", 0, 1, "ok", metrics={"mse": 0.5}))
        store.record_run(RunRecord("study", 1, 2, "failed", error="ValueError: x"))
    return path


# One line, exit 2, nothing changed: at least 100 bad inputs across every command.

_COMMON_BAD = [
    ["--store", ""],
    ["--store", "/"],
    ["--json", "--json=1"],
    ["--frobnicate"],
]

BAD_INPUTS = [
    *[["run", "exp.py:ok", *bad] for bad in _COMMON_BAD[:2]],
    ["run"],
    ["run", "exp.py:nope"],
    ["run", "exp.py:ok", "--repeats", "0"],
    ["run", "exp.py:ok", "--repeats", "-1"],
    ["run", "exp.py:ok", "--repeats", "1.5"],
    ["run", "exp.py:ok", "--repeats", "x"],
    ["run", "exp.py:ok", "--repeats", str(10**12)],
    ["run", "exp.py:ok", "--repeats", str(2**63)],
    ["run", "exp.py:ok", "--repeats", ""],
    ["run", "exp.py:ok", "--workers", "0"],
    ["run", "exp.py:ok", "--workers", "-2"],
    ["run", "exp.py:ok", "--workers", "two"],
    ["run", "exp.py:ok", "--workers", str(2**64)],
    ["run", "exp.py:ok", "--threads", "0"],
    ["run", "exp.py:ok", "--threads", "1.0"],
    ["run", "exp.py:ok", "--timeout", "0"],
    ["run", "exp.py:ok", "--timeout", "-1"],
    ["run", "exp.py:ok", "--timeout", "nan"],
    ["run", "exp.py:ok", "--timeout", "inf"],
    ["run", "exp.py:ok", "--timeout", "soon"],
    ["run", "exp.py:ok", "--seed", "-1"],
    ["run", "exp.py:ok", "--seed", str(2**63)],
    ["run", "exp.py:ok", "--seed", "0x10"],
    ["run", "exp.py:ok", "--seed", "1e3"],
    ["run", "exp.py:ok", "--set", "novalue"],
    ["run", "exp.py:ok", "--set", "=1"],
    ["run", "exp.py:ok", "--set", "bad key=1"],
    ["run", "exp.py:ok", "--set", "value=1e999"],
    ["run", "exp.py:ok", "--set", "value=[1e999]"],
    ["run", "exp.py:ok", "--framework", "tensorfow"],
    ["run", "exp.py:ok", "--framework", ""],
    ["run", "exp.py:ok", "--name", ""],
    ["run", "exp.py:ok", "--name", "   "],
    ["run", "exp.py:ok", "--name", "n" * 300],
    ["run", "exp.py:ok", "--max-failures", "0"],
    ["run", "exp.py:ok", "--only-repeat", "-1"],
    ["run", "exp.py:ok", "--only-repeat", str(10**30)],
    ["run", "exp.py:ok", "--until-ci", "0"],
    ["run", "exp.py:ok", "--until-ci", "-0.1"],
    ["run", "exp.py:ok", "--until-ci", "nan"],
    ["run", "exp.py:ok", "--max-repeats", "0"],
    ["run", "exp.py:ok", "--allow-failures", "-1"],
    ["run", "exp.py:ok", "--metric", ""],
    ["run", "exp.py:ok", "--metric", "m=("],
    ["run", "exp.py:ok", "--metric", "=x"],
    ["run", "exp.py:ok", "--", "--lr", "1"],
    ["run", "missing.py:ok"],
    ["run", "missing.py"],
    ["run", "no.such.module:fn"],
    ["run", "exp.py:1fn"],
    ["run", "__main__:train"],
    ["check"],
    ["check", "exp.py:nope"],
    ["check", "exp.py:ok", "--seed", "-5"],
    ["check", "exp.py:ok", "--threads", "0"],
    ["check", "exp.py:ok", "--timeout", "0"],
    ["check", "exp.py:ok", "--set", "x"],
    ["check", "exp.py:ok", "--framework", "theano"],
    ["check", "exp.py:ok", "--metric", "m=["],
    ["check", "exp.py:ok", "--store", ""],
    ["rerun"],
    ["rerun", "study"],
    ["rerun", "study", "-1"],
    ["rerun", "study", "x"],
    ["rerun", "nope", "0"],
    ["rerun", "study", "0", "--timeout", "0"],
    ["ls", "extra"],
    *[["ls", *bad] for bad in _COMMON_BAD],
    ["show"],
    ["show", "nope"],
    ["show", "study", "--repeat", "-1"],
    ["show", "study", "--repeat", "7"],
    ["show", "study", "--repeat", str(10**30)],
    ["show", "study", "--lines", "0"],
    *[["show", "study", *bad] for bad in _COMMON_BAD],
    ["export"],
    ["export", "nope"],
    ["export", "study", "--format", "xml"],
    ["export", "study", "--output", ""],
    ["export", "study", "-o", "/no/such/folder/out.csv"],
    ["export", "study", "-o", "/"],
    ["summary"],
    ["summary", "nope"],
    ["summary", "study", "--metric", "loss"],
    ["summary", "study", "--seed", "-1"],
    ["summary", "study", "--seed", "many"],
    *[["summary", "study", *bad] for bad in _COMMON_BAD],
    ["compare"],
    ["compare", "study"],
    ["compare", "study", "nope"],
    ["compare", "study", "study", "--goal", "up"],
    ["compare", "study", "study", "--correction", "bonferroni"],
    ["compare", "study", "study", "--paired", "maybe"],
    ["compare", "study", "study", "--seed", "-1"],
    ["compare", "study", "study", "--metric", "loss"],
    ["plan", "study"],
    ["plan", "study", "--effect", "nan"],
    ["plan", "study", "--effect", "x"],
    ["plan", "study", "--effect", "0.1", "--power", "1"],
    ["plan", "study", "--effect", "0.1", "--power", "0"],
    ["plan", "study", "--effect", "0.1", "--alpha", "1.5"],
    ["plan", "nope", "--effect", "0.1"],
    ["claims", "nope"],
    ["claims", "--store", ""],
    ["report"],
    ["report", "nope"],
    ["report", "study", "-o", "report.pdf"],
    ["seed"],
    ["seed", "x"],
    ["seed", "-1"],
    ["seed", str(2**63)],
    ["seed", "1", "--framework", "theano"],
    ["demo", "--backend", "mxnet"],
    ["demo", "--store", ""],
    ["frobnicate"],
    ["--frobnicate"],
]


def test_the_suite_holds_more_than_100_bad_inputs() -> None:
    assert len(BAD_INPUTS) >= 100


@pytest.mark.parametrize("argv", BAD_INPUTS, ids=[" ".join(a) or "(none)" for a in BAD_INPUTS])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    argv: list[str],
    populated: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENTS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEEDWISE_STORE", str(populated))
    before = digest(populated)
    code = main(argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.err + captured.out
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("seedwise: error: ")
    assert "Traceback" not in captured.err
    assert digest(populated) == before
    assert not (tmp_path / ".seedwise").exists()


def test_a_damaged_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.ensure_study("s", experiment="x.py:f", config={}, seed=0, settings={}, code_hash="h")
        for repeat in range(200):
            store.record_run(RunRecord("s", repeat, repeat, "ok", metrics={"m": 1.0}))
    data = bytearray(path.read_bytes())
    data[4096 + 100 : 4096 + 3000] = b"\xff" * 2900  # the second page: table contents
    path.write_bytes(bytes(data))
    before = digest(path)
    for argv in (["show", "s"], ["export", "s"], ["summary", "s"], ["ls"]):
        code = main([*argv, "--store", str(path)])
        err = capsys.readouterr().err
        if code != 0:
            assert code == 2, err
            assert len(err.strip().splitlines()) == 1, err
            assert "Traceback" not in err
    assert digest(path) == before


def test_a_full_disk_is_one_line_and_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.ensure_study("s", experiment="x.py:f", config={}, seed=0, settings={}, code_hash="h")
        store.record_run(RunRecord("s", 0, 1, "ok", metrics={"m": 1.0}))
        # SQLite answers "database or disk is full" once the file may not grow.
        pages = store._file.connection.execute("PRAGMA page_count").fetchone()[0]
        store._file.connection.execute(f"PRAGMA max_page_count = {pages}")
        big = {f"metric_{i}": float(i) for i in range(20_000)}
        with pytest.raises(StoreError, match="database or disk is full") as caught:
            store.record_run(RunRecord("s", 1, 2, "ok", metrics=big))
        assert "\n" not in str(caught.value)
        assert [run.repeat for run in store.runs("s")] == [0]


def test_a_timestamp_no_calendar_holds_is_shown_as_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.ensure_study("s", experiment="x.py:f", config={}, seed=0, settings={}, code_hash="h")
        with store._write() as connection:
            connection.execute("UPDATE studies SET created = 1e300")
    assert main(["ls", "--store", str(path)]) == 0
    assert "?" in capsys.readouterr().out


def test_a_closed_pipe_is_not_a_bug(populated: Path) -> None:
    command = f"{sys.executable} -m seedwise ls --json --store {populated} | head -c 1"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60
    )
    assert "internal error" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_markup_in_names_metrics_and_errors_is_printed_as_text(folder: Path) -> None:
    for name in ("x[/]y", "[red]pwned[/red]"):
        done = seedwise(folder, "run", "exp.py:ok", "--repeats", "1", "--name", name, *FAST)
        assert done.returncode == 0, done.stderr
        assert name in done.stdout
    failed = seedwise(folder, "run", "exp.py:markup", "--repeats", "1", *FAST)
    assert failed.returncode == 1, failed.stderr
    assert "closing tag [/] and [red]colour[/red]" in failed.stdout
    for argv in (["ls"], ["show", "x[/]y"], ["summary", "x[/]y"], ["show", "[red]pwned[/red]"]):
        shown = seedwise(folder, *argv)
        assert shown.returncode == 0, shown.stderr
        assert "Traceback" not in shown.stderr
    assert "[red]pwned[/red]" in seedwise(folder, "ls").stdout
    assert "[bold]m[/]" in seedwise(folder, "summary", "x[/]y").stdout


@pytest.mark.slow
def test_lost_causes_are_recorded_with_their_reason(folder: Path) -> None:
    reasons = {}
    for function in ("exits", "interrupted", "unprintable", "empty"):
        done = seedwise(folder, "run", f"exp.py:{function}", "--repeats", "1", "--json", *FAST)
        assert done.returncode == 1, done.stderr
        with open_store(folder / "s.db") as store:
            (study,) = [
                s.name for s in store.list_studies() if s.name.startswith(f"exp.{function}")
            ]
            (run,) = store.runs(study)
        assert run.status == "failed"
        reasons[function] = run.error or ""
    assert reasons["exits"].startswith("SystemExit: the experiment called sys.exit(0)")
    assert reasons["interrupted"] == "KeyboardInterrupt"
    assert reasons["unprintable"].startswith("Unprintable: (its message could not be read")
    assert reasons["empty"].startswith("InvalidResultError: The run produced no metrics")


def test_run_output_never_follows_a_link(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = folder / "victim.txt"
    target.write_text("untouched\n")
    store = ["--store", str(folder / "s.db")]
    experiment = f"{folder / 'exp.py'}:shouts"
    assert main(["run", experiment, "--repeats", "1", "--name", "links", *FAST, *store]) == 0
    output = folder / "s-runs" / "links" / "00000" / "output.log"
    output.unlink()
    output.symlink_to(target)
    capsys.readouterr()
    code = main(["rerun", "links", "0", *store])
    assert target.read_text() == "untouched\n"
    assert code != 0 or "identical" in capsys.readouterr().out


@pytest.mark.slow
def test_distinct_names_get_distinct_folders_and_secrets_are_masked(folder: Path) -> None:
    for name in ("étude-1", "ötude-1"):
        done = seedwise(folder, "run", "exp.py:ok", "--repeats", "1", "--name", name, *FAST)
        assert done.returncode == 0, done.stderr
    folders = sorted(path.name for path in (folder / "s-runs").iterdir())
    assert len(folders) == 2
    (folder / "kw.py").write_text("def train(**config):\n    return {'v': 1.0}\n")
    stored = seedwise(
        folder, "run", "kw.py:train", "--repeats", "1", "--set", "api_token=hunter2", *FAST
    )
    assert stored.returncode == 0, stored.stderr
    for argv in (["ls"], ["ls", "--json"], ["show", "kw.train"], ["show", "kw.train", "--json"]):
        shown = seedwise(folder, *argv).stdout
        assert "hunter2" not in shown
        assert "***" in shown


@pytest.mark.slow
def test_stores_started_at_once_all_open(tmp_path: Path) -> None:
    code = (
        "import sys, time\n"
        "from seedwise.store import Store\n"
        "start = float(sys.argv[2])\n"
        "while time.time() < start:\n    pass\n"
        "with Store(sys.argv[1]) as s:\n"
        "    s.ensure_study('s', experiment='x.py:f', config={}, seed=0, settings={},"
        " code_hash='h')\n"
    )
    for trial in range(3):
        path = tmp_path / f"s{trial}.db"
        start = time.time() + 1.0
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(path), str(start)],
                stderr=subprocess.PIPE,
                text=True,
                env=dict(os.environ, PYTHONPATH=str(ROOT)),
            )
            for _ in range(6)
        ]
        errors = [process.communicate(timeout=120)[1] for process in processes]
        assert [process.returncode for process in processes] == [0] * 6, errors


def _claim_rows(path: Path) -> list[tuple[int, str]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT repeat, owner FROM claims ORDER BY repeat").fetchall()
    finally:
        connection.close()


@pytest.mark.slow
def test_stale_claims_are_taken_over_and_can_be_listed_and_released(folder: Path) -> None:
    first = seedwise(folder, "run", "exp.py:ok", "--repeats", "1", "--name", "held", *FAST)
    assert first.returncode == 0, first.stderr
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    time.sleep(1.0)  # it exits; not reaped yet, so it is a zombie
    with Store(folder / "s.db") as store:
        with store._write() as connection:
            rows = [
                ("held", 1, f"other-host:4242:{'a' * 32}", time.time() - 3600),
                ("held", 2, str(Owner.here(zombie.pid, "b" * 32)), time.time()),
                ("held", 3, f"other-host:4343:{'c' * 32}", time.time()),
            ]
            connection.executemany(
                "INSERT INTO claims (study, repeat, owner, claimed) VALUES (?, ?, ?, ?)", rows
            )
        states = {claim["repeat"]: claim["state"] for claim in store.claim_details("held")}
    assert states == {1: "expired", 2: "dead", 3: "unknown"}
    listed = seedwise(folder, "claims", "--json")
    assert {c["repeat"]: c["state"] for c in json.loads(listed.stdout)["claims"]} == states
    resumed = seedwise(folder, "run", "exp.py:ok", "--repeats", "4", "--name", "held", *FAST)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    with open_store(folder / "s.db") as store:
        assert sorted(run.repeat for run in store.runs("held")) == [0, 1, 2]
    assert "1 repeats are being run by another runner" in resumed.stdout
    assert [repeat for repeat, _ in _claim_rows(folder / "s.db")] == [3]
    zombie.wait()


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in command:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_die_with_their_runner(folder: Path) -> None:
    marker = f"seedwise-orphan-{os.getpid()}"
    runner = subprocess.Popen(
        [*SLEEPY, "--repeats", "4", "--workers", "2", "--name", marker, *FAST],
        cwd=folder,
        env=dict(os.environ, PYTHONPATH=str(ROOT), SEEDWISE_STORE=str(folder / "s.db")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(list((folder / "s-runs").glob(f"{marker}/0*"))) < 2:
        time.sleep(0.2)
    workers = _process_children(runner.pid)
    assert len(workers) >= 2
    runner.kill()
    runner.wait()
    time.sleep(5.0)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
    assert alive == []


def _process_children(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == parent:
                children.append(int(entry.name))
    return children


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_sigterm_to_the_group_twice_stops_cleanly(folder: Path) -> None:
    runner = subprocess.Popen(
        [*SLEEPY, "--repeats", "3", "--workers", "2", "--name", "stopped", *FAST],
        cwd=folder,
        env=dict(os.environ, PYTHONPATH=str(ROOT), SEEDWISE_STORE=str(folder / "s.db")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(list((folder / "s-runs").glob("stopped/0*"))) < 2:
        time.sleep(0.2)
    os.killpg(runner.pid, signal.SIGTERM)
    time.sleep(0.05)
    os.killpg(runner.pid, signal.SIGTERM)
    _, err = runner.communicate(timeout=60)
    # 130; or, when the second signal lands after the clean-up, while the process
    # exits, death by that signal (-2 or -15; a shell reports 130 or 143).
    assert runner.returncode in (130, -2, -15), err
    assert "Interrupted: 0 of 3 runs of study 'stopped'" in err
    assert _claim_rows(folder / "s.db") == []
    with open_store(folder / "s.db") as store:
        assert store.runs("stopped") == []
