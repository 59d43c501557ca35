"""The store's versioned schema: what a seedwise store is, how it is checked and migrated.

A seedwise store is an SQLite database whose ``PRAGMA application_id`` is
:data:`APPLICATION_ID` and whose ``PRAGMA user_version`` is its schema
version, and whose tables and indexes are exactly those its migrations made:
nothing else (a trigger would run inside seedwise's own writes).
``MIGRATIONS[n]`` turns version ``n`` into ``n + 1``; version 0 is a blank
database. Opening a store only checks its header and schema; every pending
migration runs in the first write transaction (``BEGIN IMMEDIATE``), together
with the two pragmas and the write itself, so a store is never left half
migrated and a reader never writes.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from seedwise.errors import StoreError

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "check_header",
    "check_objects",
    "has_sqlite_header",
    "migrate",
    "not_a_store",
    "read_version",
    "upgrade",
]

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


def _add_code_files(connection: sqlite3.Connection) -> None:
    # The digest of each file of the study's code, as a JSON object
    # {path: sha256}, so that a code change names the files that changed.
    connection.execute("ALTER TABLE studies ADD COLUMN code_files TEXT")


def _add_claim_tokens(connection: sqlite3.Connection) -> None:
    # The fencing token of each claim (seedwise.store.claims): a run is
    # stored only under the claim, and the token, it was run under.
    connection.execute("ALTER TABLE claims ADD COLUMN token INTEGER")


def _add_tasks_and_imports(connection: sqlite3.Connection) -> None:
    # studies.task: the task (data set, environment, benchmark) a study was run
    # on, so that results group by algorithm and task; NULL when none was named.
    # studies.imported: where an imported study's runs came from, as a JSON
    # object ({"source": "mlflow", ...}); NULL for a study seedwise ran. An
    # imported study is read-only: no rerun, no check, no resume.
    connection.execute("ALTER TABLE studies ADD COLUMN task TEXT")
    connection.execute("ALTER TABLE studies ADD COLUMN imported TEXT")


def _add_predictions(connection: sqlite3.Connection) -> None:
    # ctx.record_predictions: one row per run and named set of per-example
    # results; the example ids as a JSON list, the values as little-endian
    # float64 bytes in the same order.
    connection.execute(
        """CREATE TABLE predictions (
        study TEXT NOT NULL,
        repeat INTEGER NOT NULL,
        name TEXT NOT NULL,
        ids TEXT NOT NULL,
        "values" BLOB NOT NULL,
        PRIMARY KEY (study, repeat, name),
        FOREIGN KEY (study, repeat) REFERENCES runs (study, repeat) ON DELETE CASCADE
    )"""
    )


def _add_shown(connection: sqlite3.Connection) -> None:
    # When a comparison of studies was first shown, and how many runs each
    # study had then, so that compare and report can mark a study that grew
    # after it was compared (runs added until the answer suited).
    connection.execute(
        """CREATE TABLE shown (
        comparison TEXT PRIMARY KEY,
        counts TEXT NOT NULL,
        shown REAL NOT NULL
    )"""
    )


Migration = Callable[[sqlite3.Connection], None]

#: ``MIGRATIONS[n]`` migrates schema version ``n`` to ``n + 1``. Append only.
MIGRATIONS: list[Migration] = [
    _create_version_1,
    _add_unseeded_uses,
    _add_code_files,
    _add_claim_tokens,
    _add_tasks_and_imports,
    _add_predictions,
    _add_shown,
]

#: The schema version this code writes: the number of migrations.
SCHEMA_VERSION = len(MIGRATIONS)


def has_sqlite_header(path: Path, shown: Path | None = None) -> bool:
    """Whether the file ``path`` starts with SQLite's header; False for none or an empty one.

    The first bytes are read, whatever the file's size says: a file of
    ``/proc`` says 0 bytes and holds text.

    Args:
        path: A regular file, or a path where none exists.
        shown: The path the user gave, for messages; None for ``path``.

    Raises:
        StoreError: A file that is not SQLite.
    """
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        return False
    if not magic:
        return False
    if magic != _SQLITE_MAGIC:
        raise not_a_store(shown or path, "it is not an SQLite database")
    return True


def check_header(connection: sqlite3.Connection, path: Path) -> int | None:
    """Check the pragmas of an open database, reading only.

    Args:
        connection: A connection to the file, read-only or not, outside a
            transaction.
        path: The store's path, for messages.

    Returns:
        None for an SQLite database with no tables and no application id,
        else the store's schema version, at most the one this code knows.

    Raises:
        StoreError: Another application's database, a newer schema, a store
            that holds objects seedwise did not create (see
            :func:`check_objects`), or a file SQLite cannot read.
    """
    try:
        application_id, version, tables = _pragmas(connection)
        if application_id == 0 and version == 0 and tables == 0:
            return None
        if application_id != APPLICATION_ID:
            raise not_a_store(path, f"its SQLite application_id is {application_id}")
        check_objects(connection, path, _check_version(path, version))
    except sqlite3.DatabaseError as error:
        raise not_a_store(path, f"SQLite cannot read it ({error})") from None
    return version


#: SQLite's own tables, which ``ANALYZE`` makes: statistics, harmless to seedwise.
_SQLITE_STATISTICS = ("sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4")

# (type, name) -> what must match: the table it belongs to, then a table's
# columns and foreign keys, an index's kind and columns.
_Schema = dict[tuple[str, str], tuple[object, ...]]


def check_objects(connection: sqlite3.Connection, path: Path, version: int) -> None:
    """Check that the store holds exactly the schema its migrations made, reading only.

    A trigger, a view, or a table or index seedwise did not create is
    refused, as are a missing table or index and a table whose columns
    differ: a trigger runs inside seedwise's own transactions (one that
    deleted the runs of other studies when a repeat was claimed was found in
    a store), and a changed index or column changes what a write does. The
    expected schema is what ``MIGRATIONS[:version]`` makes in an empty
    in-memory database, so that it is written once, in the migrations.
    ``ANALYZE``'s statistics tables are accepted.

    Args:
        connection: A connection to the store, read-only or not.
        path: The store's path, for messages.
        version: The store's schema version.

    Raises:
        StoreError: The first object that is not seedwise's, or is missing.
    """
    expected = _schema_of(tuple(MIGRATIONS[:version]))
    actual = _read_schema(connection)
    for (kind, name), detail in sorted(actual.items()):
        if (kind, name) in expected or name in _SQLITE_STATISTICS:
            continue
        article = "an" if kind == "index" else "a"
        on = f" on table {detail[0]!r}" if detail[0] != name else ""
        what = f"that holds {article} {kind} seedwise did not create: {name!r}{on}"
        raise _refusal(
            path, what, version, f"remove it (sqlite3 STORE 'DROP {kind.upper()} \"{name}\"')"
        )
    # Tables first: a table that is missing has no indexes either.
    for kind, name in sorted(expected, key=lambda key: (key[0] != "table", key)):
        if (kind, name) not in actual:
            raise _refusal(path, f"whose {kind} {name!r} is missing", version)
        if actual[kind, name] != expected[kind, name]:
            raise _refusal(path, f"whose {kind} {name!r} differs from seedwise's", version)


def _refusal(
    path: Path, what: str, version: int, remedy: str = "restore it from a copy"
) -> StoreError:
    return StoreError(
        f"Refusing a store {what}. Received: store={str(path)!r}; expected only the tables "
        f"and indexes of seedwise's schema version {version}: {remedy}, or use another store "
        "(the file was not modified)"
    )


@functools.cache
def _schema_of(migrations: tuple[Migration, ...]) -> _Schema:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for migration in migrations:
            migration(connection)
        return _read_schema(connection)
    finally:
        connection.close()


def _read_schema(connection: sqlite3.Connection) -> _Schema:
    # Compared through SQLite's pragmas, not the SQL text, which ALTER TABLE
    # rewrites and which a store made by another SQLite may space otherwise.
    schema: _Schema = {}
    rows = connection.execute("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
    for kind, name, table in rows:
        if kind == "table":
            schema[kind, name] = (
                table,
                _rows(connection, "table_xinfo", name),
                _rows(connection, "foreign_key_list", name),
            )
        elif kind == "index":
            listed = connection.execute(
                'SELECT "unique", origin, partial FROM pragma_index_list(?) WHERE name = ?',
                (table, name),
            ).fetchall()
            schema[kind, name] = (table, tuple(listed), _rows(connection, "index_xinfo", name))
        else:
            schema[kind, name] = (table,)
    return schema


def _rows(connection: sqlite3.Connection, pragma: str, name: str) -> tuple[tuple[object, ...], ...]:
    return tuple(connection.execute(f"SELECT * FROM pragma_{pragma}(?)", (name,)).fetchall())


def migrate(connection: sqlite3.Connection, path: Path) -> int:
    """Bring the open store up to the current schema in one transaction.

    Equivalent to ``BEGIN IMMEDIATE``, :func:`upgrade`, ``COMMIT``.

    Args:
        connection: A read-write connection in autocommit mode.
        path: The store's path, for messages.

    Returns:
        The schema version the store had before.

    Raises:
        StoreError: See :func:`upgrade`.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = upgrade(connection, path)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return version


