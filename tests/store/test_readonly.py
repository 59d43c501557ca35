"""Reading a store writes nothing: read-only files and folders, old schemas, no waiting."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from seedwise.errors import StoreError
from seedwise.records import RunRecord, RunStatus
from seedwise.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    Store,
    make_owner,
    open_store,
    opening,
    schema,
)

SRC = Path(__file__).resolve().parents[2] / "src"
STUDY = "study"
READ_ONLY = "The store was opened read-only, so it cannot be written."


def fingerprint(path: Path) -> tuple[str, int, int]:
    """What a read must not change: the main file's bytes, size and mtime."""
    stat = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_size, stat.st_mtime_ns


def add_study(store: Store, name: str = STUDY) -> None:
    store.ensure_study(
        name, experiment="exp.py:train", config={"epochs": 3}, seed=7, settings={}, code_hash="c0"
    )


def ok_run(repeat: int) -> RunRecord:
    return RunRecord(
        study=STUDY,
        repeat=repeat,
        seed=100 + repeat,
        status=RunStatus.OK,
        metrics={"mse": repeat / 4},
    )


@pytest.fixture
def path(tmp_path: Path) -> Iterator[Path]:
    """A closed store with one study, two runs and one claim, checkpointed into one file."""
    location = tmp_path / "seedwise.db"
    with Store(location) as store:
        add_study(store)
        store.record_run(ok_run(0))
        store.record_run(
            RunRecord(study=STUDY, repeat=1, seed=101, status=RunStatus.FAILED, error="E")
        )
        store.claim(STUDY, [2], "elsewhere:1:token", retry_failed=False)
    yield location
    # Let pytest remove what a test made read-only.
    location.chmod(0o644)
    tmp_path.chmod(0o755)


def child_environment() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), *sys.path]))


# Reads change nothing ------------------------------------------------------------


def test_store_reads_leave_the_file_unchanged(path: Path) -> None:
    before = fingerprint(path)
    with open_store(path) as store:
        assert store.read_only
        assert store.schema_version == SCHEMA_VERSION
        (summary,) = store.list_studies()
        assert (summary.name, summary.total, summary.claimed) == (STUDY, 2, 1)
        assert summary.counts["ok"] == summary.counts["failed"] == 1
        assert store.study_record(STUDY).config == {"epochs": 3}
        runs = store.runs(STUDY)
        assert [(run.repeat, str(run.status), run.metrics) for run in runs] == [
            (0, "ok", {"mse": 0.0}),
            (1, "failed", {}),
        ]
        assert store.claims(STUDY) == {2: "elsewhere:1:token"}
        assert store.steps(STUDY, 0) == []
        assert store.fingerprints(STUDY, 0) == []
    assert fingerprint(path) == before


