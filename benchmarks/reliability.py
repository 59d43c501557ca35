"""The long reliability suite: kills, signals, concurrent runners, orphans, bad input.

    .venv/bin/python benchmarks/reliability.py [--trials 20] [--repeats 60]

Each attack runs ``seedwise run`` in fresh processes on a NumPy experiment
whose runs take a few tens of milliseconds, then checks the store directly:

- kill -9 of the runner at a random moment, then a plain rerun: runs lost,
  repeats stored twice, final table equal to an uninterrupted sweep;
- kill -9 of one worker mid-run: the run is recorded ``crashed`` and the
  sweep goes on;
- SIGINT and SIGTERM to the runner and to its process group (once and
  twice): exit 130, claims left behind, runs wrongly recorded;
- several runners on one study at once: duplicates and lock errors;
- kill -9 of the runner: its workers still alive 5 s later;
- two runners on two hard links of one store: refused, in one line each;
- copies while a runner writes: ``cp`` of the file against ``Store.backup``
  (what ``seedwise backup`` does), each checked against a backup taken just
  before it;
- every bad input of the short suite: exit 2 in one line, store unchanged;
- a runner frozen (SIGSTOP) past a short claim lease while another finishes
  the study, then woken: finished runs replaced, repeats lost;
- a runner in another PID namespace with this host name beside one of this
  namespace (``unshare``): repeats executed twice;
- one SIGINT or SIGTERM at a random moment to ``run --executor dask`` (a
  local cluster), cluster start-up included: exit 130, tracebacks, claims
  left, runs wrongly recorded, processes alive 5 s after the runner ended;
- kill -9 of the runner while its worker holds the interpreter lock in a
  regex and a child of the run sleeps: how long each takes to go;
- experiments that fork a child which returns from the experiment: repeats
  lost, results taken from the child, the count printed, the exit code.

Prints one line per attack with its figures; docs/reliability.md quotes them.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXPERIMENT = """\
import time

import numpy as np


def work(ctx, pause=0.03):
    time.sleep(pause)
    return {"value": float(ctx.rng("x").normal() + np.random.rand())}
