"""Runs in the store: one whole run record written at once, and read back.

Each function runs inside the caller's transaction
(:mod:`seedwise.store.transactions`), on a study checked to exist; the rows
themselves are encoded and decoded by :mod:`seedwise.store.rows`.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.errors import StoreError, StoreRowError
from seedwise.records import FingerprintRecord, RunRecord, StepRecord
from seedwise.store import predictions as _predictions
from seedwise.store import rows

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "read_environment",
    "read_fingerprints",
    "read_logged_names",
    "read_run",
    "read_runs",
    "read_step_columns",
    "read_steps",
    "write_run",
]


def write_run(connection: sqlite3.Connection, run: RunRecord) -> None:
    """Store one run with its steps, fingerprints and environment, replacing the repeat's last.

    Deletes the repeat's claim. See ``Store.record_run``.

    Args:
        connection: A connection inside a write transaction.
        run: The run; its ``env_hash`` is replaced by the hash of its
            ``environment`` when that is given.

    Raises:
        StoreError: An unknown ``env_hash``, or values JSON cannot hold.
    """
    key = (run.study, run.repeat)
    environment = run.environment
    if environment is not None:
        run = replace(run, env_hash=rows.environment_hash(environment))
        connection.execute(
            "INSERT OR IGNORE INTO environments (hash, data, created) VALUES (?, ?, ?)",
            (run.env_hash, rows.encode_json(dict(environment), what="environment"), time.time()),
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
    for table in ("steps", "fingerprints", "predictions", "runs"):
        connection.execute(f"DELETE FROM {table} WHERE study = ? AND repeat = ?", key)
    connection.execute(rows.INSERT_RUN, rows.run_to_row(run))
    connection.executemany(rows.INSERT_STEP, rows.step_rows(run))
    connection.executemany(rows.INSERT_FINGERPRINT, rows.fingerprint_rows(run))
    connection.executemany(_predictions.INSERT_PREDICTION, _predictions.prediction_rows(run))
    connection.execute("DELETE FROM claims WHERE study = ? AND repeat = ?", key)


def read_runs(connection: sqlite3.Connection, study: str) -> list[RunRecord]:
    """Every run of ``study``, by repeat, without steps, fingerprints or environment.

    Raises:
        StoreError: A run whose columns do not decode.
    """
    found = connection.execute(
        f"SELECT {rows.run_columns(connection)} FROM runs WHERE study = ? ORDER BY repeat",
        (study,),
    ).fetchall()
    return [rows.run_from_row(row) for row in found]


def read_run(
    connection: sqlite3.Connection, path: Path, study: str, repeat: int
) -> RunRecord | None:
    """One run with its steps, fingerprints, predictions and environment, or None when none.

    Raises:
        StoreError: Columns that do not decode, or a missing environment.
    """
    row = connection.execute(
        f"SELECT {rows.run_columns(connection)} FROM runs WHERE study = ? AND repeat = ?",
        (study, repeat),
    ).fetchone()
    if row is None:
        return None
    record = rows.run_from_row(row)
    return replace(
        record,
        steps=tuple(read_steps(connection, study, repeat)),
        fingerprints=tuple(read_fingerprints(connection, study, repeat)),
        predictions=tuple(
            _predictions.read_predictions(connection, study, repeat=repeat).get(repeat, [])
        ),
        environment=(
            None
            if record.env_hash is None
            else read_environment(
                connection, path, record.env_hash, run=f"study {study!r} repeat {repeat}"
            )
        ),
    )


def read_steps(connection: sqlite3.Connection, study: str, repeat: int) -> list[StepRecord]:
    """The per-step metrics of one run, in the order logged (NaN comes back as NaN).

    Raises:
        StoreRowError: A row that does not hold what seedwise writes.
    """
    found = connection.execute(
        "SELECT step, name, value FROM steps WHERE study = ? AND repeat = ? ORDER BY position",
        (study, repeat),
    ).fetchall()
    where = f"steps.{{}} of study {study!r} repeat {repeat}"
    return [rows.step_from_row(row, where=where) for row in found]


def read_step_columns(
    connection: sqlite3.Connection, study: str, names: list[str]
) -> dict[tuple[int, str], tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """The logged steps and values of metrics ``names`` in every run of ``study``, in one read.

    SQLite joins each run's column into one text (``printf('%!.17g')``, 17
    significant digits, which give back every double exactly), so that
    600,000 steps cross into Python as 60 strings rather than 600,000 tuples:
    3 times faster, measured in benchmarks/bench_curves.py.

    Returns:
        ``(repeat, name) -> (steps, values)`` as float arrays, each in the
        order logged; a NULL value (NaN, as SQLite keeps it) comes back as NaN.

    Raises:
        StoreRowError: A row that does not hold what seedwise writes.
    """
    import numpy as np

    marks = ", ".join("?" * len(names))
    chosen = f"FROM steps WHERE study = ? AND name IN ({marks})"
    joined = connection.execute(
        f"SELECT repeat, name, max(NOT ({rows.STEP_ROW_DECODES})), group_concat(position), "
        "group_concat(step), "
        "group_concat(CASE WHEN value IS NULL THEN 'nan' ELSE printf('%!.17g', value) END) "
        f"{chosen} GROUP BY repeat, name",
        (study, *names),
    ).fetchall()
    if any(found[2] for found in joined):
        bad = connection.execute(
            f"SELECT repeat, step, name, value {chosen} AND NOT ({rows.STEP_ROW_DECODES}) LIMIT 1",
            (study, *names),
        ).fetchone()
        rows.step_from_row(bad[1:], where=f"steps.{{}} of study {study!r} repeat {bad[0]}")
    columns = {}
    for repeat, name, _, positions, steps, values in joined:
        # group_concat keeps no promised order: the positions put each column back in it.
        order = np.argsort(np.fromstring(positions, dtype=np.int64, sep=","), kind="stable")
        columns[(repeat, name)] = (
            np.fromstring(steps, dtype=np.float64, sep=",")[order],
            np.fromstring(values, dtype=np.float64, sep=",")[order],
        )
    return columns


def read_logged_names(connection: sqlite3.Connection, study: str) -> list[str]:
    """The names of the metrics the runs of ``study`` logged step by step, by first use."""
    found = connection.execute(
        "SELECT name FROM steps WHERE study = ? AND typeof(name) = 'text' "
        "GROUP BY name ORDER BY MIN(repeat * 1000000000 + position)",
        (study,),
    ).fetchall()
    return [str(name) for (name,) in found]


def read_fingerprints(
    connection: sqlite3.Connection, study: str, repeat: int
) -> list[FingerprintRecord]:
    """The tensor digests of one run, in the order recorded.

    Raises:
        StoreRowError: A row that does not hold what seedwise writes.
    """
    found = connection.execute(
        "SELECT step, name, digest, dtype, shape, sum, max_abs FROM fingerprints "
        "WHERE study = ? AND repeat = ? ORDER BY position",
        (study, repeat),
    ).fetchall()
    where = f"fingerprints.{{}} of study {study!r} repeat {repeat}"
    return [rows.fingerprint_from_row(row, where=where) for row in found]


def read_environment(
    connection: sqlite3.Connection, path: Path, env_hash: str, *, run: str | None = None
) -> dict[str, Any]:
    """The environment stored under ``env_hash``.

    Args:
        connection: A connection inside a read transaction.
        path: The store's file, for messages.
        env_hash: The environment's hash.
        run: The run whose ``env_hash`` this is (``"study 'a' repeat 0"``),
            when it comes from a run: a run naming no stored environment is
            a row that does not hold what seedwise writes.

    Raises:
        StoreError: No such environment, or one that does not decode
            (a :class:`~seedwise.errors.StoreRowError` when ``run`` is given).
    """
    row = connection.execute("SELECT data FROM environments WHERE hash = ?", (env_hash,)).fetchone()
    if row is None and run is not None:
        raise StoreRowError(
            f"A store row cannot be decoded: runs.env_hash of {run} names an environment the "
            f"store does not hold. Received: env_hash={env_hash!r}; expected the hash of a "
            "stored environment, as seedwise writes it (was the store edited by hand?)"
        )
    if row is None:
        raise StoreError(
            f"Unknown environment. Received: env_hash={env_hash!r}; expected the env_hash "
            f"of a run in {str(path)!r}"
        )
    return rows.environment_from_row(env_hash, row[0])