def test_cli_reads_leave_the_file_unchanged(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seedwise.cli import main

    before = fingerprint(path)
    assert main(["ls", "--store", str(path), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["name"], listed["counts"]["ok"], listed["running"]) == (STUDY, 1, 1)
    assert main(["show", STUDY, "--store", str(path)]) == 0
    assert "exp.py:train" in capsys.readouterr().out
    assert main(["export", STUDY, "--store", str(path), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # a header and one line per run
    assert main(["summary", STUDY, "--store", str(path), "--json"]) == 0
    assert "mse" in capsys.readouterr().out
    assert fingerprint(path) == before


def test_an_empty_file_reads_as_no_studies_and_stays_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedwise.cli import main

    empty = tmp_path / "empty.db"
    empty.touch()
    with open_store(empty) as store:
        assert store.list_studies() == []
        assert store.schema_version == 0
        with pytest.raises(StoreError, match="holds no studies yet"):
            store.runs(STUDY)
    assert main(["ls", "--store", str(empty)]) == 0
    assert "no studies" in capsys.readouterr().out
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_a_blank_sqlite_file_reads_as_no_studies_unchanged(tmp_path: Path) -> None:
    blank = tmp_path / "blank.db"
    sqlite3.connect(blank).execute("VACUUM").connection.close()
    before = fingerprint(blank)
    with open_store(blank) as store:
        assert store.list_studies() == []
    assert fingerprint(blank) == before


def test_a_missing_store_is_an_error_and_nothing_is_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"^No seedwise store at this path\. Received: store="):
        open_store(tmp_path / "missing.db")
    with pytest.raises(StoreError, match=r"^No seedwise store at this path\. Received: store="):
        Store(tmp_path / "missing.db", create=False)
    # Reading has one way to open, and it cannot create.
    with pytest.raises(TypeError, match="create"):
        open_store(tmp_path / "missing.db", create=True)  # type: ignore[call-arg]
    assert list(tmp_path.iterdir()) == []


def test_refusals_hold_when_reading(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"not a database\n" * 10)
    with pytest.raises(StoreError, match="it is not an SQLite database"):
        open_store(notes)
    newer = tmp_path / "newer.db"
    Store(newer).close()
    connection = sqlite3.connect(newer)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.commit()
    connection.close()
    before = fingerprint(newer)
    with pytest.raises(StoreError, match=r"written by a newer seedwise"):
        open_store(newer)
    assert fingerprint(newer) == before


def test_every_write_on_a_read_only_store_raises(path: Path) -> None:
    before = fingerprint(path)
    owner = make_owner()
    writes: dict[str, Callable[[Store], object]] = {
        "ensure_study": lambda store: add_study(store, "another"),
        "set_code_hash": lambda store: store.set_code_hash(STUDY, "c1"),
        "claim": lambda store: store.claim(STUDY, [3], owner, retry_failed=False),
        "release": lambda store: store.release(STUDY, owner),
        "record_run": lambda store: store.record_run(ok_run(3)),
    }
    with open_store(path) as store:
        for name, write in writes.items():
            with pytest.raises(StoreError) as caught:
                write(store)
            message = str(caught.value)
            assert message.startswith(READ_ONLY), name
            assert f"Received: store={str(path)!r} opened with open_store(path);" in message
            assert "\n" not in message
        assert [run.repeat for run in store.runs(STUDY)] == [0, 1]
    assert fingerprint(path) == before


# Read-only files and folders -----------------------------------------------------


def test_a_file_nobody_may_write_is_read_without_any_file_written(path: Path) -> None:
    # Decided from the permission bits, so this holds for root too.
    path.chmod(0o444)
    before = fingerprint(path)
    with open_store(path) as store:
        assert [summary.name for summary in store.list_studies()] == [STUDY]
        assert len(store.runs(STUDY)) == 2
    assert fingerprint(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["seedwise.db"]
    with pytest.raises(StoreError, match=r"cannot be written by this user.*file mode 444"):
        Store(path)
    assert fingerprint(path) == before


LIST_IN_CHILD = textwrap.dedent(
    """
    import json, sys
    from seedwise.store import open_store

    with open_store(sys.argv[1]) as store:
        names = [summary.name for summary in store.list_studies()]
        print(json.dumps({"names": names, "runs": len(store.runs("study"))}))
    """
)


def test_a_store_in_a_read_only_folder_can_be_listed(path: Path) -> None:
    folder = path.parent
    before = fingerprint(path)
    folder.chmod(0o555)
    command = [sys.executable, "-c", LIST_IN_CHILD, str(path)]
    if os.geteuid() == 0:
        # Root ignores permission bits: drop the capabilities that let it.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: folder permissions are not effective")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", *command]
        probe = subprocess.run(
            [*command[:2], sys.executable, "-c", f"open({str(folder / 'probe')!r}, 'w')"],
            capture_output=True,
        )
        if probe.returncode == 0:
            (folder / "probe").unlink()
            pytest.skip("running as root: could not make folder permissions effective")
    result = subprocess.run(
        command, capture_output=True, text=True, env=child_environment(), timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"names": [STUDY], "runs": 2}
    assert fingerprint(path) == before
    assert sorted(p.name for p in folder.iterdir()) == ["seedwise.db"]


def _refuse_mode_ro(calls: list[str]) -> Callable[[Path, str], sqlite3.Connection]:
    connect = opening._connect

    def refusing(path: Path, options: str) -> sqlite3.Connection:
        calls.append(options)
        if options == "mode=ro":
            error = sqlite3.OperationalError("attempt to write a readonly database")
            error.sqlite_errorcode = 1544
            raise error
        return connect(path, options)

    return refusing


def test_a_read_only_folder_falls_back_to_immutable_only_without_a_log(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's refusal to create the -shm file, simulated where permissions
    # cannot be made effective: the fallback decision itself is what is tested.
    calls: list[str] = []
    monkeypatch.setattr(opening, "_connect", _refuse_mode_ro(calls))
    with open_store(path) as store:
        assert [summary.name for summary in store.list_studies()] == [STUDY]
    assert calls == ["mode=ro", "immutable=1"]
    # A log with committed frames holds data immutable=1 would not see: refuse.
    with Store(path) as writer:
        writer.record_run(ok_run(5))
        assert path.with_name("seedwise.db-wal").stat().st_size > 0
        calls.clear()
        with pytest.raises(StoreError, match=r"^Cannot open the store read-only: attempt to"):
            open_store(path)
        assert calls == ["mode=ro"]


# Writers: no waiting, migrations on the first write ------------------------------


WRITER = textwrap.dedent(
    """
    import sqlite3, sys, time

    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "INSERT INTO studies (name, experiment, config, seed, settings, code_hash, created) "
        "VALUES ('late', 'e.py:f', '{}', 0, '{}', 'h', 0.0)"
    )
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    connection.execute("COMMIT")
    """
)


def test_a_read_never_waits_for_a_writer(path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "2.0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "holding\n"
        waits = {}
        for name, opener in (("open_store", open_store), ("Store", Store)):
            started = time.perf_counter()
            with opener(path) as store:
                names = [summary.name for summary in store.list_studies()]
                runs = store.runs(STUDY)
            waits[name] = time.perf_counter() - started
            # The snapshot before the writer's transaction.
            assert (names, len(runs)) == ([STUDY], 2)
        assert writer.poll() is None, "the reads outlasted the writer's 2 s transaction"
    finally:
        writer.wait(timeout=30)
    assert writer.returncode == 0
    assert waits["open_store"] < 1.0, waits
    assert waits["Store"] < 1.0, waits
    with open_store(path) as store:
        assert [summary.name for summary in store.list_studies()] == ["late", STUDY]


def make_version_1_store(path: Path) -> None:
    """A store as seedwise wrote it at schema version 1, with one study and one run."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("BEGIN IMMEDIATE")
    schema.MIGRATIONS[0](connection)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute("PRAGMA user_version = 1")
    connection.execute("INSERT INTO studies VALUES ('old', 'e.py:f', '{}', 3, '{}', 'h', 1.0)")
    connection.execute(
        "INSERT INTO runs (study, repeat, seed, status, metrics) "
        "VALUES ('old', 0, 9, 'ok', '{\"mse\": 0.5}')"
    )
    connection.execute("COMMIT")
    connection.close()


def run_columns(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[1] for row in connection.execute("PRAGMA table_info(runs)")]
    finally:
        connection.close()


def test_a_version_1_store_is_read_as_it_is_and_migrated_by_the_first_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v1.db"
    make_version_1_store(path)
    before = fingerprint(path)
    with open_store(path) as store:
        assert store.schema_version == 1
        (run,) = store.runs("old")
        assert (run.repeat, run.seed, str(run.status), run.metrics) == (0, 9, "ok", {"mse": 0.5})
    assert fingerprint(path) == before
    with Store(path) as store:
        # Opened to write, checked, not migrated: reads leave it at version 1.
        assert store.schema_version == 1
        assert [summary.name for summary in store.list_studies()] == ["old"]
        assert store.schema_version == 1
        assert "unseeded" not in run_columns(path)
        assert fingerprint(path) == before
        store.set_code_hash("old", "h2")
        assert store.schema_version == SCHEMA_VERSION == 7
        assert store.study_record("old").code_hash == "h2"
        assert len(store.runs("old")) == 1
    assert "unseeded" in run_columns(path)


# Two connections agree -----------------------------------------------------------

# Owners on another host: their claims are never taken over, so who holds a
# repeat depends only on the operations, not on which processes are alive.
OWNERS = ("elsewhere:1:first", "elsewhere:2:second")
STATUSES = tuple(RunStatus)


class TwoConnections(RuleBasedStateMachine):
    """Two writable stores and one read-only store on one file, against a dict model."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="seedwise-agreement-"))
        location = self.folder / "seedwise.db"
        self.stores = [Store(location), Store(location)]
        add_study(self.stores[0])
        self.reader = open_store(location)
        self.claimed: dict[int, str] = {}
        self.statuses: dict[int, str] = {}

    @rule(
        connection=st.integers(0, 1),
        owner=st.sampled_from(OWNERS),
        repeats=st.lists(st.integers(0, 4), max_size=4),
        retry_failed=st.booleans(),
    )
    def claim(self, connection: int, owner: str, repeats: list[int], retry_failed: bool) -> None:
        expected = []
        for repeat in dict.fromkeys(repeats):
            status = self.statuses.get(repeat)
            if status == "ok" or (status is not None and not retry_failed):
                continue
            if self.claimed.get(repeat, owner) != owner:
                continue
            expected.append(repeat)
        got = self.stores[connection].claim(STUDY, repeats, owner, retry_failed=retry_failed)
        assert got == expected
        self.claimed.update(dict.fromkeys(got, owner))

    @rule(connection=st.integers(0, 1), repeat=st.integers(0, 4), status=st.sampled_from(STATUSES))
    def record(self, connection: int, repeat: int, status: RunStatus) -> None:
        metrics = {"mse": float(repeat)} if status.is_finished else {}
        run = RunRecord(study=STUDY, repeat=repeat, seed=repeat, status=status, metrics=metrics)
        self.stores[connection].record_run(run)
        self.statuses[repeat] = status.value
        self.claimed.pop(repeat, None)

    @rule(connection=st.integers(0, 1), owner=st.sampled_from(OWNERS))
    def release(self, connection: int, owner: str) -> None:
        held = [repeat for repeat, holder in self.claimed.items() if holder == owner]
        assert self.stores[connection].release(STUDY, owner) == len(held)
        for repeat in held:
            del self.claimed[repeat]

    @invariant()
    def every_connection_agrees_with_the_model(self) -> None:
        for store in (*self.stores, self.reader):
            assert store.claims(STUDY) == self.claimed
            runs = {run.repeat: str(run.status) for run in store.runs(STUDY)}
            assert runs == self.statuses
            (summary,) = store.list_studies()
            assert (summary.total, summary.claimed) == (len(self.statuses), len(self.claimed))

    def teardown(self) -> None:
        for store in (*self.stores, self.reader):
            store.close()
        shutil.rmtree(self.folder)


TwoConnections.TestCase.settings = settings(max_examples=30, stateful_step_count=8, deadline=None)
TestTwoConnectionsAgree = TwoConnections.TestCase
