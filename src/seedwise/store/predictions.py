"""Per-example results in the store: the ``predictions`` rows of a run, written and read.

One row per run and named set (``ctx.record_predictions(ids, values,
name=...)``): the example ids as a JSON list, the values as little-endian
float64 bytes in the same order, so that 10,000 examples cost one row and
80 KB rather than 10,000 rows. Encoding and decoding sit side by side here;
the row is written with the rest of its run, in one transaction
(:func:`seedwise.store.runs.write_run`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from seedwise.errors import StoreRowError
from seedwise.records import PredictionRecord, RunRecord
from seedwise.store import rows

__all__ = [
    "INSERT_PREDICTION",
    "prediction_from_row",
    "prediction_rows",
    "read_prediction_names",
    "read_predictions",
]

INSERT_PREDICTION = (
    'INSERT INTO predictions (study, repeat, name, ids, "values") VALUES (?, ?, ?, ?, ?)'
)


def prediction_rows(run: RunRecord) -> list[tuple[Any, ...]]:
    """The ``predictions`` rows of ``run``, one per named set, for :data:`INSERT_PREDICTION`."""
    import numpy as np

    return [
        (
            run.study,
            run.repeat,
            found.name,
            rows.encode_json(list(found.ids), what="example ids"),
            np.asarray(found.values, dtype="<f8").tobytes(),
        )
        for found in run.predictions
    ]


def _bad(where: str, value: object, expected: str) -> StoreRowError:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return StoreRowError(
        f"A store row cannot be decoded: {where}. Received: {shown}; expected {expected}, as "
        "seedwise writes it (was the store edited by hand?)"
    )


def prediction_from_row(row: Sequence[Any], *, where: str) -> PredictionRecord:
    """The record of a ``(name, ids, values)`` row.

    Raises:
        StoreRowError: A column that does not hold what seedwise writes;
            ``where`` names the row (``predictions.{} of study 'a' repeat 0``).
    """
    import numpy as np

    name, ids, values = row
    if not isinstance(name, str):
        raise _bad(f"{where.format('name')} is not text", name, "text")
    decoded = rows.decode_json(ids, where=where.format("ids"))
    if not isinstance(decoded, list) or not all(
        isinstance(item, (int, str)) and not isinstance(item, bool) for item in decoded
    ):
        raise _bad(f"{where.format('ids')} is not a JSON list of ids", ids, "ints or strs")
    if not isinstance(values, bytes) or len(values) != 8 * len(decoded):
        raise _bad(
            f"{where.format('values')} does not hold one float64 per id",
            values if not isinstance(values, bytes) else f"{len(values)} bytes",
            f"{8 * len(decoded)} bytes for {len(decoded)} ids",
        )
    return PredictionRecord(
        name, tuple(decoded), tuple(np.frombuffer(values, dtype="<f8").tolist())
    )


def read_predictions(
    connection: sqlite3.Connection, study: str, name: str | None = None, repeat: int | None = None
) -> dict[int, list[PredictionRecord]]:
    """The per-example results of the runs of ``study``, by repeat, each run's sets by name.

    Args:
        connection: A connection inside a read transaction.
        study: The study.
        name: Only this set; None for every set.
        repeat: Only this run; None for every run.

    Raises:
        StoreRowError: A row that does not hold what seedwise writes.
    """
    query = 'SELECT repeat, name, ids, "values" FROM predictions WHERE study = ?'
    parameters: list[Any] = [study]
    if name is not None:
        query += " AND name = ?"
        parameters.append(name)
    if repeat is not None:
        query += " AND repeat = ?"
        parameters.append(repeat)
    found: dict[int, list[PredictionRecord]] = {}
    for run, *row in connection.execute(query + " ORDER BY repeat, name", parameters):
        where = f"predictions.{{}} of study {study!r} repeat {run}"
        found.setdefault(int(run), []).append(prediction_from_row(row, where=where))
    return found


def read_prediction_names(connection: sqlite3.Connection, study: str) -> list[str]:
    """The names of the sets of per-example results the runs of ``study`` recorded."""
    found = connection.execute(
        "SELECT DISTINCT name FROM predictions WHERE study = ? AND typeof(name) = 'text' "
        "ORDER BY name",
        (study,),
    ).fetchall()
    return [str(name) for (name,) in found]
