"""Opening a store file: for reading (never writes) or for writing (WAL, creates when missing).

A path is first followed to the file it names (:func:`real_file`): symbolic
links are resolved, so that every name of a store shares one write-ahead log,
and anything but a regular file with one name is refused. The file is then
looked at without writing (:func:`inspect_file`): it is refused when it is
not SQLite, another application's database, a newer schema, or holds objects
seedwise did not create. Then:

- :func:`open_for_reading` opens it read-only (:func:`connect_read_only`):
  nothing is created, written or locked, and no writer is waited for;
- :func:`open_for_writing` opens it read-write with a 30 s busy timeout and
  ``synchronous=FULL``, creating a missing, empty or blank file as a new
  store; an existing store is switched to WAL mode by its first write.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import stat
import threading
import time
from pathlib import Path

from seedwise.errors import StoreError
from seedwise.store.schema import check_header, has_sqlite_header, migrate, not_a_store

__all__ = [
    "BUSY_TIMEOUT_S",
    "DEFAULT_STORE_FOLDER",
    "StoreFile",
    "connect_read_only",
    "default_store_path",
    "enable_wal",
    "inspect_file",
    "open_for_reading",
    "open_for_writing",
    "real_file",
]

#: How long a write waits for another process's transaction before giving up.
BUSY_TIMEOUT_S = 30.0

_ENV_VARIABLE = "SEEDWISE_STORE"
#: The folder of the default store, in the working directory.
DEFAULT_STORE_FOLDER = ".seedwise"
_DEFAULT_PATH = Path(DEFAULT_STORE_FOLDER) / "seedwise.db"

# SQLite's extended result codes for "cannot create the -shm file next to the
# database" (a read-only folder) and "cannot open a file".
_READONLY_DIRECTORY = 1544
_CANTOPEN = 14


def default_store_path() -> Path:
    """Where the store lives when no path is given.

    Returns:
        ``$SEEDWISE_STORE`` when set and not empty (``~`` expanded), else
        ``.seedwise/seedwise.db`` under the current directory, as an absolute path.
    """
    configured = os.environ.get(_ENV_VARIABLE, "")
    path = Path(configured).expanduser() if configured else _DEFAULT_PATH
    return path if path.is_absolute() else Path.cwd() / path


class StoreFile:
    """One open store file: its path, its SQLite connection, whether it may be written.

    Made by :func:`open_for_reading` or :func:`open_for_writing`; the
    transactions of :mod:`seedwise.store.transactions` run on it, one at a
    time (``lock``).
    """

    def __init__(self, path: Path, connection: sqlite3.Connection, *, read_only: bool) -> None:
        """Hold an open connection; prefer the two ``open_for_`` functions.

        Args:
            path: The store's file.
            connection: A connection to it, in autocommit mode.
            read_only: Whether ``connection`` was opened read-only.
        """
        self.path = path
        self.connection = connection
        self.read_only = read_only
        #: Whether the file is known to be in WAL mode (set by the first write).
        self.wal = False
        self.lock = threading.RLock()
        self._empty: sqlite3.Connection | None = None

    def empty_store(self) -> sqlite3.Connection:
        """An in-memory store with no studies, written nowhere, to read a file without tables.

        An empty or blank file, or a version-0 store, has no tables yet: it
        reads as this store.
        """
        if self._empty is None:
            self._empty = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            migrate(self._empty, self.path)
        return self._empty

    def close(self) -> None:
        """Close the connections; the file stays on disk."""
        with self.lock:
            self.connection.close()
            if self._empty is not None:
                self._empty.close()


def open_for_reading(path: Path) -> StoreFile:
    """Open an existing store read-only: nothing is created, written, locked or waited for.

    Args:
        path: The store's file.

    Returns:
        The open file; an empty or blank one reads as a store with no studies.

    Raises:
        StoreError: No file at ``path``, a folder, a file that is not a
            regular file with one name (see :func:`real_file`), or a file that
            is not a seedwise store of this or an older schema.
    """
    real = real_file(path)
    if not real.exists():
        raise missing_store(path)
    has_header = has_sqlite_header(real, path)
    connection = connect_read_only(real)
    try:
        if has_header:
            check_header(connection, path)
    except BaseException:
        connection.close()
        raise
    return StoreFile(path, connection, read_only=True)


def open_for_writing(path: Path, *, create: bool) -> StoreFile:
    """Open a store to write it, creating it (with its folders) when missing and ``create``.

    A new, empty or blank file is made a store at once (WAL mode, current
    schema); an existing store is opened without writing, and switched to
    WAL mode and migrated by its first write.

    Args:
        path: The store's file.
        create: Create a missing file; otherwise a missing file is an error.

    Returns:
        The open file.

    Raises:
        StoreError: A missing file without ``create``, a folder, a file that
            is not a regular file with one name (see :func:`real_file`), a
            file that is not a seedwise store, a newer schema, or a file or
            folder this user may not write.
    """
    real = real_file(path)
    version = _inspect_while_created(real, path)
    if not real.exists():
        if not create:
            raise missing_store(path)
        real.parent.mkdir(parents=True, exist_ok=True)
    _check_writable(real)
    connection = sqlite3.connect(
        real, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    opened = StoreFile(path, connection, read_only=False)
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = FULL")
        if version is None:
            # Nothing to protect (a new, empty or blank file): create the store now.
            enable_wal(connection)
            opened.wal = True
            migrate(connection, path)
    except BaseException:
        connection.close()
        raise
    return opened


def missing_store(path: Path) -> StoreError:
    """The error for a path that holds no store."""
    return StoreError(
        f"No seedwise store at this path. Received: store={str(path)!r}; "
        f"expected an existing store (see `seedwise ls`, --store or ${_ENV_VARIABLE})"
    )


def real_file(path: Path) -> Path:
    """The file ``path`` names, symbolic links resolved, checked to be one SQLite can share.

    SQLite finds a database's write-ahead log, its index (``-shm``) and its
    rollback journal by the name the database was opened with. Two runners
    that open one file by two names (hard links) would each see a log of
    their own, write the file blind of each other and lose finished runs
    (measured: 59 of 60 repeats ran twice): a file with more than one name is
    refused, for reading too, since a reader by another name misses what the
    writers' log holds. A symbolic link is followed here, so that the link
    and its target share one log. A device, a pipe or a socket is refused
    without being opened (SQLite would create ``/dev/null-journal``; a pipe
    would block the read of its first bytes).

    Args:
        path: The store's path, as given; it need not exist.

    Returns:
        The absolute path of the file, symbolic links resolved: an existing
        regular file with one name, or a path where nothing exists.

    Raises:
        StoreError: A symbolic-link loop, a folder, a file that is not a
            regular file, or one with several names.
    """
    try:
        real = path.resolve()
        info = real.stat()
    except FileNotFoundError:
        return real
    except (OSError, RuntimeError) as error:
        # Python 3.11 raises RuntimeError for a loop, 3.13 OSError.
        raise StoreError(
            f"The store path cannot be followed: {getattr(error, 'strerror', None) or error}. "
            f"Received: store={str(path)!r}; expected a path to a file, through symbolic "
            "links that end"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(
            f"The store path is a folder. Received: store={str(path)!r}; "
            "expected a file path such as .seedwise/seedwise.db"
        )
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(
            f"The store path is not a regular file. Received: store={str(path)!r} "
            f"({_file_kind(info.st_mode)}); expected a regular file, or a path where none "
            "exists to create a store"
        )
    if info.st_nlink > 1:
        raise StoreError(
            f"Refusing a store file that has {info.st_nlink} names (hard links): SQLite keeps "
            "its write-ahead log beside each name, so runners using two names would write the "
            f"file blind of each other. Received: store={str(path)!r}; expected one path to "
            f"one file: remove the other names (find / -samefile {shlex.quote(str(real))} "
            "lists them), or give every runner and reader the same path (a symbolic link is "
            "fine)"
        )
    return real


def inspect_file(path: Path, shown: Path | None = None) -> int | None:
    """Check, without writing anything, that ``path`` may be opened as a store.

    Reads the first bytes, then opens the file read-only through SQLite
    (:func:`connect_read_only`).

    Args:
        path: The store's file, as :func:`real_file` returns it.
        shown: The path the user gave, for messages; None for ``path``.

    Returns:
        None when there is nothing to protect (no file, an empty file, or an
        SQLite database with no tables and no application id), else the
        store's schema version, at most the one this code knows.

    Raises:
        StoreError: A file that is not SQLite, an SQLite database of another
            application, a store of a newer schema version, or one that holds
            objects seedwise did not create.
    """
    if not has_sqlite_header(path, shown or path):
        return None
    connection = connect_read_only(path)
    try:
        return check_header(connection, shown or path)
    finally:
        connection.close()


def connect_read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` for reading only: nothing is written, no lock blocks a writer.

    Equivalent to ``sqlite3.connect("file:PATH?mode=ro", uri=True)``, except
    that the file is opened with ``immutable=1`` (no locks, no ``-wal`` or
    ``-shm`` files) when no writer can be using it: when its permission bits
    allow nobody to write it, or when its folder is read-only (SQLite then
    cannot create the ``-shm`` file ``mode=ro`` needs, and no writer could
    create the ``-wal`` file either), and in both cases only while no
    write-ahead log holds data. ``mode=ro`` on a WAL database in a writable
    folder creates empty ``-wal`` and ``-shm`` files when they are missing and
    leaves them behind (the next writer removes them); the main file is never
    touched.

    Args:
        path: An existing file, as :func:`real_file` returns it: the ``-wal``
            file that decides between the two modes lies beside the real file.

    Returns:
        A connection in autocommit mode, already checked to be readable.

    Raises:
        StoreError: SQLite cannot open the file read-only.
    """
    options = "immutable=1" if _nobody_writes(path) else "mode=ro"
    try:
        return _connect(path, options)
    except sqlite3.OperationalError as error:
        failure = error
    if options == "mode=ro" and _folder_refused(failure) and not _has_log(path):
        try:
            return _connect(path, "immutable=1")
        except sqlite3.OperationalError as error:
            failure = error
    raise StoreError(
        f"Cannot open the store read-only: {failure}. Received: store={str(path)!r}; "
        "expected a readable seedwise store (in a read-only folder, one whose write-ahead "
        "log was checkpointed by a writer with access to the folder)"
    ) from None


