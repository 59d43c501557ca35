"""A store holds seedwise's schema and nothing else: objects seedwise did not create are refused
on every open, since a trigger would run inside seedwise's own writes."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from seedwise.errors import EXIT_USAGE, StoreError
from seedwise.records import RunRecord
from seedwise.store import APPLICATION_ID, Store, open_store, schema

OPENERS = [Store, open_store]
IDS = ["write", "read"]


def new_store(path: Path) -> None:
    with Store(path) as store:
        for name in ("mine", "theirs"):
            store.ensure_study(
                name, experiment="e.py:f", config={}, seed=0, settings={}, code_hash="h"
            )
            for repeat in range(4):
                store.record_run(
                    RunRecord(name, repeat, seed=repeat, status="ok", metrics={"m": 1.0})
                )


def edit(path: Path, *statements: str) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.execute("PRAGMA journal_mode = DELETE")
    finally:
        connection.close()


def refusal(opener: Callable[[Path], object], path: Path) -> str:
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        opener(path)
    assert path.read_bytes() == before
    assert caught.value.exit_code == EXIT_USAGE
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith("(the file was not modified)")
    return message


@pytest.mark.parametrize("opener", OPENERS, ids=IDS)
def test_a_foreign_trigger_is_refused(opener: Callable[[Path], object], tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    new_store(path)
    # What the attack did: claiming a repeat of one study deleted the runs of the others.
    edit(
        path,
        "CREATE TRIGGER wipe AFTER INSERT ON claims BEGIN "
        "DELETE FROM runs WHERE study != NEW.study; END",
    )
    message = refusal(opener, path)
    assert message.startswith(
        "Refusing a store that holds a trigger seedwise did not create: 'wipe' on table 'claims'."
    )
    assert "DROP TRIGGER" in message
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("SELECT count(*) FROM runs").fetchone() == (8,)
    finally:
        connection.close()


@pytest.mark.parametrize("opener", OPENERS, ids=IDS)
def test_a_foreign_view_is_refused(opener: Callable[[Path], object], tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    new_store(path)
    edit(path, "CREATE VIEW finished AS SELECT * FROM runs WHERE status = 'ok'")
    message = refusal(opener, path)
    assert message.startswith("Refusing a store that holds a view seedwise did not create:")
    assert "'finished'" in message


@pytest.mark.parametrize(
    ("statement", "start"),
    [
        ("CREATE TABLE notes (x)", "a table seedwise did not create: 'notes'"),
        ("CREATE INDEX runs_by_seed ON runs (seed)", "an index seedwise did not create"),
        ("DROP INDEX claims_by_owner", "a store whose index 'claims_by_owner' is missing"),
        ("ALTER TABLE runs ADD COLUMN extra TEXT", "a store whose table 'runs' differs"),
        ("DROP TABLE claims", "a store whose table 'claims' is missing"),
    ],
)
def test_tables_and_indexes_other_than_seedwises_are_refused(
    tmp_path: Path, statement: str, start: str
) -> None:
    path = tmp_path / "s.db"
    new_store(path)
    edit(path, statement)
    for opener in OPENERS:
        assert start in refusal(opener, path)


def test_an_index_of_the_same_name_on_other_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    new_store(path)
    edit(
        path,
        "DROP INDEX runs_by_status",
        "CREATE UNIQUE INDEX runs_by_status ON runs (study, seed)",
    )
    assert "index 'runs_by_status' differs" in refusal(Store, path)


def test_sqlites_own_statistics_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    new_store(path)
    edit(path, "ANALYZE")
    with Store(path) as store:
        assert [study.name for study in store.list_studies()] == ["mine", "theirs"]
        assert store.claim("mine", [5], f"{socket.gethostname()}:1:t", retry_failed=False) == [5]


@pytest.mark.parametrize("version", range(1, schema.SCHEMA_VERSION))
def test_an_older_schema_is_accepted_as_it_is(tmp_path: Path, version: int) -> None:
    path = tmp_path / f"v{version}.db"
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for migration in schema.MIGRATIONS[:version]:
            migration(connection)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {version}")
    finally:
        connection.close()
    with open_store(path) as store:
        assert store.schema_version == version
    with Store(path) as store:
        store.ensure_study("s", experiment="e.py:f", config={}, seed=0, settings={}, code_hash="h")
        assert store.schema_version == schema.SCHEMA_VERSION
    with open_store(path) as store:
        assert [study.name for study in store.list_studies()] == ["s"]


def test_the_documented_schema_version_is_the_one_written() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "store.md").read_text()
    assert f"## Schema (version {schema.SCHEMA_VERSION})" in text
    assert f"({schema.SCHEMA_VERSION} today;" in text
