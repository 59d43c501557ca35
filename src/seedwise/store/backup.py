"""A consistent copy of a store, taken while runners write it: ``VACUUM INTO`` a new file.

A plain copy of the main file (``cp seedwise.db``) misses every run committed
since the last checkpoint, since those live in the ``-wal`` file beside it;
taken while a runner writes, it can also catch the file half checkpointed
(measured: 12 copies that each passed ``integrity_check`` held 53 runs of 98,
and 5 of them no tables at all). ``VACUUM INTO`` reads one snapshot of the
store, log included, inside one read transaction, so it never waits for a
writer nor blocks one, and writes a compact file in rollback-journal mode:
one file, with no ``-wal`` to carry along.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from seedwise.errors import StoreError
from seedwise.store.opening import StoreFile, connect_read_only
from seedwise.store.schema import read_version
from seedwise.store.transactions import sqlite_errors

__all__ = ["StoreCopy", "backup_store"]

# What SQLite would find beside a database of this name and apply to it.
_COMPANIONS = ("-wal", "-journal", "-shm")


@dataclass(frozen=True)
class StoreCopy:
    """What :func:`backup_store` wrote: the copy's file, and how many studies and runs it holds."""

    path: Path
    studies: int
    runs: int


def backup_store(file: StoreFile, destination: Path) -> StoreCopy:
    """Copy the open store to ``destination``, a path where no file is, as one snapshot.

    Equivalent to ``VACUUM INTO`` a temporary file beside ``destination``,
    ``fsync``, ``PRAGMA integrity_check`` of the copy, then a hard link of
    it to ``destination`` (which fails, rather than replaces, when a file
    appeared there meanwhile), so that the copy appears only whole. Where
    the file system has no hard links, a rename takes the link's place.

    Args:
        file: The open store, read-only or not: the copy holds every run
            committed before it began, none that is not committed.
        destination: The copy's path: nothing may exist there, nor a
            ``-wal``, ``-journal`` or ``-shm`` file beside it.

    Returns:
        The copy, with its counts of studies and runs.

    Raises:
        StoreError: A file at ``destination`` or beside it, a folder that
            does not exist or may not be written, SQLite failing to read
            the store or write the copy, or a copy that fails its
            integrity check. Nothing is left at ``destination`` then.
    """
    _check_destination(destination)
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent
        )
    except OSError as error:
        raise StoreError(
            f"Cannot write the backup: {error.strerror or error}. "
            f"Received: DEST={str(destination)!r}; expected a folder this user may write"
        ) from None
    os.close(handle)
    partial = Path(name)
    try:
        with file.lock, sqlite_errors(file.path, "back up"):
            # An empty file is what VACUUM INTO accepts besides no file at all.
            file.connection.execute("VACUUM INTO ?", (str(partial),))
        _sync(partial)
        copy = _examine(partial, destination)
        _publish(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    _sync(destination.parent)
    return copy


def _check_destination(destination: Path) -> None:
    if not destination.parent.is_dir():
        raise StoreError(
            f"The backup's folder does not exist. Received: DEST={str(destination)!r}; "
            "expected a path in an existing folder"
        )
    for suffix in ("", *_COMPANIONS):
        taken = destination.with_name(destination.name + suffix)
        if os.path.lexists(taken):
            raise _exists(destination, taken)


def _exists(destination: Path, taken: Path) -> StoreError:
    what = "it exists" if taken == destination else f"{str(taken)!r} exists beside it"
    return StoreError(
        f"Refusing to overwrite a file with a backup. Received: DEST={str(destination)!r} "
        f"({what}); expected a path where no file is: a new name, or remove the old file first"
    )


def _examine(partial: Path, destination: Path) -> StoreCopy:
    connection = connect_read_only(partial)
    try:
        with sqlite_errors(partial, "check the backup of"):
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise StoreError(
                    f"The backup fails SQLite's integrity check: {problems[0]}. Received: "
                    f"DEST={str(destination)!r}; expected an intact store (no copy was written)"
                )
            if read_version(connection, partial) == 0:
                return StoreCopy(destination, studies=0, runs=0)
            studies = connection.execute("SELECT count(*) FROM studies").fetchone()[0]
            runs = connection.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        connection.close()
    return StoreCopy(destination, studies=int(studies), runs=int(runs))


def _publish(partial: Path, destination: Path) -> None:
    try:
        os.link(partial, destination)
    except FileExistsError:
        raise _exists(destination, destination) from None
    except OSError:
        # No hard links here (some network and FAT file systems): a rename,
        # after a last look, since a rename replaces what it finds.
        if os.path.lexists(destination):
            raise _exists(destination, destination) from None
        os.replace(partial, destination)


def _sync(path: Path) -> None:
    # A backup must survive a power cut once it is reported; a folder is
    # synced so that the copy's name does too (not every system allows it).
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
