"""Sweeps in the store: a sweep's cells, read back from their names and configs.

The store keeps no table of sweeps. A cell is a study named
``SWEEP/KEY=V,...`` (:func:`~seedwise.store.names.cell_name`) whose config
ends with the cell's grid values, so the grid is read from the cells: its
keys are the config keys the name is made from (or, for a tuner's trials
named ``SWEEP/trial=N``, the one key of the name that the config lacks),
each key's values come in
the order the cells were created (the grid's order for a sweep run once:
every cell is begun, in the grid's order, before any run), and the cells
are ordered by those values, the last key fastest, as ``seedwise.sweep``
orders them. Each function runs inside the caller's transaction.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path
from typing import Any

from seedwise.errors import StoreError
from seedwise.experiment.values import CONFIG_KEY
from seedwise.store import rows
from seedwise.store.names import (
    SWEEP_SEPARATOR,
    cell_name,
    closest_names,
    sweep_of,
    value_text,
)
from seedwise.store.records import StudyRecord, SweepCell, SweepGrid

__all__ = ["list_sweeps", "read_sweep"]

# How many names an error lists.
_LISTED = 5


def list_sweeps(connection: sqlite3.Connection) -> list[str]:
    """The name of every sweep with at least one study named as its cell, sorted."""
    names = (sweep_of(str(row[0])) for row in connection.execute("SELECT name FROM studies"))
    return sorted({name for name in names if name is not None})


def read_sweep(connection: sqlite3.Connection, path: Path, name: str) -> SweepGrid:
    """The sweep ``name``: its keys, each key's values, and its cells in the grid's order.

    Args:
        connection: A connection inside a read transaction.
        path: The store's file, for messages.
        name: The sweep's exact name (a trailing ``/`` is allowed).

    Raises:
        StoreError: No study is a cell of ``name`` (the message lists the
            closest sweeps), or a cell's row does not decode.
    """
    name = name.removesuffix(SWEEP_SEPARATOR)
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    records = [
        rows.study_from_row(row)
        for row in connection.execute(
            f"SELECT {rows.study_columns(connection)} FROM studies "
            "WHERE name LIKE ? ESCAPE '\\' ORDER BY created, rowid",
            (escaped + SWEEP_SEPARATOR + "%",),
        )
        if sweep_of(str(row[0])) == name
    ]
    keys: tuple[str, ...] | None = None
    found: list[tuple[str, dict[str, Any]]] = []
    unmatched = []
    for record in records:
        values = _grid_values(name, record)
        if values is None or (keys is not None and tuple(values) != keys):
            unmatched.append(record.name)
            continue
        keys = keys or tuple(values)
        found.append((record.name, values))
    if keys is None:
        raise _unknown_sweep(connection, path, name, unmatched)
    order: dict[str, dict[str, int]] = {key: {} for key in keys}
    for _, values in found:
        for key, value in values.items():
            order[key].setdefault(value_text(value), len(order[key]))
    cells = [
        SweepCell(study, values, {key: value_text(value) for key, value in values.items()})
        for study, values in found
    ]
    cells.sort(key=lambda cell: tuple(order[key][cell.labels[key]] for key in keys))
    present = {tuple(cell.labels.values()) for cell in cells}
    missing = tuple(
        dict(zip(keys, combination, strict=True))
        for combination in itertools.product(*(list(order[key]) for key in keys))
        if combination not in present
    )
    return SweepGrid(
        name=name,
        keys=keys,
        values={key: tuple(order[key]) for key in keys},
        cells=tuple(cells),
        missing=missing,
        unmatched=tuple(unmatched),
    )


def _grid_values(sweep: str, record: StudyRecord) -> dict[str, Any] | None:
    """The last keys of ``record``'s config that its name is made from, or None if none are.

    A cell's config is the sweep's shared config and then its grid values,
    so the grid's keys are the shortest tail of the config whose cell name is
    the study's name (a name cut to fit ends in a hash of the whole name,
    which this rebuilds too).
    """
    items = list(record.config.items())
    for size in range(1, len(items) + 1):
        values = dict(items[-size:])
        if cell_name(sweep, values) == record.name:
            return values
    return _named_value(sweep, record)


def _named_value(sweep: str, record: StudyRecord) -> dict[str, Any] | None:
    """The one ``KEY=V`` of a cell's name whose key is not in its config, or None.

    A tuner's trials are named ``SWEEP/trial=N`` (``seedwise.optuna``) while
    their configs hold the trial's parameters, not ``trial``: the name alone
    is the grid value. ``V`` is read back as JSON where that gives the same
    text (``3``, not ``"3"``), else as text, and the name must be exactly the
    cell name of that value.
    """
    key, equals, text = record.name[len(sweep) + len(SWEEP_SEPARATOR) :].partition("=")
    if not equals or not CONFIG_KEY.match(key) or key in record.config:
        return None
    value: Any = text
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if parsed is not None and value_text(parsed) == text:
        value = parsed
    return {key: value} if cell_name(sweep, {key: value}) == record.name else None


def _unknown_sweep(
    connection: sqlite3.Connection, path: Path, name: str, unmatched: list[str]
) -> StoreError:
    """The error for a name that no sweep has, listing the closest sweeps."""
    if unmatched:
        return StoreError(
            f"No study named as a cell of sweep {name!r} is made from its config by a grid "
            f"(SWEEP/KEY=V,... with KEY=V the config's last keys). Received: sweep={name!r}, "
            f"studies {', '.join(map(repr, unmatched[:_LISTED]))}; expected a sweep made by "
            "seedwise sweep"
        )
    known = closest_names(name, list_sweeps(connection)) or f"{str(path)!r} holds no sweeps"
    return StoreError(f"Unknown sweep. Received: sweep={name!r}; expected {known}")
