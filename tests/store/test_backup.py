"""``Store.backup``: a consistent copy while runners write, never over an existing file."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from seedwise.errors import EXIT_USAGE, StoreError
from seedwise.records import RunRecord
from seedwise.store import Store, StoreCopy, open_store

DEFINITION = {"experiment": "e.py:f", "config": {}, "seed": 0, "settings": {}, "code_hash": "h"}


def ok_run(study: str, repeat: int) -> RunRecord:
    return RunRecord(study, repeat, seed=repeat, status="ok", metrics={"m": float(repeat)})


def stored_runs(path: Path) -> dict[str, list[int]]:
    with open_store(path) as store:
        return {
            study.name: [run.repeat for run in store.runs(study.name)]
            for study in store.list_studies()
        }


def integrity(path: Path) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


@pytest.fixture
def writer(tmp_path: Path) -> Store:
    """A runner's store with every commit still in its write-ahead log."""
    store = Store(tmp_path / "runs" / "s.db")
    store._file.connection.execute("PRAGMA wal_autocheckpoint = 0")
    for name in ("a", "b"):
        store.ensure_study(name, **DEFINITION)  # type: ignore[arg-type]
    for repeat in range(5):
        store.record_run(ok_run("a", repeat))
    store.record_run(ok_run("b", 0))
    return store


def test_a_backup_holds_every_committed_run_while_another_writes(
    writer: Store, tmp_path: Path
) -> None:
    source = writer.path
    # A plain copy of the main file misses what the log holds: the reason for backup.
    (tmp_path / "plain").mkdir()
    shutil.copyfile(source, tmp_path / "plain" / "cp.db")
    assert stored_runs(tmp_path / "plain" / "cp.db") == {}
    # Another connection is half way through a transaction it has not committed.
    other = sqlite3.connect(source, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("DELETE FROM runs WHERE study = 'a'")
    try:
        with open_store(source) as reader:
            copy = reader.backup(tmp_path / "copy.db")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert copy == StoreCopy(path=tmp_path / "copy.db", studies=2, runs=6)
    assert stored_runs(copy.path) == {"a": [0, 1, 2, 3, 4], "b": [0]}
    assert integrity(copy.path) == "ok"
    # One file: no log beside it, nothing left behind.
    assert sorted(os.listdir(tmp_path)) == ["copy.db", "plain", "runs"]
    writer.close()


def test_a_writable_store_backs_up_through_its_own_connection(
    writer: Store, tmp_path: Path
) -> None:
    with writer:
        copy = writer.backup(tmp_path / "copy.db")
        writer.record_run(ok_run("b", 1))
    assert (copy.studies, copy.runs) == (2, 6)
    assert stored_runs(copy.path)["b"] == [0]


def test_backups_taken_while_a_runner_writes_are_each_a_snapshot(
    writer: Store, tmp_path: Path
) -> None:
    done = threading.Event()

    def run() -> None:
        with Store(writer.path) as store:
            for repeat in range(5, 60):
                store.record_run(ok_run("a", repeat))
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    copies = []
    with open_store(writer.path) as reader:
        while not done.is_set() or not copies:
            copies.append(reader.backup(tmp_path / f"copy-{len(copies)}.db"))
    thread.join()
    for copy in copies:
        runs = stored_runs(copy.path)["a"]
        # Runs are committed in order: a snapshot holds a prefix of them, whole.
        assert runs == list(range(len(runs)))
        assert copy.runs == len(runs) + 1
        assert integrity(copy.path) == "ok"
    assert len(stored_runs(copies[-1].path)["a"]) >= 5
    writer.close()


@pytest.mark.parametrize("existing", ["copy.db", "copy.db-wal", "copy.db-journal"])
def test_an_existing_destination_is_refused(writer: Store, tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_bytes(b"keep me")
    with writer, pytest.raises(StoreError) as caught:
        writer.backup(tmp_path / "copy.db")
    assert caught.value.exit_code == EXIT_USAGE
    message = str(caught.value)
    assert message.startswith(
        f"Refusing to overwrite a file with a backup. Received: DEST={str(tmp_path / 'copy.db')!r}"
    )
    assert (" (it exists)" if existing == "copy.db" else f"{existing}' exists beside it") in message
    assert (tmp_path / existing).read_bytes() == b"keep me"
    assert sorted(os.listdir(tmp_path)) == sorted([existing, "runs"])


def test_a_dangling_link_as_destination_is_refused(writer: Store, tmp_path: Path) -> None:
    (tmp_path / "copy.db").symlink_to(tmp_path / "elsewhere.db")
    with writer, pytest.raises(StoreError, match="Refusing to overwrite"):
        writer.backup(tmp_path / "copy.db")
    assert not (tmp_path / "elsewhere.db").exists()


def test_a_destination_in_a_missing_folder_is_refused(writer: Store, tmp_path: Path) -> None:
    with writer, pytest.raises(StoreError, match="The backup's folder does not exist"):
        writer.backup(tmp_path / "missing" / "copy.db")


def test_a_filesystem_without_hard_links_still_gets_a_whole_copy(
    writer: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with writer:
        copy = writer.backup(tmp_path / "copy.db")
    assert stored_runs(copy.path) == {"a": [0, 1, 2, 3, 4], "b": [0]}
    assert sorted(os.listdir(tmp_path)) == ["copy.db", "runs"]


def test_an_empty_store_backs_up_as_a_store_with_no_studies(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with open_store(empty) as store:
        copy = store.backup(tmp_path / "copy.db")
    assert (copy.studies, copy.runs) == (0, 0)
    with Store(copy.path) as store:
        assert store.list_studies() == []
