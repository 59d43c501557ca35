"""Which study a name means: the exact name, ``@last``, or a prefix of one name.

So that names need not be copied: ``sequence.train`` finds
``sequence.train-1a2b3c4d`` when no other study starts with it, and an
unknown name is answered with the closest known ones.
"""

from __future__ import annotations

import difflib
import sqlite3
from pathlib import Path

from seedwise.errors import StoreError

__all__ = ["LAST_STUDY", "require_study", "resolve_name", "unknown_study"]

#: What :func:`resolve_name` reads as the study that most recently began or stored a run.
LAST_STUDY = "@last"

# How many names an error lists.
_LISTED = 5


def resolve_name(connection: sqlite3.Connection, path: Path, text: str) -> str:
    """The full name of the study ``text`` means.

    Args:
        connection: A connection inside a read transaction.
        path: The store's file, for messages.
        text: A study's exact name; else ``@last``, the study that most
            recently began or stored a run; else a prefix of exactly one name.

    Returns:
        The study's name.

    Raises:
        StoreError: No study matches, or several do.
    """
    if connection.execute("SELECT 1 FROM studies WHERE name = ?", (text,)).fetchone():
        return text
    if text == LAST_STUDY:
        row = connection.execute(
            "SELECT name FROM studies LEFT JOIN (SELECT study, max(finished) AS last "
            "FROM runs GROUP BY study) ON study = name "
            "ORDER BY max(created, coalesce(last, 0)) DESC, name LIMIT 1"
        ).fetchone()
        if row is None:
            raise unknown_study(connection, path, text)
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
    raise unknown_study(connection, path, text)


def require_study(connection: sqlite3.Connection, path: Path, study: str) -> None:
    """Check that the study called exactly ``study`` exists.

    Raises:
        StoreError: No such study (see :func:`unknown_study`).
    """
    if not connection.execute("SELECT 1 FROM studies WHERE name = ?", (study,)).fetchone():
        raise unknown_study(connection, path, study)


def unknown_study(connection: sqlite3.Connection, path: Path, name: object) -> StoreError:
    """The error for a study the store does not hold, listing the closest known names."""
    names = [row[0] for row in connection.execute("SELECT name FROM studies ORDER BY name")]
    if not names:
        known = f"{str(path)!r} holds no studies yet"
    else:
        close = difflib.get_close_matches(str(name), names, n=_LISTED, cutoff=0.5)
        listed = close + [n for n in names if n not in close][: _LISTED - len(close)]
        more = f" and {len(names) - len(listed)} more" if len(names) > len(listed) else ""
        known = f"one of {', '.join(map(repr, listed))}{more} (see `seedwise ls`)"
    return StoreError(f"Unknown study. Received: study={name!r}; expected {known}")
