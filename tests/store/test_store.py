"""The SQLite store: round trips, refusals that leave files untouched, migrations, claims."""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedwise.errors import EXIT_USAGE, StoreError, UsageError
from seedwise.experiment import FingerprintRecord, StepRecord
from seedwise.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    RunRecord,
    Store,
    default_store_path,
    environment_hash,
    make_owner,
    open_store,
    schema,
)
from seedwise.store.owners import Owner

SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "nested" / "seedwise.db") as opened:
        opened.ensure_study(
            "study",
            experiment="exp.py:train",
            config={"epochs": 3},
            seed=7,
            settings={},
            code_hash="c0",
        )
        yield opened


def ok_run(repeat: int, **metrics: float) -> RunRecord:
    return RunRecord("study", repeat, seed=100 + repeat, status="ok", metrics=metrics or {"m": 1.0})


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def refusal(path: Path) -> str:
    before = snapshot(path.parent)
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert snapshot(path.parent) == before
    assert not isinstance(caught.value, UsageError)
    assert caught.value.exit_code == EXIT_USAGE
    return str(caught.value)


# Location and round trips -------------------------------------------------------


def test_default_store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEEDWISE_STORE", raising=False)
    assert default_store_path() == tmp_path / ".seedwise" / "seedwise.db"
    monkeypatch.setenv("SEEDWISE_STORE", "other/s.db")
    assert default_store_path() == tmp_path / "other" / "s.db"
    monkeypatch.setenv("SEEDWISE_STORE", str(tmp_path / "abs.db"))
    assert default_store_path() == tmp_path / "abs.db"


def test_new_store_creates_folders_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "seedwise.db"
    Store(path).close()
    connection = sqlite3.connect(path)
    try:
        pragmas = [
            connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("application_id", "user_version", "journal_mode")
        ]
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    finally:
        connection.close()
    assert pragmas == [APPLICATION_ID, SCHEMA_VERSION, "wal"]
    assert tables == {
        "studies",
        "runs",
        "steps",
        "fingerprints",
        "environments",
        "claims",
        "predictions",
        "shown",
    }


def test_open_store_does_not_create_by_default(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="No seedwise store at this path"):
        open_store(tmp_path / "missing" / "seedwise.db")
    assert list(tmp_path.iterdir()) == []


def test_round_trip(store: Store) -> None:
    environment = {"python": "3.11.9", "packages": {"numpy": "2.1.0"}, "threads": 1}
    run = RunRecord(
        "study",
        2,
        seed=2**63 - 1,
        status="ok",
        metrics={"mse": 0.25, "nan": math.nan, "inf": -math.inf},
        started=1.5,
        finished=3.0,
        duration=1.5,
        worker="w1",
    )
    steps = [StepRecord(0, "loss", 1.0), StepRecord(0, "acc", math.nan), StepRecord(1, "loss", 0.5)]
    fingerprints = [
        FingerprintRecord(None, "w/0", "ab" * 16, "float32", (2, 3), 1.5, 2.0),
        FingerprintRecord(1, "w/1", "cd" * 16, "int64", (), math.nan, math.nan),
    ]
    store.record_run(replace(run, steps=steps, fingerprints=fingerprints, environment=environment))
    (stored,) = store.runs("study")
    assert stored.env_hash == environment_hash(environment)
    assert (stored.seed, stored.started, stored.finished, stored.duration, stored.worker) == (
        2**63 - 1,
        1.5,
        3.0,
        1.5,
        "w1",
    )
    assert list(stored.metrics) == ["mse", "nan", "inf"]
    assert stored.metrics["mse"] == 0.25
    assert stored.metrics["inf"] == -math.inf
    assert math.isnan(stored.metrics["nan"])
    read_steps = store.steps("study", 2)
    assert read_steps[0] == steps[0]
    assert read_steps[2] == steps[2]
    assert read_steps[1].name == "acc"
    assert math.isnan(read_steps[1].value)
    read_fingerprints = store.fingerprints("study", 2)
    assert read_fingerprints[0] == fingerprints[0]
    assert read_fingerprints[1].shape == ()
    assert math.isnan(read_fingerprints[1].max_abs)
    assert store.environment(stored.env_hash or "") == environment
    # The same environment is stored once.
    store.record_run(replace(ok_run(3), environment=dict(reversed(list(environment.items())))))
    assert store.runs("study")[1].env_hash == stored.env_hash
    connection = sqlite3.connect(store.path)
    try:
        assert connection.execute("SELECT count(*) FROM environments").fetchone()[0] == 1
        metrics_json = connection.execute("SELECT metrics FROM runs WHERE repeat = 2").fetchone()[0]
    finally:
        connection.close()
    assert json.loads(metrics_json) == {"mse": 0.25, "nan": "NaN", "inf": "-Infinity"}