"""

FAST = ["--framework", "python", "--framework", "numpy"]


def command(folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "seedwise", "run", "exp.py:work", *args, *FAST]


def environment(folder: Path) -> dict[str, str]:
    # ROOT for the tests' helpers; an inherited PYTHONPATH (a checkout's src) kept after it.
    search = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=search, SEEDWISE_STORE=str(folder / "s.db"))


def table(folder: Path, study: str) -> tuple[list[tuple[int, str, float | None]], int]:
    """The stored runs (repeat, status, value) and the open claims of a study."""
    if not (folder / "s.db").exists():
        return [], 0
    connection = sqlite3.connect(f"file:{folder / 's.db'}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute(
            "SELECT repeat, status, json_extract(metrics, '$.value') FROM runs "
            "WHERE study = ? ORDER BY repeat",
            (study,),
        ).fetchall()
        claims = connection.execute(
            "SELECT count(*) FROM claims WHERE study = ?", (study,)
        ).fetchone()[0]
    finally:
        connection.close()
    return rows, claims


def start_in_a_group(folder: Path, args: list[str]) -> subprocess.Popen[str]:
    """``args`` run in ``folder``, leading a process group of their own; stderr kept."""
    return subprocess.Popen(
        args,
        cwd=folder,
        env=environment(folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def fresh_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="seedwise-reliability-"))
    (folder / "exp.py").write_text(EXPERIMENT)
    return folder


def kill_runner(trials: int, repeats: int, rng: random.Random) -> str:
    reference_folder = fresh_folder()
    subprocess.run(
        command(reference_folder, "--repeats", str(repeats), "--name", "s", "--workers", "2"),
        cwd=reference_folder,
        env=environment(reference_folder),
        capture_output=True,
        check=True,
    )
    reference, _ = table(reference_folder, "s")
    lost = duplicates = different = 0
    for _ in range(trials):
        folder = fresh_folder()
        args = command(folder, "--repeats", str(repeats), "--name", "s", "--workers", "2")
        runner = subprocess.Popen(
            args,
            cwd=folder,
            env=environment(folder),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 3.0))
        runner.kill()
        runner.wait()
        before, _ = table(folder, "s") if (folder / "s.db").exists() else ([], 0)
        time.sleep(0.5)  # its workers notice and die
        subprocess.run(args, cwd=folder, env=environment(folder), capture_output=True)
        after, _ = table(folder, "s")
        repeats_after = [row[0] for row in after]
        duplicates += len(repeats_after) - len(set(repeats_after))
        lost += sum(1 for row in before if row[1] == "ok" and row not in after)
        different += after != reference
    return (
        f"kill -9 of the runner at a random moment, then a rerun ({trials} trials, "
        f"{repeats} repeats): {lost} runs lost, {duplicates} duplicates, "
        f"{trials - different} of {trials} final tables equal to an uninterrupted sweep"
    )


def signals(trials: int) -> str:
    outcomes = []
    for target in ("runner", "group"):
        for name in ("SIGINT", "SIGTERM"):
            for times in (1, 2):
                bad = 0
                for _ in range(trials):
                    folder = fresh_folder()
                    runner = start_in_a_group(
                        folder,
                        command(folder, "--repeats", "400", "--name", "s", "--workers", "2"),
                    )
                    deadline = time.time() + 120
                    while time.time() < deadline and not list(folder.glob("runs/s/*")):
                        time.sleep(0.1)
                    time.sleep(0.5)
                    sig = getattr(signal, name)
                    for _ in range(times):
                        if target == "group":
                            os.killpg(runner.pid, sig)
                        else:
                            runner.send_signal(sig)
                        time.sleep(0.05)
                    _, err = runner.communicate(timeout=120)
                    rows, claims = table(folder, "s")
                    crashed = sum(1 for row in rows if row[1] != "ok")
                    # 130, or death by SIGINT (-2), which a shell reports as 130 too.
                    clean = runner.returncode in (130, -2) and "Interrupted:" in err
                    bad += (not clean) + claims + crashed
                outcomes.append(f"{name} x{times} to the {target}: {bad} faults")
    return f"signals ({trials} trials each): " + "; ".join(outcomes)


def concurrent(rounds: int, runners: int) -> str:
    duplicates = errors = incomplete = 0
    for _ in range(rounds):
        folder = fresh_folder()
        processes = [
            subprocess.Popen(
                command(folder, "--repeats", "60", "--name", "s", "--workers", "1"),
                cwd=folder,
                env=environment(folder),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(runners)
        ]
        for process in processes:
            _, err = process.communicate(timeout=600)
            errors += "locked" in err or "Traceback" in err
        rows, _ = table(folder, "s")
        repeats = [row[0] for row in rows]
        duplicates += len(repeats) - len(set(repeats))
        incomplete += sorted(repeats) != list(range(60))
    return (
        f"{runners} runners at once on one study x {rounds} rounds: {duplicates} duplicates, "
        f"{errors} lock errors or tracebacks, {incomplete} incomplete studies"
    )


def runners_with_readers(rounds: int = 3, runners: int = 8, readers: int = 2) -> str:
    """``runners`` runners on one study, read meanwhile by ``readers`` loops of reading commands."""
    import threading

    reads = (["ls"], ["show", "s"], ["summary", "s"], ["export", "s", "--format", "json"])
    duplicates = incomplete = runner_faults = 0
    read_faults: list[bool] = []

    def read(folder: Path, first: int, running: list[subprocess.Popen[str]]) -> None:
        turn = first
        while any(process.poll() is None for process in running):
            done = subprocess.run(
                [sys.executable, "-m", "seedwise", *reads[turn % len(reads)]],
                cwd=folder, env=environment(folder), capture_output=True, text=True,
                timeout=120,
            )  # fmt: skip
            turn += 1
            # Before the study exists a read says so in one line (exit 2); never more.
            read_faults.append(
                "Traceback" in done.stderr
                or "locked" in done.stderr
                or done.returncode not in (0, 2)
                or (done.returncode == 2 and done.stderr.count("\n") != 1)
            )

    for _ in range(rounds):
        folder = fresh_folder()
        processes = [
            start_in_a_group(folder, command(folder, "--repeats", "60", "--name", "s"))
            for _ in range(runners)
        ]
        loops = [
            threading.Thread(target=read, args=(folder, index, processes))
            for index in range(readers)
        ]
        for loop in loops:
            loop.start()
        for process in processes:
            _, err = process.communicate(timeout=600)
            runner_faults += process.returncode != 0 or "Traceback" in err or "locked" in err
        for loop in loops:
            loop.join()
        rows, _ = table(folder, "s")
        repeats = [row[0] for row in rows]
        duplicates += len(repeats) - len(set(repeats))
        incomplete += sorted(repeats) != list(range(60))
    return (
        f"{runners} runners and {readers} readers at once on one study x {rounds} rounds: "
        f"{duplicates} duplicates, {incomplete} incomplete studies, {runner_faults} runners "
        f"failing or with tracebacks, {sum(read_faults)} of {len(read_faults)} reads with a "
        "traceback, a lock error or more than one line of error"
    )


def hard_links(rounds: int = 2) -> str:
    refused = ran = 0
    for _ in range(rounds):
        folder = fresh_folder()
        first = command(folder, "--repeats", "1", "--name", "s", "--workers", "1")
        subprocess.run(first, cwd=folder, env=environment(folder), capture_output=True, check=True)
        os.link(folder / "s.db", folder / "t.db")
        processes = [
            subprocess.Popen(
                [*command(folder, "--repeats", "30", "--name", "s", "--workers", "1"), *store],
                cwd=folder,
                env=environment(folder),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for store in ([], ["--store", str(folder / "t.db")])
        ]
        for process in processes:
            _, err = process.communicate(timeout=600)
            lines = err.strip().splitlines()
            refused += process.returncode == 2 and len(lines) == 1 and "hard links" in lines[0]
        rows, _ = table(folder, "s")
        ran += len(rows) - 1
    return (
        f"2 runners on two hard links of one store x {rounds} rounds: {refused} of "
        f"{2 * rounds} refused in one line, {ran} repeats run"
    )


def copies(trials: int = 2) -> str:
    from seedwise.store import open_store

    def runs_in(path: Path) -> int:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            return connection.execute("SELECT count(*) FROM runs").fetchone()[0] if tables else 0
        finally:
            connection.close()

    plain_short = plain_total = backups_bad = backups = 0
    for _ in range(trials):
        folder = fresh_folder()
        runner = subprocess.Popen(
            command(folder, "--repeats", "100", "--name", "s", "--workers", "1"),
            cwd=folder,
            env=environment(folder),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        index = 0
        while runner.poll() is None:
            time.sleep(0.3)
            if not (folder / "s.db").exists():
                continue
            index += 1
            # Everything the backup holds was committed before the plain copy began.
            with open_store(folder / "s.db") as store:
                copy = store.backup(folder / f"backup-{index}.db")
            plain = folder / f"cp-{index}" / "s.db"
            plain.parent.mkdir()
            shutil.copyfile(folder / "s.db", plain)
            backups += 1
            connection = sqlite3.connect(copy.path)
            intact = connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            connection.close()
            backups_bad += not intact or runs_in(copy.path) != copy.runs
            plain_total += 1
            plain_short += runs_in(plain) < copy.runs
    return (
        f"copies while a runner writes ({trials} trials): {plain_short} of {plain_total} "
        f"plain cp copies lack runs that a backup taken just before held; {backups_bad} of "
        f"{backups} backups fail integrity_check or their count"
    )


def orphans(trials: int) -> str:
    left = 0
    for _ in range(trials):
        folder = fresh_folder()
        runner = subprocess.Popen(
            command(folder, "--repeats", "40", "--name", "s", "--workers", "2", "--set", "pause=5"),
            cwd=folder,
            env=environment(folder),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 120
        while time.time() < deadline and len(list(folder.glob("runs/s/*"))) < 2:
            time.sleep(0.1)
        children = _children(runner.pid)
        runner.kill()
        runner.wait()
        time.sleep(5.0)
        left += sum(1 for pid in children if _alive(pid))
    return f"kill -9 of the runner ({trials} trials): {left} workers alive 5 s later"


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def dask_signals(trials: int = 20, rng: random.Random | None = None) -> str:
    """One signal at a random moment to ``seedwise run --executor dask`` on a local cluster.

    ``--only dask_signals`` runs 20 trials drawn from ``random.Random(1)``.
    """
    rng = random.Random(1) if rng is None else rng
    kinds = [(name, group) for name in ("SIGINT", "SIGTERM") for group in (False, True)]
    faults = {"exit code": 0, "traceback": 0, "claims": 0, "not ok": 0, "left running": 0}
    resumed = 0
    for _ in range(trials):
        folder = fresh_folder()
        name, group = rng.choice(kinds)
        args = command(folder, "--repeats", "10", "--name", "s", "--workers", "2")
        runner = start_in_a_group(folder, [*args, "--set", "pause=2", "--executor", "dask"])
        seen: set[int] = set()

        def watch(process: subprocess.Popen[str] = runner, found: set[int] = seen) -> None:
            while process.poll() is None:
                found.update(_descendants(process.pid))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        time.sleep(rng.uniform(0.2, 8.0))
        sig = getattr(signal, name)
        if group:
            os.killpg(runner.pid, sig)
        else:
            runner.send_signal(sig)
        _, err = runner.communicate(timeout=180)
        watcher.join()
        time.sleep(5.0)
        rows, claims = table(folder, "s")
        resumed += "run the same command again to resume" in err
        faults["exit code"] += runner.returncode != 130
        faults["traceback"] += "Traceback" in err
        faults["claims"] += claims
        faults["not ok"] += sum(1 for row in rows if row[1] != "ok")
        faults["left running"] += sum(1 for pid in seen if _alive(pid))
    counted = ", ".join(f"{what} {count}" for what, count in faults.items())
    return (
        f"one SIGINT or SIGTERM, to the runner or its group, at a random moment in the first "
        f"8 s of `run --executor dask` ({trials} trials): faults: {counted}; the resume line "
        f"in {resumed} of {trials} (the others stopped before the study began)"
    )


WORKER_ATTACKS = """\
import os
import re
import subprocess
import sys
import time
from pathlib import Path


