"""The command line's handlers, one module per group of commands."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from seedwise._json import json_ready
from seedwise.store import default_store_path


def make_console() -> Console:
    """A console for results: as wide as the terminal, or 160 columns into a file or pipe."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def store_words(store: Path) -> list[str]:
    """The ``--store`` part of a command suggested to the user: none for the default store.

    The default is ``$SEEDWISE_STORE`` or ``.seedwise/seedwise.db``, which the
    suggested command finds again when pasted into the same shell and folder.
    """
    return [] if store.absolute() == default_store_path() else ["--store", str(store)]


def suggested_command(*words: str, store: Path) -> str:
    """``seedwise WORDS [--store STORE]``, quoted so that it can be pasted into a shell.

    Example:
        >>> suggested_command("show", "my study", store=Path("/tmp/s.db"))
        "seedwise show 'my study' --store /tmp/s.db"
    """
    return shlex.join(["seedwise", *words, *store_words(store)])


def to_json(value: Any, **options: Any) -> str:
    """Strict JSON of ``value``: NaN and infinities as ``seedwise._json`` writes them everywhere."""
    return json.dumps(json_ready(value, default=str), allow_nan=False, **options)


#: Words that mark a config key as holding a secret: its value is never printed.
SECRET_WORDS = ("token", "password", "passwd", "secret", "key", "apikey", "credential")

#: What a secret's value is printed as.
MASK = "***"


def is_secret(key: str) -> bool:
    """Whether a config key names a secret (``api_token``, ``db-password``, ``key``)."""
    words = [word for word in re.split(r"[^a-z0-9]+", key.lower()) if word]
    return any(word in SECRET_WORDS or word.endswith(SECRET_WORDS) for word in words)


def masked(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the value of every key that names a secret replaced by ``***``."""
    return {key: MASK if is_secret(key) else value for key, value in config.items()}


def masked_argv(words: list[str]) -> list[str]:
    """Command-line words with the values of ``--set SECRET=...`` replaced by ``***``."""
    shown = list(words)
    for index, word in enumerate(shown):
        previous = shown[index - 1] if index else ""
        assignment = word.removeprefix("--set=")
        if (previous == "--set" or word.startswith("--set=")) and "=" in assignment:
            key = assignment.partition("=")[0]
            if is_secret(key):
                shown[index] = ("--set=" if word.startswith("--set=") else "") + f"{key}={MASK}"
    return shown