def test_studies(store: Store) -> None:
    again = store.ensure_study(
        "study", experiment="other.py:f", config={}, seed=1, settings={"threads": 2}, code_hash="c1"
    )
    assert (again.experiment, again.config, again.seed, again.code_hash) == (
        "exp.py:train",
        {"epochs": 3},
        7,
        "c0",
    )
    store.set_code_hash("study", "c2")
    assert store.study_record("study").code_hash == "c2"
    store.ensure_study("second", experiment="x.py:f", config={}, seed=0, settings={}, code_hash="h")
    store.record_run(ok_run(0))
    store.record_run(RunRecord("study", 1, 101, "failed", error="ValueError: bad"))
    store.claim("study", [5, 6], make_owner(), retry_failed=False)
    summaries = {summary.name: summary for summary in store.list_studies()}
    assert summaries["study"].counts == {"ok": 1, "failed": 1, "crashed": 0, "timeout": 0}
    assert (summaries["study"].total, summaries["study"].claimed) == (2, 2)
    assert summaries["second"].total == 0
    with pytest.raises(StoreError) as caught:
        store.study_record("stduy")
    assert str(caught.value) == (
        "Unknown study. Received: study='stduy'; "
        "expected one of 'study', 'second' (see `seedwise ls`)"
    )
    with pytest.raises(StoreError, match="Unknown study"):
        store.set_code_hash("nope", "x")
    with pytest.raises(StoreError, match="Unknown study"):
        store.runs("nope")


def test_bad_run_inputs(store: Store) -> None:
    with pytest.raises(UsageError, match=r"Unknown run status\. Received: status='done'"):
        RunRecord("study", 0, 1, "done")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="Unknown study"):
        store.record_run(RunRecord("nope", 0, 1, "ok"))
    with pytest.raises(StoreError, match="Unknown environment"):
        store.record_run(RunRecord("study", 0, 1, "ok", env_hash="feed"))
    with pytest.raises(StoreError, match="cannot be stored as JSON"):
        store.record_run(replace(ok_run(0), environment={"path": Path("x")}))
    assert store.runs("study") == []


def test_undecodable_rows_are_reported(store: Store) -> None:
    store.record_run(ok_run(4))
    connection = sqlite3.connect(store.path)
    try:
        connection.execute("UPDATE runs SET metrics = '{bad' WHERE repeat = 4")
        connection.execute("UPDATE studies SET config = '[1]'")
        connection.commit()
    finally:
        connection.close()
    with pytest.raises(StoreError) as caught:
        store.runs("study")
    assert str(caught.value).startswith(
        "A store row cannot be decoded: runs.metrics of study 'study' repeat 4 is not valid JSON"
    )
    with pytest.raises(StoreError, match=r"studies\.config of study 'study' is not a JSON object"):
        store.study_record("study")


# Refusals ------------------------------------------------------------------------


def test_refuses_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"my precious notes\n" * 100)
    message = refusal(path)
    assert message.startswith(
        "Refusing to use a file that is not a seedwise store: it is not an SQLite database."
    )


@pytest.mark.parametrize("application_id", [0, 1234])
def test_refuses_another_applications_database(tmp_path: Path, application_id: int) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA application_id = {application_id}")
    connection.execute("CREATE TABLE mine (x)")
    connection.execute("INSERT INTO mine VALUES (1)")
    connection.commit()
    connection.close()
    message = refusal(path)
    assert f"its SQLite application_id is {application_id}" in message


