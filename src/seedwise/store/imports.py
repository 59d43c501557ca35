"""Imported studies in the store: runs made elsewhere, written once, matched by seed on re-import.

An imported study (``studies.imported`` not NULL) is read-only for the
runner: it is never rerun, checked or resumed (``seedwise.runner.spec``
refuses it). Importing the same source again updates it: a run whose seed
the study holds already takes that run's repeat and replaces it, a new
seed takes the next repeat, and runs the source no longer has are kept.

Each function runs inside the caller's write transaction
(:mod:`seedwise.store.transactions`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace

from seedwise.errors import ImportedStudyError
from seedwise.records import RunRecord
from seedwise.store import rows
from seedwise.store.records import StudyRecord
from seedwise.store.runs import write_run

__all__ = ["ImportCounts", "write_imported"]


@dataclass(frozen=True)
class ImportCounts:
    """What one study's import did.

    Attributes:
        study: The study's name.
        added: Runs of seeds the study did not hold.
        replaced: Runs of seeds it held, written again from the source.
    """

    study: str
    added: int
    replaced: int


def write_imported(
    connection: sqlite3.Connection, study: StudyRecord, runs: Sequence[RunRecord]
) -> ImportCounts:
    """Write ``study`` (or update the imported study of its name) and its ``runs``.

    Each run's ``repeat`` is ignored: it is the repeat of the stored run of
    the same seed, else the next free one, in the order given.

    Raises:
        ImportedStudyError: A study of that name exists and was run by
            seedwise, or was imported from another kind of source.
        StoreError: Values JSON cannot hold.
    """
    row = connection.execute(
        f"SELECT {rows.study_columns(connection)} FROM studies WHERE name = ?", (study.name,)
    ).fetchone()
    if row is None:
        connection.execute(rows.INSERT_STUDY, rows.study_to_row(study))
    else:
        stored = rows.study_from_row(row)
        refuse_overwrite(stored, study)
        # The source may have new params or a new task: the study says what it holds now.
        encoded = rows.study_to_row(study)
        connection.execute(
            "UPDATE studies SET experiment = ?, config = ?, task = ?, imported = ? WHERE name = ?",
            (encoded[1], encoded[2], encoded[8], encoded[9], study.name),
        )
    by_seed = {
        int(seed): int(repeat)
        for seed, repeat in connection.execute(
            "SELECT seed, repeat FROM runs WHERE study = ?", (study.name,)
        )
    }
    next_repeat = max(by_seed.values(), default=-1) + 1
    added = replaced = 0
    for run in runs:
        repeat = by_seed.get(run.seed)
        if repeat is None:
            repeat, next_repeat = next_repeat, next_repeat + 1
            added += 1
        else:
            replaced += 1
        write_run(connection, replace(run, study=study.name, repeat=repeat))
    return ImportCounts(study.name, added, replaced)


def refuse_overwrite(stored: StudyRecord, new: StudyRecord) -> None:
    """Refuse to import into ``stored`` unless it is an import of the same kind of source.

    Raises:
        ImportedStudyError: ``stored`` was run by seedwise, or imported from
            another kind of source.
    """
    source = (new.imported or {}).get("source")
    if stored.imported is None:
        raise ImportedStudyError(
            f"Study {stored.name!r} exists and was run by seedwise; an import does not write "
            f"into it. Received: study {stored.name!r} from {source}; expected a name no study "
            "of seedwise's own has (rename the column's values, or use another store)"
        )
    if stored.imported.get("source") != source:
        raise ImportedStudyError(
            f"Study {stored.name!r} was imported from {stored.imported.get('source')}, not "
            f"{source}. Received: study {stored.name!r} from {source}; expected the source it "
            "came from, or another name"
        )
