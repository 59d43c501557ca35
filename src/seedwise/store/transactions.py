"""The store's two transactions, and SQLite's failures as one-line errors.

Every write is one short ``BEGIN IMMEDIATE`` transaction that first runs the
pending migrations, so concurrent writers wait for each other (the busy
timeout) instead of failing with "database is locked", and a failed write,
migration included, leaves the file as it was. Every read is one deferred
transaction, so all of its queries see the same snapshot.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from seedwise.errors import StoreError
from seedwise.store.opening import BUSY_TIMEOUT_S, StoreFile, enable_wal
from seedwise.store.schema import read_version, upgrade

__all__ = ["read_transaction", "sqlite_errors", "write_transaction"]


@contextmanager
def write_transaction(file: StoreFile) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction, committed on success and rolled back on error.

    Pending migrations run first, in the same transaction: a write to an
    older store migrates it, and a failed migration writes nothing. The
    first write switches the file to WAL mode.

    Args:
        file: The open store file.

    Yields:
        The connection, inside the transaction.

    Raises:
        StoreError: The file was opened read-only, or SQLite failed (see
            :func:`sqlite_errors`).
    """
    if file.read_only:
        raise StoreError(
            "The store was opened read-only, so it cannot be written. "
            f"Received: store={str(file.path)!r} opened with open_store(path); "
            "expected a store opened with Store(path)"
        )
    with file.lock, sqlite_errors(file.path, "write"):
        if not file.wal:
            # Outside any transaction, as SQLite requires; a no-op once in WAL mode.
            enable_wal(file.connection)
            file.wal = True
        file.connection.execute("BEGIN IMMEDIATE")
        try:
            upgrade(file.connection, file.path)
            yield file.connection
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                file.connection.execute("ROLLBACK")
            raise
        file.connection.execute("COMMIT")


@contextmanager
def read_transaction(file: StoreFile) -> Iterator[sqlite3.Connection]:
    """One deferred transaction: every query of a read sees the same snapshot.

    Args:
        file: The open store file, read-only or not.

    Yields:
        The connection; for a file with no tables yet, an empty in-memory
        store (:meth:`~seedwise.store.opening.StoreFile.empty_store`).

    Raises:
        StoreError: A newer schema written since the file was opened, or
            SQLite failed (see :func:`sqlite_errors`).
    """
    with file.lock, sqlite_errors(file.path, "read"):
        file.connection.execute("BEGIN")
        try:
            version = read_version(file.connection, file.path)
            yield file.connection if version > 0 else file.empty_store()
        finally:
            with contextlib.suppress(sqlite3.Error):
                file.connection.execute("COMMIT")


@contextmanager
def sqlite_errors(path: Path, doing: str) -> Iterator[None]:
    """SQLite's own failures as one StoreError line: a lock held too long, a full disk, damage.

    Args:
        path: The store's file, for the message.
        doing: ``"read"`` or ``"write"``, for the message.

    Raises:
        StoreError: In place of any ``sqlite3.DatabaseError`` raised inside.
    """
    try:
        yield
    except sqlite3.DatabaseError as error:
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            raise StoreError(
                f"The store stayed locked by another process for {BUSY_TIMEOUT_S:g} s. "
                f"Received: store={str(path)!r}; expected the other writer to finish"
            ) from None
        full = "full" in str(error)
        hint = (
            "free some disk space and run the command again (nothing was half written)"
            if full
            else "an intact seedwise store: restore it from a copy, or use a new --store"
        )
        raise StoreError(
            f"Cannot {doing} the store: SQLite says {error}. "
            f"Received: store={str(path)!r}; expected {hint}"
        ) from None
