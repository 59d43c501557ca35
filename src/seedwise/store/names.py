"""Which study a name means: ``@last``, the exact name, or a prefix of one name.

So that names need not be copied: ``sequence.train`` finds
``sequence.train-1a2b3c4d`` when no other study starts with it, and an
unknown name is answered with the closest known ones. A name that starts
with ``@`` is a selector, never a study's name (:func:`check_new_name`).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seedwise.errors import StoreError, UsageError
from seedwise.experiment.values import CONFIG_KEY

__all__ = [
    "SWEEP_SEPARATOR",
    "LAST_STUDY",
    "MAX_STUDY_NAME",
    "SELECTOR_MARK",
    "cell_name",
    "fit_study_name",
    "check_new_name",
    "check_study_name",
    "check_task_name",
    "closest_names",
    "require_study",
    "resolve_name",
    "sweep_of",
    "unknown_study",
    "value_text",
]

#: What :func:`resolve_name` reads as the study that most recently began or stored a run.
LAST_STUDY = "@last"

#: What a selector starts with, and so what no study's name may start with.
SELECTOR_MARK = "@"

# How many names an error lists.
_LISTED = 5

#: The most characters a study's name may have: its runs' folder is named after it,
#: and a file system refuses names past 255 bytes (4 bytes a character at worst).
MAX_STUDY_NAME = 100


#: What ends a sweep's name in the name of each of its cells: ``SWEEP/KEY=V,KEY2=V2``.
SWEEP_SEPARATOR = "/"


def sweep_of(name: str) -> str | None:
    """The sweep whose cell the study ``name`` is (``SWEEP/KEY=V,...``), or None.

    Read from the name alone: a sweep's name holds no ``/``, and its cell's
    part starts with a config key and ``=``.
    """
    sweep, separator, cell = name.partition(SWEEP_SEPARATOR)
    key, equals, _ = cell.partition("=")
    return sweep if separator and sweep and equals and CONFIG_KEY.match(key) else None


# Characters of the hash that ends a cell's name cut to fit MAX_STUDY_NAME.
_HASH_CHARS = 10


def value_text(value: Any) -> str:
    """A grid value as a cell's name shows it: a str as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def cell_name(sweep: str, cell: Mapping[str, Any]) -> str:
    """``SWEEP/KEY=V,KEY2=V2``: the study name of one cell of sweep ``sweep``.

    A name longer than a study's name may be (100 characters) is cut, and a
    hash of the whole name ends it (``SWEEP/lr=0.1,...~1a2b3c4d5e``): stable,
    and distinct for distinct cells.
    """
    return fit_study_name(
        sweep
        + SWEEP_SEPARATOR
        + ",".join(f"{key}={value_text(value)}" for key, value in cell.items())
    )


def fit_study_name(full: str) -> str:
    """``full``, or where it is longer than a study's name may be, cut and ended by its hash.

    The cut name (``SWEEP/lr=0.1,...~1a2b3c4d5e``) is stable, and distinct
    for distinct names: 10 hex digits of a SHA-256 of the whole name.
    """
    if len(full) <= MAX_STUDY_NAME:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH_CHARS]
    return f"{full[: MAX_STUDY_NAME - _HASH_CHARS - 1]}~{digest}"


def check_study_name(name: object) -> str:
    """``name``, if it may name a new study: a str of 1 to 100 characters, not only spaces.

    The names a user gives (``--name``, ``seedwise.run(name=...)``) are checked
    here; :func:`check_new_name`, which every new study passes, is applied
    too. Any other character is accepted; the folder of the study's runs is
    made safe from the name (``seedwise.runner.spec.safe_name``). Names that
    seedwise makes from a given one (``seedwise attribute``'s) may be longer.

    Raises:
        UsageError: Anything else, named in one line (a long name cut short).
    """
    if isinstance(name, str) and name.strip() and len(name) <= MAX_STUDY_NAME:
        return check_new_name(name)
    shown = repr(name)
    if isinstance(name, str) and len(name) > MAX_STUDY_NAME:
        shown = f"{name[:20]!r}... ({len(name)} characters)"
    raise UsageError(
        f"A study name must be a str of 1 to {MAX_STUDY_NAME} characters, not only spaces. "
        f"Received: name={shown}; expected a name such as 'baseline'"
    )


def check_task_name(task: object) -> str | None:
    """``task``, if it may name a study's task (``--task``): None, or a one-line label.

    A str of 1 to 100 characters, not only spaces, with no control
    characters: a task is a label in tables, reports and LaTeX, one line each.

    Raises:
        UsageError: Anything else, named in one line.
    """
    if task is None:
        return None
    if (
        isinstance(task, str)
        and task.strip()
        and len(task) <= MAX_STUDY_NAME
        and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in task)
    ):
        return task
    shown = (
        f"{task[:20]!r}... ({len(task)} characters)"
        if isinstance(task, str) and len(task) > MAX_STUDY_NAME
        else repr(task)
    )
    raise UsageError(
        f"A task must be a str of 1 to {MAX_STUDY_NAME} characters on one line, not only "
        f"spaces. Received: task={shown}; expected a name such as 'iris'"
    )


def check_new_name(name: str) -> str:
    """Check that ``name`` may name a new study: it must not read as a selector.

    Returns:
        ``name``, unchanged.

    Raises:
        UsageError: ``name`` starts with ``@``.
    """
    if name.startswith(SELECTOR_MARK):
        raise UsageError(
            f"A study's name must not start with {SELECTOR_MARK!r}, which marks a selector such "
            f"as {LAST_STUDY}. Received: name={name!r}; expected a name such as 'baseline' or "
            "'lr-0.1'"
        )
    return name


def resolve_name(connection: sqlite3.Connection, path: Path, text: str) -> str:
    """The full name of the study ``text`` means.

    Args:
        connection: A connection inside a read transaction.
        path: The store's file, for messages.
        text: ``@last``, the study that most recently began or stored a
            run, even where a study has that name (a store written before
            names were checked); else a study's exact name; else a prefix of
            exactly one name.

    Returns:
        The study's name.

    Raises:
        StoreError: No study matches, or several do.
    """
    if text == LAST_STUDY:
        row = connection.execute(
            "SELECT name FROM studies LEFT JOIN (SELECT study, max(finished) AS last "
            "FROM runs GROUP BY study) ON study = name "
            "ORDER BY max(created, coalesce(last, 0)) DESC, name LIMIT 1"
        ).fetchone()
        if row is None:
            raise unknown_study(connection, path, text)
        return str(row[0])
    if connection.execute("SELECT 1 FROM studies WHERE name = ?", (text,)).fetchone():
        return text
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
    names = [str(row[0]) for row in connection.execute("SELECT name FROM studies ORDER BY name")]
    known = closest_names(str(name), names) or f"{str(path)!r} holds no studies yet"
    return StoreError(f"Unknown study. Received: study={name!r}; expected {known}")


def closest_names(name: str, names: list[str]) -> str:
    """``one of 'a', 'b' and 3 more (see `seedwise ls`)``: the known names closest to ``name``.

    Returns:
        The phrase, or ``""`` when ``names`` is empty.
    """
    if not names:
        return ""
    close = difflib.get_close_matches(name, names, n=_LISTED, cutoff=0.5)
    listed = close + [n for n in names if n not in close][: _LISTED - len(close)]
    more = f" and {len(names) - len(listed)} more" if len(names) > len(listed) else ""
    return f"one of {', '.join(map(repr, listed))}{more} (see `seedwise ls`)"
