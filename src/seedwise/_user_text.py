"""Text from users as seedwise shows it: control characters made visible, secrets masked.

Study names, metric names, config values and error messages come from
users and from stores, so they may hold anything: terminal escape
sequences (``ESC[2J`` clears the screen, ``ESC]0;...BEL`` sets the window
title), carriage returns and backspaces that overwrite what was printed,
or bidirectional overrides that show text in another order than it is
stored. :func:`visible` writes each such character as its Python escape
(``\\x1b``, ``\\r``, ``\\u202e``), so that what reaches a terminal, a
Markdown file or a page is the text itself. The terminal writer of
documents, the HTML and Markdown escapes and the command line's console
all call it.

Config values whose keys name a secret (``api_token``, ``db-password``)
are shown as :data:`MASK`; :func:`is_secret` is the one rule, applied by
the command line and the report alike.

Example:
    >>> visible("\\x1b[2Jdone")
    '\\\\x1b[2Jdone'
    >>> masked({"lr": 0.1, "api_token": "hunter2"})
    {'lr': 0.1, 'api_token': '***'}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["MASK", "SECRET_WORDS", "is_secret", "masked", "visible"]

# C0 controls, DEL and C1 controls (CSI is U+009B), the bidirectional marks,
# embeddings, overrides and isolates, and the Unicode line and paragraph separators.
_HIDDEN = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_HIDDEN_IN_TEXT = re.compile(f"[{_HIDDEN}]")
_HIDDEN_IN_LINE = re.compile(f"[\t\n{_HIDDEN}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    return _NAMED.get(character) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str, *, one_line: bool = False) -> str:
    """``text`` with every control character written as its escape: ``ESC`` as ``\\x1b``.

    Equivalent to replacing each C0 or C1 control character, DEL, bidirectional
    control and line or paragraph separator by its ``repr`` escape, leaving
    every other character (accents, CJK, emoji) as it is. A backslash in
    ``text`` is kept as it is.

    Args:
        text: What a user or a store gave.
        one_line: Escape newlines and tabs too, for text that must stay on
            one line (an error line). Otherwise they are kept, so that
            tracebacks and tables keep their shape.

    Returns:
        Text that a terminal shows as written.
    """
    pattern = _HIDDEN_IN_LINE if one_line else _HIDDEN_IN_TEXT
    return pattern.sub(_escaped, text)


#: Words that mark a config key as holding a secret: its value is never shown.
SECRET_WORDS = ("token", "password", "passwd", "secret", "key", "apikey", "credential")

#: What a secret's value is shown as.
MASK = "***"


def is_secret(key: str) -> bool:
    """Whether a config key names a secret (``api_token``, ``db-password``, ``key``)."""
    words = [word for word in re.split(r"[^a-z0-9]+", key.lower()) if word]
    return any(word in SECRET_WORDS or word.endswith(SECRET_WORDS) for word in words)


def masked(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with the value of every key that names a secret replaced by ``***``.

    Nested mappings (``{"db": {"password": ...}}``) are masked the same way, at
    every depth, and so are mappings inside lists: a config read back from
    JSON holds no other containers.
    """
    return {
        key: MASK if is_secret(str(key)) else _masked_value(value) for key, value in config.items()
    }


def _masked_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return masked(value)
    if isinstance(value, list):
        return [_masked_value(item) for item in value]
    return value