def upgrade(connection: sqlite3.Connection, path: Path) -> int:
    """Run the pending migrations inside the caller's write transaction.

    Writes nothing when the store is current. Called at the start of every
    write transaction, so that the first write to an older store migrates
    it, in the same transaction as the write.

    Args:
        connection: A connection inside ``BEGIN IMMEDIATE``.
        path: The store's path, for messages.

    Returns:
        The schema version the store had before.

    Raises:
        StoreError: Another process turned the file into something that is
            not a store, or a newer one, since it was opened.
    """
    version = read_version(connection, path)
    if version == len(MIGRATIONS):
        return version
    application_id, version, tables = _pragmas(connection)
    # Checked again under the write lock: another process may have
    # initialised or migrated the file since it was opened.
    if application_id != APPLICATION_ID and (application_id, version, tables) != (0, 0, 0):
        raise not_a_store(path, f"its SQLite application_id is {application_id}")
    _check_version(path, version)
    for migration in MIGRATIONS[version:]:
        migration(connection)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    return version


def read_version(connection: sqlite3.Connection, path: Path) -> int:
    """The schema version of an open store (``PRAGMA user_version``), reading only.

    Raises:
        StoreError: A newer schema than this code knows, written since the store was opened.
    """
    return _check_version(path, _integer(connection, "PRAGMA user_version"))


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


def not_a_store(path: Path, reason: str) -> StoreError:
    """The refusal of a file that is not a seedwise store, for ``reason``; the file is untouched."""
    return StoreError(
        f"Refusing to use a file that is not a seedwise store: {reason}. "
        f"Received: store={str(path)!r}; expected a seedwise store or a new path "
        "(the file was not modified)"
    )
