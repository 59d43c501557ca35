"""The command line's handlers, one module per group of commands."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType, RenderHook
from rich.segment import Segment

from seedwise._json import json_ready
from seedwise._user_text import MASK as MASK
from seedwise._user_text import is_secret as is_secret
from seedwise._user_text import masked as masked
from seedwise._user_text import visible
from seedwise.store import default_store_path


class _Visible:
    """A renderable whose text is written with its control characters made visible."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        for segment in console.render(self.renderable, options):
            # Control segments are rich's own cursor moves (the progress bar's redraws).
            yield segment if segment.control else Segment(visible(segment.text), segment.style)


class _VisibleText(RenderHook):
    """Makes every text that a console prints visible (:func:`seedwise._user_text.visible`).

    Study names, metric names, config values and errors reach the console
    through tables, ``Text`` and escaped markup alike; made visible here, at
    the last step, none of them can send an escape sequence to the terminal.
    rich itself already drops BEL, backspace, CR, VT and FF from ``Text``.
    """

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Visible(renderable) for renderable in renderables]


def make_console() -> Console:
    """A console for results: as wide as the terminal, or 160 columns into a file or pipe.

    Everything it prints has its control characters made visible.
    """
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    console.push_render_hook(_VisibleText())
    return console


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
    return shell_join(["seedwise", *words, *store_words(store)])


def shell_join(words: Sequence[str]) -> str:
    """``shlex.join(words)``, except that a word with control characters is in ``$'...'``."""
    return " ".join(map(_shell_word, words))


def _shell_word(word: str) -> str:
    """``word`` quoted for a shell; one with control characters in ANSI-C quotes (``$'...'``).

    ``shlex.quote`` would put an escape sequence inside plain quotes, raw; in
    ``$'...'`` (bash, zsh, ksh) it is written as ``\\x1b`` and still pastes
    as the same name.
    """
    if visible(word, one_line=True) == word:
        return shlex.quote(word)
    return "$'" + visible(word.replace("\\", "\\\\").replace("'", "\\'"), one_line=True) + "'"


def to_json(value: Any, **options: Any) -> str:
    """Strict JSON of ``value``: NaN and infinities as ``seedwise._json`` writes them everywhere."""
    return json.dumps(json_ready(value, default=str), allow_nan=False, **options)


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