def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "seedwise.db"
    Store(path).close()
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.commit()
    connection.close()
    message = refusal(path)
    assert message.startswith(
        f"The store was written by a newer seedwise (schema version {SCHEMA_VERSION + 1})."
    )


def test_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="The store path is a folder"):
        Store(tmp_path)


# Migrations ----------------------------------------------------------------------


def test_initialises_an_empty_file_and_a_blank_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    blank = tmp_path / "blank.db"
    sqlite3.connect(blank).execute("VACUUM").connection.close()
    for path in (empty, blank):
        with Store(path) as opened:
            assert opened.list_studies() == []


def test_migrates_a_version_0_store(tmp_path: Path) -> None:
    path = tmp_path / "v0.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute("CREATE TABLE placeholder (x)")
    connection.execute("DROP TABLE placeholder")
    connection.commit()
    connection.close()
    with Store(path) as opened:
        opened.ensure_study("s", experiment="e.py:f", config={}, seed=0, settings={}, code_hash="h")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def _add_notes(connection: sqlite3.Connection) -> None:
    connection.execute("ALTER TABLE studies ADD COLUMN notes TEXT NOT NULL DEFAULT ''")


def _fail_halfway(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE half (x)")
    raise RuntimeError("migration failed")


def test_migrations_run_in_order_and_keep_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "seedwise.db"
    with Store(path) as opened:
        opened.ensure_study(
            "s", experiment="e.py:f", config={"a": 1}, seed=3, settings={}, code_hash="h"
        )
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, _add_notes])
    with Store(path) as opened:
        assert opened.study_record("s").config == {"a": 1}
        # Opening and reading check the version; only the first write migrates.
        assert opened.schema_version == SCHEMA_VERSION
        opened.set_code_hash("s", "h2")
        assert opened.schema_version == SCHEMA_VERSION + 1
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert connection.execute("SELECT notes FROM studies").fetchone()[0] == ""
    finally:
        connection.close()


def test_a_failing_migration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "seedwise.db"
    Store(path).close()
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, _fail_halfway])
    with Store(path) as opened:
        assert opened.list_studies() == []
        with pytest.raises(RuntimeError, match="migration failed"):
            opened.ensure_study(
                "s", experiment="e.py:f", config={}, seed=0, settings={}, code_hash="h"
            )
        # The write that needed the migration was rolled back with it.
        assert opened.list_studies() == []
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
    finally:
        connection.close()
    assert "half" not in names


# Claims and reruns ---------------------------------------------------------------


def test_claims_skip_finished_failed_and_live_claims(store: Store) -> None:
    owner, other = make_owner(), f"{socket.gethostname()}:{os.getppid()}:live"
    store.record_run(ok_run(0))
    store.record_run(RunRecord("study", 1, 101, "crashed", error="signal 9", finished=10.0))
    assert store.claim("study", [3], other, retry_failed=False) == [3]
    assert store.claim("study", range(6), owner, retry_failed=False, limit=2) == [2, 4]
    assert store.claim("study", range(6), owner, retry_failed=False) == [2, 4, 5]
    assert store.claim("study", range(6), owner, retry_failed=True, retry_before=5.0) == [2, 4, 5]
    assert store.claim("study", range(6), owner, retry_failed=True) == [1, 2, 4, 5]
    assert store.claims("study") == {1: owner, 2: owner, 3: other, 4: owner, 5: owner}
    assert store.release("study", owner) == 4
    assert store.claims("study") == {3: other}


def test_rerun_of_a_failed_repeat_replaces_its_row(store: Store) -> None:
    store.record_run(
        RunRecord(
            "study",
            1,
            101,
            "failed",  # type: ignore[arg-type]
            error="ValueError: x",
            traceback="Traceback ...",
            steps=(StepRecord(0, "loss", 9.0), StepRecord(1, "loss", 8.0)),
            fingerprints=(FingerprintRecord(0, "w", "00" * 16, "float32", (1,), 0.0, 0.0),),
        )
    )
    owner = make_owner()
    assert store.claim("study", [1], owner, retry_failed=False) == []
    assert store.claim("study", [1], owner, retry_failed=True) == [1]
    store.record_run(replace(ok_run(1, mse=0.5), steps=(StepRecord(0, "loss", 1.0),)))
    (run,) = store.runs("study")
    assert (run.status, run.metrics, run.error, run.traceback) == ("ok", {"mse": 0.5}, None, None)
    assert store.steps("study", 1) == [StepRecord(0, "loss", 1.0)]
    assert store.fingerprints("study", 1) == []
    assert store.claims("study") == {}


