"""When each comparison was first shown: the record that lets compare and report mark seed hunting.

Adding runs to a study until its comparison turns significant inflates the
false-positive rate however honest each test is. So ``compare`` and
``report`` keep, per pair of studies and metric, when the pair was first
shown and how many finished runs each study had then (the ``shown`` table);
a later showing with more runs is marked. Each function runs inside the
caller's transaction (:mod:`seedwise.store.transactions`); the rows are
encoded and decoded by :mod:`seedwise.store.rows`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from seedwise.store import rows
from seedwise.store.records import Showing

__all__ = ["read_showings", "write_showings"]


def read_showings(
    connection: sqlite3.Connection, pairs: Iterable[tuple[str, str]], metric: str
) -> dict[tuple[str, str], Showing]:
    """The first showing of each pair on ``metric`` that was ever shown, keyed by the sorted pair.

    A store of a schema older than the ``shown`` table has none.

    Raises:
        StoreRowError: A row that does not decode.
    """
    if not connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shown'"
    ).fetchone():
        return {}
    found: dict[tuple[str, str], Showing] = {}
    for pair in pairs:
        row = connection.execute(
            "SELECT comparison, counts, shown FROM shown WHERE comparison = ?",
            (rows.comparison_key(pair, metric),),
        ).fetchone()
        if row is not None:
            showing = rows.shown_from_row(row)
            found[showing.studies] = showing
    return found


def write_showings(connection: sqlite3.Connection, showings: Iterable[Showing]) -> None:
    """Record each showing unless its pair was shown on its metric before (the first one stays)."""
    connection.executemany(rows.INSERT_SHOWN, [rows.shown_to_row(item) for item in showings])