def spins(ctx, log=""):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    Path(log, "pids.txt").write_text(f"{os.getpid()} {child.pid}")
    return {"value": float(re.match(r"(a+)+$", "a" * 40 + "b") is not None)}


def forks(ctx):
    child = os.fork()
    if child == 0:
        return {"value": -1.0}
    time.sleep(0.2)
    os.waitpid(child, 0)
    return {"value": float(ctx.repeat)}
"""


def gil_worker(trials: int = 10, rng: random.Random | None = None) -> str:
    """kill -9 of the runner while its worker spins in a regex, holding the interpreter lock.

    The run has started a child that sleeps; both must go. Measures the time
    from the runner's death until each is gone (given up on at 10 s; what is
    left then is killed here).
    """
    rng = rng or random.Random(2)
    gone: list[float] = []
    left = 0
    for _ in range(trials):
        folder = fresh_folder()
        (folder / "attacks.py").write_text(WORKER_ATTACKS)
        runner = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seedwise",
                "run",
                "attacks.py:spins",
                "--repeats",
                "1",
                "--set",
                f"log={folder}",
                *FAST,
            ],
            cwd=folder,
            env=environment(folder),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pids_file = folder / "pids.txt"
        deadline = time.time() + 120
        while time.time() < deadline and not (pids_file.exists() and pids_file.read_text()):
            time.sleep(0.05)
        pids = [int(pid) for pid in pids_file.read_text().split()]
        time.sleep(rng.uniform(0.2, 2.0))
        runner.kill()
        runner.wait()
        killed = time.monotonic()
        while any(_alive(pid) for pid in pids) and time.monotonic() - killed < 10:
            time.sleep(0.01)
        gone.append(time.monotonic() - killed)
        for pid in pids:
            if _alive(pid):
                left += 1
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
    return (
        f"kill -9 of the runner while its worker holds the GIL ({trials} trials): "
        f"{left} of {2 * trials} processes (worker, run's child) alive 10 s later; all gone "
        f"after at most {max(gone):.2f} s (median {sorted(gone)[len(gone) // 2]:.2f} s)"
    )


def forking_runs(trials: int = 5, repeats: int = 8) -> str:
    """Experiments whose forked child returns: repeats lost, child results, count, exit code."""
    lost = childish = wrong_counts = zero_exits = 0
    for _ in range(trials):
        folder = fresh_folder()
        (folder / "attacks.py").write_text(WORKER_ATTACKS)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "seedwise",
                "run",
                "attacks.py:forks",
                "--repeats",
                str(repeats),
                "--workers",
                "2",
                "--name",
                "f",
                *FAST,
            ],
            cwd=folder,
            env=environment(folder),
            capture_output=True,
            text=True,
            timeout=300,
        )
        rows, _ = table(folder, "f")
        ok = {repeat: value for repeat, status, value in rows if status == "ok"}
        lost += repeats - len(rows)
        childish += sum(1 for repeat, value in ok.items() if value != float(repeat))
        wrong_counts += f"; {len(rows)} ran now," not in done.stdout
        zero_exits += done.returncode == 0 and len(ok) < repeats
        shutil.rmtree(folder, ignore_errors=True)
    return (
        f"forked children that return ({trials} trials of {repeats} repeats, 2 workers): "
        f"{lost} repeats never stored, {childish} results taken from a child, "
        f"{wrong_counts} wrong counts printed, {zero_exits} exits 0 with a repeat not ok"
    )


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rpartition(")")[2].split()[1]
                )
            except OSError:
                continue
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def bad_inputs() -> str:
    from tests.test_reliability import BAD_INPUTS, EXPERIMENTS, digest

    from seedwise.records import RunRecord
    from seedwise.store import Store

    folder = fresh_folder()
    (folder / "exp.py").write_text(EXPERIMENTS)
    store = folder / "populated" / "s.db"
    with Store(store) as opened:
        opened.ensure_study(
            "study", experiment="x.py:f", config={}, seed=0, settings={}, code_hash="h"
        )
        opened.record_run(RunRecord("study", 0, 1, "ok", metrics={"mse": 0.5}))
    clean = tracebacks = changed = 0
    for argv in BAD_INPUTS:
        before = digest(store)
        done = subprocess.run(
            [sys.executable, "-m", "seedwise", *argv],
            cwd=folder,
            env=dict(os.environ, PYTHONPATH=str(ROOT), SEEDWISE_STORE=str(store)),
            capture_output=True,
            text=True,
            timeout=300,
        )
        lines = done.stderr.strip().splitlines()
        clean += done.returncode == 2 and len(lines) == 1
        tracebacks += "Traceback" in done.stderr
        changed += digest(store) != before
    return (
        f"{len(BAD_INPUTS)} bad inputs in fresh processes: {clean} one clean line with exit 2, "
        f"{tracebacks} tracebacks, {changed} store changes"
    )


HAND_EDITED_EXPERIMENT = """\
import numpy as np