CLAIMER = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from seedwise.store import RunRecord, Store, make_owner

    path, mode, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    store = Store(path)
    owner = make_owner()
    while time.time() < start:
        time.sleep(0.001)
    if mode == "die":
        print(json.dumps(store.claim("study", [0, 1, 2], owner, retry_failed=False)), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    claimed = []
    while True:
        batch = store.claim("study", range(40), owner, retry_failed=False, limit=3)
        if not batch:
            break
        for repeat in batch:
            store.record_run(RunRecord("study", repeat, repeat, "ok", {"by": float(os.getpid())}))
        claimed.extend(batch)
    print(json.dumps(claimed))
    """
)


def start_claimer(path: Path, mode: str, start: float) -> subprocess.Popen[str]:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), *sys.path]))
    return subprocess.Popen(
        [sys.executable, "-c", CLAIMER, str(path), mode, str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


def test_concurrent_runners_never_claim_the_same_repeat(store: Store) -> None:
    start = time.time() + 2.0
    processes = [start_claimer(store.path, "loop", start) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert "locked" not in stderr
    first, second = (json.loads(stdout) for stdout, _ in outputs)
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == list(range(40))
    assert [run.repeat for run in store.runs("study")] == list(range(40))
    assert store.claims("study") == {}


def test_claims_of_a_killed_runner_are_taken_over(store: Store) -> None:
    process = start_claimer(store.path, "die", time.time())
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == -9, stderr
    assert json.loads(stdout) == [0, 1, 2]
    dead_owner = store.claims("study")[0]
    assert dead_owner.split(":")[1] == str(process.pid)
    live = f"{socket.gethostname()}:{os.getpid()}:{'x' * 8}"
    elsewhere = "another-host:1:token"
    assert store.claim("study", [3], elsewhere, retry_failed=False) == [3]
    assert store.claim("study", [4], live, retry_failed=False) == [4]
    owner = f"{socket.gethostname()}:{os.getppid()}:restarted"
    assert store.claim("study", range(5), owner, retry_failed=False) == [0, 1, 2]


def test_an_earlier_owner_with_this_pid_is_stale(store: Store) -> None:
    earlier = str(Owner.here(os.getpid(), "before-restart"))
    assert store.claim("study", [0], earlier, retry_failed=False) == [0]
    assert store.claim("study", [0], make_owner(), retry_failed=False) == [0]
    # One of the old form may come from another PID namespace: its lease decides.
    older = f"{socket.gethostname()}:{os.getpid()}:before-restart"
    assert store.claim("study", [1], older, retry_failed=False) == [1]
    assert store.claim("study", [1], make_owner(), retry_failed=False) == []


def test_claim_rejects_bad_input(store: Store) -> None:
    with pytest.raises(
        StoreError, match=r"A repeat must be a non-negative int\. Received: repeat=-1"
    ):
        store.claim("study", [-1], make_owner(), retry_failed=False)
    with pytest.raises(StoreError, match="`owner` must be a non-empty str"):
        store.claim("study", [0], "", retry_failed=False)
    with pytest.raises(StoreError, match="Unknown study"):
        store.claim("nope", [0], make_owner(), retry_failed=False)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.floats(allow_nan=True, allow_infinity=True),
        max_size=6,
    )
)
def test_metrics_encoding_round_trips_every_float(metrics: dict[str, float]) -> None:
    from seedwise.store.rows import decode_metrics, encode_metrics

    decoded = decode_metrics(encode_metrics(metrics), where="test")
    assert list(decoded) == list(metrics)
    for name, value in metrics.items():
        if math.isnan(value):
            assert math.isnan(decoded[name])
        else:
            assert struct.pack("<d", decoded[name]) == struct.pack("<d", value)
