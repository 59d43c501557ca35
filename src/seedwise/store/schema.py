"""The store's versioned schema: what a seedwise store is, how it is checked and migrated.

A seedwise store is an SQLite database whose ``PRAGMA application_id`` is
:data:`APPLICATION_ID` and whose ``PRAGMA user_version`` is its schema
version. ``MIGRATIONS[n]`` turns version ``n`` into ``n + 1``; version 0 is a
blank database. Every pending migration runs in one ``BEGIN IMMEDIATE``
transaction, together with the two pragmas, so a store is never left half
migrated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from seedwise.errors import StoreError

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "inspect_file", "migrate"]

#: ``"SEED"`` in ASCII: written into every store's header, checked on every open.
APPLICATION_ID = 0x53454544

_SQLITE_MAGIC = b"SQLite format 3\x00"

_VERSION_1 = (
    """CREATE TABLE studies (
        name TEXT PRIMARY KEY,
        experiment TEXT NOT NULL,
        config TEXT NOT NULL,
        seed INTEGER NOT NULL,
        settings TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created REAL NOT NULL
    )""",
    """CREATE TABLE environments (
        hash TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        created REAL NOT NULL
    )""",
    """CREATE TABLE runs (
        study TEXT NOT NULL REFERENCES studies(name) ON DELETE CASCADE,
        repeat INTEGER NOT NULL CHECK (repeat >= 0),
        seed INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'crashed', 'timeout')),
        metrics TEXT NOT NULL,
        error TEXT,
        traceback TEXT,
        started REAL,
        finished REAL,
        duration REAL,
        worker TEXT,
        env_hash TEXT REFERENCES environments(hash),
        PRIMARY KEY (study, repeat)
    )""",
    "CREATE INDEX runs_by_status ON runs (study, status)",
    """CREATE TABLE steps (
        study TEXT NOT NULL,
        repeat INTEGER NOT NULL,
        position INTEGER NOT NULL,
        step INTEGER NOT NULL,
        name TEXT NOT NULL,
        value REAL,
        PRIMARY KEY (study, repeat, position),
        FOREIGN KEY (study, repeat) REFERENCES runs (study, repeat) ON DELETE CASCADE
    )""",
    """CREATE TABLE fingerprints (
        study TEXT NOT NULL,
        repeat INTEGER NOT NULL,
        position INTEGER NOT NULL,
        step INTEGER,
        name TEXT NOT NULL,
        digest TEXT NOT NULL,
        dtype TEXT NOT NULL,
        shape TEXT NOT NULL,
        sum REAL,
        max_abs REAL,
        PRIMARY KEY (study, repeat, position),
        FOREIGN KEY (study, repeat) REFERENCES runs (study, repeat) ON DELETE CASCADE
    )""",
    """CREATE TABLE claims (
        study TEXT NOT NULL REFERENCES studies(name) ON DELETE CASCADE,
        repeat INTEGER NOT NULL,
        owner TEXT NOT NULL,
        claimed REAL NOT NULL,
        PRIMARY KEY (study, repeat)
    )""",
    "CREATE INDEX claims_by_owner ON claims (owner)",
)


def _create_version_1(connection: sqlite3.Connection) -> None:
    # Statement by statement: executescript() would commit the open transaction.
    for statement in _VERSION_1:
        connection.execute(statement)


def _add_unseeded_uses(connection: sqlite3.Connection) -> None:
    # The unseeded random sources a run's code used, as a JSON list of
    # {"kind", "location", "fix"}; NULL when the run did not watch for them.
    connection.execute("ALTER TABLE runs ADD COLUMN unseeded TEXT")


Migration = Callable[[sqlite3.Connection], None]

#: ``MIGRATIONS[n]`` migrates schema version ``n`` to ``n + 1``. Append only.
MIGRATIONS: list[Migration] = [_create_version_1, _add_unseeded_uses]

#: The schema version this code writes: the number of migrations.
SCHEMA_VERSION = len(MIGRATIONS)


def inspect_file(path: Path) -> int | None:
    """Check, without writing anything, that ``path`` may be opened as a store.

    Reads the first bytes, then opens the file read-only through SQLite.

    Args:
        path: The store's path.

    Returns:
        None when there is nothing to protect (no file, an empty file, or an
        SQLite database with no tables and no application id), else the
        store's schema version, at most the one this code knows.

    Raises:
        StoreError: A folder, a file that is not SQLite, an SQLite database of
            another application, or a store of a newer schema version.
    """
    if path.is_dir():
        raise StoreError(
            f"The store path is a folder. Received: store={str(path)!r}; "
            "expected a file path such as .seedwise/seedwise.db"
        )
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as handle:
        magic = handle.read(len(_SQLITE_MAGIC))
    if magic != _SQLITE_MAGIC:
        raise _not_a_store(path, "it is not an SQLite database")
    application_id, version, tables = _read_header(path)
    if application_id == 0 and version == 0 and tables == 0:
        return None
    if application_id != APPLICATION_ID:
        raise _not_a_store(path, f"its SQLite application_id is {application_id}")
    return _check_version(path, version)


def migrate(connection: sqlite3.Connection, path: Path) -> int:
    """Bring the open store up to the current schema in one transaction.

    Args:
        connection: A read-write connection in autocommit mode.
        path: The store's path, for messages.

    Returns:
        The schema version the store had before.

    Raises:
        StoreError: Another process turned the file into something that is
            not a store, or a newer one, between the check and this call.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        application_id, version, tables = _pragmas(connection)
        # Checked again under the write lock: another process may have
        # initialised or migrated the file since inspect_file().
        if application_id != APPLICATION_ID and (application_id, version, tables) != (0, 0, 0):
            raise _not_a_store(path, f"its SQLite application_id is {application_id}")
        _check_version(path, version)
        for migration in MIGRATIONS[version:]:
            migration(connection)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return version


def _read_header(path: Path) -> tuple[int, int, int]:
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=30.0)
    except sqlite3.Error as error:
        raise StoreError(
            f"Cannot open the store read-only: {error}. Received: store={str(path)!r}; "
            "expected a readable seedwise store"
        ) from None
    try:
        return _pragmas(connection)
    except sqlite3.DatabaseError as error:
        raise _not_a_store(path, f"SQLite cannot read it ({error})") from None
    finally:
        connection.close()


def _pragmas(connection: sqlite3.Connection) -> tuple[int, int, int]:
    application_id = _integer(connection, "PRAGMA application_id")
    version = _integer(connection, "PRAGMA user_version")
    tables = _integer(connection, "SELECT count(*) FROM sqlite_master")
    return application_id, version, tables


def _integer(connection: sqlite3.Connection, query: str) -> int:
    row: Sequence[object] = connection.execute(query).fetchone()
    value = row[0]
    if not isinstance(value, int):  # pragma: no cover - SQLite always answers an int
        raise StoreError(f"Unexpected answer to {query}. Received: {value!r}; expected an int")
    return value


def _check_version(path: Path, version: int) -> int:
    if version > len(MIGRATIONS):
        raise StoreError(
            f"The store was written by a newer seedwise (schema version {version}). "
            f"Received: store={str(path)!r}; expected schema version {len(MIGRATIONS)} or "
            "older: upgrade seedwise to read it"
        )
    return version


def _not_a_store(path: Path, reason: str) -> StoreError:
    return StoreError(
        f"Refusing to use a file that is not a seedwise store: {reason}. "
        f"Received: store={str(path)!r}; expected a seedwise store or a new path "
        "(the file was not modified)"
    )