def work(ctx):
    value = float(ctx.rng("x").normal())
    ctx.log(step=0, value=value)
    ctx.fingerprint("weights", np.arange(4) * value, step=0)
    if ctx.config.get("fail") == ctx.repeat:
        raise ValueError("boom")
    return {"value": value, "other": value * 2}
"""

# Hand edits that SQLite lets in but seedwise never writes: one UPDATE or INSERT each.
_WRONG_VALUES = {
    "INTEGER": ["'abc'", "1.5", "1e300", "x'00ff'"],
    "REAL": ["'slow'", "x'00'", "'1e999'"],
    "TEXT": ["x'00ff'", "12", "-1.5"],
    "JSON": ["'{bad'", "'[1]'", "'5'", "'null'", "'" + "[" * 50_000 + "'", "x'7b7d'"],
}
_COLUMNS = {
    "runs": {
        "seed": "INTEGER", "repeat": "INTEGER", "metrics": "JSON", "error": "TEXT",
        "traceback": "TEXT", "started": "REAL", "duration": "REAL", "worker": "TEXT",
        "env_hash": "TEXT", "unseeded": "JSON", "study": "TEXT",
    },
    "studies": {
        "seed": "INTEGER", "created": "REAL", "experiment": "TEXT", "config": "JSON",
        "settings": "JSON", "code_hash": "TEXT", "code_files": "JSON", "name": "TEXT",
    },
    "steps": {"step": "INTEGER", "name": "TEXT", "value": "REAL"},
    "fingerprints": {"step": "INTEGER", "shape": "JSON", "sum": "REAL", "digest": "TEXT"},
    "environments": {"data": "JSON"},
    "claims": {"repeat": "INTEGER", "owner": "TEXT", "claimed": "REAL"},
}  # fmt: skip
_WHERE = {
    "runs": "study = 'a' AND repeat = 1",
    "studies": "name = 'a'",
    "steps": "study = 'a' AND repeat = 0",
    "fingerprints": "study = 'a' AND repeat = 0",
    "environments": "1",
    "claims": "study = 'a'",
}
_JSON_SHAPES = [
    "UPDATE runs SET metrics = '{\"value\": \"x\"}' WHERE study = 'a'",
    'UPDATE runs SET metrics = \'{"value": 1' + "0" * 400 + "}' WHERE study = 'a'",
    "UPDATE runs SET unseeded = '[{\"kind\": 1}]' WHERE study = 'a'",
    "UPDATE fingerprints SET shape = '[\"a\"]' WHERE study = 'a'",
    "UPDATE studies SET code_files = '{\"a.py\": 1}' WHERE name = 'a'",
    'UPDATE environments SET data = \'{"packages": [1], "variables": 5}\'',
    "UPDATE runs SET env_hash = 'missing' WHERE study = 'a' AND repeat = 0",
    "UPDATE runs SET study = 'ghost' WHERE study = 'a' AND repeat = 0",
    "INSERT INTO claims VALUES ('ghost', 1, 'h:1:t', 1.0)",
]


def hand_edited_statements() -> list[str]:
    """Every edit: each column of each table given each wrong value of its kind, then shapes."""
    import socket

    statements = [
        f"UPDATE {table} SET {column} = {value} WHERE {_WHERE[table]}"
        for table, columns in _COLUMNS.items()
        for column, kind in columns.items()
        for value in _WRONG_VALUES[kind]
    ]
    pids = ["99999999999999999999999", "0", "-5"]
    owners = [f"{socket.gethostname()}:{pid}:token" for pid in pids]
    statements += [f"INSERT INTO claims VALUES ('a', 7, '{owner}', 1.0)" for owner in owners]
    return statements + _JSON_SHAPES


def hand_edited_stores() -> str:
    """Every read command on stores edited by hand: tracebacks, and what else they gave."""
    import contextlib
    import io
    import shutil

    from seedwise.cli import main as seedwise

    folder = fresh_folder()
    (folder / "exp.py").write_text(HAND_EDITED_EXPERIMENT)
    store = folder / "pristine.db"
    for name, extra in (("a", ["--set", "fail=1"]), ("b", [])):
        run = [*command(folder), "--repeats", "3", "--workers", "1", "--name", name, *extra]
        subprocess.run(run, cwd=folder, env=environment(folder), capture_output=True, check=False)
    shutil.copy(folder / "s.db", store)
    reads = [
        ["ls"], ["ls", "--json"], ["show", "a"], ["show", "a", "--json"],
        ["show", "a", "--repeat", "0"], ["show", "a", "--repeat", "1", "--json"],
        ["claims"], ["claims", "--json"], ["export", "a", "--format", "csv"],
        ["export", "a", "--format", "json"], ["summary", "a"], ["summary", "a", "--json"],
        ["compare", "a", "b"], ["compare", "a", "b", "--json"], ["plan", "a", "--effect", "0.1"],
        ["report", "a", "b", "-o", "r.html"], ["report", "a", "-o", "r.md"],
        ["show", "nothing-like-it"],
    ]  # fmt: skip
    counts = {"traceback": 0, "one line, exit 2": 0, "exit 0": 0, "other": 0}
    statements = hand_edited_statements()
    refused_edits = 0
    for statement in statements:
        edited = folder / "edited.db"
        shutil.copy(store, edited)
        connection = sqlite3.connect(edited)
        try:
            connection.execute(statement)
            connection.commit()
        except sqlite3.Error:
            refused_edits += 1  # a CHECK or NOT NULL constraint kept it out
            continue
        finally:
            connection.close()
        for argv in reads:
            out, err = io.StringIO(), io.StringIO()
            with (
                contextlib.chdir(folder),
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
            ):
                code = seedwise([*argv, "--store", str(edited)])
            lines = err.getvalue().strip().splitlines()
            if "Traceback" in err.getvalue() or code == 3:
                counts["traceback"] += 1
                print(f"  traceback: {statement[:80]} | {' '.join(argv)}", flush=True)
            elif code == 2 and len(lines) == 1:
                counts["one line, exit 2"] += 1
            elif code == 0 and all(line.startswith("seedwise: warning: ") for line in lines):
                counts["exit 0"] += 1
            else:
                counts["other"] += 1
                print(f"  other ({code}): {statement[:80]} | {' '.join(argv)}", flush=True)
    edits = len(statements) - refused_edits
    total = sum(counts.values())
    figures = ", ".join(f"{n} {what}" for what, n in counts.items())
    return (
        f"{edits} hand edits x {len(reads)} read commands, in process ({refused_edits} more "
        f"refused by the schema's constraints): tracebacks: {counts['traceback']} of {total}; "
        f"{figures}"
    )


LOGGED = """\
import os
import time


