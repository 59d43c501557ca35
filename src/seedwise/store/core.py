"""The SQLite store: studies, runs, per-step metrics, fingerprints, environments, claims.

Durability and concurrency come from SQLite: WAL mode, ``synchronous=FULL``,
a 30 s busy timeout, and one short ``BEGIN IMMEDIATE`` transaction for every
write, so that concurrent runners wait for each other instead of failing with
"database is locked". Within a runner, the parent process is the only writer.
Readers (:func:`open_store`) open the file read-only: they never write, never
take the write lock and never wait for a writer.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from seedwise.errors import StoreError
from seedwise.records import RUN_STATUSES, FingerprintRecord, RunRecord, StepRecord
from seedwise.seeding.streams import check_seed
from seedwise.store._closing import Closing
from seedwise.store.claims import claim_state, select_claimable
from seedwise.store.records import (
    StudyRecord,
    StudySummary,
    decode_json,
    decode_object,
    decode_real,
    encode_json,
    encode_metrics,
    encode_unseeded,
    environment_hash,
    run_from_row,
)
from seedwise.store.schema import (
    check_header,
    connect_read_only,
    has_sqlite_header,
    inspect_file,
    migrate,
    read_version,
    upgrade,
)
from seedwise.store.study import Study

__all__ = ["BUSY_TIMEOUT_S", "Store", "default_store_path", "open_store"]

#: How long a write waits for another process's transaction before giving up.
BUSY_TIMEOUT_S = 30.0

_ENV_VARIABLE = "SEEDWISE_STORE"
_DEFAULT_PATH = Path(".seedwise") / "seedwise.db"
_LISTED = 5
#: What ``Store.resolve_name`` reads as the study that most recently began or stored a run.
LAST_STUDY = "@last"


def default_store_path() -> Path:
    """Where the store lives when no path is given.

    Returns:
        ``$SEEDWISE_STORE`` when set and not empty (``~`` expanded), else
        ``.seedwise/seedwise.db`` under the current directory, as an absolute path.
    """
    configured = os.environ.get(_ENV_VARIABLE, "")
    path = Path(configured).expanduser() if configured else _DEFAULT_PATH
    return path if path.is_absolute() else Path.cwd() / path


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = False) -> Store:
    """Open a store to read studies back, read-only (or, with ``create=True``, to write).

    Equivalent to ``Store(path, read_only=True)``; with ``create=True``, to
    ``Store(path)``. A read-only store never creates, changes or locks the
    file, and never waits for a writer (see :class:`Store`).

    Args:
        path: The store's file; None for :func:`default_store_path`.
        create: Open the store to write, creating it (and its folders) when
            missing. Off by default, so reading changes nothing and a
            mistyped path is an error rather than a new, empty store.

    Returns:
        The open store; close it, or use it as a context manager.

    Raises:
        StoreError: See :class:`Store`.
    """
    resolved = default_store_path() if path is None else path
    return Store(resolved) if create else Store(resolved, read_only=True)


def open_study(path: str | os.PathLike[str] | None, name: str) -> Study:
    """Open the store at ``path`` read-only for one study; closing the study closes it.

    Equivalent to ``open_store(path).study(name)``, with the store owned by the study.

    Args:
        path: The store's file; None for :func:`default_store_path`.
        name: The study's name.

    Returns:
        The study.

    Raises:
        StoreError: No store at ``path``, or no such study in it.

    Example:
        >>> with seedwise.open_study(".seedwise/seedwise.db", "demo-100e") as study:
        ...     study.summary("mse")  # doctest: +SKIP
    """
    store = open_store(path)
    try:
        store.get_study(name)
    except BaseException:
        store.close()
        raise
    return Study(store, name, owns_store=True)


class Store(Closing):
    """A seedwise store: one SQLite file, opened with its schema checked, migrated on write.

    Opening never modifies a file that is not a seedwise store: the file is
    first read through a read-only connection, and refused when it is not
    SQLite, belongs to another application (``PRAGMA application_id``), or
    was written by a newer schema version (``PRAGMA user_version``).

    A writable store (the default) creates a missing, empty or blank file as
    a new store. An existing store is opened without writing: it is switched
    to WAL mode and migrated to :data:`~seedwise.store.SCHEMA_VERSION` by its
    first write, in the same ``BEGIN IMMEDIATE`` transaction as that write.

    A read-only store (``read_only=True``, what :func:`open_store` opens)
    never writes, never takes a lock a writer waits for, and never waits for
    a writer: see :func:`seedwise.store.schema.connect_read_only` for how it
    opens read-only files and folders. It reads an older schema as it is (see
    :attr:`schema_version`), an empty or blank file as a store with no
    studies, and every write method raises :class:`~seedwise.errors.StoreError`.

    Example:
        >>> with Store(tmp / "seedwise.db") as store:  # doctest: +SKIP
        ...     store.ensure_study("s", experiment="x.py:f", config={}, seed=0,
        ...                        settings={}, code_hash="...")
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool | None = None,
        read_only: bool = False,
    ) -> None:
        """Open, or create, the store at ``path``.

        Args:
            path: The store's file.
            create: Create the file (and missing parent folders) when it does
                not exist; otherwise a missing file is an error. Default:
                True for a writable store, False for a read-only one (which
                cannot create).
            read_only: Open the store only to read it.

        Raises:
            StoreError: A missing store (without ``create``), a folder, a
                file that is not a seedwise store, a newer schema, a
                writable store on a file or folder this user may not write,
                or ``create=True`` with ``read_only=True``.
        """
        self.path = Path(path).expanduser()
        #: Whether the store was opened read-only: every write raises StoreError.
        self.read_only = read_only
        if read_only and create:
            raise StoreError(
                "A read-only store cannot create its file. Received: create=True, "
                "read_only=True; expected create=False with read_only=True, or "
                "read_only=False to create the store"
            )
        self._lock = threading.RLock()
        self._blank: sqlite3.Connection | None = None
        self._wal = False
        if read_only:
            self._connection = self._open_read_only()
        else:
            self._connection = self._open_writable(create is not False)

    def _open_read_only(self) -> sqlite3.Connection:
        has_header = has_sqlite_header(self.path)
        if not self.path.exists():
            raise self._missing()
        connection = connect_read_only(self.path)
        try:
            if has_header:
                check_header(connection, self.path)
        except BaseException:
            connection.close()
            raise
        return connection

    def _open_writable(self, create: bool) -> sqlite3.Connection:
        version = _inspect_while_created(self.path)
        if not self.path.exists():
            if not create:
                raise self._missing()
            self.path.parent.mkdir(parents=True, exist_ok=True)
        _check_writable(self.path)
        connection = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA synchronous = FULL")
            if version is None:
                # Nothing to protect (a new, empty or blank file): create the store now.
                _enable_wal(connection)
                self._wal = True
                migrate(connection, self.path)
        except BaseException:
            connection.close()
            raise
        return connection

    def _missing(self) -> StoreError:
        return StoreError(
            f"No seedwise store at this path. Received: store={str(self.path)!r}; "
            f"expected an existing store (see `seedwise ls`, --store or ${_ENV_VARIABLE})"
        )

    @property
    def schema_version(self) -> int:
        """The schema version of the file, read now.

        0 for an empty or blank file; below :data:`~seedwise.store.SCHEMA_VERSION`
        for an older store read without migrating it (read-only, or before the
        first write): columns added since read back as None.

        Raises:
            StoreError: Another process wrote a newer schema since the store was opened.
        """
        with self._lock:
            return read_version(self._connection, self.path)

    def __repr__(self) -> str:
        read_only = ", read_only=True" if self.read_only else ""
        return f"Store({str(self.path)!r}{read_only})"

    def close(self) -> None:
        """Close the connection; the store stays on disk."""
        with self._lock:
            self._connection.close()
            if self._blank is not None:
                self._blank.close()

    # Studies ----------------------------------------------------------------

    def ensure_study(
        self,
        name: str,
        *,
        experiment: str,
        config: Mapping[str, Any],
        seed: int,
        settings: Mapping[str, Any],
        code_hash: str,
        code_files: Mapping[str, str] | None = None,
    ) -> StudyRecord:
        """Create the study ``name``, or return it unchanged if it exists.

        The caller compares the returned record with what it meant to run
        (``code_hash`` first) and decides what to do.

        Args:
            name: The study's name, a non-empty str.
            experiment: The experiment reference.
            config: The config, JSON-encodable.
            seed: The study's root seed.
            settings: The numerics-changing settings, JSON-encodable.
            code_hash: The hash of the experiment's code.
            code_files: The digest of each file of that code, by path.

        Returns:
            The stored study: the new one, or the existing one as it was.

        Raises:
            StoreError: A bad name, or a config or settings that JSON cannot hold.
            InvalidSeedError: A bad seed.
        """
        _check_text(name, "study")
        checked_seed = check_seed(seed)
        row = (
            name,
            experiment,
            encode_json(dict(config), what="config"),
            checked_seed,
            encode_json(dict(settings), what="settings"),
            code_hash,
            time.time(),
            None if code_files is None else encode_json(dict(code_files), what="code_files"),
        )
        with self._write() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO studies (name, experiment, config, seed, settings, "
                "code_hash, created, code_files) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        return self.get_study(name)

    def get_study(self, name: str) -> StudyRecord:
        """The study called ``name``.

        Raises:
            StoreError: No such study; the message lists the closest known names.
        """
        with self._read() as connection:
            # A store of an older schema, read without migrating it, has no code_files.
            files = "code_files" if _has_column(connection, "studies", "code_files") else "NULL"
            row = connection.execute(
                "SELECT name, experiment, config, seed, settings, code_hash, created, "
                f"{files} FROM studies WHERE name = ?",
                (name,),
            ).fetchone()
            if row is None:
                raise self._unknown_study(connection, name)
        where = f"studies.{{}} of study {name!r}"
        return StudyRecord(
            name=row[0],
            experiment=row[1],
            config=decode_object(
                decode_json(row[2], where=where.format("config")), where, "config"
            ),
            seed=row[3],
            settings=decode_object(
                decode_json(row[4], where=where.format("settings")), where, "settings"
            ),
            code_hash=row[5],
            created=row[6],
            code_files=None
            if row[7] is None
            else decode_object(
                decode_json(row[7], where=where.format("code_files")), where, "code_files"
            ),
        )

    def study(self, name: str) -> Study:
        """The study called ``name``, reading through this store (which stays open).

        Closing the returned :class:`~seedwise.store.study.Study` does not
        close the store; closing the store ends the study's reads.

        Args:
            name: The study's name, a prefix that only one study's name
                starts with, or ``@last`` (see :meth:`resolve_name`).

        Returns:
            The study, bound to this store.

        Raises:
            StoreError: No such study, or a prefix several names start with;
                the message lists the candidates.
        """
        return Study(self, self.resolve_name(name))

    def resolve_name(self, text: str) -> str:
        """The full name of the study ``text`` means, so that names need not be copied.

        ``text`` is a study's exact name; else ``@last``, the study that most
        recently began or stored a run; else a prefix of exactly one name
        (``sequence.train`` for ``sequence.train-1a2b3c4d``).

        Raises:
            StoreError: No study matches, or several do.
        """
        with self._read() as connection:
            if connection.execute("SELECT 1 FROM studies WHERE name = ?", (text,)).fetchone():
                return text
            if text == LAST_STUDY:
                row = connection.execute(
                    "SELECT name FROM studies LEFT JOIN (SELECT study, max(finished) AS last "
                    "FROM runs GROUP BY study) ON study = name "
                    "ORDER BY max(created, coalesce(last, 0)) DESC, name LIMIT 1"
                ).fetchone()
                if row is None:
                    raise self._unknown_study(connection, text)
                return str(row[0])
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            matches = [
                str(row[0])
                for row in connection.execute(
                    "SELECT name FROM studies WHERE name LIKE ? ESCAPE '\\' ORDER BY name",
                    (escaped + "%",),
                )
                if str(row[0]).startswith(text)
            ]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                listed = ", ".join(map(repr, matches[:_LISTED]))
                raise StoreError(
                    f"Several studies start with this name. Received: study={text!r}; "
                    f"expected one of {listed} (a longer prefix, or the whole name)"
                )
            raise self._unknown_study(connection, text)

    def list_studies(self) -> list[StudySummary]:
        """Every study, by name, with its number of runs per status and of open claims."""
        with self._read() as connection:
            studies = connection.execute(
                "SELECT name, experiment, seed, created, config FROM studies ORDER BY name"
            ).fetchall()
            counts: dict[str, dict[str, int]] = {
                row[0]: dict.fromkeys(RUN_STATUSES, 0) for row in studies
            }
            for study, status, count in connection.execute(
                "SELECT study, status, count(*) FROM runs GROUP BY study, status"
            ):
                counts[study][status] = count
            claimed = dict(
                connection.execute("SELECT study, count(*) FROM claims GROUP BY study").fetchall()
            )
        return [
            StudySummary(
                name=name,
                experiment=experiment,
                seed=seed,
                created=created,
                counts=counts[name],
                claimed=claimed.get(name, 0),
                config=decode_object(
                    decode_json(config, where=f"studies.config of study {name!r}"),
                    f"studies.{{}} of study {name!r}",
                    "config",
                ),
            )
            for name, experiment, seed, created, config in studies
        ]

    def set_code_hash(
        self, study: str, code_hash: str, code_files: Mapping[str, str] | None = None
    ) -> None:
        """Record a new code hash for ``study`` (``--allow-code-change``), with its files.

        Raises:
            StoreError: No such study.
        """
        _check_text(code_hash, "code_hash")
        files = None if code_files is None else encode_json(dict(code_files), what="code_files")
        with self._write() as connection:
            cursor = connection.execute(
                "UPDATE studies SET code_hash = ?, code_files = ? WHERE name = ?",
                (code_hash, files, study),
            )
            if cursor.rowcount == 0:
                raise self._unknown_study(connection, study)

    # Claims -----------------------------------------------------------------

    def claim(
        self,
        study: str,
        repeats: Sequence[int],
        owner: str,
        *,
        retry_failed: bool,
        limit: int | None = None,
        retry_before: float | None = None,
    ) -> list[int]:
        """Atomically claim repeats of ``study`` for the runner ``owner``.

        A repeat is claimed when it has no ``ok`` run, has no ``failed``,
        ``crashed`` or ``timeout`` run unless ``retry_failed``, and has no
        claim of a live owner (a claim of a dead process on this host, see
        :mod:`seedwise.store.claims`, is taken over; the owner's own claims
        are returned again). :meth:`record_run` deletes a repeat's claim,
        :meth:`release` an owner's remaining ones.

        Args:
            study: The study's name.
            repeats: The candidate repeats, in the order to claim them.
            owner: The runner's id, ``"HOST:PID:TOKEN"`` (see ``make_owner``).
            retry_failed: Claim repeats whose stored run did not finish.
            limit: Claim at most this many; None for all that qualify.
            retry_before: With ``retry_failed``, retry only runs that
                finished before this Unix time, such as the runner's start,
                so that each runner retries a repeat at most once even when
                another runner is retrying too.

        Returns:
            The claimed repeats, in the order given.

        Raises:
            StoreError: No such study, a bad owner, repeat or limit.
        """
        _check_text(owner, "owner")
        candidates = list(dict.fromkeys(_check_repeat(repeat) for repeat in repeats))
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise StoreError(
                f"`limit` must be a non-negative int or None. Received: limit={limit!r}"
            )
        with self._write() as connection:
            self._require_study(connection, study)
            runs = {
                repeat: (status, finished)
                for repeat, status, finished in connection.execute(
                    "SELECT repeat, status, finished FROM runs WHERE study = ?", (study,)
                )
            }
            rows = connection.execute(
                "SELECT repeat, owner, claimed FROM claims WHERE study = ?", (study,)
            ).fetchall()
            now = time.time()
            claimed = select_claimable(
                candidates,
                runs,
                {repeat: holder for repeat, holder, _ in rows},
                owner,
                retry_failed=retry_failed,
                limit=limit,
                retry_before=retry_before,
                claimed_at={repeat: when for repeat, _, when in rows},
                now=now,
            )
            connection.executemany(
                "INSERT OR REPLACE INTO claims (study, repeat, owner, claimed) VALUES (?, ?, ?, ?)",
                [(study, repeat, owner, now) for repeat in claimed],
            )
        return claimed

    def release(self, study: str, owner: str) -> int:
        """Drop every claim ``owner`` holds on ``study``; returns how many."""
        with self._write() as connection:
            cursor = connection.execute(
                "DELETE FROM claims WHERE study = ? AND owner = ?", (study, owner)
            )
            return cursor.rowcount

    def renew(self, study: str, owner: str) -> int:
        """Renew the lease of every claim ``owner`` holds on ``study``; returns how many."""
        with self._write() as connection:
            cursor = connection.execute(
                "UPDATE claims SET claimed = ? WHERE study = ? AND owner = ?",
                (time.time(), study, owner),
            )
            return cursor.rowcount

    def claim_details(self, study: str | None = None) -> list[dict[str, Any]]:
        """Every open claim (of one study, or of all): who holds it, since when, and its state.

        Returns:
            Dicts with ``study``, ``repeat``, ``owner``, ``age`` (seconds since
            the claim was made or renewed) and ``state`` (see
            :func:`~seedwise.store.claims.claim_state`).
        """
        with self._read() as connection:
            if study is not None:
                self._require_study(connection, study)
            rows = connection.execute(
                "SELECT study, repeat, owner, claimed FROM claims "
                + ("WHERE study = ? " if study is not None else "")
                + "ORDER BY study, repeat",
                (study,) if study is not None else (),
            ).fetchall()
        now = time.time()
        return [
            {
                "study": name,
                "repeat": repeat,
                "owner": owner,
                "age": now - claimed,
                "state": claim_state(owner, claimed, now),
            }
            for name, repeat, owner, claimed in rows
        ]

    def release_stale(self, study: str | None = None) -> int:
        """Drop the claims whose runner is gone or whose lease expired; returns how many."""
        stale = [
            (claim["study"], claim["repeat"], claim["owner"])
            for claim in self.claim_details(study)
            if claim["state"] in ("dead", "expired")
        ]
        with self._write() as connection:
            for name, repeat, owner in stale:
                connection.execute(
                    "DELETE FROM claims WHERE study = ? AND repeat = ? AND owner = ?",
                    (name, repeat, owner),
                )
        return len(stale)

    def claims(self, study: str) -> dict[int, str]:
        """The open claims of ``study``: repeat -> owner."""
        with self._read() as connection:
            return dict(
                connection.execute(
                    "SELECT repeat, owner FROM claims WHERE study = ? ORDER BY repeat", (study,)
                )
            )

    # Runs -------------------------------------------------------------------

    def record_run(self, run: RunRecord) -> None:
        """Store one run, with its steps, fingerprints and unseeded uses, in one transaction.

        Replaces any earlier run of the same repeat (with its steps and
        fingerprints), adds the run's environment if it is new, and deletes
        the repeat's claim.

        Args:
            run: The run. When its ``environment`` is given, its ``env_hash``
                is replaced by :func:`environment_hash` of it; otherwise
                ``env_hash`` must name a stored environment, or be None.

        Raises:
            StoreError: No such study, a bad status or repeat, an unknown
                ``env_hash``, or values JSON cannot hold.
        """
        _check_repeat(run.repeat)
        environment_row = None
        environment = run.environment
        steps, fingerprints = run.steps, run.fingerprints
        if environment is not None:
            run = replace(run, env_hash=environment_hash(environment))
            environment_row = (run.env_hash, encode_json(dict(environment), what="environment"))
        key = (run.study, run.repeat)
        with self._write() as connection:
            self._require_study(connection, run.study)
            if environment_row is not None:
                connection.execute(
                    "INSERT OR IGNORE INTO environments (hash, data, created) VALUES (?, ?, ?)",
                    (*environment_row, time.time()),
                )
            elif (
                run.env_hash is not None
                and not connection.execute(
                    "SELECT 1 FROM environments WHERE hash = ?", (run.env_hash,)
                ).fetchone()
            ):
                raise StoreError(
                    f"Unknown environment. Received: env_hash={run.env_hash!r}; expected the hash "
                    "of a stored environment, or the environment itself"
                )
            for table in ("steps", "fingerprints", "runs"):
                connection.execute(f"DELETE FROM {table} WHERE study = ? AND repeat = ?", key)
            connection.execute(
                "INSERT INTO runs (study, repeat, seed, status, metrics, error, traceback, "
                "started, finished, duration, worker, env_hash, unseeded) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    run.seed,
                    run.status.value,
                    encode_metrics(run.metrics),
                    run.error,
                    run.traceback,
                    run.started,
                    run.finished,
                    run.duration,
                    run.worker,
                    run.env_hash,
                    encode_unseeded(run.unseeded),
                ),
            )
            connection.executemany(
                "INSERT INTO steps (study, repeat, position, step, name, value) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(*key, i, s.step, s.name, s.value) for i, s in enumerate(steps)],
            )
            connection.executemany(
                "INSERT INTO fingerprints (study, repeat, position, step, name, digest, dtype, "
                "shape, sum, max_abs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        *key,
                        i,
                        f.step,
                        f.name,
                        f.digest,
                        f.dtype,
                        encode_json(list(f.shape), what="shape"),
                        f.sum,
                        f.max_abs,
                    )
                    for i, f in enumerate(fingerprints)
                ],
            )
            connection.execute("DELETE FROM claims WHERE study = ? AND repeat = ?", key)

    def runs(self, study: str) -> list[RunRecord]:
        """Every stored run of ``study``, by repeat, without steps, fingerprints or environment.

        Raises:
            StoreError: No such study, or a run whose columns do not decode.
        """
        with self._read() as connection:
            self._require_study(connection, study)
            rows = connection.execute(
                f"SELECT {self._run_columns(connection)} FROM runs WHERE study = ? ORDER BY repeat",
                (study,),
            ).fetchall()
        return [run_from_row(row) for row in rows]

    def run(self, study: str, repeat: int) -> RunRecord | None:
        """Everything stored about one run: steps, fingerprints and environment included.

        Returns:
            The run, or None when the repeat has no stored run.

        Raises:
            StoreError: No such study, or columns that do not decode.
        """
        with self._read() as connection:
            self._require_study(connection, study)
            row = connection.execute(
                f"SELECT {self._run_columns(connection)} FROM runs WHERE study = ? AND repeat = ?",
                (study, _check_repeat(repeat)),
            ).fetchone()
        if row is None:
            return None
        record = run_from_row(row)
        return replace(
            record,
            steps=tuple(self.steps(study, repeat)),
            fingerprints=tuple(self.fingerprints(study, repeat)),
            environment=None if record.env_hash is None else self.environment(record.env_hash),
        )

    @staticmethod
    def _run_columns(connection: sqlite3.Connection) -> str:
        listed = (
            "study, repeat, seed, status, metrics, error, traceback, started, finished, "
            "duration, worker, env_hash"
        )
        # A store of schema version 1, read without migrating it, has no unseeded column.
        return listed + (", unseeded" if _has_column(connection, "runs", "unseeded") else "")

    def steps(self, study: str, repeat: int) -> list[StepRecord]:
        """The per-step metrics of one run, in the order logged (NaN comes back as NaN)."""
        with self._read() as connection:
            rows = connection.execute(
                "SELECT step, name, value FROM steps WHERE study = ? AND repeat = ? "
                "ORDER BY position",
                (study, repeat),
            ).fetchall()
        return [StepRecord(step, name, decode_real(value)) for step, name, value in rows]

    def fingerprints(self, study: str, repeat: int) -> list[FingerprintRecord]:
        """The tensor digests of one run, in the order recorded.

        Raises:
            StoreError: A shape that does not decode.
        """
        with self._read() as connection:
            rows = connection.execute(
                "SELECT step, name, digest, dtype, shape, sum, max_abs FROM fingerprints "
                "WHERE study = ? AND repeat = ? ORDER BY position",
                (study, repeat),
            ).fetchall()
        where = f"fingerprints.shape of study {study!r} repeat {repeat}"
        return [
            FingerprintRecord(
                step=step,
                name=name,
                digest=digest,
                dtype=dtype,
                shape=tuple(decode_json(shape, where=where)),
                sum=decode_real(total),
                max_abs=decode_real(max_abs),
            )
            for step, name, digest, dtype, shape, total, max_abs in rows
        ]

    def environment(self, env_hash: str) -> dict[str, Any]:
        """The environment stored under ``env_hash``.

        Raises:
            StoreError: No such environment, or one that does not decode.
        """
        with self._read() as connection:
            row = connection.execute(
                "SELECT data FROM environments WHERE hash = ?", (env_hash,)
            ).fetchone()
        if row is None:
            raise StoreError(
                f"Unknown environment. Received: env_hash={env_hash!r}; expected the env_hash "
                f"of a run in {str(self.path)!r}"
            )
        where = f"environments.data of {env_hash[:12]}"
        return decode_object(decode_json(row[0], where=where), where, "data")

    # Transactions -----------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # Pending migrations run first, in the same transaction: a write to an
        # older store migrates it, and a failed migration writes nothing.
        if self.read_only:
            raise StoreError(
                "The store was opened read-only, so it cannot be written. "
                f"Received: store={str(self.path)!r} opened with open_store(path); "
                "expected a store opened with Store(path) or open_store(path, create=True)"
            )
        with self._lock, self._sqlite_errors("write"):
            if not self._wal:
                # Outside any transaction, as SQLite requires; a no-op once in WAL mode.
                _enable_wal(self._connection)
                self._wal = True
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                upgrade(self._connection, self.path)
                yield self._connection
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    @contextmanager
    def _sqlite_errors(self, doing: str) -> Iterator[None]:
        """SQLite's own failures as one StoreError line: a full disk, a damaged file."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise StoreError(
                    f"The store stayed locked by another process for {BUSY_TIMEOUT_S:g} s. "
                    f"Received: store={str(self.path)!r}; expected the other writer to finish"
                ) from None
            full = "full" in str(error)
            hint = (
                "free some disk space and run the command again (nothing was half written)"
                if full
                else "an intact seedwise store: restore it from a copy, or use a new --store"
            )
            raise StoreError(
                f"Cannot {doing} the store: SQLite says {error}. "
                f"Received: store={str(self.path)!r}; expected {hint}"
            ) from None

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # One deferred transaction: every query of a read sees the same snapshot.
        with self._lock, self._sqlite_errors("read"):
            self._connection.execute("BEGIN")
            try:
                version = read_version(self._connection, self.path)
                yield self._connection if version > 0 else self._no_tables()
            finally:
                with contextlib.suppress(sqlite3.Error):
                    self._connection.execute("COMMIT")

    def _no_tables(self) -> sqlite3.Connection:
        # An empty or blank file, or a version-0 store, has no tables yet: it
        # reads as an in-memory store with no studies, written nowhere.
        if self._blank is None:
            self._blank = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            migrate(self._blank, self.path)
        return self._blank

    def _require_study(self, connection: sqlite3.Connection, study: str) -> None:
        if not connection.execute("SELECT 1 FROM studies WHERE name = ?", (study,)).fetchone():
            raise self._unknown_study(connection, study)

    def _unknown_study(self, connection: sqlite3.Connection, name: object) -> StoreError:
        names = [row[0] for row in connection.execute("SELECT name FROM studies ORDER BY name")]
        if not names:
            known = f"{str(self.path)!r} holds no studies yet"
        else:
            close = difflib.get_close_matches(str(name), names, n=_LISTED, cutoff=0.5)
            listed = close + [n for n in names if n not in close][: _LISTED - len(close)]
            more = f" and {len(names) - len(listed)} more" if len(names) > len(listed) else ""
            known = f"one of {', '.join(map(repr, listed))}{more} (see `seedwise ls`)"
        return StoreError(f"Unknown study. Received: study={name!r}; expected {known}")


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


def _check_repeat(repeat: object) -> int:
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 0:
        raise StoreError(
            f"A repeat must be a non-negative int. Received: repeat={repeat!r} "
            f"(of type {type(repeat).__name__}); expected 0, 1, 2, ..."
        )
    return repeat


def _check_text(value: object, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise StoreError(
            f"`{name}` must be a non-empty str. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )


def _inspect_while_created(path: Path) -> int | None:
    """:func:`inspect_file`, waiting out another process that is creating the same store.

    A store being created has its tables before it has its application id,
    in one transaction that another process may see half of: a file with
    tables and application id 0 is looked at again for up to 2 s (creating
    a store takes milliseconds) before it is refused as another application's.
    """
    deadline = time.monotonic() + 2.0
    while True:
        try:
            return inspect_file(path)
        except StoreError as error:
            if "application_id is 0" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _enable_wal(connection: sqlite3.Connection) -> None:
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


def _has_column(connection: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in connection.execute(f"PRAGMA table_info({table})"))
