"""Studies in the store: a study's definition written once, read back, listed with its counts.

Each function runs inside the caller's transaction
(:mod:`seedwise.store.transactions`); the rows themselves are encoded and
decoded by :mod:`seedwise.store.rows`.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Mapping
from pathlib import Path

from seedwise.errors import StoreRowError, StoreRowWarning
from seedwise.records import RUN_STATUSES
from seedwise.store import rows
from seedwise.store.names import unknown_study
from seedwise.store.records import StudyRecord, StudySummary

__all__ = ["list_studies", "read_study", "write_code_hash", "write_study"]


def write_study(connection: sqlite3.Connection, study: StudyRecord) -> None:
    """Insert ``study`` unless a study of that name exists (then it is left unchanged).

    Raises:
        StoreError: A config, settings or code files that JSON cannot hold.
    """
    connection.execute(rows.INSERT_STUDY, rows.study_to_row(study))


def read_study(connection: sqlite3.Connection, path: Path, name: str) -> StudyRecord:
    """The definition of the study called exactly ``name``.

    Raises:
        StoreError: No such study (the message lists the closest names), or
            a row that does not decode.
    """
    row = connection.execute(
        f"SELECT {rows.study_columns(connection)} FROM studies WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        raise unknown_study(connection, path, name)
    return rows.study_from_row(row)


def list_studies(connection: sqlite3.Connection) -> list[StudySummary]:
    """Every study, by name, with its number of runs per status and of open claims.

    A study row that does not decode, and runs that name no stored study,
    are skipped with a :class:`~seedwise.errors.StoreRowWarning` each: one
    damaged row does not hide the rest of the store.
    """
    studies = connection.execute(
        f"SELECT {rows.study_columns(connection)} FROM studies ORDER BY name"
    ).fetchall()
    counts: dict[object, dict[str, int]] = {
        row[0]: dict.fromkeys(RUN_STATUSES, 0) for row in studies
    }
    for study, status, count in connection.execute(
        "SELECT study, status, count(*) FROM runs GROUP BY study, status"
    ):
        if study in counts and status in RUN_STATUSES:
            counts[study][status] = count
        else:
            _skipped(
                f"A store row cannot be decoded: runs.study of {count} run(s) names no study "
                f"in the store. Received: study={study!r}, status={status!r}; expected a study "
                "of the studies table (was the store edited by hand?)"
            )
    claimed = dict(
        connection.execute("SELECT study, count(*) FROM claims GROUP BY study").fetchall()
    )
    summaries = []
    for row in studies:
        try:
            summaries.append(
                rows.study_summary_from_row(row, counts[row[0]], claimed.get(row[0], 0))
            )
        except StoreRowError as error:
            _skipped(str(error))
    return summaries


def _skipped(message: str) -> None:
    warnings.warn(f"skipped: {message}", StoreRowWarning, stacklevel=3)


def write_code_hash(
    connection: sqlite3.Connection,
    path: Path,
    study: str,
    code_hash: str,
    code_files: Mapping[str, str] | None,
) -> None:
    """Replace the code hash and code files of ``study``.

    Raises:
        StoreError: No such study, or code files that JSON cannot hold.
    """
    files = None if code_files is None else rows.encode_json(dict(code_files), what="code_files")
    cursor = connection.execute(
        "UPDATE studies SET code_hash = ?, code_files = ? WHERE name = ?",
        (code_hash, files, study),
    )
    if cursor.rowcount == 0:
        raise unknown_study(connection, path, study)