def enable_wal(connection: sqlite3.Connection) -> None:
    """Switch to WAL mode, waiting out other processes that hold the file meanwhile.

    SQLite answers "database is locked" at once, without its busy timeout,
    when another connection is creating the same store: retry until
    :data:`BUSY_TIMEOUT_S`.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _connect(path: Path, options: str) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?{options}"
    connection = sqlite3.connect(
        uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        # SQLite opens lazily: the first read is what needs the -shm file.
        connection.execute("PRAGMA user_version").fetchone()
    except sqlite3.OperationalError:
        connection.close()
        raise
    except sqlite3.DatabaseError as error:
        connection.close()
        raise not_a_store(path, f"SQLite cannot read it ({error})") from None
    return connection


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((kind for test, kind in kinds if test(mode)), f"file mode {mode:o}")


def _nobody_writes(path: Path) -> bool:
    # No write permission bit, and no log with data: no seedwise writer can be
    # using the file (a writable Store refuses such a file), so locking is moot.
    return stat.S_IMODE(path.stat().st_mode) & 0o222 == 0 and not _has_log(path)


def _folder_refused(error: sqlite3.OperationalError) -> bool:
    # mode=ro on a WAL database must create the -shm file next to it.
    return getattr(error, "sqlite_errorcode", None) in (_READONLY_DIRECTORY, _CANTOPEN)


def _has_log(path: Path) -> bool:
    # A write-ahead log with frames holds committed data that immutable=1
    # would not see.
    log = path.with_name(path.name + "-wal")
    return log.exists() and log.stat().st_size > 0


def _check_writable(path: Path) -> None:
    # A file without any write permission bit is read by open_store() with
    # immutable=1, which assumes nobody writes it: root must not either.
    # SQLite creates the -wal and -shm files next to the store: so must we.
    if not os.access(path.parent, os.W_OK | os.X_OK):
        received = f"store={str(path)!r} in a folder this user may not write"
    elif path.exists() and (
        stat.S_IMODE(path.stat().st_mode) & 0o222 == 0 or not os.access(path, os.W_OK)
    ):
        received = f"store={str(path)!r} (file mode {stat.S_IMODE(path.stat().st_mode):o})"
    else:
        return
    raise StoreError(
        f"The store cannot be written by this user. Received: {received}; expected a file "
        "and folder this user may write (chmod u+w), or open_store(path) to read it"
    )


def _inspect_while_created(path: Path, shown: Path) -> int | None:
    """:func:`inspect_file`, waiting out another process that is creating the same store.

    A store being created has its tables before it has its application id,
    in one transaction that another process may see half of: a file with
    tables and application id 0 is looked at again for up to 2 s (creating
    a store takes milliseconds) before it is refused as another application's.
    """
    deadline = time.monotonic() + 2.0
    while True:
        try:
            return inspect_file(path, shown)
        except StoreError as error:
            if "application_id is 0" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