def work(ctx, pause=1.0, log=""):
    # One line per execution, so that a repeat run twice shows, whatever is stored.
    with open(log, "a") as handle:
        handle.write(f"{ctx.repeat}\\n")
    time.sleep(pause)
    return {"runner": float(os.getppid())}
"""


def _logged_folder() -> tuple[Path, list[str]]:
    """A folder with the experiment that logs each execution, and the ``--set`` naming the log."""
    folder = fresh_folder()
    (folder / "exp.py").write_text(LOGGED)
    return folder, ["--set", f"log={folder / 'executions.log'}"]


def _executions(folder: Path) -> dict[int, int]:
    """How many times each repeat was executed."""
    log = folder / "executions.log"
    lines = log.read_text().split() if log.exists() else []
    counts: dict[int, int] = {}
    for line in lines:
        counts[int(line)] = counts.get(int(line), 0) + 1
    return counts


def _runner_rows(folder: Path) -> dict[int, tuple[str, str | None]]:
    """The stored runs: repeat -> (status, the pid of the runner that made it)."""
    connection = sqlite3.connect(f"file:{folder / 's.db'}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute(
            "SELECT repeat, status, json_extract(metrics, '$.runner') FROM runs ORDER BY repeat"
        ).fetchall()
    finally:
        connection.close()
    return {repeat: (status, runner) for repeat, status, runner in rows}


def frozen_runner(trials: int = 2, lease: float = 2.0) -> str:
    """A runner frozen (SIGSTOP) past its lease while another finishes the study, then woken.

    Two cases: the runner and its worker frozen (Ctrl-Z, ``docker pause``),
    and the runner alone (its worker finishes the repeat meanwhile, so the
    repeat runs twice). Counts the finished runs of the second runner that
    the first replaced, repeats left without an ``ok`` run, and whether the
    first said in one line that its result was dropped.
    """
    figures = []
    for case in ("runner and worker", "runner only"):
        replaced = lost = said = twice = faults = 0
        for _ in range(trials):
            folder, log = _logged_folder()
            env = dict(environment(folder), SEEDWISE_CLAIM_LEASE_S=str(lease))
            args = command(folder, "--repeats", "3", "--name", "s", "--workers", "1", *log)
            frozen = subprocess.Popen(
                args, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            deadline = time.time() + 120
            while time.time() < deadline and not _executions(folder):
                time.sleep(0.02)
            stopped = [frozen.pid]
            if case == "runner and worker":
                stopped += _children(frozen.pid)
            for pid in stopped:
                os.kill(pid, signal.SIGSTOP)
            time.sleep(2 * lease)
            other = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True)
            before = _runner_rows(folder)
            for pid in reversed(stopped):
                os.kill(pid, signal.SIGCONT)
            out, err = frozen.communicate(timeout=300)
            after = _runner_rows(folder)
            replaced += sum(1 for repeat, row in before.items() if after.get(repeat) != row)
            lost += sum(1 for repeat in range(3) if after.get(repeat, ("",))[0] != "ok")
            said += "was taken over by another runner" in out
            twice += sum(1 for count in _executions(folder).values() if count > 1)
            outputs = out + err + other.stdout + other.stderr
            faults += (frozen.returncode, other.returncode) != (0, 0) or "Traceback" in outputs
            shutil.rmtree(folder, ignore_errors=True)
        figures.append(
            f"{case} frozen ({trials} trials): {replaced} finished runs replaced, {lost} repeats "
            f"lost, {said} of {trials} runners said their result was dropped, {twice} repeats "
            f"executed twice, {faults} exit codes other than 0 or tracebacks"
        )
    return f"frozen runner past a {lease:g} s lease: " + "; ".join(figures)


def pid_namespaces(trials: int = 2) -> str:
    """A runner in another PID namespace with this host name, beside a runner of this one.

    Equivalent to a container run with ``--uts=host`` (``unshare --pid
    --fork --mount-proc``, which needs root or user namespaces). Counts the
    repeats executed twice: each one a live claim judged dead.
    """
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True
    )
    if probe.returncode != 0:
        return "PID namespaces: skipped (unshare --pid is not allowed here)"
    twice = incomplete = faults = 0
    for _ in range(trials):
        folder, log = _logged_folder()
        args = command(folder, "--repeats", "6", "--name", "s", "--workers", "2", *log)
        args += ["--set", "pause=3"]
        env = environment(folder)
        host = subprocess.Popen(
            args, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.time() + 120
        while time.time() < deadline and sum(_executions(folder).values()) < 2:
            time.sleep(0.05)
        container = subprocess.run(
            ["unshare", "--pid", "--fork", "--mount-proc", *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )
        out, err = host.communicate(timeout=300)
        twice += sum(1 for count in _executions(folder).values() if count > 1)
        rows = _runner_rows(folder)
        incomplete += sorted(r for r, (status, _) in rows.items() if status == "ok") != list(
            range(6)
        )
        outputs = out + err + container.stdout + container.stderr
        faults += (host.returncode, container.returncode) != (0, 0) or "Traceback" in outputs
        shutil.rmtree(folder, ignore_errors=True)
    return (
        f"a runner in another PID namespace with this host name ({trials} trials, 6 repeats): "
        f"{twice} repeats executed twice, {incomplete} incomplete studies, {faults} exit codes "
        "other than 0 or tracebacks"
    )


def main() -> None:
    """Run every attack and print one line of figures for each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-kills", action="store_true", help="leave out the kill -9 trials")
    parser.add_argument("--only", help="run one attack, by its function's name")
    args = parser.parse_args()
    if args.only:
        print(globals()[args.only](), flush=True)
        return
    rng = random.Random(args.seed)
    if not args.skip_kills:
        print(kill_runner(args.trials, args.repeats, rng), flush=True)
    print(signals(max(1, args.trials // 10)), flush=True)
    print(concurrent(max(1, args.trials // 4), 4), flush=True)
    print(runners_with_readers(max(1, args.trials // 10)), flush=True)
    print(orphans(max(1, args.trials // 4)), flush=True)
    print(hard_links(max(1, args.trials // 4)), flush=True)
    print(copies(max(1, args.trials // 4)), flush=True)
    print(bad_inputs(), flush=True)
    print(hand_edited_stores(), flush=True)
    print(frozen_runner(max(1, args.trials // 4)), flush=True)
    print(pid_namespaces(max(1, args.trials // 4)), flush=True)
    print(dask_signals(max(1, args.trials // 2), rng), flush=True)
    print(gil_worker(max(1, args.trials // 2), rng), flush=True)
    print(forking_runs(max(1, args.trials // 4)), flush=True)


if __name__ == "__main__":
    main()
